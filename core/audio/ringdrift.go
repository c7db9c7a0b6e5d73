package audio

import (
	"math"
	"slices"
	"sync"
	"time"
)

// A ring between two clocks that differ (100 ppm is common on USB
// headsets) fills or drains slowly. Dropping a sample now and then is a
// phase jump on a steady tone; dropping back to prime at the limit loses
// 40-60 ms at once. A follower instead measures the ring's level where the
// two sides' periods cannot fool it (its mean over time in each window of
// reads, median-filtered over several windows: the saw-tooth a 25 ms
// device period makes against 20 ms writes moves its troughs by 5 ms as
// the periods' phase turns, not its mean) and, once the level has moved
// away from its set point by more than a dead band, reads the
// ring through a windowed-sinc interpolator at a ratio of 1 ± a few
// hundred ppm, set by a slow PI controller: a 100 ppm ratio moves a 1 kHz
// tone by 0.1 Hz, which no ear and no phase-jump detector hears. Inside
// the dead band the ratio is exactly 1 and the ring copies its samples
// bit for bit. See docs/audio.md "Device buffers and phase jumps".

const (
	// sincHalf is the interpolator's taps on each side of the read
	// position; sincPhases the fractional positions tabulated (linearly
	// interpolated between); sincBeta the Kaiser window's shape.
	sincHalf   = 16
	sincPhases = 256
	sincBeta   = 7.0

	// driftMaxPPM bounds the correction.
	driftMaxPPM = 1000
	// driftMargin: the set point keeps the troughs at least a
	// driftMargin-th of the prime above empty.
	driftMargin = 4
	// driftWarm windows after priming are not measured (a device's start
	// is irregular); the median level of the next driftBase is the set
	// point; driftMedian windows' levels are median-filtered.
	driftWarm   = 1
	driftBase   = 3
	driftMedian = 5
	// The dead band, in windows (seconds) of level error: the controller
	// starts past driftOn and rests once the error stayed under driftOff
	// for driftQuiet windows with a drift under driftRestPPM; the integral
	// only runs within driftWindup.
	driftOn      = 0.002
	driftOff     = 0.001
	driftWindup  = 0.004
	driftQuiet   = 5
	driftRestPPM = 20e-6
	// The PI controller's gains per window: a critically damped loop with
	// a natural frequency of 0.05 rad per window (a 100 ppm drift that
	// starts moves the level by at most ~1 ms more before it is held).
	driftKp = 0.1
	driftKi = 0.0025
	// driftSnapPPM is the ratio that brings a resting interpolator's
	// fractional position back to a whole sample (then bit-exact copies).
	driftSnapPPM = 50e-6
	// driftSlope windows of the level, corrections added back, give the
	// measured drift (least squares), once there are driftSlopeMin.
	driftSlope    = 32
	driftSlopeMin = 8
	// lookAhead is the interpolator's reach past its position: the delay
	// a following ring adds to every read (2.1 ms at 8 kHz, 0.35 ms at
	// 48 kHz).
	lookAhead = sincHalf + 1
)

var (
	sincOnce  sync.Once
	sincTable [][2 * sincHalf]float64 // [phase][tap]: tap j is sample offset j-sincHalf+1
)

func sincTaps() [][2 * sincHalf]float64 {
	sincOnce.Do(func() {
		i0 := func(x float64) float64 { // modified Bessel function of order 0
			s, t := 1.0, 1.0
			for k := 1; k < 50; k++ {
				t *= (x / 2 / float64(k)) * (x / 2 / float64(k))
				s += t
				if t < 1e-12*s {
					break
				}
			}
			return s
		}
		sincTable = make([][2 * sincHalf]float64, sincPhases+1)
		for p := range sincTable {
			f := float64(p) / sincPhases
			sum := 0.0
			for j := range 2 * sincHalf {
				x := float64(j-sincHalf+1) - f // distance of the tap from the read position
				var h float64
				switch {
				case x == 0:
					h = 1
				case x == math.Trunc(x):
					h = 0 // exactly: a whole-sample position copies its sample
				default:
					r := x / sincHalf
					h = math.Sin(math.Pi*x) / (math.Pi * x) * i0(sincBeta*math.Sqrt(max(0, 1-r*r))) / i0(sincBeta)
				}
				sincTable[p][j] = h
				sum += h
			}
			for j := range sincTable[p] {
				sincTable[p][j] /= sum
			}
		}
	})
	return sincTable
}

