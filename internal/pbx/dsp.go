package pbx

import (
	"math"
)

// This file holds the signal processing the PBX uses on both directions of a
// call: G.711 (PCMU / PCMA) coding, a phase-continuous tone generator, the
// Goertzel filter, a whole-window tone analysis and a streaming DTMF
// detector. Everything is exported where a test elsewhere in the module
// (tests/interop, the benchmark) needs the same measurement.

// SampleRate is the rate of every G.711 stream the PBX handles.
const SampleRate = 8000

// FrameSamples is one 20 ms packet of G.711 at 8 kHz.
const FrameSamples = 160

// ---- G.711 (ITU-T G.711, after the public-domain Sun reference code) ----

var segUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
var segAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

func segSearch(v int, table *[8]int) int {
	for i, e := range table {
		if v <= e {
			return i
		}
	}
	return 8
}

// EncodeULaw encodes one linear 16-bit sample as μ-law (PCMU).
func EncodeULaw(s int16) byte {
	const bias = 0x84
	const clip = 8159
	v := int(s) >> 2
	mask := 0xFF
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > clip {
		v = clip
	}
	v += bias >> 2
	seg := segSearch(v, &segUEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	u := (seg << 4) | ((v >> (seg + 1)) & 0xF)
	return byte(u ^ mask)
}

// DecodeULaw decodes one μ-law (PCMU) byte to a linear 16-bit sample.
func DecodeULaw(u byte) int16 {
	const bias = 0x84
	u = ^u
	t := (int(u&0x0F) << 3) + bias
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(bias - t)
	}
	return int16(t - bias)
}

// EncodeALaw encodes one linear 16-bit sample as A-law (PCMA).
func EncodeALaw(s int16) byte {
	v := int(s) >> 3
	mask := 0xD5
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := segSearch(v, &segAEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0x0F
	} else {
		a |= (v >> seg) & 0x0F
	}
	return byte(a ^ mask)
}

