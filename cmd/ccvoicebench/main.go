// Command ccvoicebench measures core/dsp, the SDK's voice processing, on a
// synthetic echo path and prints every figure of docs/audio.md with PASS
// or FAIL against its target. It exits 1 if any figure fails.
//
// The voices are WAV files spoken by espeak-ng (./build.sh bench-voice makes
// them): far.wav (the customer), near.wav (the agent) and babble*.wav
// (the talkers of the babble noise). Everything else is generated here,
// deterministically: the room (Gaussian noise under an exponential decay,
// RT60 250 ms), the bulk delay, the noise, the clock drift.
//
//	ccvoicebench -voices build/voicebench
//	ccvoicebench -voices build/voicebench -only noise,drift
//	ccvoicebench -only noise -ns-reference rnnoise="python3 cmd/ccvoicebench/rnnoise.py"
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudcc/agent-sdk/core/dsp"
)

const (
	farDBFS   = -20.0 // the customer's voice as played out
	nearDBFS  = -26.0 // the agent's voice at the microphone
	erlDB     = 6.0   // echo return loss: the echo is this far below the far end
	floorDBFS = -70.0 // the microphone's noise floor in the echo scenarios
	rt60      = 0.25
	dtFrom    = 10.0 // double talk from 10 s
	dtTo      = 14.0 //   to 14 s
	echoLen   = 20.0 // seconds per echo scenario
)

type voices struct {
	rate   int
	far    []float64
	near   []float64
	babble [][]float64
}

func main() {
	dir := flag.String("voices", "build/voicebench", "folder with far.wav, near.wav and babble*.wav (espeak-ng)")
	only := flag.String("only", "", "comma-separated groups to run: echo, controls, noise, drift, cost (default: all)")
	refFlag := flag.String("ns-reference", "", "NAME=COMMAND: also run the noise scenarios through COMMAND IN.wav OUT.wav, reported only")
	flag.Parse()
	run, err := groups(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccvoicebench:", err)
		os.Exit(2)
	}
	ref, err := parseReference(*refFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccvoicebench:", err)
		os.Exit(2)
	}
	v, err := loadVoices(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccvoicebench:", err)
		os.Exit(2)
	}
	var rows []row
	for _, rate := range []int{8000, 16000} {
		far := scaleTo(resample(v.far, v.rate, rate), rate, farDBFS)
		near := scaleTo(resample(v.near, v.rate, rate), rate, nearDBFS)
		if run["echo"] {
			for _, bulk := range []int{40, 120, 250} {
				rows = append(rows, must(echoScenario(rate, bulk, far, near))...)
			}
		}
		if run["controls"] {
			rows = append(rows, must(negativeControls(rate, far))...)
		}
		if run["noise"] {
			var babble [][]float64
			for _, b := range v.babble {
				babble = append(babble, resample(b, v.rate, rate))
			}
			rows = append(rows, must(noiseScenarios(rate, near, babble, ref))...)
		}
	}
	far16 := scaleTo(resample(v.far, v.rate, 16000), 16000, farDBFS)
	near16 := scaleTo(resample(v.near, v.rate, 16000), 16000, nearDBFS)
	if run["drift"] {
		rows = append(rows, must(driftScenarios(16000, far16))...)
	}
	if run["cost"] {
		rows = append(rows, must(costScenarios(16000, far16, near16))...)
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "figure\tcondition\tmeasured\ttarget\tresult")
	failed, judged := 0, 0
	for _, r := range rows {
		res := r.result()
		switch res {
		case "FAIL":
			failed++
			judged++
		case "PASS":
			judged++
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.figure, r.cond, r.measured(), r.target, res)
	}
	w.Flush()
	if failed > 0 {
		fmt.Printf("\n%d of %d figures FAIL (%d more reported only)\n", failed, judged, len(rows)-judged)
		os.Exit(1)
	}
	fmt.Printf("\nall %d figures PASS (%d more reported only)\n", judged, len(rows)-judged)
}

// groups parses -only: the scenario groups to run, all when empty.
func groups(only string) (map[string]bool, error) {
	all := []string{"echo", "controls", "noise", "drift", "cost"}
	run := map[string]bool{}
	if only == "" {
		for _, g := range all {
			run[g] = true
		}
		return run, nil
	}
	for _, g := range strings.Split(only, ",") {
		g = strings.TrimSpace(g)
		found := false
		for _, a := range all {
			found = found || a == g
		}
		if !found {
			return nil, fmt.Errorf("-only: unknown group %q (want %s)", g, strings.Join(all, ", "))
		}
		run[g] = true
	}
	return run, nil
}

