package dsp

import (
	"math"
	"math/rand/v2"
)

// Deterministic test signals: speech-like sound (voiced syllables through
// formant resonators, fricatives, pauses between words), noise, and a
// synthetic echo path (bulk delay plus an exponentially decaying room
// response).

// speechLike returns seconds of speech-like sound at rate, its active parts
// at about levelDBFS RMS.
func speechLike(rate int, seconds float64, seed uint64, levelDBFS float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	n := int(seconds * float64(rate))
	out := make([]float64, n)
	fs := float64(rate)
	vowels := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {530, 1840, 2480}, {660, 1720, 2410},
		{300, 870, 2240}, {570, 840, 2410}, {440, 1020, 2240}, {490, 1350, 1690}}
	pos := int(0.1 * fs)
	phase := 0.0
	for pos < n {
		syllables := 2 + rng.IntN(3)
		for s := 0; s < syllables && pos < n; s++ {
			dur := int((0.12 + 0.13*rng.Float64()) * fs)
			f := vowels[rng.IntN(len(vowels))]
			f0a, f0b := 90+130*rng.Float64(), 90+130*rng.Float64()
			fricative := rng.Float64() < 0.2
			var res [3]resonator
			for k := range res {
				bw := 80 + 70*rng.Float64()
				res[k] = newResonator(f[k]*(0.9+0.2*rng.Float64()), bw, fs)
			}
			hp := newResonator(3500*fs/16000, 1500*fs/16000, fs)
			for i := 0; i < dur && pos+i < n; i++ {
				t := float64(i) / float64(dur)
				env := math.Sin(math.Pi * t)
				env = math.Sqrt(env)
				var x float64
				if fricative {
					x = hp.step(rng.NormFloat64()) * 0.5
				} else {
					f0 := f0a + (f0b-f0a)*t
					phase += f0 / fs
					if phase >= 1 {
						phase -= 1
					}
					// A band-limited glottal-like pulse: harmonics of f0 with a 1/k roll-off.
					for k := 1; float64(k)*f0 < 0.45*fs && k <= 40; k++ {
						x += math.Sin(2*math.Pi*float64(k)*phase) / float64(k)
					}
					x = res[2].step(res[1].step(res[0].step(x)))
				}
				out[pos+i] = x * env
			}
			pos += dur
		}
		pos += int((0.1 + 0.35*rng.Float64()) * fs)
	}
	setLevel(out, levelDBFS)
	return out
}

// resonator is a two-pole band-pass (a formant).
type resonator struct{ a1, a2, g, y1, y2 float64 }

func newResonator(freq, bw, fs float64) resonator {
	r := math.Exp(-math.Pi * bw / fs)
	return resonator{a1: 2 * r * math.Cos(2*math.Pi*freq/fs), a2: -r * r, g: 1 - r}
}

func (r *resonator) step(x float64) float64 {
	y := r.g*x + r.a1*r.y1 + r.a2*r.y2
	r.y2, r.y1 = r.y1, y
	return y
}

// setLevel scales x so that its active part (samples within 30 dB of the
// loudest 10 ms) has RMS levelDBFS.
func setLevel(x []float64, levelDBFS float64) {
	ms := activeMeanSquare(x, len(x))
	if ms == 0 {
		return
	}
	g := 32768 * math.Pow(10, levelDBFS/20) / math.Sqrt(ms)
	for i := range x {
		x[i] *= g
	}
}

// activeMeanSquare is the mean square over the 10 ms blocks (of x's first
// n samples, blocks of 1/100 of the rate are approximated by 80 samples)
// within 30 dB of the loudest block.
func activeMeanSquare(x []float64, n int) float64 {
	const blk = 80
	var powers []float64
	var peak float64
	for i := 0; i+blk <= n; i += blk {
		var s float64
		for _, v := range x[i : i+blk] {
			s += v * v
		}
		s /= blk
		powers = append(powers, s)
		peak = max(peak, s)
	}
	var sum float64
	var cnt int
	for _, p := range powers {
		if p > peak*1e-3 {
			sum += p
			cnt++
		}
	}
	if cnt == 0 {
		return 0
	}
	return sum / float64(cnt)
}

// whiteNoise at levelDBFS RMS.
func whiteNoise(n int, seed uint64, levelDBFS float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x401e))
	a := 32768 * math.Pow(10, levelDBFS/20)
	x := make([]float64, n)
	for i := range x {
		x[i] = a * rng.NormFloat64()
	}
	return x
}

// roomResponse is a direct path followed by exponentially decaying noise
// (energy falls 60 dB in rt60 seconds), as long as length seconds, scaled
// so that the echo is ERL dB below the reference.
func roomResponse(rate int, rt60, length, erlDB float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x2001))
	n := int(length * float64(rate))
	h := make([]float64, n)
	h[0] = 1
	decay := 6.908 / (rt60 * float64(rate)) // amplitude: exp(-6.908 t / rt60) is -60 dB at rt60
	var tail float64
	for i := 1; i < n; i++ {
		h[i] = rng.NormFloat64() * math.Exp(-decay*float64(i))
		tail += h[i] * h[i]
	}
	// Direct and reverberant parts carry equal energy.
	g := 1 / math.Sqrt(tail)
	for i := 1; i < n; i++ {
		h[i] *= g
	}
	scale := math.Pow(10, -erlDB/20) / math.Sqrt(2)
	for i := range h {
		h[i] *= scale
	}
	return h
}

// convolve returns x convolved with h, delayed by delay samples, as long as x.
func convolve(x, h []float64, delay int) []float64 {
	y := make([]float64, len(x))
	// Direct form is slow for long responses: use blocks of FFT.
	size := 1
	for size < 2*len(h) {
		size <<= 1
	}
	f := newFFT(size)
	hb := make([]complex128, size)
	for i, v := range h {
		hb[i] = complex(v, 0)
	}
	f.transform(hb, false)
	step := size - len(h) + 1
	buf := make([]complex128, size)
	for start := 0; start < len(x); start += step {
		clear(buf)
		for i := 0; i < step && start+i < len(x); i++ {
			buf[i] = complex(x[start+i], 0)
		}
		f.transform(buf, false)
		for i := range buf {
			buf[i] *= hb[i]
		}
		f.transform(buf, true)
		for i := range buf {
			j := start + i + delay
			if j >= len(y) {
				break
			}
			y[j] += real(buf[i]) / float64(size)
		}
	}
	return y
}

// toInt16 rounds and clips.
func toInt16(x []float64) []int16 {
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return y
}

// mix adds signals of the same length.
func mix(xs ...[]float64) []float64 {
	y := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i := range y {
			y[i] += x[i]
		}
	}
	return y
}

// power is the mean square of x[from:to] (int16 units).
func power(x []int16, from, to int) float64 {
	var s float64
	for _, v := range x[from:to] {
		f := float64(v)
		s += f * f
	}
	return s / float64(max(1, to-from))
}

func powerF(x []float64, from, to int) float64 {
	var s float64
	for _, v := range x[from:to] {
		s += v * v
	}
	return s / float64(max(1, to-from))
}

// run feeds far (reference) and near (capture) through p in lockstep,
// frame by frame, and returns the output.
func run(p *Processor, far, near []int16, frame int) []int16 {
	out := make([]int16, len(near))
	for i := 0; i+frame <= len(near); i += frame {
		if far != nil {
			if err := p.Playback(far[i : i+frame]); err != nil {
				panic(err)
			}
		}
		if _, err := p.Capture(near[i:i+frame], out[i:i+frame]); err != nil {
			panic(err)
		}
	}
	return out
}
