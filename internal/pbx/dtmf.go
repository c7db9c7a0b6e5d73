package pbx

import (
	"math"
	"strings"
)

// DTMF: the digits' tone pairs and RFC 4733 codes, and the PBX's own
// detector of inband digits (see DTMFDetector).

// dtmfKeypad is the keypad row by row: row r sounds dtmfRows[r], column c
// dtmfCols[c].
const dtmfKeypad = "123A456B789C*0#D"

var (
	dtmfRows = [4]float64{697, 770, 852, 941}
	dtmfCols = [4]float64{1209, 1336, 1477, 1633}
)

// dtmfEvents lists the digits in RFC 4733 event-code order.
const dtmfEvents = "0123456789*#ABCD"

func upperDigit(b byte) byte {
	if b >= 'a' && b <= 'd' {
		return b - 'a' + 'A'
	}
	return b
}

// DTMFFreqs returns the low and high frequency of a DTMF digit.
func DTMFFreqs(digit byte) (low, high float64, ok bool) {
	i := strings.IndexByte(dtmfKeypad, upperDigit(digit))
	if i < 0 {
		return 0, 0, false
	}
	return dtmfRows[i/4], dtmfCols[i%4], true
}

// DTMFEventCode maps a digit to its RFC 4733 event code.
func DTMFEventCode(digit byte) (uint8, bool) {
	i := strings.IndexByte(dtmfEvents, upperDigit(digit))
	return uint8(max(i, 0)), i >= 0
}

// DTMFEventDigit maps an RFC 4733 event code to its digit.
func DTMFEventDigit(code uint8) (byte, bool) {
	if int(code) >= len(dtmfEvents) {
		return 0, false
	}
	return dtmfEvents[code], true
}

// The detector looks at the last dtmfWindow samples (25 ms) every dtmfHop
// samples (10 ms).
const (
	dtmfWindow = 200
	dtmfHop    = 80
	// dtmfOnLooks looks in a row must agree on a digit before it counts
	// (a tone of about 45 ms); dtmfOffLooks without it end it, so that the
	// same digit can count again.
	dtmfOnLooks  = 3
	dtmfOffLooks = 2
	// dtmfMinAmp is the least amplitude of each of the two tones (about
	// -44 dBFS).
	dtmfMinAmp = 200
)

// dtmfBasis holds, for each of the 8 DTMF frequencies (rows then columns),
// the Hann-windowed cosine and sine a window is correlated with.
var dtmfBasis = func() (b [8][2][dtmfWindow]float64) {
	freqs := append(dtmfRows[:], dtmfCols[:]...)
	for k, f := range freqs {
		for n := range dtmfWindow {
			s, c := math.Sincos(2 * math.Pi * f * float64(n) / SampleRate)
			w := hann(n, dtmfWindow)
			b[k][0][n], b[k][1][n] = w*c, w*s
		}
	}
	return b
}()

// dtmfHann is the Hann window; dtmfWindowSum and dtmfWindowSquares are Σw
// and Σw².
var (
	dtmfHann                         [dtmfWindow]float64
	dtmfWindowSum, dtmfWindowSquares = func() (sum, squares float64) {
		for n := range dtmfWindow {
			w := hann(n, dtmfWindow)
			dtmfHann[n] = w
			sum += w
			squares += w * w
		}
		return sum, squares
	}()
)

// DTMFDetector finds inband DTMF digits in a stream of 8 kHz samples. Every
// 10 ms it correlates the last 25 ms (Hann-windowed) with the eight DTMF
// frequencies; a look names a digit when the strongest row tone and the
// strongest column tone are each loud, clearly above the others of their
// group, not too unequal (twist), and together carry most of the window's
// energy. A digit is reported once, when three looks in a row name it, and
// may be reported again after two looks without it.
type DTMFDetector struct {
	OnDigit func(digit byte)

	ring      [dtmfWindow]float64 // the last samples, oldest at next
	next      int
	filled    int
	sinceLook int
	candidate byte // what the last looks named
	agreed    int  // how many looks in a row named candidate
	sounding  byte // the digit reported and still heard
	missed    int  // looks in a row without sounding
}

// Write feeds samples.
func (d *DTMFDetector) Write(pcm []int16) {
	for _, s := range pcm {
		d.ring[d.next] = float64(s)
		d.next = (d.next + 1) % dtmfWindow
		d.filled = min(d.filled+1, dtmfWindow)
		d.sinceLook++
		if d.filled == dtmfWindow && d.sinceLook >= dtmfHop {
			d.sinceLook = 0
			d.decide(d.look())
		}
	}
}

// look names the digit the window holds, or 0.
func (d *DTMFDetector) look() byte {
	var x [dtmfWindow]float64 // the window, oldest sample first
	copy(x[:], d.ring[d.next:])
	copy(x[dtmfWindow-d.next:], d.ring[:d.next])
	var energy float64 // of the windowed samples
	for n, v := range x {
		w := dtmfHann[n] * v
		energy += w * w
	}
	var amp [8]float64
	for k := range amp {
		var re, im float64
		for n, v := range x {
			re += v * dtmfBasis[k][0][n]
			im += v * dtmfBasis[k][1][n]
		}
		amp[k] = 2 * math.Hypot(re, im) / dtmfWindowSum // a sine's amplitude
	}
	row, rowNext := strongest(amp[:4])
	col, colNext := strongest(amp[4:])
	lo, hi := amp[row], amp[4+col]
	if lo < dtmfMinAmp || hi < dtmfMinAmp || rowNext > lo/4 || colNext > hi/4 || hi > 2.5*lo || lo > 2.5*hi {
		return 0
	}
	// A sine of amplitude A carries A²/2·Σw² of the windowed energy.
	if pair := (lo*lo + hi*hi) / 2 * dtmfWindowSquares; pair < 0.5*energy {
		return 0
	}
	return dtmfKeypad[4*row+col]
}

// strongest is the index of the largest of xs and the runner-up's value.
func strongest(xs []float64) (best int, runnerUp float64) {
	for i, x := range xs {
		switch {
		case x > xs[best]:
			runnerUp, best = xs[best], i
		case i != best && x > runnerUp:
			runnerUp = x
		}
	}
	return best, runnerUp
}

func (d *DTMFDetector) decide(k byte) {
	if k != 0 && k == d.candidate {
		d.agreed++
	} else {
		d.candidate, d.agreed = k, 1
	}
	if k == d.sounding {
		d.missed = 0
	} else if d.missed++; d.missed >= dtmfOffLooks {
		d.sounding = 0
	}
	if k != 0 && d.agreed >= dtmfOnLooks && k != d.sounding {
		d.sounding, d.missed = k, 0
		if d.OnDigit != nil {
			d.OnDigit(k)
		}
	}
}
