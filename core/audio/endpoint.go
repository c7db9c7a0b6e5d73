package audio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// EndpointConfig sets up a call's sound devices.
type EndpointConfig struct {
	// Rate is the call's sample rate in Hz (8000 now, 16000 for wideband):
	// what ReadPCM gives and WritePCM expects. Required.
	Rate int
	// Microphone and Speaker are device ids from System.Devices; ""
	// follows the default communications device.
	Microphone, Speaker string
	// Processor is the voice processing (nil: none).
	Processor Processor
	// BufferMs is how much audio each direction buffers between the
	// device and the call's 20 ms clock before it starts (default 40; at
	// most BufferMs+60 ms are ever held, older audio is dropped).
	BufferMs int
	// OnEvent receives the endpoint's device events (fallback, errors).
	OnEvent func(Event)
}

// Endpoint is a call's duplex sound path: the microphone as an audio
// source (ReadPCM, media.AudioSource's shape) and the speaker as a sink
// (WritePCM, media.AudioSink's shape), at the call's rate, mono. The
// devices can be switched while the call runs; a device that fails or
// disappears never ends the endpoint (see EventFallback).
type Endpoint struct {
	sys   *System
	rate  int
	frame int
	proc  Processor
	// procFailed: the processor panicked; it is called no more (a panic
	// on a device thread would end the program: a backend's thread is C).
	procFailed atomic.Bool
	mic, spk   *stream
	micRing    *ring
	spkRing    *ring
	// The device each ring's drift follower measures: a new one (a
	// switch, a fallback) has a clock of its own.
	micClock, spkClock atomic.Pointer[devClock]
	closed             atomic.Bool
	closeOnce          sync.Once

	capMu  sync.Mutex // the capture device thread's frame assembly
	capAcc []int16
	capOut []int16

	farMu  sync.Mutex // the playback device thread's reference assembly
	farAcc []int16

	wrMu  sync.Mutex // WritePCM's rate conversion
	wrRS  *linearResampler
	wrBuf []int16

	callRead, callWritten atomic.Uint64
}

// checkRate: a call frame is 20 ms, so the rate must be a multiple of 50.
func checkRate(rate int) error {
	if rate < 8000 || rate > 48000 || rate%50 != 0 {
		return fmt.Errorf("%w: %d Hz (want 8000..48000, a multiple of 50)", ErrInvalidRate, rate)
	}
	return nil
}

// OpenEndpoint opens the microphone and the speaker and starts them. A
// bad rate or an unknown device id is an error; a device that exists but
// fails to open, or a default device when there is none of its kind, is
// reported as an EventDeviceError (that direction stays silent and is
// retried when the devices change), so the call is never refused for a
// faulty or missing device. No sound backend at all (no sound server
// yet) is not an error either: each direction reports an EventDeviceError
// (ErrNoAudioBackend, with each backend's reason) once, the endpoint runs
// silent, and the System keeps looking for a backend (backing off up to
// 10 PollIntervals); when one answers, the devices open with an
// EventFallback each. The ids are checked then: one that is not there
// falls back to the default.
func (s *System) OpenEndpoint(cfg EndpointConfig) (*Endpoint, error) {
	if err := checkRate(cfg.Rate); err != nil {
		return nil, err
	}
	if cfg.BufferMs <= 0 {
		cfg.BufferMs = 40
	}
	if cfg.Processor == nil {
		cfg.Processor = NopProcessor{}
	}
	emit := cfg.OnEvent
	if emit == nil {
		emit = func(Event) {}
	}
	frame := cfg.Rate / 50
	prime := cfg.BufferMs * cfg.Rate / 1000
	e := &Endpoint{
		sys: s, rate: cfg.Rate, frame: frame, proc: cfg.Processor,
		micRing: newRing(prime, prime+60*cfg.Rate/1000),
		spkRing: newRing(prime, prime+60*cfg.Rate/1000),
		capAcc:  make([]int16, 0, frame), capOut: make([]int16, frame),
		farAcc: make([]int16, 0, frame),
	}
	// Each ring follows the drift between its device's clock and the
	// call's, measured over a second of reads (docs/audio.md "Device
	// buffers and phase jumps").
	e.micRing.follow(cfg.Rate)
	e.spkRing.follow(cfg.Rate)
	e.mic = newStream(s, RoleMicrophone, cfg.Rate, 1, emit)
	e.mic.onData = func(_, in []int16) { e.captured(in) }
	e.spk = newStream(s, RoleSpeaker, cfg.Rate, 1, emit)
	e.spk.onData = func(out, _ []int16) { e.play(out) }
	e.mic.awaitBackend, e.spk.awaitBackend = true, true
	e.mic.held, e.spk.held = true, true
	// Both ids are checked before anything opens. A default that is not
	// there (no device of the kind at all) is not an error: that
	// direction starts silent (start reports it) and takes the first
	// device plugged in. Without a backend nothing can be checked: both
	// start silent (start reports it).
	for _, x := range []struct {
		st *stream
		id string
	}{{e.mic, cfg.Microphone}, {e.spk, cfg.Speaker}} {
		_, err := x.st.resolve(x.id)
		if errors.Is(err, ErrNoAudioBackend) {
			break
		}
		if err != nil && (x.id != "" || !errors.Is(err, ErrUnknownDevice)) {
			return nil, err
		}
	}
	var evs []*Event
	for _, x := range []struct {
		st *stream
		id string
	}{{e.mic, cfg.Microphone}, {e.spk, cfg.Speaker}} {
		ev, err := x.st.start(x.id)
		if err != nil {
			e.Close()
			return nil, err
		}
		evs = append(evs, ev)
	}
	for _, ev := range evs {
		if ev != nil {
			emit(*ev)
		}
	}
	e.mic.release()
	e.spk.release()
	return e, nil
}

