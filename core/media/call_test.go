package media

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"time"

	"go.uber.org/goleak"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/pion/rtp"
)

// assertTone checks the last 400 ms a sink heard is a clean tone at hz.
func assertTone(t *testing.T, who string, s *capSink, hz float64) {
	t.Helper()
	var a pbx.ToneAnalysis
	ok := false
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		pcm := s.recent(3200)
		if len(pcm) == 3200 {
			a = pbx.AnalyseTone(pcm, 8000)
			if math.Abs(a.PeakHz-hz) <= 5 && a.PeakRatio > 0.8 {
				ok = true
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ok {
		t.Fatalf("%s: want a %v Hz tone, got %+v", who, hz, a)
	}
}

func rms(pcm []int16) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	return math.Sqrt(e / float64(max(len(pcm), 1)))
}

func TestToneBothWays(t *testing.T) {
	for _, codec := range []string{"PCMU", "PCMA"} {
		t.Run(codec, func(t *testing.T) {
			ea, eb := newTestEngine(t), newTestEngine(t)
			var firstAt time.Time
			var fmu sync.Mutex
			start := time.Now()
			p := newPair(t, ea, eb,
				CallOptions{Audio: SendRecv, AudioCodecs: []string{codec}},
				CallOptions{Audio: SendRecv, OnFirstAudio: func(at time.Time) { fmu.Lock(); firstAt = at; fmu.Unlock() }})
			p.a.SetAudioSource(ToneSource(1000, 8000))
			p.b.SetAudioSource(ToneSource(440, 8000))
			sa, sb := newCapSink(), newCapSink()
			p.a.AddAudioSink(sa)
			p.b.AddAudioSink(sb)
			assertTone(t, "b hears a", sb, 1000)
			assertTone(t, "a hears b", sa, 440)
			if st := p.a.Stats(); st.AudioCodec != codec {
				t.Fatalf("a sends %q, want %q", st.AudioCodec, codec)
			}
			if st := p.b.Stats(); st.AudioCodec != codec {
				t.Fatalf("b sends %q, want %q", st.AudioCodec, codec)
			}
			fmu.Lock()
			defer fmu.Unlock()
			if firstAt.IsZero() {
				t.Fatal("OnFirstAudio not called")
			}
			t.Logf("offer → first audio at b: %v", firstAt.Sub(start))
		})
	}
}

func TestHold(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	p.b.SetAudioSource(ToneSource(440, 8000))
	sa, sb := newCapSink(), newCapSink()
	p.a.AddAudioSink(sa)
	p.b.AddAudioSink(sb)
	assertTone(t, "b before hold", sb, 1000)

	if err := p.a.SetHold(true); err != nil {
		t.Fatal(err)
	}
	offer, answer := p.negotiate(t, p.a, p.b, false)
	if d := sdpDirs(t, offer)["audio"]; d != SendOnly {
		t.Fatalf("hold offer says %v, want sendonly", d)
	}
	if d := sdpDirs(t, answer)["audio"]; d != RecvOnly {
		t.Fatalf("hold answer says %v, want recvonly", d)
	}
	// Neither side sends now: packet counts stop (allow those in flight).
	aRx, bRx := p.a.Stats().Audio.PacketsReceived, p.b.Stats().Audio.PacketsReceived
	time.Sleep(600 * time.Millisecond) // observing an absence needs a window
	if d := p.a.Stats().Audio.PacketsReceived - aRx; d > 3 {
		t.Fatalf("a received %d packets while held", d)
	}
	if d := p.b.Stats().Audio.PacketsReceived - bRx; d > 3 {
		t.Fatalf("b received %d packets while held", d)
	}
	if r := rms(sb.recent(1600)); r > 1 {
		t.Fatalf("b plays out rms %v while held, want silence", r)
	}

	if err := p.a.SetHold(false); err != nil {
		t.Fatal(err)
	}
	offer, answer = p.negotiate(t, p.a, p.b, false)
	if d := sdpDirs(t, offer)["audio"]; d != SendRecv {
		t.Fatalf("unhold offer says %v", d)
	}
	if d := sdpDirs(t, answer)["audio"]; d != SendRecv {
		t.Fatalf("unhold answer says %v", d)
	}
	assertTone(t, "b after unhold", sb, 1000)
	assertTone(t, "a after unhold", sa, 440)
}

func TestDirections(t *testing.T) {
	cases := []struct {
		a          Direction
		wantAnswer Direction
		aHears     bool
		bHears     bool
	}{
		{SendOnly, RecvOnly, false, true},
		{RecvOnly, SendOnly, true, false},
		{Inactive, Inactive, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.a.String(), func(t *testing.T) {
			ea, eb := newTestEngine(t), newTestEngine(t)
			a, err := ea.NewCall(CallOptions{Audio: tc.a})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := eb.NewCall(CallOptions{Audio: SendRecv})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			p := &pair{a: a, b: b}
			offer, answer := p.negotiate(t, a, b, false)
			if d := sdpDirs(t, offer)["audio"]; d != tc.a {
				t.Fatalf("offer %v, want %v", d, tc.a)
			}
			if d := sdpDirs(t, answer)["audio"]; d != tc.wantAnswer {
				t.Fatalf("answer %v, want %v", d, tc.wantAnswer)
			}
			a.SetAudioSource(ToneSource(1000, 8000))
			b.SetAudioSource(ToneSource(440, 8000))
			sa, sb := newCapSink(), newCapSink()
			a.AddAudioSink(sa)
			b.AddAudioSink(sb)
			if tc.bHears {
				assertTone(t, "b", sb, 1000)
			}
			if tc.aHears {
				assertTone(t, "a", sa, 440)
			}
			// Whoever must not hear gets no audio packets at all.
			waitFor(t, 10*time.Second, "connected", func() bool { return a.State() == StateConnected })
			time.Sleep(400 * time.Millisecond) // observing an absence needs a window
			if !tc.aHears && a.Stats().Audio.PacketsReceived != 0 {
				t.Fatalf("a received %d packets", a.Stats().Audio.PacketsReceived)
			}
			if !tc.bHears && b.Stats().Audio.PacketsReceived != 0 {
				t.Fatalf("b received %d packets", b.Stats().Audio.PacketsReceived)
			}
		})
	}
}

func TestMute(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	p.b.AddAudioSink(sb)
	assertTone(t, "before mute", sb, 1000)
	p.a.SetMuted(true)
	before := p.b.Stats().Audio.PacketsReceived
	waitFor(t, 5*time.Second, "silence at b", func() bool { return sb.samples() > 0 && rms(sb.recent(1600)) < 1 })
	waitFor(t, 5*time.Second, "packets keep flowing while muted", func() bool {
		return p.b.Stats().Audio.PacketsReceived > before+20
	})
	if r := rms(sb.recent(1600)); r >= 1 {
		t.Fatalf("muted: rms %v", r)
	}
	p.a.SetMuted(false)
	assertTone(t, "after unmute", sb, 1000)
}

type digitLog struct {
	mu sync.Mutex
	d  []Digit
}

func (l *digitLog) add(d Digit) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }
func (l *digitLog) str() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, d := range l.d {
		b.WriteRune(d.Digit)
	}
	return b.String()
}

