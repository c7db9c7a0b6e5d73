package dsp

import "math"

// agc brings the agent's voice towards a target level. It measures the
// level only while the VAD hears speech (so pauses and noise do not pull
// the gain up), moves the gain at a bounded rate (faster down than up),
// and never lets a block clip.
type agc struct {
	target  float64 // dBFS
	maxGain float64 // dB
	level   float64 // the voice's level, dBFS (NaN until first heard)
	gain    float64 // dB, applied
	upPer   float64 // the most the gain rises per block, dB
	downPer float64 // the most it falls per block, dB
	alpha   float64 // level smoothing per speech block
}

const (
	agcMinGainDB = -12.0
	agcUpDBs     = 6.0  // dB per second
	agcDownDBs   = 30.0 // dB per second
	agcLevelSec  = 0.4  // the level's time constant over speech
	agcPeak      = 0.9  // of full scale
)

func newAGC(targetDBFS, maxGainDB float64, blockMs int) agc {
	b := float64(blockMs) / 1000
	return agc{
		target: targetDBFS, maxGain: maxGainDB, level: math.NaN(),
		upPer: agcUpDBs * b, downPer: agcDownDBs * b, alpha: b / agcLevelSec,
	}
}

// process scales x in place. speech says whether the VAD hears the agent.
func (a *agc) process(x []float64, speech bool) {
	if speech {
		var ms float64
		for _, v := range x {
			ms += v * v
		}
		ms /= float64(len(x))
		if ms > 0 {
			db := 10 * math.Log10(ms/(32768*32768))
			if math.IsNaN(a.level) {
				a.level = db
			} else {
				a.level += a.alpha * (db - a.level)
			}
		}
	}
	want := a.gain
	if !math.IsNaN(a.level) {
		want = math.Max(agcMinGainDB, math.Min(a.maxGain, a.target-a.level))
	}
	next := a.gain + math.Max(-a.downPer, math.Min(a.upPer, want-a.gain))
	// No clipping: the block's peak after the gain stays below agcPeak.
	var peak float64
	for _, v := range x {
		peak = math.Max(peak, math.Abs(v))
	}
	g0 := math.Pow(10, a.gain/20)
	if peak > 0 {
		if lim := 20 * math.Log10(agcPeak*32767/peak); next > lim {
			next = lim
			g0 = math.Pow(10, lim/20) // the whole block, not a ramp into it
		}
	}
	g1 := math.Pow(10, next/20)
	n := float64(len(x))
	for i := range x {
		x[i] *= g0 + (g1-g0)*(float64(i)+1)/n
	}
	a.gain = next
}
