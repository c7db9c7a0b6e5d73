//go:build opus

package media

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/pion/rtp"
)

// audioMLine returns the formats of the audio m= line.
func audioMLine(raw string) string {
	for _, l := range strings.Split(raw, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "m=audio ") {
			return l
		}
	}
	return ""
}

func TestOpusSDP(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	a, _ := ea.NewCall(CallOptions{Audio: SendRecv})
	defer a.Close()
	b, _ := eb.NewCall(CallOptions{Audio: SendRecv})
	defer b.Close()
	p := &pair{a: a, b: b}
	offer, answer := p.negotiate(t, a, b, false)
	for _, want := range []string{"a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
		"a=rtpmap:110 telephone-event/48000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"} {
		if !hasLine(offer, want) {
			t.Errorf("offer lacks %q", want)
		}
	}
	if m := audioMLine(offer); !strings.HasPrefix(strings.Fields(m)[3], "111") {
		t.Errorf("Opus not first: %q", m)
	}
	for _, want := range []string{"a=rtpmap:111 opus/48000/2", "a=rtpmap:110 telephone-event/48000"} {
		if !hasLine(answer, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	if m := audioMLine(answer); !strings.HasPrefix(strings.Fields(m)[3], "111") {
		t.Errorf("answer does not put Opus first: %q", m)
	}
	if t.Failed() {
		t.Log(offer, "\n", answer)
	}
}

func TestOpusToneBothWays(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	p.a.SetAudioSource(ToneSource(1000, 8000))
	p.b.SetAudioSource(ToneSource(440, 8000))
	sa, sb := newCapSink(), newCapSink()
	p.a.AddAudioSink(sa)
	p.b.AddAudioSink(sb)
	assertTone(t, "b hears a", sb, 1000)
	assertTone(t, "a hears b", sa, 440)
	// Goertzel: the tone carries its level (within 3 dB of the 8000 peak
	// sent, i.e. ~5657 RMS) and nothing of the other direction's.
	for _, c := range []struct {
		s         *capSink
		hz, other float64
	}{{sb, 1000, 440}, {sa, 440, 1000}} {
		pcm := c.s.recent(1600)
		x := make([]float64, len(pcm))
		for i, v := range pcm {
			x[i] = float64(v)
		}
		on, off := Goertzel(x, c.hz, 8000), Goertzel(x, c.other, 8000)
		if on < 1000*off {
			t.Errorf("%v Hz: power %g vs %g at %v Hz", c.hz, on, off, c.other)
		}
		if r := rms(pcm); r < 4000 || r > 8000 {
			t.Errorf("%v Hz: RMS %.0f, want ~5657", c.hz, r)
		}
	}
	if c := p.a.audio.codec(); c.mime != mimeOpus || c.clock != 48000 || c.pt != ptOpus {
		t.Fatalf("a bound %+v", c)
	}
	waitFor(t, 5*time.Second, "bitrate", func() bool { return p.b.Stats().Audio.RecvBitrate > 0 })
	for _, c := range []*Call{p.a, p.b} {
		st := c.Stats()
		if st.AudioCodec != "OPUS" {
			t.Fatalf("codec %q", st.AudioCodec)
		}
		if br := st.Audio.RecvBitrate; br < 12000 || br > 40000 {
			t.Fatalf("recv bitrate %v, want ~24000", br)
		}
		if st.Audio.Jitter > 20*time.Millisecond || st.Audio.LossRate > 0.01 || st.MOS < 4.0 {
			t.Fatalf("stats %+v", st)
		}
		t.Logf("%s: %.0f bit/s, jitter %v, buffer %d ms, MOS %.2f", st.AudioCodec, st.Audio.RecvBitrate, st.Audio.Jitter, st.JitterBufferMs, st.MOS)
	}
}

func TestOpusRFC4733(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	var got digitLog
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv, OnDTMF: got.add})
	p.a.SetAudioSource(ToneSource(440, 3000))
	if c := p.a.audio.codec(); c.mime != mimeOpus || !c.hasTE || c.dtmfPT != ptTE48 {
		t.Fatalf("a bound %+v: want Opus with telephone-event/48000", c)
	}
	if err := p.a.SendDTMF("123#*", DTMFRFC4733); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "5 digits", func() bool { return len(got.str()) >= 5 })
	time.Sleep(100 * time.Millisecond)
	if s := got.str(); s != "123#*" {
		t.Fatalf("got %q", s)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, d := range got.d {
		// 4800 ticks of the 48 kHz clock.
		if d.Mode != DTMFRFC4733 || d.Duration != 100*time.Millisecond {
			t.Fatalf("digit %+v", d)
		}
	}
}

