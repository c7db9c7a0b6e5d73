package dsp

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
)

// echoPath is a far-end signal, its echo through a room with a bulk delay,
// and a low noise floor: the capture of a call where the agent is silent.
type echoPath struct {
	rate      int
	far, echo []float64
	floor     []float64
	near      []int16 // echo + floor
	farI      []int16
	bulkMs    int
}

func newEchoPath(rate, bulkMs int, seconds float64) echoPath {
	far := speechLike(rate, seconds, 1, -20)
	h := roomResponse(rate, 0.25, 0.3, 6, 2)
	echo := convolve(far, h, bulkMs*rate/1000)
	floor := whiteNoise(len(far), 3, -70)
	return echoPath{rate: rate, far: far, echo: echo, floor: floor, near: toInt16(mix(echo, floor)),
		farI: toInt16(far), bulkMs: bulkMs}
}

// erleDB is echo power over output power in [from, to) seconds, the output
// taken lat samples later (the processor's latency).
func (e echoPath) erleDB(out []int16, from, to float64, lat int) float64 {
	a, b := int(from*float64(e.rate)), int(to*float64(e.rate))
	return 10 * math.Log10(powerF(e.echo, a, b)/power(out, a+lat, b+lat))
}

func mustNew(t *testing.T, cfg Config) *Processor {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestEchoIsCancelled(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		e := newEchoPath(rate, 60, 14)
		lat := rate / 100
		lin := run(mustNew(t, Config{SampleRate: rate, Features: EchoCancel}), e.farI, e.near, rate/50)
		// The echo stages (AGC left out: it would only move the level).
		full := run(mustNew(t, Config{SampleRate: rate, Features: EchoCancel | EchoSuppress | NoiseSuppress}), e.farI, e.near, rate/50)
		off := run(mustNew(t, Config{SampleRate: rate}), e.farI, e.near, rate/50)
		l, f, o := e.erleDB(lin, 9, 13.5, lat), e.erleDB(full, 9, 13.5, lat), e.erleDB(off, 9, 13.5, lat)
		t.Logf("%d Hz: ERLE linear %.1f dB, with suppression %.1f dB, nothing on %.1f dB", rate, l, f, o)
		if math.Abs(o) > 0.5 {
			t.Errorf("%d Hz: with nothing on the echo should pass unchanged, ERLE %.1f dB", rate, o)
		}
		if l < 15 {
			t.Errorf("%d Hz: linear ERLE %.1f dB, want >= 15", rate, l)
		}
		if f < l+6 {
			t.Errorf("%d Hz: with residual echo suppression ERLE %.1f dB, want 6 dB above the linear %.1f", rate, f, l)
		}
	}
}

func TestAlignmentFindsDelay(t *testing.T) {
	// 300 ms is beyond the 200 ms tail: without alignment nothing cancels.
	for _, bulk := range []int{80, 300} {
		e := newEchoPath(16000, bulk, 10)
		p := mustNew(t, Config{SampleRate: 16000, Features: EchoCancel})
		out := run(p, e.farI, e.near, 160)
		st := p.State()
		if !st.DelayKnown || math.Abs(st.DelayMs-float64(bulk)) > 3 {
			t.Errorf("bulk %d ms: delay known %v, %.1f ms", bulk, st.DelayKnown, st.DelayMs)
		}
		if erle := e.erleDB(out, 6, 9.5, 160); erle < 15 {
			t.Errorf("bulk %d ms: ERLE %.1f dB after alignment, want >= 15", bulk, erle)
		}
		if st.ERLEdB < 10 {
			t.Errorf("bulk %d ms: State.ERLEdB %.1f, want the estimate to see the cancellation", bulk, st.ERLEdB)
		}
	}
	// The same 300 ms path with the alignment off: the echo is out of reach.
	e := newEchoPath(16000, 300, 10)
	out := run(mustNew(t, Config{SampleRate: 16000, Features: EchoCancel, NoAlign: true}), e.farI, e.near, 160)
	if erle := e.erleDB(out, 6, 9.5, 160); erle > 3 {
		t.Errorf("no alignment, bulk 300 ms: ERLE %.1f dB, want ~0 (the tail cannot reach)", erle)
	}
}

