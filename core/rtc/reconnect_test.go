package rtc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The phone's WebSocket drops mid-call behind an edge that keeps the
// PBX's side (as a WebSocket proxy / SBC does): the phone reconnects,
// registers again and sends an ICE-restart re-INVITE; audio goes on.
func TestLinkDropMidCallICERestart(t *testing.T) {
	e := newEnv(t, true, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-reconnect"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	before, _ := e.pbx.Snapshot(uuid)

	dropped := time.Now()
	e.relay.dropPhone()
	ev := rec.wait(t, &i, "link down", func(ev Event) bool { return ev.Type == EventLink && ev.Link == LinkReconnecting })
	if ev.Attempt != 1 || ev.Reason == "" {
		t.Errorf("reconnecting event attempt %d reason %q", ev.Attempt, ev.Reason)
	}
	rec.wait(t, &i, "link up", func(ev Event) bool { return ev.Type == EventLink && ev.Link == LinkConnected })
	ev = rec.wait(t, &i, "registered again", func(ev Event) bool {
		return ev.Type == EventRegistration && ev.Registration == RegRegistered
	})
	if ev.Reason != "link restored" {
		t.Errorf("re-registration reason %q", ev.Reason)
	}
	pe := waitPBX(t, e.pev, "ICE-restart re-INVITE", func(ev pbx.Event) bool { return ev.Type == pbx.EvReinvite && ev.UUID == uuid })
	t.Logf("link drop → ICE-restart re-INVITE answered: %v", pe.At.Sub(dropped))
	if pe.Held || pe.Audio != pbx.SendRecv {
		t.Errorf("restart re-INVITE: held %v audio %v", pe.Held, pe.Audio)
	}
	if e.relay.connections() != 2 {
		t.Errorf("relay saw %d phone connections, want 2", e.relay.connections())
	}
	if c.State() != CallConfirmed {
		t.Fatalf("call state after reconnect: %v", c.State())
	}
	// Audio flows both ways after the restart.
	s, err := e.pbx.WaitSnapshot(ctxT(t, 10*time.Second), uuid, func(s pbx.Snapshot) bool {
		return s.AudioRx.Packets > before.AudioRx.Packets+25 && s.Tone.PeakRatio > 0.8 && time.Since(s.AudioRx.Last) < 100*time.Millisecond
	})
	if err != nil {
		t.Fatalf("no audio at the PBX after the restart: %v (%+v)", err, s.Tone)
	}
	tp.of(c).waitTone(t, 1000, "after reconnect")
	cv := p.Connectivity()
	if !cv.OK || len(cv.Calls) != 1 {
		t.Errorf("connectivity after reconnect: %+v", cv)
	}
}

// Without such an edge the PBX ends the call with the transport; the
// phone's ICE-restart re-INVITE gets 481 and the call is reported ended.
func TestLinkDropPBXEndsCall(t *testing.T) {
	e := newEnv(t, true, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-reconnect-lost"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	e.relay.dropAll()
	pe := waitPBX(t, e.pev, "hungup", func(ev pbx.Event) bool { return ev.Type == pbx.EvHungup && ev.UUID == uuid })
	if pe.By != "transport" {
		t.Errorf("PBX ended by %q", pe.By)
	}
	rec.wait(t, &i, "registered again", func(ev Event) bool {
		return ev.Type == EventRegistration && ev.Registration == RegRegistered
	})
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	// Either the re-INVITE got 481, or the media (whose DTLS the PBX
	// closed) could not make an offer and the phone sent BYE.
	if (ev.Code != 481 || ev.Reason != "dialog lost") && !strings.HasPrefix(ev.Reason, "media lost after reconnect") {
		t.Errorf("ended %d %q, want 481 dialog lost or media lost", ev.Code, ev.Reason)
	}
	if c.State() != CallEnded || p.CallByUUID(uuid) != nil {
		t.Error("call still live")
	}
	// The phone is usable again: a new call works.
	answeredCall(t, e, p, rec, tp, "u-after", &i)
}

// A ringing INVITE cannot outlive the link.
func TestLinkDropWhileRinging(t *testing.T) {
	e := newEnv(t, true, nil)
	p, rec, _ := phoneWithTone(t, e, nil)
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, "u-ring-drop", pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	i := 0
	ev := rec.wait(t, &i, "ringing", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallRinging })
	e.relay.dropAll()
	end := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if end.Call != ev.Call || end.Reason != "link lost" {
		t.Errorf("ended %q", end.Reason)
	}
	if err := ev.Call.Answer(ctxT(t, time.Second), AnswerOptions{}); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Answer after link loss: %v", err)
	}
	_ = p
}

// A dead link (no pong) is detected by the keepalive and replaced.
func TestKeepaliveDetectsDeadLink(t *testing.T) {
	e := newEnv(t, true, nil)
	p, rec := newPhone(t, e, func(c *Config) {
		c.Keepalive = Keepalive{Mode: KeepaliveWSPing, Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
	})
	register(t, p)
	// The path dies: the far end stops answering pings.
	e.relay.deafen()
	i := 0
	ev := rec.wait(t, &i, "link down", func(ev Event) bool { return ev.Type == EventLink && ev.Link == LinkReconnecting })
	if ev.Reason != "keepalive timeout" {
		t.Errorf("reason %q", ev.Reason)
	}
	rec.wait(t, &i, "registered again", func(ev Event) bool {
		return ev.Type == EventRegistration && ev.Registration == RegRegistered
	})
}
