package dsp

// delayLine delays the reference by a settable number of samples so that
// the echo canceller's filter starts just before the echo does.
type delayLine struct {
	buf      []int16
	pos      int // next write index
	delay    int
	maxDelay int
}

// newDelayLine makes a line of up to maxDelay samples that also keeps
// hist samples of history (see history).
func newDelayLine(maxDelay, block, hist int) delayLine {
	return delayLine{buf: make([]int16, maxDelay+block+hist), maxDelay: maxDelay}
}

// setDelay changes the delay (clamped to the line's maximum); the samples
// it then reads are those written that long ago (zeros before the start).
func (d *delayLine) setDelay(n int) {
	d.delay = max(0, min(n, d.maxDelay))
}

// history fills dst with the last len(dst) samples the line would have
// put out at its current delay (the canceller rebuilds its reference
// history from it after a realignment).
func (d *delayLine) history(dst []int16) {
	c := len(d.buf)
	for j := range dst {
		r := (d.pos - len(dst) + j - d.delay) % c
		if r < 0 {
			r += c
		}
		dst[j] = d.buf[r]
	}
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
