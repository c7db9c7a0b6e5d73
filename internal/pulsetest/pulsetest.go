// Package pulsetest is the Go side of the PulseAudio harness of the
// sound-device tests (tests/audio/pulse.sh starts a private server and
// sets CC_AUDIO_PULSE): it loads null sinks and other modules through
// pactl, feeds sinks with pacat, records monitors with parec, and measures
// tones (Goertzel). Without CC_AUDIO_PULSE a test that needs the server
// skips, saying so; with it, a server that does not answer fails the test.
//
// Tests only: the SDK never imports it.
package pulsetest

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

// Require skips the test without the harness and fails it when the
// harness's server does not answer. It points PULSE_SERVER at the server.
func Require(t testing.TB) {
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

// Pactl runs pactl and returns its output.
func Pactl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// LoadModule loads a module, unloaded when the test ends (unless the test
// unloaded it first).
func LoadModule(t testing.TB, args ...string) int {
	t.Helper()
	idx, err := strconv.Atoi(Pactl(t, append([]string{"load-module"}, args...)...))
	if err != nil {
		t.Fatalf("load-module %v: %v", args, err)
	}
	t.Cleanup(func() { _ = exec.Command("pactl", "unload-module", strconv.Itoa(idx)).Run() })
	return idx
}

// UnloadModule unloads a module now.
func UnloadModule(t testing.TB, idx int) {
	t.Helper()
	Pactl(t, "unload-module", strconv.Itoa(idx))
}

// NullSink loads a null sink (its monitor is name+".monitor").
func NullSink(t testing.TB, name string, rate, channels int) int {
	t.Helper()
	return LoadModule(t, "module-null-sink", "sink_name="+name, fmt.Sprintf("rate=%d", rate),
		fmt.Sprintf("channels=%d", channels), "sink_properties=device.description="+name)
}

// Microphone makes a capture device the test feeds: a null sink (feed)
// and a remap source on its monitor (a real source, not a monitor).
// Whatever is played into feed is what the microphone hears.
func Microphone(t testing.TB, feed, mic string) {
	t.Helper()
	NullSink(t, feed, 16000, 1)
	LoadModule(t, "module-remap-source", "source_name="+mic, "master="+feed+".monitor",
		"source_properties=device.description="+mic)
}

// Streams counts the playback streams (sink inputs) playing into sink.
func Streams(t testing.TB, sink string) int {
	t.Helper()
	idx := ""
	for _, l := range strings.Split(Pactl(t, "list", "short", "sinks"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == sink {
			idx = f[0]
		}
	}
	if idx == "" {
		return 0
	}
	n := 0
	for _, l := range strings.Split(Pactl(t, "list", "short", "sink-inputs"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == idx {
			n++
		}
	}
	return n
}

// Recorder keeps what parec records from a source (mono s16 at Rate).
type Recorder struct {
	Rate    int
	mu      sync.Mutex
	samples []int16
	changed chan struct{}
	done    chan struct{}
	err     error
}

// Record starts recording source until the test ends.
func Record(t testing.TB, source string, rate int) *Recorder {
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
	r := &Recorder{Rate: rate, changed: make(chan struct{}, 1), done: make(chan struct{})}
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

// Len is the number of samples recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

// Slice copies samples [from, to) (to past the end: up to the end).
func (r *Recorder) Slice(from, to int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	to = min(to, len(r.samples))
	if from >= to {
		return nil
	}
	return append([]int16(nil), r.samples[from:to]...)
}

// WaitFor waits until cond holds on the recording (checked each time
// parec delivers), failing the test after timeout.
func (r *Recorder) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(s []int16) bool) {
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
			t.Fatalf("%s: not within %v (%d samples recorded)", what, timeout, r.Len())
		}
	}
}

// ToneAfter is a WaitFor condition: from sample index from on, dur of
// consecutive 50 ms blocks are dominated by hz.
func ToneAfter(hz float64, rate, from int, dur time.Duration) func([]int16) bool {
	return func(s []int16) bool {
		if from >= len(s) {
			return false
		}
		return TonePresent(s[from:], hz, rate, dur)
	}
}

// Feeder plays a tone into a sink with pacat in real time.
type Feeder struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// FeedTone plays a sine of hz at amplitude amp into sink (pacat, real
// time) until Stop or the end of the test.
func FeedTone(t testing.TB, sink string, hz, amp float64, rate int) *Feeder {
	t.Helper()
	return Feed(t, sink, rate, func(n int) int16 { return int16(amp * math.Sin(2*math.Pi*hz*float64(n)/float64(rate))) })
}

// Feed plays the signal gen (sample n) into sink until Stop or the end of
// the test.
func Feed(t testing.TB, sink string, rate int, gen func(n int) int16) *Feeder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "pacat", "--raw", "--format=s16le", "--channels=1",
		"--rate="+strconv.Itoa(rate), "--latency-msec=20", "-d", sink)
	in, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("pacat: %v", err)
	}
	f := &Feeder{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		buf := make([]byte, rate/50*2)
		n := 0
		for {
			for i := 0; i < len(buf); i += 2 {
				binary.LittleEndian.PutUint16(buf[i:], uint16(gen(n)))
				n++
			}
			if _, err := in.Write(buf); err != nil {
				return
			}
		}
	}()
	go func() { _ = cmd.Wait() }()
	t.Cleanup(f.Stop)
	return f
}

