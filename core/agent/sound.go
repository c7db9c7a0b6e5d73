package agent

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/dsp"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Where an RTC call's audio goes (Config.RTCAudio; docs/audio.md "Device
// mode in calls").
//
//   - host (the default): the application's, through PushPCM and
//     SetPCMSink, as before device mode existed. Voice processing runs only
//     when asked for (Config.AudioAEC...): the pushed microphone audio then
//     goes through a core/dsp processor whose reference is the received
//     audio handed to the PCM sink.
//   - device: the SDK opens the sound devices (core/audio) when the call's
//     media is up: the microphone, cleaned by a core/dsp processor (the
//     audio the speaker device takes is its reference), is what the call
//     sends; what it receives plays on the speaker. A ringing call plays
//     the ringtone on the ringer device.
//   - none: the call sends silence and plays nothing.
//
// One audio.System per agent, made on first use: host mode never opens a
// sound library unless the application lists or chooses devices.
const (
	AudioHost   = "host"
	AudioDevice = "device"
	AudioNone   = "none"
)

// Ringtones (Config.AudioRingtone, Agent.SetRingtone); a WAV is "wav:PATH".
const (
	RingtoneBuiltin = "builtin"
	RingtoneOff     = "off"
	ringtoneWAV     = "wav:"
)

// ErrNoSoundMode: the operation needs the call's audio to go through the
// SDK (rtc_audio "host" or "device"), and it goes nowhere.
var ErrNoSoundMode = errors.New(`cloudcc: the call's audio goes nowhere (rtc_audio "none")`)

// AudioSwitches are the voice processing stages of a call, or of the
// client's new calls.
type AudioSwitches struct {
	AEC bool `json:"aec"` // echo cancellation (with residual echo suppression)
	NS  bool `json:"ns"`  // noise suppression
	AGC bool `json:"agc"` // automatic gain control
	VAD bool `json:"vad"` // voice activity detection (never changes the audio)
}

func (w AudioSwitches) features() dsp.Features {
	var f dsp.Features
	if w.AEC {
		f |= dsp.EchoCancel | dsp.EchoSuppress
	}
	if w.NS {
		f |= dsp.NoiseSuppress
	}
	if w.AGC {
		f |= dsp.AGC
	}
	if w.VAD {
		f |= dsp.VAD
	}
	return f
}

func (w AudioSwitches) anyOn() bool { return w.AEC || w.NS || w.AGC || w.VAD }

// AudioSwitchChange sets some switches; nil leaves one as it is.
type AudioSwitchChange struct {
	AEC, NS, AGC, VAD *bool
}

func (c AudioSwitchChange) apply(w AudioSwitches) AudioSwitches {
	for _, p := range []struct {
		v   *bool
		dst *bool
	}{{c.AEC, &w.AEC}, {c.NS, &w.NS}, {c.AGC, &w.AGC}, {c.VAD, &w.VAD}} {
		if p.v != nil {
			*p.dst = *p.v
		}
	}
	return w
}

// AudioSelection is the devices in use (or to be used by the next call)
// for each role. An id "" means none is available.
type AudioSelection struct {
	Microphone AudioDeviceRef `json:"microphone"`
	Speaker    AudioDeviceRef `json:"speaker"`
	Ringer     AudioDeviceRef `json:"ringer"`
}

// roleIndex maps the three roles onto sound.sel.
func roleIndex(r audio.Role) int {
	switch r {
	case audio.RoleMicrophone:
		return 0
	case audio.RoleSpeaker:
		return 1
	case audio.RoleRinger:
		return 2
	}
	return -1
}

// ParseAudioRole reads "microphone", "speaker" or "ringer".
func ParseAudioRole(s string) (audio.Role, error) {
	for _, r := range []audio.Role{audio.RoleMicrophone, audio.RoleSpeaker, audio.RoleRinger} {
		if s == r.String() {
			return r, nil
		}
	}
	return audio.RoleUnknown, fmt.Errorf("%w: audio role %q (want microphone, speaker or ringer)", session.ErrInvalidArgument, s)
}

