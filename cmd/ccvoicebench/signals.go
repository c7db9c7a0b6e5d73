package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
)

// readWAV reads a mono 16-bit PCM WAV file (what espeak-ng writes).
func readWAV(path string) (x []float64, rate int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%s: not a WAV file", path)
	}
	var channels, bits int
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:]))
		body := b[i+8 : min(len(b), i+8+n)]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, fmt.Errorf("%s: short fmt chunk", path)
			}
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("%s: want mono 16-bit PCM, have %d channels of %d bits", path, channels, bits)
			}
			x = make([]float64, len(body)/2)
			for k := range x {
				x[k] = float64(int16(binary.LittleEndian.Uint16(body[2*k:])))
			}
			return x, rate, nil
		}
		i += 8 + n + n%2
	}
	return nil, 0, errors.New(path + ": no data chunk")
}

// resample converts x from rate in to rate out with a Kaiser-windowed sinc
// (cutoff 0.95 of the lower Nyquist, 64 zero crossings): good enough that
// the bench's signals are clean to well below the figures it measures.
func resample(x []float64, in, out int) []float64 {
	if in == out {
		return append([]float64(nil), x...)
	}
	ratio := float64(out) / float64(in)
	fc := 0.95 * math.Min(1, ratio) // relative to the input's Nyquist
	const half = 64
	width := float64(half) / fc
	n := int(float64(len(x)) * ratio)
	y := make([]float64, n)
	const winSteps = 8192
	win := make([]float64, winSteps+2) // the Kaiser window, tabulated
	for i := range win {
		win[i] = kaiser(float64(i)/winSteps, 9)
	}
	for m := range y {
		t := float64(m) / ratio // position in x
		lo, hi := int(math.Ceil(t-width)), int(math.Floor(t+width))
		var s float64
		for j := max(lo, 0); j <= hi && j < len(x); j++ {
			d := t - float64(j)
			s += x[j] * fc * sinc(fc*d) * win[int(math.Abs(d)/width*winSteps)]
		}
		y[m] = s
	}
	return y
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func kaiser(x, beta float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	return bessel0(beta*math.Sqrt(1-x*x)) / bessel0(beta)
}

func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 60; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-14*sum {
			break
		}
	}
	return sum
}

// roomResponse is a synthetic room impulse response: Gaussian noise under
// an exponential decay whose energy falls 60 dB in rt60 seconds (Polack's
// model), lengthSec long, scaled so that the echo is erlDB below the
// reference (the echo return loss).
func roomResponse(rate int, rt60, lengthSec, erlDB float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x2001))
	h := make([]float64, int(lengthSec*float64(rate)))
	decay := 3 * math.Ln10 / (rt60 * float64(rate)) // amplitude; energy falls 60 dB at rt60
	var e float64
	for i := range h {
		h[i] = rng.NormFloat64() * math.Exp(-decay*float64(i))
		e += h[i] * h[i]
	}
	g := math.Pow(10, -erlDB/20) / math.Sqrt(e)
	for i := range h {
		h[i] *= g
	}
	return h
}

// convolve returns x convolved with h and delayed by delay samples, cut to
// len(x) (overlap-add with FFTs).
func convolve(x, h []float64, delay int) []float64 {
	y := make([]float64, len(x))
	size := 1
	for size < 2*len(h) {
		size <<= 1
	}
	hf := make([]complex128, size)
	for i, v := range h {
		hf[i] = complex(v, 0)
	}
	fft(hf, false)
	step := size - len(h) + 1
	buf := make([]complex128, size)
	for start := 0; start < len(x); start += step {
		clear(buf)
		for i := 0; i < step && start+i < len(x); i++ {
			buf[i] = complex(x[start+i], 0)
		}
		fft(buf, false)
		for i := range buf {
			buf[i] *= hf[i]
		}
		fft(buf, true)
		for i := range buf {
			if j := start + i + delay; j < len(y) {
				y[j] += real(buf[i]) / float64(size)
			}
		}
	}
	return y
}

// fft is an in-place radix-2 FFT (inverse without scaling).
func fft(x []complex128, inverse bool) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, sign*2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				a, b := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = a+b, a-b
				wk *= w
			}
		}
	}
}

// whiteNoise at levelDBFS RMS.
func whiteNoise(n int, seed uint64, levelDBFS float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x401e))
	a := dbfsToAmp(levelDBFS)
	x := make([]float64, n)
	for i := range x {
		x[i] = a * rng.NormFloat64()
	}
	return x
}

func dbfsToAmp(db float64) float64 { return 32768 * math.Pow(10, db/20) }

// activeLevel is the RMS level of x's speech-active 10 ms frames (within
// 35 dB of the loudest), in dBFS: a simple stand-in for ITU-T P.56.
func activeLevel(x []float64, rate int) float64 {
	ms := activeMeanSquare(x, activeFrames(x, rate), rate)
	return 10 * math.Log10(ms/(32768*32768))
}

// activeFrames marks the 10 ms frames of x within 35 dB of its loudest.
func activeFrames(x []float64, rate int) []bool {
	f := rate / 100
	var pw []float64
	var peak float64
	for i := 0; i+f <= len(x); i += f {
		p := meanSquare(x[i : i+f])
		pw = append(pw, p)
		peak = max(peak, p)
	}
	act := make([]bool, len(pw))
	for i, p := range pw {
		act[i] = p > peak*math.Pow(10, -3.5)
	}
	return act
}

func activeMeanSquare(x []float64, act []bool, rate int) float64 {
	f := rate / 100
	var s float64
	var n int
	for i, a := range act {
		if a && (i+1)*f <= len(x) {
			s += meanSquare(x[i*f : (i+1)*f])
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

func meanSquare(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s / float64(max(1, len(x)))
}

// scaleTo scales x so that its active level is levelDBFS.
func scaleTo(x []float64, rate int, levelDBFS float64) []float64 {
	g := math.Pow(10, (levelDBFS-activeLevel(x, rate))/20)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v * g
	}
	return y
}

func add(xs ...[]float64) []float64 {
	y := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i := range y {
			if i < len(x) {
				y[i] += x[i]
			}
		}
	}
	return y
}

func neg(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = -v
	}
	return y
}

// place returns a signal of n samples with x starting at sample at.
func place(x []float64, n, at int) []float64 {
	y := make([]float64, n)
	copy(y[at:], x)
	return y
}

// loop repeats x until it is n samples long.
func loop(x []float64, n int) []float64 {
	y := make([]float64, n)
	for i := 0; i < n; i += len(x) {
		copy(y[i:], x)
	}
	return y
}

func toInt16(x []float64) []int16 {
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return y
}

func toFloat(x []int16) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