func TestOpusFallbackPCMU(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ao, bo []string
	}{{"answerer PCMU only", nil, []string{"PCMU"}}, {"offerer PCMU only", []string{"PCMU"}, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			ea, eb := newTestEngine(t), newTestEngine(t)
			var got digitLog
			p := newPair(t, ea, eb, CallOptions{Audio: SendRecv, AudioCodecs: tc.ao},
				CallOptions{Audio: SendRecv, AudioCodecs: tc.bo, OnDTMF: got.add})
			p.a.SetAudioSource(ToneSource(1000, 8000))
			p.b.SetAudioSource(ToneSource(440, 8000))
			sa, sb := newCapSink(), newCapSink()
			p.a.AddAudioSink(sa)
			p.b.AddAudioSink(sb)
			assertTone(t, "b hears a", sb, 1000)
			assertTone(t, "a hears b", sa, 440)
			for _, c := range []*Call{p.a, p.b} {
				if st := c.Stats(); st.AudioCodec != "PCMU" {
					t.Fatalf("codec %q, want PCMU", st.AudioCodec)
				}
				if bc := c.audio.codec(); !bc.hasTE || bc.dtmfPT != ptTE || bc.clock != 8000 {
					t.Fatalf("bound %+v", bc)
				}
			}
			if err := p.a.SendDTMF("42", DTMFRFC4733); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "2 digits", func() bool { return got.str() == "42" })
		})
	}
}

func TestOpusLoss(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	a, err := ea.NewCall(CallOptions{Audio: SendRecv})
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
	if st.AudioCodec != "OPUS" || st.Audio.LossRate < 0.03 || st.Audio.LossRate > 0.07 {
		t.Fatalf("%s loss rate %v, want ~0.05", st.AudioCodec, st.Audio.LossRate)
	}
	if st.Concealed < 10 {
		t.Fatalf("concealed %d", st.Concealed)
	}
	// Opus is scored less sensitive to loss than G.711 (R ≈ 77, MOS ≈ 3.9
	// there).
	g711R, _ := EModel(time.Duration(st.JitterBufferMs+25)*time.Millisecond+st.RTT/2, st.Audio.LossRate)
	if st.MOS > 4.2 || st.MOS < 3.0 || st.RFactor <= g711R {
		t.Fatalf("MOS %v R %v (G.711 R %v) at 5%% loss", st.MOS, st.RFactor, g711R)
	}
	t.Logf("Opus at 5%% loss: R %.1f (G.711 %.1f) MOS %.2f concealed %d", st.RFactor, g711R, st.MOS, st.Concealed)
}

// opusPackets encodes n frames of a tone as the engine would send them.
func opusPackets(t testing.TB, c *Call, n int, seq uint16, ts uint32) []*rtp.Packet {
	var enc opusEncoder
	src := ToneSource(1000, 8000)
	frame := make([]int16, FrameSamples)
	out := make([]*rtp.Packet, n)
	for i := range n {
		_, _ = src.ReadPCM(frame)
		pl := enc.encode(c, frame)
		if pl == nil {
			t.Fatal("encode failed")
		}
		out[i] = &rtp.Packet{Header: rtp.Header{SequenceNumber: seq + uint16(i), Timestamp: ts + uint32(i*opusFrame), PayloadType: ptOpus},
			Payload: append([]byte(nil), pl...)}
	}
	return out
}

