package audio

// linearResampler converts mono PCM between two rates by linear
// interpolation, keeping its phase across calls. It only serves a call
// that writes at a rate other than the endpoint's (the device path itself
// is converted by miniaudio).
type linearResampler struct {
	in, out int
	pos     float64 // position of the next output sample, in input samples, relative to prev
	prev    int16
	started bool
}

func newLinearResampler(in, out int) *linearResampler {
	return &linearResampler{in: in, out: out}
}

// process appends the converted samples of p to dst.
func (r *linearResampler) process(dst, p []int16) []int16 {
	if r.in == r.out {
		return append(dst, p...)
	}
	step := float64(r.in) / float64(r.out)
	for _, s := range p {
		if !r.started {
			r.prev, r.started = s, true
			continue
		}
		// Emit every output sample that falls between prev and s.
		for r.pos < 1 {
			v := float64(r.prev) + (float64(s)-float64(r.prev))*r.pos
			dst = append(dst, int16(v))
			r.pos += step
		}
		r.pos--
		r.prev = s
	}
	return dst
}
