package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// A field New cannot use is a *ConfigError naming it as Config does; it
// is an invalid argument.
func TestConfigErrorNamesTheField(t *testing.T) {
	const ws = "ws://127.0.0.1:1/ws"
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{WSURL: ws, LogLevel: "loud"}, `config LogLevel "loud" (want trace, debug, info, warn, error or off)`},
		{Config{WSURL: ws, RTCDefaultSource: " tone:9000 "}, `config RTCDefaultSource "tone:9000" (want tone:HZ with 0 < HZ < 4000)`},
		{Config{WSURL: ws, RTCDefaultSource: "wav:/no/such.wav"}, `config RTCDefaultSource "wav:/no/such.wav": open /no/such.wav`},
		{Config{WSURL: ws, RTCStatsInterval: -time.Second}, `config RTCStatsInterval -1s (want zero or more)`},
		{Config{WSURL: ws, RTCMaxMessageBytes: 100}, `config RTCMaxMessageBytes 100 (want at least 1024)`},
		{Config{WSURL: ws, RTCScheme: "sip"}, `config RTCScheme "sip": rtc_scheme "sip": want ws or wss`},
		{Config{WSURL: ws, EventQueueMaxBytes: -1}, `config EventQueueMaxBytes -1 (want zero or more)`},
		{Config{WSURL: ws, Reconnect: session.Backoff{Stable: -time.Millisecond}}, `config Reconnect.Stable -1ms (want zero or more)`},
	} {
		a, err := New(c.cfg, nil)
		var ce *ConfigError
		if err == nil {
			a.Close()
		}
		if !errors.As(err, &ce) || !errors.Is(err, session.ErrInvalidArgument) || !strings.HasPrefix(err.Error(), "cloudcc: invalid argument: "+c.want) {
			t.Errorf("New(%+v) = %v, want a *ConfigError saying %s", c.cfg, err, c.want)
		}
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	cases := []Config{
		{},
		{WSURL: "ws://127.0.0.1:1/ws", LogLevel: "loud"},
		{WSURL: "ws://127.0.0.1:1/ws", HTTPURL: "ftp://x"},
	}
	for _, c := range cases {
		if a, err := New(c, nil); err == nil {
			a.Close()
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}

func TestMuteWithoutRTCAndNoHTTP(t *testing.T) {
	a, err := New(Config{WSURL: "ws://127.0.0.1:1/ws", CompanyCode: "c", AgentID: "a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Do(context.Background(), &protocol.MuteRequest{UUID: "u", Mute: true}); !errors.Is(err, ErrMuteNeedsRTC) {
		t.Fatalf("mute: %v", err)
	}
	if _, err := a.GetSkillServiceList(context.Background(), "", ""); !errors.Is(err, ErrNoHTTP) {
		t.Fatalf("http: %v", err)
	}
}

func TestLogEventsCarryNoSecrets(t *testing.T) {
	evs := make(chan session.Event, 64)
	a, err := New(Config{WSURL: "ws://127.0.0.1:1/ws", CompanyCode: "c", AgentID: "a", ExtID: "e",
		RequestTimeout: 200 * time.Millisecond, LogLevel: "trace", Reconnect: session.Backoff{Disabled: true}}, func(e session.Event) { evs <- e })
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Do(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."})
	if !errors.Is(err, session.ErrNotConnected) {
		t.Fatalf("checkin to a closed port: %v", err)
	}
	// The failure is logged before Do returns it; wait for the event to be
	// handed over (Close drops events not yet delivered).
	defer a.Close()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-evs:
			l, ok := e.(*LogEvent)
			if !ok {
				continue
			}
			for k, v := range l.Attrs {
				if strings.Contains(v, "919191Aa.") || k == "agent_pwd" {
					t.Fatalf("secret in log event %+v", l)
				}
			}
			if l.Level == "warn" && strings.Contains(l.Message, "connect failed") {
				return
			}
		case <-timeout:
			t.Fatal("no log event for a failed connect at trace level")
		}
	}
}