func TestAlignmentFollowsAChange(t *testing.T) {
	// The playout path gets 100 ms longer half way (a device switch).
	rate := 16000
	far := speechLike(rate, 24, 4, -20)
	h := roomResponse(rate, 0.25, 0.3, 6, 2)
	e1, e2 := convolve(far, h, 60*rate/1000), convolve(far, h, 160*rate/1000)
	half := 12 * rate
	echo := append(append([]float64{}, e1[:half]...), e2[half:]...)
	near := toInt16(mix(echo, whiteNoise(len(far), 3, -70)))
	p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	out := run(p, toInt16(far), near, 160)
	st := p.State()
	if math.Abs(st.DelayMs-160) > 3 || st.Realignments < 2 {
		t.Errorf("after the change: delay %.1f ms (want 160), realignments %d (want >= 2)", st.DelayMs, st.Realignments)
	}
	a, b := 20*rate, 24*rate-200
	if erle := 10 * math.Log10(powerF(echo, a, b)/power(out, a+160, b+160)); erle < 15 {
		t.Errorf("ERLE %.1f dB at the end, want >= 15 once re-aligned", erle)
	}
}

// driftRun plays far at a playout clock ppm away from the capture clock.
func driftRun(t *testing.T, ppm float64, seconds float64) (*Processor, float64) {
	rate := 16000
	n := int(seconds * float64(rate))
	played := speechLike(rate, seconds*(1+ppm*1e-6)+1, 5, -20)
	// What the microphone hears: the played signal on the capture clock
	// (a 128-tap windowed sinc, finer than the processor's resampler).
	heard := sincResample(played, 1+ppm*1e-6, n)
	playedI := toInt16(played)
	echo := convolve(heard, roomResponse(rate, 0.25, 0.3, 6, 2), 100*rate/1000)
	near := toInt16(mix(echo, whiteNoise(n, 3, -70)))
	p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	out := make([]int16, n)
	var acc float64
	fpos := 0
	for i := 0; i+160 <= n; i += 160 {
		acc += 160 * (1 + ppm*1e-6)
		k := int(acc)
		acc -= float64(k)
		if err := p.Playback(playedI[fpos : fpos+k]); err != nil {
			t.Fatal(err)
		}
		fpos += k
		if _, err := p.Capture(near[i:i+160], out[i:i+160]); err != nil {
			t.Fatal(err)
		}
	}
	a, b := n-8*rate, n-400
	return p, 10 * math.Log10(powerF(echo, a, b)/power(out, a+160, b+160))
}

// sincResample reads x at positions m*ratio (m < n) with a 128-tap
// Kaiser-windowed sinc.
func sincResample(x []float64, ratio float64, n int) []float64 {
	const half, steps = 64, 4096
	win := make([]float64, steps+2)
	for i := range win {
		win[i] = kaiser(float64(i)/steps, 10)
	}
	y := make([]float64, n)
	for m := range y {
		t := float64(m) * ratio
		i0 := int(math.Floor(t))
		var s float64
		for j := max(0, i0-half+1); j <= i0+half && j < len(x); j++ {
			d := t - float64(j)
			s += x[j] * sinc(d) * win[int(math.Abs(d)/half*steps)]
		}
		y[m] = s
	}
	return y
}

