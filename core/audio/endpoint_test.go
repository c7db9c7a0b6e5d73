package audio

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// Device logic against the fake backend: no sound server needed.

func TestNoSoundServerIsAClearError(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the no-server case is set up for Linux (PulseAudio, ALSA)")
	}
	t.Setenv("PULSE_SERVER", "unix:/nonexistent/cloudcc-test/native")
	old := alsaDevDir
	alsaDevDir = t.TempDir() // no sound card
	defer func() { alsaDevDir = old }()
	s := NewSystem(Config{})
	defer s.Close()
	// Nothing is opened before a device is asked for, nor by bad input.
	if _, err := s.OpenEndpoint(EndpointConfig{Rate: 0}); !errors.Is(err, ErrInvalidRate) {
		t.Fatalf("rate 0: %v", err)
	}
	if s.drv != nil {
		t.Fatal("a backend was opened before any device was used")
	}
	_, err := s.Devices()
	if !errors.Is(err, ErrNoAudioBackend) {
		t.Fatalf("Devices without a server: %v", err)
	}
	for _, want := range []string{"pulseaudio", "alsa: no sound card"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	// A call's endpoint opens silent: each direction says why, once
	// (nobackend_test.go: the devices open when a server answers).
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("OpenEndpoint without a server: %v", err)
	}
	for _, r := range []Role{RoleMicrophone, RoleSpeaker} {
		e := ev.waitEvent(t, time.Second, "no backend for the "+r.String(), func(e Event) bool { return e.Role == r })
		if e.Kind != EventDeviceError || !errors.Is(e.Err, ErrNoAudioBackend) || !strings.Contains(e.Err.Error(), "alsa: no sound card") {
			t.Errorf("%v: %v", r, e)
		}
	}
	_ = ep.Close()
	// So does a ringtone (it starts when a server answers).
	r, err := s.Ring(RingConfig{OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("Ring without a server: %v", err)
	}
	if e := ev.waitEvent(t, time.Second, "no backend for the ringer", func(e Event) bool { return e.Role == RoleRinger }); e.Kind != EventDeviceError || !errors.Is(e.Err, ErrNoAudioBackend) {
		t.Errorf("ringer: %v", e)
	}
	r.Stop()
	if _, err := s.Watch(func(Event) {}); !errors.Is(err, ErrNoAudioBackend) {
		t.Errorf("Watch: %v", err)
	}
	if _, err := s.Backend(); !errors.Is(err, ErrNoAudioBackend) {
		t.Errorf("Backend: %v", err)
	}
}

func TestInvalidRates(t *testing.T) {
	s, f := fakeSystem(t)
	for _, r := range []int{0, -8000, 7999, 8001, 8010, 48050, 96000} {
		if _, err := s.OpenEndpoint(EndpointConfig{Rate: r}); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("rate %d: %v", r, err)
		}
	}
	if f.opens.Load() != 0 {
		t.Fatal("a device was opened for a bad rate")
	}
}

