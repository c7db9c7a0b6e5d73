package dsp

// driftControl keeps the reference FIFO at a steady level by steering the
// resampler's ratio: if the playout clock runs faster than the capture
// clock, the FIFO fills and the ratio rises until the reference is
// consumed as fast as it arrives. A steady level is a steady alignment
// between reference and echo (each sample the level gains or loses shifts
// the echo by one sample). The level is averaged over about a second
// (it saw-tooths with the two threads' periods), anchored as the average of
// the first second, and held there by a PI controller whose output is the
// correction in ppm.
type driftControl struct {
	rate     int
	alpha    float64 // EMA factor per block
	kp, ki   float64 // ppm per sample of error; ppm per sample-second
	avg      float64
	target   float64
	settle   int // blocks left before the target is anchored
	sum      float64
	count    int
	integ    float64 // integral of the error, sample-seconds
	ppm      float64
	blockSec float64
}

const (
	driftMaxPPM    = 1000 // clamp: crystals differ by far less
	driftSettleSec = 1.0
	driftAvgSec    = 1.0
	driftLoopHz    = 0.1 // closed-loop bandwidth (~1.6 s time constant)
	driftIntegSec  = 5.0 // integral time: settles within ~20 s, without the overshoot a slower one has
)

func newDriftControl(rate, block int) driftControl {
	d := driftControl{rate: rate, blockSec: float64(block) / float64(rate)}
	d.alpha = d.blockSec / driftAvgSec
	// The level moves by rate*1e-6 samples per second per ppm of error, so
	// a loop gain of 2*pi*driftLoopHz per second needs this kp.
	d.kp = 2 * 3.141592653589793 * driftLoopHz / (float64(rate) * 1e-6)
	d.ki = d.kp / driftIntegSec
	d.reset()
	return d
}

// reset forgets the anchor (after an underflow, an overflow or a jump of
// the alignment); the ppm already learnt is kept as the integral's start.
func (d *driftControl) reset() {
	d.settle = int(driftSettleSec / d.blockSec)
	d.sum, d.count = 0, 0
	d.avg = -1
	if d.ki > 0 {
		d.integ = d.ppm / d.ki
	}
}

// shift moves the anchor by delta samples (the level was changed on purpose).
func (d *driftControl) shift(delta int) {
	d.target += float64(delta)
	if d.avg >= 0 {
		d.avg += float64(delta)
	}
}

// update takes the level seen by this block and returns the correction in
// ppm (positive: consume the reference faster).
func (d *driftControl) update(l float64) float64 {
	if d.avg < 0 {
		d.avg = l
	} else {
		d.avg += d.alpha * (l - d.avg)
	}
	if d.settle > 0 {
		d.settle--
		d.sum += l
		d.count++
		if d.settle == 0 {
			d.target = d.sum / float64(d.count)
			d.avg = d.target
		}
		return d.ppm
	}
	e := d.avg - d.target
	d.integ += e * d.blockSec
	// Anti-windup: the integral alone never asks for more than the clamp.
	if lim := driftMaxPPM / d.ki; d.integ > lim {
		d.integ = lim
	} else if d.integ < -lim {
		d.integ = -lim
	}
	d.ppm = d.kp*e + d.ki*d.integ
	if d.ppm > driftMaxPPM {
		d.ppm = driftMaxPPM
	} else if d.ppm < -driftMaxPPM {
		d.ppm = -driftMaxPPM
	}
	return d.ppm
}