// follower is a ring's drift follower: its controller and interpolator
// state. The ring calls it with its lock held.
type follower struct {
	window int            // reads (output samples) per measurement window
	margin int            // how far the set point keeps the troughs from empty, and the peaks from the limit
	limit  int            // the ring's size
	now    func() float64 // seconds on a monotonic clock

	// Interpolator: the next output sample is at frac samples past the
	// position lookAhead samples behind the ring's read position; hist
	// holds the samples from sincHalf-1 before that position up to the
	// read position. Reads always come out of this delay line, copied or
	// interpolated, so switching between the two needs no more buffered
	// samples than a copy: the interpolator never reads ahead of the
	// ring (on PulseAudio a trough dipping under a look-ahead made reads
	// fall back to copies mid-resampling: a phase jump).
	eps     float64 // the ratio - 1: extra input consumed per output sample
	frac    float64
	snap    bool // resting: eps only brings frac back to 0
	hist    [sincHalf - 1 + lookAhead]int16
	scratch []int16

	// Measurement, in this window: out samples read, low the lowest level
	// after a read, area the level integrated over time since t0 (the
	// level last changed at t, to n).
	out, low, high, n int
	t0, t, area       float64
	windows           int
	means             []float64 // time-averaged levels of the last driftMedian windows
	baseMean          []float64 // the windows that set the set point
	baseLow           []int
	baseHigh          []int
	target            float64   // the set point of the mean level, in samples
	level             []float64 // median levels with the corrections added back (the slope)
	extra             int       // input consumed beyond the output, since priming
	active            bool      // the controller runs
	integ             float64
	quiet             int
	drift             float64 // measured: the writer's clock against the reader's
	resampled         uint64  // output samples that went through the interpolator
}

func newFollower(window, margin, limit int) *follower {
	sincTaps()
	start := time.Now()
	f := &follower{window: max(window, 1), margin: margin, limit: limit,
		now: func() float64 { return time.Since(start).Seconds() }}
	f.restart()
	return f
}

// restart forgets the level after a discontinuity (priming again, an
// overrun): a new set point is measured.
func (f *follower) restart() {
	f.eps, f.frac, f.snap = 0, 0, false
	f.out, f.low, f.high, f.windows, f.area = 0, math.MaxInt, 0, 0, 0
	f.t0 = math.NaN()
	if f.means == nil {
		// Made once at their full size: the windows end on the device's
		// thread, which must not allocate.
		f.means, f.level = make([]float64, 0, driftMedian), make([]float64, 0, driftSlope)
		f.baseMean, f.baseLow, f.baseHigh = make([]float64, 0, driftBase), make([]int, 0, driftBase), make([]int, 0, driftBase)
	}
	f.means, f.baseMean, f.baseLow, f.baseHigh, f.level = f.means[:0], f.baseMean[:0], f.baseLow[:0], f.baseHigh[:0], f.level[:0]
	f.target, f.extra = 0, 0
	f.active, f.integ, f.quiet = false, 0, 0
	f.drift = 0
}

// levelNow integrates the level up to now; n is the level from now on.
func (f *follower) levelNow(n int) {
	t := f.now()
	if math.IsNaN(f.t0) {
		f.t0 = t
	} else {
		f.area += float64(f.n) * (t - f.t)
	}
	f.t, f.n = t, n
	f.high = max(f.high, n)
}

// resampling says whether reads go through the interpolator.
func (f *follower) resampling() bool { return f.eps != 0 || f.frac != 0 }

// need is how many buffered samples an interpolated read of n needs.
func (f *follower) need(n int) int {
	return int(math.Ceil(f.frac + float64(n)*(1+f.eps)))
}

// copy fills p from the delay line: the samples lookAhead before the
// ring's read position, then as many of the ring's (through src) as p is
// long; the ring consumes len(p).
func (f *follower) copy(p []int16, src func(dst []int16)) {
	h := len(f.hist)
	span := h + len(p)
	if cap(f.scratch) < span {
		f.scratch = make([]int16, span)
	}
	s := f.scratch[:span]
	copy(s, f.hist[:])
	src(s[h:])
	copy(p, s[sincHalf-1:])
	copy(f.hist[:], s[len(p):])
}

// interpolate fills p, reading the ring's samples from its read position
// on through src (the caller checked that need(len(p)) are buffered), and
// returns how many input samples it consumed.
func (f *follower) interpolate(p []int16, src func(dst []int16)) int {
	taps := sincTaps()
	step := 1 + f.eps
	end := f.frac + float64(len(p))*step
	if f.snap {
		// Resting: once the fraction is within this read's travel of a
		// whole sample it is put there (an error of at most a hundredth
		// of a sample), and reads are copies again.
		if r := math.Round(end); math.Abs(end-r) <= math.Abs(f.eps)*float64(len(p))+1e-9 {
			end = r
		}
	}
	c := int(math.Floor(end))
	h := len(f.hist)
	span := h + c
	if cap(f.scratch) < span {
		f.scratch = make([]int16, span)
	}
	s := f.scratch[:span]
	copy(s, f.hist[:])
	src(s[h:])
	for k := range p {
		pos := f.frac + float64(k)*step
		i := int(math.Floor(pos))
		ph := (pos - float64(i)) * sincPhases
		pi := int(ph)
		a := ph - float64(pi)
		t0, t1 := &taps[pi], &taps[min(pi+1, sincPhases)]
		w := s[i : i+2*sincHalf] // sample offset j-sincHalf+1 from i
		var v float64
		for j, x := range w {
			v += float64(x) * (t0[j] + a*(t1[j]-t0[j]))
		}
		p[k] = int16(max(-32768, min(32767, math.Round(v))))
	}
	copy(f.hist[:], s[c:c+h])
	f.frac = end - float64(c)
	if f.snap && f.frac == 0 {
		f.eps, f.snap = 0, false
	}
	f.resampled += uint64(len(p))
	return c
}