// TestOpusDecoderGaps feeds the receive path directly: single and double
// losses are filled by FEC/PLC without a hole, a reordered packet is late,
// a long loss restarts the output, and the 48 kHz → 8 kHz timestamp
// mapping survives the 32-bit wrap.
func TestOpusDecoderGaps(t *testing.T) {
	c := &Call{jb: newJitterBuffer(60), log: testLogger()}
	pkts := opusPackets(t, c, 300, 65500, math.MaxUint32-100*opusFrame)
	drop := map[int]bool{30: true, 50: true, 51: true}
	for i := 150; i < 160; i++ {
		drop[i] = true // 200 ms: restart
	}
	order := make([]int, 0, len(pkts))
	for i := range pkts {
		if !drop[i] {
			order = append(order, i)
		}
	}
	// 70 after 71
	for k, i := range order {
		if i == 70 {
			order[k], order[k+1] = order[k+1], order[k]
			break
		}
	}
	var play []int16
	frame := make([]int16, FrameSamples)
	var d opusDecoder
	for _, i := range order {
		if i == 160 {
			// Before the long loss: 1 + 2 + 1 frames filled by Opus (the
			// last one a packet reordered), and no hole in the jitter buffer.
			if c.jb.late != 1 || c.jb.concealed != 4 {
				t.Errorf("late %d (want 1), concealed %d (want 4)", c.jb.late, c.jb.concealed)
			}
		}
		d.decode(c, pkts[i])
		c.jb.pull(frame)
		play = append(play, frame...)
	}
	if c.jb.resyncs != 0 {
		t.Errorf("resyncs %d (timestamp wrap)", c.jb.resyncs)
	}
	// Up to the long loss, the output is one clean tone.
	a := pbx.AnalyseTone(play[10*FrameSamples:140*FrameSamples], 8000)
	if math.Abs(a.PeakHz-1000) > 5 || a.PeakRatio < 0.9 {
		t.Errorf("before the long loss: %+v", a)
	}
	// Each 20 ms frame from the start on carries the tone (no holes).
	for f := 10; f < 140; f++ {
		if r := rms(play[f*FrameSamples : (f+1)*FrameSamples]); r < 3000 {
			t.Errorf("frame %d: RMS %.0f", f, r)
		}
	}
	a = pbx.AnalyseTone(play[len(play)-100*FrameSamples:], 8000)
	if math.Abs(a.PeakHz-1000) > 5 || a.PeakRatio < 0.9 {
		t.Errorf("after the long loss: %+v", a)
	}
}

func TestOpusScaleWrap(t *testing.T) {
	var d opusDecoder
	d.scIn, d.scOut = math.MaxUint32-9599, 7
	for i := range uint32(10_000_000) { // two wraps of the 48 kHz clock
		in := uint32(math.MaxUint32-9599) + i*960
		if got, want := d.scale(in), uint32(7)+i*160; got != want {
			t.Fatalf("step %d: %d, want %d", i, got, want)
		}
	}
}

// BenchmarkOpusFrame is the engine's per-frame Opus cost: 8 kHz → 48 kHz,
// encode (24 kbit/s), decode, 48 kHz → 8 kHz into the jitter buffer and
// one frame of playout.
func BenchmarkOpusFrame(b *testing.B) {
	c := &Call{jb: newJitterBuffer(60), log: testLogger()}
	var enc opusEncoder
	var dec opusDecoder
	src := ToneSource(1000, 8000)
	frame := make([]int16, FrameSamples)
	play := make([]int16, FrameSamples)
	p := &rtp.Packet{Header: rtp.Header{PayloadType: ptOpus}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = src.ReadPCM(frame)
		p.Payload = enc.encode(c, frame)
		p.SequenceNumber, p.Timestamp = uint16(i), uint32(i*opusFrame)
		dec.decode(c, p)
		c.jb.pull(play)
	}
}

func BenchmarkOpusEncodeFrame(b *testing.B) {
	c := &Call{jb: newJitterBuffer(60), log: testLogger()}
	var enc opusEncoder
	src := ToneSource(1000, 8000)
	frame := make([]int16, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = src.ReadPCM(frame)
		enc.encode(c, frame)
	}
}
