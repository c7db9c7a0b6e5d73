package dsp

import "math"

// background is the noise suppressor's estimate of a babble-like noise:
// the mean spectrum of the blocks where the wanted voice pauses. Babble
// (the other agents on a call-centre floor) is speech itself, so a
// tracker that follows each bin through the voice (the presence tracker
// in trackNoise) mistakes one for the other: it reads the voice's strong
// bins as noise and the babble's troughs as its level, which leaves the
// estimate several dB off per bin. Averaging the whole spectrum over the
// voice's pauses instead keeps the babble's true long-term shape, and the
// voice pauses often (between words, a third of the time).
//
// A pause is a block whose power over the voice band is within bgPauseDB
// of the lowest block power of the last bgMinSec: babble alone is a floor
// a few dB wide; the voice stands over it. The average restarts when the
// noise plainly moved: a whole window under the estimate (the noise fell
// while the voice paused) or over it (the noise rose).
//
// Until 200 ms of pauses have been heard, and after a restart, the gain
// uses the presence tracker's estimate instead.
type background struct {
	sum    []float64 // per bin: decaying sum of pause powers
	weight float64   // the decaying count that normalises sum
	decay  float64   // per block
	ready0 float64   // weight from which the estimate is used
	hist   []float64 // voice-band power of the last blocks
	pos    int
	filled int
	pause  float64 // bgPauseDB as a power ratio
}

const (
	bgPauseDB = 8.0 // a pause: within this of the window's quietest block
	bgMinSec  = 1.0 // the window
	bgTauSec  = 2.0 // the average's memory, in pauses
	// The margin of the background estimate in the gain (2 dB): it is a
	// mean, and babble swings about it; more buys SNR with the voice.
	bgOver = 1.6
)

func newBackground(bins int, blockSec float64) background {
	d := math.Exp(-blockSec / bgTauSec)
	return background{
		sum:    make([]float64, bins),
		decay:  d,
		ready0: 1 - math.Pow(d, 0.2/blockSec), // 200 ms of pauses
		hist:   make([]float64, max(1, int(bgMinSec/blockSec+0.5))),
		pause:  math.Pow(10, bgPauseDB/10),
	}
}

func (b *background) ready() bool { return b.weight >= b.ready0 }

// power is the estimate for bin k; only meaningful when ready.
func (b *background) power(k int) float64 { return b.sum[k] / b.weight }

// track takes one block's spectrum; lo..hi is the voice band.
func (b *background) track(E []complex128, lo, hi int) {
	var e float64
	for k := lo; k <= hi; k++ {
		e += pow2(E[k])
	}
	b.hist[b.pos] = e
	b.pos = (b.pos + 1) % len(b.hist)
	b.filled = min(b.filled+1, len(b.hist))
	mn, mx := math.Inf(1), 0.0
	for _, v := range b.hist[:b.filled] {
		mn, mx = math.Min(mn, v), math.Max(mx, v)
	}
	if b.weight > 0 && b.filled == len(b.hist) {
		var est float64
		for k := lo; k <= hi; k++ {
			est += b.sum[k]
		}
		est /= b.weight
		// A whole window under the estimate, or over it: the noise moved.
		if mx < est || mn > est {
			clear(b.sum)
			b.weight = 0
		}
	}
	if e > mn*b.pause {
		return
	}
	for k, c := range E {
		b.sum[k] = b.decay*b.sum[k] + (1-b.decay)*pow2(c)
	}
	b.weight = b.decay*b.weight + (1 - b.decay)
}
