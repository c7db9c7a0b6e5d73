package audio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// stream is one role's device (an endpoint's microphone or speaker, a
// ringtone's output): it opens the chosen device, switches it without
// stopping, and reacts to the watcher (fallback, default changes,
// stalls). Only the device of the active generation feeds onData; a
// device being replaced plays silence and its captures are dropped.
type stream struct {
	sys      *System
	role     Role
	kind     Kind
	rate     int
	channels int
	onData   func(out, in []int16) // device thread; active generation only
	emit     func(Event)

	mu     sync.Mutex // control path: chosen, cur, dev, closed
	chosen string     // "" follows the default
	cur    string     // the device open now; "" when none
	dev    hwDevice
	closed bool
	gens   uint64 // generations handed out
	// lost is the device the stream lost while it has none (dev nil): the
	// fallback that ends the silence names it.
	lost string
	// awaitBackend: a start without a sound backend is not an error; the
	// stream waits in silence (an endpoint: the call goes on).
	awaitBackend bool
	// noBackend: the stream started without a sound backend; the first
	// look that finds one opens its device, whether the list changed or
	// not.
	noBackend bool
	// held: the start's event is not out yet (OpenEndpoint and Ring emit
	// it once every stream started); the watcher leaves the stream alone
	// until release, so that none of its events comes first.
	held bool
	// heldChange: a look while held saw the devices change (or the
	// server come back); the first look after release acts on it.
	heldChange bool
	// retryUntil: after a late backend's first look, a device that would
	// not open is tried again at each look until then (a server that has
	// just started may refuse a device for a moment), not only when the
	// devices change.
	retryUntil time.Time

	gen   atomic.Uint64            // the active generation
	clock atomic.Pointer[devClock] // the active device's counters
}

// devClock counts what one opened device exchanged: the figures from
// which the device's real rate (and so its drift) is measured.
type devClock struct {
	id        string
	opened    time.Time
	frames    atomic.Uint64 // frames since open
	callbacks atomic.Uint64
	firstNs   atomic.Int64 // monotonic ns (since opened) of the first callback
	firstFr   atomic.Uint64
	lastNs    atomic.Int64
	stopped   atomic.Bool   // the backend stopped the device
	warmups   atomic.Uint64 // callbacks while not yet active
	ready     chan struct{} // closed once the device calls back for real
	readyAt   uint64        // warm-up callbacks that make it ready
}

// switchWait bounds how long a switch waits for the new device to run
// before it takes over anyway (a device that is slow to start, or a
// fallback from a device that is gone).
const switchWait = 500 * time.Millisecond

// lateRetry is how long a stream that waited for a backend keeps trying
// its device at each look once one answers.
const lateRetry = 10 * time.Second

// warm counts a callback of a device that is not active yet.
func (c *devClock) warm() {
	if c.warmups.Add(1) == c.readyAt {
		close(c.ready)
	}
}

func (c *devClock) tick(frames int) {
	ns := int64(time.Since(c.opened))
	f := c.frames.Add(uint64(frames))
	prev := c.lastNs.Load()
	// The rate is measured from the first callback, or from the end of
	// the last pause longer than clockGap (a device that started late,
	// stalled or was suspended): a pause would skew the average.
	if c.callbacks.Add(1) == 1 || ns-prev > int64(clockGap) {
		c.firstFr.Store(f)
		c.firstNs.Store(ns)
	}
	c.lastNs.Store(ns)
}

const clockGap = 200 * time.Millisecond

// rate is the frames per second measured between the first and the last
// callback (0 until there is a second of data).
func (c *devClock) rate() float64 {
	dt := c.lastNs.Load() - c.firstNs.Load()
	if dt < int64(time.Second) {
		return 0
	}
	return float64(c.frames.Load()-c.firstFr.Load()) / (float64(dt) / 1e9)
}

func newStream(sys *System, role Role, rate, channels int, emit func(Event)) *stream {
	if emit == nil {
		emit = func(Event) {}
	}
	return &stream{sys: sys, role: role, kind: role.Kind(), rate: rate, channels: channels, emit: emit}
}

func (st *stream) callbacks(g uint64, clk *devClock) deviceCallbacks {
	return deviceCallbacks{
		data: func(out, in []int16) {
			if st.gen.Load() != g {
				clear(out)
				clk.warm()
				return
			}
			n := len(out) + len(in)
			clk.tick(n / st.channels)
			st.onData(out, in)
		},
		stopped: func() {
			if st.gen.Load() == g {
				clk.stopped.Store(true)
				st.sys.wake()
			}
		},
	}
}