func TestDriftIsCompensated(t *testing.T) {
	_, base := driftRun(t, 0, 36)
	for _, ppm := range []float64{300, -300} {
		p, erle := driftRun(t, ppm, 36)
		st := p.State()
		t.Logf("%+.0f ppm: compensated %.1f ppm, ERLE %.1f dB (no drift %.1f)", ppm, st.DriftPPM, erle, base)
		if math.Abs(st.DriftPPM-ppm) > 20 {
			t.Errorf("%+.0f ppm: compensation %.1f ppm", ppm, st.DriftPPM)
		}
		// Uncompensated, 300 ppm moves the echo by 5 samples a second and
		// the canceller cannot follow (under 10 dB). The synthetic voice has
		// harmonics up to 90% of Nyquist, where the fractional resampler
		// is least exact: the bench (espeak-ng voices) asks for 3 dB.
		if erle < 24 || erle < base-8 {
			t.Errorf("%+.0f ppm: ERLE %.1f dB, want >= 24 and within 8 dB of the %.1f without drift", ppm, erle, base)
		}
		if st.RefUnderflows != 0 || st.RefOverflows != 0 {
			t.Errorf("%+.0f ppm: %d underflows, %d overflows of the reference FIFO", ppm, st.RefUnderflows, st.RefOverflows)
		}
	}
}

func TestReferenceStallsRecover(t *testing.T) {
	rate := 16000
	e := newEchoPath(rate, 60, 24)
	p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	out := make([]int16, len(e.near))
	for i := 0; i+160 <= len(e.near); i += 160 {
		sec := float64(i) / float64(rate)
		// 4-4.5 s: the playout thread stalls (no reference; the echo of
		// what the device still plays goes on). 12-14.5 s: the capture
		// thread stalls (those microphone frames are lost) while playout
		// goes on: the FIFO's 2 s overflow.
		if sec < 4 || sec >= 4.5 {
			if err := p.Playback(e.farI[i : i+160]); err != nil {
				t.Fatal(err)
			}
		}
		if sec >= 12 && sec < 14.5 {
			continue
		}
		if _, err := p.Capture(e.near[i:i+160], out[i:i+160]); err != nil {
			t.Fatal(err)
		}
	}
	st := p.State()
	if st.RefUnderflows == 0 || st.RefOverflows == 0 {
		t.Errorf("underflows %d, overflows %d: want both seen", st.RefUnderflows, st.RefOverflows)
	}
	if erle := e.erleDB(out, 9, 12, 160); erle < 12 {
		t.Errorf("ERLE %.1f dB after the playout stall, want >= 12", erle)
	}
	if erle := e.erleDB(out, 20, 23.5, 160); erle < 12 {
		t.Errorf("ERLE %.1f dB after the capture stall, want >= 12 (realignments %d)", erle, st.Realignments)
	}
}

