package main

import "math"

// noiseCeiling is what a spectral noise suppressor could reach if it knew
// the noise's spectrum exactly, instead of estimating it from the noisy
// signal: the same framing as core/dsp's suppressor (10 ms blocks, 20 ms
// sine windows), the same decision-directed Wiener gain, floor (-25 dB)
// and margin (1.6: the background estimate's, core/dsp/background.go's
// bgOver, which the gain uses on babble), with the noise power per bin
// taken from the noise
// itself, either its mean over the whole run (a perfectly converged
// estimate) or its running mean over 200 ms (a tracker that follows
// babble's changes as well as it possibly can). The gains, computed on
// speech+noise, are applied to speech and noise apart, so the figures are
// measured as the suppressor's are. It shows how far the gap to a target
// is the estimator's fault and how far the method's.
func noiseCeiling(rate int, speech, noise []float64, runningSec float64) (sOut, nOut []float64) {
	n := rate / 100
	w := 2 * n
	bins := n + 1
	win := make([]float64, w)
	for i := range win {
		win[i] = math.Sin(math.Pi * (float64(i) + 0.5) / float64(w))
	}
	cos, sin := make([]float64, w), make([]float64, w)
	for i := range cos {
		cos[i] = math.Cos(2 * math.Pi * float64(i) / float64(w))
		sin[i] = math.Sin(2 * math.Pi * float64(i) / float64(w))
	}
	frames := len(speech)/n - 1
	dft := func(x []float64, at int, out []complex128) {
		for k := range out {
			var re, im float64
			for i := 0; i < w; i++ {
				v := x[at+i] * win[i]
				j := (k * i) % w
				re += v * cos[j]
				im -= v * sin[j]
			}
			out[k] = complex(re, im)
		}
	}
	idft := func(in []complex128, out []float64) {
		for i := 0; i < w; i++ {
			var v float64
			for k, c := range in {
				j := (k * i) % w
				t := real(c)*cos[j] - imag(c)*sin[j]
				if k != 0 && k != bins-1 {
					t *= 2
				}
				v += t
			}
			out[i] = v / float64(w) * win[i]
		}
	}
	S := make([][]complex128, frames)
	N := make([][]complex128, frames)
	for f := range S {
		S[f], N[f] = make([]complex128, bins), make([]complex128, bins)
		dft(speech, f*n, S[f])
		dft(noise, f*n, N[f])
	}
	// The noise power per bin and frame, as the suppressor would be told.
	lam := make([][]float64, frames)
	mean := make([]float64, bins)
	for f := range N {
		for k, c := range N[f] {
			mean[k] += pow2(c) / float64(frames)
		}
	}
	run := append([]float64(nil), mean...)
	a := math.Exp(-0.01 / math.Max(runningSec, 1e-3))
	for f := range lam {
		if runningSec <= 0 {
			lam[f] = mean
			continue
		}
		lam[f] = make([]float64, bins)
		for k, c := range N[f] {
			run[k] = a*run[k] + (1-a)*pow2(c)
			lam[f][k] = run[k]
		}
	}
	const over, dd, xiMin = 1.6, 0.98, 0.003
	floor := math.Pow(10, -25.0/20)
	prev := make([]float64, bins)
	sOut, nOut = make([]float64, len(speech)), make([]float64, len(speech))
	gs, gn := make([]complex128, bins), make([]complex128, bins)
	tmp := make([]float64, w)
	for f := range S {
		for k := range S[f] {
			y := pow2(S[f][k] + N[f][k])
			l := over * math.Max(lam[f][k], 1e-9)
			xi := math.Max(dd*prev[k]/l+(1-dd)*math.Max(y/l-1, 0), xiMin)
			g := math.Max(xi/(1+xi), floor)
			prev[k] = g * g * y
			gs[k], gn[k] = S[f][k]*complex(g, 0), N[f][k]*complex(g, 0)
		}
		idft(gs, tmp)
		for i, v := range tmp {
			sOut[f*n+i] += v
		}
		idft(gn, tmp)
		for i, v := range tmp {
			nOut[f*n+i] += v
		}
	}
	return sOut, nOut
}

func pow2(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }
