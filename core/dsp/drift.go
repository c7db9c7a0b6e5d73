package dsp

import (
	"math"
	"slices"
)

// driftControl keeps the reference aligned with the capture clock by
// steering the resampler's ratio: if the playout clock runs faster than the
// capture clock, the FIFO fills, and the ratio must rise until the
// reference is consumed as fast as it arrives (each sample the level gains
// or loses shifts the echo by one sample).
//
// The level is read as one mean per second: within a second it saw-tooths
// with the two threads' periods. Two things move that mean. Drift moves it
// steadily, by a few samples a second at most. A sound server's device
// threads move it by a whole burst at once, when two callbacks of the same
// period swap order or a device stalls, and jitter it by several samples.
// A controller that chases the mean (a PI of 0.1 Hz was tried) turns that
// jitter into hundreds of ppm on PulseAudio's null sinks, whose clocks are
// one: the rotating reference kept the canceller under 13 dB where a
// fixed ratio gives 90 dB.
//
// So the drift is measured, not chased: the level's movement each second,
// less what the correction itself did, with steps left out (more than
// drift could do, or a few samples off the window's median second: see
// isStep), accumulates into the level the clocks alone would give; the
// drift is the slope of its last 20 s (least squares), used once it stands
// out of its own noise (three times its standard error, with a floor), and
// changed only when the window disagrees with it by as much. Beyond 10 ms
// from its anchor a slow term brings the level back, so that an error of
// the estimate never accumulates into a misalignment the canceller's tail
// cannot follow.
type driftControl struct {
	perSec   int     // blocks per second: one reading
	spp      float64 // samples per second per ppm
	stepMax  float64 // the most a second's mean moves by drift alone
	jump     float64 // a second's move this far from the window's median is a step
	outliers int     // steps in a row
	newRate  bool    // the window restarted after steps in a row
	band     float64 // the dead band of the position term, samples
	kPos     float64 // ppm per sample beyond the band
	settle   int     // readings left before the anchor
	n        int
	sum      float64
	prev     float64    // the last reading
	applied  [2]float64 // the ppm in force during the reading before, and during this one
	raw      float64    // the level as the clocks alone moved it, steps left out
	level    float64    // the level, steps left out
	target   float64
	hist     [driftWindow]float64 // raw, one per second
	nh       int
	est      float64 // the drift measured, ppm
	ppm      float64
}

const (
	driftMaxPPM    = 1000 // clamp: crystals differ by far less
	driftSettleSec = 2    // the first second after a (re)start is a transient; the second is the anchor
	driftWindow    = 20   // seconds of level the slope is taken over
	driftMinPoints = 10
)

func newDriftControl(rate, block int) driftControl {
	d := driftControl{perSec: max(1, rate/block), spp: float64(rate) * 1e-6}
	d.stepMax = driftMaxPPM*d.spp + 2
	d.jump = 3 * float64(rate) / 8000
	// Within the band the alignment follows the level (it moves the
	// reference and the filter with it, at once); a correction that moves
	// the echo all the time costs the canceller far more (0.1 sample/s
	// cost 15-20 dB in the drift test). Beyond it: 0.1 sample/s per ms.
	d.band = 10e-3 * float64(rate)
	d.kPos = 0.1 / (1e-3 * float64(rate)) / d.spp
	d.reset()
	return d
}

// reset forgets the anchor (after an underflow, an overflow or a jump of
// the alignment); the drift measured is kept until a new one is.
func (d *driftControl) reset() {
	d.settle = driftSettleSec
	d.n, d.sum = 0, 0
	d.nh = 0
	d.ppm = d.est
}

