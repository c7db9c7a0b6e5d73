package agent

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/quality"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// Call-quality warnings against ccsim's PBX: its impairment knobs (loss,
// jitter, delay, silence) degrade the call's media for real, the sampler
// notices. The sample period is shortened (the monitor counts samples as
// seconds), so "3 of 5 seconds" and "cleared no sooner than 5 s" take a
// fraction of that here.

const testPeriod = 100 * time.Millisecond

// warnLog keeps the warning events as they come, with their arrival.
type warnLog struct {
	// barrier returns once every event queued before it was delivered.
	barrier func()

	mu   sync.Mutex
	evs  []*CallQualityWarningEvent
	at   []time.Time
	sig  chan struct{}
	seen int // events read by next
}

func newWarnLog() *warnLog { return &warnLog{sig: make(chan struct{}, 1)} }

func (w *warnLog) add(e *CallQualityWarningEvent) {
	w.mu.Lock()
	w.evs = append(w.evs, e)
	w.at = append(w.at, time.Now())
	w.mu.Unlock()
	select {
	case w.sig <- struct{}{}:
	default:
	}
}

// next waits for the next warning event whose name and state are these,
// failing on any other unless allowed, and returns it with its arrival.
func (w *warnLog) next(t *testing.T, name string, raised bool, allowed ...string) (*CallQualityWarningEvent, time.Time) {
	t.Helper()
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		for ; w.seen < len(w.evs); w.seen++ {
			e := w.evs[w.seen]
			if e.Name == name && e.Raised == raised {
				at := w.at[w.seen]
				w.seen++
				w.mu.Unlock()
				return e, at
			}
			ok := false
			for _, a := range allowed {
				ok = ok || a == e.Name
			}
			if !ok {
				w.mu.Unlock()
				t.Fatalf("waiting for %s raised=%v: unexpected %+v", name, raised, e)
			}
		}
		w.mu.Unlock()
		select {
		case <-w.sig:
		case <-timeout.C:
			t.Fatalf("no %s raised=%v within 15 s", name, raised)
		}
	}
}

// raisedNow lists the warnings raised and not cleared, by the events.
func (w *warnLog) raisedNow() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	on := map[string]bool{}
	for _, e := range w.evs {
		if e.Raised {
			on[e.Name] = true
		} else {
			delete(on, e.Name)
		}
	}
	return on
}

// queueBarrier is queued behind the agent's events: when it is delivered,
// so is every event before it.
type queueBarrier struct{ done chan struct{} }

func (*queueBarrier) Type() protocol.MsgType { return "test_barrier" }

