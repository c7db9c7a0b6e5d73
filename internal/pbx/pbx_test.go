package pbx_test

import (
	"context"
	. "github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/internal/pbx/pbxtest"

	"errors"
	"github.com/emiago/sipgo"
	"github.com/pion/webrtc/v4"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const testDomain = "cc.test"

func startPBX(t *testing.T, mod func(*Config)) (*PBX, string) {
	t.Helper()
	cfg := Config{
		Domain: testDomain,
		Users:  map[string]string{"1001": "secret1001", "1002": "secret1002"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sip", p)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		_ = p.Close()
		srv.Close()
	})
	return p, srv.Listener.Addr().String()
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func waitEvent(t *testing.T, ch <-chan Event, what string, pred func(Event) bool) Event {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("event stream closed waiting for %s", what)
			}
			if pred(e) {
				return e
			}
		case <-timeout.C:
			t.Fatalf("no %s event", what)
		}
	}
}

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// registered starts a test agent and registers it.
func registered(t *testing.T, p *PBX, addr, ext string, toneHz float64) *pbxtest.Agent {
	t.Helper()
	a := pbxtest.NewAgent(t, addr, testDomain, ext, toneHz)
	res, err := a.Register(ctxT(t, 5*time.Second), "secret"+ext, 300)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", ext, res, err)
	}
	if !p.Registered(ext) {
		t.Fatalf("%s not registered", ext)
	}
	return a
}

// answeredCall places an auto-answer call to the agent and waits for it.
func answeredCall(t *testing.T, p *PBX, a *pbxtest.Agent, uuid string, opts InviteOptions) *pbxtest.Call {
	t.Helper()
	opts.AutoAnswer = true
	if opts.Audio == 0 {
		opts.Audio = DefaultAudio
	}
	ctx := ctxT(t, 10*time.Second)
	if err := p.Invite(ctx, a.Ext(), uuid, opts); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitAnswered(ctx, uuid); err != nil {
		t.Fatal(err)
	}
	c := a.WaitIncoming(ctx)
	if c.UUID != uuid {
		t.Fatalf("X-CC-UUID = %q, want %q", c.UUID, uuid)
	}
	return c
}

func TestRegisterDigest(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()

	bad := pbxtest.NewAgent(t, addr, testDomain, "1002", 440)
	res, err := bad.Register(ctxT(t, 5*time.Second), "wrong", 300)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 403 {
		t.Fatalf("wrong password: %d, want 403", res.StatusCode)
	}
	if p.Registered("1002") {
		t.Fatal("registered with a wrong password")
	}
	waitEvent(t, ev, "auth_failed", func(e Event) bool { return e.Type == EvAuthFailed && e.Ext == "1002" })

	a := pbxtest.NewAgent(t, addr, testDomain, "1001", 440)
	res, err = a.Register(ctxT(t, 5*time.Second), "secret1001", 300)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	e := waitEvent(t, ev, "registered", func(e Event) bool { return e.Type == EvRegistered })
	if e.Ext != "1001" || e.Headers["X-CC-Company"] != "acme" {
		t.Fatalf("registered event %+v", e)
	}
	reg, ok := p.Registration("1001")
	if !ok || reg.Contact != a.Contact() || time.Until(reg.Expires) < 290*time.Second {
		t.Fatalf("registration %+v", reg)
	}

	// Unregister.
	res, err = a.Register(ctxT(t, 5*time.Second), "secret1001", 0)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("unregister: %v %v", res, err)
	}
	waitEvent(t, ev, "unregistered", func(e Event) bool { return e.Type == EvUnregistered && e.Ext == "1001" })
	if p.Registered("1001") {
		t.Fatal("still registered")
	}
	if err := p.Invite(ctxT(t, time.Second), "1001", "u", InviteOptions{}); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("invite to unregistered: %v", err)
	}
}

