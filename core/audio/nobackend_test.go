package audio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// No sound backend when a call's endpoint opens (a desktop session's
// PulseAudio starting a few seconds after the SDK), on the fake backend.

// lateBackend is a fake backend that does not answer until up is called;
// it notes when each connection was tried.
type lateBackend struct {
	f     *fakeDriver
	mu    sync.Mutex
	up    bool
	tries []time.Time
}

func (l *lateBackend) newDriver(Config) (driver, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tries = append(l.tries, time.Now())
	if !l.up {
		return nil, fmt.Errorf("%w (fake: no server at the socket)", ErrNoAudioBackend)
	}
	return l.f, nil
}

func (l *lateBackend) start() {
	l.mu.Lock()
	l.up = true
	l.mu.Unlock()
}

func (l *lateBackend) attempts() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.tries...)
}

func lateSystem(t *testing.T, poll time.Duration) (*System, *lateBackend) {
	l := &lateBackend{f: newFakeDriver()}
	s := newSystem(Config{PollInterval: poll, StallTimeout: 300 * time.Millisecond}, l.newDriver)
	t.Cleanup(func() { _ = s.Close() })
	return s, l
}

// watching reports whether the System's watcher goroutine runs.
func (s *System) watchingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watching
}

// The endpoint opens silent, each direction says why once, the System
// keeps looking with a growing wait, and when the backend answers the
// devices open (fallback events) and audio flows both ways.
func TestEndpointWaitsForALateBackend(t *testing.T) {
	const poll = 20 * time.Millisecond
	s, l := lateSystem(t, poll)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "spk2", OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("no sound server refused the call's endpoint: %v", err)
	}
	defer ep.Close()
	// The start's events are emitted before OpenEndpoint returns.
	roles := map[Role]Event{}
	for len(roles) < 2 {
		select {
		case e := <-ev.ch:
			if e.Kind != EventDeviceError || !errors.Is(e.Err, ErrNoAudioBackend) {
				t.Fatalf("event %v, want a device error for no backend", e)
			}
			roles[e.Role] = e
		default:
			t.Fatalf("OpenEndpoint returned with events for %v only", roles)
		}
	}
	if roles[RoleSpeaker].Old != "spk2" || roles[RoleMicrophone].Old != "" || ep.Speaker() != "" || ep.Microphone() != "" {
		t.Fatalf("events %v, devices %q %q", roles, ep.Microphone(), ep.Speaker())
	}
	if n, err := ep.ReadPCM(make([]int16, 160)); n != 0 || err != nil {
		t.Fatalf("ReadPCM without devices: %d %v", n, err)
	}
	// The watcher keeps trying, backing off to 10 PollIntervals: once the
	// wait has grown, consecutive tries are at least 5 apart (a lower
	// bound only: a loaded machine makes them later, never sooner).
	open := len(l.attempts())
	waitUntil(t, 10*time.Second, "eight tries by the watcher", func() bool { return len(l.attempts()) >= open+8 })
	tries := l.attempts()
	var gaps []time.Duration
	for i := open; i < len(tries); i++ {
		gaps = append(gaps, tries[i].Sub(tries[i-1]).Round(time.Millisecond))
	}
	t.Logf("PollInterval %v: the watcher's tries came after %v", poll, gaps)
	for i := open + 4; i < len(tries); i++ {
		if gap := tries[i].Sub(tries[i-1]); gap < 5*poll {
			t.Errorf("try %d came %v after the one before: no backoff (want at least %v)", i-open, gap, 5*poll)
		}
	}
	select {
	case e := <-ev.ch:
		t.Fatalf("an event while retrying: %v (the start's error is said once)", e)
	default:
	}
	l.start()
	got := map[Role]Event{}
	for len(got) < 2 {
		e := ev.waitEvent(t, 5*time.Second, "the devices opened", func(e Event) bool { return e.Kind == EventFallback })
		got[e.Role] = e
	}
	if m, sp := got[RoleMicrophone], got[RoleSpeaker]; m.Old != "" || m.New != "mic1" || sp.Old != "spk2" || sp.New != "spk2" ||
		ep.Microphone() != "mic1" || ep.Speaker() != "spk2" {
		t.Fatalf("fallbacks %v, devices %q %q", got, ep.Microphone(), ep.Speaker())
	}
	// Audio flows: the customer reaches the speaker, the microphone the call.
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(i + 1)
	}
	dev := l.f.device("spk2")
	waitUntil(t, 5*time.Second, "the customer on the speaker", func() bool {
		ep.WritePCM(frame, 8000)
		return countFrames(dev.playedSamples(), frame) > 0
	})
	buf := make([]int16, 160)
	waitUntil(t, 5*time.Second, "the microphone at the call", func() bool {
		n, err := ep.ReadPCM(buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range buf[:n] {
			if v != 0 {
				return true
			}
		}
		return false
	})
	select {
	case e := <-ev.ch:
		t.Fatalf("a further event: %v", e)
	default:
	}
	// The call ends: the watcher ends with it.
	_ = ep.Close()
	waitUntil(t, 5*time.Second, "the watcher stopped", func() bool { return !s.watchingNow() })
}

