package pbx

import (
	"math"
	"testing"
)

func TestG711RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  func(int16) byte
		dec  func(byte) int16
	}{{"ulaw", EncodeULaw, DecodeULaw}, {"alaw", EncodeALaw, DecodeALaw}} {
		for _, v := range []int{0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000, 32767, -32768} {
			got := int(tc.dec(tc.enc(int16(v))))
			// G.711 keeps about 4 significant bits: error within ~1/16 of the value.
			if tol := math.Max(40, math.Abs(float64(v))/14); math.Abs(float64(got-v)) > tol {
				t.Errorf("%s: %d → %d", tc.name, v, got)
			}
		}
	}
	// Known code points: silence.
	if EncodeULaw(0) != 0xFF || EncodeALaw(0) != 0xD5 {
		t.Errorf("silence codes %#x %#x", EncodeULaw(0), EncodeALaw(0))
	}
}

func tone(freqs []float64, n int) []int16 {
	g := ToneGen{Freqs: freqs, Amplitude: 6000}
	out := make([]int16, n)
	g.Fill(out)
	return out
}

func TestAnalyseTone(t *testing.T) {
	for _, f := range []float64{300, 440, 1000, 1004, 2500, 3400} {
		a := AnalyseTone(tone([]float64{f}, 1600), SampleRate)
		if math.Abs(a.PeakHz-f) > 1.5 || a.PeakRatio < 0.95 {
			t.Errorf("%v Hz: %+v", f, a)
		}
		if r := ToneRatio(tone([]float64{f}, 1600), SampleRate, f); r < 0.95 {
			t.Errorf("ToneRatio(%v) = %v", f, r)
		}
	}
	mix := tone([]float64{440, 1000}, 1600)
	if r := ToneRatio(mix, SampleRate, 440); r < 0.4 || r > 0.6 {
		t.Errorf("half the energy at 440: %v", r)
	}
	if a := AnalyseTone(make([]int16, 1600), SampleRate); a.PeakHz != 0 || a.RMSdBFS > -100 {
		t.Errorf("silence: %+v", a)
	}
}

func TestDTMFDetector(t *testing.T) {
	var got string
	d := DTMFDetector{OnDigit: func(b byte) { got += string(b) }}
	for _, k := range "1234567890*#ABCD" {
		lo, hi, ok := DTMFFreqs(byte(k))
		if !ok {
			t.Fatal(k)
		}
		d.Write(tone([]float64{lo, hi}, 800)) // 100 ms digit
		d.Write(make([]int16, 480))           // 60 ms gap
	}
	// A digit over a steady 440 Hz tone, and a plain tone that must not count.
	d.Write(tone([]float64{440}, 1600))
	lo, hi, _ := DTMFFreqs('5')
	mixed := tone([]float64{lo, hi, 440}, 800)
	d.Write(mixed)
	d.Write(tone([]float64{1000}, 1600))
	if got != "1234567890*#ABCD5" {
		t.Fatalf("detected %q", got)
	}
	for c := uint8(0); c < 16; c++ {
		dg, _ := DTMFEventDigit(c)
		if back, _ := DTMFEventCode(dg); back != c {
			t.Errorf("event %d ↔ %c", c, dg)
		}
	}
}

// TestDTMFDetectorTiming: a repeated digit counts again after a gap, a blip
// shorter than a digit does not count, nor does a pair too unequal.
func TestDTMFDetectorTiming(t *testing.T) {
	var got string
	d := DTMFDetector{OnDigit: func(b byte) { got += string(b) }}
	lo, hi, _ := DTMFFreqs('5')
	for range 2 {
		d.Write(tone([]float64{lo, hi}, 800)) // 100 ms
		d.Write(make([]int16, 480))           // 60 ms gap
	}
	d.Write(tone([]float64{lo, hi}, 240)) // a 30 ms blip
	d.Write(make([]int16, 480))
	twisted := ToneGen{Freqs: []float64{lo}, Amplitude: 6000}
	weak := ToneGen{Freqs: []float64{hi}, Amplitude: 1500} // 12 dB below
	a, b := make([]int16, 800), make([]int16, 800)
	twisted.Fill(a)
	weak.Fill(b)
	for i := range a {
		a[i] += b[i]
	}
	d.Write(a)
	if got != "55" {
		t.Fatalf("detected %q, want \"55\"", got)
	}
}

// TestG711KnownCodes checks codes of the G.711 tables: the loudest and
// quietest steps and a few in between, both laws.
func TestG711KnownCodes(t *testing.T) {
	// μ-law: the loudest steps, silence both ways, segment 7's last step
	// (1024 apart from 32124).
	for code, want := range map[byte]int16{0x00: -32124, 0x80: 32124, 0xFF: 0, 0x7F: 0, 0x0F: -16764, 0x8F: 16764} {
		if got := DecodeULaw(code); got != want {
			t.Errorf("μ-law %#x → %d, want %d", code, got, want)
		}
	}
	// A-law: the loudest steps, the quietest (silence is ±8), 0x00.
	for code, want := range map[byte]int16{0xAA: 32256, 0x2A: -32256, 0xD5: 8, 0x55: -8, 0x00: -5504, 0x80: 5504} {
		if got := DecodeALaw(code); got != want {
			t.Errorf("A-law %#x → %d, want %d", code, got, want)
		}
	}
	// Encoding is monotonic: a louder sample never gets a quieter code.
	for s := -32767; s < 32767; s++ {
		if DecodeULaw(EncodeULaw(int16(s))) > DecodeULaw(EncodeULaw(int16(s+1))) ||
			DecodeALaw(EncodeALaw(int16(s))) > DecodeALaw(EncodeALaw(int16(s+1))) {
			t.Fatalf("not monotonic at %d", s)
		}
	}
}

// BenchmarkDTMFDetector feeds one second of a digit (8000 samples, 100
// looks) per iteration: the detector's cost per second of a call's audio.
func BenchmarkDTMFDetector(b *testing.B) {
	lo, hi, _ := DTMFFreqs('7')
	pcm := tone([]float64{lo, hi}, SampleRate)
	d := DTMFDetector{OnDigit: func(byte) {}}
	b.SetBytes(int64(2 * len(pcm)))
	for b.Loop() {
		d.Write(pcm)
	}
}

// BenchmarkAnalyseTone analyses 200 ms, as every call snapshot does.
func BenchmarkAnalyseTone(b *testing.B) {
	pcm := tone([]float64{1000}, SampleRate/5)
	for b.Loop() {
		AnalyseTone(pcm, SampleRate)
	}
}
