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
// partitions have the most to learn) and grows back slowly with the
// coefficients' own power (the state model's A), to follow a moving path.
//
// A divergence guard restarts the filter when its output has held more
// power than its input for a while (an echo path change it could not
// follow, or a reference that no longer matches the capture).
type canceller struct {
	n, parts int
	fft      *rfft

	xbuf []float64      // the last 2n reference samples
	X    [][]complex128 // reference spectra, X[(head+p)%parts] is p blocks old
	head int
	X2   []float64 // sum over the partitions of |X|^2, per bin

	w   [][]complex128 // filter partitions, frequency domain
	unc [][]float64    // P: uncertainty per partition and bin
	p0  []float64      // the starting uncertainty per partition
	psi []float64      // S: power of the error the filter cannot explain
	den []float64      // per bin: the gain's denominator

	bad int // blocks in a row where the output outgrew the input

	// scratch
	tbuf  []float64
	y     []float64 // echo estimate (time, n)
	spec  []complex128
	espec []complex128
}

var aecA = envOr("AEC_A", 0.9999) // state transition: how fast the uncertainty regrows
var aecP0DecayDB = envOr("AEC_DECAY", 1)
var aecPsiKeep = envOr("AEC_PSI", 0.5)
var aecSub = envOr("AEC_SUB", 0)
var aecK = envOr("AEC_K", 1)
var aecHalf = envOr("AEC_HALF", 0.5)
var aecPsiMin = envOr("AEC_PSIMIN", 0.1)

const (
	aecP0        = 1.0 // starting uncertainty of the first partition
	aecBadBlocks = 50  // 0.5 s of output above input restarts the filter
)

func newCanceller(n, parts int) *canceller {
	k := n + 1
	c := &canceller{
		n: n, parts: parts, fft: newRFFT(2 * n),
		xbuf: make([]float64, 2*n), X2: make([]float64, k),
		p0: make([]float64, parts), psi: make([]float64, k), den: make([]float64, k),
		tbuf: make([]float64, 2*n), y: make([]float64, n),
		spec: make([]complex128, k), espec: make([]complex128, k),
	}
	c.X = make2D(parts, k)
	c.w = make2D(parts, k)
	c.unc = make([][]float64, parts)
	for p := range c.unc {
		c.unc[p] = make([]float64, k)
		c.p0[p] = aecP0 * math.Pow(10, -aecP0DecayDB*float64(p)/10)
	}
	c.reset()
	return c
}

func make2D(rows, cols int) [][]complex128 {
	flat := make([]complex128, rows*cols)
	m := make([][]complex128, rows)
	for i := range m {
		m[i] = flat[i*cols : (i+1)*cols]
	}
	return m
}

// reset forgets the filter and the reference history.
func (c *canceller) reset() {
	clear(c.xbuf)
	for p := range c.X {
		clear(c.X[p])
	}
	clear(c.X2)
	c.restart()
}

// restart forgets the filter but keeps the reference history.
func (c *canceller) restart() {
	for p := range c.w {
		clear(c.w[p])
		for k := range c.unc[p] {
			c.unc[p][k] = c.p0[p]
		}
	}
	clear(c.psi)
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
	c.sumX2()
}

func (c *canceller) sumX2() {
	clear(c.X2)
	for p := 0; p < c.parts; p++ {
		for k, v := range c.part(p) {
			c.X2[k] += pow2(v)
		}
	}
}