// A chosen device that is not there once the backend answers: the
// stream falls back to the default (and follows it from then on); a
// kind with no device at all is one more error event, then a device
// plugged in is taken.
func TestLateBackendWithoutTheChosenDevice(t *testing.T) {
	s, l := lateSystem(t, 20*time.Millisecond)
	l.f.set(KindCapture)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "gone", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for range 2 {
		ev.waitEvent(t, time.Second, "no backend", func(e Event) bool { return errors.Is(e.Err, ErrNoAudioBackend) })
	}
	l.start()
	got := map[Role]Event{}
	for len(got) < 2 {
		e := ev.waitEvent(t, 5*time.Second, "the backend's first look", func(Event) bool { return true })
		got[e.Role] = e
	}
	if e := got[RoleSpeaker]; e.Kind != EventFallback || e.Old != "gone" || e.New != "spk1" {
		t.Fatalf("speaker: %v, want a fallback from gone to spk1", e)
	}
	if e := got[RoleMicrophone]; e.Kind != EventDeviceError || !errors.Is(e.Err, ErrUnknownDevice) {
		t.Fatalf("microphone: %v, want no device", e)
	}
	l.f.set(KindCapture, "headset-mic")
	ev.waitEvent(t, 5*time.Second, "the plugged microphone", func(e Event) bool {
		return e.Kind == EventFallback && e.Role == RoleMicrophone && e.New == "headset-mic"
	})
	// The speaker follows the default now.
	l.f.set(KindPlayback, "spk2", "spk1")
	ev.waitEvent(t, 5*time.Second, "the speaker following the default", func(e Event) bool {
		return e.Kind == EventFollowDefault && e.Role == RoleSpeaker && e.New == "spk2"
	})
}

