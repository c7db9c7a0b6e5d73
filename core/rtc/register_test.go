package rtc

import (
	"errors"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

func TestRegisterRefreshUnregister(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, func(c *Config) { c.Expires = 2 * time.Second })
	start := time.Now()
	register(t, p)
	t.Logf("register (WS dial + REGISTER + 401 + REGISTER) took %v", time.Since(start))

	pe := waitPBX(t, e.pev, "registered", func(ev pbx.Event) bool { return ev.Type == pbx.EvRegistered && ev.Ext == testExt })
	if pe.Headers["X-CC-Company"] != "acme" {
		t.Errorf("company header at the PBX: %v", pe.Headers)
	}
	reg, ok := e.pbx.Registration(testExt)
	if !ok {
		t.Fatal("PBX has no binding")
	}
	if reg.UserAgent != "cloudcc-agent-sdk" {
		t.Errorf("User-Agent %q", reg.UserAgent)
	}
	i := 0
	ev := rec.wait(t, &i, "registering", func(ev Event) bool { return ev.Type == EventRegistration })
	if ev.Registration != RegRegistering {
		t.Errorf("first registration event %v, want registering", ev.Registration)
	}
	ev = rec.wait(t, &i, "registered", func(ev Event) bool { return ev.Type == EventRegistration })
	if ev.Registration != RegRegistered || ev.Expires != 2*time.Second {
		t.Errorf("registered event: %v expires %v", ev.Registration, ev.Expires)
	}
	// The refresh comes at half of 2s (the floor of the refresh rule).
	ev = rec.wait(t, &i, "refresh", func(ev Event) bool { return ev.Type == EventRegistration })
	if ev.Registration != RegRegistered || ev.Reason != "refreshed" {
		t.Fatalf("after registered: %v %q, want a refresh", ev.Registration, ev.Reason)
	}
	if d := ev.At.Sub(start); d < 900*time.Millisecond || d > 2*time.Second {
		t.Errorf("refresh after %v, want about 1s", d)
	}
	reg2, ok := e.pbx.Registration(testExt)
	if !ok || !reg2.Expires.After(reg.Expires) {
		t.Errorf("binding not extended by the refresh: %v -> %v", reg.Expires, reg2.Expires)
	}
	// Two refreshes more keep it alive past the first lifetime.
	rec.wait(t, &i, "second refresh", func(ev Event) bool { return ev.Type == EventRegistration && ev.Reason == "refreshed" })
	if !e.pbx.Registered(testExt) {
		t.Fatal("binding expired despite refreshes")
	}

	if err := p.Unregister(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("unregister: %v", err)
	}
	pe = waitPBX(t, e.pev, "unregistered", func(ev pbx.Event) bool { return ev.Type == pbx.EvUnregistered })
	if pe.Reason != "expires 0" {
		t.Errorf("PBX unregistered reason %q", pe.Reason)
	}
	rec.wait(t, &i, "unregistered", func(ev Event) bool {
		return ev.Type == EventRegistration && ev.Registration == RegUnregistered
	})
	if p.Registration() != RegUnregistered {
		t.Errorf("state %v", p.Registration())
	}
	// No refresh after Unregister.
	if err := e.pbx.WaitRegistered(ctxT(t, 1500*time.Millisecond), testExt); err == nil {
		t.Error("registered again after Unregister")
	}
	// Register comes back.
	register(t, p)
	if !e.pbx.Registered(testExt) {
		t.Error("not registered after Register")
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, func(c *Config) { c.Password = "wrong" })
	err := p.Register(ctxT(t, 10*time.Second))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 403 {
		t.Fatalf("Register: %v, want a 403 StatusError", err)
	}
	i := 0
	ev := rec.wait(t, &i, "failed", func(ev Event) bool { return ev.Type == EventRegistration && ev.Registration == RegFailed })
	if ev.Code != 403 {
		t.Errorf("failed event code %d (%q)", ev.Code, ev.Reason)
	}
	waitPBX(t, e.pev, "auth_failed", func(ev pbx.Event) bool { return ev.Type == pbx.EvAuthFailed })
	// No retry loop after a 403: the PBX sees no other attempt.
	time.Sleep(300 * time.Millisecond) // a window for a wrong retry to show; nothing is awaited
	for _, ev := range rec.all()[i:] {
		if ev.Type == EventRegistration {
			t.Errorf("registration event after the 403: %v %q", ev.Registration, ev.Reason)
		}
	}
	if e.pbx.Registered(testExt) {
		t.Error("registered with a wrong password")
	}
	if err := p.WaitRegistered(ctxT(t, time.Second)); !errors.As(err, &se) {
		t.Errorf("WaitRegistered after 403: %v", err)
	}
}

func TestConnectivityView(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, nil)
	register(t, p)
	i := 0
	ev := rec.wait(t, &i, "connectivity ok", func(ev Event) bool { return ev.Type == EventConnectivity && ev.Connectivity.OK })
	if ev.Connectivity.Link != LinkConnected || ev.Connectivity.Registration != RegRegistered {
		t.Errorf("view %+v", *ev.Connectivity)
	}
	c := p.Connectivity()
	if !c.OK || len(c.Calls) != 0 {
		t.Errorf("Connectivity() = %+v", c)
	}
}
