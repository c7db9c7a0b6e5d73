package pbx

import "math"

// The PBX's tone tools: the generator of what it plays, and the analysis of
// what it hears. Like its G.711, they are its own: a power measurement by
// correlation with a rotating phasor, not the SDK's Goertzel filters.

// ToneGen generates a sum of sines (one for a plain tone, two for a DTMF
// digit), continuing where the last Fill stopped.
type ToneGen struct {
	Freqs     []float64
	Amplitude float64 // peak of each component, in linear 16-bit units
	Rate      int     // samples per second; 0 means SampleRate
	n         int64   // samples generated so far
}

// Fill writes len(out) samples.
func (g *ToneGen) Fill(out []int16) {
	rate := float64(g.Rate)
	if rate == 0 {
		rate = SampleRate
	}
	for i := range out {
		t := float64(g.n) / rate
		g.n++
		var v float64
		for _, f := range g.Freqs {
			v += g.Amplitude * math.Sin(2*math.Pi*f*t)
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, v)))
	}
}

// powerAt is |Σ x[n]·e^(-iωn)|² at hz: the squared magnitude of x's
// spectrum there, by correlation with a phasor turned one step a sample.
func powerAt(x []float64, hz float64, rate int) float64 {
	stepSin, stepCos := math.Sincos(2 * math.Pi * hz / float64(rate))
	var re, im float64
	c, s := 1.0, 0.0
	for _, v := range x {
		re += v * c
		im -= v * s
		c, s = c*stepCos-s*stepSin, s*stepCos+c*stepSin
	}
	return re*re + im*im
}

// ToneRatio is the share of the energy of pcm that lies at hz: about 1 for
// a clean tone at hz, about 0 when hz is absent. pcm should hold at least
// 20 ms of audio.
func ToneRatio(pcm []int16, rate int, hz float64) float64 {
	x := make([]float64, len(pcm))
	var energy float64
	for i, s := range pcm {
		x[i] = float64(s)
		energy += x[i] * x[i]
	}
	if energy == 0 {
		return 0
	}
	// A sine of amplitude A over N samples: |X|² = (A·N/2)², energy A²·N/2.
	return math.Min(2*powerAt(x, hz, rate)/(float64(len(x))*energy), 1)
}

// ToneAnalysis describes a window of received audio.
type ToneAnalysis struct {
	Samples   int     // samples analysed
	RMSdBFS   float64 // level; -120 for silence
	PeakHz    float64 // strongest frequency between 100 and 3800 Hz (0 for silence)
	PeakRatio float64 // share of the window's energy at PeakHz (≈1 for a clean tone)
}

// AnalyseTone finds the strongest frequency of pcm and how much of the
// energy it carries: a Hann-windowed scan of 100–3800 Hz in 5 Hz steps,
// refined to 1 Hz around the best.
func AnalyseTone(pcm []int16, rate int) ToneAnalysis {
	res := ToneAnalysis{Samples: len(pcm), RMSdBFS: -120}
	n := len(pcm)
	if n < 64 {
		return res
	}
	x := make([]float64, n)
	var energy, windowed float64
	for i, s := range pcm {
		v := float64(s)
		energy += v * v
		x[i] = v * hann(i, n)
		windowed += x[i] * x[i]
	}
	rms := math.Sqrt(energy / float64(n))
	if rms < 1 {
		return res
	}
	res.RMSdBFS = 20 * math.Log10(rms/32768)
	best, bestPower := 0.0, -1.0
	look := func(from, to, step float64) {
		for f := from; f <= to; f += step {
			if p := powerAt(x, f, rate); p > bestPower {
				best, bestPower = f, p
			}
		}
	}
	look(100, 3800, 5)
	look(best-5, best+5, 1)
	res.PeakHz = best
	// Under a Hann window a sine of amplitude A gives |X|² = (A·N/4)² and a
	// windowed energy of 3/16·A²·N.
	res.PeakRatio = math.Min(3*bestPower/(float64(n)*windowed), 1)
	return res
}

// hann is sample i's weight in a Hann window of n samples.
func hann(i, n int) float64 {
	s := math.Sin(math.Pi * float64(i) / float64(n-1))
	return s * s
}
