package dsp

import "math"

// suppressor is the spectral stage after the linear canceller: noise
// suppression, residual echo suppression and the speech presence the VAD
// reads. It works on a short-time spectrum: blocks of n samples, windows
// of 2n (a sine window at analysis and synthesis, whose squares add up to
// one at 50% overlap, so that with every gain at 1 the output is the input
// delayed by exactly n samples).
//
// Noise: the noise power in each bin is tracked with the speech presence
// probability method of Gerkmann and Hendriks (2012): each block moves the
// estimate towards the bin's power weighted by the probability that the
// bin holds noise alone, so the estimate follows non-stationary noise
// (babble) within a few hundred ms, yet not the speech on top of it.
//
// Residual echo: the linear filter's echo estimate, per band, times how
// much of it leaks through (the regression of the output's power on the
// echo estimate's power: near-end speech is uncorrelated with the echo, so
// double talk does not inflate it), held with the room's decay.
//
// The gain: a Wiener gain on the a-priori SNR of the wanted voice against
// noise plus residual echo, from Ephraim and Malah's decision-directed
// estimate, floored at the configured depths.
type suppressor struct {
	n, bins int
	fft     *rfft
	win     []float64 // sine window, 2n

	in, echo []float64 // analysis buffers, 2n
	ola      []float64 // synthesis overlap, n
	tbuf     []float64
	E, Y     []complex128

	noise    []float64 // noise power per bin
	bg       background
	sppAvg   []float64 // smoothed presence, against stagnation
	prevS    []float64 // last block's clean power estimate per bin
	gain     []float64
	echoPow  []float64 // residual echo power per bin
	started  bool
	band     []int // bin -> leak band
	leak     []float64
	mE, mY   []float64 // per band: smoothed powers
	cEY, vY  []float64 // per band: covariance of E and Y powers, variance of Y's
	bandE    []float64 // per band: this block's powers (scratch)
	bandY    []float64
	prob     float64 // speech presence over the voice band, 0..1
	lo, hi   int     // the voice band, bins
	echoHold float64 // per-block decay of the residual echo estimate
}

const (
	leakBandHz = 500 // the residual echo's leak is estimated per band this wide
	// The noise tracker's a-priori SNR under speech presence: 25 dB, so
	// that a bin up to about 8 dB over the noise estimate still counts
	// as noise (babble and fluctuating noise are tracked at their mean
	// rather than their troughs).
	spHypSNR = 316.227766
	// The speech presence of the VAD's probability: 15 dB.
	vadHypSNR     = 31.6227766
	nsAlpha       = 0.95  // the noise estimate's smoothing per block (200 ms)
	nsOver        = 1.3   // the noise estimate's margin in the gain (1.1 dB)
	ddAlpha       = 0.98  // decision-directed smoothing
	xiMin         = 0.003 // -25 dB: a-priori SNR floor
	echoOverdrive = 10.0  // residual echo estimate margin
)

func newSuppressor(n, rate int) *suppressor {
	bins := n + 1
	s := &suppressor{
		n: n, bins: bins, fft: newRFFT(2 * n), win: make([]float64, 2*n),
		in: make([]float64, 2*n), echo: make([]float64, 2*n), ola: make([]float64, n), tbuf: make([]float64, 2*n),
		E: make([]complex128, bins), Y: make([]complex128, bins),
		noise: make([]float64, bins), sppAvg: make([]float64, bins), prevS: make([]float64, bins),
		gain: make([]float64, bins), echoPow: make([]float64, bins), band: make([]int, bins),
	}
	for i := range s.win {
		s.win[i] = math.Sin(math.Pi * (float64(i) + 0.5) / float64(2*n))
	}
	hz := float64(rate) / float64(2*n)
	nb := 0
	for k := range s.band {
		s.band[k] = int(float64(k) * hz / leakBandHz)
		nb = max(nb, s.band[k]+1)
	}
	s.leak = make([]float64, nb)
	s.mE, s.mY, s.cEY, s.vY = make([]float64, nb), make([]float64, nb), make([]float64, nb), make([]float64, nb)
	s.bandE, s.bandY = make([]float64, nb), make([]float64, nb)
	s.lo, s.hi = int(200/hz), min(bins-1, int(4000/hz))
	s.bg = newBackground(bins, float64(n)/float64(rate))
	// The room's decay: 60 dB in about 300 ms.
	s.echoHold = math.Pow(10, -6*float64(n)/float64(rate)/0.3)
	s.reset()
	return s
}

func (s *suppressor) reset() {
	for b := range s.leak {
		s.leak[b] = 1
		s.mE[b], s.mY[b], s.cEY[b], s.vY[b] = 0, 0, 0, 0
	}
	clear(s.echoPow)
}

// suppressCfg is what the stage does on this block.
type suppressCfg struct {
	noise, echo     bool
	noiseFloor      float64 // power gain floors
	echoFloor       float64
	echoFloorActive float64
}

