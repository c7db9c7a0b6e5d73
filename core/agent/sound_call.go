package agent

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/dsp"
	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/rtc"
)

// A call's sound (sound.go): in device mode its endpoint on the chosen
// devices with a dsp processor between them; in host mode, when asked
// for, a processor on the pushed microphone audio.

// callSound is what the agent attached to one call's audio. Its fields
// are guarded by Agent.rmu, but for the processor's own methods.
type callSound struct {
	sw       AudioSwitches
	proc     *dsp.Processor
	tap      *voiceTap       // proc as the endpoint's audio.Processor
	ep       *audio.Endpoint // device mode, once open
	opening  bool            // device mode: the endpoint is being opened
	epRemove func()          // the endpoint as the call's sink
	host     *hostCapture    // host mode: the pushed audio through proc
}

// close stops the devices, then the processor they call.
func (cs *callSound) close() {
	if cs.epRemove != nil {
		cs.epRemove()
		cs.epRemove = nil
	}
	if cs.ep != nil {
		_ = cs.ep.Close()
		cs.ep = nil
	}
	if cs.proc != nil {
		_ = cs.proc.Close()
	}
}

// voiceTap adapts a dsp.Processor to the endpoint's hook: Playback on the
// playback device's thread (the reference: what the device took), Capture
// on the capture device's thread (what the call sends). The endpoint's
// frames are 20 ms at the call's rate, which the processor takes as they
// are; its clocks are the devices', so the processor's drift control
// follows the two devices' rates.
type voiceTap struct{ p *dsp.Processor }

func (v *voiceTap) Playback(far []int16) { _ = v.p.Playback(far) }

func (v *voiceTap) Capture(near, out []int16) {
	if _, err := v.p.Capture(near, out); err != nil {
		copy(out, near) // closed: the microphone passes
	}
}

// refTap is the app's PCM sink in host mode: the processor (once there
// is one) takes each frame as its reference before the app gets it, on the
// same goroutine, so that the echo of a frame can never reach the
// processor before the frame itself.
type refTap struct {
	app  media.AudioSink
	proc atomic.Pointer[dsp.Processor]
}

func (r *refTap) WritePCM(samples []int16, rate int) {
	if p := r.proc.Load(); p != nil && rate == media.SampleRate {
		_ = p.Playback(samples)
	}
	r.app.WritePCM(samples, rate)
}

// pcmSinkLocked is what SetPCMSink plugs into the call for the app's sink:
// in host mode the sink behind a reference tap. a.rmu held.
func (a *Agent) pcmSinkLocked(st *callAudio, app media.AudioSink) media.AudioSink {
	st.tap = nil
	if a.snd.mode != AudioHost {
		return app
	}
	st.tap = &refTap{app: app}
	if st.snd != nil && st.snd.proc != nil {
		st.tap.proc.Store(st.snd.proc)
	}
	return st.tap
}

// hostCapture runs pushed microphone audio through the processor: it
// converts it to the call's rate, cuts it in 20 ms frames, processes them
// and pushes the result to the call's source. The capture thread is the
// one pushing, so the processor runs (its VAD too) while the call is
// muted.
type hostCapture struct {
	mu    sync.Mutex
	rate  int
	rs    *media.Resampler
	proc  *dsp.Processor
	dst   *media.PCMPushSource // at the call's rate
	pend  []int16
	conv  []int16
	frame []int16
}

const callFrame = media.SampleRate / 50 // 20 ms

func newHostCapture(rate int, p *dsp.Processor, dst *media.PCMPushSource) *hostCapture {
	return &hostCapture{rate: rate, rs: media.NewResampler(rate, media.SampleRate), proc: p, dst: dst,
		frame: make([]int16, callFrame)}
}

func (h *hostCapture) push(samples []int16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conv = h.rs.Process(h.conv[:0], samples)
	h.pend = append(h.pend, h.conv...)
	n := 0
	for ; n+callFrame <= len(h.pend); n += callFrame {
		if _, err := h.proc.Capture(h.pend[n:n+callFrame], h.frame); err != nil {
			copy(h.frame, h.pend[n:n+callFrame])
		}
		h.dst.Push(h.frame)
	}
	h.pend = h.pend[:copy(h.pend, h.pend[n:])]
}

