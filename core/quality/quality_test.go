package quality

import (
	"math/rand"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// good is a healthy second of a call.
func good(i int) Sample {
	return Sample{At: t0.Add(time.Duration(i) * time.Second), RTT: 80 * time.Millisecond, HasRTT: true, Jitter: 5 * time.Millisecond,
		MOS: 4.3, HasReceive: true, BytesSent: 8000, BytesReceived: 8000, HasBytes: true,
		InputDBFS: -30 + 6*float64(i%3), HasInput: true}
}

// run feeds n samples made by f and returns the changes with the index
// of the sample that made each.
func run(m *Monitor, from, n int, f func(i int) Sample) map[int][]Change {
	out := map[int][]Change{}
	for i := from; i < from+n; i++ {
		if c := m.Add(f(i)); len(c) > 0 {
			out[i] = c
		}
	}
	return out
}

func one(t *testing.T, got map[int][]Change, at int, name string, raised bool) Change {
	t.Helper()
	if len(got) != 1 || len(got[at]) != 1 || got[at][0].Name != name || got[at][0].Raised != raised {
		t.Fatalf("want %s raised=%v at sample %d alone, got %+v", name, raised, at, got)
	}
	return got[at][0]
}

// Each rule raises on its published condition and clears once it no longer
// holds, never sooner than 5 s after it was raised.
func TestRulesRaiseAndClear(t *testing.T) {
	bad := map[string]func(*Sample){
		HighRTT:         func(s *Sample) { s.RTT = 450 * time.Millisecond },
		HighJitter:      func(s *Sample) { s.Jitter = 35 * time.Millisecond },
		HighPacketLoss:  func(s *Sample) { s.Loss = 0.02 },
		LowMOS:          func(s *Sample) { s.MOS = 3.2 },
		NoAudioReceived: func(s *Sample) { s.BytesReceived = 0 },
		NoAudioSent:     func(s *Sample) { s.BytesSent = 0 },
	}
	need := map[string]int{HighRTT: 3, HighJitter: 3, HighPacketLoss: 3, LowMOS: 3, NoAudioReceived: 3, NoAudioSent: 3}
	for name, spoil := range bad {
		t.Run(name, func(t *testing.T) {
			m := NewMonitor(Thresholds{})
			if got := run(m, 0, 10, good); len(got) != 0 {
				t.Fatalf("a good call raised %+v", got)
			}
			badAt := func(i int) Sample { s := good(i); spoil(&s); return s }
			c := one(t, run(m, 10, need[name], badAt), 10+need[name]-1, name, true)
			if c.Threshold == 0 && name != NoAudioReceived && name != NoAudioSent {
				t.Fatalf("no threshold in %+v", c)
			}
			// Good again at once: the rule stops holding two samples later
			// (3 of 5 no longer bad), but the warning stays 5 s.
			got := run(m, 10+need[name], 10, good)
			raisedAt := 10 + need[name] - 1
			one(t, got, raisedAt+5, name, false)
			if m.Raised(name) {
				t.Fatal("still raised")
			}
		})
	}
}

// 2 bad samples of 5 are not enough; loss has a second rule: a mean over
// 3 % across 7 samples even when no 3 of 5 are over 1 %.
func TestRuleCounts(t *testing.T) {
	m := NewMonitor(Default)
	got := run(m, 0, 20, func(i int) Sample {
		s := good(i)
		if i%5 < 2 {
			s.RTT = time.Second
		}
		return s
	})
	if len(got) != 0 {
		t.Fatalf("2 of 5 raised %+v", got)
	}
	m = NewMonitor(Default)
	got = run(m, 0, 7, func(i int) Sample {
		s := good(i)
		if i%3 == 0 {
			s.Loss = 0.08 // 3 of 7 at 8 %: mean 3.4 %; never 3 of 5 over 1 %
		}
		return s
	})
	c := one(t, got, 6, HighPacketLoss, true)
	if c.Threshold != 0.03 || c.Value < 0.034 || c.Value > 0.035 {
		t.Fatalf("mean-loss rule %+v", c)
	}
}

// Unmeasured figures count for nothing: no RTT before RTCP, no receive
// figures before audio arrives, no bytes on hold.
func TestUnmeasuredDoesNotCount(t *testing.T) {
	m := NewMonitor(Default)
	got := run(m, 0, 10, func(i int) Sample {
		return Sample{At: t0.Add(time.Duration(i) * time.Second), HasInput: true, InputDBFS: -40 + 5*float64(i%4)}
	})
	if len(got) != 0 {
		t.Fatalf("nothing measured raised %+v", got)
	}
}

func TestConstantInputLevel(t *testing.T) {
	stuck := func(i int) Sample { s := good(i); s.InputDBFS = -20; return s }
	m := NewMonitor(Default)
	run(m, 0, 3, good)
	got := run(m, 3, 10, stuck)
	c := one(t, got, 12, ConstantInputLevel, true)
	if c.Value > 1e-9 || c.Threshold != 0.1 {
		t.Fatalf("%+v", c)
	}
	// Muted: a flat level is expected, the rule does not hold.
	m = NewMonitor(Default)
	if got := run(m, 0, 15, func(i int) Sample { s := stuck(i); s.Muted = true; return s }); len(got) != 0 {
		t.Fatalf("muted raised %+v", got)
	}
}

func TestSpeakingWhileMuted(t *testing.T) {
	m := NewMonitor(Default)
	run(m, 0, 5, good)
	muted := func(i int) Sample { s := good(i); s.Muted = true; return s }
	if got := run(m, 5, 5, muted); len(got) != 0 {
		t.Fatalf("muted in silence raised %+v", got)
	}
	talking := func(i int) Sample { s := muted(i); s.Speaking = true; return s }
	one(t, run(m, 10, 2, talking), 11, SpeakingWhileMuted, true)
	// Unmuted and still talking: cleared once 5 s have passed.
	got := run(m, 12, 6, func(i int) Sample { s := good(i); s.Speaking = true; return s })
	one(t, got, 16, SpeakingWhileMuted, false)
}

func TestGrade(t *testing.T) {
	for _, c := range []struct {
		mos  float64
		want Grade
	}{{4.41, Excellent}, {4.2, Great}, {4.1, Great}, {4.0, Good}, {3.7, Good}, {3.5, Fair}, {3.1, Fair}, {3.0, Degraded}, {1, Degraded}} {
		if g := GradeMOS(c.mos); g != c.want {
			t.Errorf("GradeMOS(%v) = %s, want %s", c.mos, g, c.want)
		}
	}
}

// A figure exactly at its limit is not over it, whatever the rounding of
// the mean of 7: 400 ms, 30 ms, 1 % loss, MOS 3.5, a mean loss of 3 %.
func TestLimitsAreNotOver(t *testing.T) {
	m := NewMonitor(Default)
	got := run(m, 0, 20, func(i int) Sample {
		s := good(i)
		s.RTT, s.Jitter, s.Loss, s.MOS = 400*time.Millisecond, 30*time.Millisecond, 0.01, 3.5
		return s
	})
	if len(got) != 0 {
		t.Fatalf("figures at their limits raised %+v", got)
	}
	// 7 % in 3 of 7 samples (never 3 of 5): a mean of exactly 3 %, which
	// summed in floating point comes to 0.030000000000000002.
	m = NewMonitor(Default)
	if got := run(m, 0, 7, func(i int) Sample {
		s := good(i)
		if i%3 == 0 {
			s.Loss = 0.07
		}
		return s
	}); len(got) != 0 {
		t.Fatalf("a mean loss of exactly 3 %% raised %+v", got)
	}
}

// A warning whose figure hovers at its limit (bad in 2 or 3 of the last 5)
// stays raised: it clears only once none of the last 5 is bad (Twilio
// Voice's rule), not each time the count dips under 3.
func TestClearsOnlyWhenNoSampleIsBad(t *testing.T) {
	m := NewMonitor(Default)
	bad := []bool{true, true, true, false, false, false, false, true, false, true, false, true, false, false, true, false, true, false, true, false}
	got := run(m, 0, len(bad), func(i int) Sample {
		s := good(i)
		if bad[i] {
			s.RTT = time.Second
		}
		return s
	})
	one(t, got, 2, HighRTT, true)
	// Five good samples in a row: cleared at the fifth.
	one(t, run(m, len(bad), 6, good), len(bad)+3, HighRTT, false)

	// The mean-loss rule clears once the mean is back to 1 %, not at 3 %.
	m = NewMonitor(Default)
	lossy := func(l float64) func(int) Sample {
		return func(i int) Sample { s := good(i); s.Loss = l; return s }
	}
	one(t, run(m, 0, 3, lossy(0.05)), 2, HighPacketLoss, true)
	// A loss of 1 % a second: never over the 3-of-5 limit, and the mean
	// of 7 comes down from 5 % to 1 %: cleared only once the 5 % seconds
	// have left the 7.
	one(t, run(m, 3, 10, lossy(0.01)), 9, HighPacketLoss, false)
}

// The constant-level rule is about a stuck microphone, not a quiet one:
// an agent listening in a quiet room has a low level that still moves (a
// few tenths of a dB from reading to reading, even in steady noise).
func TestQuietMicrophoneIsNotStuck(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		name  string
		level func() float64
	}{
		{"listening, -65 to -50 dBFS", func() float64 { return -65 + 15*r.Float64() }},
		{"steady room noise, -60 dBFS ±0.5 dB", func() float64 { return -60 + 0.5*r.NormFloat64() }},
		{"a quiet headset, -75 dBFS ±0.5 dB", func() float64 { return -75 + 0.5*r.NormFloat64() }},
	} {
		m := NewMonitor(Default)
		if got := run(m, 0, 60, func(i int) Sample { s := good(i); s.InputDBFS = c.level(); return s }); len(got) != 0 {
			t.Errorf("%s raised %+v", c.name, got)
		}
	}
}

// A microphone that gives digital silence, or a frozen level, is stuck.
// One that gives a very low but live noise floor (a headset's own noise
// cancelling while nobody speaks) is not: with per-second readings it
// cannot be told from a quiet room, and raising would cry wolf.
func TestStuckMicrophones(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, c := range []struct {
		name  string
		level func() float64
		stuck bool
	}{
		{"digital silence", func() float64 { return -120 }, true},
		{"frozen at -42 dBFS", func() float64 { return -42 }, true},
		{"moving by 0.05 dB", func() float64 { return -42 + 0.05*r.NormFloat64() }, true},
		{"a headset's noise floor, -95 dBFS ±0.5 dB", func() float64 { return -95 + 0.5*r.NormFloat64() }, false},
	} {
		m := NewMonitor(Default)
		got := run(m, 0, 10, func(i int) Sample { s := good(i); s.InputDBFS = c.level(); return s })
		if !c.stuck {
			if len(got) != 0 {
				t.Errorf("%s raised %+v", c.name, got)
			}
			continue
		}
		ch := one(t, got, 9, ConstantInputLevel, true)
		if ch.Threshold != 0.1 || ch.Value >= 0.1 {
			t.Errorf("%s: %+v", c.name, ch)
		}
	}
}