func TestEndpointCarriesAudioThroughTheProcessor(t *testing.T) {
	s, f := fakeSystem(t)
	p := &recordingProcessor{}
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 16000, Processor: p})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if ep.Microphone() != "mic1" || ep.Speaker() != "spk1" {
		t.Fatalf("defaults not taken: %q %q", ep.Microphone(), ep.Speaker())
	}
	// The microphone's ramp comes out negated (the processor's doing),
	// whole and in order.
	var got []int16
	buf := make([]int16, 320)
	waitUntil(t, 2*time.Second, "a second of microphone", func() bool {
		n, err := ep.ReadPCM(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
		return len(got) >= 16000
	})
	// The ring's delay line gives its lookAhead samples of silence first.
	for len(got) > 0 && got[0] == 0 {
		got = got[1:]
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]-1 && !(got[i-1] == math.MinInt16+1 && got[i] == math.MaxInt16) && got[i] != math.MaxInt16 {
			t.Fatalf("sample %d: %d after %d (lost or reordered audio)", i, got[i], got[i-1])
		}
	}
	// What the speaker played is what was written, and the processor's
	// reference is exactly what the speaker got, in 320-sample frames.
	frame := make([]int16, 320)
	for i := range frame {
		frame[i] = int16(i + 1)
	}
	tick := time.NewTicker(20 * time.Millisecond) // the call's clock
	for range 10 {
		ep.WritePCM(frame, 16000)
		<-tick.C
	}
	// Silence after them, so that the ring's delay line (lookAhead
	// samples) lets the last frame's end out.
	ep.WritePCM(make([]int16, 320), 16000)
	tick.Stop()
	dev := f.device("spk1")
	// The device callback records what it played before it hands the same
	// audio to the processor: wait for both.
	waitUntil(t, 2*time.Second, "the frames played and referenced", func() bool {
		if countFrames(dev.playedSamples(), frame) < 10 {
			return false
		}
		p.mu.Lock() // not while holding the device's lock: its callback takes both
		defer p.mu.Unlock()
		return countFrames(p.far, frame) >= 10
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.badSize != 0 {
		t.Fatalf("%d processor calls with a frame that is not 320 samples", p.badSize)
	}
	if n := countFrames(p.far, frame); n != 10 {
		t.Fatalf("the reference holds %d of the 10 frames played", n)
	}
	// The device got silence while it warmed up (the first two
	// callbacks, before it took over), then exactly the reference.
	played := dev.playedSamples()
	warm := 2 * 16000 / 100
	if len(p.far)+warm > len(played) || !equal(p.far, played[warm:warm+len(p.far)]) {
		t.Fatal("the reference differs from what the device got")
	}
	st := ep.Stats()
	if st.Speaker.Device != "spk1" || st.Microphone.Frames == 0 || st.CallWritten != 3520 || st.CallRead == 0 {
		t.Fatalf("stats %+v", st)
	}
}

type recordingProcessor struct {
	mu      sync.Mutex
	far     []int16
	badSize int
}

func (p *recordingProcessor) Playback(far []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(far) != 320 {
		p.badSize++
	}
	p.far = append(p.far, far...)
}

func (p *recordingProcessor) Capture(near, out []int16) {
	p.mu.Lock()
	if len(near) != 320 || len(out) != 320 {
		p.badSize++
	}
	p.mu.Unlock()
	for i := range near {
		out[i] = -near[i]
	}
}

func countFrames(s, frame []int16) int {
	n := 0
	for i := 0; i+len(frame) <= len(s); i++ {
		if equal(s[i:i+len(frame)], frame) {
			n++
			i += len(frame) - 1
		}
	}
	return n
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFailingDeviceNeverEndsTheEndpoint(t *testing.T) {
	s, f := fakeSystem(t)
	f.failOpen["spk2"] = true
	ev := newEvents()
	// A speaker that fails at the start: an event, silence, the endpoint runs.
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "spk2", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	e := ev.waitEvent(t, time.Second, "device error", func(e Event) bool { return e.Kind == EventDeviceError })
	if e.Role != RoleSpeaker || e.Old != "spk2" || !errors.Is(e.Err, ErrDeviceOpen) {
		t.Fatalf("event %+v", e)
	}
	if ep.Speaker() != "" || ep.Microphone() != "mic1" {
		t.Fatalf("devices %q %q", ep.Speaker(), ep.Microphone())
	}
	ep.WritePCM(make([]int16, 160), 8000) // goes nowhere, harmlessly
	// The speaker is chosen again, and fails again: an error, nothing changes.
	if err := ep.SetSpeaker("spk2"); !errors.Is(err, ErrDeviceOpen) {
		t.Fatalf("SetSpeaker(failing): %v", err)
	}
	// A working one.
	if err := ep.SetSpeaker("spk1"); err != nil {
		t.Fatal(err)
	}
	if err := ep.SetSpeaker("spk2"); !errors.Is(err, ErrDeviceOpen) || ep.Speaker() != "spk1" {
		t.Fatalf("SetSpeaker(failing) with spk1 in use: %v, now %q", err, ep.Speaker())
	}
	if err := ep.SetMicrophone("nope"); !errors.Is(err, ErrUnknownDevice) || ep.Microphone() != "mic1" {
		t.Fatalf("SetMicrophone(unknown): %v, now %q", err, ep.Microphone())
	}
	if err := ep.SetSpeaker("mic1"); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("a microphone as speaker: %v", err)
	}
}

func TestFailedDeviceIsRetriedWhenDevicesChange(t *testing.T) {
	s, f := fakeSystem(t)
	f.failOpen["spk1"] = true
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ev.waitEvent(t, time.Second, "device error", func(e Event) bool { return e.Kind == EventDeviceError })
	f.mu.Lock()
	f.failOpen["spk1"] = false
	f.mu.Unlock()
	f.set(KindPlayback, "spk1", "spk2", "spk3") // a device was plugged in
	e := ev.waitEvent(t, 2*time.Second, "recovery", func(e Event) bool { return e.Kind == EventFallback })
	if e.New != "spk1" || ep.Speaker() != "spk1" {
		t.Fatalf("event %+v, speaker %q", e, ep.Speaker())
	}
}

func TestRemovedDeviceFallsBackToTheDefault(t *testing.T) {
	s, f := fakeSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "spk2", Microphone: "mic2", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	f.set(KindPlayback, "spk1")
	e := ev.waitEvent(t, 2*time.Second, "fallback", func(e Event) bool { return e.Kind == EventFallback })
	if e.Role != RoleSpeaker || e.Old != "spk2" || e.New != "spk1" || ep.Speaker() != "spk1" {
		t.Fatalf("event %+v, speaker %q", e, ep.Speaker())
	}
	f.set(KindCapture, "mic1")
	e = ev.waitEvent(t, 2*time.Second, "fallback", func(e Event) bool { return e.Kind == EventFallback })
	if e.Role != RoleMicrophone || e.Old != "mic2" || e.New != "mic1" || ep.Microphone() != "mic1" {
		t.Fatalf("event %+v, microphone %q", e, ep.Microphone())
	}
	// After a fallback the stream follows the default.
	f.set(KindPlayback, "spk3", "spk1")
	e = ev.waitEvent(t, 2*time.Second, "follow", func(e Event) bool { return e.Kind == EventFollowDefault })
	if e.Old != "spk1" || e.New != "spk3" {
		t.Fatalf("event %+v", e)
	}
	// The last device goes: an error, the endpoint stays, silent.
	f.set(KindPlayback)
	e = ev.waitEvent(t, 2*time.Second, "no device left", func(e Event) bool { return e.Kind == EventDeviceError })
	if !errors.Is(e.Err, ErrUnknownDevice) || ep.Speaker() != "" {
		t.Fatalf("event %+v, speaker %q", e, ep.Speaker())
	}
	n, err := ep.ReadPCM(make([]int16, 160))
	if err != nil || n < 0 {
		t.Fatalf("ReadPCM after losing the speaker: %d %v", n, err)
	}
}

func TestStalledDeviceIsReopened(t *testing.T) {
	s, f := fakeSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "spk2", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	waitUntil(t, time.Second, "callbacks", func() bool { return ep.Stats().Speaker.Callbacks > 0 })
	f.device("spk2").freeze.Store(true)
	e := ev.waitEvent(t, 2*time.Second, "stall", func(e Event) bool { return e.Kind == EventDeviceError })
	if !errors.Is(e.Err, ErrDeviceStalled) || e.Old != "spk2" {
		t.Fatalf("event %+v", e)
	}
	e = ev.waitEvent(t, 2*time.Second, "reopen", func(e Event) bool { return e.Kind == EventFallback })
	if e.Old != "spk2" || e.New != "spk2" {
		t.Fatalf("event %+v", e)
	}
}

func TestWatchReportsChanges(t *testing.T) {
	s, f := fakeSystem(t)
	ev := newEvents()
	cancel, err := s.Watch(ev.fn)
	if err != nil {
		t.Fatal(err)
	}
	f.set(KindCapture, "mic2", "mic1", "mic3")
	e := ev.waitEvent(t, 2*time.Second, "changed", func(e Event) bool { return e.Kind == EventDevicesChanged })
	if len(e.Added) != 1 || e.Added[0].ID != "mic3" || e.Added[0].Kind != KindCapture || !e.DefaultChanged || len(e.Removed) != 0 {
		t.Fatalf("event %+v", e)
	}
	cancel()
	cancel()
}

// Switching while the call reads and writes from other goroutines (run
// under -race).
func TestSwitchingWhileTheCallRuns(t *testing.T) {
	s, _ := fakeSystem(t)
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]int16, 160)
		for {
			select {
			case <-quit:
				return
			default:
			}
			ep.WritePCM(buf, 8000)
			ep.WritePCM(buf, 16000)
			_, _ = ep.ReadPCM(buf)
			_ = ep.Stats()
			runtime.Gosched()
		}
	}()
	for i := range 20 {
		if err := ep.SetSpeaker([]string{"spk1", "spk2"}[i%2]); err != nil {
			t.Fatal(err)
		}
		if err := ep.SetMicrophone([]string{"mic1", "mic2", ""}[i%3]); err != nil {
			t.Fatal(err)
		}
	}
	close(quit)
	wg.Wait()
	_ = ep.Close()
	if _, err := ep.ReadPCM(make([]int16, 160)); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadPCM after Close: %v", err)
	}
	if err := ep.SetSpeaker("spk1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetSpeaker after Close: %v", err)
	}
	_ = ep.Close()
}

