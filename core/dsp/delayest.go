package dsp

import (
	"math"
	"math/cmplx"
)

// delayEstimator finds the bulk delay between the reference and the echo
// it causes in the capture: a generalised cross-correlation with phase
// transform (GCC-PHAT) of the two signals decimated to 4 kHz, over the last
// two seconds, at lags 0 to the configured maximum. The phase transform
// whitens both spectra, so the correlation peaks at the echo path's first
// strong arrival rather than being smeared by the voice's own correlation.
// An estimate counts only when its peak stands well above the rest of the
// correlation (a confidence ratio) and the reference was active enough;
// the processor further asks a change to be confirmed before it re-aligns.
type delayEstimator struct {
	dec      int // decimation factor to 4 kHz
	lp       []float64
	refHist  []float64 // full-rate history for the decimator
	nearHist []float64
	phase    int // full-rate samples since the last decimated output

	win    int // correlation window, decimated samples
	maxLag int // decimated samples
	ref    ring
	near   ring
	active ring // 1 per decimated sample where the reference block was active
	// flatness is the reference's spectral flatness in the last estimate;
	// tonal counts the estimates refused for a tonal reference.
	flatness float64
	tonal    int

	fft   *fft
	buf   []complex128
	cross []complex128
	corr  []float64

	since    int // decimated samples since the last estimate
	interval int
	filled   int
}

// ring is a fixed-size history of float64 samples.
type ring struct {
	buf []float64
	pos int
}

func newRing(n int) ring { return ring{buf: make([]float64, n)} }

func (r *ring) push(v float64) {
	r.buf[r.pos] = v
	r.pos++
	if r.pos == len(r.buf) {
		r.pos = 0
	}
}

// last copies the newest len(dst) samples, oldest first.
func (r *ring) last(dst []float64) {
	n := len(r.buf)
	start := r.pos - len(dst)
	for start < 0 {
		start += n
	}
	for i := range dst {
		dst[i] = r.buf[(start+i)%n]
	}
}

const (
	estRate        = 4000
	estWindowSec   = 2.0
	estMinWindow   = 0.75 // seconds of history before the first try
	estMinActive   = 0.3  // seconds of active reference in the window
	estSearchEvery = 0.25 // seconds between tries until locked
	estLockedEvery = 1.0  // seconds between estimates once locked
	estConfidence  = 7.0  // peak over the correlation's RMS
	estOnsetFrac   = 0.4  // the onset: first lag within estOnsetMs of the peak this strong
	estOnsetMs     = 10
	estActiveDBFS  = -50   // a reference block this loud counts as active
	estMinFlatness = 0.005 // spectral flatness of the reference below which it is tonal
)

