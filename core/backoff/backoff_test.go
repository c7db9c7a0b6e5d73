package backoff

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	p := Policy{Max: time.Millisecond, Jitter: 2, Factor: 0.5}.WithDefaults()
	want := Policy{Min: 500 * time.Millisecond, Max: 500 * time.Millisecond, Factor: 2, Jitter: 0.2, Stable: 10 * time.Second}
	if p != want {
		t.Fatalf("WithDefaults = %+v, want %+v", p, want)
	}
}

func TestDelayGrowsToMaxWithJitter(t *testing.T) {
	p := Policy{Min: 100 * time.Millisecond, Max: time.Second, Factor: 2, Jitter: 0.2}
	mid := func() float64 { return 0.5 }
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		if got := p.Delay(n, mid); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
	if got := p.Delay(1, func() float64 { return 1 }); got != 120*time.Millisecond {
		t.Errorf("Delay(1) at most jitter = %v, want 120ms", got)
	}
	if got := p.Delay(1, func() float64 { return 0 }); got != 80*time.Millisecond {
		t.Errorf("Delay(1) at least jitter = %v, want 80ms", got)
	}
}
