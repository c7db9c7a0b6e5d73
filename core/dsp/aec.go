package dsp

import "math"

// canceller is the linear echo canceller: a partitioned-block
// frequency-domain adaptive filter (the MDF family: overlap-save blocks of
// n samples, FFTs of 2n, the tail split into parts partitions of n taps)
// whose step is a Kalman gain, per bin and per partition (the state-space
// PBFDAF of Enzner and Vary, and of Kuech et al. for partitions).
//
// Each coefficient has an uncertainty P (the expected power of its
// error). The gain of bin k in partition p is
//
//	mu = P[p][k] / (sum over q of P[q][k]*|X[q][k]|^2 + 2*S[k])
//
// where X are the reference spectra and S is the power of what the
// filter cannot explain (near-end voice, noise; tracked from the error).
// A bin that has been excited converges and its uncertainty shrinks; a
// bin never excited keeps its full step; during double talk S grows and
// the step shrinks by itself, so the filter neither diverges nor needs a
// separate double-talk detector. The uncertainty starts with a decaying
// profile over the partitions (a room's response decays, so its first
// partitions have the most to learn).
//
// Two such filters run on the same reference (as speexdsp's MDF and
// WebRTC's AEC3 run two). The main filter, whose error is the output,
// lets its uncertainty shrink as far as the data allow: the deepest
// cancellation, but slow to follow a path that moves (clock drift the
// resampler has not caught up with, a fraction of a sample). The shadow
// keeps a floor under its uncertainty, so it keeps a step and follows.
// When the shadow's error is lower by a statistically significant margin
// (speexdsp's test, on the difference of the two filters' outputs), the
// main filter takes its coefficients; when it is far worse, it restarts
// from the main filter's.
//
// A divergence guard restarts both when the output has held more power
// than the input for a while (a reference that no longer matches).
type canceller struct {
	n, parts int
	fft      *rfft

	xbuf []float64      // the last 2n reference samples
	X    [][]complex128 // reference spectra, X[(head+p)%parts] is p blocks old
	head int

	main, shadow *kfilter
	p0           []float64 // the starting uncertainty per partition

	// Main/shadow decision statistics (speexdsp's test).
	davg1, davg2, dvar1, dvar2 float64

	bad    int // blocks in a row where the output outgrew the input
	blocks int // blocks processed, for the round-robin constraint

	// scratch
	onsetE []float64 // energy per ms of the main filter's response
	tbuf   []float64
	spec   []complex128
	espec  []complex128
}

// kfilter is one filter's state.
type kfilter struct {
	w    [][]complex128 // partitions, frequency domain
	unc  [][]float64    // P: uncertainty per partition and bin
	pmin []float64      // the least uncertainty per partition
	psi  []float64      // S: power of the error the filter cannot explain
	den  []float64      // per bin: the gain's denominator
	y, e []float64      // this block's echo estimate and error
}

const (
	aecA              = 0.9999 // state transition: how fast the uncertainty regrows
	aecP0             = 1.0    // starting uncertainty of the first partition
	aecP0DecayDB      = 1.0    // ... falling this much per 10 ms partition
	aecPsiKeep        = 0.5    // smoothing of S per block
	aecShadowMin      = 0.01   // the shadow's uncertainty floor, relative to the start
	aecBadBlocks      = 50     // 0.5 s of output above input restarts the filter
	aecConstrainEvery = 4      // each partition is constrained every this many blocks
)

func newCanceller(n, parts int) *canceller {
	k := n + 1
	c := &canceller{
		n: n, parts: parts, fft: newRFFT(2 * n),
		xbuf: make([]float64, 2*n), p0: make([]float64, parts),
		tbuf: make([]float64, 2*n),
		spec: make([]complex128, k), espec: make([]complex128, k),
	}
	c.X = make2D(parts, k)
	for p := range c.p0 {
		c.p0[p] = aecP0 * math.Pow(10, -aecP0DecayDB*float64(p)/10)
	}
	c.main = newKFilter(n, parts, c.p0, 0)
	c.shadow = newKFilter(n, parts, c.p0, aecShadowMin)
	c.reset()
	return c
}

func newKFilter(n, parts int, p0 []float64, floor float64) *kfilter {
	k := n + 1
	f := &kfilter{
		w: make2D(parts, k), unc: make([][]float64, parts), pmin: make([]float64, parts),
		psi: make([]float64, k), den: make([]float64, k), y: make([]float64, n), e: make([]float64, n),
	}
	for p := range f.unc {
		f.unc[p] = make([]float64, k)
		f.pmin[p] = floor * p0[p]
	}
	return f
}

func make2D(rows, cols int) [][]complex128 {
	flat := make([]complex128, rows*cols)
	m := make([][]complex128, rows)
	for i := range m {
		m[i] = flat[i*cols : (i+1)*cols]
	}
	return m
}