// must ends the run on a scenario's error.
func must(rows []row, err error) []row {
	if err != nil {
		fail(err)
	}
	return rows
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ccvoicebench:", err)
	os.Exit(2)
}

func loadVoices(dir string) (*voices, error) {
	v := &voices{}
	var err error
	var rate int
	if v.far, v.rate, err = readWAV(filepath.Join(dir, "far.wav")); err != nil {
		return nil, err
	}
	if v.near, rate, err = readWAV(filepath.Join(dir, "near.wav")); err != nil {
		return nil, err
	}
	if rate != v.rate {
		return nil, fmt.Errorf("near.wav is at %d Hz, far.wav at %d", rate, v.rate)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "babble*.wav"))
	sort.Strings(names)
	for _, n := range names {
		b, r, err := readWAV(n)
		if err != nil {
			return nil, err
		}
		if r != v.rate {
			return nil, fmt.Errorf("%s is at %d Hz, far.wav at %d", n, r, v.rate)
		}
		v.babble = append(v.babble, b)
	}
	if len(v.babble) < 4 {
		return nil, fmt.Errorf("%s: want at least 4 babble*.wav talkers, have %d", dir, len(v.babble))
	}
	return v, nil
}

// echoScenario: 20 s of the customer's voice through the room and the bulk
// delay, with the agent talking over it from 10 to 14 s (double talk).
// Four runs: linear stage only and the echo stages (AEC, residual echo
// suppression, noise suppression; AGC off so that levels stay
// comparable), each with the agent's voice added and subtracted
// (Hagerman), so that the agent's voice at the output is known exactly.
func echoScenario(rate, bulkMs int, farSrc, nearSrc []float64) ([]row, error) {
	n := int(echoLen * float64(rate))
	far := loop(farSrc, n)
	h := roomResponse(rate, rt60, 0.3, erlDB, 7)
	echo := convolve(far, h, bulkMs*rate/1000)
	floor := whiteNoise(n, 11, floorDBFS)
	talk := place(nearSrc[:int((dtTo-dtFrom)*float64(rate))], n, int(dtFrom*float64(rate)))
	dPlus := toInt16(add(echo, talk, floor))
	dMinus := toInt16(add(echo, neg(talk), floor))

	lin := dsp.Config{SampleRate: rate, Features: dsp.EchoCancel}
	full := dsp.Config{SampleRate: rate, Features: dsp.EchoCancel | dsp.EchoSuppress | dsp.NoiseSuppress}
	linP, st, err := process(lin, far, dPlus, nil)
	if err != nil {
		return nil, err
	}
	linM, _, err := process(lin, far, dMinus, nil)
	if err != nil {
		return nil, err
	}
	fullP, _, err := process(full, far, dPlus, nil)
	if err != nil {
		return nil, err
	}
	fullM, _, err := process(full, far, dMinus, nil)
	if err != nil {
		return nil, err
	}
	// The linear stage's output is the capture minus the echo estimate,
	// exactly (no filter in front of it), so its residual echo is the
	// output minus (capture - echo).
	nEcho := echo
	resid := make([]float64, n)
	rest := add(toFloat(dPlus), neg(echo))
	for i := range resid {
		resid[i] = linP[i] - rest[i]
	}
	talkLin, _ := hagerman(linP, linM)
	talkFull, _ := hagerman(fullP, fullM)

	cond := fmt.Sprintf("%2d kHz, delay %3d ms", rate/1000, bulkMs)
	rows := []row{
		{figure: "delay found", cond: cond, value: st.DelayMs, unit: "ms", target: fmt.Sprintf("%d ± 5 ms", bulkMs),
			ok: func(x float64) bool { return st.DelayKnown && math.Abs(x-float64(bulkMs)) <= 5 }},
		{figure: "ERLE linear, 2-3 s", cond: cond, value: erle(nEcho, resid, rate, 2, 3), unit: "dB", target: ">= 18 dB", ok: atLeast(18)},
		{figure: "ERLE linear, 6-8 s", cond: cond, value: erle(nEcho, resid, rate, 6, 8), unit: "dB", target: ">= 30 dB", ok: atLeast(30)},
		{figure: "ERLE with RES, 2-3 s", cond: cond, value: erle(nEcho, fullP, rate, 2, 3), unit: "dB", target: ">= 18 dB", ok: atLeast(18)},
		{figure: "ERLE with RES, 6-8 s", cond: cond, value: erle(nEcho, fullP, rate, 6, 8), unit: "dB", target: ">= 40 dB", ok: atLeast(40)},
		{figure: "double talk: voice loss, linear", cond: cond, value: -levelChange(talk, talkLin, rate, dtFrom, dtTo), unit: "dB",
			target: "<= 1 dB", ok: atMost(1)},
		{figure: "double talk: voice loss, overall", cond: cond, value: -levelChange(talk, talkFull, rate, dtFrom, dtTo), unit: "dB",
			target: "<= 10 dB", ok: atMost(10)},
		{figure: "ERLE linear during double talk", cond: cond, value: erle(nEcho, resid, rate, dtFrom, dtTo), unit: "dB", target: "-"},
		{figure: "after double talk: back to 20 dB", cond: cond, value: recovery(nEcho, resid, rate, dtTo, 20), unit: "s",
			target: "<= 2 s", ok: atMost(2)},
	}
	return rows, nil
}

