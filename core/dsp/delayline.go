package dsp

// delayLine delays the reference by a settable number of samples so that
// the echo canceller's filter starts just before the echo does.
type delayLine struct {
	buf   []int16
	pos   int // next write index
	delay int
}

func newDelayLine(maxDelay, block int) delayLine {
	return delayLine{buf: make([]int16, maxDelay+block)}
}

// setDelay changes the delay (clamped to the line's length); the samples
// it then reads are those written that long ago (zeros before the start).
func (d *delayLine) setDelay(n int) {
	d.delay = max(0, min(n, len(d.buf)-1))
}

// process writes in and reads the same count delayed into out.
func (d *delayLine) process(in, out []int16) {
	c := len(d.buf)
	for i, v := range in {
		d.buf[d.pos] = v
		r := d.pos - d.delay
		if r < 0 {
			r += c
		}
		out[i] = d.buf[r]
		d.pos++
		if d.pos == c {
			d.pos = 0
		}
	}
}
