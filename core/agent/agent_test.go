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

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"ws_url":"ws://127.0.0.1:1/ws","agent_id":"a","request_timeout_ms":100,"reconnect":false,"log_level":"debug"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.WSURL != "ws://127.0.0.1:1/ws" || c.RequestTimeoutMS != 100 || c.Reconnect == nil || *c.Reconnect {
		t.Fatalf("parsed %+v", c)
	}
	for _, bad := range []string{`{"ws_urll":"x"}`, `not json`, `{"request_timeout_ms":"fast"}`} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, session.ErrInvalidArgument) {
			t.Errorf("ParseConfig(%s) = %v, want ErrInvalidArgument", bad, err)
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
		RequestTimeoutMS: 200, LogLevel: "trace", Reconnect: new(bool)}, func(e session.Event) { evs <- e })
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
