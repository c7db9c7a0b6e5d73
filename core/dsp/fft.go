package dsp

import (
	"math"
	"math/bits"
)

// fft is an in-place iterative radix-2 complex FFT of a fixed power-of-two
// size, for the delay estimator's cross-correlation.
type fft struct {
	n    int
	tw   []complex128 // exp(-2*pi*i*k/n), k < n/2
	perm []int        // bit-reversal permutation
}

func newFFT(n int) *fft {
	if n < 2 || n&(n-1) != 0 {
		panic("dsp: fft size must be a power of two")
	}
	f := &fft{n: n, tw: make([]complex128, n/2), perm: make([]int, n)}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(c, s)
	}
	shift := 64 - bits.Len(uint(n-1))
	for i := range f.perm {
		f.perm[i] = int(bits.Reverse64(uint64(i)) >> shift)
	}
	return f
}

// transform computes the forward DFT of x in place, or the inverse DFT
// (without the 1/n scaling) when inverse is set.
func (f *fft) transform(x []complex128, inverse bool) {
	n := f.n
	for i, j := range f.perm {
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				w := f.tw[k*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				a, b := x[start+k], x[start+k+half]*w
				x[start+k], x[start+k+half] = a+b, a-b
			}
		}
	}
}