func TestRingtoneLoopsOnFake(t *testing.T) {
	s, f := fakeSystem(t)
	clip := &Clip{Rate: 8000, Channels: 1, Samples: []int16{1000, 2000, 3000}}
	r, err := s.Ring(RingConfig{Clip: clip, Device: "spk2", Volume: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	dev := f.device("spk2")
	waitUntil(t, time.Second, "some ringing", func() bool { return len(dev.playedSamples()) >= 300 })
	p := dev.playedSamples()[2*80:] // after the warm-up callbacks' silence
	for i, v := range p[:100] {
		if want := int16(500 * (i%3 + 1)); v != want {
			t.Fatalf("sample %d: %d, want %d", i, v, want)
		}
	}
	r.Stop()
	r.Stop()
	if f.device("spk2") != nil {
		t.Fatal("the ringer's device is still open after Stop")
	}
	if _, err := s.Ring(RingConfig{Device: "nope"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("unknown ringer: %v", err)
	}
	if _, err := s.Ring(RingConfig{Clip: &Clip{Rate: 8000, Channels: 3, Samples: make([]int16, 9)}}); !errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("3 channels: %v", err)
	}
	if _, err := s.Ring(RingConfig{Clip: &Clip{Rate: 8000, Channels: 2, Samples: make([]int16, 9)}}); !errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("stereo with half a frame: %v", err)
	}
}

func TestSystemClose(t *testing.T) {
	s, f := fakeSystem(t)
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if f.device("spk1") != nil || f.device("mic1") != nil {
		t.Fatal("devices left open by Close")
	}
	if _, err := s.Devices(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Devices after Close: %v", err)
	}
	_ = ep.Close()
}

// The default device in use goes, and for a moment there is no default at
// all (the sound server has not chosen the next one yet): the stream goes
// silent with an error, and the fallback that follows still names the
// device that left, as the app shows it.
func TestFallbackAfterASilenceNamesTheLostDevice(t *testing.T) {
	s, f := fakeSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	f.mu.Lock()
	f.devs[KindPlayback] = []rawDevice{{id: "spk2", name: "Speaker 2"}} // spk1 gone, no default
	f.mu.Unlock()
	e := ev.waitEvent(t, 2*time.Second, "no default", func(e Event) bool { return e.Kind == EventDeviceError })
	if e.Old != "spk1" || !errors.Is(e.Err, ErrUnknownDevice) || ep.Speaker() != "" {
		t.Fatalf("event %+v, speaker %q", e, ep.Speaker())
	}
	f.set(KindPlayback, "spk2") // the server's new default
	e = ev.waitEvent(t, 2*time.Second, "fallback", func(e Event) bool { return e.Kind == EventFallback })
	if e.Role != RoleSpeaker || e.Old != "spk1" || e.New != "spk2" || ep.Speaker() != "spk2" {
		t.Fatalf("event %+v, speaker %q", e, ep.Speaker())
	}
	// A device that failed at the start, once it opens, is named too.
	f.mu.Lock()
	f.failOpen["mic2"] = true
	f.mu.Unlock()
	ep2, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Microphone: "mic2", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep2.Close()
	ev.waitEvent(t, 2*time.Second, "open error", func(e Event) bool { return e.Kind == EventDeviceError && e.Old == "mic2" })
	f.mu.Lock()
	f.failOpen["mic2"] = false
	f.mu.Unlock()
	f.set(KindCapture, "mic1", "mic2", "mic3")
	e = ev.waitEvent(t, 2*time.Second, "recovery", func(e Event) bool { return e.Kind == EventFallback && e.Role == RoleMicrophone })
	if e.Old != "mic2" || e.New != "mic2" {
		t.Fatalf("event %+v", e)
	}
}

// A rate of 0 or less says nothing of the samples' timing: they are
// dropped, not played as if at the endpoint's rate.
func TestWritePCMBadRateChangesNothing(t *testing.T) {
	s, _ := fakeSystem(t)
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for _, rate := range []int{0, -8000} {
		ep.WritePCM(make([]int16, 160), rate)
	}
	if st := ep.Stats(); st.CallWritten != 0 || st.Speaker.Buffered != 0 {
		t.Fatalf("bad rates queued audio: written %d, buffered %d", st.CallWritten, st.Speaker.Buffered)
	}
	ep.WritePCM(make([]int16, 160), 16000)
	if st := ep.Stats(); st.CallWritten != 80 {
		t.Fatalf("16 kHz: written %d, want 80", st.CallWritten)
	}
}

// panicProcessor panics in Capture (or Playback) from its nth frame on.
type panicProcessor struct {
	n                 int
	inCapture         bool
	captures, playbks atomic.Int64
}

func (p *panicProcessor) Playback([]int16) {
	if p.playbks.Add(1) >= int64(p.n) && !p.inCapture {
		panic("processor bug in Playback")
	}
}

func (p *panicProcessor) Capture(near, out []int16) {
	if p.captures.Add(1) >= int64(p.n) && p.inCapture {
		panic("processor bug in Capture")
	}
	for i, v := range near {
		out[i] = -v
	}
}

// A Processor that panics on a device thread (a backend's C thread: an
// unrecovered panic ends the program) never ends the endpoint: it is
// dropped, an event says so once, and the microphone goes on unprocessed.
func TestPanickingProcessorIsDropped(t *testing.T) {
	for _, inCapture := range []bool{true, false} {
		s, _ := fakeSystem(t)
		ev := newEvents()
		p := &panicProcessor{n: 5, inCapture: inCapture}
		ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Processor: p, OnEvent: ev.fn})
		if err != nil {
			t.Fatal(err)
		}
		e := ev.waitEvent(t, 2*time.Second, "processor failed", func(e Event) bool { return e.Kind == EventDeviceError })
		wantRole := map[bool]Role{true: RoleMicrophone, false: RoleSpeaker}[inCapture]
		// The panic's own text stays out of the error (it may carry a
		// secret); the site is named.
		if !errors.Is(e.Err, ErrProcessorFailed) || !errors.Is(e.Err, sdkerr.ErrInternal) || e.Role != wantRole ||
			strings.Contains(e.Err.Error(), "processor bug") || !strings.Contains(e.Err.Error(), "audio: voice processor") {
			t.Fatalf("event %+v", e)
		}
		// The microphone's ramp now comes through as it is (rising), with
		// the processor called no more.
		c0, p0 := p.captures.Load(), p.playbks.Load()
		var got []int16
		buf := make([]int16, 160)
		waitUntil(t, 2*time.Second, "unprocessed microphone audio", func() bool {
			n, err := ep.ReadPCM(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
			return len(got) >= 4000
		})
		// The ring still held up to ~100 ms processed (falling) from
		// before the panic; from some point on every sample is the
		// unprocessed ramp, and that point is well before the end.
		last := 0 // the last sample that is not the ramp's next
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				last = i
			}
		}
		if len(got)-last < 2400 {
			t.Fatalf("inCapture %v: after the panic: sample %d of %d is %d after %d (not the unprocessed ramp)",
				inCapture, last, len(got), got[last], got[last-1])
		}
		if p.captures.Load() != c0 || p.playbks.Load() != p0 {
			t.Fatalf("the processor was called %d/%d more times", p.captures.Load()-c0, p.playbks.Load()-p0)
		}
		select {
		case e := <-ev.ch:
			t.Fatalf("a second event: %+v", e)
		default:
		}
		_ = ep.Close()
	}
}

