package audio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

func TestRingPrimesDropsAndWraps(t *testing.T) {
	q := newRing(4, 8)
	buf := make([]int16, 3)
	q.write([]int16{1, 2, 3})
	if n := q.read(buf); n != 0 {
		t.Fatalf("read %d before priming", n)
	}
	q.write([]int16{4})
	if n := q.read(buf); n != 3 || !equal(buf, []int16{1, 2, 3}) {
		t.Fatalf("read %d %v", n, buf)
	}
	// Underrun: partial, then primes again.
	if n := q.read(buf); n != 1 || buf[0] != 4 {
		t.Fatalf("partial read %d %v", n, buf)
	}
	q.write([]int16{5, 6})
	if n := q.read(buf); n != 0 {
		t.Fatalf("read %d while priming again", n)
	}
	// Overrun: the oldest go, back to prime.
	q.write([]int16{7, 8, 9, 10, 11, 12, 13})
	st := q.stats()
	if st.buffered != 4 || st.overruns != 1 || st.dropped != 5 || st.underruns != 1 {
		t.Fatalf("stats %+v", st)
	}
	got := make([]int16, 4)
	if n := q.read(got); n != 4 || !equal(got, []int16{10, 11, 12, 13}) {
		t.Fatalf("after overrun %d %v", n, got)
	}
	// A write larger than the ring keeps its newest samples.
	q.write([]int16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	got = make([]int16, 8)
	if n := q.read(got); n != 4 || !equal(got[:4], []int16{7, 8, 9, 10}) {
		t.Fatalf("after a huge write %d %v", n, got)
	}
}

func TestLinearResamplerKeepsTheTone(t *testing.T) {
	rs := newLinearResampler(16000, 8000)
	var out []int16
	in := make([]int16, 320)
	n := 0
	for range 50 {
		for i := range in {
			in[i] = int16(8000 * math.Sin(2*math.Pi*500*float64(n)/16000))
			n++
		}
		out = rs.process(out, in)
	}
	if len(out) < 7990 || len(out) > 8000 {
		t.Fatalf("%d samples out of a second at 16 kHz", len(out))
	}
	if !dominant(out[:800], 500, 8000) {
		t.Fatal("500 Hz lost")
	}
	same := newLinearResampler(8000, 8000)
	if got := same.process(nil, []int16{1, 2, 3}); !equal(got, []int16{1, 2, 3}) {
		t.Fatalf("same rate: %v", got)
	}
}

func TestBuiltinRingCadence(t *testing.T) {
	c := BuiltinRing()
	if c.Rate != 16000 || c.Channels != 1 || c.Duration() != 3 {
		t.Fatalf("clip %d Hz %d ch %.2f s", c.Rate, c.Channels, c.Duration())
	}
	seg := func(from, to float64) []int16 { return c.Samples[int(from*16000):int(to*16000)] }
	for _, on := range [][2]float64{{0.05, 0.35}, {0.65, 0.95}} {
		s := seg(on[0], on[1])
		e := energy(s) * float64(len(s)) / 2
		lo, hi := goertzel(s, RingToneLowHz, 16000)/e, goertzel(s, RingToneHighHz, 16000)/e
		if lo < 0.4 || hi < 0.4 {
			t.Errorf("burst %v: 400 Hz %.2f, 450 Hz %.2f of the energy", on, lo, hi)
		}
	}
	for _, off := range [][2]float64{{0.41, 0.59}, {1.01, 3}} {
		if !silent(seg(off[0], off[1]), 16000) || energy(seg(off[0], off[1])) != 0 {
			t.Errorf("pause %v is not silent", off)
		}
	}
}

func wavBytes(t *testing.T, format, channels, bits uint16, rate uint32, extensible bool) []byte {
	var b bytes.Buffer
	c := &Clip{Rate: int(rate), Channels: int(channels), Samples: []int16{1, -1, 2, -2}}
	if err := c.WriteWAV(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[20], raw[21] = byte(format), byte(format>>8)
	raw[34], raw[35] = byte(bits), byte(bits>>8)
	if extensible {
		// fmt grows to 40 bytes: cbSize 22, valid bits, mask, subformat.
		ext := make([]byte, 24)
		ext[0] = 22
		ext[8], ext[9] = byte(format), byte(format>>8)
		hdr := append([]byte(nil), raw[:36]...)
		hdr[16] = 40
		hdr[20], hdr[21] = 0xFE, 0xFF
		out := append(hdr, ext...)
		out = append(out, raw[36:]...)
		size := uint32(len(out) - 8)
		out[4], out[5], out[6], out[7] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
		return out
	}
	return raw
}

func TestReadWAV(t *testing.T) {
	c, err := ReadWAV(bytes.NewReader(wavBytes(t, 1, 2, 16, 22050, false)))
	if err != nil || c.Rate != 22050 || c.Channels != 2 || !equal(c.Samples, []int16{1, -1, 2, -2}) {
		t.Fatalf("PCM16: %+v %v", c, err)
	}
	if c, err := ReadWAV(bytes.NewReader(wavBytes(t, 1, 1, 16, 8000, true))); err != nil || len(c.Samples) != 4 {
		t.Fatalf("extensible PCM16: %+v %v", c, err)
	}
	bad := map[string][]byte{
		"float":            wavBytes(t, 3, 1, 32, 8000, false),
		"A-law":            wavBytes(t, 6, 1, 8, 8000, false),
		"8-bit PCM":        wavBytes(t, 1, 1, 8, 8000, false),
		"extensible float": wavBytes(t, 3, 1, 32, 8000, true),
		"3 channels":       wavBytes(t, 1, 3, 16, 8000, false),
		"rate 0":           wavBytes(t, 1, 1, 16, 0, false),
		"not RIFF":         []byte("this is not a wav file at all"),
		"empty":            nil,
		"no data":          wavBytes(t, 1, 1, 16, 8000, false)[:36],
	}
	for name, b := range bad {
		if _, err := ReadWAV(bytes.NewReader(b)); !errors.Is(err, ErrUnsupportedWAV) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ring.wav")
	if err := os.WriteFile(p, wavBytes(t, 3, 1, 32, 8000, false), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWAV(p); !errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("LoadWAV(float): %v", err)
	}
	if _, err := LoadWAV(filepath.Join(dir, "missing.wav")); err == nil || errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("LoadWAV(missing): %v", err)
	}
}

// toneHz is the simulated devices' tone: 1020 Hz, the telephone test
// tone, because no 20 or 25 ms frame holds a whole number of its periods
// (at 1000 Hz every frame does, and a dropped frame keeps the phase).
const toneHz = 1020

// driftRun is what a simulated device pair did through a ring.
type driftRun struct {
	in, out []int16   // what was written; what the reader got (silence when it got nothing)
	first   int       // where in out the first sample read is
	troughs []int     // the lowest level after a read, each second of the reader's clock
	means   []float64 // the level averaged over time, each second
	st      ringStats
}

// simulateDrift runs a writer of 20 ms frames whose clock is ppm faster
// than the reader's, and a reader of 25 ms periods (PulseAudio's speaker
// against the call's clock: the level saw-tooths by 25 ms), each called up
// to 2 ms late at random, the reader's periods starting phase seconds
// after the writer's, through an endpoint's ring (40 ms prime, 100 ms
// limit at 8 kHz), for d of the reader's time. The writer writes toneHz
// (with noise 48 dB under it).
func simulateDrift(ppm float64, follow bool, d time.Duration, phase float64) driftRun {
	const rate, wlen, rlen = 8000, 160, 200
	q := newRing(320, 800)
	var now float64
	if follow {
		q.follow(rate)
		q.fol.now = func() float64 { return now }
	}
	rng := rand.New(rand.NewPCG(16, math.Float64bits(ppm)))
	late := func() float64 { return rng.Float64() * 0.002 }
	noise := rand.New(rand.NewPCG(16, 1)) // a little, so that a delay is found exactly
	wPeriod, rPeriod := 0.020/(1+ppm*1e-6), 0.025
	reads := int(d.Seconds() / rPeriod)
	run := driftRun{first: -1, in: make([]int16, 0, int(d.Seconds()*rate*(1+ppm*1e-6))+2*wlen)}
	run.out = make([]int16, 0, reads*rlen)
	nextW, nextR := late(), phase+late()
	var area, last float64
	level := func(t float64) { // the level integrated over time
		area += float64(q.n) * (t - last)
		last = t
	}
	var writes int
	rbuf := make([]int16, rlen)
	low := math.MaxInt
	for r := 0; r < reads; {
		if nextW < nextR {
			now = nextW
			level(now)
			for range wlen {
				i := len(run.in)
				run.in = append(run.in, int16(math.Round(8000*math.Sin(2*math.Pi*toneHz*float64(i)/rate)))+int16(noise.IntN(64)-32))
			}
			q.write(run.in[len(run.in)-wlen:])
			writes++
			nextW = float64(writes)*wPeriod + late()
			continue
		}
		now = nextR
		level(now)
		k := q.read(rbuf)
		if k > 0 && run.first < 0 {
			run.first = len(run.out)
		}
		clear(rbuf[k:])
		run.out = append(run.out, rbuf...)
		if run.first >= 0 {
			low = min(low, q.n)
		}
		r++
		nextR = phase + float64(r)*rPeriod + late()
		if r%(rate/rlen) == 0 && low != math.MaxInt {
			run.troughs = append(run.troughs, low)
			run.means = append(run.means, area/rPeriod/float64(rate/rlen))
			low = math.MaxInt
		}
		if r%(rate/rlen) == 0 {
			area = 0
		}
	}
	run.st = q.stats()
	return run
}

// A ring between two clocks 100 or 300 ppm apart, for ten minutes, holds
// its level (averaged over each second) within 2 ms of where it settled,
// never reaches its limit nor runs dry, and the 1020 Hz tone through it
// keeps a continuous phase: its reads are resampled by the drift, not cut.
// Without following, the same run hits the limit or runs dry. The reader
// starts where the saw-tooth's troughs touch empty, so the ring first
// raises its level to the margin (a quarter of the prime).
func TestRingFollowsDrift(t *testing.T) {
	d := 10 * time.Minute
	if testing.Short() {
		d = 3 * time.Minute
	}
	for _, ppm := range []float64{100, -100, 300, -300} {
		t.Run(fmt.Sprintf("%+.0fppm", ppm), func(t *testing.T) {
			run := simulateDrift(ppm, true, d, 0)
			st := run.st
			if st.overruns != 0 || st.underruns != 0 {
				t.Fatalf("stats %+v: the ring reached its limit or ran dry", st)
			}
			settled := run.means[60:]
			lo, hi := slices.Min(settled), slices.Max(settled)
			mid := (lo + hi) / 2
			trough := slices.Min(run.troughs[60:])
			jumps, clean := pulsetest.PhaseJumps(run.out[run.first:], toneHz, 8000)
			t.Logf("%+.0f ppm over %v, after the first minute: level %.1f-%.1f ms, troughs down to %.1f ms; drift measured %+.1f ppm, correction %+.1f ppm; %d samples resampled; %d phase jumps in %d clean 10 ms blocks",
				ppm, d, lo/8, hi/8, float64(trough)/8, st.driftPPM, st.correctionPPM, st.resampled, jumps, clean)
			if hi-mid > 16 {
				t.Errorf("the level moved %.1f ms about its set point", (hi-mid)/8)
			}
			if trough < 40 {
				t.Errorf("a trough of %.1f ms: too close to running dry", float64(trough)/8)
			}
			if blocks := len(run.out[run.first:]) / 80; jumps != 0 || clean < blocks*9/10 {
				t.Errorf("%d phase jumps, %d clean 10 ms blocks of %d", jumps, clean, blocks)
			}
			if math.Abs(st.driftPPM-ppm) > 0.1*math.Abs(ppm) || math.Abs(st.correctionPPM-ppm) > 0.2*math.Abs(ppm) {
				t.Errorf("drift measured %+.1f ppm, correction %+.1f ppm, want about %+.0f", st.driftPPM, st.correctionPPM, ppm)
			}

			// The interpolator keeps the tone's level (measured over 100 ms:
			// the tone is a few tenths of a hertz off).
			tail := run.out[len(run.out)-800:]
			if in, out := pulsetest.ToneDBFS(run.in[:800], toneHz, 8000), pulsetest.ToneDBFS(tail, toneHz, 8000); math.Abs(in-out) > 0.05 {
				t.Errorf("tone at %.2f dBFS in, %.2f dBFS out", in, out)
			}

			if testing.Short() {
				return
			}
			off := simulateDrift(ppm, false, d, 0)
			offJumps, _ := pulsetest.PhaseJumps(off.out[off.first:], toneHz, 8000)
			t.Logf("without following: %d overruns, %d underruns, %d phase jumps", off.st.overruns, off.st.underruns, offJumps)
			if off.st.overruns+off.st.underruns == 0 || offJumps == 0 {
				t.Errorf("without following: stats %+v, %d phase jumps: the test cannot fail", off.st, offJumps)
			}
		})
	}
}

// On one clock the follower touches nothing: what is read is what was
// written, bit for bit, delayed by the ring's prime.
func TestRingFollowsNoDriftBitExact(t *testing.T) {
	run := simulateDrift(0, true, 5*time.Minute, 0.0125)
	if st := run.st; st.resampled != 0 || st.correctionPPM != 0 || st.overruns != 0 || st.underruns != 0 {
		t.Fatalf("stats %+v: want no correction at all", st)
	}
	// The delay line's lookAhead samples (silence at first) come first.
	got := run.out[run.first:]
	if !slices.Equal(got[:lookAhead], make([]int16, lookAhead)) {
		t.Fatalf("the first %d samples read are not the delay line's silence", lookAhead)
	}
	got = got[lookAhead:]
	if !slices.Equal(got, run.in[:len(got)]) {
		i := 0
		for got[i] == run.in[i] {
			i++
		}
		t.Fatalf("sample %d of %d read differs from what was written", i, len(got))
	}
	if math.Abs(run.st.driftPPM) > 5 {
		t.Errorf("drift measured %+.1f ppm on one clock", run.st.driftPPM)
	}
}

// On one clock with the troughs settled at empty, the ring raises its
// level to the margin (resampling for a while), rests, and from then on
// copies again: the output is the input at a whole-sample delay.
func TestRingFollowsNoDriftRests(t *testing.T) {
	run := simulateDrift(0, true, 5*time.Minute, 0)
	st := run.st
	if st.overruns != 0 || st.underruns != 0 || st.resampled == 0 || st.correctionPPM != 0 {
		t.Fatalf("stats %+v: want a correction at the start, none at the end", st)
	}
	if trough := slices.Min(run.troughs[60:]); trough < 60 {
		t.Errorf("troughs down to %d samples after a minute, want about the margin (80)", trough)
	}
	// The last two minutes are the input delayed by a whole number of
	// samples (the first sample read at the prime, plus the level raised).
	tail := run.out[len(run.out)-2*60*8000:]
	delay := len(run.out) - len(tail) // output index of tail[0]
	found := false
	for lag := 0; lag < 400 && !found; lag++ {
		i := delay - run.first - lag // the input sample tail[0] would be
		found = i >= 0 && slices.Equal(tail, run.in[i:i+len(tail)])
		if found {
			t.Logf("%d samples resampled; then bit-exact, %d samples (%.1f ms) later than at the start", st.resampled, lag, float64(lag)/8)
		}
	}
	if !found {
		t.Fatal("the last two minutes are not the input at any whole-sample delay")
	}
}

// The interpolator reads a tone between samples as the tone itself: across
// the telephone band, at any fraction, the error stays far under it.
func TestRingInterpolatorKeepsTheBand(t *testing.T) {
	const rate, n = 8000, 400
	for _, hz := range []float64{300, 1020, 2000, 3000, 3400} {
		for _, frac := range []float64{0.1, 0.25, 0.5, 0.9} {
			in := make([]int16, 2*n)
			for i := range in {
				in[i] = int16(math.Round(16000 * math.Sin(2*math.Pi*hz*float64(i)/rate)))
			}
			f := newFollower(rate, 0, 2*n)
			off := 100 // the ring's read position in in; the interpolator's is lookAhead behind
			copy(f.hist[:], in[off-len(f.hist):off])
			f.frac = frac
			out := make([]int16, n)
			f.interpolate(out, func(dst []int16) { copy(dst, in[off:]) })
			var sig, errE float64
			for k, v := range out {
				want := 16000 * math.Sin(2*math.Pi*hz*(float64(off-lookAhead+k)+frac)/rate)
				sig += want * want
				errE += (float64(v) - want) * (float64(v) - want)
			}
			db := 10 * math.Log10(errE/sig)
			if db > -60 {
				t.Errorf("%.0f Hz at +%.2f sample: error %.1f dB under the tone, want 60", hz, frac, -db)
			}
			if hz == 3400 && frac == 0.5 {
				t.Logf("3400 Hz half way between samples: error %.1f dB under the tone", -db)
			}
		}
	}
}

// The set point is where the level settled, moved so that the troughs stay
// the margin above empty and the peaks the margin under the limit.
func TestRingFollowerSetPoint(t *testing.T) {
	for _, c := range []struct {
		mean      float64
		low, high int
		want      float64
	}{
		{400, 200, 600, 400}, // settled well inside: kept
		{250, 20, 520, 310},  // troughs at 20: raised to 80
		{700, 560, 790, 630}, // peaks at 790: lowered to 720
	} {
		f := newFollower(8000, 80, 800)
		for range driftWarm + driftBase {
			f.endWindow(c.mean, c.low, c.high)
		}
		if f.target != c.want {
			t.Errorf("settled at %.0f (troughs %d, peaks %d): set point %.0f, want %.0f", c.mean, c.low, c.high, f.target, c.want)
		}
		if e := (c.mean - c.want) / 8000; math.Abs(e) > driftOn && !f.active {
			t.Errorf("settled %.0f samples off the set point, and the controller rests", c.mean-c.want)
		}
	}
}

// The cost of a 25 ms device read (200 samples at 8 kHz) through the
// ring: copied (in the dead band) and resampled (following a drift).
func BenchmarkRingRead(b *testing.B) {
	for _, eps := range []float64{0, 100e-6} {
		name := "copy"
		if eps != 0 {
			name = "resampled"
		}
		b.Run(name, func(b *testing.B) {
			q := newRing(320, 800)
			q.follow(8000)
			frame, p := make([]int16, 200), make([]int16, 200)
			q.write(make([]int16, 480))
			q.read(p)
			for b.Loop() {
				q.fol.eps = eps // held: no controller in the loop
				q.write(frame)
				if q.n < 300 {
					q.write(frame[:1]) // what the drift would have brought
				}
				q.read(p)
			}
			if eps != 0 && q.stats().resampled == 0 {
				b.Fatal("nothing resampled")
			}
		})
	}
}

// A window's end runs on the device's thread (under the ring's lock, in
// the data callback): it must not allocate, past warm-up or during it.
func TestFollowerWindowDoesNotAllocate(t *testing.T) {
	f := newFollower(160, 80, 1600)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		i++
		f.endWindow(400+float64(i%7), 300+i%5, 500+i%3)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per window end, want 0", allocs)
	}
}
