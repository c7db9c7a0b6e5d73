package dsp

import (
	"math"
	"testing"
)

// The background estimate learns the noise from the voice's pauses, not
// from the voice: under speech 20 dB over it, the estimate over the voice
// band sits within 2 dB of the noise's true level. It then follows the
// noise when it rises 15 dB under the talking, and when it falls again
// (which needs the restart: a 2 s average over pauses alone is still
// 5.6 dB high at the end). The presence tracker's error is logged for
// comparison only: on white noise it is as close; the babble case the
// estimate exists for is measured by ccvoicebench's NS rows.
func TestBackgroundLearnsFromPauses(t *testing.T) {
	const rate = 8000
	n := rate / 100
	levels := []float64{-45, -30, -45} // the noise, 5 s each
	total := 5 * rate * len(levels)
	noise := whiteNoise(total, 3, 0)
	for i := range noise {
		noise[i] *= math.Pow(10, levels[i/(5*rate)]/20)
	}
	speech := speechLike(rate, float64(total)/rate, 9, -20)
	in := toInt16(mix(speech, noise))
	s := newSuppressor(n, rate)
	out := make([]float64, n)
	x := make([]float64, n)
	cfg := suppressCfg{noise: true, noiseFloor: dbToPower(-25)}
	for blk := 0; (blk+1)*n <= total; blk++ {
		for i := range x {
			x[i] = float64(in[blk*n+i])
		}
		s.process(x, nil, cfg, out)
		end := (blk + 1) * n
		if end%(5*rate) != 0 {
			continue
		}
		// The end of each 5 s stretch: white noise of RMS r has r²·n
		// per bin under the 2n sine window (its squares sum to n).
		r := 32768 * math.Pow(10, levels[end/(5*rate)-1]/20)
		want := r * r * float64(n)
		if !s.bg.ready() {
			t.Fatalf("%d s: no background estimate", end/rate)
		}
		var bgErr, trErr float64
		for k := s.lo; k <= s.hi; k++ {
			bgErr += 10 * math.Log10(s.bg.power(k)/want)
			trErr += 10 * math.Log10(s.noise[k]/want)
		}
		bgErr /= float64(s.hi - s.lo + 1)
		trErr /= float64(s.hi - s.lo + 1)
		t.Logf("%2d s: background %+.1f dB, presence tracker %+.1f dB", end/rate, bgErr, trErr)
		if math.Abs(bgErr) > 2 {
			t.Errorf("%d s: background estimate %+.1f dB off the noise, want within 2 dB", end/rate, bgErr)
		}
	}
}

// Digital silence neither breaks the estimate nor the gain: it stays
// finite and passes silence as silence.
func TestBackgroundOnSilence(t *testing.T) {
	const rate = 16000
	n := rate / 100
	s := newSuppressor(n, rate)
	out := make([]float64, n)
	cfg := suppressCfg{noise: true, noiseFloor: dbToPower(-25)}
	for blk := 0; blk < 300; blk++ {
		s.process(make([]float64, n), nil, cfg, out)
		for i, v := range out {
			if v != 0 {
				t.Fatalf("block %d sample %d: %v from silence", blk, i, v)
			}
		}
	}
	for k := range s.gain {
		if math.IsNaN(s.gain[k]) || math.IsInf(s.gain[k], 0) {
			t.Fatalf("bin %d: gain %v", k, s.gain[k])
		}
	}
}