// A machine with a speaker but no microphone at all (none plugged in,
// or disabled): the call still plays the customer, the missing direction
// is an event, and a microphone plugged in mid-call is taken. Only an id
// the app named and that does not exist is an error.
func TestMissingDefaultDeviceIsSilentNotAnError(t *testing.T) {
	s, f := fakeSystem(t)
	f.set(KindCapture)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("no microphone refused the whole endpoint: %v", err)
	}
	defer ep.Close()
	e := ev.waitEvent(t, time.Second, "no microphone", func(e Event) bool { return e.Kind == EventDeviceError })
	if e.Role != RoleMicrophone || !errors.Is(e.Err, ErrUnknownDevice) || ep.Microphone() != "" || ep.Speaker() != "spk1" {
		t.Fatalf("event %+v, microphone %q, speaker %q", e, ep.Microphone(), ep.Speaker())
	}
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 1000
	}
	for range 10 {
		ep.WritePCM(frame, 8000)
	}
	dev := f.device("spk1")
	waitUntil(t, 2*time.Second, "the customer on the speaker", func() bool { return countFrames(dev.playedSamples(), frame[:80]) > 0 })
	f.set(KindCapture, "headset-mic")
	e = ev.waitEvent(t, 2*time.Second, "the plugged microphone", func(e Event) bool { return e.Kind == EventFallback })
	if e.Role != RoleMicrophone || e.New != "headset-mic" || ep.Microphone() != "headset-mic" {
		t.Fatalf("event %+v, microphone %q", e, ep.Microphone())
	}
	// A ringtone with no output device at all rings once one is there.
	f.set(KindPlayback)
	r, err := s.Ring(RingConfig{OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("no output device refused the ringtone: %v", err)
	}
	defer r.Stop()
	ev.waitEvent(t, time.Second, "no ringer", func(e Event) bool { return e.Kind == EventDeviceError && e.Role == RoleRinger })
	f.set(KindPlayback, "spk9")
	ev.waitEvent(t, 2*time.Second, "the ringer plugged", func(e Event) bool { return e.Kind == EventFallback && e.Role == RoleRinger && e.New == "spk9" })
	// Named devices that do not exist are still refused.
	if _, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Microphone: "nope"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("unknown microphone: %v", err)
	}
}
