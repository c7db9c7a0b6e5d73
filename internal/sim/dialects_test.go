package sim

import (
	"net/http"
	"testing"
)

// The same steps in both dialects, where they differ: order and shape of
// the check-in, the default start status, check-out during a call, mute,
// get_status.

func TestDialectsDiffer(t *testing.T) {
	if DefaultDialect != DialectSpec && DefaultDialect != DialectPlatform {
		t.Fatalf("DefaultDialect %q", DefaultDialect)
	}
	t.Run("spec", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Dialect, cfg.Timings = DialectSpec, Timings{}
		s, base := start(t, cfg)
		if s.Dialect() != DialectSpec {
			t.Fatal(s.Dialect())
		}
		ws := dial(t, base, nil)
		rep := roundTrip(t, ws, checkin6000)
		if rep["msg_type"] != " checkin" || rep["code"] != "0" {
			t.Fatalf("spec check-in reply first: %v", rep)
		}
		if ch := read(t, ws); ch["msg_type"] != "agent_change" || ch[" agent_status"] != "BUSY" {
			t.Fatalf("spec agent_change after the reply: %v", ch)
		}
		roundTrip(t, ws, `{"req_id":"f","msg_type":"change_status","company_code":"090008","agent_id":"090008_6000","action":"MAKE_FREE"}`)
		read(t, ws) // agent_change FREE
		rep = roundTrip(t, ws, `{"req_id":"c","msg_type":"call","company_code":"090008","agent_id":"090008_6000","callee_number":"139"}`)
		for range 4 { // INITIATE, RINGING, CALLING, START_CALL
			read(t, ws)
		}
		if m := roundTrip(t, ws, `{"req_id":"m","msg_type":"mute","company_code":"090008","agent_id":"090008_6000","uuid":"`+rep["uuid"].(string)+`","mute":"1"}`); m["code"] != "0" {
			t.Fatalf("spec mute %v", m)
		}
		if m := roundTrip(t, ws, `{"req_id":"o","msg_type":"checkout","company_code":"090008","agent_id":"090008_6000"}`); m["code"] != "1" {
			t.Fatalf("spec checkout during a call is refused: %v", m)
		}
		if m := roundTrip(t, ws, `{"req_id":"g","msg_type":"get_status","company_code":"090008","agent_id":"090008_6000"}`); m["code"] != "1" {
			t.Fatalf("spec has no get_status: %v", m)
		}
	})
	t.Run("platform", func(t *testing.T) {
		s, base := platWorld(t)
		if s.Dialect() != DialectPlatform {
			t.Fatal(s.Dialect())
		}
		// No /ws in the platform dialect.
		resp, err := http.Get(base + "/ws")
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /ws: %v %v", resp, err)
		}
		resp.Body.Close()
		l := dialPlat(t, base, agent6k, "Windows")
		push, rep := l.checkin() // reply and push, in the server's order
		if push["agent_status"] != "FREE" || rep["msg_type"] != "checkin" {
			t.Fatalf("platform check-in %v %v", push, rep)
		}
		uuid := outboundCall(t, l)
		if m := l.reply(l.req("mute", "uuid", uuid, "mute", "1")); m["code"] != "4014" {
			t.Fatalf("platform mute %v", m)
		}
		if m := l.reply(l.req("get_status")); m["code"] != "0" || m["status"] != "CALLING" {
			t.Fatalf("platform get_status %v", m)
		}
		if m, _ := l.pair(l.sendReq("checkout"), isPush("OFFLINE")); m["code"] != "0" {
			t.Fatalf("platform checkout during a call: %v", m)
		}
	})
}
