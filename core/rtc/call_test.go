package rtc

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// taps remembers the audio tap of each call, set from the event handler
// when a call is answered (before media flows).
type taps struct {
	mu sync.Mutex
	m  map[string]*audioTap
	hz float64
}

func (tp *taps) hook(e Event) {
	if e.Type == EventCall && e.CallState == CallAnswered {
		tap := agentTone(e.Call, tp.hz)
		tp.mu.Lock()
		tp.m[e.Call.ID()] = tap
		tp.mu.Unlock()
	}
}

func (tp *taps) of(c *Call) *audioTap {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.m[c.ID()]
}

// phoneWithTone is a registered phone whose calls send a 440 Hz tone.
func phoneWithTone(t *testing.T, e *env, mod func(*Config)) (*Phone, *recorder, *taps) {
	t.Helper()
	p, rec := newPhone(t, e, mod)
	tp := &taps{m: map[string]*audioTap{}, hz: 440}
	rec.hook = tp.hook
	register(t, p)
	return p, rec, tp
}

// toneAtPBX waits until the PBX hears the agent's 440 Hz tone on uuid.
func toneAtPBX(t *testing.T, e *env, uuid, what string) pbx.Snapshot {
	t.Helper()
	s, err := e.pbx.WaitSnapshot(ctxT(t, 10*time.Second), uuid, func(s pbx.Snapshot) bool {
		return s.AudioRx.Packets > 10 && math.Abs(s.Tone.PeakHz-440) < 5 && s.Tone.PeakRatio > 0.8 &&
			time.Since(s.AudioRx.Last) < 100*time.Millisecond
	})
	if err != nil {
		t.Fatalf("%s: PBX does not hear the agent's tone: %v (%+v)", what, err, s.Tone)
	}
	return s
}

func TestAutoAnswerToneBothWays(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	const uuid = "cti-uuid-auto"
	sent := time.Now()
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, uuid, pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	if err := e.pbx.WaitAnswered(ctxT(t, 10*time.Second), uuid); err != nil {
		t.Fatalf("not answered: %v", err)
	}
	answered := time.Since(sent)
	i := 0
	ev := rec.wait(t, &i, "confirmed", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallConfirmed })
	c := ev.Call
	if c.UUID() != uuid || !c.AutoAnswer() || !c.Incoming() {
		t.Errorf("call uuid %q auto %v incoming %v", c.UUID(), c.AutoAnswer(), c.Incoming())
	}
	for _, ev := range rec.all() {
		if ev.Type == EventCall && ev.CallState == CallRinging {
			t.Error("an auto-answer call reported ringing")
		}
	}
	if p.CallByUUID(uuid) != c {
		t.Error("CallByUUID does not find the call")
	}
	s := toneAtPBX(t, e, uuid, "auto-answer")
	tp.of(c).waitTone(t, 1000, "auto-answer")
	rec.wait(t, &i, "ICE connected", func(ev Event) bool { return ev.Type == EventICE && ev.ICE == ICEConnected })
	tm := c.Timings()
	t.Logf("INVITE→200 OK (PBX side) %v; INVITE→first agent audio at PBX %v; INVITE received→first PBX audio at agent %v",
		answered, s.SetupTime, tm.FirstAudio.Sub(tm.Created))
	if s.AudioCodec == "" {
		t.Error("no audio codec at the PBX")
	}
	cv := p.Connectivity()
	if len(cv.Calls) != 1 || cv.Calls[0].UUID != uuid || cv.Calls[0].ICE != ICEConnected || !cv.OK {
		t.Errorf("connectivity %+v", cv)
	}
}

