package dsp

import (
	"math"
	"testing"
)

// In double talk the main filter keeps what it learnt: the agent's voice
// comes through the linear stage whole (told apart from the echo by
// running the agent's voice added and subtracted), and the echo is still
// cancelled right after.
func TestDoubleTalkKeepsTheFilter(t *testing.T) {
	rate := 16000
	e := newEchoPath(rate, 60, 14)
	agent := speechLike(rate, 4, 5, -26) // as loud as the echo
	at := 8 * rate
	with := func(sign float64) []int16 {
		near := make([]float64, len(e.echo))
		for i := range near {
			near[i] = e.echo[i] + e.floor[i]
			if j := i - at; j >= 0 && j < len(agent) {
				near[i] += sign * agent[j]
			}
		}
		p := mustNew(t, Config{SampleRate: rate, Features: EchoCancel})
		return run(p, e.farI, toInt16(near), 160)
	}
	plus, minus := with(1), with(-1)
	// The agent's voice at the output: half the difference of the runs.
	voice := make([]float64, len(agent))
	for j := range voice {
		voice[j] = (float64(plus[at+j+160]) - float64(minus[at+j+160])) / 2
	}
	if loss := 10 * math.Log10(activeMeanSquare(agent, len(agent))/activeMeanSquare(voice, len(voice))); math.Abs(loss) > 1 {
		t.Errorf("double talk: the agent's voice changed by %.1f dB in the linear stage, want within 1 dB", -loss)
	}
	if erle := e.erleDB(plus, 6, 8, 160); erle < 20 {
		t.Fatalf("ERLE %.1f dB before double talk, want >= 20", erle)
	}
	if erle := e.erleDB(plus, 12.2, 13.2, 160); erle < 20 {
		t.Errorf("ERLE %.1f dB right after double talk, want >= 20 (the filter must not have diverged)", erle)
	}
}

// A realignment moves the adapted filter with the reference instead of
// restarting it: right after the reference moves by 20 ms, the
// cancellation is as deep as that of a canceller whose reference did not
// move (and far deeper than a restarted one's).
func TestCancellerShiftKeepsWhatItLearnt(t *testing.T) {
	rate := 8000
	n := rate / 100
	far := speechLike(rate, 8, 3, -20)
	h := roomResponse(rate, 0.25, 0.15, 6, 4)
	echo := convolve(far, h, 30*rate/1000) // 30 ms into the filter at first
	farI := toInt16(far)
	// mode 0: no move; 1: the reference moves and the filter with it;
	// 2: the reference moves and the filter restarts.
	erleAfter := func(mode int) float64 {
		c := newCanceller(n, 20)
		line := newDelayLine(rate/2, n, 21*n)
		hist, histF := make([]int16, 21*n), make([]float64, 21*n)
		rb, ref, e := make([]int16, n), make([]float64, n), make([]float64, n)
		var pe, pr float64
		for i := 0; i+n <= 6*rate+rate/2; i += n {
			if i == 6*rate && mode > 0 {
				s := 20 * rate / 1000
				line.setDelay(s)
				line.history(hist)
				toFloat(hist, histF)
				if mode == 1 {
					c.shift(s, histF)
				} else {
					c.reset()
				}
			}
			line.process(farI[i:i+n], rb)
			toFloat(rb, ref)
			c.process(echo[i:i+n], ref, e, nil)
			if i >= 6*rate {
				pe += powerF(echo, i, i+n)
				pr += meanSquareF(e)
			}
		}
		return 10 * math.Log10(pe/pr)
	}
	still, moved, restarted := erleAfter(0), erleAfter(1), erleAfter(2)
	if still < 25 || moved < still-3 || restarted > moved-10 {
		t.Errorf("ERLE over the 0.5 s after the move: %.1f dB unmoved, %.1f dB moved with the filter, %.1f dB restarted; "+
			"want >= 25, within 3 dB of it, and 10 dB above the restart", still, moved, restarted)
	}
}

// The AGC brings a quiet talker towards the target, no faster than its
// slew limit, and never clips a loud one.
func TestAGC(t *testing.T) {
	rate := 16000
	run1 := func(levelDBFS float64) []int16 {
		in := toInt16(speechLike(rate, 10, 6, levelDBFS))
		p := mustNew(t, Config{SampleRate: rate, Features: AGC | VAD})
		return run(p, nil, in, 160)
	}
	quiet := run1(-36)
	lvl := func(x []int16, from, to float64) float64 {
		f := make([]float64, int((to-from)*float64(rate)))
		for i := range f {
			f[i] = float64(x[int(from*float64(rate))+i])
		}
		return 10 * math.Log10(activeMeanSquare(f, len(f))/(32768*32768))
	}
	if got := lvl(quiet, 7, 10); math.Abs(got-(-18)) > 3 {
		t.Errorf("a -36 dBFS talker comes out at %.1f dBFS after 7 s, want -18 ± 3", got)
	}
	// +18 dB at 6 dB/s takes 3 s: after 1 s the gain is still on its way.
	if got := lvl(quiet, 0.5, 1); got > -36+7+1 {
		t.Errorf("%.1f dBFS in the first second: the gain rose faster than 6 dB/s", got)
	}
	loud := run1(-6)
	for i, v := range loud {
		if v == math.MaxInt16 || v == math.MinInt16 {
			t.Fatalf("sample %d clipped (%d)", i, v)
		}
	}
}

// Non-stationary noise: the noise suppressor follows a noise that jumps
// by 15 dB within a second, and follows it down again.
func TestNoiseTrackerFollowsAJump(t *testing.T) {
	rate := 16000
	n := 9 * rate
	noise := whiteNoise(n, 12, -50)
	for i := 3 * rate; i < 6*rate; i++ {
		noise[i] *= math.Pow(10, 15.0/20)
	}
	in := toInt16(noise)
	out := run(mustNew(t, Config{SampleRate: rate, Features: NoiseSuppress}), nil, in, 160)
	red := func(from, to float64) float64 {
		a, b := int(from*float64(rate)), int(to*float64(rate))
		return 10 * math.Log10(power(in, a, b)/power(out, a+160, b+160))
	}
	for _, w := range [][2]float64{{2, 3}, {4, 6}, {6.5, 8.9}} {
		if r := red(w[0], w[1]); r < 15 {
			t.Errorf("noise reduced by %.1f dB over %.1f-%.1f s, want >= 15", r, w[0], w[1])
		}
	}
}