func TestAutoAnswerToneBothWays(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	c := answeredCall(t, p, a, "call-1", InviteOptions{})
	if !c.AutoAnswer {
		t.Fatal("INVITE had no answer-after=0 hint")
	}
	e := waitEvent(t, ev, "answered", func(e Event) bool { return e.Type == EvAnswered })
	if e.UUID != "call-1" || e.Audio != SendRecv || e.Video != -1 {
		t.Fatalf("answered %+v", e)
	}
	ms := waitEvent(t, ev, "media_started", func(e Event) bool { return e.Type == EvMediaStarted })
	if ms.SetupTime <= 0 || ms.SetupTime > 5*time.Second {
		t.Fatalf("setup time %v", ms.SetupTime)
	}

	// The PBX hears the agent's 440 Hz.
	s, err := p.WaitSnapshot(ctxT(t, 10*time.Second), "call-1", func(s Snapshot) bool {
		return s.AudioRx.Packets >= 20 && math.Abs(s.Tone.PeakHz-440) <= 3 && s.Tone.PeakRatio > 0.8
	})
	if err != nil {
		t.Fatalf("%v; tone %+v rx %d", err, s.Tone, s.AudioRx.Packets)
	}
	// The agent hears the PBX's 1 kHz.
	waitFor(t, "agent hears 1 kHz", func() bool {
		pcm := c.Recent(1600)
		return len(pcm) == 1600 && ToneRatio(pcm, SampleRate, 1000) > 0.8
	})
	if got := AnalyseTone(c.Recent(1600), SampleRate); math.Abs(got.PeakHz-1000) > 3 {
		t.Fatalf("agent's peak %v", got)
	}
	if s.State != "answered" || s.Audio != SendRecv || s.AudioCodec != "audio/pcmu" || s.SetupTime <= 0 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestRingCancelAndReject(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	a.SetRingOnly(true)

	ctx := ctxT(t, 10*time.Second)
	if err := p.Invite(ctx, "1001", "ring-1", InviteOptions{Audio: 3}); err != nil {
		t.Fatal(err)
	}
	c := a.WaitIncoming(ctx)
	if c.AutoAnswer {
		t.Fatal("plain INVITE carried an auto-answer hint")
	}
	waitEvent(t, ev, "ringing", func(e Event) bool { return e.Type == EvRinging && e.UUID == "ring-1" && e.Code == 180 })
	if err := p.Hangup(ctx, "ring-1"); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "ring-1" })
	if e.By != "pbx" || e.Code != 487 {
		t.Fatalf("cancel: %+v", e)
	}
	select {
	case <-c.Ended():
	case <-ctx.Done():
		t.Fatal("agent did not see the CANCEL")
	}
	if err := p.WaitAnswered(ctx, "ring-1"); !errors.Is(err, ErrCallEnded) {
		t.Fatalf("WaitAnswered after cancel: %v", err)
	}

	// The agent declines.
	a.SetReject(486)
	if err := p.Invite(ctx, "1001", "ring-2", InviteOptions{Audio: 3}); err != nil {
		t.Fatal(err)
	}
	var re *RequestError
	if err := p.WaitAnswered(ctx, "ring-2"); !errors.As(err, &re) || re.Code != 486 {
		t.Fatalf("WaitAnswered after 486: %v", err)
	}
	e = waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "ring-2" })
	if e.By != "agent" || e.Code != 486 {
		t.Fatalf("reject: %+v", e)
	}
}