// resolve checks id against the device list ("" is the role's default).
func (st *stream) resolve(id string) (string, error) {
	sn, err := st.sys.snapshot()
	if err != nil {
		return "", err
	}
	if id == "" {
		if id = sn.defaultFor(st.role); id == "" {
			return "", fmt.Errorf("%w: no default %s device", ErrUnknownDevice, st.kind)
		}
		return id, nil
	}
	if !sn.has(st.kind, id) {
		return "", fmt.Errorf("%w: no %s device %q", ErrUnknownDevice, st.kind, id)
	}
	return id, nil
}

// switchLocked opens id (resolved) and makes it the active device; the
// device it replaces is closed after the swap. On error nothing changed.
func (st *stream) switchLocked(id string) error {
	st.gens++
	g := st.gens
	clk := &devClock{id: id, opened: time.Now(), ready: make(chan struct{}), readyAt: 1}
	if st.kind == KindPlayback {
		clk.readyAt = 2 // the first is the buffer filled at start
	}
	var hw hwDevice
	err := st.sys.withDriver(func(d driver) error {
		var err error
		hw, err = d.open(st.kind, id, st.rate, st.channels, st.callbacks(g, clk))
		if err == nil {
			hw = &countedDevice{hwDevice: hw, n: &st.sys.devices}
			st.sys.devices.Add(1)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrUnknownDevice) || errors.Is(err, ErrNoAudioBackend) || errors.Is(err, ErrClosed) {
			return err
		}
		return fmt.Errorf("%w: %s %q: %v", ErrDeviceOpen, st.role, id, err)
	}
	// Make before break: the new device starts while the old one still
	// carries the call (the new one plays silence, its captures are
	// dropped) and takes over once it calls back for real, so the gap
	// is the difference of the two devices' buffers, not the time a
	// device takes to start.
	if err := hw.start(); err != nil {
		hw.close()
		return fmt.Errorf("%w: %s %q: start: %v", ErrDeviceOpen, st.role, id, err)
	}
	wait := time.NewTimer(switchWait)
	select {
	case <-clk.ready:
	case <-wait.C:
	}
	wait.Stop()
	st.gen.Store(g)
	st.clock.Store(clk)
	old := st.dev
	st.dev, st.cur, st.noBackend = hw, id, false
	if old != nil {
		old.close()
	}
	return nil
}

// dropLocked closes the device (the stream goes silent).
func (st *stream) dropLocked() {
	st.gen.Store(0)
	if st.dev != nil {
		st.dev.close()
		st.dev = nil
	}
	st.cur = ""
	st.clock.Store(nil)
}

// set chooses a device ("" the default) and switches to it now. A bad id
// or a device that fails to open returns an error and changes nothing.
func (st *stream) set(id string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrClosed
	}
	target, err := st.resolve(id)
	if err != nil {
		return err
	}
	if err := st.switchLocked(target); err != nil {
		return err
	}
	st.chosen, st.lost = id, ""
	return nil
}

// start opens the first device; a failure to open is reported as an
// event (the stream stays silent and retries when devices change), and
// so is the default when there is none (no device of the kind at all: a
// headset plugged in later is taken); an unknown id is an error. With
// awaitBackend, no sound backend is reported as an event too: the
// watcher keeps looking for one (backing off) and opens the device once
// one answers (a desktop session's PulseAudio started after the call).
func (st *stream) start(id string) (*Event, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	target, err := st.resolve(id)
	if id == "" && errors.Is(err, ErrUnknownDevice) {
		st.chosen = ""
		st.sys.register(st)
		return &Event{Kind: EventDeviceError, Role: st.role, Err: err}, nil
	}
	if st.awaitBackend && errors.Is(err, ErrNoAudioBackend) {
		// The id cannot be checked yet: it is when a backend answers
		// (absent then, the stream falls back to the default).
		st.chosen, st.lost, st.noBackend = id, id, true
		st.sys.register(st)
		return &Event{Kind: EventDeviceError, Role: st.role, Old: id, Err: err}, nil
	}
	if err != nil {
		return nil, err
	}
	st.chosen = id
	st.sys.register(st)
	if err := st.switchLocked(target); err != nil {
		st.lost = target
		return &Event{Kind: EventDeviceError, Role: st.role, Old: target, Err: err}, nil
	}
	return nil, nil
}

// waiting reports whether the stream is open and has no device.
func (st *stream) waiting() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.closed && !st.held && st.dev == nil
}

// release lets the watcher look at a held stream, now.
func (st *stream) release() {
	st.mu.Lock()
	st.held = false
	st.mu.Unlock()
	st.sys.wake()
}

func (st *stream) close() {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed = true
	st.dropLocked()
	st.mu.Unlock()
	st.sys.unregister(st)
}

func (st *stream) current() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur
}

