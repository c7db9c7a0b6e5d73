package agent

import (
	"fmt"
	"io"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// The audio API of RTC mode. uuid names a call by its CTI uuid; "" is the
// agent's current call (the newest answered one). Errors: ErrNoRTC when the
// agent is not in RTC mode, ErrNoCall when there is no such call,
// ErrNotAnswered while it still rings (no media yet).

// pushBufferMs bounds the microphone PCM waiting to be sent.
const pushBufferMs = 500

// withCall runs fn on the call's media and the agent's state of the call.
func (a *Agent) withCall(uuid string, fn func(c *rtc.Call, mc *rtc.MediaCall, st *callAudio) error) error {
	in := a.cur()
	if in == nil {
		return ErrNoRTC
	}
	c := in.findCall(uuid)
	if c == nil {
		return ErrNoCall
	}
	mc, ok := c.Media().(*rtc.MediaCall)
	if !ok || mc == nil {
		return ErrNotAnswered
	}
	a.rmu.Lock()
	defer a.rmu.Unlock()
	st := a.stateLocked(c)
	if st == nil {
		return ErrNoCall
	}
	return fn(c, mc, st)
}

// setSource replaces what the call sends (nil: silence); a push source in
// use is dropped. What the app chose keeps the microphone of device mode
// from taking over.
func (st *callAudio) setSource(mc *rtc.MediaCall, src media.AudioSource) {
	if st.push != nil {
		_ = st.push.Close()
		st.push, st.pushRate = nil, 0
	}
	st.appSource = src != nil
	mc.SetAudioSource(src)
}

// finish stops what the agent attached to an ended call (the recording is
// finalized).
func (st *callAudio) finish() {
	if st.recRemove != nil {
		st.recRemove()
		st.recRemove = nil
	}
	if st.rec != nil {
		_ = st.rec.Close()
		st.rec = nil
	}
	if st.sinkRemove != nil {
		st.sinkRemove()
		st.sinkRemove = nil
	}
	if st.push != nil {
		_ = st.push.Close()
		st.push = nil
	}
	if st.snd != nil {
		st.snd.close()
		st.snd = nil
	}
}

// PlayWAV sends a WAV file (PCM16 at any rate and channel count, or 8-bit
// A-law/μ-law) on the call, looping if asked; at its end the call sends
// silence.
func (a *Agent) PlayWAV(uuid, path string, loop bool) error {
	if a.cur() == nil {
		return ErrNoRTC // the mode is the first thing wrong, whatever the file
	}
	src, err := media.OpenWAVSource(path, loop)
	if err != nil {
		return fmt.Errorf("%w: %v", session.ErrInvalidArgument, err)
	}
	err = a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		st.setSource(mc, src)
		return nil
	})
	if c, ok := src.(io.Closer); ok && err != nil {
		_ = c.Close()
	}
	return err
}

// PlayTone sends a sine tone of hz (0 < hz < 4000) on the call.
func (a *Agent) PlayTone(uuid string, hz float64) error {
	if hz <= 0 || hz >= 4000 {
		return fmt.Errorf("%w: tone %v Hz (want 0 < hz < 4000)", session.ErrInvalidArgument, hz)
	}
	return a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		st.setSource(mc, media.ToneSource(hz, toneAmplitude))
		return nil
	})
}

// StopPlay makes the call send silence (device mode: the microphone
// again).
func (a *Agent) StopPlay(uuid string) error {
	return a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		st.setSource(mc, nil)
		st.useMicrophone(mc)
		return nil
	})
}

// RecordWAV records the audio the call receives (8 kHz 16-bit mono WAV),
// replacing a recording in progress (which is finalized). The file is
// finalized by StopRecord or at the end of the call.
func (a *Agent) RecordWAV(uuid, path string) error {
	return a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		rec, err := media.CreateWAVRecorder(path)
		if err != nil {
			return fmt.Errorf("%w: %v", session.ErrInvalidArgument, err)
		}
		if st.recRemove != nil {
			st.recRemove()
		}
		if st.rec != nil {
			_ = st.rec.Close()
		}
		st.rec, st.recRemove = rec, mc.AddAudioSink(rec)
		return nil
	})
}

// StopRecord ends the call's recording and finalizes the file (a no-op
// when none runs).
func (a *Agent) StopRecord(uuid string) error {
	return a.withCall(uuid, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error {
		if st.recRemove != nil {
			st.recRemove()
			st.recRemove = nil
		}
		if st.rec != nil {
			err := st.rec.Close()
			st.rec = nil
			return err
		}
		return nil
	})
}

