package main

import (
	"math"
	"strings"
	"testing"
)

// With no noise the ceiling's analysis and synthesis give the speech back
// (sine windows at 50% overlap): the frames, gains and overlap-add line up.
func TestNoiseCeilingPassesCleanSpeech(t *testing.T) {
	const rate = 8000
	n := rate
	speech := make([]float64, n)
	for i := range speech {
		speech[i] = 3000 * math.Sin(2*math.Pi*440*float64(i)/rate)
	}
	sOut, nOut := noiseCeiling(rate, speech, make([]float64, n), 0.2)
	for i := rate / 100; i < n-2*rate/100; i++ {
		if d := math.Abs(sOut[i] - speech[i]); d > 1 {
			t.Fatalf("sample %d: %.3f, want %.3f", i, sOut[i], speech[i])
		}
		if nOut[i] != 0 {
			t.Fatalf("sample %d: noise out %.3f from no noise", i, nOut[i])
		}
	}
}

// Noise alone is taken down to the floor (-25 dB) once it is known.
func TestNoiseCeilingFloorsNoiseAlone(t *testing.T) {
	const rate = 8000
	noise := whiteNoise(2*rate, 5, -30)
	_, nOut := noiseCeiling(rate, make([]float64, len(noise)), noise, 0)
	a, b := rate/2, len(noise)-rate/10
	got := 10 * math.Log10(meanSquare(nOut[a:b])/meanSquare(noise[a:b]))
	if got > -20 || got < -30 {
		t.Fatalf("noise alone out at %.1f dB, want about -25 dB", got)
	}
}

func TestGroups(t *testing.T) {
	run, err := groups("")
	if err != nil || len(run) != 5 {
		t.Fatalf("all groups: %v %v", run, err)
	}
	run, err = groups("noise, drift")
	if err != nil || !run["noise"] || !run["drift"] || run["echo"] {
		t.Fatalf("noise,drift: %v %v", run, err)
	}
	if _, err := groups("noise,nois"); err == nil || !strings.Contains(err.Error(), `"nois"`) {
		t.Fatalf("unknown group: %v", err)
	}
}