// reset forgets the filters and the reference history.
func (c *canceller) reset() {
	clear(c.xbuf)
	for p := range c.X {
		clear(c.X[p])
	}
	c.restart()
}

// restart forgets the filters but keeps the reference history.
func (c *canceller) restart() {
	for _, f := range []*kfilter{c.main, c.shadow} {
		for p := range f.w {
			clear(f.w[p])
			for k := range f.unc[p] {
				f.unc[p][k] = c.p0[p]
			}
		}
		clear(f.psi)
	}
	c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	c.bad = 0
}

// part returns the reference spectrum p blocks old.
func (c *canceller) part(p int) []complex128 { return c.X[(c.head+p)%c.parts] }

// pushRef takes the next n reference samples.
func (c *canceller) pushRef(x []float64) {
	n := c.n
	copy(c.xbuf, c.xbuf[n:])
	copy(c.xbuf[n:], x)
	c.head = (c.head + c.parts - 1) % c.parts
	c.fft.forward(c.xbuf, c.X[c.head])
}

// estimate computes f's echo estimate and error for the capture block d
// (overlap-save: the last n samples of the circular product are valid).
func (c *canceller) estimate(f *kfilter, d []float64) (energy float64) {
	clear(c.spec)
	for p := 0; p < c.parts; p++ {
		xp := c.part(p)
		for k, h := range f.w[p] {
			c.spec[k] += h * xp[k]
		}
	}
	c.fft.inverse(c.spec, c.tbuf)
	copy(f.y, c.tbuf[c.n:])
	for i := range f.e {
		f.e[i] = d[i] - f.y[i]
		energy += f.e[i] * f.e[i]
	}
	return energy
}

// process cancels the echo of the reference block x from the capture
// block d, writing d minus the main filter's echo estimate into e; echo,
// if not nil, receives the estimate.
func (c *canceller) process(d, x, e, echo []float64) {
	n := c.n
	c.pushRef(x)
	sff := c.estimate(c.main, d)
	see := c.estimate(c.shadow, d)
	var dbf, pd float64
	for i := 0; i < n; i++ {
		dd := c.main.y[i] - c.shadow.y[i]
		dbf += dd * dd
		pd += d[i] * d[i]
	}
	dbf += 10 * float64(n)

	// Is the shadow's lower error significant, given how far the two
	// filters' outputs differ? Two time windows (about 25 and 65 ms).
	diff := sff - see
	c.davg1 = 0.6*c.davg1 + 0.4*diff
	c.davg2 = 0.85*c.davg2 + 0.15*diff
	c.dvar1 = 0.36*c.dvar1 + 0.16*sff*dbf
	c.dvar2 = 0.7225*c.dvar2 + 0.0225*sff*dbf
	switch {
	case diff*math.Abs(diff) > sff*dbf,
		c.davg1*math.Abs(c.davg1) > 0.5*c.dvar1,
		c.davg2*math.Abs(c.davg2) > 0.25*c.dvar2:
		// The main filter takes the shadow's coefficients; this block
		// cross-fades from its old output to the shadow's.
		for p := range c.main.w {
			copy(c.main.w[p], c.shadow.w[p])
		}
		for i := 0; i < n; i++ {
			w := (float64(i) + 0.5) / float64(n)
			c.main.e[i] = (1-w)*c.main.e[i] + w*c.shadow.e[i]
			c.main.y[i] = (1-w)*c.main.y[i] + w*c.shadow.y[i]
		}
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	case -diff*math.Abs(diff) > 4*sff*dbf,
		-c.davg1*math.Abs(c.davg1) > 4*c.dvar1,
		-c.davg2*math.Abs(c.davg2) > 4*c.dvar2:
		// The shadow went astray: restart it from the main filter.
		for p := range c.shadow.w {
			copy(c.shadow.w[p], c.main.w[p])
		}
		copy(c.shadow.e, c.main.e)
		copy(c.shadow.y, c.main.y)
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	}
	copy(e, c.main.e)
	if echo != nil {
		copy(echo, c.main.y)
	}
	if sff > 2*pd+float64(n) {
		if c.bad++; c.bad >= aecBadBlocks {
			c.restart()
			return
		}
	} else {
		c.bad = 0
	}
	c.adapt(c.main)
	c.adapt(c.shadow)
	c.blocks++
}