// sound is an agent's sound state: the lazily made audio.System, the
// device choices, the processing defaults of new calls and the ringtone.
type sound struct {
	a    *Agent
	mode string

	// selMu orders device choices and endpoint openings, so that a call
	// opening its devices while the app chooses others ends on the choice.
	selMu sync.Mutex

	mu        sync.Mutex
	sysCfg    audio.Config // tests narrow the backends
	sys       *audio.System
	watching  bool
	names     map[devKey]string // device names seen, for events about a device that left
	sel       [3]string         // chosen ids by roleIndex ("" the default)
	procNew   AudioSwitches     // processing of new calls
	ringOff   bool
	ringClip  *audio.Clip // nil: the built-in ring
	ringGen   int         // bumped when the ringtone changes
	ringCalls map[*rtc.Call]bool
	closed    bool

	ringKick chan struct{} // wakes the ringer goroutine (sound_ring.go)
	ringDone chan struct{}

	ringMu sync.Mutex // start and stop of the ringtone
	ring   *audio.Ringtone
	ringAt int // ringGen of ring
}

type devKey struct {
	kind audio.Kind
	id   string
}

// checkSoundConfig rejects sound keys the SDK cannot use, and reads the
// ringtone's WAV (it must be 16-bit PCM).
func checkSoundConfig(c Config) (*audio.Clip, error) {
	switch c.RTCAudio {
	case "", AudioHost, AudioDevice, AudioNone:
	default:
		return nil, &ConfigError{Field: "RTCAudio", Value: c.RTCAudio, Want: "host, device or none"}
	}
	clip, _, err := parseRingtone(c.AudioRingtone)
	if err != nil {
		return nil, &ConfigError{Field: "AudioRingtone", Value: c.AudioRingtone, Err: err}
	}
	return clip, nil
}

// parseRingtone reads a ringtone setting: the clip (nil: built-in) and
// whether it is off.
func parseRingtone(s string) (*audio.Clip, bool, error) {
	switch {
	case s == "" || s == RingtoneBuiltin:
		return nil, false, nil
	case s == RingtoneOff:
		return nil, true, nil
	case strings.HasPrefix(s, ringtoneWAV) && len(s) > len(ringtoneWAV):
		clip, err := audio.LoadWAV(strings.TrimPrefix(s, ringtoneWAV))
		return clip, false, err
	}
	return nil, false, fmt.Errorf("ringtone %q (want builtin, off or wav:PATH)", s)
}

func newSound(a *Agent, clip *audio.Clip) *sound {
	c := a.cfg
	s := &sound{a: a, mode: c.RTCAudio, names: map[devKey]string{}, ringCalls: map[*rtc.Call]bool{},
		sel: [3]string{c.AudioMicrophone, c.AudioSpeaker, c.AudioRinger}, ringClip: clip}
	if s.mode == "" {
		s.mode = AudioHost
	}
	s.ringOff = c.AudioRingtone == RingtoneOff
	on := s.mode == AudioDevice // the default of each switch
	pick := func(p *bool) bool {
		if p != nil {
			return *p
		}
		return on
	}
	s.procNew = AudioSwitches{AEC: pick(c.AudioAEC), NS: pick(c.AudioNS), AGC: pick(c.AudioAGC), VAD: pick(c.AudioVAD)}
	return s
}

// system returns the agent's audio.System, made on first use, and makes
// sure the device list is watched (retried on each use while there is no
// backend).
func (s *sound) system() (*audio.System, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, audio.ErrClosed
	}
	if s.sys == nil {
		cfg := s.sysCfg
		if cfg.Logger == nil {
			cfg.Logger = s.a.log // faults on the device threads
		}
		s.sys = audio.NewSystem(cfg)
	}
	sys, watching := s.sys, s.watching
	s.mu.Unlock()
	if !watching {
		s.watch(sys)
	}
	return sys, nil
}

// watch subscribes to the device list once a backend is there.
func (s *sound) watch(sys *audio.System) {
	devs, err := sys.Devices()
	if err != nil {
		return // no backend yet: the next use tries again
	}
	s.mu.Lock()
	if s.watching || s.closed {
		s.mu.Unlock()
		return
	}
	s.watching = true
	s.learnLocked(devs)
	s.mu.Unlock()
	if _, err := sys.Watch(s.onDevicesChanged); err != nil {
		s.mu.Lock()
		s.watching = false
		s.mu.Unlock()
	}
}

func (s *sound) onDevicesChanged(e audio.Event) {
	s.mu.Lock()
	s.learnLocked(e.Added)
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	if ev := s.deviceEvent(e, ""); ev != nil {
		s.a.sess.Emit(ev)
	}
}

// learnLocked keeps the names of devices seen. s.mu held.
func (s *sound) learnLocked(devs []audio.Device) {
	for _, d := range devs {
		s.names[devKey{d.Kind, d.ID}] = d.Name
	}
}

