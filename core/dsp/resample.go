package dsp

import "math"

// fracResampler moves the reference from the playout clock to the capture
// clock: it reads its input at a position that advances by ratio (within a
// few hundred ppm of 1) per output sample, interpolating with a 64-tap
// Kaiser-windowed sinc (a table of 512 fractional phases, linearly
// interpolated). At a whole-sample position the filter is a unit impulse,
// so a ratio of exactly 1 passes the reference through untouched; between
// samples it is a fractional delay flat to about 93% of Nyquist.
type fracResampler struct {
	half  int
	table [][]float64 // [phase][tap], resamplerPhases+1 rows
	buf   []float64   // input not yet fully used (history included)
	t     float64     // position of the next output in buf
}

const (
	resamplerHalf   = 32
	resamplerPhases = 512
	resamplerBeta   = 9.0
)

func newFracResampler() *fracResampler {
	r := &fracResampler{half: resamplerHalf}
	taps := 2 * r.half
	r.table = make([][]float64, resamplerPhases+1)
	for p := range r.table {
		f := float64(p) / resamplerPhases
		row := make([]float64, taps)
		var sum float64
		for k := range row {
			x := f + float64(r.half-1-k) // distance from output position to tap
			row[k] = sinc(x) * kaiser(x/float64(r.half), resamplerBeta)
			sum += row[k]
		}
		for k := range row {
			row[k] /= sum
		}
		r.table[p] = row
	}
	// Start with a history of zeros so that the first output needs only
	// half new samples: the resampler's delay is half-1 samples.
	r.buf = make([]float64, r.half-1, 4096)
	r.t = float64(r.half - 1)
	return r
}

// need is how many input samples producing n outputs at ratio takes.
func (r *fracResampler) need(n int, ratio float64) int {
	last := r.t + ratio*float64(n-1)
	return max(0, int(math.Floor(last))+r.half+1-len(r.buf))
}

// ahead is how far the next output's position lags the end of the input
// held, in (fractional) input samples.
func (r *fracResampler) ahead() float64 { return float64(len(r.buf)) - r.t }

// process appends in (exactly need(len(out), ratio) samples) and writes
// len(out) samples.
func (r *fracResampler) process(in []int16, out []int16, ratio float64) {
	for _, v := range in {
		r.buf = append(r.buf, float64(v))
	}
	taps := 2 * r.half
	for m := range out {
		i := int(math.Floor(r.t))
		ph := (r.t - float64(i)) * resamplerPhases
		p := int(ph)
		a := ph - float64(p)
		h0, h1 := r.table[p], r.table[min(p+1, resamplerPhases)]
		x := r.buf[i-r.half+1 : i-r.half+1+taps]
		var y float64
		if a == 0 {
			for k, v := range x {
				y += v * h0[k]
			}
		} else {
			for k, v := range x {
				y += v * (h0[k] + a*(h1[k]-h0[k]))
			}
		}
		out[m] = int16(max(-32768, min(32767, math.Round(y))))
		r.t += ratio
	}
	// Drop what no later output can reach.
	if drop := int(math.Floor(r.t)) - r.half + 1; drop > 0 {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.t -= float64(drop)
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at x in [-1, 1].
func kaiser(x, beta float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	return bessel0(beta*math.Sqrt(1-x*x)) / bessel0(beta)
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}
