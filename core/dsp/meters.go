package dsp

import "math"

// vadState turns the suppressor's speech presence into a steady
// "speaking" flag: speech starts above one probability and continues above
// a lower one, the block must be louder than a floor (the probability is
// relative to the noise estimate, so near-silence can pass it), and a
// short hangover bridges the gaps between words.
type vadState struct {
	hangBlocks int
	left       int
	speaking   bool
}

const (
	vadFloorDBFS   = -55
	vadHangMs      = 200
	vadProbStart   = 35 // percent
	vadProbContinu = 20
)

func newVADState(blockMs int) vadState { return vadState{hangBlocks: vadHangMs / blockMs} }

func (v *vadState) update(probPct int, levelDBFS float64) bool {
	thr := vadProbStart
	if v.speaking {
		thr = vadProbContinu
	}
	if probPct > thr && levelDBFS > vadFloorDBFS {
		v.left = v.hangBlocks
		v.speaking = true
	} else if v.left > 0 {
		v.left--
	} else {
		v.speaking = false
	}
	return v.speaking
}

func (v *vadState) reset() { v.left, v.speaking = 0, false }

// erleMeter estimates the linear canceller's echo return loss enhancement:
// the ratio of capture power to canceller-output power, averaged (about one
// second) over blocks where the aligned reference is active. Near-end
// speech counts as uncancelled echo, so the figure drops during double talk:
// it is a lower bound, for quality warnings.
type erleMeter struct {
	alpha   float64
	in, out float64
	blocks  int
}

const erleActiveDBFS = -50

func newERLEMeter(blockMs int) erleMeter { return erleMeter{alpha: float64(blockMs) / 1000} }

func (m *erleMeter) update(ref []int16, in, out []float64) {
	if blockDBFS(ref) < erleActiveDBFS {
		return
	}
	pi, po := meanSquareF(in), meanSquareF(out)
	if m.blocks == 0 {
		m.in, m.out = pi, po
	} else {
		m.in += m.alpha * (pi - m.in)
		m.out += m.alpha * (po - m.out)
	}
	m.blocks++
}

// dB is the estimate, 0 until the reference has been active for a while.
func (m *erleMeter) dB() float64 {
	if m.blocks < 50 || m.in <= 0 {
		return 0
	}
	return 10 * math.Log10(m.in/math.Max(m.out, 1e-3))
}

func (m *erleMeter) reset() { m.blocks, m.in, m.out = 0, 0, 0 }

func meanSquare(x []int16) float64 {
	var s float64
	for _, v := range x {
		f := float64(v)
		s += f * f
	}
	return s / float64(max(1, len(x)))
}