// check is the watcher's look at the stream: fallback when its device
// left, reopen after a stall, follow a new default, retry a device that
// failed earlier. sn is nil when the backend could not list devices.
func (st *stream) check(sn *snapshot, changed bool) {
	var evs []Event
	st.mu.Lock()
	if !st.closed {
		evs = st.checkLocked(sn, changed)
	}
	st.mu.Unlock()
	for _, ev := range evs {
		st.emit(ev)
	}
}

func (st *stream) checkLocked(sn *snapshot, changed bool) []Event {
	if st.held {
		st.heldChange = st.heldChange || changed
		return nil
	}
	changed = changed || st.heldChange
	st.heldChange = false
	clk := st.clock.Load()
	stalled := false
	if st.dev != nil && clk != nil {
		last := time.Duration(clk.lastNs.Load())
		if clk.callbacks.Load() == 0 {
			last = 0
		}
		stalled = clk.stopped.Load() || time.Since(clk.opened)-last > st.sys.cfg.StallTimeout
	}
	switch {
	case sn == nil:
		if stalled {
			old := st.cur
			st.dropLocked()
			st.lost = old
			return []Event{{Kind: EventDeviceError, Role: st.role, Old: old, Err: fmt.Errorf("%w: %s %q (the sound server does not answer)", ErrDeviceStalled, st.role, old)}}
		}
		return nil
	case st.dev != nil && !sn.has(st.kind, st.cur):
		return st.fallbackLocked(sn, nil)
	case stalled:
		return st.fallbackLocked(sn, fmt.Errorf("%w: %s %q", ErrDeviceStalled, st.role, st.cur))
	case st.dev == nil:
		if !changed && !st.noBackend && time.Now().After(st.retryUntil) {
			return nil // it failed before: retry when the devices change
		}
		// A stream that started without a backend tries now that there
		// is one; a failure then is reported (it is not the one reported
		// at the start), and it tries again at each look for lateRetry,
		// then when the devices change.
		first := st.noBackend
		if first {
			st.noBackend = false
			st.retryUntil = time.Now().Add(lateRetry)
		}
		target := st.chosen
		if target == "" || !sn.has(st.kind, target) {
			if target != "" && first {
				st.chosen = "" // the chosen device is not there: follow the default
			}
			target = sn.defaultFor(st.role)
		}
		if target == "" {
			if first {
				return []Event{{Kind: EventDeviceError, Role: st.role, Old: st.lost,
					Err: fmt.Errorf("%w: no %s device", ErrUnknownDevice, st.kind)}}
			}
			return nil
		}
		if err := st.switchLocked(target); err != nil {
			if first {
				st.lost = target
				return []Event{{Kind: EventDeviceError, Role: st.role, Old: target, Err: err}}
			}
			return nil // still failing; the error was reported when it first failed
		}
		old := st.lost
		st.lost = ""
		return []Event{{Kind: EventFallback, Role: st.role, Old: old, New: target}}
	case st.chosen == "":
		def := sn.defaultFor(st.role)
		if def == "" || def == st.cur {
			return nil
		}
		old := st.cur
		if err := st.switchLocked(def); err != nil {
			return []Event{{Kind: EventDeviceError, Role: st.role, Old: def, Err: err}}
		}
		return []Event{{Kind: EventFollowDefault, Role: st.role, Old: old, New: def}}
	}
	return nil
}

// fallbackLocked moves the stream to the role's default device (or
// reopens the same device after a stall when it is still listed and was
// chosen). why is the stall, nil when the device left.
func (st *stream) fallbackLocked(sn *snapshot, why error) []Event {
	old := st.cur
	var evs []Event
	target := sn.defaultFor(st.role)
	if why != nil {
		evs = append(evs, Event{Kind: EventDeviceError, Role: st.role, Old: old, Err: why})
		if st.chosen != "" && sn.has(st.kind, st.chosen) {
			target = st.chosen
		}
	}
	st.dropLocked()
	if why == nil {
		st.chosen = "" // the chosen device left: follow the default from now on
	}
	if target == "" {
		st.lost = old
		return append(evs, Event{Kind: EventDeviceError, Role: st.role, Old: old,
			Err: fmt.Errorf("%w: %s %q is gone and there is no default %s device", ErrUnknownDevice, st.role, old, st.kind)})
	}
	if err := st.switchLocked(target); err != nil {
		st.lost = old
		return append(evs, Event{Kind: EventDeviceError, Role: st.role, Old: old, Err: err})
	}
	return append(evs, Event{Kind: EventFallback, Role: st.role, Old: old, New: target})
}

// countedDevice keeps System.devices: the driver is not dropped under an
// open device.
type countedDevice struct {
	hwDevice
	n    *atomic.Int64
	once sync.Once
}

func (c *countedDevice) close() {
	c.once.Do(func() {
		c.hwDevice.close()
		c.n.Add(-1)
	})
}