func TestFeaturesSwitchWithoutGlitch(t *testing.T) {
	rate := 16000
	e := newEchoPath(rate, 60, 16)
	p := mustNew(t, DefaultConfig(rate))
	out := make([]int16, len(e.near))
	for i := 0; i+160 <= len(e.near); i += 160 {
		switch i {
		case 8 * rate:
			if err := p.SetFeatures(0); err != nil {
				t.Fatal(err)
			}
		case 11 * rate:
			if err := p.SetFeatures(AllFeatures); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Playback(e.farI[i : i+160]); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Capture(e.near[i:i+160], out[i:i+160]); err != nil {
			t.Fatal(err)
		}
	}
	// Everything off: the capture comes out unchanged, exactly one block
	// later: the suppressor keeps running, so the delay does not change.
	for i := 8*rate + 2*160; i < 11*rate-2*160; i++ {
		if out[i+160] != e.near[i] {
			t.Fatalf("sample %d: everything off gives %d, the capture was %d", i, out[i+160], e.near[i])
		}
	}
	// Back on: the adapted filter was kept, so the echo is cancelled at
	// once instead of after a new convergence.
	if erle := e.erleDB(out, 11.2, 12.2, 160); erle < 25 {
		t.Errorf("ERLE %.1f dB in the second after switching back on, want >= 25", erle)
	}
	if f := p.Features(); f != AllFeatures {
		t.Errorf("Features() = %v", f)
	}
}

func TestNoiseSuppressionSwitch(t *testing.T) {
	rate := 8000
	noise := toInt16(whiteNoise(6*rate, 8, -40))
	on := run(mustNew(t, Config{SampleRate: rate, Features: NoiseSuppress}), nil, noise, 160)
	off := run(mustNew(t, Config{SampleRate: rate}), nil, noise, 160)
	a, b := 3*rate, 6*rate-200
	red := 10 * math.Log10(power(off, a, b)/power(on, a, b))
	if red < 15 {
		t.Errorf("noise reduced by %.1f dB, want >= 15 (suppression -25 dB)", red)
	}
}

func TestVAD(t *testing.T) {
	rate := 16000
	speech := speechLike(rate, 6, 9, -26)
	var sig []float64
	sig = append(sig, whiteNoise(3*rate, 1, -65)...) // near silence
	sig = append(sig, mix(speech, whiteNoise(len(speech), 2, -65))...)
	in := toInt16(sig)
	p := mustNew(t, Config{SampleRate: rate, Features: VAD | NoiseSuppress})
	out := make([]int16, 160)
	var silentSpeaking, speechFrames, speechSpeaking int
	for i := 0; i+160 <= len(in); i += 160 {
		res, err := p.Capture(in[i:i+160], out)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i >= rate && i < 3*rate:
			if res.Speaking {
				silentSpeaking++
			}
		case i >= 3*rate+rate/2:
			// Frames where the speech itself is loud (the VAD's decision
			// comes one block late).
			j := i - 3*rate - 160
			if j >= 0 && j+160 <= len(speech) && 10*math.Log10(powerF(speech, j, j+160)/(32768*32768)) > -40 {
				speechFrames++
				if res.Speaking {
					speechSpeaking++
				}
			}
		}
	}
	if silentSpeaking > 0 {
		t.Errorf("VAD said speaking in %d silent frames", silentSpeaking)
	}
	if frac := float64(speechSpeaking) / float64(speechFrames); frac < 0.85 {
		t.Errorf("VAD said speaking in %.0f%% of %d speech frames, want >= 85%%", 100*frac, speechFrames)
	}
	if !p.State().Features.Has(VAD) {
		t.Error("State().Features lacks VAD")
	}
	// With the VAD off, nothing is reported.
	q := mustNew(t, Config{SampleRate: rate})
	for i := 3 * rate; i+160 <= len(in); i += 160 {
		if res, _ := q.Capture(in[i:i+160], out); res.Speaking {
			t.Fatal("VAD off, yet Speaking")
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, cfg := range []Config{
		{}, {SampleRate: 44100}, {SampleRate: -8000}, {SampleRate: 16000, TailMs: 5},
		{SampleRate: 16000, TailMs: 10000}, {SampleRate: 8000, MaxDelayMs: 5000},
		{SampleRate: 8000, Features: 0x80}, {SampleRate: 8000, NoiseSuppressDB: 10},
		{SampleRate: 8000, AGCLevelDBFS: 3}, {SampleRate: 8000, AGCMaxGainDB: -1},
	} {
		if p, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, %v; want ErrConfig", cfg, p, err)
		}
	}
	p, err := New(DefaultConfig(8000))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 400)
	for _, n := range []int{0, 1, 79, 81, 159, 161, 240, 320} {
		if _, err := p.Capture(make([]int16, n), out); !errors.Is(err, ErrFrame) {
			t.Errorf("Capture of %d samples at 8 kHz: %v, want ErrFrame", n, err)
		}
	}
	if _, err := p.Capture(make([]int16, 160), out[:80]); !errors.Is(err, ErrFrame) {
		t.Errorf("short output: %v, want ErrFrame", err)
	}
	if _, err := p.Capture(nil, nil); !errors.Is(err, ErrFrame) {
		t.Errorf("nil frame: %v, want ErrFrame", err)
	}
	if err := p.SetFeatures(0x40); !errors.Is(err, ErrConfig) {
		t.Errorf("SetFeatures(0x40) = %v", err)
	}
	// In place, 10 and 20 ms.
	buf := make([]int16, 160)
	if _, err := p.Capture(buf, buf); err != nil {
		t.Errorf("in-place 20 ms frame: %v", err)
	}
	if _, err := p.Capture(buf[:80], buf[:80]); err != nil {
		t.Errorf("10 ms frame: %v", err)
	}
	if err := p.Playback(make([]int16, 12345)); err != nil {
		t.Errorf("Playback of any length: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Capture(buf, out); !errors.Is(err, ErrClosed) {
		t.Errorf("Capture after Close: %v", err)
	}
	if err := p.Playback(buf); !errors.Is(err, ErrClosed) {
		t.Errorf("Playback after Close: %v", err)
	}
	_ = p.State() // readable after Close
}

// Nothing outlives a processor: no goroutine, no package-level state. A
// processor holds about 100 kB; 500 of them left reachable would show.
func TestOpenCloseDoesNotLeak(t *testing.T) {
	cycle := func() {
		p, err := New(DefaultConfig(16000))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]int16, 320)
		p.Playback(buf)
		p.Capture(buf, buf)
		p.Close()
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range 20 {
		cycle()
	}
	goroutines, before := runtime.NumGoroutine(), heap()
	for range 500 {
		cycle()
	}
	if grow := int64(heap()) - int64(before); grow > 8<<20 {
		t.Errorf("heap grew by %d bytes over 500 processors", grow)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after 500 processors, %d before", n, goroutines)
	}
}