func TestRFC4733(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	var got digitLog
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv, OnDTMF: got.add})
	if err := p.a.WaitDTMF(ctxT(t, time.Second)); err != nil {
		t.Fatalf("WaitDTMF with nothing queued: %v", err)
	}
	if err := p.a.SendDTMF("123#*", DTMFRFC4733); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.a.WaitDTMF(cancelled); err != context.Canceled {
		t.Fatalf("WaitDTMF while 5 digits play (about 1 s): %v, want context.Canceled", err)
	}
	if err := p.a.WaitDTMF(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("WaitDTMF: %v", err)
	}
	p.a.mu.Lock()
	left := len(p.a.dtmfQ)
	p.a.mu.Unlock()
	if left != 0 {
		t.Fatalf("WaitDTMF returned with %d digits queued", left)
	}
	waitFor(t, 5*time.Second, "5 digits", func() bool { return len(got.str()) >= 5 })
	time.Sleep(100 * time.Millisecond) // no duplicates trailing
	if s := got.str(); s != "123#*" {
		t.Fatalf("got %q", s)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, d := range got.d {
		if d.Mode != DTMFRFC4733 || d.Duration != 100*time.Millisecond {
			t.Fatalf("digit %+v", d)
		}
	}
	if err := p.a.SendDTMF("x", DTMFRFC4733); err != ErrBadDigit {
		t.Fatalf("bad digit: %v", err)
	}
}