// captured runs on the capture device's thread: whole frames go through
// the processor into the microphone ring.
func (e *Endpoint) captured(in []int16) {
	sameDevice(e.mic, &e.micClock, e.micRing)
	e.capMu.Lock()
	defer e.capMu.Unlock()
	for len(in) > 0 {
		n := min(e.frame-len(e.capAcc), len(in))
		e.capAcc = append(e.capAcc, in[:n]...)
		in = in[n:]
		if len(e.capAcc) == e.frame {
			if e.procFailed.Load() || !e.guard(RoleMicrophone, func() { e.proc.Capture(e.capAcc, e.capOut) }) {
				copy(e.capOut, e.capAcc) // unprocessed
			}
			e.micRing.write(e.capOut)
			e.capAcc = e.capAcc[:0]
		}
	}
}

// play runs on the playback device's thread: the speaker ring fills out
// (silence when it runs dry), and what the device got goes, frame by
// frame, to the processor as the echo reference.
func (e *Endpoint) play(out []int16) {
	sameDevice(e.spk, &e.spkClock, e.spkRing)
	n := e.spkRing.read(out)
	clear(out[n:])
	e.farMu.Lock()
	defer e.farMu.Unlock()
	for len(out) > 0 {
		k := min(e.frame-len(e.farAcc), len(out))
		e.farAcc = append(e.farAcc, out[:k]...)
		out = out[k:]
		if len(e.farAcc) == e.frame {
			if !e.procFailed.Load() {
				e.guard(RoleSpeaker, func() { e.proc.Playback(e.farAcc) })
			}
			e.farAcc = e.farAcc[:0]
		}
	}
}

// guard runs one of the processor's methods on a device thread, contained
// (a panic there would end the program from a backend's C thread): the
// processor is dropped for good and an EventDeviceError says so once. It
// reports whether fn returned normally. The backend's own containment
// (contain.go) would stop the device instead, and the reopened device
// would meet the same processor.
func (e *Endpoint) guard(role Role, fn func()) (ok bool) {
	ok = true
	contain.Do(e.sys.cfg.Logger, "audio: voice processor", fn, func(err error) {
		ok = false
		if !e.procFailed.CompareAndSwap(false, true) {
			return
		}
		st := e.mic
		if role == RoleSpeaker {
			st = e.spk
		}
		var id string
		if c := st.clock.Load(); c != nil {
			id = c.id // not st.current(): a switch holds st.mu while it waits for this thread
		}
		ev := Event{Kind: EventDeviceError, Role: role, Old: id,
			Err: fmt.Errorf("%w: %w (the call goes on without voice processing)", ErrProcessorFailed, err)}
		// Off the device thread: the handler may take locks.
		contain.Go(e.sys.cfg.Logger, "audio: event", func() { st.emit(ev) }, nil)
	})
	return ok
}

// sameDevice restarts q's drift follower when st's device is not the one
// it measured.
func sameDevice(st *stream, last *atomic.Pointer[devClock], q *ring) {
	if c := st.clock.Load(); last.Swap(c) != c {
		q.refollow()
	}
}

// Rate is the endpoint's sample rate.
func (e *Endpoint) Rate() int { return e.rate }

// ReadPCM gives the microphone's next samples (processed), at most
// len(buf); it never blocks. It returns 0 while the buffer fills at the
// start, after an underrun, or when no microphone works (silence), and
// ErrClosed once the endpoint is closed.
func (e *Endpoint) ReadPCM(buf []int16) (int, error) {
	if e.closed.Load() {
		return 0, ErrClosed
	}
	n := e.micRing.read(buf)
	e.callRead.Add(uint64(n))
	return n, nil
}

