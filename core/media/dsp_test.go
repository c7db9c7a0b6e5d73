package media

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

func TestG711MatchesReference(t *testing.T) {
	for i := range 65536 {
		s := int16(uint16(i))
		if EncodeULaw(s) != pbx.EncodeULaw(s) || EncodeALaw(s) != pbx.EncodeALaw(s) {
			t.Fatalf("encode %d differs from the PBX's", s)
		}
	}
	for i := range 256 {
		if DecodeULaw(byte(i)) != pbx.DecodeULaw(byte(i)) || DecodeALaw(byte(i)) != pbx.DecodeALaw(byte(i)) {
			t.Fatalf("decode %d differs", i)
		}
	}
	// Round trip error stays within G.711's quantisation step.
	for _, s := range []int16{0, 1, -1, 100, -100, 1000, -1000, 12345, -12345, 32767, -32768} {
		for _, alaw := range []bool{false, true} {
			var b [1]byte
			var o [1]int16
			encodeG711(b[:], []int16{s}, alaw)
			decodeG711(o[:], b[:], alaw)
			if d := math.Abs(float64(o[0]) - float64(s)); d > math.Max(16, math.Abs(float64(s))/16) {
				t.Fatalf("alaw=%v %d → %d", alaw, s, o[0])
			}
		}
	}
	if EncodeULaw(0) != 0xFF || EncodeALaw(0) != 0xD5 {
		t.Fatalf("silence codes %x %x", EncodeULaw(0), EncodeALaw(0))
	}
}

func TestDirectionValues(t *testing.T) {
	if Inactive != 0 || SendOnly != 1 || RecvOnly != 2 || SendRecv != 3 {
		t.Fatal("directions must be the spec's ints")
	}
	if SendOnly.Mirror() != RecvOnly || SendRecv.Mirror() != SendRecv || Inactive.Mirror() != Inactive {
		t.Fatal("mirror")
	}
}

func tone(rate int, hz, amp float64, n int) []int16 {
	g := newToneGen(rate, amp, hz)
	out := make([]int16, n)
	g.fill(out)
	return out
}

func TestResampler(t *testing.T) {
	cases := []struct {
		in, out int
		hz      float64
	}{
		{48000, 8000, 1000}, {44100, 8000, 700}, {16000, 8000, 440}, {8000, 16000, 1000}, {8000, 48000, 2000}, {8000, 44100, 300},
	}
	for _, c := range cases {
		r := NewResampler(c.in, c.out)
		src := tone(c.in, c.hz, 10000, c.in) // 1 s
		var out []int16
		for i := 0; i < len(src); i += 441 { // odd chunk sizes
			out = r.Process(out, src[i:min(i+441, len(src))])
		}
		if d := math.Abs(float64(len(out)) - float64(c.out)); d > float64(2*r.hw*c.out/c.in+4) {
			t.Fatalf("%d→%d: %d samples out", c.in, c.out, len(out))
		}
		a := pbx.AnalyseTone(out[len(out)/2:], c.out)
		if math.Abs(a.PeakHz-c.hz) > 5 || a.PeakRatio < 0.95 {
			t.Fatalf("%d→%d: %+v", c.in, c.out, a)
		}
		if lvl := rms(out[len(out)/2:]); math.Abs(lvl-10000/math.Sqrt2) > 500 {
			t.Fatalf("%d→%d: level %v", c.in, c.out, lvl)
		}
	}
	// Anti-aliasing: 6 kHz at 48 kHz must not come out at 2 kHz.
	r := NewResampler(48000, 8000)
	out := r.Process(nil, tone(48000, 6000, 10000, 48000))
	if lvl := rms(out[len(out)/2:]); lvl > 300 {
		t.Fatalf("6 kHz leaks through 48k→8k at rms %v", lvl)
	}
}

func TestDTMFDetectorDirect(t *testing.T) {
	var got []Digit
	d := DTMFDetector{OnDigit: func(x Digit) { got = append(got, x) }}
	rng := rand.New(rand.NewPCG(1, 2))
	digits := "0123456789*#ABCD"
	for _, k := range digits {
		lo, hi, _ := DTMFFreqs(k)
		g := newToneGen(SampleRate, 7000, lo, hi)
		buf := make([]int16, 800) // 100 ms
		g.fill(buf)
		for i := range buf {
			buf[i] += int16(rng.IntN(400) - 200) // noise
		}
		d.Write(buf)
		d.Write(make([]int16, 480)) // 60 ms gap
	}
	// Speech-like non-DTMF content gives nothing.
	d.Write(tone(SampleRate, 440, 8000, 8000))
	d.Write(tone(SampleRate, 1000, 8000, 8000))
	var s string
	for _, x := range got {
		s += string(x.Digit)
		if x.Duration < 80*time.Millisecond || x.Duration > 120*time.Millisecond {
			t.Errorf("%c lasted %v", x.Digit, x.Duration)
		}
	}
	if s != digits {
		t.Fatalf("got %q want %q", s, digits)
	}
}

func TestEModel(t *testing.T) {
	r, mos := EModel(20*time.Millisecond, 0)
	if r < 92 || mos < 4.35 {
		t.Fatalf("perfect: R %v MOS %v", r, mos)
	}
	r1, _ := EModel(20*time.Millisecond, 0.01)
	r5, m5 := EModel(20*time.Millisecond, 0.05)
	if !(r1 < r && r5 < r1) || m5 > 4.0 {
		t.Fatalf("loss: R %v %v MOS5 %v", r1, r5, m5)
	}
	rd, _ := EModel(300*time.Millisecond, 0)
	if rd > 80 {
		t.Fatalf("300 ms: R %v", rd)
	}
	if RToMOS(0) != 1 || math.Abs(RToMOS(93.2)-4.41) > 0.01 {
		t.Fatal("RToMOS")
	}
}

