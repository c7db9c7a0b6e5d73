package rtc

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The agent calls out (for completeness): the PBX answers with its tone.
func TestDialOut(t *testing.T) {
	e := newEnv(t, false, func(c *pbx.Config) { c.AcceptAgentCalls, c.AutoAnswerAgentCalls = true, true })
	p, rec, tp := phoneWithTone(t, e, nil)
	start := time.Now()
	c, err := p.Dial(ctxT(t, 10*time.Second), "sip:9000@"+testDomain, DialOptions{UUID: "u-dial", Headers: map[string]string{"X-CC-Note": "hi"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Logf("outgoing INVITE→confirmed %v", time.Since(start))
	pe := waitPBX(t, e.pev, "incoming", func(ev pbx.Event) bool { return ev.Type == pbx.EvIncoming })
	if pe.UUID != "u-dial" || pe.Headers["X-CC-Note"] != "hi" {
		t.Errorf("PBX incoming %q %v", pe.UUID, pe.Headers)
	}
	if c.State() != CallConfirmed || c.Incoming() || p.CallByUUID("u-dial") != c {
		t.Errorf("state %v incoming %v", c.State(), c.Incoming())
	}
	i := 0
	rec.wait(t, &i, "calling", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallCalling })
	// Outgoing calls get no CallAnswered event (tone hook), so set up the tone here.
	tap := agentTone(c, 440)
	_ = tp
	toneAtPBX(t, e, "u-dial", "dial out")
	tap.waitTone(t, 1000, "dial out")
	if err := c.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitPBX(t, e.pev, "hungup", func(ev pbx.Event) bool { return ev.Type == pbx.EvHungup && ev.By == "agent" })
}

func TestDialRefusedAndCancelled(t *testing.T) {
	e := newEnv(t, false, func(c *pbx.Config) { c.AcceptAgentCalls = true })
	p, _, _ := phoneWithTone(t, e, nil)
	// Left ringing by the PBX, which then gives up (487).
	ctx := ctxT(t, 10*time.Second)
	go func() {
		for ev := range e.pev {
			if ev.Type == pbx.EvIncoming {
				_ = e.pbx.Hangup(ctx, ev.UUID)
				return
			}
		}
	}()
	_, err := p.Dial(ctx, "9000", DialOptions{UUID: "u-ring"})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 487 {
		t.Fatalf("dial: %v, want 487", err)
	}
	if len(p.Calls()) != 0 {
		t.Errorf("calls left: %d", len(p.Calls()))
	}
	// Left ringing, and the agent gives up: ctx ends, CANCEL goes out.
	dctx, cancel := context.WithCancel(ctx)
	go func() {
		for ev := range e.pev {
			if ev.Type == pbx.EvIncoming {
				cancel()
				return
			}
		}
	}()
	_, err = p.Dial(dctx, "9001", DialOptions{UUID: "u-ring2"})
	if !errors.As(err, &se) || se.Code != 487 {
		t.Fatalf("dial cancelled: %v, want 487", err)
	}
	// The 487 reaches us as the PBX records the end: wait for the record.
	s, err := e.pbx.WaitSnapshot(ctx, "u-ring2", func(s pbx.Snapshot) bool { return s.EndBy != "" })
	if err != nil || s.EndBy != "agent" || s.EndCode != 487 {
		t.Errorf("PBX end %q %d (%v)", s.EndBy, s.EndCode, err)
	}
}

func TestDialForbidden(t *testing.T) {
	e := newEnv(t, false, nil) // agent calls not accepted: 403
	p, rec, _ := phoneWithTone(t, e, nil)
	_, err := p.Dial(ctxT(t, 10*time.Second), "9000", DialOptions{})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 403 {
		t.Fatalf("dial: %v, want 403", err)
	}
	i := 0
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Code != 403 {
		t.Errorf("ended code %d", ev.Code)
	}
}

// Close hangs up calls and removes the binding before closing the link.
func TestCloseSaysGoodbye(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	answeredCall(t, e, p, rec, tp, "u-close", &i)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	pe := waitPBX(t, e.pev, "hungup", func(ev pbx.Event) bool { return ev.Type == pbx.EvHungup && ev.UUID == "u-close" })
	if pe.By != "agent" {
		t.Errorf("call ended by %q at the PBX", pe.By)
	}
	pe = waitPBX(t, e.pev, "unregistered", func(ev pbx.Event) bool { return ev.Type == pbx.EvUnregistered })
	if pe.Reason != "expires 0" {
		t.Errorf("unregistered %q", pe.Reason)
	}
	evs := rec.all()
	last := evs[len(evs)-1]
	if last.Type != EventConnectivity && !(last.Type == EventLink && last.Link == LinkClosed) {
		t.Errorf("last event %v %v", last.Type, last.Link)
	}
	if err := p.Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// wss:// with a private CA, and the insecure switch.
func TestWSSCustomCA(t *testing.T) {
	p0, err := pbx.New(pbx.Config{Domain: testDomain, Users: map[string]string{testExt: testPwd}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/custom/path", p0)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(func() { _ = p0.Close(); srv.Close() })
	url := "wss://" + srv.Listener.Addr().String() + "/custom/path"
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	e := &env{t: t, pbx: p0, url: url}

	// Without the CA: the handshake fails and the phone keeps retrying.
	bad, rec := newPhone(t, e, nil)
	_ = bad.Start()
	i := 0
	ev := rec.wait(t, &i, "reconnecting", func(ev Event) bool { return ev.Type == EventLink && ev.Link == LinkReconnecting })
	if !strings.Contains(ev.Reason, "certificate") {
		t.Errorf("reason %q", ev.Reason)
	}
	_ = bad.Close()

	good, _ := newPhone(t, e, func(c *Config) { c.CAPEM = caPEM; c.Domain = "" })
	if good.Config().Domain != "127.0.0.1" {
		t.Errorf("domain default %q", good.Config().Domain)
	}
	// The PBX's realm is its own domain; the AOR domain may differ.
	register(t, good)
	if !p0.Registered(testExt) {
		t.Error("not registered over wss")
	}
	_ = good.Close()

	insecure, _ := newPhone(t, e, func(c *Config) { c.InsecureSkipVerify = true })
	register(t, insecure)
}

// RFC 5626 CRLF keepalive: answered when the server pings, and sent when
// configured (the PBX ignores it; the link stays up).
func TestCRLFKeepalive(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, func(c *Config) {
		c.Keepalive = Keepalive{Mode: KeepaliveCRLF, Interval: 50 * time.Millisecond, Timeout: 100 * time.Millisecond}
	})
	register(t, p)
	// Keepalives go out for a while; a refresh-free window must see no drop.
	time.Sleep(400 * time.Millisecond) // ≥ 8 keepalive periods: nothing to wait for, the link must simply stay
	for _, ev := range rec.all() {
		if ev.Type == EventLink && ev.Link == LinkReconnecting {
			t.Fatalf("link dropped: %q", ev.Reason)
		}
	}
	if !e.pbx.Registered(testExt) {
		t.Error("binding lost")
	}
}