// read accounts a read of n samples that consumed c and left level
// buffered, and runs the controller at the end of each window.
func (f *follower) read(n, c, level int) {
	f.levelNow(level)
	f.extra += c - n
	f.low = min(f.low, level)
	f.out += n
	if f.out < f.window {
		return
	}
	f.out %= f.window
	if span := f.t - f.t0; span > 0 {
		f.endWindow(f.area/span, f.low, f.high)
	}
	f.low, f.high, f.area, f.t0 = math.MaxInt, f.n, 0, f.t
}

// median of v (at most driftSlope values), sorted in a copy on the stack.
func median[T int | float64](v []T) float64 {
	var buf [driftSlope]T
	s := buf[:copy(buf[:], v)]
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// slide appends v to w, dropping w's oldest value once w is at its
// capacity: in place, never allocating.
func slide(w []float64, v float64) []float64 {
	if len(w) == cap(w) {
		copy(w, w[1:])
		w = w[:len(w)-1]
	}
	return append(w, v)
}

func (f *follower) endWindow(mean float64, low, high int) {
	f.windows++
	if f.windows <= driftWarm {
		return
	}
	f.means = slide(f.means, mean)
	if len(f.baseMean) < driftBase {
		f.baseMean, f.baseLow, f.baseHigh = append(f.baseMean, mean), append(f.baseLow, low), append(f.baseHigh, high)
		if len(f.baseMean) < driftBase {
			return
		}
		// The set point is the mean level where it settled, raised when
		// the troughs settled under the margin, lowered when the peaks
		// settled over the limit less the margin: where the reads start
		// against the writes decides how deep the saw-tooth dips (a
		// trough at 0 runs dry on any late write), and a device that
		// starts late leaves the level wherever the overruns left it.
		// Lowering stops where it would take the troughs under the
		// margin: a ring that overran once is better than one that runs
		// dry (PulseAudio's null sink starting late left the speaker's
		// peaks at the limit and, lowered by them alone, its troughs ran
		// dry).
		low, high := median(f.baseLow), median(f.baseHigh)
		raise := max(0, float64(f.margin)-low)
		lower := min(max(0, high-float64(f.limit-f.margin)), max(0, low-float64(f.margin)))
		f.target = median(f.baseMean) + raise - lower
	}
	m := median(f.means)
	// The level as it would be without the corrections: its slope is the
	// drift.
	f.level = slide(f.level, mean+float64(f.extra))
	if n := len(f.level); n >= driftSlopeMin {
		var sx, sy, sxx, sxy float64
		for i, y := range f.level {
			x := float64(i)
			sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
		}
		fn := float64(n)
		f.drift = (fn*sxy - sx*sy) / (fn*sxx - sx*sx) / float64(f.window)
	}
	e := (m - f.target) / float64(f.window) // in windows
	if !f.active {
		if math.Abs(e) <= driftOn {
			return
		}
		f.active, f.snap, f.quiet = true, false, 0
		if len(f.level) >= driftSlopeMin {
			f.integ = max(-driftMaxPPM*1e-6, min(driftMaxPPM*1e-6, f.drift))
		}
	}
	if math.Abs(e) < driftWindup {
		// Far from the set point (raising a trough to the margin) the
		// P term alone moves the level: integrating there would wind up
		// a drift that is not there.
		f.integ = max(-driftMaxPPM*1e-6, min(driftMaxPPM*1e-6, f.integ+driftKi*e))
	}
	f.eps = max(-driftMaxPPM*1e-6, min(driftMaxPPM*1e-6, f.integ+driftKp*e))
	if math.Abs(e) < driftOff && math.Abs(f.integ) < driftRestPPM {
		if f.quiet++; f.quiet >= driftQuiet {
			// Rest: no drift worth following. The interpolator walks its
			// fraction back to a whole sample, then copies.
			f.active, f.integ, f.quiet = false, 0, 0
			f.eps = 0
			if f.frac != 0 {
				f.snap = true
				f.eps = driftSnapPPM
				if f.frac < 0.5 {
					f.eps = -driftSnapPPM
				}
			}
		}
	} else {
		f.quiet = 0
	}
}
