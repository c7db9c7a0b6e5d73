package sim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestPlatformPushOrder: a request's reply and the pushes it causes reach
// the link in Config.PushOrder's order; the default is reply first, as the
// real server was seen to answer.
func TestPlatformPushOrder(t *testing.T) {
	firstOf := func(l *plink, r map[string]any) string {
		t.Helper()
		isReply := func(m map[string]any) bool { return m["req_id"] == r["req_id"] }
		first := "push"
		m := l.next()
		switch {
		case isReply(m):
			first = "reply"
			l.expect("the push after the reply", isStatusPush)
		case isStatusPush(m):
			m = l.expect("the reply after the push", isReply)
		default:
			t.Fatalf("frame %v answers nothing", m)
		}
		if tok, ok := m["token"].(string); ok {
			l.token = tok
		}
		return first
	}
	for _, tc := range []struct{ order, want string }{{"", "reply"}, {PushReplyFirst, "reply"}, {PushFirst, "push"}} {
		_, base := platWorld(t, func(c *Config) { c.PushOrder = tc.order })
		l := dialPlat(t, base, agent6k, "Windows")
		for _, send := range []func() map[string]any{
			func() map[string]any { return l.sendReq("checkin", "agent_pwd", pwd, "token", nil) },
			func() map[string]any { return l.sendReq("checkout") },
		} {
			r := send()
			if got := firstOf(l, r); got != tc.want {
				t.Errorf("push order %q, %s: the %s came first, want the %s", tc.order, r["msg_type"], got, tc.want)
			}
		}
	}
	// random: both orders show up (40 check-ins all alike: 2^-39).
	_, base := platWorld(t, func(c *Config) { c.PushOrder = PushRandom })
	l := dialPlat(t, base, agent6k, "Windows")
	seen := map[string]int{}
	for range 40 {
		seen[firstOf(l, l.sendReq("checkin", "agent_pwd", pwd, "token", nil))]++
	}
	if seen["reply"] == 0 || seen["push"] == 0 {
		t.Fatalf("random order gave %v", seen)
	}
}

// TestRTCAddressForms: the platform dialect answers rtc_address as the
// platform does (host:port, no scheme) and the PBX takes SIP over WebSocket
// at / as well as /sip; the template setting makes any other form.
func TestRTCAddressForms(t *testing.T) {
	for _, tc := range []struct{ dialect, tmpl, want string }{
		{DialectPlatform, "", "{host}"},
		{DialectSpec, "", "ws://{host}/sip"},
		{DialectPlatform, "{hostname}", "127.0.0.1"},
		{DialectPlatform, "{host}/sip", "{host}/sip"},
		{DialectSpec, "wss://{hostname}:7443/", "wss://127.0.0.1:7443/"},
	} {
		_, base := platWorld(t, func(c *Config) { c.Dialect, c.RTCAddress = tc.dialect, tc.tmpl })
		host := strings.TrimPrefix(base, "http://")
		want := strings.ReplaceAll(tc.want, "{host}", host)
		var rep map[string]any
		if tc.dialect == DialectPlatform {
			l := dialPlat(t, base, rtcAgent, "Windows")
			_, rep = l.checkin()
		} else {
			rep = roundTrip(t, dial(t, base, nil), checkin6010)
		}
		if rep["rtc_address"] != want {
			t.Errorf("%s, rtc_address %q: got %v, want %s", tc.dialect, tc.tmpl, rep["rtc_address"], want)
		}
	}
	_, base := platWorld(t)
	for _, path := range []string{"/", "/sip"} {
		d := websocket.Dialer{Subprotocols: []string{"sip"}}
		ws, resp, err := d.Dial("ws://"+strings.TrimPrefix(base, "http://")+path, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || ws.Subprotocol() != "sip" {
			t.Fatalf("SIP WebSocket at %s: %v %v", path, resp, err)
		}
		ws.Close()
	}
}