func frameAt(n int) []int16 {
	f := make([]int16, FrameSamples)
	for i := range f {
		f[i] = int16(n*1000 + 1)
	}
	return f
}

func TestJitterBufferReorderAndLoss(t *testing.T) {
	jb := newJitterBuffer(60)
	const ts0 = 1 << 31
	// Packets 0..9 arrive with 2 and 3 swapped and 5 lost.
	order := []int{0, 1, 3, 2, 4, 6, 7, 8, 9}
	out := make([]int16, FrameSamples)
	var played []int16
	put := func(n int) { jb.put(ts0+uint32(n*FrameSamples), frameAt(n)) }
	for i, n := range order {
		put(n)
		if i >= 2 {
			jb.pull(out)
			played = append(played, out[0])
		}
	}
	for range 6 {
		jb.pull(out)
		played = append(played, out[0])
	}
	// After the pre-buffer (60 ms = 3 frames of silence) frames come in
	// order, frame 5 concealed (a faded copy of frame 4).
	var seq []int16
	for _, v := range played {
		if v != 0 {
			seq = append(seq, v)
		}
	}
	want := []int16{1, 1001, 2001, 3001, 4001, 3200, 6001, 7001, 8001, 9001}
	if len(seq) < len(want) {
		t.Fatalf("played %v", played)
	}
	for i, w := range want {
		if seq[i] != w {
			t.Fatalf("played %v, want %v", seq, want)
		}
	}
	if jb.concealed != 1 {
		t.Fatalf("concealed %d", jb.concealed)
	}
}

func TestJitterBufferLateAndAdaptive(t *testing.T) {
	out := make([]int16, FrameSamples)
	const ts = 5000
	// Frames 0..9 in time, then 11..13, then 10 after its playout time.
	run := func(jb *jitterBuffer) {
		for n := range 10 {
			jb.put(ts+uint32(n*FrameSamples), frameAt(n))
			jb.pull(out)
		}
		for n := 11; n <= 13; n++ {
			jb.put(ts+uint32(n*FrameSamples), frameAt(n))
		}
		for range 3 {
			jb.pull(out)
		}
		jb.put(ts+uint32(10*FrameSamples), frameAt(10))
		if jb.late != 1 {
			t.Fatalf("late %d", jb.late)
		}
		jb.pull(out)
	}
	ad := newJitterBuffer(0)
	run(ad)
	if ad.depthMs() <= 40 {
		t.Fatalf("adaptive depth %d did not grow", ad.depthMs())
	}
	if out[0] != 10001 {
		t.Fatalf("adaptive: late packet not played: %d", out[0])
	}
	fx := newJitterBuffer(40)
	run(fx)
	if fx.depthMs() != 40 || out[0] != 11001 {
		t.Fatalf("fixed: depth %d played %d", fx.depthMs(), out[0])
	}
}

func TestJitterBufferGapReanchors(t *testing.T) {
	jb := newJitterBuffer(40)
	out := make([]int16, FrameSamples)
	for n := range 10 {
		jb.put(uint32(n*FrameSamples), frameAt(n))
		jb.pull(out)
	}
	for i := range 20 { // hold: nothing arrives (the first frames drain what was buffered)
		if jb.pull(out); i > 3 && out[0] != 0 {
			t.Fatal("audio during the gap")
		}
	}
	// Resume 2 s later in timestamp terms.
	base := uint32(10*FrameSamples + 16000)
	var heard bool
	for n := range 6 {
		jb.put(base+uint32(n*FrameSamples), frameAt(n+1))
		jb.pull(out)
		heard = heard || out[0] != 0
	}
	if !heard {
		t.Fatal("no audio after the gap")
	}
}

func TestWAVRoundTrip(t *testing.T) {
	path := t.TempDir() + "/x.wav"
	pcm := tone(SampleRate, 500, 9000, 4000)
	if err := WriteWAV(path, SampleRate, pcm); err != nil {
		t.Fatal(err)
	}
	back, err := readWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(pcm) || back[123] != pcm[123] {
		t.Fatalf("round trip: %d samples", len(back))
	}
	src, err := OpenWAVSource(path, false)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, FrameSamples)
	total := 0
	for {
		n, err := src.ReadPCM(buf)
		total += n
		if err != nil {
			break
		}
	}
	if total != len(pcm) {
		t.Fatalf("source gave %d samples", total)
	}
	if _, err := OpenWAVSource(t.TempDir()+"/missing.wav", false); err == nil {
		t.Fatal("missing file opened")
	}
}

func TestPCMPushSourceOverflow(t *testing.T) {
	p := NewPCMPushSource(8000, 100) // 800 samples
	p.Push(make([]int16, 1000))
	if p.Buffered() != 800 || p.Dropped() != 200 {
		t.Fatalf("buffered %d dropped %d", p.Buffered(), p.Dropped())
	}
	buf := make([]int16, FrameSamples)
	if n, _ := p.ReadPCM(buf); n != FrameSamples {
		t.Fatalf("read %d", n)
	}
}

func TestRxStatsSequence(t *testing.T) {
	for _, start := range []uint16{0, 1, 65530} {
		var s rxStats
		s.reset(1, start)
		for i := range 20 {
			if i == 7 { // lost
				continue
			}
			seq := start + uint16(i)
			s.update(seq, uint32(i*160), int64(i*160), 160)
		}
		if s.expected() != 20 || s.lost() != 1 {
			t.Fatalf("start %d: expected %d lost %d", start, s.expected(), s.lost())
		}
		if s.jitter != 0 {
			t.Fatalf("jitter %v for perfect timing", s.jitter)
		}
	}
}
