package main

import (
	"fmt"
	"math"

	"github.com/cloudcc/agent-sdk/core/dsp"
)

// process runs far (played out) and near (captured) through a new
// processor in lockstep, 10 ms at a time, as a device layer would; the
// output is shifted back by the processor's latency so that out[i] lines
// up with near[i]. push, when set, decides how many reference samples the
// playout side hands over before each capture frame (clock drift).
func process(cfg dsp.Config, far []float64, near []int16, push func(frame int) int) ([]float64, dsp.State, error) {
	p, err := dsp.New(cfg)
	if err != nil {
		return nil, dsp.State{}, err
	}
	defer p.Close()
	frame, _ := p.FrameSizes()
	lat := int(p.Latency().Seconds() * float64(cfg.SampleRate))
	farI := toInt16(far)
	out := make([]int16, len(near))
	fpos := 0
	for i := 0; i+frame <= len(near); i += frame {
		n := frame
		if push != nil {
			n = push(frame)
		}
		if far != nil && fpos < len(farI) {
			end := min(len(farI), fpos+n)
			if err := p.Playback(farI[fpos:end]); err != nil {
				return nil, dsp.State{}, err
			}
			fpos = end
		}
		if _, err := p.Capture(near[i:i+frame], out[i:i+frame]); err != nil {
			return nil, dsp.State{}, err
		}
	}
	y := make([]float64, len(out))
	for i := range y {
		if i+lat < len(out) {
			y[i] = float64(out[i+lat])
		}
	}
	return y, p.State(), nil
}

// erle is the echo return loss enhancement over the 10 ms frames of
// [from, to) seconds where the echo is active (within 40 dB of its
// loudest frame): echo power over residual power, in dB.
func erle(echo, residual []float64, rate int, from, to float64) float64 {
	f := rate / 100
	var peak float64
	for i := 0; i+f <= len(echo); i += f {
		peak = max(peak, meanSquare(echo[i:i+f]))
	}
	var pe, pr float64
	for i := int(from * float64(rate)); i+f <= int(to*float64(rate)) && i+f <= len(echo); i += f {
		e := meanSquare(echo[i : i+f])
		if e < peak*1e-4 {
			continue
		}
		pe += e
		pr += meanSquare(residual[i : i+f])
	}
	if pe == 0 {
		return math.NaN()
	}
	return 10 * math.Log10(pe/math.Max(pr, 1e-9))
}

// hagerman splits a nonlinear system's output into the part due to signal
// s and the rest, from two runs: one on x+s and one on x-s (Hagerman and
// Olofsson's phase-inversion method).
func hagerman(plus, minus []float64) (sPart, rest []float64) {
	sPart, rest = make([]float64, len(plus)), make([]float64, len(plus))
	for i := range plus {
		sPart[i] = (plus[i] - minus[i]) / 2
		rest[i] = (plus[i] + minus[i]) / 2
	}
	return sPart, rest
}

// levelChange is the level of got relative to want over the frames of
// [from, to) seconds where want is active, in dB.
func levelChange(want, got []float64, rate int, from, to float64) float64 {
	a, b := int(from*float64(rate)), int(to*float64(rate))
	act := activeFrames(want[a:b], rate)
	return 10 * math.Log10(activeMeanSquare(got[a:b], act, rate)/activeMeanSquare(want[a:b], act, rate))
}

// row is one line of the report.
type row struct {
	figure, cond string
	value        float64
	unit         string
	target       string
	ok           func(float64) bool // nil: reported only
}

func (r row) result() string {
	switch {
	case r.ok == nil:
		return "info"
	case math.IsNaN(r.value):
		return "FAIL"
	case r.ok(r.value):
		return "PASS"
	}
	return "FAIL"
}

func (r row) measured() string {
	if math.IsNaN(r.value) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %s", r.value, r.unit)
}

func atLeast(v float64) func(float64) bool { return func(x float64) bool { return x >= v } }
func atMost(v float64) func(float64) bool  { return func(x float64) bool { return x <= v } }
func below(v float64) func(float64) bool   { return func(x float64) bool { return x < v } }
func within(v float64) func(float64) bool  { return func(x float64) bool { return math.Abs(x) <= v } }