// WritePCM queues samples (mono, at rate Hz; converted when rate is not
// the endpoint's) for the speaker. It never blocks and does not keep
// samples. Samples at a rate of 0 or less say nothing of their timing:
// they are dropped.
func (e *Endpoint) WritePCM(samples []int16, rate int) {
	if e.closed.Load() || len(samples) == 0 || rate <= 0 {
		return
	}
	if rate != e.rate {
		e.wrMu.Lock()
		if e.wrRS == nil || e.wrRS.in != rate {
			e.wrRS = newLinearResampler(rate, e.rate)
		}
		e.wrBuf = e.wrRS.process(e.wrBuf[:0], samples)
		e.spkRing.write(e.wrBuf)
		e.callWritten.Add(uint64(len(e.wrBuf)))
		e.wrMu.Unlock()
		return
	}
	e.spkRing.write(samples)
	e.callWritten.Add(uint64(len(samples)))
}

// SetMicrophone switches the microphone while the endpoint runs ("" the
// default communications device). The new device is started before the
// old one stops. An unknown id or a device that fails to open returns an
// error and the current device goes on.
func (e *Endpoint) SetMicrophone(id string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return e.mic.set(id)
}

// SetSpeaker switches the speaker while the endpoint runs, as
// SetMicrophone does.
func (e *Endpoint) SetSpeaker(id string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return e.spk.set(id)
}

// Microphone and Speaker are the ids of the devices in use ("" when none
// works).
func (e *Endpoint) Microphone() string { return e.mic.current() }

// Speaker: see Microphone.
func (e *Endpoint) Speaker() string { return e.spk.current() }

// Close stops both devices. ReadPCM then returns ErrClosed and WritePCM
// drops its input.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		e.mic.close()
		e.spk.close()
	})
	return nil
}

// DeviceStats are one direction's figures.
type DeviceStats struct {
	// Device is the id of the device in use ("" when none).
	Device string
	// Frames is what the device delivered (capture) or took (playback)
	// since it was opened, in samples at the endpoint's rate; Callbacks
	// counts the backend's calls.
	Frames, Callbacks uint64
	// Elapsed is the time since the device was opened.
	Elapsed time.Duration
	// EffectiveRate is the frames per second of host time between the
	// first callback (or the end of the last pause over 200 ms) and the
	// last one: the device clock against the host's (0 during the first
	// second). Its difference between the two directions is the drift an
	// echo canceller must follow.
	EffectiveRate float64
	// Buffered is the audio waiting between the device and the call.
	Buffered int
	// Underruns, Overruns and Dropped count the buffer's corrections:
	// an underrun plays or sends silence, an overrun drops the oldest
	// audio (Dropped samples) to keep the latency bounded.
	Underruns, Overruns, Dropped uint64
	// DriftPPM is the device's clock against the call's as the buffer
	// measures it (positive: the device runs fast), from the slope of its
	// level over the last half minute (0 until it has 8 s of it).
	// CorrectionPPM is how the buffer resamples the device's audio to
	// follow it now (equal to DriftPPM once settled; 0: inside the dead
	// band the samples are copied bit for bit), and Resampled counts the
	// samples that went through the resampler.
	DriftPPM, CorrectionPPM float64
	Resampled               uint64
}

// Stats are an endpoint's figures: what each device did against the
// host clock, and what the call read and wrote.
type Stats struct {
	Rate                  int
	Microphone, Speaker   DeviceStats
	CallRead, CallWritten uint64
}

// deviceStats: sign is +1 when the device writes into q (the microphone),
// -1 when it reads from it (the speaker).
func deviceStats(st *stream, q *ring, sign float64) DeviceStats {
	ds := DeviceStats{Device: st.current()}
	if c := st.clock.Load(); c != nil {
		ds.Frames, ds.Callbacks = c.frames.Load(), c.callbacks.Load()
		ds.Elapsed = time.Since(c.opened)
		ds.EffectiveRate = c.rate()
	}
	rs := q.stats()
	ds.Buffered, ds.Underruns, ds.Overruns, ds.Dropped = rs.buffered, rs.underruns, rs.overruns, rs.dropped
	ds.DriftPPM, ds.CorrectionPPM, ds.Resampled = sign*rs.driftPPM, sign*rs.correctionPPM, rs.resampled
	return ds
}

// Stats returns the endpoint's figures now.
func (e *Endpoint) Stats() Stats {
	return Stats{
		Rate:       e.rate,
		Microphone: deviceStats(e.mic, e.micRing, 1),
		Speaker:    deviceStats(e.spk, e.spkRing, -1),
		CallRead:   e.callRead.Load(), CallWritten: e.callWritten.Load(),
	}
}