// DecodeALaw decodes one A-law (PCMA) byte to a linear 16-bit sample.
func DecodeALaw(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// ---- signal generation ----

// ToneGen is a phase-continuous generator of a sum of sines (one for a
// plain tone, two for a DTMF digit).
type ToneGen struct {
	Freqs     []float64
	Amplitude float64 // peak of each component, in linear 16-bit units
	Rate      int
	phase     []float64
}

// Fill writes len(out) samples and advances the phase.
func (g *ToneGen) Fill(out []int16) {
	rate := g.Rate
	if rate == 0 {
		rate = SampleRate
	}
	if len(g.phase) != len(g.Freqs) {
		g.phase = make([]float64, len(g.Freqs))
	}
	for i := range out {
		var v float64
		for k, f := range g.Freqs {
			v += g.Amplitude * math.Sin(g.phase[k])
			g.phase[k] += 2 * math.Pi * f / float64(rate)
			if g.phase[k] > 2*math.Pi {
				g.phase[k] -= 2 * math.Pi
			}
		}
		if v > 32767 {
			v = 32767
		} else if v < -32768 {
			v = -32768
		}
		out[i] = int16(v)
	}
}

// ---- analysis ----

// Goertzel returns the power of x at freq (Hz) for a sample rate.
func Goertzel(x []float64, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + c*s1 - s2
		s2 = s1
		s1 = s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// ToneRatio is the share of the energy of pcm that lies at hz: about 1 for
// a clean tone at hz, about 0 when hz is absent. pcm should hold at least
// 20 ms of audio.
func ToneRatio(pcm []int16, rate int, hz float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	x := make([]float64, len(pcm))
	var e float64
	for i, s := range pcm {
		x[i] = float64(s)
		e += x[i] * x[i]
	}
	if e == 0 {
		return 0
	}
	r := 2 * Goertzel(x, hz, rate) / (float64(len(x)) * e)
	return math.Min(r, 1)
}

// ToneAnalysis describes a window of received audio.
type ToneAnalysis struct {
	Samples   int     // samples analysed
	RMSdBFS   float64 // level; -120 for silence
	PeakHz    float64 // strongest frequency between 100 and 3800 Hz (0 for silence)
	PeakRatio float64 // share of the window's energy at PeakHz (≈1 for a clean tone)
}

// AnalyseTone finds the strongest frequency of pcm and how much of the
// energy it carries. It scans 100–3800 Hz in 5 Hz steps with a Hann window,
// then refines to 1 Hz.
func AnalyseTone(pcm []int16, rate int) ToneAnalysis {
	a := ToneAnalysis{Samples: len(pcm), RMSdBFS: -120}
	if len(pcm) < 64 {
		return a
	}
	n := len(pcm)
	x := make([]float64, n)
	var e, ew float64
	for i, s := range pcm {
		v := float64(s)
		e += v * v
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		x[i] = v * w
		ew += x[i] * x[i]
	}
	rms := math.Sqrt(e / float64(n))
	if rms < 1 {
		return a
	}
	a.RMSdBFS = 20 * math.Log10(rms/32768)
	best, bestP := 0.0, -1.0
	for f := 100.0; f <= 3800; f += 5 {
		if p := Goertzel(x, f, rate); p > bestP {
			best, bestP = f, p
		}
	}
	for f := best - 5; f <= best+5; f++ {
		if p := Goertzel(x, f, rate); p > bestP {
			best, bestP = f, p
		}
	}
	a.PeakHz = best
	// Hann window: a pure tone gives P = (A·N/4)², Σ(w·x)² = 3/16·A²·N.
	a.PeakRatio = math.Min(3*bestP/(float64(n)*ew), 1)
	return a
}

// ---- DTMF ----

var dtmfLow = [4]float64{697, 770, 852, 941}
var dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
var dtmfKeys = [4][4]byte{
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
}

// DTMFFreqs returns the low and high frequency of a DTMF digit.
func DTMFFreqs(digit byte) (low, high float64, ok bool) {
	for r := range dtmfKeys {
		for c := range dtmfKeys[r] {
			if dtmfKeys[r][c] == upper(digit) {
				return dtmfLow[r], dtmfHigh[c], true
			}
		}
	}
	return 0, 0, false
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'd' {
		return b - 'a' + 'A'
	}
	return b
}

// DTMFEventCode maps a digit to its RFC 4733 event code.
func DTMFEventCode(digit byte) (uint8, bool) {
	switch d := upper(digit); {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return 12 + d - 'A', true
	}
	return 0, false
}

// DTMFEventDigit maps an RFC 4733 event code to its digit.
func DTMFEventDigit(code uint8) (byte, bool) {
	switch {
	case code <= 9:
		return '0' + code, true
	case code == 10:
		return '*', true
	case code == 11:
		return '#', true
	case code <= 15:
		return 'A' + code - 12, true
	}
	return 0, false
}

// DTMFDetector finds inband DTMF digits in a stream of 8 kHz samples:
// Goertzel on 20 ms blocks at the eight DTMF frequencies; a digit counts
// when the same pair dominates two blocks in a row, and is reported once
// until the tone stops.
type DTMFDetector struct {
	OnDigit func(digit byte)

	block    [FrameSamples]float64
	n        int
	cand     byte
	candRun  int
	reported byte
	quiet    int
}

// Write feeds samples.
func (d *DTMFDetector) Write(pcm []int16) {
	for _, s := range pcm {
		d.block[d.n] = float64(s)
		d.n++
		if d.n == FrameSamples {
			d.n = 0
			d.step(d.classify())
		}
	}
}

func (d *DTMFDetector) classify() byte {
	x := d.block[:]
	var e float64
	for _, v := range x {
		e += v * v
	}
	// Below about -50 dBFS: silence.
	if e/float64(len(x)) < 10*10 {
		return 0
	}
	norm := 2 / (float64(len(x)) * e)
	bestRow, bestCol := -1, -1
	var lo, lo2, hi, hi2 float64
	for i, f := range dtmfLow {
		r := Goertzel(x, f, SampleRate) * norm
		if r > lo {
			lo2, lo, bestRow = lo, r, i
		} else if r > lo2 {
			lo2 = r
		}
	}
	for i, f := range dtmfHigh {
		r := Goertzel(x, f, SampleRate) * norm
		if r > hi {
			hi2, hi, bestCol = hi, r, i
		} else if r > hi2 {
			hi2 = r
		}
	}
	if bestRow < 0 || bestCol < 0 {
		return 0
	}
	// Each tone of the pair carries a fair share of the block's energy,
	// clearly more than its neighbours, and the pair is not too lopsided.
	if lo < 0.2 || hi < 0.2 || lo2 > lo/3 || hi2 > hi/3 || lo > 6*hi || hi > 6*lo {
		return 0
	}
	return dtmfKeys[bestRow][bestCol]
}

func (d *DTMFDetector) step(k byte) {
	if k == 0 || k != d.cand {
		d.cand, d.candRun = k, 0
	}
	if k != 0 {
		d.candRun++
		d.quiet = 0
		if d.candRun >= 2 && d.reported != k {
			d.reported = k
			if d.OnDigit != nil {
				d.OnDigit(k)
			}
		}
		return
	}
	d.quiet++
	if d.quiet >= 2 {
		d.reported = 0
	}
}
