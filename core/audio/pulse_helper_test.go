package audio

// The PulseAudio harness of the device tests: tests/audio/pulse.sh starts
// a private server and sets CC_AUDIO_PULSE; these helpers load null sinks
// through pactl, feed them with pacat and record monitors with parec.
// Without CC_AUDIO_PULSE the tests that need a server skip, saying so;
// with it, a server that does not answer fails them.

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

// The harness itself is internal/pulsetest (core/agent's device-mode
// tests use it too); these keep the names this package's tests use.

func requirePulse(t testing.TB) { t.Helper(); pulsetest.Require(t) }

func pactl(t testing.TB, args ...string) string { t.Helper(); return pulsetest.Pactl(t, args...) }

// loadModule loads a module, unloaded when the test ends (unless the test
// unloaded it itself).
func loadModule(t testing.TB, args ...string) int {
	t.Helper()
	return pulsetest.LoadModule(t, args...)
}

func nullSink(t testing.TB, name, desc string, rate, channels int) int {
	t.Helper()
	return loadModule(t, "module-null-sink", "sink_name="+name, fmt.Sprintf("rate=%d", rate),
		fmt.Sprintf("channels=%d", channels), "sink_properties=device.description="+desc)
}

// testSystem is a System on the harness's server, watching fast.
func testSystem(t testing.TB) *System {
	s := NewSystem(Config{Backends: []Backend{BackendPulseAudio}, PollInterval: 50 * time.Millisecond, StallTimeout: 3 * time.Second})
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// recorder is pulsetest's recording of a source (mono s16 at rate).
type recorder struct {
	*pulsetest.Recorder
	rate int
}

func record(t testing.TB, source string, rate int) *recorder {
	t.Helper()
	return &recorder{pulsetest.Record(t, source, rate), rate}
}

func (r *recorder) len() int                   { return r.Len() }
func (r *recorder) slice(from, to int) []int16 { return r.Slice(from, to) }

// waitFor waits until cond holds on the recording (checked each time
// parec delivers), failing the test after timeout.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, cond func(s []int16) bool) {
	t.Helper()
	r.WaitFor(t, timeout, what, cond)
}

// toneFrom reports whether the samples from index from on hold at least
// dur of a tone at hz (checked in 50 ms blocks: each must carry it).
func toneFrom(hz float64, rate, from int, dur time.Duration) func([]int16) bool {
	return pulsetest.ToneAfter(hz, rate, from, dur)
}

func tail(s []int16, from int) []int16 {
	if from >= len(s) {
		return nil
	}
	return s[from:]
}

func tonePresent(s []int16, hz float64, rate int, dur time.Duration) bool {
	return pulsetest.TonePresent(s, hz, rate, dur)
}

func goertzel(s []int16, hz float64, rate int) float64 { return pulsetest.Goertzel(s, hz, rate) }

func energy(s []int16) float64 { return pulsetest.Energy(s) }

func dominant(s []int16, hz float64, rate int) bool { return pulsetest.Dominant(s, hz, rate) }

func silent(s []int16, rate int) bool { return pulsetest.Silent(s, rate) }

// toneWriter plays a tone into an endpoint on the call's 20 ms clock, as
// a call's jitter buffer would, until stopped.
func toneWriter(e *Endpoint, hz float64, amp float64) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		frame := make([]int16, e.Rate()/50)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var n int
		for {
			for i := range frame {
				frame[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(n)/float64(e.Rate())))
				n++
			}
			e.WritePCM(frame, e.Rate())
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}

// pcmReader reads an endpoint's microphone on the call's 20 ms clock and
// keeps what it got (a short read is padded with silence, as a call
// sends it).
type pcmReader struct {
	mu      sync.Mutex
	samples []int16
	changed chan struct{}
	stop    func()
}

func readEndpoint(e *Endpoint) *pcmReader {
	r := &pcmReader{changed: make(chan struct{}, 1)}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		buf := make([]int16, e.Rate()/50)
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			n, err := e.ReadPCM(buf)
			if err != nil {
				return
			}
			clear(buf[n:])
			r.mu.Lock()
			r.samples = append(r.samples, buf...)
			r.mu.Unlock()
			select {
			case r.changed <- struct{}{}:
			default:
			}
		}
	}()
	var once sync.Once
	r.stop = func() { once.Do(func() { close(quit); <-done }) }
	return r
}

func (r *pcmReader) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func (r *pcmReader) waitFor(t testing.TB, timeout time.Duration, what string, cond func([]int16) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.samples)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, timeout)
		}
	}
}

// feedTone plays a tone into a sink (real time) until the test ends.
func feedTone(t testing.TB, sink string, hz float64, rate int) {
	t.Helper()
	pulsetest.FeedTone(t, sink, hz, 8000, rate)
}

// events collects an endpoint's or a watcher's events.
type events struct {
	ch chan Event
}

func newEvents() *events { return &events{ch: make(chan Event, 64)} }

func (ev *events) fn(e Event) { ev.ch <- e }

// waitEvent waits for an event matching ok; others are logged and skipped.
func (ev *events) waitEvent(t testing.TB, timeout time.Duration, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case e := <-ev.ch:
			if ok(e) {
				return e
			}
			t.Logf("(event %v)", e)
		case <-deadline.C:
			t.Fatalf("%s: no such event within %v", what, timeout)
			return Event{}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