func TestDTMFThreeModes(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	c := answeredCall(t, p, a, "dtmf-1", InviteOptions{})
	if _, err := p.WaitSnapshot(ctxT(t, 10*time.Second), "dtmf-1", func(s Snapshot) bool { return s.AudioRx.Packets > 5 }); err != nil {
		t.Fatal(err)
	}
	expect := func(digits string, mode DTMFMode) {
		t.Helper()
		for i := range len(digits) {
			e := waitEvent(t, ev, "dtmf "+string(digits[i]), func(e Event) bool { return e.Type == EvDTMF })
			if e.Digit != string(digits[i]) || e.Mode != mode || e.UUID != "dtmf-1" {
				t.Fatalf("digit %d: %+v, want %c by %s", i, e, digits[i], mode)
			}
		}
	}
	c.QueueDTMF("12#", false)
	expect("12#", DTMFRFC4733)
	for _, d := range []string{"5", "*"} {
		code, err := c.Info(ctxT(t, 5*time.Second), d)
		if err != nil || code != 200 {
			t.Fatalf("INFO: %d %v", code, err)
		}
	}
	expect("5*", DTMFInfo)
	c.QueueDTMF("709D", true)
	expect("709D", DTMFInband)
	s, _ := p.Snapshot("dtmf-1")
	if s.Digits != "12#5*709D" {
		t.Fatalf("digits %q", s.Digits)
	}
}

func TestHoldStopsMedia(t *testing.T) {
	p, addr := startPBX(t, nil)
	a := registered(t, p, addr, "1001", 440)
	c := answeredCall(t, p, a, "hold-1", InviteOptions{})
	ctx := ctxT(t, 20*time.Second)
	if _, err := p.WaitSnapshot(ctx, "hold-1", func(s Snapshot) bool { return s.AudioRx.Packets > 10 }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "agent receives", func() bool { rx, _, _ := c.Stats(); return rx > 10 })

	if err := p.Hold(ctx, "hold-1", true); err != nil {
		t.Fatal(err)
	}
	// Nothing arrives either way for a while.
	quiet := func(s Snapshot) bool {
		return time.Since(s.AudioRx.Last) > 300*time.Millisecond && time.Since(s.AudioTx.Last) > 300*time.Millisecond
	}
	s, err := p.WaitSnapshot(ctx, "hold-1", quiet)
	if err != nil {
		t.Fatalf("media still flows on hold: %v", err)
	}
	if !s.Held || s.Audio != Inactive {
		t.Fatalf("held snapshot %+v", s)
	}
	agentRx, _, _ := c.Stats()
	rxBefore := s.AudioRx.Packets
	if _, err := p.WaitSnapshot(ctx, "hold-1", func(s Snapshot) bool { return time.Since(s.AudioRx.Last) > 600*time.Millisecond }); err != nil {
		t.Fatal(err)
	}
	s, _ = p.Snapshot("hold-1")
	if agentRx2, _, _ := c.Stats(); agentRx2 != agentRx || s.AudioRx.Packets != rxBefore {
		t.Fatalf("packets during hold: agent %d→%d, pbx %d→%d", agentRx, agentRx2, rxBefore, s.AudioRx.Packets)
	}

	if err := p.Hold(ctx, "hold-1", false); err != nil {
		t.Fatal(err)
	}
	if s, err := p.WaitSnapshot(ctx, "hold-1", func(s Snapshot) bool {
		return s.AudioRx.Packets > rxBefore+10 && !s.Held && s.Audio == SendRecv
	}); err != nil {
		t.Fatalf("%v: %+v", err, s)
	}
	waitFor(t, "agent receives after unhold", func() bool { rx, _, _ := c.Stats(); return rx > agentRx+10 })
}