// callSoundLocked returns the call's sound state, made with the client's
// processing for new calls. a.rmu held.
func (a *Agent) callSoundLocked(st *callAudio) *callSound {
	if st.snd != nil {
		return st.snd
	}
	s := a.snd
	s.mu.Lock()
	sw := s.procNew
	s.mu.Unlock()
	cs := &callSound{sw: sw}
	st.snd = cs
	if s.mode == AudioDevice || (s.mode == AudioHost && sw.anyOn()) {
		a.startProcessorLocked(st, cs)
	}
	return cs
}

// startProcessorLocked gives the call its processor and its meter (the
// seam of the quality sampler). a.rmu held.
func (a *Agent) startProcessorLocked(st *callAudio, cs *callSound) {
	p, err := dsp.New(dsp.Config{SampleRate: media.SampleRate, Features: cs.sw.features()})
	if err != nil {
		a.log.Warn("rtc: voice processor", "err", err)
		return
	}
	cs.proc, cs.tap = p, &voiceTap{p}
	// The meter measures only while microphone audio goes through the
	// processor: with none since the last reading (host mode with the app
	// pushing nothing, a microphone that failed), its level is the last
	// frame's, frozen, which the quality rules would take for a stuck
	// microphone. One reader a call: the sampler, or the pre-call test.
	var seen atomic.Int64
	st.meter = func() (float64, bool, bool) {
		s := p.State()
		return s.InputDBFS, s.Speaking, s.Frames > seen.Swap(s.Frames)
	}
	if st.tap != nil {
		st.tap.proc.Store(p)
	}
}

// hostPushLocked is PushPCM's source when host-mode processing runs
// (nil otherwise): the pushed audio goes through the processor into a
// push source at the call's rate. a.rmu held.
func (a *Agent) hostPushLocked(st *callAudio, mc *rtc.MediaCall, rate int) *hostCapture {
	if a.snd.mode != AudioHost {
		return nil
	}
	cs := a.callSoundLocked(st)
	if cs.proc == nil {
		return nil
	}
	if cs.host == nil || cs.host.dst != st.push || cs.host.rate != rate {
		p := media.NewPCMPushSource(media.SampleRate, pushBufferMs)
		st.setSource(mc, p)
		st.push, st.pushRate = p, rate
		cs.host = newHostCapture(rate, cs.proc, p)
	}
	return cs.host
}

// useMicrophone makes the microphone what the call sends again (device
// mode, once its endpoint is open). a.rmu held.
func (st *callAudio) useMicrophone(mc *rtc.MediaCall) {
	st.appSource = false
	if st.snd != nil && st.snd.ep != nil {
		mc.SetAudioSource(st.snd.ep)
	}
}

// onCallSound follows a call's states: the ringtone while an incoming
// call rings for the agent (device mode), and the call's sound once its
// media is up.
func (a *Agent) onCallSound(c *rtc.Call, state rtc.CallState, auto bool) {
	s := a.snd
	if s.mode == AudioDevice {
		a.ringFor(c, state == rtc.CallRinging && c.Incoming() && !auto)
	}
	if state != rtc.CallAnswered && state != rtc.CallConfirmed {
		return
	}
	mc, ok := c.Media().(*rtc.MediaCall)
	if !ok || mc == nil {
		return
	}
	a.rmu.Lock()
	st := a.stateLocked(c)
	if st == nil {
		a.rmu.Unlock()
		return
	}
	cs := a.callSoundLocked(st)
	open := s.mode == AudioDevice && cs.ep == nil && !cs.opening && !a.closed
	if open {
		cs.opening = true
		a.wg.Add(1)
	}
	a.rmu.Unlock()
	if open {
		go func() {
			defer a.wg.Done()
			defer contain.Recover(a.log, "agent: call audio devices", nil) // the call goes on without them
			a.openDevices(c, mc, cs)
		}()
	}
}