func TestRingingThenAnswer(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	const uuid = "cti-uuid-ring"
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, uuid, pbx.InviteOptions{Audio: pbx.DefaultAudio, Caller: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	i := 0
	ev := rec.wait(t, &i, "ringing", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallRinging })
	waitPBX(t, e.pev, "ringing", func(ev pbx.Event) bool { return ev.Type == pbx.EvRinging && ev.UUID == uuid && ev.Code == 180 })
	c := p.CallByUUID(uuid)
	if c == nil || c != ev.Call || c.AutoAnswer() {
		t.Fatalf("CallByUUID %v, event call %v", c, ev.Call)
	}
	if c.Remote() == "" || c.Header("X-CC-UUID") != uuid {
		t.Errorf("remote %q header %q", c.Remote(), c.Header("X-CC-UUID"))
	}
	if err := c.Answer(ctxT(t, 10*time.Second), AnswerOptions{}); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if c.State() != CallConfirmed {
		t.Errorf("state after Answer: %v", c.State())
	}
	if err := c.Answer(ctxT(t, time.Second), AnswerOptions{}); !errors.Is(err, ErrBadState) {
		t.Errorf("second Answer: %v", err)
	}
	if err := e.pbx.WaitAnswered(ctxT(t, 5*time.Second), uuid); err != nil {
		t.Fatal(err)
	}
	toneAtPBX(t, e, uuid, "answered")
	tp.of(c).waitTone(t, 1000, "answered")
}

func TestRejectWhileRinging(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, _ := phoneWithTone(t, e, nil)
	const uuid = "cti-uuid-reject"
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, uuid, pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	i := 0
	rec.wait(t, &i, "ringing", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallRinging })
	if err := p.CallByUUID(uuid).Reject(ctxT(t, time.Second), 603); err != nil {
		t.Fatal(err)
	}
	var re *pbx.RequestError
	if err := e.pbx.WaitAnswered(ctxT(t, 5*time.Second), uuid); !errors.As(err, &re) || re.Code != 603 {
		t.Fatalf("PBX WaitAnswered: %v, want 603", err)
	}
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Code != 603 {
		t.Errorf("ended code %d", ev.Code)
	}
}

func TestCancelWhileRinging(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, _ := phoneWithTone(t, e, nil)
	const uuid = "cti-uuid-cancel"
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, uuid, pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	i := 0
	rec.wait(t, &i, "ringing", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallRinging })
	c := p.CallByUUID(uuid)
	if err := e.pbx.Hangup(ctxT(t, 5*time.Second), uuid); err != nil {
		t.Fatalf("PBX hangup (CANCEL): %v", err)
	}
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Code != 487 || ev.Reason != "cancelled" {
		t.Errorf("ended %d %q, want 487 cancelled", ev.Code, ev.Reason)
	}
	pe := waitPBX(t, e.pev, "hungup", func(ev pbx.Event) bool { return ev.Type == pbx.EvHungup && ev.UUID == uuid })
	if pe.Code != 487 {
		t.Errorf("PBX hungup code %d", pe.Code)
	}
	if err := c.Answer(ctxT(t, time.Second), AnswerOptions{}); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Answer after CANCEL: %v", err)
	}
	if p.CallByUUID(uuid) != nil {
		t.Error("cancelled call still listed")
	}
}

// answeredCall sets up an auto-answered call with tone both ways.
func answeredCall(t *testing.T, e *env, p *Phone, rec *recorder, tp *taps, uuid string, from *int) *Call {
	t.Helper()
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, uuid, pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, from, "confirmed", func(ev Event) bool {
		return ev.Type == EventCall && ev.CallState == CallConfirmed && ev.Call.UUID() == uuid
	})
	toneAtPBX(t, e, uuid, "call up")
	tp.of(ev.Call).waitTone(t, 1000, "call up")
	return ev.Call
}

func TestByeFromPBX(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	c := answeredCall(t, e, p, rec, tp, "u-bye-pbx", &i)
	if err := e.pbx.Hangup(ctxT(t, 5*time.Second), "u-bye-pbx"); err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Reason != "remote hangup" {
		t.Errorf("reason %q", ev.Reason)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed")
	}
	s, _ := e.pbx.Snapshot("u-bye-pbx")
	if s.EndBy != "pbx" || s.EndCode != 200 {
		t.Errorf("PBX end %q %d", s.EndBy, s.EndCode)
	}
}