// process cancels the echo of the reference block x from the capture
// block d, writing d minus the echo estimate into e; echo, if not nil,
// receives the estimate.
func (c *canceller) process(d, x, e, echo []float64) {
	n := c.n
	c.pushRef(x)

	// The echo estimate: overlap-save, the last n samples are valid.
	clear(c.spec)
	for p := 0; p < c.parts; p++ {
		xp := c.part(p)
		for k, h := range c.w[p] {
			c.spec[k] += h * xp[k]
		}
	}
	c.fft.inverse(c.spec, c.tbuf)
	copy(c.y, c.tbuf[n:])
	var pd, pe float64
	for i := range e {
		e[i] = d[i] - c.y[i]
		pd += d[i] * d[i]
		pe += e[i] * e[i]
	}
	if echo != nil {
		copy(echo, c.y)
	}
	if pe > 2*pd+float64(n) {
		if c.bad++; c.bad >= aecBadBlocks {
			c.restart()
			return
		}
	} else {
		c.bad = 0
	}

	// The error's spectrum (the zero-padded block, as the gradient needs).
	clear(c.tbuf[:n])
	copy(c.tbuf[n:], e)
	c.fft.forward(c.tbuf, c.espec)
	for k, ev := range c.espec {
		var r float64
		for p := 0; p < c.parts; p++ {
			r += c.unc[p][k] * pow2(c.part(p)[k])
		}
		c.psi[k] = aecPsiKeep*c.psi[k] + (1-aecPsiKeep)*math.Max(pow2(ev)-aecSub*0.5*r, aecPsiMin*pow2(ev))
		r += 2*c.psi[k] + 1e-3
		c.den[k] = r
		c.espec[k] = ev * complex(aecK/r, 0)
	}
	// W += constrain(P * conj(X) * E / den), partition by partition.
	for p := 0; p < c.parts; p++ {
		xp, up := c.part(p), c.unc[p]
		for k, ev := range c.espec {
			c.spec[k] = complex(real(xp[k]), -imag(xp[k])) * ev * complex(up[k], 0)
		}
		c.fft.inverse(c.spec, c.tbuf)
		clear(c.tbuf[n:])
		c.fft.forward(c.tbuf, c.spec)
		wp := c.w[p]
		for k, g := range c.spec {
			wp[k] = complex(aecA, 0) * (wp[k] + g)
		}
	}
	// P = A^2 * (1 - mu*|X|^2/2) * P + (1 - A^2) * |W|^2 (the constraint
	// keeps half of the gradient's power, hence the 1/2).
	a2 := aecA * aecA
	for p := 0; p < c.parts; p++ {
		xp, up, wp := c.part(p), c.unc[p], c.w[p]
		for k := range up {
			mu := up[k] / c.den[k]
			up[k] = a2*(1-aecHalf*mu*pow2(xp[k]))*up[k] + (1-a2)*pow2(wp[k])
		}
	}
}

// shift moves the filter by s taps towards its start (s > 0: the
// reference is now delayed s samples more, so the echo comes s samples
// sooner after it), keeping what it learnt, and rebuilds the reference
// history from hist, the last (parts+1)*n reference samples as delayed now.
func (c *canceller) shift(s int, hist []float64) {
	n := c.n
	h := make([]float64, c.parts*n)
	for p := range c.w {
		c.fft.inverse(c.w[p], c.tbuf)
		copy(h[p*n:], c.tbuf[:n])
	}
	for p := range c.w {
		clear(c.tbuf)
		for i := 0; i < n; i++ {
			if j := p*n + i + s; j >= 0 && j < len(h) {
				c.tbuf[i] = h[j]
			}
		}
		c.fft.forward(c.tbuf, c.w[p])
	}
	// The uncertainty moves by whole partitions; what comes in is new.
	ps := int(math.Round(float64(s) / float64(n)))
	old := make([][]float64, c.parts)
	for p := range old {
		old[p] = append([]float64(nil), c.unc[p]...)
	}
	for p := range c.unc {
		if q := p + ps; q >= 0 && q < c.parts {
			copy(c.unc[p], old[q])
		} else {
			for k := range c.unc[p] {
				c.unc[p][k] = c.p0[p]
			}
		}
	}
	// The reference spectra, oldest first, so that the newest ends at head.
	for p := c.parts - 1; p >= 0; p-- {
		end := len(hist) - p*n
		copy(c.xbuf, hist[end-2*n:end])
		c.fft.forward(c.xbuf, c.part(p))
	}
	c.sumX2()
	c.bad = 0
}

// onset is where the adapted filter's response starts, in taps: the
// first millisecond whose energy comes within 20 dB of the strongest
// millisecond's. ok is false for an empty filter.
func (c *canceller) onset() (int, bool) {
	n := c.n
	seg := max(1, n/10) // 1 ms
	energy := make([]float64, c.parts*n/seg)
	for p := range c.w {
		c.fft.inverse(c.w[p], c.tbuf)
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
