package agent

import (
	"errors"
	"fmt"

	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// The ringtone of device mode: while an incoming call rings for the agent
// (not one the SDK answers by itself), the ringer device plays the
// ringtone, until the call is answered or ends. One ringtone for all the
// calls ringing. A goroutine of its own starts and stops it, so that
// opening a device never holds up the phone's events.

// ringFor notes whether c rings for the agent.
func (a *Agent) ringFor(c *rtc.Call, on bool) {
	s := a.snd
	s.mu.Lock()
	changed := s.ringCalls[c] != on
	if on {
		s.ringCalls[c] = true
	} else {
		delete(s.ringCalls, c)
	}
	s.mu.Unlock()
	if changed {
		a.syncRing()
	}
}

// forgetEndedRings drops the calls that ended without an event (the
// phone was closed).
func (a *Agent) forgetEndedRings() {
	s := a.snd
	s.mu.Lock()
	n := len(s.ringCalls)
	for c := range s.ringCalls {
		if c.State() == rtc.CallEnded {
			delete(s.ringCalls, c)
		}
	}
	changed := n != len(s.ringCalls)
	s.mu.Unlock()
	if changed {
		a.syncRing()
	}
}

// syncRing wakes the ringer goroutine (started on first use).
func (a *Agent) syncRing() {
	s := a.snd
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.ringKick == nil {
		s.ringKick, s.ringDone = make(chan struct{}, 1), make(chan struct{})
		go s.ringer(s.ringKick, s.ringDone)
	}
	select {
	case s.ringKick <- struct{}{}:
	default:
	}
}

// ringer makes the ringtone what the calls and the settings want, each
// time it is woken, until the agent closes.
func (s *sound) ringer(kick <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for range kick {
		// A fault stops the ringtone (logged); the calls go on and the
		// next wake-up tries again.
		contain.Do(s.a.log, "agent: ringtone", s.ringRound, func(error) { s.silenceRing() })
	}
}

// ringRound starts or stops the ringtone once.
func (s *sound) ringRound() {
	s.mu.Lock()
	want := len(s.ringCalls) > 0 && !s.ringOff && !s.closed
	gen, clip, dev := s.ringGen, s.ringClip, s.sel[2]
	s.mu.Unlock()
	s.ringMu.Lock()
	defer s.ringMu.Unlock()
	if s.ring != nil && (!want || s.ringAt != gen) {
		s.ring.Stop()
		s.ring = nil
	}
	if want && s.ring == nil {
		s.ring, s.ringAt = s.startRing(dev, clip), gen
	}
}

// silenceRing stops the ringtone if it plays.
func (s *sound) silenceRing() {
	s.ringMu.Lock()
	defer s.ringMu.Unlock()
	if s.ring != nil {
		s.ring.Stop()
		s.ring = nil
	}
}

// startRing starts the ringtone on dev (nil when no device would ring: an
// event says why).
func (s *sound) startRing(dev string, clip *audio.Clip) *audio.Ringtone {
	emit := func(e audio.Event) {
		if e.Kind == audio.EventFallback {
			// A device opened: maybe the first sound server (the ring
			// started without one), so the device list is watched now.
			_, _ = s.system()
		}
		if ev := s.deviceEvent(e, ""); ev != nil {
			s.a.sess.Emit(ev)
		}
	}
	sys, err := s.system()
	var r *audio.Ringtone
	if err == nil {
		r, err = sys.Ring(audio.RingConfig{Device: dev, Clip: clip, OnEvent: emit})
		if errors.Is(err, audio.ErrUnknownDevice) && dev != "" {
			devs, _ := sys.Devices()
			emit(audio.Event{Kind: audio.EventFallback, Role: audio.RoleRinger, Old: dev, New: resolveDefault(devs, audio.RoleRinger)})
			r, err = sys.Ring(audio.RingConfig{Clip: clip, OnEvent: emit})
		}
	}
	if err != nil {
		if !errors.Is(err, audio.ErrClosed) {
			emit(audio.Event{Kind: audio.EventDeviceError, Role: audio.RoleRinger, Old: dev, Err: err})
		}
		return nil
	}
	return r
}

// moveRing moves a ringtone playing now to id; on failure it stays.
func (s *sound) moveRing(id, _ string) error {
	s.ringMu.Lock()
	defer s.ringMu.Unlock()
	if s.ring == nil {
		return nil
	}
	if err := s.ring.SetDevice(id); err != nil {
		return fmt.Errorf("%w: %w", session.ErrInvalidArgument, err)
	}
	return nil
}

// stopRing ends the ringer goroutine and the ringtone (the agent closes).
func (s *sound) stopRing() {
	s.mu.Lock()
	kick, done := s.ringKick, s.ringDone
	s.ringKick = nil
	s.mu.Unlock()
	if kick != nil {
		close(kick)
		<-done
	}
	s.ringMu.Lock()
	if s.ring != nil {
		s.ring.Stop()
		s.ring = nil
	}
	s.ringMu.Unlock()
}