func TestAgentHold(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	c := answeredCall(t, p, a, "ahold-1", InviteOptions{})
	ctx := ctxT(t, 20*time.Second)
	if code, err := c.Hold(ctx, true); err != nil || code != 200 {
		t.Fatalf("agent hold: %d %v", code, err)
	}
	e := waitEvent(t, ev, "reinvite", func(e Event) bool { return e.Type == EvReinvite })
	if !e.Held || e.Audio != SendOnly {
		t.Fatalf("reinvite %+v", e)
	}
	// The PBX answered recvonly: it stops sending, and still hears the agent.
	s, err := p.WaitSnapshot(ctx, "ahold-1", func(s Snapshot) bool { return time.Since(s.AudioTx.Last) > 300*time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitSnapshot(ctx, "ahold-1", func(x Snapshot) bool { return x.AudioRx.Packets > s.AudioRx.Packets+10 }); err != nil {
		t.Fatal(err)
	}
	if code, err := c.Hold(ctx, false); err != nil || code != 200 {
		t.Fatalf("agent unhold: %d %v", code, err)
	}
	e = waitEvent(t, ev, "reinvite", func(e Event) bool { return e.Type == EvReinvite })
	if e.Held || e.Audio != SendRecv {
		t.Fatalf("reinvite %+v", e)
	}
	if _, err := p.WaitSnapshot(ctx, "ahold-1", func(x Snapshot) bool { return x.AudioTx.Packets > s.AudioTx.Packets+10 }); err != nil {
		t.Fatal(err)
	}
}

func TestChangeMediaVideo(t *testing.T) {
	p, addr := startPBX(t, nil)
	a := registered(t, p, addr, "1001", 440)
	c := answeredCall(t, p, a, "video-1", InviteOptions{})
	ctx := ctxT(t, 20*time.Second)
	if s, _ := p.Snapshot("video-1"); s.Video != -1 {
		t.Fatalf("audio call has video %v", s.Video)
	}
	if err := p.ChangeMedia(ctx, "video-1", 3, 3); err != nil {
		t.Fatal(err)
	}
	s, err := p.WaitSnapshot(ctx, "video-1", func(s Snapshot) bool {
		return s.Video == SendRecv && s.VideoRx.Packets > 3 && s.VideoTx.Packets > 3
	})
	if err != nil {
		t.Fatalf("%v: %+v", err, s)
	}
	waitFor(t, "agent receives video", func() bool { _, v, _ := c.Stats(); return v > 3 })

	// Back to audio only: video inactive, audio still flows.
	if err := p.ChangeMedia(ctx, "video-1", 3, 0); err != nil {
		t.Fatal(err)
	}
	s, err = p.WaitSnapshot(ctx, "video-1", func(s Snapshot) bool {
		return s.Video == Inactive && time.Since(s.VideoRx.Last) > 300*time.Millisecond
	})
	if err != nil {
		t.Fatalf("%v: %+v", err, s)
	}
	if _, err := p.WaitSnapshot(ctx, "video-1", func(x Snapshot) bool { return x.AudioRx.Packets > s.AudioRx.Packets+10 }); err != nil {
		t.Fatal(err)
	}

	// A one-way video call from the start: the agent only receives video.
	if err := p.Hangup(ctx, "video-1"); err != nil {
		t.Fatal(err)
	}
	c2 := answeredCall(t, p, a, "video-2", InviteOptions{Audio: 3, Video: 2, Pixels: 720})
	if h := c2.Invite.GetHeader("X-CC-Pixels"); h == nil || h.Value() != "720" {
		t.Fatalf("X-CC-Pixels %v", h)
	}
	s, err = p.WaitSnapshot(ctx, "video-2", func(s Snapshot) bool { return s.Video == RecvOnly && s.VideoTx.Packets > 3 })
	if err != nil {
		t.Fatalf("%v: %+v", err, s)
	}
	waitFor(t, "agent receives one-way video", func() bool { _, v, _ := c2.Stats(); return v > 3 })
	if s, _ := p.Snapshot("video-2"); s.VideoRx.Packets != 0 {
		t.Fatalf("agent sent video on a recvonly line: %d", s.VideoRx.Packets)
	}
}

func TestByeBothWays(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	ctx := ctxT(t, 10*time.Second)

	c := answeredCall(t, p, a, "bye-agent", InviteOptions{})
	if err := c.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "bye-agent" })
	if e.By != "agent" {
		t.Fatalf("hungup %+v", e)
	}
	if s, err := p.Snapshot("bye-agent"); err != nil || s.State != "ended" || s.EndBy != "agent" {
		t.Fatalf("snapshot after BYE: %+v %v", s, err)
	}
	if err := p.Hold(ctx, "bye-agent", true); !errors.Is(err, ErrCallEnded) {
		t.Fatalf("hold after BYE: %v", err)
	}

	c = answeredCall(t, p, a, "bye-pbx", InviteOptions{})
	if err := p.Hangup(ctx, "bye-pbx"); err != nil {
		t.Fatal(err)
	}
	e = waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "bye-pbx" })
	if e.By != "pbx" || e.Code != 200 {
		t.Fatalf("hungup %+v", e)
	}
	select {
	case <-c.Ended():
	case <-ctx.Done():
		t.Fatal("agent did not get the BYE")
	}
	if len(p.Calls()) != 0 {
		t.Fatalf("calls left: %v", p.Calls())
	}
}