// openDevices opens the call's endpoint on the chosen devices and plugs
// it into the call: the microphone (through the processor) as its source,
// the speaker as a sink. A device that cannot be had never ends the call:
// it is reported (audio_device_fallback, audio_device_error) and the call
// goes on. Without a sound server the endpoint opens silent (an
// audio_device_error per role, once) and core/audio opens its devices
// when a server answers (audio_device_fallback).
func (a *Agent) openDevices(c *rtc.Call, mc *rtc.MediaCall, cs *callSound) {
	s := a.snd
	s.selMu.Lock()
	defer s.selMu.Unlock()
	var ep *audio.Endpoint
	sys, err := s.system()
	if err == nil {
		ep, err = a.openEndpoint(sys, c, cs)
	}
	a.rmu.Lock()
	st := a.stateLocked(c)
	if st == nil || st.snd != cs {
		a.rmu.Unlock()
		if ep != nil {
			_ = ep.Close()
		}
		return
	}
	cs.opening = false
	if err != nil {
		a.rmu.Unlock()
		a.log.Warn("rtc: the call's sound devices", "uuid", c.UUID(), "err", err)
		s.mu.Lock()
		mic, spk := s.sel[0], s.sel[1]
		s.mu.Unlock()
		for _, e := range []struct {
			role audio.Role
			id   string
		}{{audio.RoleMicrophone, mic}, {audio.RoleSpeaker, spk}} {
			a.sess.Emit(&AudioDeviceErrorEvent{MsgType: MsgAudioDeviceError, Role: e.role.String(), ID: e.id,
				Error: err.Error(), UUID: c.UUID()})
		}
		return
	}
	cs.ep = ep
	cs.epRemove = mc.AddAudioSink(ep)
	if !st.appSource {
		mc.SetAudioSource(ep)
	}
	a.rmu.Unlock()
	a.log.Info("rtc: the call's sound devices are open", "uuid", c.UUID(), "microphone", ep.Microphone(), "speaker", ep.Speaker())
}

// openEndpoint opens the endpoint on the chosen devices; a chosen device
// that is not there any more falls back to the default (with an event).
func (a *Agent) openEndpoint(sys *audio.System, c *rtc.Call, cs *callSound) (*audio.Endpoint, error) {
	s := a.snd
	s.mu.Lock()
	mic, spk := s.sel[0], s.sel[1]
	s.mu.Unlock()
	cfg := audio.EndpointConfig{Rate: media.SampleRate, Microphone: mic, Speaker: spk,
		OnEvent: func(e audio.Event) { a.onEndpointEvent(c, e) }}
	if cs.tap != nil {
		cfg.Processor = cs.tap
	}
	ep, err := sys.OpenEndpoint(cfg)
	if !errors.Is(err, audio.ErrUnknownDevice) {
		return ep, err
	}
	devs, lerr := sys.Devices()
	if lerr != nil {
		return nil, err
	}
	for _, r := range []struct {
		role audio.Role
		id   *string
	}{{audio.RoleMicrophone, &cfg.Microphone}, {audio.RoleSpeaker, &cfg.Speaker}} {
		if *r.id == "" || hasDevice(devs, r.role.Kind(), *r.id) {
			continue
		}
		a.sess.Emit(&AudioDeviceFallbackEvent{MsgType: MsgAudioDeviceFallback, Role: r.role.String(), UUID: c.UUID(),
			Old: s.ref(r.role, *r.id), New: s.ref(r.role, resolveDefault(devs, r.role))})
		*r.id = ""
	}
	return sys.OpenEndpoint(cfg)
}

func (a *Agent) onEndpointEvent(c *rtc.Call, e audio.Event) {
	if e.Kind == audio.EventFallback {
		// A device opened: a sound server answers, maybe for the first
		// time (the call started without one), so the device list is
		// watched from now on (audio_devices_changed).
		_, _ = a.snd.system()
	}
	if ev := a.snd.deviceEvent(e, c.UUID()); ev != nil {
		a.sess.Emit(ev)
		return
	}
	a.log.Info("rtc: sound device", "uuid", c.UUID(), "event", e.String())
}

// setCallProcessing applies a switch change to a call and reports its
// state. a.rmu held (withCall).
func (a *Agent) setCallProcessing(mc *rtc.MediaCall, st *callAudio, ch AudioSwitchChange, out *AudioProcessingState) error {
	if a.snd.mode == AudioNone {
		return ErrNoSoundMode
	}
	cs := a.callSoundLocked(st)
	cs.sw = ch.apply(cs.sw)
	if cs.proc == nil && cs.sw.anyOn() {
		a.startProcessorLocked(st, cs)
	}
	if cs.proc != nil {
		if err := cs.proc.SetFeatures(cs.sw.features()); err != nil {
			return err
		}
	}
	out.AudioSwitches = cs.sw
	if cs.proc == nil {
		return nil
	}
	ps := cs.proc.State()
	out.Active = true
	out.DelayKnown, out.DelayMs = ps.DelayKnown, ps.DelayMs
	out.ERLEdB, out.LevelDBFS, out.Speaking, out.DriftPPM = ps.ERLEdB, ps.InputDBFS, ps.Speaking, ps.DriftPPM
	if cs.ep != nil {
		es := cs.ep.Stats()
		out.MicRateHz, out.SpeakerRateHz = es.Microphone.EffectiveRate, es.Speaker.EffectiveRate
	}
	return nil
}