// qualityAgent is an rtcAgent whose warnings go to their own log.
func (e *env) qualityAgent(t *testing.T, mod func(*Config)) (*rtcAgent, *warnLog) {
	t.Helper()
	ra := &rtcAgent{tagent: &tagent{t: t, evs: make(chan session.Event, 4096), id: rtcID}, sdk: make(chan session.Event, 4096)}
	w := newWarnLog()
	cfg := Config{WSURL: e.ws, HTTPURL: e.http, CompanyCode: "090008", AgentID: rtcID, ExtID: boundExt(rtcID), Language: "en-US",
		RequestTimeout: 5 * time.Second, HeartbeatInterval: -1, Reconnect: session.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, LogLevel: "off"}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg, func(ev session.Event) {
		switch x := ev.(type) {
		case *CallQualityWarningEvent:
			w.add(x)
		case *queueBarrier:
			close(x.done)
		case *RTCRegistrationEvent, *RTCCallEvent, *ConnectivityEvent, *RTCDTMFEvent, *RTCStatsEvent:
			ra.sdk <- ev
		default:
			ra.evs <- ev
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	a.q.period = testPeriod // before any call: the samplers read it
	ra.Agent = a
	w.barrier = func() {
		b := &queueBarrier{done: make(chan struct{})}
		a.sess.Emit(b)
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the event queue did not drain")
		}
	}
	t.Cleanup(func() { a.Close() })
	return ra, w
}

// impair sets the PBX's knobs on the call's leg (none: cleared).
func impair(t *testing.T, e *env, sp sim.ImpairSpec) {
	t.Helper()
	if err := e.srv.Impair(sp); err != nil {
		t.Fatal(err)
	}
}

// raiseAndClear turns a knob on until the warning is raised, off at once,
// and checks it is cleared no sooner than 5 samples later; warnings the
// knob raises on the way (allowed) must be cleared too before it returns,
// after settle (nil: nothing) says the knob's last effects are over.
func raiseAndClear(t *testing.T, w *warnLog, name string, on, off, settle func(), check func(raised *CallQualityWarningEvent), allowed ...string) {
	t.Helper()
	if r := w.raisedNow(); len(r) > 0 {
		t.Fatalf("before %s: raised %v", name, r)
	}
	on()
	raised, at := w.next(t, name, true, allowed...)
	off()
	cleared, clearedAt := w.next(t, name, false, allowed...)
	if gap := clearedAt.Sub(at); gap < 5*testPeriod-testPeriod/2 {
		t.Errorf("%s cleared %v after it was raised: under 5 samples", name, gap)
	}
	if raised.Threshold != cleared.Threshold {
		t.Errorf("%s: threshold %v raised, %v cleared", name, raised.Threshold, cleared.Threshold)
	}
	check(raised)
	if settle != nil {
		settle()
		w.barrier() // a warning the knob's last effects raised meanwhile is in the log
	}
	waitFor(t, "every warning of "+name+" cleared", func() bool { return len(w.raisedNow()) == 0 })
	w.mu.Lock()
	w.seen = len(w.evs) // the others' clearing, read
	w.mu.Unlock()
	t.Logf("%s: raised value %v threshold %v, cleared after %v", name, raised.Value, raised.Threshold, clearedAt.Sub(at))
}

func TestQualityWarningsFromPBXImpairments(t *testing.T) {
	e := newEnv(t, nil)
	var stallSent atomic.Bool
	var frozen atomic.Uint64
	a, w := e.qualityAgent(t, nil)
	// A sender that stalls: the bytes sent stop counting (the SDK's own
	// sender always sends while the transport is up, so no knob of the
	// PBX can stop it alone).
	a.q.stats = func(mc *rtc.MediaCall) media.Stats {
		s := mc.Stats()
		if stallSent.Load() {
			frozen.CompareAndSwap(0, s.Audio.BytesSent)
			s.Audio.BytesSent = frozen.Load()
		}
		return s
	}
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "confirmed")
	a.agentHears(uuid)
	leg := sim.ImpairSpec{UUID: uuid}
	clear := func() { impair(t, e, leg) }
	set := func(sp sim.ImpairSpec) func() { return func() { sp.UUID = uuid; impair(t, e, sp) } }

	// Once the delay is lifted, the receiver reports it held still come
	// 600 ms late (and may raise high_rtt again, rightly): settled when it
	// holds none and a fresh report has brought the RTT down.
	settleRTT := func() {
		waitFor(t, "the PBX's delay line empty", func() bool {
			s, err := e.srv.PBX().Snapshot(uuid)
			return err == nil && s.Delayed == 0
		})
		waitFor(t, "a fresh RTT", func() bool { s, err := a.CallStats(uuid); return err == nil && s.RTT < 200*time.Millisecond })
	}
	raiseAndClear(t, w, quality.HighRTT, set(sim.ImpairSpec{DelayMS: 600}), clear, settleRTT, func(r *CallQualityWarningEvent) {
		if r.Value <= 400 || r.Threshold != 400 {
			t.Errorf("high_rtt %+v", r)
		}
	}, quality.LowMOS, quality.NoAudioReceived, quality.HighJitter, quality.HighPacketLoss)
	// 600 ms more of one-way delay costs MOS too; the delay's start is a
	// gap of 600 ms in the audio, its end a burst of packets overtaken by
	// newer ones (late: lost to the jitter buffer).
	raiseAndClear(t, w, quality.HighJitter, set(sim.ImpairSpec{JitterMS: 60}), clear, nil, func(r *CallQualityWarningEvent) {
		if r.Value <= 30 || r.Threshold != 30 {
			t.Errorf("high_jitter %+v", r)
		}
	}, quality.HighPacketLoss, quality.LowMOS) // packets later than the jitter buffer count as lost
	raiseAndClear(t, w, quality.HighPacketLoss, set(sim.ImpairSpec{Loss: 0.1}), clear, nil, func(r *CallQualityWarningEvent) {
		// 3 of 5 over 1 %, or a mean over 3 % across 7: either may come first.
		if (r.Threshold != 0.01 && r.Threshold != 0.03) || r.Value <= r.Threshold {
			t.Errorf("high_packet_loss %+v", r)
		}
	}, quality.LowMOS)
	raiseAndClear(t, w, quality.LowMOS, set(sim.ImpairSpec{Loss: 0.3}), clear, nil, func(r *CallQualityWarningEvent) {
		if r.Value >= 3.5 || r.Value < 1 || r.Threshold != 3.5 {
			t.Errorf("low_mos %+v", r)
		}
	}, quality.HighPacketLoss)
	raiseAndClear(t, w, quality.NoAudioReceived, set(sim.ImpairSpec{Silence: true}), clear, nil, func(r *CallQualityWarningEvent) {
		if r.Value != 0 {
			t.Errorf("no_audio_received %+v", r)
		}
	}, quality.HighJitter) // the stream resumes after a gap: one jump in transit time
	raiseAndClear(t, w, quality.NoAudioSent, func() { stallSent.Store(true) }, func() { stallSent.Store(false) }, nil,
		func(r *CallQualityWarningEvent) {
			if r.Value != 0 {
				t.Errorf("no_audio_sent %+v", r)
			}
		})

	// The voice meter of the call: device mode's processor, here the
	// test's own (a level in dBFS, voice activity).
	var level atomic.Int64 // dBFS; 0: a level that moves
	var speaking atomic.Bool
	var n atomic.Int64
	meter := func() (float64, bool, bool) {
		if l := level.Load(); l != 0 {
			return float64(l), speaking.Load(), true
		}
		return -30 + 20*float64(n.Add(1)%2), speaking.Load(), true // -30 and -10 dBFS in turn
	}
	if err := a.withCall(uuid, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error { st.meter = meter; return nil }); err != nil {
		t.Fatal(err)
	}
	raiseAndClear(t, w, quality.ConstantInputLevel, func() { level.Store(-30) }, func() { level.Store(0) }, nil,
		func(r *CallQualityWarningEvent) {
			if r.Value >= 0.1 || r.Threshold != 0.1 {
				t.Errorf("constant_audio_input_level %+v", r)
			}
		})
	mute := func(on bool) func() {
		return func() {
			if m := do[*protocol.MuteReply](t, a.tagent, &protocol.MuteRequest{UUID: uuid, Mute: protocol.Flag(on)}); m.Code != "0" {
				t.Fatalf("mute %v: %+v", on, m)
			}
		}
	}
	speaking.Store(true)
	raiseAndClear(t, w, quality.SpeakingWhileMuted, mute(true), mute(false), nil, func(r *CallQualityWarningEvent) {
		if r.Value < 2 || r.Threshold != 2 || r.UUID != uuid {
			t.Errorf("speaking_while_muted %+v", r)
		}
	})

	// The sampler ends with the call.
	hangupToFree(t, a.tagent, uuid, protocol.CbCall)
	a.callState(uuid, "ended")
	waitFor(t, "the sampler gone", func() bool { a.q.mu.Lock(); defer a.q.mu.Unlock(); return len(a.q.sampled) == 0 })
}