// Stop ends the feed.
func (f *Feeder) Stop() {
	f.cancel()
	<-f.done
}

// Goertzel is the power of frequency hz in s, normalised so that a full
// sine of amplitude A gives about A²·len²/4.
func Goertzel(s []int16, hz float64, rate int) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// ToneDBFS is the level of the hz component of s, in dB relative to a
// full-scale sine (-120 for none).
func ToneDBFS(s []int16, hz float64, rate int) float64 {
	if len(s) == 0 {
		return -120
	}
	amp := 2 * math.Sqrt(Goertzel(s, hz, rate)) / float64(len(s))
	if amp < 32768e-6 {
		return -120
	}
	return 20 * math.Log10(amp/32768)
}

// Energy is the sum of squares of s.
func Energy(s []int16) float64 {
	var e float64
	for _, x := range s {
		e += float64(x) * float64(x)
	}
	return e
}

// Dominant: hz carries most of the block's energy and the block is not
// near-silent.
func Dominant(s []int16, hz float64, rate int) bool {
	e := Energy(s)
	if len(s) == 0 || e/float64(len(s)) < 100*100 {
		return false
	}
	return Goertzel(s, hz, rate)/(e*float64(len(s))/2) > 0.5
}

// TonePresent: somewhere in s, dur of consecutive 50 ms blocks are
// dominated by hz.
func TonePresent(s []int16, hz float64, rate int, dur time.Duration) bool {
	block := rate / 20
	need := int(dur / (50 * time.Millisecond))
	run := 0
	for i := 0; i+block <= len(s); i += block {
		if Dominant(s[i:i+block], hz, rate) {
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

// Silent: no 50 ms block of s is louder than rms 100.
func Silent(s []int16, rate int) bool {
	block := rate / 20
	for i := 0; i+block <= len(s); i += block {
		if Energy(s[i:i+block])/float64(block) > 100*100 {
			return false
		}
	}
	return true
}

// LongestSilence is the longest run of silent 2.5 ms blocks (rms under
// 300) in s, in milliseconds.
func LongestSilence(s []int16, rate int) float64 {
	block := rate / 400
	run, best := 0, 0
	for i := 0; i+block <= len(s); i += block {
		if Energy(s[i:i+block])/float64(block) < 300*300 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return float64(best) * 1000 / 400
}

// PhaseJumps counts the sudden phase jumps of a steady tone of hz in s:
// the tone's phase is measured in 10 ms blocks against a clock that
// counts samples, so a clean tone keeps it (a slow drift at most) while a
// sample dropped or inserted, or a gap of silence, moves it at once. A
// jump is a move of more than 20 degrees from one clean block to the next
// clean block; a block with a gap or a jump inside (quiet, or under 80 %
// of its energy at hz) is skipped, and consecutive moving blocks count
// once. clean is the number of clean blocks compared.
func PhaseJumps(s []int16, hz float64, rate int) (jumps, clean int) {
	blk := rate / 100
	w := 2 * math.Pi * hz / float64(rate)
	prev, havePrev, inJump := 0.0, false, false
	for off := 0; off+blk <= len(s); off += blk {
		var re, im, e float64
		for i := 0; i < blk; i++ {
			x := float64(s[off+i])
			e += x * x
			re += x * math.Cos(w*float64(off+i))
			im -= x * math.Sin(w*float64(off+i))
		}
		if e/float64(blk) < 1e5 || 2*(re*re+im*im)/float64(blk)/e < 0.8 {
			continue
		}
		ph := math.Atan2(im, re)
		if havePrev {
			clean++
			if d := math.Remainder(ph-prev, 2*math.Pi) * 180 / math.Pi; math.Abs(d) > 20 {
				if !inJump {
					jumps++
				}
				inJump = true
			} else {
				inJump = false
			}
		}
		prev, havePrev = ph, true
	}
	return jumps, clean
}

// BufferLatency is what the server buffers for the playback stream that
// plays into sink (the "Buffer Latency" of its sink input; the largest
// when several play there), 0 when none does.
func BufferLatency(t testing.TB, sink string) time.Duration {
	t.Helper()
	idx := ""
	for _, l := range strings.Split(Pactl(t, "list", "short", "sinks"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == sink {
			idx = f[0]
		}
	}
	var lat time.Duration
	if idx == "" {
		return 0
	}
	for _, blk := range strings.Split(Pactl(t, "list", "sink-inputs"), "Sink Input #") {
		if !strings.Contains(blk, "\n\tSink: "+idx+"\n") {
			continue
		}
		for _, l := range strings.Split(blk, "\n") {
			v, ok := strings.CutPrefix(strings.TrimSpace(l), "Buffer Latency:")
			if !ok {
				continue
			}
			us, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "usec")))
			if err == nil {
				lat = max(lat, time.Duration(us)*time.Microsecond)
			}
		}
	}
	return lat
}