// Closing the endpoint while the watcher waits for a backend ends the
// watcher now, without one more connection attempt; closing the System
// does too.
func TestClosingWhileWaitingForABackend(t *testing.T) {
	// A PollInterval longer than the test's deadlines: only the close
	// can wake the watcher in time.
	s, l := lateSystem(t, 30*time.Second)
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	if !s.watchingNow() {
		t.Fatal("no watcher for the endpoint waiting for a backend")
	}
	tries := len(l.attempts())
	_ = ep.Close()
	waitUntil(t, 5*time.Second, "the watcher stopped after the call", func() bool { return !s.watchingNow() })
	if n := len(l.attempts()); n != tries {
		t.Fatalf("%d connection attempts after the endpoint closed", n-tries)
	}
	ep, err = s.OpenEndpoint(EndpointConfig{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("System.Close waited for the watcher's backoff")
	}
	if s.watchingNow() {
		t.Fatal("the watcher runs after System.Close")
	}
	_ = ep.Close()
}

func TestLookBackoff(t *testing.T) {
	s := newSystem(Config{}, nil)
	for misses, want := range map[int]time.Duration{0: 500 * time.Millisecond, 1: time.Second, 2: 2 * time.Second,
		3: 4 * time.Second, 4: 5 * time.Second, 1000: 5 * time.Second} {
		if got := s.lookAfter(misses); got != want {
			t.Errorf("lookAfter(%d) = %v, want %v", misses, got, want)
		}
	}
}

// A call rings before the sound server is up: the ringtone says why
// once, starts on the ringer device when the backend answers, and its
// Stop ends the watcher.
func TestRingWaitsForALateBackend(t *testing.T) {
	s, l := lateSystem(t, 20*time.Millisecond)
	ev := newEvents()
	clip := &Clip{Rate: 8000, Channels: 1, Samples: []int16{1000, 2000, 3000}}
	r, err := s.Ring(RingConfig{Clip: clip, Device: "spk2", OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("no sound server refused the ringtone: %v", err)
	}
	e := ev.waitEvent(t, time.Second, "no backend", func(Event) bool { return true })
	if e.Kind != EventDeviceError || e.Role != RoleRinger || e.Old != "spk2" || !errors.Is(e.Err, ErrNoAudioBackend) {
		t.Fatalf("event %v, want the ringer's no-backend error", e)
	}
	tries := len(l.attempts())
	waitUntil(t, 5*time.Second, "the watcher trying again", func() bool { return len(l.attempts()) >= tries+2 })
	l.start()
	e = ev.waitEvent(t, 5*time.Second, "the ringer opened", func(Event) bool { return true })
	if e.Kind != EventFallback || e.Role != RoleRinger || e.New != "spk2" {
		t.Fatalf("event %v, want the ringer opening spk2", e)
	}
	dev := l.f.device("spk2")
	waitUntil(t, 5*time.Second, "the ring on spk2", func() bool {
		for _, v := range dev.playedSamples() {
			if v == 3000 {
				return true
			}
		}
		return false
	})
	r.Stop()
	waitUntil(t, 5*time.Second, "the watcher stopped", func() bool { return !s.watchingNow() })
	if l.f.device("spk2") != nil {
		t.Fatal("the ringer's device is open after Stop")
	}
}

// upFrom is a fake backend that answers from its n-th connection attempt
// on (the attempts before fail as if no server listened).
func upFrom(f driver, n int32) func(Config) (driver, error) {
	var tries atomic.Int32
	return func(Config) (driver, error) {
		if tries.Add(1) < n {
			return nil, fmt.Errorf("%w (fake: not yet)", ErrNoAudioBackend)
		}
		return f, nil
	}
}

// The server answers at the watcher's first listing, right after the
// ringtone's own start found none: no later look sees a change, yet the
// ring opens (the stream remembers it never had a backend).
func TestBackendAnsweringAtTheFirstListing(t *testing.T) {
	f := newFakeDriver()
	s := newSystem(Config{PollInterval: 20 * time.Millisecond, StallTimeout: 300 * time.Millisecond}, upFrom(f, 2))
	t.Cleanup(func() { _ = s.Close() })
	ev := ringWithEvents(t, s)
	ev.waitEvent(t, time.Second, "no backend", func(e Event) bool {
		return e.Kind == EventDeviceError && errors.Is(e.Err, ErrNoAudioBackend)
	})
	ev.waitEvent(t, 2*time.Second, "the ringer opened", func(e Event) bool { return e.Kind == EventFallback && e.New == "spk1" })
}

// gatedDevice holds a device's start until the gate opens (or a second
// passes): a device that takes its time to start.
type gatedDevice struct {
	hwDevice
	gate func()
}

func (g gatedDevice) start() error { g.gate(); return g.hwDevice.start() }

type gatedDriver struct {
	*fakeDriver
	gate func(Kind)
}

func (g gatedDriver) open(k Kind, id string, rate, channels int, cb deviceCallbacks) (hwDevice, error) {
	d, err := g.fakeDriver.open(k, id, rate, channels, cb)
	if err != nil {
		return nil, err
	}
	return gatedDevice{d, func() { g.gate(k) }}, nil
}

// The server answers while OpenEndpoint is still starting the speaker,
// after the microphone found none: the microphone's "no backend" error
// reaches the app before the fallback that opens it, never after (an app
// would show a working microphone as failed). The watcher reaches the
// microphone during the speaker's start only when it looks at the
// microphone first (map order): ten endpoints make a miss unlikely
// (1 in 1024).
func TestLateBackendEventsInOrder(t *testing.T) {
	for i := range 10 {
		if got := lateEndpointEvents(t); len(got) != 2 || got[0] != "microphone device_error" {
			t.Fatalf("endpoint %d: the microphone's events in order: %q, want its error, then its fallback", i, got)
		}
	}
}

// lateEndpointEvents opens an endpoint whose backend answers while its
// speaker starts, and returns the microphone's events up to its fallback.
func lateEndpointEvents(t *testing.T) []string {
	f := newFakeDriver()
	// The speaker's start waits (up to 200 ms) for the watcher to open
	// the microphone: the widest window for the race.
	gd := gatedDriver{f, func(k Kind) {
		if k != KindPlayback {
			return
		}
		deadline := time.Now().Add(200 * time.Millisecond)
		for f.device("mic1") == nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling the fake: nothing signals an open
		}
	}}
	// Attempts: the ids' check (1), the microphone's start (2), the
	// watcher's first listing (3); the speaker's start (4) finds it. (A
	// stall timeout longer than the speaker's hold: it is slow, not
	// stalled.)
	s := newSystem(Config{PollInterval: 10 * time.Millisecond, StallTimeout: 3 * time.Second}, upFrom(gd, 4))
	defer s.Close()
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	var got []string
	for {
		e := ev.waitEvent(t, 3*time.Second, "the microphone opened", func(Event) bool { return true })
		if e.Role == RoleSpeaker {
			t.Fatalf("a speaker event %v: the scenario did not happen (the speaker should open at start)", e)
		}
		got = append(got, e.Role.String()+" "+e.Kind.String())
		if e.Kind == EventFallback {
			return got
		}
	}
}

// The first device a late backend offers refuses to open for a moment (a
// server that has just started): it is tried again at the next looks, not
// only when the devices change.
func TestLateBackendRetriesARefusedDevice(t *testing.T) {
	s, l := lateSystem(t, 20*time.Millisecond)
	l.f.mu.Lock()
	l.f.failOpen["spk1"] = true
	l.f.mu.Unlock()
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	l.start()
	ev.waitEvent(t, 5*time.Second, "the speaker refused", func(e Event) bool {
		return e.Role == RoleSpeaker && e.Kind == EventDeviceError && errors.Is(e.Err, ErrDeviceOpen)
	})
	l.f.mu.Lock()
	l.f.failOpen["spk1"] = false
	l.f.mu.Unlock()
	ev.waitEvent(t, 5*time.Second, "the speaker opened", func(e Event) bool {
		return e.Role == RoleSpeaker && e.Kind == EventFallback && e.New == "spk1"
	})
}

// System.Close while the watcher's round is in an event callback that
// subscribes to the device list (as the agent does on a fallback): no
// watcher runs after Close.
func TestCloseDuringAFallbackThatWatches(t *testing.T) {
	s, l := lateSystem(t, 20*time.Millisecond)
	entered := make(chan struct{})
	var once sync.Once
	onEvent := func(e Event) {
		if e.Kind != EventFallback {
			return
		}
		once.Do(func() {
			close(entered)
			for !s.closingNow() { // Close has begun and waits for this round
				time.Sleep(time.Millisecond)
			}
			_, _ = s.Watch(func(Event) {})
		})
	}
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: onEvent})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	l.start()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no fallback")
	}
	_ = s.Close()
	if s.watchingNow() {
		t.Fatal("a watcher runs after System.Close")
	}
}

