package agent

import (
	"encoding/pem"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

func TestResolveRTCAddress(t *testing.T) {
	cases := []struct {
		addr, cti, scheme, tmpl string
		url, host               string
	}{
		// The platform's form: FreeSWITCH's regAddr, no scheme.
		{"127.0.0.1:5060", "ws://127.0.0.1:25001/msg/", "", "", "ws://127.0.0.1:5060", "127.0.0.1"},
		{"127.0.0.1:5060", "wss://cc.example.com/msg/", "", "", "wss://127.0.0.1:5060", "127.0.0.1"},
		{"127.0.0.1:5060", "wss://cc.example.com/msg/", "ws", "", "ws://127.0.0.1:5060", "127.0.0.1"},
		{"  sip.example.com  ", "ws://x/ws", "", "", "ws://sip.example.com", "sip.example.com"},
		{"sip.example.com:7443/rtcwss", "WSS://x/ws", "", "", "wss://sip.example.com:7443/rtcwss", "sip.example.com"},
		{"[::1]:5066/sip", "ws://x/ws", "WSS", "", "wss://[::1]:5066/sip", "::1"},
		// Full URLs keep their own scheme, whatever the CTI link or rtc_scheme says.
		{"wss://172.0.18.24/rtcwss", "ws://x/ws", "ws", "", "wss://172.0.18.24/rtcwss", "172.0.18.24"},
		{"WS://h:80/p?transport=ws", "wss://x/ws", "", "", "ws://h:80/p?transport=ws", "h"},
		// A template replaces everything, whichever form came.
		{"10.0.0.5:5060", "ws://x/ws", "", "wss://{host}:7443/", "wss://10.0.0.5:7443/", "10.0.0.5"},
		{"ws://10.0.0.5:5066/sip", "ws://x/ws", "", "{scheme}://{host}:{port}{path}", "ws://10.0.0.5:5066/sip", "10.0.0.5"},
		{"10.0.0.5:5060/a", "wss://x/ws", "", "{scheme}://edge.example.com{path}", "wss://edge.example.com/a", "10.0.0.5"},
		{"[::1]", "ws://x/ws", "", "ws://{host}:5066", "ws://[::1]:5066", "::1"},
	}
	for _, c := range cases {
		got, err := resolveRTCAddress(c.addr, c.cti, c.scheme, c.tmpl)
		if err != nil || got.url != c.url || got.host != c.host {
			t.Errorf("resolve(%q, %q, %q, %q) = %+v, %v; want %s host %s", c.addr, c.cti, c.scheme, c.tmpl, got, err, c.url, c.host)
		}
	}
}

func TestResolveRTCAddressRefuses(t *testing.T) {
	cases := []struct{ addr, scheme, tmpl, want string }{
		{"", "", "", "empty"},
		{"http://h:5060", "", "", "not a SIP WebSocket"},
		{"sip:h:5060", "", "", "want host"},
		{"::1", "", "", "want host"},
		{"h:port", "", "", "invalid port"},
		{"h:70000", "", "", "bad port"},
		{"h:", "", "", "empty port"},
		{":5060", "", "", "want host"},
		{"user@h:5060", "", "", "want host"},
		{"h:5060", "udp", "", "rtc_scheme"},
		{"h", "", "wss://{host}:{port}/", "has none"},
		{"h:1", "", "https://{host}/", "rtc_url_template"},
		{"h:1", "", "{port}", "rtc_url_template"},
	}
	for _, c := range cases {
		got, err := resolveRTCAddress(c.addr, "ws://x/ws", c.scheme, c.tmpl)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resolve(%q, %q, %q) = %+v, %v; want an error saying %q", c.addr, c.scheme, c.tmpl, got, err, c.want)
		}
	}
}

func TestRTCAddressKeysChecked(t *testing.T) {
	for _, c := range []Config{
		{WSURL: "ws://127.0.0.1:1/ws", RTCScheme: "sip"},
		{WSURL: "ws://127.0.0.1:1/ws", RTCURLTemplate: "http://{host}/"},
		{WSURL: "ws://127.0.0.1:1/ws", RTCURLTemplate: "wss://{host}:{port"},
	} {
		if a, err := New(c, nil); !errors.Is(err, session.ErrInvalidArgument) {
			if a != nil {
				a.Close()
			}
			t.Errorf("New(rtc_scheme %q, rtc_url_template %q): %v", c.RTCScheme, c.RTCURLTemplate, err)
		}
	}
	a, err := New(Config{WSURL: "wss://127.0.0.1:1/ws", RTCScheme: "ws", RTCURLTemplate: "{scheme}://{host}:{port}/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// TestRTCAddressFormsRegister: the phone registers whatever form of
// rtc_address check-in gives, and rtc_registration names the rtc_address as
// sent and the URL dialled. The platform's own form (host:port) is ccsim's
// default in the platform dialect, over ws and over wss.
func TestRTCAddressFormsRegister(t *testing.T) {
	for _, tc := range []struct {
		name, form, tmpl string // ccsim's rtc_address; the SDK's rtc_url_template
		addr, url        string // {host}: the address ccsim listens on
	}{
		{"host:port", "", "", "{host}", "ws://{host}"},
		{"url", "{scheme}://{host}/sip", "", "ws://{host}/sip", "ws://{host}/sip"},
		{"host:port/path", "{host}/sip", "", "{host}/sip", "ws://{host}/sip"},
		{"host+template", "{hostname}", "ws://{host}:{PORT}/sip", "127.0.0.1", "ws://{host}/sip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDialectEnv(t, sim.DialectPlatform, func(c *sim.Config) { c.RTCAddress = tc.form })
			host := strings.TrimPrefix(e.http, "http://")
			_, port, _ := net.SplitHostPort(host)
			a := e.rtcAgent(t, func(c *Config) { c.RTCURLTemplate = strings.ReplaceAll(tc.tmpl, "{PORT}", port) })
			rep := a.pcheckin("919191Aa.")
			if want := strings.ReplaceAll(tc.addr, "{host}", host); rep.RTCAddress != want {
				t.Fatalf("ccsim's rtc_address %q, want %q", rep.RTCAddress, want)
			}
			reg := a.registered()
			if want := strings.ReplaceAll(tc.url, "{host}", host); reg.URL != want || reg.RTCAddress != rep.RTCAddress {
				t.Fatalf("registered at %q (rtc_address %q), want %q (%q)", reg.URL, reg.RTCAddress, want, rep.RTCAddress)
			}
		})
	}
	t.Run("wss", func(t *testing.T) {
		// A CTI link over TLS gives the scheme-less address wss.
		cfg := sim.DefaultConfig()
		cfg.Timings = sim.Timings{}
		srv := sim.New(cfg)
		hs := httptest.NewTLSServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Close() })
		host := strings.TrimPrefix(hs.URL, "https://")
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
		e := &env{srv: srv, hs: hs, ws: "wss://" + host + "/msg/", http: hs.URL}
		a := e.rtcAgent(t, func(c *Config) { c.TLSCAPEM = ca })
		if rep := a.pcheckin("919191Aa."); rep.RTCAddress != host {
			t.Fatalf("rtc_address %q", rep.RTCAddress)
		}
		if reg := a.registered(); reg.URL != "wss://"+host {
			t.Fatalf("registered at %q", reg.URL)
		}
	})
}