// recovery is the time after from until a 0.5 s window's linear ERLE is at
// least target dB (the window's end), searched in 0.1 s steps up to 6 s;
// NaN if it never is.
func recovery(echo, resid []float64, rate int, from, target float64) float64 {
	for t := from; t+0.5 <= from+6; t += 0.1 {
		if erle(echo, resid, rate, t, t+0.5) >= target {
			return t + 0.5 - from
		}
	}
	return math.NaN()
}

// negativeControls show that the benchmark can fail: an echo longer than
// the canceller's tail must not measure as cancelled.
func negativeControls(rate int, farSrc []float64) ([]row, error) {
	n := int(10 * float64(rate))
	far := loop(farSrc, n)
	floor := whiteNoise(n, 11, floorDBFS)
	h := roomResponse(rate, rt60, 0.3, erlDB, 7)
	cond := fmt.Sprintf("%2d kHz", rate/1000)
	var rows []row
	for _, c := range []struct {
		name string
		cfg  dsp.Config
		bulk int
	}{
		{"control: tail 50 ms < room (RT60 250 ms)", dsp.Config{SampleRate: rate, Features: dsp.EchoCancel, TailMs: 50}, 120},
		{"control: no alignment, delay 250 ms > tail 200 ms", dsp.Config{SampleRate: rate, Features: dsp.EchoCancel, NoAlign: true}, 250},
	} {
		echo := convolve(far, h, c.bulk*rate/1000)
		d := toInt16(add(echo, floor))
		out, _, err := process(c.cfg, far, d, nil)
		if err != nil {
			return nil, err
		}
		resid := add(out, neg(add(toFloat(d), neg(echo))))
		rows = append(rows, row{figure: c.name, cond: cond + ", ERLE 6-8 s", value: erle(echo, resid, rate, 6, 8),
			unit: "dB", target: "< 12 dB", ok: below(12)})
	}
	return rows, nil
}

