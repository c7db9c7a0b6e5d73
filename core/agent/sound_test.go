package agent

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// The sound keys and host / none modes, with no sound server needed:
// config and bad input, the processing switches, host-mode echo
// cancellation in a real call against ccsim's PBX, none mode, and device
// mode where no sound server exists. The device-mode calls on a real
// PulseAudio are sound_pulse_test.go's.

// writeWAV writes a WAV file of format (1 PCM, 3 float) and bits.
func writeWAV(t *testing.T, format, bits int) string {
	t.Helper()
	rate, n := 8000, 800
	data := make([]byte, n*bits/8)
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], uint16(format))
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*bits/8))
	binary.LittleEndian.PutUint16(h[32:], uint16(bits/8))
	binary.LittleEndian.PutUint16(h[34:], uint16(bits))
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	p := filepath.Join(t.TempDir(), "ring.wav")
	if err := os.WriteFile(p, append(h, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSoundConfigRefusals(t *testing.T) {
	float := writeWAV(t, 3, 32)
	for _, c := range []struct {
		cfg   Config
		field string
		msg   string
	}{
		{Config{WSURL: "ws://x/ws", RTCAudio: "speakers"}, "RTCAudio", "host, device or none"},
		{Config{WSURL: "ws://x/ws", AudioRingtone: "loud"}, "AudioRingtone", "builtin, off or wav:PATH"},
		{Config{WSURL: "ws://x/ws", AudioRingtone: "wav:"}, "AudioRingtone", "builtin, off or wav:PATH"},
		{Config{WSURL: "ws://x/ws", AudioRingtone: "wav:" + float}, "AudioRingtone", "unsupported WAV"},
	} {
		_, err := New(c.cfg, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !errors.Is(err, session.ErrInvalidArgument) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
	if !errors.Is(mustErr(New(Config{WSURL: "ws://x/ws", AudioRingtone: "wav:" + float}, nil)), audio.ErrUnsupportedWAV) {
		t.Error("a float WAV ringtone is not ErrUnsupportedWAV")
	}
	a, err := New(Config{WSURL: "ws://x/ws", RTCAudio: AudioDevice, AudioRingtone: "wav:" + writeWAV(t, 1, 16)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.snd.ringClip == nil || a.snd.ringClip.Rate != 8000 {
		t.Fatalf("ringtone clip %+v", a.snd.ringClip)
	}
}

func mustErr(_ *Agent, err error) error { return err }

// The switches of new calls: all on in device mode, all off otherwise,
// each key overriding; a change sets only what it names.
func TestSoundSwitchDefaults(t *testing.T) {
	on, off := true, false
	for _, c := range []struct {
		cfg  Config
		want AudioSwitches
	}{
		{Config{}, AudioSwitches{}},
		{Config{RTCAudio: AudioHost, AudioVAD: &on}, AudioSwitches{VAD: true}},
		{Config{RTCAudio: AudioDevice}, AudioSwitches{AEC: true, NS: true, AGC: true, VAD: true}},
		{Config{RTCAudio: AudioDevice, AudioNS: &off, AudioAGC: &off}, AudioSwitches{AEC: true, VAD: true}},
		{Config{RTCAudio: AudioNone}, AudioSwitches{}},
	} {
		c.cfg.WSURL = "ws://x/ws"
		a, err := New(c.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := a.SetAudioProcessing("", AudioSwitchChange{})
		if err != nil || st.AudioSwitches != c.want || st.Active {
			t.Errorf("%+v: %+v %v, want %+v", c.cfg, st, err, c.want)
		}
		st, _ = a.SetAudioProcessing("", AudioSwitchChange{AGC: &on, AEC: &off})
		want := c.want
		want.AGC, want.AEC = true, false
		if st.AudioSwitches != want {
			t.Errorf("%+v after a change: %+v, want %+v", c.cfg, st.AudioSwitches, want)
		}
		if _, err := a.SetAudioProcessing("no-such-call", AudioSwitchChange{}); !errors.Is(err, ErrNoRTC) {
			t.Errorf("a call's processing outside RTC mode: %v", err)
		}
		a.Close()
	}
}

// A bad ringtone changes nothing: the clip set before stays.
func TestSetRingtoneBadInputChangesNothing(t *testing.T) {
	a, err := New(Config{WSURL: "ws://x/ws", RTCAudio: AudioDevice}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SetRingtone("wav:" + writeWAV(t, 1, 16)); err != nil {
		t.Fatal(err)
	}
	clip := a.snd.ringClip
	for _, bad := range []string{"wav:" + writeWAV(t, 3, 32), "wav:" + writeWAV(t, 1, 8), "wav:/nonexistent.wav", "loud", "wav:"} {
		if err := a.SetRingtone(bad); !errors.Is(err, session.ErrInvalidArgument) {
			t.Errorf("SetRingtone(%q): %v", bad, err)
		}
	}
	if a.snd.ringClip != clip || a.snd.ringOff {
		t.Fatal("a refused ringtone changed the ringtone")
	}
	if err := a.SetRingtone(RingtoneOff); err != nil || !a.snd.ringOff {
		t.Fatalf("off: %v", err)
	}
	if _, err := ParseAudioRole("headset"); !errors.Is(err, session.ErrInvalidArgument) {
		t.Fatalf("bad role: %v", err)
	}
}

// echoApp plays the role of a host-mode app on laptop speakers: what its
// PCM sink gets comes back into what it pushes, delay later and 6 dB
// weaker (an acoustic echo with no room), over a microphone's noise floor
// (-60 dBFS: a signal that is an exact copy of the reference is not what
// a microphone gives).
type echoApp struct {
	a     *rtcAgent
	uuid  string
	delay int // frames of 20 ms
	ch    chan []int16
	stop  chan struct{}
	done  chan struct{}
}

func startEchoApp(t *testing.T, a *rtcAgent, uuid string, delay time.Duration) *echoApp {
	e := &echoApp{a: a, uuid: uuid, delay: int(delay / (20 * time.Millisecond)), ch: make(chan []int16, 64),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := a.SetPCMSink(uuid, 8000, func(s []int16) {
		select {
		case e.ch <- append([]int16(nil), s...):
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(e.done)
		var q [][]int16
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-e.stop:
				return
			case f := <-e.ch:
				q = append(q, f)
				if len(q) > e.delay {
					out := make([]int16, len(q[0]))
					for i, v := range q[0] {
						out[i] = v/2 + int16(rng.NormFloat64()*33)
					}
					q = q[1:]
					_ = a.PushPCM(uuid, 8000, out)
				}
			}
		}
	}()
	t.Cleanup(e.close)
	return e
}

func (e *echoApp) close() {
	select {
	case <-e.stop:
		return
	default:
	}
	close(e.stop)
	<-e.done
}

// toneAtPBX is the level of hz in the last second the PBX received.
func toneAtPBX(t *testing.T, e *env, uuid string, hz float64) float64 {
	t.Helper()
	s, err := e.srv.PBX().RecentAudio(uuid, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return toneDBFS(s, hz)
}

func toneDBFS(s []int16, hz float64) float64 {
	if len(s) == 0 {
		return -120
	}
	w := 2 * math.Pi * hz / 8000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	amp := 2 * math.Sqrt(max(0, s1*s1+s2*s2-c*s1*s2)) / float64(len(s))
	return 20 * math.Log10(max(amp, 1e-3)/32768)
}

// meanLevel is the power mean of n one-second readings of a level, each
// of the second of audio after the one before (the first after skip
// seconds: a canceller's convergence).
func meanLevel(read func() float64, skip, n int) float64 {
	var sum float64
	for i := -skip; i < n; i++ {
		time.Sleep(time.Second) // the next second of audio at the PBX
		if i >= 0 {
			sum += math.Pow(10, read()/10)
		}
	}
	return 10 * math.Log10(sum/float64(n))
}

// Host mode with the canceller asked for: the app's echo of what it
// plays (its PCM sink's audio, back into push_pcm 100 ms later) reaches
// the customer at least 20 dB weaker with the canceller on than off; the
// meter reports the processor's level; with processing off the pushed
// audio passes untouched (the echo is heard at its level).
func TestHostModeProcessingCancelsEcho(t *testing.T) {
	e := newEnv(t, nil)
	off := false
	a := e.rtcAgent(t, func(c *Config) { c.AudioAEC, c.AudioNS, c.AudioAGC = &off, &off, &off })
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "answered")
	startEchoApp(t, a, uuid, 100*time.Millisecond)
	waitMedia(t, e, uuid, "the echo of the PBX's tone at the PBX", hears(pbxToneHz))
	if m := a.meterOf(uuid); m != nil {
		t.Fatal("a meter with no processing")
	}
	level := func() float64 { return toneAtPBX(t, e, uuid, pbxToneHz) }
	echoOff := meanLevel(level, 0, 3)

	on := true
	st, err := a.SetAudioProcessing(uuid, AudioSwitchChange{AEC: &on, VAD: &on})
	if err != nil || !st.Active || !st.AEC || !st.VAD || st.NS {
		t.Fatalf("processing on: %+v %v", st, err)
	}
	echoOn := meanLevel(level, 2, 6)

	t.Logf("host mode: the echo at the customer %.1f dBFS with the canceller off, %.1f dBFS on: %.1f dB less",
		echoOff, echoOn, echoOff-echoOn)
	if echoOff < -20 || echoOff-echoOn < 20 {
		t.Fatalf("echo %.1f dBFS off, %.1f dBFS on: want at least 20 dB less", echoOff, echoOn)
	}
	m := a.meterOf(uuid)
	if m == nil {
		t.Fatal("no meter with processing on")
	}
	if lvl, _, ok := m(); !ok || lvl < -40 {
		t.Fatalf("meter level %.1f dBFS ok %v: the echo comes in at about -18 dBFS", lvl, ok)
	}
	st, _ = a.SetAudioProcessing(uuid, AudioSwitchChange{})
	if st.LevelDBFS < -40 || st.ERLEdB <= 0 {
		t.Fatalf("processor state %+v", st)
	}
}

// meterOf is the call's meter (nil when none).
func (a *Agent) meterOf(uuid string) func() (float64, bool, bool) {
	var m func() (float64, bool, bool)
	_ = a.withCall(uuid, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error {
		m = st.meter
		return nil
	})
	return m
}

// none: the call sends silence (whatever rtc_default_source says) and the
// host's audio calls are refused.
func TestNoneModeSendsSilence(t *testing.T) {
	e := newEnv(t, nil)
	a := e.rtcAgent(t, func(c *Config) { c.RTCAudio, c.RTCDefaultSource = AudioNone, "tone:440" })
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "answered")
	sn := waitMedia(t, e, uuid, "a second of packets from the agent", func(c sim.RTCCall) bool { return c.AudioRx.Packets > 50 })
	if sn.Tone.RMSdBFS > -60 {
		t.Fatalf("none mode sends %+v", sn.Tone)
	}
	if err := a.PushPCM(uuid, 8000, make([]int16, 160)); !errors.Is(err, ErrNoSoundMode) {
		t.Fatalf("PushPCM in none mode: %v", err)
	}
	if err := a.SetPCMSink(uuid, 8000, func([]int16) {}); !errors.Is(err, ErrNoSoundMode) {
		t.Fatalf("SetPCMSink in none mode: %v", err)
	}
	if _, err := a.SetAudioProcessing(uuid, AudioSwitchChange{}); !errors.Is(err, ErrNoSoundMode) {
		t.Fatalf("processing in none mode: %v", err)
	}
}

// Device mode with no sound server: the call is answered and goes on
// (RTP flows, in silence), the app hears why (audio_device_error for the
// microphone and the speaker), and the device calls fail with
// ErrNoAudioBackend's reason.
func TestDeviceModeWithoutSoundServer(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(t.TempDir(), "no-such-server"))
	e := newEnv(t, nil)
	a := e.rtcAgent(t, func(c *Config) { c.RTCAudio = AudioDevice })
	a.snd.sysCfg = audio.Config{Backends: []audio.Backend{audio.BackendPulseAudio}}
	if _, _, err := a.AudioDevices(); !errors.Is(err, audio.ErrNoAudioBackend) || !strings.Contains(err.Error(), "pulseaudio") {
		t.Fatalf("AudioDevices without a server: %v", err)
	}
	if _, err := a.SelectAudioDevice(audio.RoleSpeaker, "x"); !errors.Is(err, audio.ErrNoAudioBackend) {
		t.Fatalf("SelectAudioDevice without a server: %v", err)
	}
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "answered")
	roles := map[string]bool{}
	for len(roles) < 2 {
		ev := waitSDK(a, "audio_device_error", func(ev *AudioDeviceErrorEvent) bool { return ev.UUID == uuid })
		if !strings.Contains(ev.Error, "no sound backend") {
			t.Fatalf("error event %+v", ev)
		}
		roles[ev.Role] = true
	}
	if !roles["microphone"] || !roles["speaker"] {
		t.Fatalf("error events for %v", roles)
	}
	sn := waitMedia(t, e, uuid, "RTP from the agent", func(c sim.RTCCall) bool { return c.AudioRx.Packets > 25 })
	waitMedia(t, e, uuid, "RTP going on", func(c sim.RTCCall) bool { return c.AudioRx.Packets > sn.AudioRx.Packets+25 && c.State == "answered" })
	// The processor runs even so: switches can be read and set.
	if st, err := a.SetAudioProcessing(uuid, AudioSwitchChange{}); err != nil || !st.Active || !st.AEC {
		t.Fatalf("processing: %+v %v", st, err)
	}
}

// The sound events as the C ABI delivers them.
func TestSoundEventsMarshal(t *testing.T) {
	for _, c := range []struct {
		ev   session.Event
		want string
	}{
		{&AudioDevicesChangedEvent{MsgType: MsgAudioDevicesChanged, Added: []string{"a"}, Removed: []string{}, DefaultChanged: true},
			`{"msg_type":"audio_devices_changed","added":["a"],"removed":[],"default_changed":true}`},
		{&AudioDeviceFallbackEvent{MsgType: MsgAudioDeviceFallback, Role: "speaker", UUID: "u", Old: AudioDeviceRef{"x", "X"}, New: AudioDeviceRef{"d", "D"}},
			`{"msg_type":"audio_device_fallback","role":"speaker","uuid":"u","old":{"id":"x","name":"X"},"new":{"id":"d","name":"D"}}`},
		{&AudioDeviceErrorEvent{MsgType: MsgAudioDeviceError, Role: "ringer", ID: "r", Error: "boom"},
			`{"msg_type":"audio_device_error","role":"ringer","id":"r","error":"boom"}`},
	} {
		b, err := json.Marshal(c.ev)
		if err != nil || string(b) != c.want {
			t.Errorf("%T: %s %v\nwant %s", c.ev, b, err, c.want)
		}
	}
	// An endpoint's events become the agent's; follow-default is not one.
	s := &sound{names: map[devKey]string{{audio.KindPlayback, "x"}: "X"}}
	ev := s.deviceEvent(audio.Event{Kind: audio.EventFallback, Role: audio.RoleSpeaker, Old: "x", New: ""}, "u")
	if f, ok := ev.(*AudioDeviceFallbackEvent); !ok || f.Old.Name != "X" || f.UUID != "u" {
		t.Fatalf("fallback %+v", ev)
	}
	if ev := s.deviceEvent(audio.Event{Kind: audio.EventFollowDefault}, ""); ev != nil {
		t.Fatalf("follow-default made %+v", ev)
	}
}