func TestByeFromAgent(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	c := answeredCall(t, e, p, rec, tp, "u-bye-agent", &i)
	if err := c.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	pe := waitPBX(t, e.pev, "hungup", func(ev pbx.Event) bool { return ev.Type == pbx.EvHungup && ev.UUID == "u-bye-agent" })
	if pe.By != "agent" {
		t.Errorf("PBX says hung up by %q", pe.By)
	}
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Reason != "local hangup" {
		t.Errorf("reason %q", ev.Reason)
	}
	if err := c.Hangup(ctxT(t, time.Second)); err != nil {
		t.Errorf("second Hangup: %v", err)
	}
}

func TestPBXHoldStopsMedia(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-hold"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	if err := e.pbx.Hold(ctxT(t, 5*time.Second), uuid, true); err != nil {
		t.Fatalf("PBX hold: %v", err)
	}
	ev := rec.wait(t, &i, "held", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallHeld })
	if !ev.RemoteHold || ev.LocalHold {
		t.Errorf("held event local %v remote %v", ev.LocalHold, ev.RemoteHold)
	}
	if _, err := e.pbx.WaitSnapshot(ctxT(t, 5*time.Second), uuid, func(s pbx.Snapshot) bool {
		return time.Since(s.AudioRx.Last) > 300*time.Millisecond && time.Since(s.AudioTx.Last) > 300*time.Millisecond
	}); err != nil {
		t.Fatalf("media did not stop on hold: %v", err)
	}
	if err := e.pbx.Hold(ctxT(t, 5*time.Second), uuid, false); err != nil {
		t.Fatalf("PBX unhold: %v", err)
	}
	ev = rec.wait(t, &i, "unheld", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallConfirmed })
	if ev.RemoteHold {
		t.Error("still remote hold")
	}
	toneAtPBX(t, e, uuid, "after unhold")
	tp.of(c).waitTone(t, 1000, "after unhold")
}

func TestAgentHold(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-agent-hold"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	if err := c.Hold(ctxT(t, 5*time.Second), true); err != nil {
		t.Fatalf("hold: %v", err)
	}
	pe := waitPBX(t, e.pev, "reinvite", func(ev pbx.Event) bool { return ev.Type == pbx.EvReinvite && ev.UUID == uuid })
	if !pe.Held {
		t.Errorf("PBX does not see hold: audio %v", pe.Audio)
	}
	ev := rec.wait(t, &i, "held", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallHeld })
	if !ev.LocalHold {
		t.Error("held event without LocalHold")
	}
	if _, err := e.pbx.WaitSnapshot(ctxT(t, 5*time.Second), uuid, func(s pbx.Snapshot) bool {
		return s.AgentHeld && time.Since(s.AudioRx.Last) > 300*time.Millisecond
	}); err != nil {
		t.Fatalf("agent still sends on hold: %v", err)
	}
	if err := c.Hold(ctxT(t, 5*time.Second), false); err != nil {
		t.Fatalf("unhold: %v", err)
	}
	pe = waitPBX(t, e.pev, "reinvite", func(ev pbx.Event) bool { return ev.Type == pbx.EvReinvite && ev.UUID == uuid })
	if pe.Held || pe.Audio != pbx.SendRecv {
		t.Errorf("PBX after unhold: held %v audio %v", pe.Held, pe.Audio)
	}
	toneAtPBX(t, e, uuid, "after agent unhold")
	tp.of(c).waitTone(t, 1000, "after agent unhold")
}

