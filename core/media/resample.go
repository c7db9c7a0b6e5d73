package media

import "math"

// SampleRate is the rate of every G.711 stream and of the package's
// internal PCM.
const SampleRate = 8000

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = 160

// Resampler converts a stream of mono PCM from one rate to another with a
// windowed-sinc interpolator (16 zero crossings, Blackman window, cutoff at
// 0.9 × the lower Nyquist frequency), so that 48 kHz → 8 kHz does not alias.
// It keeps its history between calls, so frames of any size may be fed. It
// is not safe for concurrent use.
type Resampler struct {
	in, out int
	hw      int         // half width of the kernel in input samples
	table   [][]float32 // [phase][2*hw] coefficients
	buf     []int16     // history + pending input
	pos     int         // integer input position of the next output in buf
	acc     int         // fractional position, in units of 1/out
}

const resamplePhases = 256

// NewResampler makes a resampler from rate in to rate out (Hz).
func NewResampler(in, out int) *Resampler {
	r := &Resampler{in: in, out: out}
	if in == out || in <= 0 || out <= 0 {
		return r
	}
	fc := 0.9
	if out < in {
		fc *= float64(out) / float64(in)
	}
	const zeros = 8 // zero crossings each side at the cutoff
	r.hw = int(math.Ceil(zeros / fc))
	r.table = make([][]float32, resamplePhases+1)
	for p := range r.table {
		frac := float64(p) / resamplePhases
		row := make([]float32, 2*r.hw)
		var sum float64
		for j := range row {
			x := float64(j-r.hw+1) - frac // distance of tap from the output point
			v := fc * sinc(fc*x)
			w := x / float64(r.hw)
			if math.Abs(w) >= 1 {
				v = 0
			} else {
				// Blackman window over [-1, 1].
				v *= 0.42 + 0.5*math.Cos(math.Pi*w) + 0.08*math.Cos(2*math.Pi*w)
			}
			row[j] = float32(v)
			sum += v
		}
		for j := range row { // unity DC gain
			row[j] = float32(float64(row[j]) / sum)
		}
		r.table[p] = row
	}
	r.buf = make([]int16, r.hw, 4*r.hw+4096) // hw zeros of history
	r.pos = r.hw
	return r
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// Process appends to dst the resampled form of src and returns it.
func (r *Resampler) Process(dst []int16, src []int16) []int16 {
	if r.in == r.out || r.table == nil {
		return append(dst, src...)
	}
	r.buf = append(r.buf, src...)
	for r.pos+r.hw < len(r.buf) {
		p := (r.acc*resamplePhases + r.out/2) / r.out
		base := r.pos
		if p == resamplePhases {
			p = 0
			base++
			if base+r.hw >= len(r.buf) {
				break
			}
		}
		row := r.table[p]
		x := r.buf[base-r.hw+1 : base+r.hw+1]
		var v float32
		for j, c := range row {
			v += c * float32(x[j])
		}
		dst = append(dst, clip16(float64(v)))
		r.acc += r.in
		r.pos += r.acc / r.out
		r.acc %= r.out
	}
	// Drop consumed input, keeping hw samples of history before pos.
	if drop := r.pos - r.hw + 1; drop > 0 {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.pos -= drop
	}
	return dst
}

// OutLen is the most samples Process may produce for n input samples.
func (r *Resampler) OutLen(n int) int {
	if r.in == r.out || r.in <= 0 {
		return n
	}
	return n*r.out/r.in + 2
}
