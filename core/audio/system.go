package audio

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// Config sets up a System. The zero value is the platform's defaults.
type Config struct {
	// Backends to try, in order (nil: PulseAudio then ALSA on Linux,
	// WASAPI on Windows, Core Audio on macOS). ALSA is only tried when
	// the machine has a sound card.
	Backends []Backend
	// AppName is the client name the sound server shows (default
	// "CloudCC Agent SDK").
	AppName string
	// PollInterval is how often the device list is compared while
	// something watches it or a device is open (default 500 ms).
	PollInterval time.Duration
	// StallTimeout: an open device that has not called back for this long
	// has failed (default 3 s: PulseAudio's null sink may take 2 s to
	// start a new stream).
	StallTimeout time.Duration
	// Logger receives the internal errors contained on the device threads
	// and the watcher (nil: slog.Default). The package logs nothing else.
	Logger *slog.Logger
}

// System is the machine's sound system seen through one backend context.
// It creates nothing until it is first used: a program that never lists
// or opens a device never loads a sound library. Its methods are safe for
// concurrent use.
type System struct {
	cfg       Config
	newDriver func(Config) (driver, error)

	drvMu  sync.Mutex // held around every driver call
	drv    driver
	closed bool
	// backend is the backend the last driver ran on: after the sound
	// server went away the driver is made again on it only (not on
	// another the machine happens to have, ALSA beside PulseAudio).
	backend Backend
	// devices counts the devices open on drv (stream.switchLocked, under
	// drvMu, and their close): a driver is only dropped with none left.
	devices atomic.Int64
	// probes counts the failed probes of a better backend (probeBetter),
	// probeAt is when the next may run.
	probes  int
	probeAt time.Time

	mu       sync.Mutex
	subs     map[int]func(Event)
	nextSub  int
	streams  map[*stream]struct{}
	watching bool
	// closing: Close has begun; no watcher starts again (a callback of
	// the last round, a Watch or an endpoint racing Close would start
	// one that nothing ends).
	closing bool
	poke    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// NewSystem returns a System; no backend is opened yet.
func NewSystem(cfg Config) *System {
	return newSystem(cfg, newMalgoDriver)
}

func newSystem(cfg Config, nd func(Config) (driver, error)) *System {
	if cfg.AppName == "" {
		cfg.AppName = "CloudCC Agent SDK"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 3 * time.Second
	}
	return &System{
		cfg: cfg, newDriver: nd,
		subs: map[int]func(Event){}, streams: map[*stream]struct{}{},
		poke: make(chan struct{}, 1), quit: make(chan struct{}),
	}
}

// withDriver runs fn with the backend, opening it on first use. A failed
// open is not remembered: a sound server started later is found.
func (s *System) withDriver(fn func(d driver) error) error {
	s.drvMu.Lock()
	defer s.drvMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.drv == nil {
		cfg := s.cfg
		if s.backend != "" {
			cfg.Backends = []Backend{s.backend}
		}
		d, err := s.newDriver(cfg)
		if err != nil {
			return err
		}
		s.drv = containedDriver{d, s.cfg.Logger} // contain.go: callbacks from C
	}
	return fn(s.drv)
}

// dropDeadDriver releases a driver whose sound server no longer answers,
// once no device is open on it, so that the next use connects anew: a
// sound server that restarts (a desktop session's PulseAudio respawned)
// is found again, on the same backend.
func (s *System) dropDeadDriver() {
	s.drvMu.Lock()
	defer s.drvMu.Unlock()
	if s.drv == nil || s.closed || s.devices.Load() > 0 {
		return
	}
	s.backend = Backend(s.drv.backend())
	s.drv.close()
	s.drv = nil
}

// probeBetter tries the backends ahead of the driver's in the order
// (PulseAudio, when the driver is on ALSA because PulseAudio was not up
// yet) while a stream waits for a device and none is open, and moves to
// the first that answers: a sound server that starts late is found, not
// the sound card it would have taken over. The driver in use is kept
// until then, and the probes back off on their own (the looks, and so
// device changes, stay at PollInterval). It reports whether it moved.
func (s *System) probeBetter() bool {
	if !s.streamWaiting() {
		return false
	}
	s.drvMu.Lock()
	defer s.drvMu.Unlock()
	if s.drv == nil || s.closed || s.backend != "" || s.devices.Load() > 0 || time.Now().Before(s.probeAt) {
		return false
	}
	order := s.cfg.Backends
	if len(order) == 0 {
		order = defaultBackends()
	}
	i := slices.Index(order, Backend(s.drv.backend()))
	if i <= 0 {
		return false // the first choice, or a backend the order does not name
	}
	cfg := s.cfg
	cfg.Backends = order[:i]
	d, err := s.newDriver(cfg)
	if err != nil {
		s.probes++
		s.probeAt = time.Now().Add(s.lookAfter(s.probes))
		return false
	}
	s.drv.close()
	s.drv = containedDriver{d, s.cfg.Logger}
	s.probes, s.probeAt = 0, time.Time{}
	return true
}

// streamWaiting reports whether an open stream has no device.
func (s *System) streamWaiting() bool {
	s.mu.Lock()
	streams := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.Unlock()
	return slices.ContainsFunc(streams, (*stream).waiting)
}

// Backend opens the backend if needed and names it.
func (s *System) Backend() (Backend, error) {
	var b Backend
	err := s.withDriver(func(d driver) error {
		b = Backend(d.backend())
		return nil
	})
	return b, err
}

// Devices lists the inputs and outputs, capture devices first, each kind
// sorted by id. Without a sound backend it returns ErrNoAudioBackend.
func (s *System) Devices() ([]Device, error) {
	var out []Device
	err := s.withDriver(func(d driver) error {
		for _, k := range []Kind{KindCapture, KindPlayback} {
			raws, err := d.list(k)
			if err != nil {
				return fmt.Errorf("audio: listing %s devices: %w", k, err)
			}
			comm := d.defaultComm(k)
			for _, r := range raws {
				dev := Device{ID: r.id, Name: r.name, Kind: k, IsDefault: r.isDefault}
				dev.IsDefaultComm = r.id == comm || (comm == "" && r.isDefault)
				dev.Channels, dev.Rate, _ = d.info(k, r.id) // 0 when the backend will not say
				out = append(out, dev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Watch calls fn with an EventDevicesChanged each time devices are added
// or removed or a default changes, until cancel is called. The backend is
// opened now (the error when there is none).
func (s *System) Watch(fn func(Event)) (cancel func(), err error) {
	if fn == nil {
		return func() {}, nil
	}
	if err := s.withDriver(func(driver) error { return nil }); err != nil {
		return nil, err
	}
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	s.mu.Unlock()
	s.startWatch()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, id)
			s.mu.Unlock()
			s.wake() // the watcher ends now if nothing is left
		})
	}, nil
}

// Close stops watching, closes every endpoint and ringtone still open and
// releases the backend. Further calls fail with ErrClosed. It waits for
// the watcher's round, so it must not be called from an event callback
// (OnEvent, Watch), which that round runs.
func (s *System) Close() error {
	// No driver call from now on: a stream that races Close (registered
	// after the list below is taken) cannot open a device on the driver
	// Close releases.
	s.drvMu.Lock()
	if s.closed {
		s.drvMu.Unlock()
		return nil
	}
	s.closed = true
	s.drvMu.Unlock()
	s.mu.Lock()
	s.closing = true
	streams := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		streams = append(streams, st)
	}
	done := s.done
	if s.watching {
		close(s.quit)
		s.watching = false
	}
	s.mu.Unlock()
	if done != nil {
		<-done
	}
	for _, st := range streams {
		st.close()
	}
	s.drvMu.Lock()
	defer s.drvMu.Unlock()
	if s.drv != nil {
		s.drv.close()
		s.drv = nil
	}
	return nil
}

func (s *System) register(st *stream) {
	s.mu.Lock()
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	s.startWatch()
}

// unregister forgets a closed stream and wakes the watcher, so that it
// ends now when nothing is left (not after a wait of up to downBackoff
// PollIntervals).
func (s *System) unregister(st *stream) {
	s.mu.Lock()
	delete(s.streams, st)
	s.mu.Unlock()
	s.wake()
}

// wake asks the watcher to look now (a device reported it stopped).
func (s *System) wake() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// snapshot is the device list as the watcher compares it.
type snapshot struct {
	devs map[Kind]map[string]rawDevice
	def  map[Kind]string // the default device (console role)
	comm map[Kind]string // the default communications device
}

func (sn *snapshot) has(k Kind, id string) bool {
	_, ok := sn.devs[k][id]
	return ok
}

// defaultFor is the device a role falls back to: the communications
// device for a call, the console default for the ringer (it must be heard
// when the headset is off).
func (sn *snapshot) defaultFor(r Role) string {
	if r == RoleRinger {
		return sn.def[r.Kind()]
	}
	return sn.comm[r.Kind()]
}

// takeSnapshot lists both kinds; call with drvMu held.
func takeSnapshot(d driver) (*snapshot, error) {
	sn := &snapshot{devs: map[Kind]map[string]rawDevice{}, def: map[Kind]string{}, comm: map[Kind]string{}}
	for _, k := range []Kind{KindCapture, KindPlayback} {
		raws, err := d.list(k)
		if err != nil {
			return nil, fmt.Errorf("audio: listing %s devices: %w", k, err)
		}
		m := map[string]rawDevice{}
		for _, r := range raws {
			m[r.id] = r
			if r.isDefault {
				sn.def[k] = r.id
			}
		}
		sn.devs[k] = m
		sn.comm[k] = sn.def[k]
		if c := d.defaultComm(k); c != "" {
			if _, ok := m[c]; ok {
				sn.comm[k] = c
			}
		}
	}
	return sn, nil
}

func (s *System) snapshot() (*snapshot, error) {
	var sn *snapshot
	err := s.withDriver(func(d driver) error {
		var err error
		sn, err = takeSnapshot(d)
		return err
	})
	return sn, err
}

// diff is the EventDevicesChanged from a to b, ok false when nothing
// changed.
func (s *System) diff(a, b *snapshot) (Event, bool) {
	ev := Event{Kind: EventDevicesChanged}
	for _, k := range []Kind{KindCapture, KindPlayback} {
		for id, r := range b.devs[k] {
			if _, ok := a.devs[k][id]; !ok {
				ev.Added = append(ev.Added, Device{ID: id, Name: r.name, Kind: k, IsDefault: r.isDefault})
			}
		}
		for id, r := range a.devs[k] {
			if _, ok := b.devs[k][id]; !ok {
				ev.Removed = append(ev.Removed, Device{ID: id, Name: r.name, Kind: k, IsDefault: r.isDefault})
			}
		}
		if a.def[k] != b.def[k] || a.comm[k] != b.comm[k] {
			ev.DefaultChanged = true
		}
	}
	for _, l := range [][]Device{ev.Added, ev.Removed} {
		sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	}
	for i := range ev.Added {
		k := ev.Added[i].Kind
		ev.Added[i].IsDefaultComm = b.comm[k] == ev.Added[i].ID
		_ = s.withDriver(func(d driver) error {
			if Backend(d.backend()) == BackendPulseAudio {
				// Devices come and go right now, and a PulseAudio query of
				// one that went crashes miniaudio (backend.go, info): the
				// event's new devices go without their format there.
				return nil
			}
			ev.Added[i].Channels, ev.Added[i].Rate, _ = d.info(k, ev.Added[i].ID)
			return nil
		})
	}
	return ev, len(ev.Added)+len(ev.Removed) > 0 || ev.DefaultChanged
}

// startWatch starts the watcher goroutine unless it runs.
func (s *System) startWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watching || s.closing {
		return
	}
	s.watching = true
	s.quit = make(chan struct{})
	s.done = make(chan struct{})
	// The first list is taken now: a change right after Watch or an
	// endpoint's start is seen as one.
	first, _ := s.snapshot()
	go s.watchLoop(first, s.quit, s.done)
}

// watchLoop compares the device list every PollInterval (or when woken),
// tells the watchers and lets each open stream react. It ends when
// nothing is left to watch. While no sound server answers and no device
// is open, each look connects anew (withDriver): those looks back off,
// from PollInterval doubling up to downBackoff times it (0.5 s to 5 s by
// default), and a server found again brings them back to PollInterval.
func (s *System) watchLoop(prev *snapshot, quit, done chan struct{}) {
	defer close(done)
	down := prev == nil // the last look found no sound server
	misses := 0         // looks in a row that found none, with no device open
	t := time.NewTimer(s.lookAfter(misses))
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		case <-s.poke:
		}
		// A fault in one round (a watcher's callback, a stream's check)
		// is logged and the next round runs: the open streams keep their
		// fallback and stall handling.
		stop := false
		contain.Do(s.cfg.Logger, "audio: device watch", func() { stop = s.watchRound(&prev, &down) }, nil)
		if stop {
			return
		}
		// Open devices keep the looks at PollInterval: their stalls are
		// seen in time, and no connection is attempted (the dead driver
		// is only dropped once none is left).
		if down && s.devices.Load() == 0 {
			misses++
		} else {
			misses = 0
		}
		t.Reset(s.lookAfter(misses))
	}
}