// noiseScenarios: the agent's voice in white and in babble noise at 10 dB
// SNR through the noise suppressor alone; speech and noise at the output
// are told apart by running s+n and s-n (Hagerman). The first 2 s (the
// noise estimate converging) are left out. ref, when set, is measured
// the same way and reported.
func noiseScenarios(rate int, nearSrc []float64, babbleSrc [][]float64, ref *reference) ([]row, error) {
	n := int(16 * float64(rate))
	speech := loop(nearSrc, n)
	lvl := activeLevel(speech, rate)
	// babble(k) mixes each babble voice k times: every talker starts
	// elsewhere in its text, all at the same level.
	babble := func(voices int) []float64 {
		sum := make([]float64, n)
		talkers := voices * len(babbleSrc)
		for i := range talkers {
			b := babbleSrc[i%len(babbleSrc)]
			x := loop(b, n+len(b))[(i*len(b))/talkers:]
			sum = add(sum, scaleTo(x[:n], rate, -30))
		}
		return sum
	}
	cfg := dsp.Config{SampleRate: rate, Features: dsp.NoiseSuppress}
	var rows []row
	for _, c := range []struct {
		name   string
		noise  []float64
		judged bool
	}{
		{"white", whiteNoise(n, 21, 0), true},
		{"babble", babble(1), true},
		// A denser babble, nearer the canteens of the standard noise
		// sets (NOISEX-92's "babble" is about 100 people): how much the
		// figure owes to six talkers' gaps (reported only).
		{"babble (24 talkers)", babble(4), false},
	} {
		// 10 dB below the speech's active level, as RMS over the whole run.
		g := dbfsToAmp(lvl-10) / math.Sqrt(meanSquare(c.noise))
		noise := make([]float64, n)
		for i, v := range c.noise {
			noise[i] = v * g
		}
		plus, _, err := process(cfg, nil, toInt16(add(speech, noise)), nil)
		if err != nil {
			return nil, err
		}
		minus, _, err := process(cfg, nil, toInt16(add(speech, neg(noise))), nil)
		if err != nil {
			return nil, err
		}
		// Hagerman with s as the inverted part: (o+ + o-)/2 is the speech,
		// (o+ - o-)/2 the noise.
		nOut, sOut := hagerman(plus, minus)
		a := 2 * rate
		act := activeFrames(speech[a:], rate)
		snrIn := 10 * math.Log10(activeMeanSquare(speech[a:], act, rate)/meanSquare(noise[a:]))
		snrOut := 10 * math.Log10(activeMeanSquare(sOut[a:], act, rate)/meanSquare(nOut[a:]))
		cond := fmt.Sprintf("%2d kHz, %s noise, SNR %.0f dB", rate/1000, c.name, snrIn)
		gain := row{figure: "NS: SNR improvement", cond: cond, value: snrOut - snrIn, unit: "dB", target: ">= 10 dB", ok: atLeast(10)}
		level := row{figure: "NS: speech level change", cond: cond, value: levelChange(speech, sOut, rate, 2, 16), unit: "dB",
			target: "within ± 2 dB", ok: within(2)}
		if !c.judged {
			gain.target, gain.ok, level.target, level.ok = "-", nil, "-", nil
		}
		rows = append(rows, gain, level)
		if ref != nil {
			plus, err := ref.run(toInt16(add(speech, noise)), rate)
			if err != nil {
				return nil, err
			}
			minus, err := ref.run(toInt16(add(speech, neg(noise))), rate)
			if err != nil {
				return nil, err
			}
			nR, sR := hagerman(plus, minus)
			snrR := 10 * math.Log10(activeMeanSquare(sR[a:], act, rate)/meanSquare(nR[a:]))
			rows = append(rows,
				row{figure: "NS reference " + ref.name + ": SNR improvement", cond: cond, value: snrR - snrIn, unit: "dB", target: "-"},
				row{figure: "NS reference " + ref.name + ": speech level change", cond: cond, value: levelChange(speech, sR, rate, 2, 16), unit: "dB", target: "-"})
		}
		if c.name != "babble" {
			continue
		}
		// The method's ceiling on babble: the same gain told the true
		// noise spectrum (reported, not judged).
		for _, k := range []struct {
			name string
			sec  float64
		}{{"long-term", 0}, {"200 ms running", 0.2}} {
			sC, nC := noiseCeiling(rate, speech, noise, k.sec)
			snrC := 10 * math.Log10(activeMeanSquare(sC[a:], act, rate)/meanSquare(nC[a:]))
			cc := fmt.Sprintf("%s, true %s spectrum", cond, k.name)
			rows = append(rows,
				row{figure: "NS ceiling: SNR improvement", cond: cc, value: snrC - snrIn, unit: "dB", target: "-"},
				row{figure: "NS ceiling: speech level change", cond: cc, value: levelChange(speech, sC, rate, 2, 16), unit: "dB", target: "-"})
		}
	}
	return rows, nil
}

// driftScenarios: the playout clock runs 300 ppm fast or slow against the
// capture clock for 40 s (the echo is the far end resampled to the capture
// clock; the playout side hands over 10 ms of its own clock per capture
// frame). The canceller's ERLE over 30-40 s must stay within 3 dB of the
// same path without drift.
func driftScenarios(rate int, farSrc []float64) ([]row, error) {
	n := int(40 * float64(rate))
	h := roomResponse(rate, rt60, 0.3, erlDB, 7)
	floor := whiteNoise(n, 11, floorDBFS)
	var rows []row
	var base float64
	for _, ppm := range []float64{0, 300, -300} {
		// The far end as the loudspeaker plays it (playout clock), and as
		// the microphone samples it (capture clock).
		played := loop(farSrc, int(float64(n)*(1+ppm*1e-6))+rate)
		heard := resample(played, 1_000_000+int(ppm), 1_000_000)[:n]
		echo := convolve(heard, h, 120*rate/1000)
		d := toInt16(add(echo, floor))
		var acc float64
		push := func(frame int) int {
			acc += float64(frame) * (1 + ppm*1e-6)
			k := int(acc)
			acc -= float64(k)
			return k
		}
		out, st, err := process(dsp.Config{SampleRate: rate, Features: dsp.EchoCancel}, played, d, push)
		if err != nil {
			return nil, err
		}
		resid := add(out, neg(add(toFloat(d), neg(echo))))
		e := erle(echo, resid, rate, 30, 40)
		cond := fmt.Sprintf("%2d kHz, delay 120 ms, playout %+.0f ppm", rate/1000, ppm)
		if ppm == 0 {
			base = e
			rows = append(rows, row{figure: "drift: ERLE linear, 30-40 s", cond: cond, value: e, unit: "dB", target: "-"})
			continue
		}
		rows = append(rows,
			row{figure: "drift: ERLE linear, 30-40 s", cond: cond, value: e, unit: "dB",
				target: fmt.Sprintf(">= %.1f dB (no drift - 3)", base-3), ok: atLeast(base - 3)},
			row{figure: "drift: compensation found", cond: cond, value: st.DriftPPM, unit: "ppm",
				target: fmt.Sprintf("%+.0f ± 30 ppm", ppm), ok: func(x float64) bool { return math.Abs(x-ppm) <= 30 }},
			row{figure: "drift: reference FIFO under/overflows", cond: cond, value: float64(st.RefUnderflows + st.RefOverflows),
				unit: "", target: "0", ok: atMost(0)})
	}
	return rows, nil
}