// adapt takes one Kalman step of f on its error of this block.
func (c *canceller) adapt(f *kfilter) {
	n := c.n
	// The error's spectrum (the zero-padded block, as the gradient needs).
	clear(c.tbuf[:n])
	copy(c.tbuf[n:], f.e)
	c.fft.forward(c.tbuf, c.espec)
	for k, ev := range c.espec {
		f.psi[k] = aecPsiKeep*f.psi[k] + (1-aecPsiKeep)*pow2(ev)
		r := 2*f.psi[k] + 1e-3
		for p := 0; p < c.parts; p++ {
			r += f.unc[p][k] * pow2(c.part(p)[k])
		}
		f.den[k] = r
		c.espec[k] = ev * complex(1/r, 0)
	}
	// W += P * conj(X) * E / den; then the overlap-save constraint (n
	// taps per partition, the rest zero) on a quarter of the partitions
	// in turn, as AEC3 does: a partition drifts little from its
	// constraint in four blocks, and it saves three quarters of the FFTs.
	for p := 0; p < c.parts; p++ {
		xp, up, wp := c.part(p), f.unc[p], f.w[p]
		for k, ev := range c.espec {
			wp[k] = complex(aecA, 0) * (wp[k] + complex(real(xp[k]), -imag(xp[k]))*ev*complex(up[k], 0))
		}
		if (c.blocks+p)%aecConstrainEvery == 0 {
			c.fft.inverse(wp, c.tbuf)
			clear(c.tbuf[n:])
			c.fft.forward(c.tbuf, wp)
		}
	}
	// P = A^2 * (1 - mu*|X|^2/2) * P + (1 - A^2) * |W|^2 (the constraint
	// keeps half of the gradient's power, hence the 1/2), floored.
	const a2 = aecA * aecA
	for p := 0; p < c.parts; p++ {
		xp, up, wp, lo := c.part(p), f.unc[p], f.w[p], f.pmin[p]
		for k := range up {
			mu := up[k] / f.den[k]
			up[k] = math.Max(a2*(1-0.5*mu*pow2(xp[k]))*up[k]+(1-a2)*pow2(wp[k]), lo)
		}
	}
}

// shift moves the filters by s taps towards their start (s > 0: the
// reference is now delayed s samples more, so the echo comes s samples
// sooner after it), keeping what they learnt, and rebuilds the reference
// history from hist, the last (parts+1)*n reference samples as delayed now.
func (c *canceller) shift(s int, hist []float64) {
	n := c.n
	h := make([]float64, c.parts*n)
	old := make([][]float64, c.parts)
	for p := range old {
		old[p] = make([]float64, n+1)
	}
	ps := int(math.Round(float64(s) / float64(n)))
	for _, f := range []*kfilter{c.main, c.shadow} {
		for p := range f.w {
			c.fft.inverse(f.w[p], c.tbuf)
			copy(h[p*n:], c.tbuf[:n])
		}
		for p := range f.w {
			clear(c.tbuf)
			for i := 0; i < n; i++ {
				if j := p*n + i + s; j >= 0 && j < len(h) {
					c.tbuf[i] = h[j]
				}
			}
			c.fft.forward(c.tbuf, f.w[p])
		}
		// The uncertainty moves by whole partitions, rescaled from the
		// prior of where it was to the prior of where it lands: a
		// partition that had not converged keeps its full step there (the
		// prior decays over the tail, and a partition from the tail may
		// now hold the echo's strongest part), one that had converged
		// stays converged.
		for p := range old {
			copy(old[p], f.unc[p])
		}
		for p := range f.unc {
			for k := range f.unc[p] {
				f.unc[p][k] = c.p0[p]
				if q := p + ps; q >= 0 && q < c.parts {
					f.unc[p][k] = math.Max(old[q][k]*c.p0[p]/c.p0[q], f.pmin[p])
				}
			}
		}
	}
	// The reference spectra, oldest first, so that the newest ends at head.
	for p := c.parts - 1; p >= 0; p-- {
		end := len(hist) - p*n
		copy(c.xbuf, hist[end-2*n:end])
		c.fft.forward(c.xbuf, c.part(p))
	}
	c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	c.bad = 0
}

// onset is where the main filter's response starts, in taps: the
// first millisecond whose energy comes within 20 dB of the strongest
// millisecond's. ok is false for an empty filter.
func (c *canceller) onset() (int, bool) {
	n := c.n
	seg := max(1, n/10) // 1 ms
	if len(c.onsetE) != c.parts*n/seg {
		c.onsetE = make([]float64, c.parts*n/seg)
	}
	energy := c.onsetE
	clear(energy)
	for p := range c.main.w {
		c.fft.inverse(c.main.w[p], c.tbuf)
		for i := 0; i < n; i++ {
			energy[(p*n+i)/seg] += c.tbuf[i] * c.tbuf[i]
		}
	}
	var peak float64
	for _, e := range energy {
		peak = math.Max(peak, e)
	}
	if peak == 0 {
		return 0, false
	}
	for i, e := range energy {
		if e >= peak*0.01 {
			return i * seg, true
		}
	}
	return 0, false
}