func TestQualityWarningsOff(t *testing.T) {
	e := newEnv(t, nil)
	a, w := e.qualityAgent(t, func(c *Config) { c.DisableQualityWarnings = true })
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "confirmed")
	a.agentHears(uuid)
	impair(t, e, sim.ImpairSpec{UUID: uuid, Silence: true})
	// Silence for 20 samples' time: with the sampler on, no_audio_received
	// would come after 3.
	waitMedia(t, e, uuid, "20 samples of silence", func(c sim.RTCCall) bool { return c.AudioTx.LastMSAgo > int64(20*testPeriod/time.Millisecond) })
	a.q.mu.Lock()
	n := len(a.q.sampled)
	a.q.mu.Unlock()
	if n != 0 || len(w.raisedNow()) != 0 {
		t.Fatalf("warnings off: %d samplers, raised %v", n, w.raisedNow())
	}
}

// secondOf makes a second's sample from two readings of the statistics:
// deltas, the loss of that second alone, and "not measured" marks.
func TestSecondOf(t *testing.T) {
	prev := media.Stats{AudioCodec: "PCMU", RTT: 80 * time.Millisecond}
	prev.Audio = media.StreamStats{PacketsSent: 100, BytesSent: 16000, PacketsReceived: 100, BytesReceived: 16000, PacketsLost: 10}
	cur := prev
	cur.Audio.PacketsSent, cur.Audio.BytesSent = 150, 24000
	cur.Audio.PacketsReceived, cur.Audio.BytesReceived, cur.Audio.PacketsLost = 145, 23200, 15
	cur.Audio.Jitter = 12 * time.Millisecond
	big := cur
	s := secondOf(prev, cur)
	if !s.HasRTT || s.RTT != 80*time.Millisecond || !s.HasReceive || s.BytesSent != 8000 || s.BytesReceived != 7200 ||
		math.Abs(s.Loss-0.1) > 1e-9 || s.Jitter != 12*time.Millisecond {
		t.Fatalf("sample %+v", s)
	}
	// 10% loss this second, though 15/160 overall: the MOS is this second's.
	_, want := media.EModelFor("PCMU", 80*time.Millisecond/2+25*time.Millisecond, 0.1)
	if math.Abs(s.MOS-want) > 1e-9 || s.MOS > 3.6 {
		t.Fatalf("MOS %v, want %v", s.MOS, want)
	}
	// Nothing received: loss, jitter and MOS measure nothing; no RTT yet.
	cur = prev
	cur.RTT = 0
	if s := secondOf(prev, cur); s.HasReceive || s.HasRTT || s.BytesReceived != 0 {
		t.Fatalf("silent second %+v", s)
	}
	// Counters that went back (a new stream) count as nothing, not as 2^64.
	if s := secondOf(big, prev); s.BytesSent != 0 || s.BytesReceived != 0 || s.HasReceive {
		t.Fatalf("backwards %+v", s)
	}
}