// process takes the canceller's output block x and its echo estimate y
// (nil without the canceller), and writes the cleaned block, n samples
// late, into out.
func (s *suppressor) process(x, y []float64, cfg suppressCfg, out []float64) {
	n := s.n
	copy(s.in, s.in[n:])
	copy(s.in[n:], x)
	for i, w := range s.win {
		s.tbuf[i] = s.in[i] * w
	}
	s.fft.forward(s.tbuf, s.E)
	if y != nil {
		copy(s.echo, s.echo[n:])
		copy(s.echo[n:], y)
		for i, w := range s.win {
			s.tbuf[i] = s.echo[i] * w
		}
		s.fft.forward(s.tbuf, s.Y)
	} else {
		clear(s.echo)
		clear(s.Y)
	}
	s.trackNoise()
	s.bg.track(s.E, s.lo, s.hi)
	if cfg.echo && y != nil {
		s.trackEcho()
	} else {
		clear(s.echoPow)
	}
	s.presence(cfg.echo)
	if cfg.noise || cfg.echo {
		s.gains(cfg)
		for k := range s.E {
			s.E[k] *= complex(s.gain[k], 0)
		}
	} else {
		for k := range s.gain {
			s.gain[k] = 1
			s.prevS[k] = pow2(s.E[k])
		}
	}
	s.fft.inverse(s.E, s.tbuf)
	for i := 0; i < n; i++ {
		out[i] = s.ola[i] + s.tbuf[i]*s.win[i]
		s.ola[i] = s.tbuf[n+i] * s.win[n+i]
	}
}

func pow2(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }

// trackNoise updates the noise power per bin (Gerkmann and Hendriks: the
// noise's share of the bin's power, as a posterior on speech presence with
// a fixed a-priori SNR, spHypSNR).
func (s *suppressor) trackNoise() {
	const alpha = nsAlpha
	const stuck = 0.936   // smoothing of the presence, against stagnation
	floor := float64(s.n) // about -90 dBFS in a bin
	if !s.started {
		for k, e := range s.E {
			s.noise[k] = math.Max(pow2(e), floor)
		}
		s.started = true
		return
	}
	c := spHypSNR / (1 + spHypSNR)
	for k, e := range s.E {
		p := pow2(e)
		g := p / s.noise[k]
		pr := 1 / (1 + (1+spHypSNR)*math.Exp(-g*c))
		s.sppAvg[k] = stuck*s.sppAvg[k] + (1-stuck)*pr
		if s.sppAvg[k] > 0.99 {
			pr = math.Min(pr, 0.99)
		}
		est := (1-pr)*p + pr*s.noise[k]
		s.noise[k] = math.Max(alpha*s.noise[k]+(1-alpha)*est, floor)
	}
}

// trackEcho estimates the residual echo power per bin.
func (s *suppressor) trackEcho() {
	nb := len(s.leak)
	pe, py := s.bandE, s.bandY
	clear(pe)
	clear(py)
	for k := range s.E {
		b := s.band[k]
		pe[b] += pow2(s.E[k])
		py[b] += pow2(s.Y[k])
	}
	for b := 0; b < nb; b++ {
		if py[b] < float64(s.n)*100 { // echo estimate below -70 dBFS: nothing to learn
			continue
		}
		const a = 0.05
		s.mE[b] += a * (pe[b] - s.mE[b])
		s.mY[b] += a * (py[b] - s.mY[b])
		de, dy := pe[b]-s.mE[b], py[b]-s.mY[b]
		s.cEY[b] += a * (de*dy - s.cEY[b])
		s.vY[b] += a * (dy*dy - s.vY[b])
		if s.vY[b] > 0 {
			s.leak[b] = math.Max(1e-4, math.Min(1, s.cEY[b]/s.vY[b]))
		}
	}
	for k := range s.E {
		r := echoOverdrive * s.leak[s.band[k]] * pow2(s.Y[k])
		s.echoPow[k] = math.Max(r, s.echoHold*s.echoPow[k])
	}
}

// presence is the speech presence over the voice band, against noise and
// (with echo suppression) residual echo, so that echo does not count.
func (s *suppressor) presence(withEcho bool) {
	c := vadHypSNR / (1 + vadHypSNR)
	var sum float64
	for k := s.lo; k <= s.hi; k++ {
		d := s.noise[k]
		if withEcho {
			d += s.echoPow[k]
		}
		g := pow2(s.E[k]) / d
		sum += 1 / (1 + (1+vadHypSNR)*math.Exp(-g*c))
	}
	s.prob = sum / float64(s.hi-s.lo+1)
}

// gains computes the spectral gains for noise and residual echo.
func (s *suppressor) gains(cfg suppressCfg) {
	ef := cfg.echoFloor + s.prob*(cfg.echoFloorActive-cfg.echoFloor)
	for k, e := range s.E {
		p := pow2(e)
		var ln, le float64
		if cfg.noise {
			ln = nsOver * s.noise[k]
			if s.bg.ready() {
				ln = bgOver * s.bg.power(k)
			}
		}
		if cfg.echo {
			le = s.echoPow[k]
		}
		lam := ln + le
		if lam <= 0 {
			s.gain[k] = 1
			s.prevS[k] = p
			continue
		}
		post := p / lam
		xi := ddAlpha*s.prevS[k]/lam + (1-ddAlpha)*math.Max(post-1, 0)
		xi = math.Max(xi, xiMin)
		g := xi / (1 + xi)
		// The floor: each interference down to its own depth.
		fl := (ln*cfg.noiseFloor + le*ef) / lam
		if !cfg.noise {
			fl = (s.noise[k] + le*ef) / (s.noise[k] + le)
		}
		g = math.Max(g, math.Sqrt(fl))
		s.gain[k] = g
		s.prevS[k] = g * g * p
	}
}