func (s *System) closingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// namedDriver is a fake on a named backend.
type namedDriver struct {
	*fakeDriver
	name Backend
}

func (n namedDriver) backend() string { return string(n.name) }

// A Linux desktop with a sound card whose PulseAudio starts after the
// call: the first look finds ALSA, whose default device (the pulse
// plugin) will not open. The System does not settle for ALSA while the
// call has no device: it probes PulseAudio (alone, backing off), and when
// it answers the call's devices open on it.
func TestLateServerBeatsTheSoundCard(t *testing.T) {
	alsa, pulse := newFakeDriver(), newFakeDriver()
	alsa.set(KindCapture, "default")
	alsa.set(KindPlayback, "default")
	alsa.failOpen["default"] = true
	pulse.set(KindCapture, "pa_mic")
	pulse.set(KindPlayback, "pa_spk")
	var up atomic.Bool
	b := &backends{alsa: namedDriver{alsa, BackendALSA}, pulse: namedDriver{pulse, BackendPulseAudio}, pulseUp: &up}
	s := newSystem(Config{Backends: []Backend{BackendPulseAudio, BackendALSA}, PollInterval: 20 * time.Millisecond,
		StallTimeout: 300 * time.Millisecond}, b.newDriver)
	t.Cleanup(func() { _ = s.Close() })
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for range 2 {
		ev.waitEvent(t, time.Second, "ALSA's default refused", func(e Event) bool {
			return e.Kind == EventDeviceError && errors.Is(e.Err, ErrDeviceOpen)
		})
	}
	up.Store(true)
	got := map[Role]string{}
	for len(got) < 2 {
		e := ev.waitEvent(t, 5*time.Second, "the devices opened on PulseAudio", func(e Event) bool { return e.Kind == EventFallback })
		got[e.Role] = e.New
	}
	if got[RoleMicrophone] != "pa_mic" || got[RoleSpeaker] != "pa_spk" {
		t.Fatalf("opened %v, want pa_mic and pa_spk", got)
	}
	if b, err := s.Backend(); b != BackendPulseAudio || err != nil {
		t.Fatalf("backend %q, %v", b, err)
	}
}