// Host mode with voice processing, and an app that sends a WAV (or
// nothing) instead of pushing the microphone: the processor reads no
// microphone, so its meter measures nothing; the microphone rules must
// not take its frozen level (-120 dBFS, the level before the first frame)
// for a stuck microphone.
func TestQualityNoMicrophoneRulesWithoutMicrophoneAudio(t *testing.T) {
	e := newEnv(t, nil)
	on := true
	a, w := e.qualityAgent(t, func(c *Config) { c.AudioAEC = &on })
	var samples atomic.Int64
	a.q.stats = func(mc *rtc.MediaCall) media.Stats { samples.Add(1); return mc.Stats() }
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "confirmed")
	a.agentHears(uuid) // the app's sink: the processor's reference
	if _, err := a.SetAudioProcessing(uuid, AudioSwitchChange{}); err != nil {
		t.Fatal(err)
	}
	if err := a.withCall(uuid, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error {
		if st.meter == nil {
			t.Fatal("no voice meter on a call with processing")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := samples.Load()
	waitFor(t, "15 samples", func() bool { return samples.Load() >= n+15 })
	w.barrier()
	if r := w.raisedNow(); len(r) != 0 {
		t.Fatalf("no microphone audio at all raised %v", r)
	}
	// Pushed microphone audio is measured again: a flat level is stuck.
	flat := make([]int16, 160)
	for i := range flat {
		flat[i] = int16(3000 * (i%2*2 - 1)) // a square wave at 4 kHz: the same level every frame
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				_ = a.PushPCM(uuid, 8000, flat)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	w.next(t, quality.ConstantInputLevel, true)
}