// downBackoff bounds the wait between looks while no sound server
// answers, in PollIntervals.
const downBackoff = 10

// lookAfter is the wait before the next look after misses looks in a row
// found no sound server.
func (s *System) lookAfter(misses int) time.Duration {
	d := s.cfg.PollInterval
	for i := 0; i < misses && d < downBackoff*s.cfg.PollInterval; i++ {
		d *= 2
	}
	return min(d, downBackoff*s.cfg.PollInterval)
}

// watchRound runs one comparison; it reports true when nothing is left to
// watch (the loop ends). down carries whether the last look found no
// sound server.
func (s *System) watchRound(prev **snapshot, down *bool) bool {
	s.mu.Lock()
	if s.closing || len(s.subs) == 0 && len(s.streams) == 0 {
		// Nothing left (checked before the look: without a server, a
		// look is a connection attempt).
		s.watching = false
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	moved := s.probeBetter()
	cur, err := s.snapshot()
	if err != nil {
		// The server went away: open streams stall and report it.
		cur = nil
	}
	changed := false
	var subs []func(Event)
	var ev Event
	if cur != nil && *prev != nil {
		ev, changed = s.diff(*prev, cur)
	}
	// Back after the server went away, or moved to a better backend: the
	// streams without a device try again, whatever the list says.
	back := cur != nil && (*down || moved)
	*down = cur == nil
	s.mu.Lock()
	if changed {
		for _, fn := range s.subs {
			subs = append(subs, fn)
		}
	}
	streams := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.Unlock()
	for _, fn := range subs {
		fn(ev)
	}
	for _, st := range streams {
		st.check(cur, changed || back)
	}
	if cur != nil {
		*prev = cur
	} else {
		s.dropDeadDriver()
	}
	return false
}
