package media

import (
	"math"
	"time"
)

var dtmfLow = [4]float64{697, 770, 852, 941}
var dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
var dtmfKeys = [4][4]rune{
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
}

func upperDigit(d rune) rune {
	if d >= 'a' && d <= 'd' {
		return d - 'a' + 'A'
	}
	return d
}

// DTMFFreqs returns the low and high frequency of a DTMF digit.
func DTMFFreqs(digit rune) (low, high float64, ok bool) {
	digit = upperDigit(digit)
	for r := range dtmfKeys {
		for c := range dtmfKeys[r] {
			if dtmfKeys[r][c] == digit {
				return dtmfLow[r], dtmfHigh[c], true
			}
		}
	}
	return 0, 0, false
}

// DTMFEventCode maps a digit to its RFC 4733 event code.
func DTMFEventCode(digit rune) (uint8, bool) {
	switch d := upperDigit(digit); {
	case d >= '0' && d <= '9':
		return uint8(d - '0'), true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return uint8(12 + d - 'A'), true
	}
	return 0, false
}

// DTMFEventDigit maps an RFC 4733 event code to its digit.
func DTMFEventDigit(code uint8) (rune, bool) {
	switch {
	case code <= 9:
		return rune('0' + code), true
	case code == 10:
		return '*', true
	case code == 11:
		return '#', true
	case code <= 15:
		return rune('A' + code - 12), true
	}
	return 0, false
}

// Goertzel returns the power of x at freq (Hz) for a sample rate.
func Goertzel(x []float64, freq float64, rate int) float64 {
	return goertzelCoef(x, 2*math.Cos(2*math.Pi*freq/float64(rate)))
}

func goertzelCoef(x []float64, c float64) float64 {
	var s1, s2 float64
	for _, v := range x {
		s0 := v + c*s1 - s2
		s2 = s1
		s1 = s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

var dtmfCoefLow, dtmfCoefHigh [4]float64

func init() {
	for i := range 4 {
		dtmfCoefLow[i] = 2 * math.Cos(2*math.Pi*dtmfLow[i]/SampleRate)
		dtmfCoefHigh[i] = 2 * math.Cos(2*math.Pi*dtmfHigh[i]/SampleRate)
	}
}

// DTMFDetector finds inband DTMF digits in a stream of 8 kHz samples. It
// runs Goertzel filters at the eight DTMF frequencies on 20 ms blocks; a
// digit counts when the same pair dominates two blocks in a row (40 ms, the
// ITU-T Q.24 minimum), and it is reported once, when the tone stops, with
// its measured duration. It allocates nothing; it is not safe for
// concurrent use.
type DTMFDetector struct {
	// OnDigit is called for each detected digit.
	OnDigit func(d Digit)

	block   [FrameSamples]float64
	n       int
	cand    rune
	candRun int
	active  rune // digit being held, reported when it stops
	blocks  int  // blocks the active digit lasted
	quiet   int
}

// Write feeds samples (8 kHz mono).
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

func (d *DTMFDetector) classify() rune {
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
	for i, c := range dtmfCoefLow {
		r := goertzelCoef(x, c) * norm
		if r > lo {
			lo2, lo, bestRow = lo, r, i
		} else if r > lo2 {
			lo2 = r
		}
	}
	for i, c := range dtmfCoefHigh {
		r := goertzelCoef(x, c) * norm
		if r > hi {
			hi2, hi, bestCol = hi, r, i
		} else if r > hi2 {
			hi2 = r
		}
	}
	if bestRow < 0 || bestCol < 0 {
		return 0
	}
	// Each tone carries a fair share of the block's energy, clearly more
	// than its neighbours, the two together most of it, and the pair is not
	// too lopsided (twist).
	if lo < 0.15 || hi < 0.15 || lo+hi < 0.6 || lo2 > lo/4 || hi2 > hi/4 || lo > 8*hi || hi > 8*lo {
		return 0
	}
	return dtmfKeys[bestRow][bestCol]
}

func (d *DTMFDetector) step(k rune) {
	if k != 0 && k == d.active {
		d.blocks++
		d.quiet = 0
		return
	}
	if k == 0 || k != d.cand {
		d.cand, d.candRun = k, 0
	}
	if k != 0 {
		d.candRun++
		if d.candRun >= 2 {
			d.finish()
			d.active, d.blocks, d.quiet = k, d.candRun, 0
		}
		return
	}
	if d.active != 0 {
		d.quiet++
		if d.quiet >= 2 {
			d.finish()
		}
	}
}

// finish reports the active digit, if any.
func (d *DTMFDetector) finish() {
	if d.active != 0 && d.OnDigit != nil {
		d.OnDigit(Digit{Digit: d.active, Mode: DTMFInband, Duration: time.Duration(d.blocks) * 20 * time.Millisecond})
	}
	d.active, d.blocks, d.quiet = 0, 0, 0
}

// toneGen is a phase-continuous generator of up to two sines, allocation
// free.
type toneGen struct {
	f     [2]float64
	n     int
	amp   float64
	phase [2]float64
	rate  float64
}

func newToneGen(rate int, amp float64, freqs ...float64) toneGen {
	g := toneGen{amp: amp, rate: float64(rate)}
	g.n = copy(g.f[:], freqs)
	return g
}

func (g *toneGen) fill(out []int16) {
	for i := range out {
		var v float64
		for k := 0; k < g.n; k++ {
			v += g.amp * math.Sin(g.phase[k])
			g.phase[k] += 2 * math.Pi * g.f[k] / g.rate
			if g.phase[k] > 2*math.Pi {
				g.phase[k] -= 2 * math.Pi
			}
		}
		out[i] = clip16(v)
	}
}

func clip16(v float64) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}