func TestInbandDTMF(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	var got digitLog
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv, OnDTMF: got.add})
	p.a.SetAudioSource(ToneSource(440, 3000)) // speech-like background between digits
	if err := p.a.SendDTMF("159#0D", DTMFInband); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "6 digits", func() bool { return len(got.str()) >= 6 })
	time.Sleep(200 * time.Millisecond)
	if s := got.str(); s != "159#0D" {
		t.Fatalf("got %q", s)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, d := range got.d {
		if d.Mode != DTMFInband || d.Duration < 60*time.Millisecond || d.Duration > 140*time.Millisecond {
			t.Fatalf("digit %+v", d)
		}
	}
}

func TestWAVPlayRecord(t *testing.T) {
	dir := t.TempDir()
	in, out := dir+"/in.wav", dir+"/out.wav"
	// 2 s of 1 kHz at 16 kHz stereo.
	const rate = 16000
	pcm := make([]int16, 2*rate*2)
	for i := 0; i < len(pcm)/2; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/rate))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	writeStereoWAV(t, in, rate, pcm)
	src, err := OpenWAVSource(in, true)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := CreateWAVRecorder(out)
	if err != nil {
		t.Fatal(err)
	}
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(src)
	remove := p.b.AddAudioSink(rec)
	waitFor(t, 10*time.Second, "1.5 s recorded", func() bool { return rec.Samples() >= 12000 })
	remove()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := readWAVFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 12000 {
		t.Fatalf("recorded %d samples", len(f))
	}
	a := pbx.AnalyseTone(f[len(f)-4000:], 8000)
	if math.Abs(a.PeakHz-1000) > 5 || a.PeakRatio < 0.8 {
		t.Fatalf("recording: %+v", a)
	}
}

func TestPCMPush16k(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	push := NewPCMPushSource(16000, 200)
	p.a.SetAudioSource(push)
	var mu sync.Mutex
	var heard []int16
	p.b.AddAudioSink(PCMCallbackSink(16000, func(s []int16) {
		mu.Lock()
		heard = append(heard, s...)
		mu.Unlock()
	}))
	// The app's microphone: 20 ms frames of 700 Hz at 16 kHz.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		g := newToneGen(16000, 8000, 700)
		frame := make([]int16, 320)
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				g.fill(frame)
				push.Push(frame)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	waitFor(t, 10*time.Second, "700 Hz at 16 kHz", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(heard) < 6400 {
			return false
		}
		a := pbx.AnalyseTone(heard[len(heard)-6400:], 16000)
		return math.Abs(a.PeakHz-700) <= 5 && a.PeakRatio > 0.8
	})
}

type testVideo struct {
	mu   sync.Mutex
	n    int
	seen []VideoFormat
}

func testFrame(n int) []byte {
	f := make([]byte, 3000) // more than one packet
	for i := range f {
		f[i] = byte(n + i)
	}
	f[0] = 0x10 // looks like a VP8 key frame to nobody in particular
	return f
}

func (v *testVideo) ReadVideoFrame(ctx context.Context, f VideoFormat) ([]byte, time.Duration, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	v.seen = append(v.seen, f)
	return testFrame(v.n), 40 * time.Millisecond, nil
}

func TestVideoVP8(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv, Video: SendRecv, VideoHeight: 720}, CallOptions{Audio: SendRecv, Video: SendRecv})
	var mu sync.Mutex
	var frames [][]byte
	var codec string
	p.b.OnVideoFrame(func(c string, f []byte, ts uint32) {
		mu.Lock()
		frames = append(frames, f)
		codec = c
		mu.Unlock()
	})
	src := &testVideo{}
	p.a.SetVideoSource(src)
	waitFor(t, 10*time.Second, "5 video frames", func() bool { mu.Lock(); defer mu.Unlock(); return len(frames) >= 5 })
	mu.Lock()
	defer mu.Unlock()
	if codec != "VP8" {
		t.Fatalf("codec %q", codec)
	}
	for _, f := range frames {
		ok := false
		for n := 1; n <= 200 && !ok; n++ {
			ok = slices.Equal(f, testFrame(n))
		}
		if !ok {
			t.Fatalf("received a frame (%d bytes) that was not sent", len(f))
		}
	}
	src.mu.Lock()
	if src.seen[0].Codec != "VP8" || src.seen[0].Height != 720 {
		t.Fatalf("source asked for %+v", src.seen[0])
	}
	src.mu.Unlock()
	if st := p.a.Stats(); st.VideoCodec != "VP8" || st.Video.PacketsSent == 0 {
		t.Fatalf("video stats %+v", st)
	}
}