func newDelayEstimator(rate, maxDelayMs int) *delayEstimator {
	dec := rate / estRate
	e := &delayEstimator{dec: dec}
	// Low-pass at 1.7 kHz before keeping one sample in dec: a Blackman
	// windowed sinc, 16 taps per output sample.
	taps := 16*dec + 1
	e.lp = make([]float64, taps)
	fc := 1700.0 / float64(rate)
	var sum float64
	for i := range e.lp {
		m := float64(i - taps/2)
		s := 2 * fc
		if m != 0 {
			s = math.Sin(2*math.Pi*fc*m) / (math.Pi * m)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(taps-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/float64(taps-1))
		e.lp[i] = s * w
		sum += e.lp[i]
	}
	for i := range e.lp {
		e.lp[i] /= sum
	}
	e.refHist = make([]float64, taps)
	e.nearHist = make([]float64, taps)
	e.win = int(estWindowSec * estRate)
	e.maxLag = maxDelayMs * estRate / 1000
	total := e.win + e.maxLag
	size := 1
	for size < total {
		size <<= 1
	}
	e.fft = newFFT(size)
	e.buf = make([]complex128, size)
	e.cross = make([]complex128, size)
	e.corr = make([]float64, e.maxLag+1)
	e.ref = newRing(total)
	e.near = newRing(e.win)
	e.active = newRing(total)
	e.interval = int(estSearchEvery * estRate)
	return e
}

// reset forgets the history (the reference jumped) and searches again.
func (e *delayEstimator) reset() {
	clear(e.ref.buf)
	clear(e.near.buf)
	clear(e.active.buf)
	e.filled, e.since = 0, 0
	e.locked(false)
}

// locked switches between searching (frequent tries) and tracking.
func (e *delayEstimator) locked(on bool) {
	if on {
		e.interval = int(estLockedEvery * estRate)
	} else {
		e.interval = int(estSearchEvery * estRate)
	}
}

// push takes one block of reference and capture (full rate); when an
// estimate is due and confident it returns the delay of the echo's onset
// in full-rate samples.
func (e *delayEstimator) push(ref, near []int16) (delay int, ok bool) {
	active := 0.0
	if blockDBFS(ref) > estActiveDBFS {
		active = 1
	}
	for i := range ref {
		copy(e.refHist, e.refHist[1:])
		e.refHist[len(e.refHist)-1] = float64(ref[i])
		copy(e.nearHist, e.nearHist[1:])
		e.nearHist[len(e.nearHist)-1] = float64(near[i])
		e.phase++
		if e.phase < e.dec {
			continue
		}
		e.phase = 0
		var r, n float64
		for j, c := range e.lp {
			r += c * e.refHist[j]
			n += c * e.nearHist[j]
		}
		e.ref.push(r)
		e.near.push(n)
		e.active.push(active)
		e.filled++
		e.since++
	}
	if e.since < e.interval || e.filled < int(estMinWindow*estRate) {
		return 0, false
	}
	e.since = 0
	tau, ok := e.estimate()
	if !ok {
		return 0, false
	}
	return tau * e.dec, true
}

// estimate runs the GCC-PHAT over the history and returns the onset lag
// in decimated samples.
func (e *delayEstimator) estimate() (int, bool) {
	w := min(e.win, e.filled)
	span := w + e.maxLag
	// The reference must have been active for a while where it can matter.
	act := make([]float64, span)
	e.active.last(act)
	var nAct float64
	for _, a := range act {
		nAct += a
	}
	if nAct < estMinActive*estRate {
		return 0, false
	}
	refSeg := act // reuse the allocation
	e.ref.last(refSeg)
	nearSeg := make([]float64, w)
	e.near.last(nearSeg)
	// Pack the two real signals into one complex FFT: near in the real
	// part, reference in the imaginary part.
	clear(e.buf)
	for i, v := range nearSeg {
		e.buf[i] = complex(v, 0)
	}
	for i, v := range refSeg {
		e.buf[i] += complex(0, v)
	}
	e.fft.transform(e.buf, false)
	size := len(e.buf)
	lo, hi := 150*size/estRate, 1800*size/estRate
	var peakMag, logSum, powSum float64
	for k := 0; k <= size/2; k++ {
		e.cross[k] = 0
		if k < lo || k > hi {
			continue
		}
		z, zc := e.buf[k], cmplx.Conj(e.buf[(size-k)%size])
		nk := (z + zc) / 2               // near's spectrum
		rk := (z - zc) / complex(0, 2)   // reference's spectrum
		e.cross[k] = cmplx.Conj(nk) * rk // correlation: sum near[n] ref[n+lag]
		peakMag = max(peakMag, cmplx.Abs(e.cross[k]))
		p := real(rk)*real(rk) + imag(rk)*imag(rk) + 1e-12
		logSum += math.Log(p)
		powSum += p
	}
	if peakMag == 0 {
		return 0, false
	}
	// A reference of a few tones (a dial tone, a test tone) correlates at
	// every period of them: no lag stands out for the right reason, and a
	// wrong one moves the reference and the adapted filter away from the
	// echo. Its spectrum is far from flat (speech: 0.05 and over; a tone:
	// under 0.001), so it gives no estimate; the filter cancels a steady
	// tone at any alignment.
	n := float64(hi - lo + 1)
	if e.flatness = math.Exp(logSum/n) / (powSum / n); e.flatness < estMinFlatness {
		e.tonal++
		return 0, false
	}
	eps := 1e-3 * peakMag
	for k := lo; k <= hi; k++ {
		e.cross[k] /= complex(cmplx.Abs(e.cross[k])+eps, 0)
	}
	for k := 1; k < size/2; k++ {
		e.cross[size-k] = cmplx.Conj(e.cross[k])
	}
	e.fft.transform(e.cross, true)
	// corr[tau] for tau = maxLag - k.
	var best float64
	bestTau := 0
	var sq float64
	for k := 0; k <= e.maxLag; k++ {
		tau := e.maxLag - k
		v := math.Abs(real(e.cross[k]))
		e.corr[tau] = v
		sq += v * v
		if v > best {
			best, bestTau = v, tau
		}
	}
	rms := math.Sqrt(sq / float64(e.maxLag+1))
	if rms == 0 || best/rms < estConfidence {
		return 0, false
	}
	onset := bestTau
	for tau := max(0, bestTau-estOnsetMs*estRate/1000); tau < bestTau; tau++ {
		if e.corr[tau] >= estOnsetFrac*best {
			onset = tau
			break
		}
	}
	return onset, true
}

// blockDBFS is the RMS level of x in dB relative to full scale (-120 for
// digital silence).
func blockDBFS(x []int16) float64 {
	if len(x) == 0 {
		return -120
	}
	var s float64
	for _, v := range x {
		f := float64(v)
		s += f * f
	}
	return powerDBFS(s / float64(len(x)))
}

// powerDBFS converts a mean square (int16 units) to dBFS.
func powerDBFS(ms float64) float64 {
	if ms <= 0 {
		return -120
	}
	return math.Max(-120, 10*math.Log10(ms/(32768.0*32768.0)))
}