func TestTransportCloseEndsCalls(t *testing.T) {
	p, addr := startPBX(t, nil)
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	answeredCall(t, p, a, "tc-1", InviteOptions{})
	a.CloseTransport()
	waitEvent(t, ev, "unregistered", func(e Event) bool { return e.Type == EvUnregistered && e.Reason == "transport closed" })
	e := waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "tc-1" })
	if e.By != "transport" {
		t.Fatalf("hungup %+v", e)
	}
}

func TestAgentOriginatedCall(t *testing.T) {
	p, addr := startPBX(t, func(c *Config) { c.AcceptAgentCalls = true })
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	ctx := ctxT(t, 15*time.Second)

	// Rings until the PBX answers; then the PBX's tone reaches the agent.
	sess, pc, err := a.Dial(ctx, "echo", "mine-1")
	if err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, ev, "incoming", func(e Event) bool { return e.Type == EvIncoming })
	if e.UUID != "mine-1" || e.Ext != "1001" || e.Headers["X-CC-UUID"] != "mine-1" {
		t.Fatalf("incoming %+v", e)
	}
	answered := make(chan error, 1)
	go func() { answered <- sess.WaitAnswer(ctx, sipgo.AnswerOptions{}) }()
	if s, _ := p.Snapshot("mine-1"); s.State != "ringing" || s.Outbound {
		t.Fatalf("before answer: %+v", s)
	}
	if err := p.Answer(ctx, "mine-1"); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(sess.InviteResponse.Body())}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ev, "answered", func(e Event) bool { return e.Type == EvAnswered && e.UUID == "mine-1" })
	if _, err := p.WaitSnapshot(ctx, "mine-1", func(s Snapshot) bool { return s.AudioTx.Packets > 10 }); err != nil {
		t.Fatal(err)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	e = waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "mine-1" })
	if e.By != "agent" {
		t.Fatalf("hungup %+v", e)
	}

	// The agent gives up while it rings: CANCEL.
	sess, _, err = a.Dial(ctx, "echo", "mine-2")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ev, "incoming", func(e Event) bool { return e.Type == EvIncoming && e.UUID == "mine-2" })
	wctx, wcancel := context.WithCancel(ctx)
	wcancel() // WaitAnswer with a done context sends CANCEL
	_ = sess.WaitAnswer(wctx, sipgo.AnswerOptions{})
	e = waitEvent(t, ev, "hungup", func(e Event) bool { return e.Type == EvHungup && e.UUID == "mine-2" })
	if e.By != "agent" || e.Code != 487 {
		t.Fatalf("cancel %+v", e)
	}
}

func TestAgentCallsRefusedByDefault(t *testing.T) {
	p, addr := startPBX(t, nil)
	a := registered(t, p, addr, "1001", 440)
	ctx := ctxT(t, 10*time.Second)
	sess, _, err := a.Dial(ctx, "echo", "")
	if err != nil {
		t.Fatal(err)
	}
	var de *sipgo.ErrDialogResponse
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); !errors.As(err, &de) || de.Res.StatusCode != 403 {
		t.Fatalf("agent INVITE: %v", err)
	}
}
