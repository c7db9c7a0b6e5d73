package audio

import (
	"math"
	"sync"
	"sync/atomic"
)

// Built-in ring: a two-tone burst pair, ring-ring and a pause, synthesised
// (no recording is shipped). 400 and 450 Hz mixed, 0.4 s on, 0.2 s off,
// 0.4 s on, 2 s off: a 3 s cycle.
const (
	RingToneLowHz  = 400
	RingToneHighHz = 450
	ringRate       = 16000
)

// BuiltinRing returns one cycle of the built-in ring at 16 kHz, mono.
func BuiltinRing() *Clip {
	on := []struct{ from, to float64 }{{0, 0.4}, {0.6, 1.0}}
	n := 3 * ringRate
	s := make([]int16, n)
	const amp = 0.35 * 32767 / 2  // each tone; the pair peaks at 0.35 full scale
	fade := int(0.005 * ringRate) // 5 ms ramps: no clicks at the edges
	for _, b := range on {
		i0, i1 := int(b.from*ringRate), int(b.to*ringRate)
		for i := i0; i < i1; i++ {
			t := float64(i) / ringRate
			g := 1.0
			if d := i - i0; d < fade {
				g = float64(d) / float64(fade)
			} else if d := i1 - 1 - i; d < fade {
				g = float64(d) / float64(fade)
			}
			v := amp * g * (math.Sin(2*math.Pi*RingToneLowHz*t) + math.Sin(2*math.Pi*RingToneHighHz*t))
			s[i] = int16(v)
		}
	}
	return &Clip{Rate: ringRate, Channels: 1, Samples: s}
}

// RingConfig sets up a ringtone.
type RingConfig struct {
	// Device is the ringer's device id ("" the default output: the
	// console role on Windows, so the ring is heard without a headset).
	Device string
	// Clip is what rings, looped (nil: BuiltinRing). LoadWAV reads one.
	Clip *Clip
	// Volume scales the clip, 0..1 (0: 1).
	Volume float64
	// OnEvent receives the ringer's device events.
	OnEvent func(Event)
}

// Ringtone plays a clip in a loop on the ringer device until Stop.
type Ringtone struct {
	st   *stream
	clip *Clip
	gain int32 // Q15

	mu  sync.Mutex // the device thread's position
	pos int

	stopped atomic.Bool
	once    sync.Once
}

// Ring starts playing the ringtone now. An unknown device id is an error
// (nothing plays); a device that fails to open is reported as an event
// and the ring is retried when devices change. No sound backend is not
// an error either, as for OpenEndpoint: an EventDeviceError says so once
// and the ring starts when a backend answers (an EventFallback).
func (s *System) Ring(cfg RingConfig) (*Ringtone, error) {
	clip := cfg.Clip
	if clip == nil {
		clip = BuiltinRing()
	}
	if clip.Channels < 1 || clip.Channels > 2 || len(clip.Samples) < clip.Channels || len(clip.Samples)%clip.Channels != 0 {
		// A stereo clip with half a frame at its end would swap its
		// channels at each loop.
		return nil, ErrUnsupportedWAV
	}
	if clip.Rate < 8000 || clip.Rate > 192000 {
		return nil, ErrInvalidRate
	}
	vol := cfg.Volume
	if vol <= 0 || vol > 1 {
		vol = 1
	}
	r := &Ringtone{clip: clip, gain: int32(vol * 32768)}
	r.st = newStream(s, RoleRinger, clip.Rate, clip.Channels, cfg.OnEvent)
	r.st.onData = func(out, _ []int16) { r.fill(out) }
	r.st.awaitBackend, r.st.held = true, true
	ev, err := r.st.start(cfg.Device)
	if err != nil {
		return nil, err
	}
	if ev != nil && cfg.OnEvent != nil {
		cfg.OnEvent(*ev)
	}
	r.st.release()
	return r, nil
}

func (r *Ringtone) fill(out []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.clip.Samples
	for i := range out {
		out[i] = int16(int32(s[r.pos]) * r.gain >> 15)
		r.pos++
		if r.pos == len(s) {
			r.pos = 0
		}
	}
}

// SetDevice moves the ringing to another device ("" the default).
func (r *Ringtone) SetDevice(id string) error {
	if r.stopped.Load() {
		return ErrClosed
	}
	return r.st.set(id)
}

// Device is the id of the device ringing ("" when none works).
func (r *Ringtone) Device() string { return r.st.current() }

// Stop ends the ringing and closes the device; safe to call twice.
func (r *Ringtone) Stop() {
	r.once.Do(func() {
		r.stopped.Store(true)
		r.st.close()
	})
}
