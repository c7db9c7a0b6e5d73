package audio

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDriver is a backend without sound: devices are a list the test
// edits, and an opened device calls back every 10 ms from a goroutine
// (capture delivers a counter ramp), like a device thread.
type fakeDriver struct {
	mu       sync.Mutex
	devs     map[Kind][]rawDevice
	failOpen map[string]bool
	open_    map[*fakeDevice]bool
	opens    atomic.Int64
}

func newFakeDriver() *fakeDriver {
	return &fakeDriver{
		devs: map[Kind][]rawDevice{
			KindCapture:  {{id: "mic1", name: "Mic 1", isDefault: true}, {id: "mic2", name: "Mic 2"}},
			KindPlayback: {{id: "spk1", name: "Speaker 1", isDefault: true}, {id: "spk2", name: "Speaker 2"}},
		},
		failOpen: map[string]bool{}, open_: map[*fakeDevice]bool{},
	}
}

func (f *fakeDriver) backend() string { return "fake" }

func (f *fakeDriver) list(k Kind) ([]rawDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rawDevice(nil), f.devs[k]...), nil
}

func (f *fakeDriver) info(k Kind, id string) (int, int, error) { return 2, 48000, nil }

func (f *fakeDriver) defaultComm(Kind) string { return "" }

func (f *fakeDriver) open(k Kind, id string, rate, channels int, cb deviceCallbacks) (hwDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOpen[id] {
		return nil, errors.New("fake: the device refuses to open")
	}
	f.opens.Add(1)
	d := &fakeDevice{f: f, k: k, id: id, rate: rate, channels: channels, cb: cb, quit: make(chan struct{}), done: make(chan struct{})}
	f.open_[d] = true
	return d, nil
}

func (f *fakeDriver) close() {}

// set replaces a kind's devices (the first is the default).
func (f *fakeDriver) set(k Kind, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devs[k] = nil
	for i, id := range ids {
		f.devs[k] = append(f.devs[k], rawDevice{id: id, name: id, isDefault: i == 0})
	}
}

// device is the open device with that id (nil if none).
func (f *fakeDriver) device(id string) *fakeDevice {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.open_ {
		if d.id == id {
			return d
		}
	}
	return nil
}

type fakeDevice struct {
	f              *fakeDriver
	k              Kind
	id             string
	rate, channels int
	cb             deviceCallbacks
	quit, done     chan struct{}
	started        bool
	freeze         atomic.Bool // stop calling back (a stalled device)
	ramp           int16
	mu             sync.Mutex
	played         []int16 // what playback was given
	calls          []fakeCall
}

// fakeCall is one callback of a fake device: when, and where its samples
// start (capture: the ramp's value before it; playback: len(played)).
type fakeCall struct {
	at    time.Time
	start int
}

func (d *fakeDevice) start() error {
	d.started = true
	go func() {
		defer close(d.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		buf := make([]int16, d.rate/100*d.channels)
		for {
			select {
			case <-d.quit:
				return
			case <-t.C:
			}
			if d.freeze.Load() {
				continue
			}
			d.mu.Lock()
			if d.k == KindCapture {
				d.calls = append(d.calls, fakeCall{time.Now(), int(d.ramp)})
			} else {
				d.calls = append(d.calls, fakeCall{time.Now(), len(d.played)})
			}
			d.mu.Unlock()
			if d.k == KindCapture {
				for i := range buf {
					d.ramp++
					buf[i] = d.ramp
				}
				d.cb.data(nil, buf)
			} else {
				d.cb.data(buf, nil)
				d.mu.Lock()
				d.played = append(d.played, buf...)
				d.mu.Unlock()
			}
		}
	}()
	return nil
}

func (d *fakeDevice) close() {
	d.f.mu.Lock()
	delete(d.f.open_, d)
	d.f.mu.Unlock()
	if d.started {
		close(d.quit)
		<-d.done
	}
}

func (d *fakeDevice) playedSamples() []int16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int16(nil), d.played...)
}

func fakeSystem(t testing.TB) (*System, *fakeDriver) {
	f := newFakeDriver()
	s := newSystem(Config{PollInterval: 20 * time.Millisecond, StallTimeout: 300 * time.Millisecond},
		func(Config) (driver, error) { return f, nil })
	t.Cleanup(func() { _ = s.Close() })
	return s, f
}

// waitUntil waits for cond, checked every 5 ms, failing after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
