package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// The engine's transforms against a plain DFT, at every size it uses and
// a few more (radices 2, 3, 4 and 5).
func TestRealFFTMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 6, 10, 12, 30, 60, 160, 320, 480, 640} {
		f := newRFFT(n)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		X := make([]complex128, n/2+1)
		f.forward(x, X)
		for k := range X {
			var want complex128
			for i, v := range x {
				want += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(i*k)/float64(n)))
			}
			if cmplx.Abs(X[k]-want) > 1e-9*float64(n) {
				t.Fatalf("n=%d bin %d: %v, want %v", n, k, X[k], want)
			}
		}
		y := make([]float64, n)
		f.inverse(X, y)
		for i := range y {
			if math.Abs(y[i]-x[i]) > 1e-12*float64(n) {
				t.Fatalf("n=%d: inverse sample %d = %g, want %g", n, i, y[i], x[i])
			}
		}
	}
}