func TestVideoAddedLater(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv, Video: RecvOnly})
	var mu sync.Mutex
	n := 0
	p.b.OnVideoFrame(func(string, []byte, uint32) { mu.Lock(); n++; mu.Unlock() })
	if err := p.a.SetDirections(SendRecv, SendOnly); err != nil {
		t.Fatal(err)
	}
	offer, answer := p.negotiate(t, p.a, p.b, false)
	if d := sdpDirs(t, offer)["video"]; d != SendOnly {
		t.Fatalf("offer video %v", d)
	}
	if d := sdpDirs(t, answer)["video"]; d != RecvOnly {
		t.Fatalf("answer video %v", d)
	}
	p.a.SetVideoSource(&testVideo{})
	waitFor(t, 10*time.Second, "video frames", func() bool { mu.Lock(); defer mu.Unlock(); return n >= 3 })
}

func TestICERestart(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	p.b.AddAudioSink(sb)
	assertTone(t, "before restart", sb, 1000)
	ufrag := func(raw string) string {
		for _, l := range strings.Split(raw, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "a=ice-ufrag:"); ok {
				return v
			}
		}
		return ""
	}
	o1, _ := p.negotiate(t, p.a, p.b, false)
	o2, a2 := p.negotiate(t, p.a, p.b, true)
	if ufrag(o1) == "" || ufrag(o1) == ufrag(o2) {
		t.Fatalf("ICE restart kept ufrag %q", ufrag(o2))
	}
	if !hasLine(o2, "a=candidate:") || !hasLine(a2, "a=candidate:") {
		t.Fatal("restart SDP without candidates")
	}
	before := p.b.Stats().Audio.PacketsReceived
	waitFor(t, 10*time.Second, "audio after restart", func() bool {
		return p.b.Stats().Audio.PacketsReceived > before+50
	})
	assertTone(t, "after restart", sb, 1000)
}