// costScenarios: CPU per call with every stage on at 16 kHz (the
// canceller, suppression, AGC and VAD on 60 s with double talk), and the
// latency the processor adds (an impulse through it, found by
// cross-correlation).
func costScenarios(rate int, farSrc, nearSrc []float64) ([]row, error) {
	n := 60 * rate
	far := loop(farSrc, n)
	h := roomResponse(rate, rt60, 0.3, erlDB, 7)
	d := toInt16(add(convolve(far, h, 120*rate/1000), loop(nearSrc, n), whiteNoise(n, 11, -60)))
	p, err := dsp.New(dsp.DefaultConfig(rate))
	if err != nil {
		return nil, err
	}
	frame, _ := p.FrameSizes()
	farI := toInt16(far)
	out := make([]int16, frame)
	var worst time.Duration
	var frames []time.Duration
	start := time.Now()
	for i := 0; i+frame <= n; i += frame {
		t0 := time.Now()
		if err := p.Playback(farI[i : i+frame]); err != nil {
			return nil, err
		}
		if _, err := p.Capture(d[i:i+frame], out); err != nil {
			return nil, err
		}
		dt := time.Since(t0)
		frames = append(frames, dt)
		worst = max(worst, dt)
	}
	elapsed := time.Since(start)
	lat := p.Latency()
	p.Close()
	sort.Slice(frames, func(i, j int) bool { return frames[i] < frames[j] })
	p50, p99 := frames[len(frames)/2], frames[len(frames)*99/100]

	// The capture path's delay, measured: a click train through every stage.
	q, err := dsp.New(dsp.DefaultConfig(rate))
	if err != nil {
		return nil, err
	}
	defer q.Close()
	m := 4 * rate
	in := make([]int16, m)
	for i := rate; i < m; i += rate / 4 {
		in[i] = 16000
		in[i+1] = -12000
	}
	got := make([]int16, m)
	for i := 0; i+frame <= m; i += frame {
		if _, err := q.Capture(in[i:i+frame], got[i:i+frame]); err != nil {
			return nil, err
		}
	}
	best, bestLag := 0.0, 0
	for lag := 0; lag < rate/10; lag++ {
		var c float64
		for i := 0; i+lag < m; i++ {
			c += float64(in[i]) * float64(got[i+lag])
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	cond := fmt.Sprintf("%2d kHz, all stages, 10 ms frames", rate/1000)
	return []row{
		{figure: "CPU per call (share of one core)", cond: cond, value: 100 * elapsed.Seconds() / 60, unit: "%", target: "-"},
		{figure: "CPU: 10 ms frame (median)", cond: cond, value: float64(p50.Microseconds()) / 1000, unit: "ms", target: "-"},
		{figure: "CPU: slowest 10 ms frame (p99)", cond: cond, value: float64(p99.Microseconds()) / 1000, unit: "ms", target: "-"},
		{figure: "CPU: slowest 10 ms frame (max)", cond: cond, value: float64(worst.Microseconds()) / 1000, unit: "ms", target: "-"},
		{figure: "latency added, capture -> RTP", cond: cond + " (measured)", value: float64(bestLag) * 1000 / float64(rate), unit: "ms",
			target: fmt.Sprintf("= %d ms (Latency())", lat.Milliseconds()), ok: func(x float64) bool { return math.Abs(x-float64(lat.Milliseconds())) < 1 }},
		{figure: "latency added, RTP -> device", cond: strings.TrimSuffix(cond, ", 10 ms frames") + " (Playback only copies)", value: 0, unit: "ms", target: "-"},
	}, nil
}