// PushPCM sends microphone frames (mono int16 at rate Hz) on the call. The
// first push switches the call's source to a push source at that rate (a
// later push at another rate starts a new one); PlayWAV, PlayTone and
// StopPlay end it. Audio is sent in real time: frames pushed faster pile up
// to 500 ms, the oldest then dropped; an underrun sends silence. With
// host-mode processing the frames go through the call's voice processor
// first (sound_call.go). Refused (ErrNoSoundMode) when rtc_audio is none.
func (a *Agent) PushPCM(uuid string, rate int, samples []int16) error {
	if rate < 8000 || rate > 192000 {
		return fmt.Errorf("%w: PCM rate %d", session.ErrInvalidArgument, rate)
	}
	if a.snd.mode == AudioNone {
		return ErrNoSoundMode
	}
	var hc *hostCapture
	err := a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		if hc = a.hostPushLocked(st, mc, rate); hc != nil {
			return nil
		}
		if st.push == nil || st.pushRate != rate {
			p := media.NewPCMPushSource(rate, pushBufferMs)
			st.setSource(mc, p)
			st.push, st.pushRate = p, rate
		}
		st.push.Push(samples)
		return nil
	})
	if err == nil && hc != nil {
		hc.push(samples) // the processing, outside the agent's lock
	}
	return err
}

// SetPCMSink delivers the call's received audio (speaker frames, mono int16
// at rate Hz, 20 ms each) to fn, replacing the previous sink; fn nil
// removes it. fn runs on a media goroutine: it must not block. With
// host-mode processing, what the sink gets is the echo canceller's
// reference. Refused (ErrNoSoundMode) when rtc_audio is none.
func (a *Agent) SetPCMSink(uuid string, rate int, fn func([]int16)) error {
	if fn != nil && (rate < 8000 || rate > 192000) {
		return fmt.Errorf("%w: PCM rate %d", session.ErrInvalidArgument, rate)
	}
	if a.snd.mode == AudioNone && fn != nil {
		return ErrNoSoundMode
	}
	return a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		if st.sinkRemove != nil {
			st.sinkRemove()
			st.sinkRemove = nil
		}
		if fn != nil {
			st.sinkRemove = mc.AddAudioSink(a.pcmSinkLocked(st, media.PCMCallbackSink(rate, fn)))
		}
		return nil
	})
}

// CallStats returns the call's media statistics.
func (a *Agent) CallStats(uuid string) (media.Stats, error) {
	var s media.Stats
	err := a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, _ *callAudio) error {
		s = mc.Stats()
		return nil
	})
	return s, err
}

// CallQuality returns the call's statistics in the shape of an rtc_stats
// event (milliseconds, kbit/s, MOS), as the C ABI and the bindings show them.
func (a *Agent) CallQuality(uuid string) (*RTCStatsEvent, error) {
	var ev *RTCStatsEvent
	err := a.withCall(uuid, func(c *rtc.Call, mc *rtc.MediaCall, _ *callAudio) error {
		ev = statsEvent(c, mc.Stats())
		return nil
	})
	return ev, err
}

// RTCCalls lists the CTI uuids of the phone's live calls (nil when not in
// RTC mode).
func (a *Agent) RTCCalls() []string {
	in := a.cur()
	if in == nil {
		return nil
	}
	var out []string
	for _, c := range in.ph.Calls() {
		if c.State() != rtc.CallEnded {
			out = append(out, c.UUID())
		}
	}
	return out
}

// callAudio is the agent's per-call audio state.
type callAudio struct {
	push       *media.PCMPushSource
	pushRate   int
	rec        *media.WAVRecorder
	recRemove  func()
	sinkRemove func()
	appSource  bool    // the app chose what the call sends (setSource)
	tap        *refTap // host mode: the app's sink, feeding the processor's reference

	// snd is the call's devices and voice processor (sound_call.go).
	snd *callSound
	// meter reads the call's voice meter: the microphone's level (dBFS)
	// and voice activity, from the voice processor in the call's audio
	// path; ok false when there is none (host mode without processing).
	// Set where the call's audio path is built; the quality sampler and
	// the pre-call test read it (quality.go).
	meter func() (levelDBFS float64, speaking bool, ok bool)
}

// stateLocked returns the agent's state of a live call, made on demand
// (nil once the call ended). a.rmu held.
func (a *Agent) stateLocked(c *rtc.Call) *callAudio {
	if c.State() == rtc.CallEnded {
		return nil
	}
	st := a.calls[c]
	if st == nil {
		st = &callAudio{}
		a.calls[c] = st
	}
	return st
}
