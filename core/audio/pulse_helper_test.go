package audio

// The PulseAudio harness of the device tests: tests/audio/pulse.sh starts
// a private server and sets CC_AUDIO_PULSE; these helpers load null sinks
// through pactl, feed them with pacat and record monitors with parec.
// Without CC_AUDIO_PULSE the tests that need a server skip, saying so;
// with it, a server that does not answer fails them.

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func requirePulse(t testing.TB) {
	t.Helper()
	server := os.Getenv("CC_AUDIO_PULSE")
	if server == "" {
		t.Skip("no PulseAudio harness (CC_AUDIO_PULSE unset): tests/audio/run.sh starts one and runs these tests")
	}
	t.Setenv("PULSE_SERVER", server)
	if out, err := exec.Command("pactl", "info").CombinedOutput(); err != nil {
		t.Fatalf("CC_AUDIO_PULSE=%s but the server does not answer: %v\n%s", server, err, out)
	}
}

func pactl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// loadModule loads a module, unloaded when the test ends (unless the test
// unloaded it itself).
func loadModule(t testing.TB, args ...string) int {
	t.Helper()
	idx, err := strconv.Atoi(pactl(t, append([]string{"load-module"}, args...)...))
	if err != nil {
		t.Fatalf("load-module %v: %v", args, err)
	}
	t.Cleanup(func() { _ = exec.Command("pactl", "unload-module", strconv.Itoa(idx)).Run() })
	return idx
}

func nullSink(t testing.TB, name, desc string, rate, channels int) int {
	return loadModule(t, "module-null-sink", "sink_name="+name, fmt.Sprintf("rate=%d", rate),
		fmt.Sprintf("channels=%d", channels), "sink_properties=device.description="+desc)
}

// testSystem is a System on the harness's server, watching fast.
func testSystem(t testing.TB) *System {
	s := NewSystem(Config{Backends: []Backend{BackendPulseAudio}, PollInterval: 50 * time.Millisecond, StallTimeout: 3 * time.Second})
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// recorder keeps what parec records from a source (mono s16 at rate).
type recorder struct {
	rate    int
	mu      sync.Mutex
	samples []int16
	changed chan struct{}
	done    chan struct{}
	err     error
}

func record(t testing.TB, source string, rate int) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "parec", "--raw", "--format=s16le", "--channels=1",
		"--rate="+strconv.Itoa(rate), "--latency-msec=10", "-d", source)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("parec: %v", err)
	}
	r := &recorder{rate: rate, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		br := bufio.NewReader(out)
		buf := make([]byte, 320)
		for {
			n, err := io.ReadFull(br, buf)
			r.mu.Lock()
			for i := 0; i+1 < n; i += 2 {
				r.samples = append(r.samples, int16(binary.LittleEndian.Uint16(buf[i:])))
			}
			if err != nil {
				r.err = err
			}
			r.mu.Unlock()
			select {
			case r.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		<-r.done
	})
	return r
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func (r *recorder) slice(from, to int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	to = min(to, len(r.samples))
	if from >= to {
		return nil
	}
	return append([]int16(nil), r.samples[from:to]...)
}

// waitFor waits until cond holds on the recording (checked each time
// parec delivers), failing the test after timeout.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, cond func(s []int16) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.samples)
		err := r.err
		r.mu.Unlock()
		if ok {
			return
		}
		if err != nil {
			t.Fatalf("%s: the recording ended: %v", what, err)
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("%s: not within %v (%d samples recorded)", what, timeout, r.len())
		}
	}
}

// toneFrom reports whether the samples from index from on hold at least
// dur of a tone at hz (checked in 50 ms blocks: each must carry it).
func toneFrom(hz float64, rate, from int, dur time.Duration) func([]int16) bool {
	return func(s []int16) bool {
		return tonePresent(tail(s, from), hz, rate, dur)
	}
}

func tail(s []int16, from int) []int16 {
	if from >= len(s) {
		return nil
	}
	return s[from:]
}

// tonePresent: somewhere in s, dur of consecutive 50 ms blocks are
// dominated by hz.
func tonePresent(s []int16, hz float64, rate int, dur time.Duration) bool {
	block := rate / 20
	need := int(dur / (50 * time.Millisecond))
	run := 0
	for i := 0; i+block <= len(s); i += block {
		if dominant(s[i:i+block], hz, rate) {
			run++
			if run >= need {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// goertzel is the power of frequency hz in s, normalised so that a full
// sine of amplitude A gives about A²/4·len².
func goertzel(s []int16, hz float64, rate int) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func energy(s []int16) float64 {
	var e float64
	for _, x := range s {
		e += float64(x) * float64(x)
	}
	return e
}

// dominant: hz carries most of the block's energy and the block is not
// near-silent.
func dominant(s []int16, hz float64, rate int) bool {
	e := energy(s)
	if len(s) == 0 || e/float64(len(s)) < 100*100 {
		return false
	}
	// A pure sine: goertzel ≈ e·len/2.
	return goertzel(s, hz, rate)/(e*float64(len(s))/2) > 0.5
}

// silent: no 50 ms block of s is louder than rms 100.
func silent(s []int16, rate int) bool {
	block := rate / 20
	for i := 0; i+block <= len(s); i += block {
		if energy(s[i:i+block])/float64(block) > 100*100 {
			return false
		}
	}
	return true
}

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

// feedTone plays a tone into a sink with pacat (real time: pacat reads as
// fast as the sink plays) until the test ends.
func feedTone(t testing.TB, sink string, hz float64, rate int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "pacat", "--raw", "--format=s16le", "--channels=1",
		"--rate="+strconv.Itoa(rate), "--latency-msec=20", "-d", sink)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("pacat: %v", err)
	}
	go func() {
		buf := make([]byte, rate/50*2)
		n := 0
		for {
			for i := 0; i < len(buf); i += 2 {
				v := int16(8000 * math.Sin(2*math.Pi*hz*float64(n)/float64(rate)))
				binary.LittleEndian.PutUint16(buf[i:], uint16(v))
				n++
			}
			if _, err := in.Write(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
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