func TestSDPShape(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	a, _ := ea.NewCall(CallOptions{Audio: SendRecv, Video: SendRecv, VideoHeight: 480})
	defer a.Close()
	b, _ := eb.NewCall(CallOptions{Audio: SendRecv})
	defer b.Close()
	p := &pair{a: a, b: b}
	offer, answer := p.negotiate(t, a, b, false)
	for _, want := range []string{"a=setup:actpass", "a=rtcp-mux", "a=group:BUNDLE", "a=candidate:", "a=end-of-candidates",
		"a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=rtpmap:96 VP8/90000", "a=rtpmap:102 H264/90000", "a=imageattr:* recv"} {
		if !hasLine(offer, want) {
			t.Errorf("offer lacks %q", want)
		}
	}
	for _, want := range []string{"a=setup:active", "a=rtcp-mux", "a=candidate:"} {
		if !hasLine(answer, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	// b did not want video: it answers the video m= line inactive.
	if d := sdpDirs(t, answer)["video"]; d != Inactive {
		t.Errorf("answer video %v, want inactive", d)
	}
	if t.Failed() {
		t.Log(offer, "\n", answer)
	}
}

func TestStats(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	var mu sync.Mutex
	var periodic []Stats
	// G.711 figures (64 kbit/s); Opus builds have their own test.
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv, AudioCodecs: []string{"PCMU"}, OnStats: func(s Stats) { mu.Lock(); periodic = append(periodic, s); mu.Unlock() }},
		CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	p.b.SetAudioSource(ToneSource(440, 8000))
	waitFor(t, 15*time.Second, "RTT measured", func() bool { return p.a.Stats().RTT > 0 && p.b.Stats().RTT > 0 })
	for _, c := range []*Call{p.a, p.b} {
		st := c.Stats()
		t.Logf("%+v", st)
		if st.Audio.PacketsSent < 50 || st.Audio.PacketsReceived < 50 {
			t.Fatalf("packets %+v", st.Audio)
		}
		if st.RTT > 100*time.Millisecond {
			t.Fatalf("RTT %v on loopback", st.RTT)
		}
		if st.Audio.Jitter > 20*time.Millisecond || st.Audio.LossRate > 0.01 {
			t.Fatalf("jitter %v loss %v", st.Audio.Jitter, st.Audio.LossRate)
		}
		if st.MOS < 4.0 || st.MOS > 4.5 || st.RFactor < 80 {
			t.Fatalf("MOS %v R %v", st.MOS, st.RFactor)
		}
		if st.State != StateConnected {
			t.Fatalf("state %v", st.State)
		}
	}
	waitFor(t, 5*time.Second, "bitrate", func() bool { return p.a.Stats().Audio.SendBitrate > 50000 })
	if br := p.a.Stats().Audio.RecvBitrate; br < 50000 || br > 80000 {
		t.Fatalf("recv bitrate %v, want ~64000", br)
	}
	mu.Lock()
	n := len(periodic)
	mu.Unlock()
	if n < 3 {
		t.Fatalf("%d periodic stats", n)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	func() {
		ea, err := NewEngine(testConfig())
		if err != nil {
			t.Fatal(err)
		}
		eb, err := NewEngine(testConfig())
		if err != nil {
			t.Fatal(err)
		}
		var got digitLog
		p := newPair(t, ea, eb, CallOptions{Audio: SendRecv, Video: SendRecv}, CallOptions{Audio: SendRecv, Video: SendRecv, OnDTMF: got.add})
		p.a.SetAudioSource(ToneSource(1000, 8000))
		p.a.SetVideoSource(&testVideo{})
		p.b.AddAudioSink(newCapSink())
		waitFor(t, 10*time.Second, "audio", func() bool { return p.b.Stats().Audio.PacketsReceived > 20 })
		_ = ea.Close()
		_ = eb.Close()
		if err := p.a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.a.SendDTMF("1", DTMFRFC4733); err != ErrClosed {
			t.Fatalf("after close: %v", err)
		}
		if _, err := ea.NewCall(CallOptions{}); err != ErrClosed {
			t.Fatalf("new call after close: %v", err)
		}
	}()
}

type h264Source struct{ n int }

func h264Frame(n int) []byte {
	f := make([]byte, 2500)
	copy(f, []byte{0, 0, 0, 1, 0x65}) // one IDR slice NAL
	for i := 5; i < len(f); i++ {
		f[i] = byte(n*7 + i)
	}
	return f
}

func (h *h264Source) ReadVideoFrame(ctx context.Context, f VideoFormat) ([]byte, time.Duration, error) {
	if f.Codec != "H264" {
		return nil, 0, fmt.Errorf("want H264, got %s", f.Codec)
	}
	h.n++
	return h264Frame(h.n), 50 * time.Millisecond, nil
}

func TestVideoH264(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv, Video: SendOnly, VideoCodecs: []string{"H264"}}, CallOptions{Audio: SendRecv, Video: RecvOnly})
	var mu sync.Mutex
	var frames [][]byte
	p.b.OnVideoFrame(func(c string, f []byte, ts uint32) {
		if c == "H264" {
			mu.Lock()
			frames = append(frames, f)
			mu.Unlock()
		}
	})
	p.a.SetVideoSource(&h264Source{})
	waitFor(t, 10*time.Second, "H.264 frames", func() bool { mu.Lock(); defer mu.Unlock(); return len(frames) >= 4 })
	mu.Lock()
	defer mu.Unlock()
	for _, f := range frames {
		ok := false
		for n := 1; n <= 200 && !ok; n++ {
			ok = slices.Equal(f, h264Frame(n))
		}
		if !ok {
			t.Fatalf("unexpected H.264 frame of %d bytes: % x", len(f), f[:min(8, len(f))])
		}
	}
}