// ref names a device of a role's kind.
func (s *sound) ref(r audio.Role, id string) AudioDeviceRef {
	if id == "" {
		return AudioDeviceRef{}
	}
	k := devKey{r.Kind(), id}
	s.mu.Lock()
	name, ok := s.names[k]
	sys := s.sys
	s.mu.Unlock()
	if !ok && sys != nil {
		if devs, err := sys.Devices(); err == nil {
			s.mu.Lock()
			s.learnLocked(devs)
			name = s.names[k]
			s.mu.Unlock()
		}
	}
	return AudioDeviceRef{ID: id, Name: name}
}

// resolve is the device "" stands for in a role now: the default
// communications device (the ringer: the default device).
func resolveDefault(devs []audio.Device, r audio.Role) string {
	for _, d := range devs {
		if d.Kind != r.Kind() {
			continue
		}
		if (r == audio.RoleRinger && d.IsDefault) || (r != audio.RoleRinger && d.IsDefaultComm) {
			return d.ID
		}
	}
	return ""
}

func (s *sound) close() {
	s.mu.Lock()
	s.closed = true
	sys := s.sys
	s.mu.Unlock()
	s.stopRing()
	if sys != nil {
		_ = sys.Close()
	}
}

// ---- the API ----

// AudioDevices lists the machine's sound devices (capture first) and
// names the backend. Without a sound server it returns an error matching
// audio.ErrNoAudioBackend, with each backend's reason.
func (a *Agent) AudioDevices() (audio.Backend, []audio.Device, error) {
	sys, err := a.snd.system()
	if err != nil {
		return "", nil, err
	}
	devs, err := sys.Devices()
	if err != nil {
		return "", nil, err
	}
	a.snd.mu.Lock()
	a.snd.learnLocked(devs)
	a.snd.mu.Unlock()
	b, err := sys.Backend()
	return b, devs, err
}

// SelectAudioDevice chooses the device of a role ("" the default
// communications device; the ringer's: the default device) for later calls
// and switches the calls in progress (and a ringing ringtone) to it; their
// RTP goes on. An unknown id, or a device that fails to open for a call in
// progress, is an error matching ErrInvalidArgument and changes nothing.
// It returns the devices in use.
func (a *Agent) SelectAudioDevice(role audio.Role, id string) (AudioSelection, error) {
	s := a.snd
	i := roleIndex(role)
	if i < 0 {
		return AudioSelection{}, fmt.Errorf("%w: audio role %v", session.ErrInvalidArgument, role)
	}
	sys, err := s.system()
	if err != nil {
		return AudioSelection{}, err
	}
	devs, err := sys.Devices()
	if err != nil {
		return AudioSelection{}, err
	}
	if id != "" && !hasDevice(devs, role.Kind(), id) {
		return AudioSelection{}, fmt.Errorf("%w: %w: no %s device %q", session.ErrInvalidArgument, audio.ErrUnknownDevice,
			kindWord(role.Kind()), id)
	}
	s.selMu.Lock()
	defer s.selMu.Unlock()
	s.mu.Lock()
	s.learnLocked(devs)
	prev := s.sel[i]
	s.mu.Unlock()
	if role == audio.RoleRinger {
		if err := s.moveRing(id, prev); err != nil {
			return AudioSelection{}, err
		}
	} else if err := a.switchCalls(role, id, prev); err != nil {
		return AudioSelection{}, err
	}
	s.mu.Lock()
	s.sel[i] = id
	s.mu.Unlock()
	return a.inUse(devs), nil
}

// switchCalls moves every call's endpoint to id; on a failure the ones
// moved go back to prev and the error is returned.
func (a *Agent) switchCalls(role audio.Role, id, prev string) error {
	var eps []*audio.Endpoint
	a.rmu.Lock()
	for _, st := range a.calls {
		if st.snd != nil && st.snd.ep != nil {
			eps = append(eps, st.snd.ep)
		}
	}
	a.rmu.Unlock()
	set := func(ep *audio.Endpoint, id string) error {
		if role == audio.RoleMicrophone {
			return ep.SetMicrophone(id)
		}
		return ep.SetSpeaker(id)
	}
	for i, ep := range eps {
		if err := set(ep, id); err != nil {
			if errors.Is(err, audio.ErrClosed) {
				continue // the call ended meanwhile
			}
			for _, done := range eps[:i] {
				_ = set(done, prev)
			}
			return fmt.Errorf("%w: %w", session.ErrInvalidArgument, err)
		}
	}
	return nil
}