// update takes the level seen by this block and returns the correction in
// ppm (positive: consume the reference faster).
func (d *driftControl) update(l float64) float64 {
	d.sum += l
	if d.n++; d.n < d.perSec {
		return d.ppm
	}
	m := d.sum / float64(d.n)
	// A ppm in force for a whole reading lowers the level by ppm*spp over
	// it, so a reading's mean moves by the mean of the two readings' ppm.
	corr := (d.applied[0] + d.applied[1]) / 2 * d.spp
	d.n, d.sum = 0, 0
	defer func() { d.applied = [2]float64{d.applied[1], d.ppm} }()
	if d.settle > 0 {
		d.settle--
		d.prev = m
		if d.settle == 0 {
			d.level, d.target, d.raw = m, m, m
			d.push(m)
		}
		return d.ppm
	}
	step := m - d.prev
	d.prev = m
	natural := step + corr // a positive correction lowered the level
	if d.isStep(natural) {
		return d.ppm
	}
	d.level += step
	d.raw += natural
	d.push(d.raw)
	if slope, se, ok := d.slope(); ok {
		// The estimate moves only when the window disagrees with it
		// beyond its noise: each change turns the reference's phase, and
		// a canceller follows a still path far better than a hunting one.
		if cur := d.est * d.spp; slope-cur > 3*se || cur-slope > 3*se {
			d.est = slope / d.spp
			if slope < 3*se && slope > -3*se {
				d.est = 0
			}
		}
	}
	e := d.level - d.target
	pos := 0.0
	if e > d.band {
		pos = (e - d.band) * d.kPos
	} else if e < -d.band {
		pos = (e + d.band) * d.kPos
	}
	d.ppm = min(driftMaxPPM, max(-driftMaxPPM, d.est+pos))
	return d.ppm
}

// isStep tells a step from drift: more than drift at the clamp, or a jump
// of a few samples away from the median second of the window. Such jumps below the clamp's size (a sound
// server moving its bursts by a few samples) made least squares see a
// slope of tens of ppm where the clocks were one. Three such seconds in a
// row are a new rate, not steps: the window starts afresh.
func (d *driftControl) isStep(natural float64) bool {
	if natural > d.stepMax || natural < -d.stepMax {
		return true
	}
	// Until the window has a few seconds, a second is measured against no
	// movement at all (a drift over 3 samples a second, 375 ppm at 8 kHz,
	// then comes through as a new rate, below).
	med, spread := 0.0, 0.0
	if d.nh < 5 && d.newRate {
		return false // the window restarted on a new rate: it learns it
	}
	d.newRate = false
	if d.nh >= 5 {
		var inc [driftWindow]float64
		n := d.nh - 1
		for i := range n {
			inc[i] = d.hist[i+1] - d.hist[i]
		}
		med = median(inc[:n])
		for i := range n {
			inc[i] = math.Abs(inc[i] - med)
		}
		spread = 4 * median(inc[:n])
	}
	if math.Abs(natural-med) <= max(d.jump, spread) {
		d.outliers = 0
		return false
	}
	if d.outliers++; d.outliers >= 3 {
		d.outliers, d.nh, d.newRate = 0, 0, true
		return false
	}
	return true
}

// median sorts xs in place and returns its median.
func median(xs []float64) float64 {
	slices.Sort(xs)
	if n := len(xs); n%2 == 1 {
		return xs[n/2]
	} else {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
}

func (d *driftControl) push(v float64) {
	if d.nh == driftWindow {
		copy(d.hist[:], d.hist[1:])
		d.nh--
	}
	d.hist[d.nh] = v
	d.nh++
}

// slope is the least-squares slope of the window (samples per second) and
// its standard error.
func (d *driftControl) slope() (slope, se float64, ok bool) {
	n := d.nh
	if n < driftMinPoints {
		return 0, 0, false
	}
	var sx, sy float64
	for i := 0; i < n; i++ {
		sx += float64(i)
		sy += d.hist[i]
	}
	mx, my := sx/float64(n), sy/float64(n)
	var sxx, sxy float64
	for i := 0; i < n; i++ {
		dx := float64(i) - mx
		sxx += dx * dx
		sxy += dx * (d.hist[i] - my)
	}
	slope = sxy / sxx
	var ss float64
	for i := 0; i < n; i++ {
		r := d.hist[i] - my - slope*(float64(i)-mx)
		ss += r * r
	}
	// The readings jitter by a sample or two (PulseAudio's show steps of
	// 1.6): a window that happens to be flatter than that does not make a
	// tiny slope significant.
	se = math.Sqrt(max(ss/float64(n-2), 1) / sxx)
	return slope, se, true
}
