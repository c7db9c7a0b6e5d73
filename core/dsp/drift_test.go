package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// runDrift closes the loop: the FIFO's level as two clocks ppm apart move
// it, less what the controller's correction consumed, plus what a sound
// server's threads do, as PulseAudio's null sinks showed (a saw-tooth of
// bursts, jitter, and, about every ten seconds, a jump of 5 to 8 samples:
// least squares took such jumps for 40-60 ppm), read once per 10 ms block.
func runDrift(ppm float64, seconds int, jumps bool, seed uint64) (est float64, maxAbs float64) {
	const rate, block = 8000, 80
	d := newDriftControl(rate, block)
	rng := rand.New(rand.NewPCG(seed, 1))
	level, offset := 300.0, 0.0
	for k := 0; k < seconds*rate/block; k++ {
		level += (ppm - d.ppm) * 1e-6 * block // samples gained by drift, lost to the correction
		if jumps && k%(rate/block) == 0 && rng.IntN(10) == 0 {
			offset += float64(5+rng.IntN(4)) * float64(1-2*rng.IntN(2)) // a burst moved by a few samples
		}
		saw := float64(k%2) * 80 // two threads' 10 ms bursts
		x := d.update(level + offset + saw + rng.NormFloat64()*2)
		if k > 3*rate/block {
			maxAbs = max(maxAbs, math.Abs(x))
		}
	}
	return d.est, maxAbs
}

func TestDriftOneClockStaysStill(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		est, worst := runDrift(0, 120, true, seed)
		if worst > 20 {
			t.Errorf("seed %d: one clock, jumps of a few samples: the correction reached %.1f ppm (estimate %.1f)", seed, worst, est)
		}
	}
}

func TestDriftIsFoundThroughJumps(t *testing.T) {
	for _, ppm := range []float64{-800, -300, -80, 80, 300, 800} {
		for seed := uint64(1); seed <= 5; seed++ {
			est, _ := runDrift(ppm, 60, true, seed)
			if math.Abs(est-ppm) > 20 {
				t.Errorf("%+.0f ppm, seed %d: estimated %.1f ppm", ppm, seed, est)
			}
		}
	}
}
