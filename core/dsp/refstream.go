package dsp

// refStream is the capture side of the reference path: it takes the
// reference from the FIFO, resamples it from the playout clock to the
// capture clock (driftControl steers the ratio) and hands out one block of
// reference per block of capture.
//
// An empty FIFO (the playout side stopped, or has not started) yields
// silence; the stream then waits until the FIFO holds a cushion of one
// playout burst plus one block before it consumes again, so that the two
// threads' jitter does not underflow it again and again. An overflow (the
// capture side stalled) drops all but such a cushion. Either is counted and
// re-anchors the drift controller; the delay estimator finds the new
// alignment.
type refStream struct {
	fifo       *refFIFO
	rs         *fracResampler
	ctl        driftControl
	rate       int
	in         []int16
	starving   bool
	underflows int64
	// breaks counts the discontinuities of the reference (an underflow
	// resumed, an overflow dropped samples): the alignment searches anew.
	breaks    int64
	started   bool
	lastLevel int // level left after the last pull, for the delay report
	avgAfter  float64
}

func newRefStream(fifo *refFIFO, rate, block int) refStream {
	return refStream{fifo: fifo, rs: newFracResampler(), ctl: newDriftControl(rate, block), rate: rate,
		in: make([]int16, 2*block+2*resamplerHalf+8), starving: true}
}

func (s *refStream) cushion(maxPush, block int) int { return max(maxPush, block) + block }

// pull fills out (one block) with reference on the capture clock.
func (s *refStream) pull(out []int16) {
	n := len(out)
	ratio := 1 + s.ctl.ppm*1e-6
	need := s.rs.need(n, ratio)
	pos, k, level, overflown, maxPush := s.fifo.peek(s.in[:need])
	if overflown {
		s.fifo.keepNewest(s.cushion(maxPush, n))
		s.ctl.reset()
		s.breaks++
		pos, k, level, _, _ = s.fifo.peek(s.in[:need])
	}
	if s.starving {
		if level < s.cushion(maxPush, n) {
			clear(out)
			s.lastLevel = level
			return
		}
		s.starving = false
		s.ctl.reset()
		if s.started {
			s.breaks++
		}
		s.started = true
	}
	if k < need {
		// Ran dry: silence, and wait for a cushion again.
		clear(out)
		s.underflows++
		s.starving = true
		s.lastLevel = level
		return
	}
	// The controller sees the level with the resampler's fractional
	// position: whole FIFO samples alone step by one as the resampler
	// takes one more or one fewer, and a controller on that steps hunts
	// (a few ppm either way), which moves the echo by a fraction of a
	// sample back and forth: enough to cap the canceller at high
	// frequencies.
	ahead := s.rs.ahead()
	s.rs.process(s.in[:need], out, ratio)
	s.fifo.advance(pos + int64(need))
	s.ctl.update(float64(level) + ahead)
	s.lastLevel = level - need
	s.avgAfter += 0.02 * (float64(s.lastLevel) - s.avgAfter)
}

// driftPPM is the correction applied: how much faster (positive) the
// playout clock runs than the capture clock, in ppm, once settled.
func (s *refStream) driftPPM() float64 { return s.ctl.ppm }