func TestLossConcealedAndScored(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	// G.711 concealment and scoring (Opus builds: see TestOpusLoss).
	a, err := ea.NewCall(CallOptions{Audio: SendRecv, AudioCodecs: []string{"PCMU"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := eb.NewCall(CallOptions{Audio: SendRecv})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.testDropRx = func(p *rtp.Packet) bool { return p.SequenceNumber%20 == 7 } // 5 % loss
	(&pair{}).negotiate(t, a, b, false)
	a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	b.AddAudioSink(sb)
	assertTone(t, "through 5% loss", sb, 1000)
	waitFor(t, 10*time.Second, "300 packets", func() bool { return b.Stats().Audio.PacketsReceived > 300 })
	st := b.Stats()
	if st.Audio.LossRate < 0.03 || st.Audio.LossRate > 0.07 {
		t.Fatalf("loss rate %v, want ~0.05", st.Audio.LossRate)
	}
	if st.Concealed < 10 {
		t.Fatalf("concealed %d", st.Concealed)
	}
	if st.MOS > 3.9 || st.MOS < 2.5 {
		t.Fatalf("MOS %v at 5%% loss", st.MOS)
	}
	t.Logf("5%% loss: R %.1f MOS %.2f concealed %d", st.RFactor, st.MOS, st.Concealed)
	// (The loss is simulated after pion's report interceptor, so the
	// sender's RemoteLossRate stays 0 here.)
}

func TestRollbackOffer(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	p.b.AddAudioSink(sb)
	assertTone(t, "before", sb, 1000)
	// A re-offer that the peer refuses (the re-INVITE fails).
	if err := p.a.SetDirections(RecvOnly, Inactive); err != nil {
		t.Fatal(err)
	}
	if _, err := p.a.CreateOffer(ctxT(t, 10*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if err := p.a.RollbackOffer(); err != nil {
		t.Fatal(err)
	}
	if aud, _ := p.a.NegotiatedDirections(); aud != SendRecv {
		t.Fatalf("after rollback %v", aud)
	}
	// The peer's own re-offer still works, and audio flows.
	p.negotiate(t, p.b, p.a, false)
	if aud, _ := p.a.NegotiatedDirections(); aud != RecvOnly {
		t.Fatalf("after b's re-offer a is %v, want recvonly (its wish)", aud)
	}
	if err := p.a.SetDirections(SendRecv, Inactive); err != nil {
		t.Fatal(err)
	}
	p.negotiate(t, p.a, p.b, false)
	assertTone(t, "after", sb, 1000)
}

func TestGlareAcceptRollsBack(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	ctx := ctxT(t, 10*time.Second)
	// Both offer at once; a yields and answers b's offer.
	if _, err := p.a.CreateOffer(ctx, false); err != nil {
		t.Fatal(err)
	}
	offer, err := p.b.CreateOffer(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := p.a.AcceptOffer(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.b.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	p.a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	p.b.AddAudioSink(sb)
	assertTone(t, "after glare", sb, 1000)
}

func TestRollbackAddedVideo(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	ctx := ctxT(t, 10*time.Second)
	// Offer video; the peer refuses the re-INVITE (488).
	_ = p.a.SetDirections(SendRecv, SendRecv)
	if _, err := p.a.CreateOffer(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := p.a.RollbackOffer(); err != nil {
		t.Fatal(err)
	}
	_ = p.a.SetDirections(SendRecv, Inactive)
	p.negotiate(t, p.a, p.b, false)
	p.a.SetAudioSource(ToneSource(1000, 8000))
	sb := newCapSink()
	p.b.AddAudioSink(sb)
	assertTone(t, "after rejected video", sb, 1000)
	// An ICE restart offer cannot be taken back.
	if _, err := p.a.CreateOffer(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := p.a.RollbackOffer(); err != ErrNoRollback {
		t.Fatalf("rollback of an ICE restart: %v", err)
	}
}

// TestAnswererRestrictsCodecs: the answerer sends a codec of its answer,
// not merely one both engines support (pion binds with every common one).
func TestAnswererRestrictsCodecs(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv, AudioCodecs: []string{"PCMA"}})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	p.b.SetAudioSource(ToneSource(440, 8000))
	sa, sb := newCapSink(), newCapSink()
	p.a.AddAudioSink(sa)
	p.b.AddAudioSink(sb)
	assertTone(t, "b hears a", sb, 1000)
	assertTone(t, "a hears b", sa, 440)
	for _, c := range []*Call{p.a, p.b} {
		if st := c.Stats(); st.AudioCodec != "PCMA" {
			t.Fatalf("codec %q, want PCMA", st.AudioCodec)
		}
	}
}