// inUse is the devices the calls use (the newest call's), or those the
// next call would use.
func (a *Agent) inUse(devs []audio.Device) AudioSelection {
	s := a.snd
	s.mu.Lock()
	sel := s.sel
	s.mu.Unlock()
	ids := sel
	for i, r := range []audio.Role{audio.RoleMicrophone, audio.RoleSpeaker, audio.RoleRinger} {
		if ids[i] == "" {
			ids[i] = resolveDefault(devs, r)
		}
	}
	if ep := a.newestEndpoint(); ep != nil {
		ids[0], ids[1] = ep.Microphone(), ep.Speaker()
	}
	s.ringMu.Lock()
	if s.ring != nil {
		ids[2] = s.ring.Device()
	}
	s.ringMu.Unlock()
	return AudioSelection{Microphone: s.ref(audio.RoleMicrophone, ids[0]), Speaker: s.ref(audio.RoleSpeaker, ids[1]),
		Ringer: s.ref(audio.RoleRinger, ids[2])}
}

// newestEndpoint is the endpoint of the agent's current call, if it has one.
func (a *Agent) newestEndpoint() *audio.Endpoint {
	in := a.cur()
	if in == nil {
		return nil
	}
	c := in.findCall("")
	if c == nil {
		return nil
	}
	a.rmu.Lock()
	defer a.rmu.Unlock()
	if st := a.calls[c]; st != nil && st.snd != nil {
		return st.snd.ep
	}
	return nil
}

func hasDevice(devs []audio.Device, k audio.Kind, id string) bool {
	for _, d := range devs {
		if d.Kind == k && d.ID == id {
			return true
		}
	}
	return false
}

// kindWord is a kind as the C ABI names it.
func kindWord(k audio.Kind) string {
	if k == audio.KindCapture {
		return "input"
	}
	return "output"
}

// AudioKindName is a device kind as the C ABI names it: "input" or "output".
func AudioKindName(k audio.Kind) string { return kindWord(k) }

// SetRingtone sets what a ringing call plays: "builtin", "off" or
// "wav:PATH" (16-bit PCM). A bad value or WAV is an error matching
// ErrInvalidArgument and changes nothing; a ringtone playing now is
// replaced.
func (a *Agent) SetRingtone(spec string) error {
	clip, off, err := parseRingtone(spec)
	if err != nil {
		return fmt.Errorf("%w: %w", session.ErrInvalidArgument, err)
	}
	s := a.snd
	s.mu.Lock()
	s.ringClip, s.ringOff = clip, off
	s.ringGen++
	s.mu.Unlock()
	a.syncRing()
	return nil
}

// AudioProcessingState is the processing of a call, or of the client's
// new calls (UUID ""): the switches, and for a call whose audio passes a
// processor (Active), what the processor measures now.
type AudioProcessingState struct {
	AudioSwitches
	UUID   string
	Active bool
	// DelayMs is the echo's bulk delay the canceller found (DelayKnown).
	DelayKnown bool
	DelayMs    float64
	ERLEdB     float64 // echo return loss enhancement, an estimate
	LevelDBFS  float64 // the microphone's level before processing
	Speaking   bool    // the VAD's decision now
	DriftPPM   float64 // playout clock against capture clock, as compensated
	// MicRateHz and SpeakerRateHz are the devices' clocks measured
	// against the host's (device mode; 0 during the first second, rough
	// for the next few). The device rings resample each device to the
	// call's clock (core/audio), so DriftPPM is what is left between the
	// two after that: near 0 even when these differ.
	MicRateHz, SpeakerRateHz float64
}

// SetAudioProcessing changes the switches of the client's new calls
// (uuid "") or of a call ("" is not the current call here: name it), and
// returns them with, for a call, its processor's state. With no switch
// set it only reads.
func (a *Agent) SetAudioProcessing(uuid string, ch AudioSwitchChange) (AudioProcessingState, error) {
	s := a.snd
	if uuid == "" {
		s.mu.Lock()
		s.procNew = ch.apply(s.procNew)
		w := s.procNew
		s.mu.Unlock()
		return AudioProcessingState{AudioSwitches: w}, nil
	}
	var out AudioProcessingState
	err := a.withCall(uuid, func(_ *rtc.Call, mc *rtc.MediaCall, st *callAudio) error {
		return a.setCallProcessing(mc, st, ch, &out)
	})
	out.UUID = uuid
	return out, err
}