// On a machine with ALSA and no PulseAudio at all, a stream that waits
// (its default refuses to open) costs one ALSA driver, not one a look;
// PulseAudio is probed with a growing wait; and a device plugged in is
// seen at the next look.
func TestProbingPulseKeepsTheSoundCard(t *testing.T) {
	const poll = 20 * time.Millisecond
	alsa := newFakeDriver()
	alsa.set(KindPlayback, "default")
	alsa.failOpen["default"] = true
	b := &backends{alsa: namedDriver{alsa, BackendALSA}, pulseUp: &atomic.Bool{}}
	s := newSystem(Config{Backends: []Backend{BackendPulseAudio, BackendALSA}, PollInterval: poll, StallTimeout: 300 * time.Millisecond},
		b.newDriver)
	t.Cleanup(func() { _ = s.Close() })
	ev := ringWithEvents(t, s)
	ev.waitEvent(t, time.Second, "the default refused", func(e Event) bool { return errors.Is(e.Err, ErrDeviceOpen) })
	waitUntil(t, 10*time.Second, "six probes of PulseAudio", func() bool { return len(b.probeTimes()) >= 6 })
	probes := b.probeTimes()
	for i := 4; i < len(probes); i++ {
		if gap := probes[i].Sub(probes[i-1]); gap < 5*poll {
			t.Errorf("probe %d came %v after the one before: no backoff (want at least %v)", i, gap, 5*poll)
		}
	}
	plugged := time.Now()
	alsa.set(KindPlayback, "usb", "default")
	ev.waitEvent(t, 5*time.Second, "the plugged device", func(e Event) bool { return e.Kind == EventFallback && e.New == "usb" })
	t.Logf("plug-in seen after %v; %d ALSA drivers made", time.Since(plugged).Round(time.Millisecond), b.alsaMade.Load())
	if n := b.alsaMade.Load(); n != 1 {
		t.Fatalf("%d ALSA drivers made: the driver was made anew while PulseAudio was probed", n)
	}
}

// backends fakes a machine with ALSA and maybe PulseAudio: each driver
// is made from the first backend of the order that answers.
type backends struct {
	alsa, pulse driver
	pulseUp     *atomic.Bool
	alsaMade    atomic.Int64
	mu          sync.Mutex
	probes      []time.Time // PulseAudio tried and not there
}

func (b *backends) newDriver(cfg Config) (driver, error) {
	for _, k := range cfg.Backends {
		switch k {
		case BackendPulseAudio:
			if b.pulseUp.Load() {
				return b.pulse, nil
			}
			b.mu.Lock()
			b.probes = append(b.probes, time.Now())
			b.mu.Unlock()
		case BackendALSA:
			if b.alsa != nil {
				b.alsaMade.Add(1)
				return b.alsa, nil
			}
		}
	}
	return nil, fmt.Errorf("%w (fake: none of %v)", ErrNoAudioBackend, cfg.Backends)
}

func (b *backends) probeTimes() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.probes...)
}

// countingDriver counts the device listings (a look lists each kind).
type countingDriver struct {
	*fakeDriver
	lists *atomic.Int64
}

func (c countingDriver) list(k Kind) ([]rawDevice, error) {
	c.lists.Add(1)
	return c.fakeDriver.list(k)
}

// A device plugged in while OpenEndpoint still emits its start events
// (the app's handler is slow) is not lost: the microphone, whose default
// refused to open, takes it once released.
func TestChangeWhileStartingIsKept(t *testing.T) {
	f := newFakeDriver()
	f.failOpen["mic1"] = true
	var lists atomic.Int64
	s := newSystem(Config{PollInterval: 10 * time.Millisecond, StallTimeout: 300 * time.Millisecond},
		func(Config) (driver, error) { return countingDriver{f, &lists}, nil })
	t.Cleanup(func() { _ = s.Close() })
	ev := newEvents()
	var once sync.Once
	onEvent := func(e Event) {
		once.Do(func() {
			// The app's first handler plugs a headset in and is slow: the
			// watcher looks twice meanwhile.
			f.set(KindCapture, "mic3", "mic1", "mic2")
			seen := lists.Load()
			deadline := time.Now().Add(5 * time.Second)
			for lists.Load() < seen+4 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond) // polling the fake's counter
			}
		})
		ev.fn(e)
	}
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, OnEvent: onEvent})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	ev.waitEvent(t, 5*time.Second, "the microphone on the headset", func(e Event) bool {
		return e.Role == RoleMicrophone && e.Kind == EventFallback && e.New == "mic3"
	})
}

// ringWithEvents rings the built-in tone on s's default ringer until the
// test ends; its events go to the queue returned.
func ringWithEvents(t *testing.T, s *System) *events {
	t.Helper()
	ev := newEvents()
	r, err := s.Ring(RingConfig{OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return ev
}