func TestDTMFThreeModes(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-dtmf"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	ctx := ctxT(t, 10*time.Second)
	for _, step := range []struct {
		digits string
		spec   int
	}{{"12", 3}, {"3#", 0}, {"45", 1}} {
		mode, err := DTMFModeFromSpec(step.spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SendDTMF(ctx, step.digits, mode); err != nil {
			t.Fatalf("SendDTMF %q %v: %v", step.digits, mode, err)
		}
		// Media digits are queued and played out over ~100 ms each; wait
		// for them before the next mode so the order is known.
		if s, err := e.pbx.WaitSnapshot(ctx, uuid, func(s pbx.Snapshot) bool {
			return strings.HasSuffix(s.Digits, step.digits)
		}); err != nil {
			t.Fatalf("PBX digits %q after sending %q: %v", s.Digits, step.digits, err)
		}
	}
	s, err := e.pbx.WaitSnapshot(ctx, uuid, func(s pbx.Snapshot) bool { return len(s.Digits) >= 6 })
	if err != nil {
		t.Fatalf("PBX digits %q: %v", s.Digits, err)
	}
	if s.Digits != "123#45" {
		t.Errorf("PBX digits %q, want 123#45", s.Digits)
	}
	want := []pbx.DTMFMode{pbx.DTMFRFC4733, pbx.DTMFRFC4733, pbx.DTMFInfo, pbx.DTMFInfo, pbx.DTMFInband, pbx.DTMFInband}
	for k, d := range s.DTMF {
		if k < len(want) && d.Mode != want[k] {
			t.Errorf("digit %d %q mode %v, want %v", k, d.Digit, d.Mode, want[k])
		}
	}
	// A SIP INFO digit from the PBX is reported.
	code, err := e.pbx.SendInfo(ctx, uuid, "application/dtmf-relay", []byte("Signal=7\r\nDuration=160\r\n"))
	if err != nil || code != 200 {
		t.Fatalf("PBX INFO: %d %v", code, err)
	}
	ev := rec.wait(t, &i, "dtmf", func(ev Event) bool { return ev.Type == EventDTMF })
	if ev.Digit != "7" || ev.DTMFMode != DTMFInfo || ev.Call != c {
		t.Errorf("dtmf event %q %v", ev.Digit, ev.DTMFMode)
	}
	code, err = e.pbx.SendInfo(ctx, uuid, "application/x-cc-note", []byte("hello"))
	if err != nil || code != 200 {
		t.Fatalf("PBX INFO: %d %v", code, err)
	}
	ev = rec.wait(t, &i, "info", func(ev Event) bool { return ev.Type == EventInfo })
	if string(ev.Body) != "hello" || ev.ContentType != "application/x-cc-note" {
		t.Errorf("info event %q %q", ev.ContentType, ev.Body)
	}
}

func TestChangeMediaVideo(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec, tp := phoneWithTone(t, e, nil)
	i := 0
	const uuid = "u-video"
	c := answeredCall(t, e, p, rec, tp, uuid, &i)
	ctx := ctxT(t, 10*time.Second)
	// The PBX adds video.
	if err := e.pbx.ChangeMedia(ctx, uuid, 3, 3); err != nil {
		t.Fatalf("PBX change_media 3/3: %v", err)
	}
	if s, err := e.pbx.Snapshot(uuid); err != nil || s.Video != pbx.SendRecv || s.Audio != pbx.SendRecv {
		t.Fatalf("after adding video: audio %v video %v (%v)", s.Audio, s.Video, err)
	}
	// The PBX removes it again.
	if err := e.pbx.ChangeMedia(ctx, uuid, 3, 0); err != nil {
		t.Fatalf("PBX change_media 3/0: %v", err)
	}
	if s, _ := e.pbx.Snapshot(uuid); s.Video > 0 {
		t.Errorf("video still %v after removal", s.Video)
	}
	toneAtPBX(t, e, uuid, "after PBX change_media")
	// The agent asks for receive-only audio and video both ways.
	if err := c.ChangeMedia(ctx, RecvOnly, SendRecv); err != nil {
		t.Fatalf("agent change_media: %v", err)
	}
	pe := waitPBX(t, e.pev, "reinvite", func(ev pbx.Event) bool { return ev.Type == pbx.EvReinvite && ev.UUID == uuid })
	if pe.Audio != pbx.RecvOnly || pe.Video != pbx.SendRecv {
		t.Errorf("PBX sees audio %v video %v, want recvonly/sendrecv", pe.Audio, pe.Video)
	}
	if _, err := e.pbx.WaitSnapshot(ctx, uuid, func(s pbx.Snapshot) bool {
		return time.Since(s.AudioRx.Last) > 300*time.Millisecond
	}); err != nil {
		t.Errorf("agent still sends audio when recvonly: %v", err)
	}
	tp.of(c).waitTone(t, 1000, "agent recvonly still hears")
	if err := c.ChangeMedia(ctx, SendRecv, Inactive); err != nil {
		t.Fatalf("agent change_media back: %v", err)
	}
	toneAtPBX(t, e, uuid, "after agent change_media back")
}