func TestThreads(t *testing.T) {
	// Playback, Capture, SetFeatures and State from their own goroutines,
	// then Close while Capture runs: the race detector checks the rest.
	rate := 16000
	e := newEchoPath(rate, 60, 3)
	p, err := New(DefaultConfig(rate))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tick := make(chan int)
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := range tick {
			p.Playback(e.farI[i : i+160])
		}
	}()
	go func() {
		defer wg.Done()
		for k := 0; k < 200; k++ {
			p.SetFeatures(Features(k % 32))
			_ = p.State()
		}
	}()
	go func() {
		defer wg.Done()
		defer close(tick)
		out := make([]int16, 160)
		for i := 0; i+160 <= len(e.near); i += 160 {
			tick <- i
			if _, err := p.Capture(e.near[i:i+160], out); err != nil {
				if errors.Is(err, ErrClosed) {
					return
				}
				t.Error(err)
				return
			}
			if i == len(e.near)/2/160*160 {
				go p.Close()
			}
		}
	}()
	wg.Wait()
	p.Close()
	if _, err := p.Capture(make([]int16, 160), make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestFracResamplerPassesThroughAtRatioOne(t *testing.T) {
	r := newFracResampler()
	x := toInt16(speechLike(8000, 1, 3, -20))
	out := make([]int16, len(x))
	pos := 0
	for i := 0; i+80 <= len(x)-64; i += 80 {
		need := r.need(80, 1)
		r.process(x[pos:pos+need], out[i:i+80], 1)
		pos += need
	}
	for i := 0; i < len(x)-200; i++ {
		if out[i] != x[i] {
			t.Fatalf("sample %d: %d, want %d", i, out[i], x[i])
		}
	}
}

// TestPlayoutGlitchesAreNotDrift: the playout device stalls for one frame
// six times within a second (a sound server's underruns, as PulseAudio's
// null sinks show under load): the device plays silence meanwhile, so
// every later sample comes out 120 ms later, while the capture goes on.
// The FIFO's level drops by that much at once; that is not a clock
// difference, and the ratio must not chase it (at the clamp it moves the
// echo by 8 samples a second for minutes): the level is re-anchored and
// the canceller finds the echo again.
func TestPlayoutGlitchesAreNotDrift(t *testing.T) {
	rate, frame := 8000, 160
	seconds := 24.0
	n := int(seconds * float64(rate))
	far := speechLike(rate, seconds, 7, -20)
	farI := toInt16(far)
	stall := func(k int) bool { // frames the device skips: 6 in 5-6 s
		sec := float64(k*frame) / float64(rate)
		return sec >= 5 && sec < 6 && k%8 == 0
	}
	const ahead = 10 // the device takes its first frames at once (its buffer)
	// What the device plays: far, with a frame of silence at each stall.
	played := make([]float64, 0, n+8*frame)
	fpos := 0
	for k := 0; len(played) < n; k++ {
		if stall(k) {
			played = append(played, make([]float64, frame)...)
			continue
		}
		played = append(played, far[fpos:fpos+frame]...)
		fpos += frame
	}
	echo := convolve(played[:n], roomResponse(rate, 0.25, 0.3, 6, 2), 60*rate/1000)
	near := toInt16(mix(echo, whiteNoise(n, 3, -70)))
	p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	out := make([]int16, n)
	fpos = 0
	if err := p.Playback(farI[:ahead*frame]); err != nil {
		t.Fatal(err)
	}
	fpos = ahead * frame
	for k := 0; (k+1)*frame <= n; k++ {
		if !stall(k) && fpos+frame <= n {
			if err := p.Playback(farI[fpos : fpos+frame]); err != nil {
				t.Fatal(err)
			}
			fpos += frame
		}
		if _, err := p.Capture(near[k*frame:(k+1)*frame], out[k*frame:(k+1)*frame]); err != nil {
			t.Fatal(err)
		}
	}
	st := p.State()
	a, b := n-4*rate, n-frame
	erle := 10 * math.Log10(powerF(echo, a, b)/power(out, a+80, b+80))
	t.Logf("after the glitches: drift %.1f ppm, delay %.1f ms, ERLE %.1f dB (last 4 s), underflows %d", st.DriftPPM, st.DelayMs, erle, st.RefUnderflows)
	if math.Abs(st.DriftPPM) > 50 {
		t.Errorf("drift %.1f ppm: the glitches were taken for a clock difference", st.DriftPPM)
	}
	if erle < 15 {
		t.Errorf("ERLE %.1f dB in the last 4 s, want >= 15 once the echo is found again", erle)
	}
}

// A tonal reference (the customer's side playing a test or dial tone)
// correlates at every period of the tone: the alignment must not take
// one of them for the echo's delay (it moved the reference by hundreds of
// ms on PulseAudio's loopback and cost the canceller seconds); the filter
// cancels a steady tone at any alignment. Speech is aligned as before.
func TestAlignmentIgnoresATone(t *testing.T) {
	rate := 8000
	n := 10 * rate
	far := make([]float64, n)
	for i := range far {
		far[i] = 0.3 * 32768 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))
	}
	echo := convolve(far, roomResponse(rate, 0.25, 0.3, 6, 2), 300*rate/1000)
	p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	out := run(p, toInt16(far), toInt16(mix(echo, whiteNoise(n, 3, -60))), 160)
	st := p.State()
	t.Logf("tone: delay known %v (%.1f ms), flatness %.5f, %d estimates refused", st.DelayKnown, st.DelayMs, p.est.flatness, p.est.tonal)
	if st.DelayKnown || p.est.tonal == 0 {
		t.Errorf("a 1 kHz tone gave a delay: known %v, %.1f ms", st.DelayKnown, st.DelayMs)
	}
	if erle := 10 * math.Log10(powerF(echo, n-2*rate, n)/power(out, n-2*rate+80, n)); erle < 20 {
		t.Errorf("the tone's echo is reduced by %.1f dB, want >= 20 at any alignment", erle)
	}
	e := newEchoPath(rate, 120, 10)
	p = mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
	run(p, e.farI, e.near, 160)
	t.Logf("speech: delay %.1f ms, flatness %.3f", p.State().DelayMs, p.est.flatness)
	if st := p.State(); !st.DelayKnown || math.Abs(st.DelayMs-120) > 3 || p.est.tonal != 0 {
		t.Errorf("speech: delay known %v, %.1f ms, %d refused as tonal", st.DelayKnown, st.DelayMs, p.est.tonal)
	}
}
