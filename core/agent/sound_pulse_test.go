package agent

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/pulsetest"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// Device mode against a real sound server: a private PulseAudio with null
// sinks (tests/audio/run.sh starts it and sets CC_AUDIO_PULSE; without it
// these tests skip, with it they must pass) and ccsim's PBX, which plays
// 1 kHz to the agent and analyses what the agent sends. A speaker is a
// null sink whose monitor the test records; a microphone is a remap
// source on a sink the test feeds.

const pulseRate = 8000 // the recordings' rate

// pulseAgent checks in an agent in device mode on the harness's server,
// its System watching fast.
func pulseAgent(t *testing.T, e *env, mod func(*Config)) *rtcAgent {
	t.Helper()
	a := e.rtcAgent(t, func(c *Config) {
		c.RTCAudio = AudioDevice
		if mod != nil {
			mod(c)
		}
	})
	a.snd.sysCfg = audio.Config{Backends: []audio.Backend{audio.BackendPulseAudio}, PollInterval: 100 * time.Millisecond}
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	return a
}

// callUp places the agent's call (its own leg, answered by the SDK) and
// waits for it to be answered.
func (ra *rtcAgent) callUp(t *testing.T) string {
	t.Helper()
	uuid := outboundCall(t, ra.tagent, protocol.StatusFree)
	ra.callState(uuid, "answered")
	return uuid
}

// waitStreams waits until n streams play into sink.
func waitStreams(t *testing.T, sink string, n int) {
	t.Helper()
	waitFor(t, "streams on "+sink, func() bool { return pulsetest.Streams(t, sink) == n })
}

// A device-mode call: the customer's tone comes out of the speaker, a
// tone played into the microphone reaches the customer (through the voice
// processing), the processor measures the devices' clocks, and the devices
// close when the call ends.
func TestPulseDeviceModeCall(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_dm_spk", 48000, 2)
	pulsetest.Microphone(t, "cc_dm_feed", "cc_dm_mic")
	spk := pulsetest.Record(t, "cc_dm_spk.monitor", pulseRate)
	pulsetest.FeedTone(t, "cc_dm_feed", 440, 8000, 16000)
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) { c.AudioMicrophone, c.AudioSpeaker = "cc_dm_mic", "cc_dm_spk" })
	uuid := a.callUp(t)
	spk.WaitFor(t, 10*time.Second, "the customer's 1 kHz out of the speaker", pulsetest.ToneAfter(pbxToneHz, pulseRate, 0, 500*time.Millisecond))
	waitMedia(t, e, uuid, "the microphone's 440 Hz at the customer", hears(440))
	// The customer's steady tone plays without phase jumps (a sample
	// dropped or inserted on the way to the device; the server's
	// underruns did that with 10 ms device periods: docs/audio.md).
	from := spk.Len()
	spk.WaitFor(t, 15*time.Second, "4 s of the call at the speaker", func(s []int16) bool { return len(s) >= from+4*pulseRate })
	jumps, clean := pulsetest.PhaseJumps(spk.Slice(from, from+4*pulseRate), pbxToneHz, pulseRate)
	t.Logf("speaker: %d phase jumps in 4 s (%d clean 10 ms blocks)", jumps, clean)
	if jumps > 0 || clean < 360 {
		t.Errorf("speaker: %d phase jumps in 4 s of the customer's steady tone (%d clean 10 ms blocks of 400)", jumps, clean)
	}
	var st AudioProcessingState
	waitFor(t, "the devices' clocks measured", func() bool {
		var err error
		st, err = a.SetAudioProcessing(uuid, AudioSwitchChange{})
		return err == nil && st.MicRateHz > 0 && st.SpeakerRateHz > 0
	})
	t.Logf("processor: %+v", st)
	if !st.Active || !st.AEC || !st.NS || !st.AGC || !st.VAD || math.Abs(st.MicRateHz-8000) > 80 || math.Abs(st.SpeakerRateHz-8000) > 80 {
		t.Fatalf("processing state %+v", st)
	}
	if lvl, _, ok := a.meterOf(uuid)(); !ok || lvl < -40 {
		t.Fatalf("meter %.1f dBFS %v: the microphone's tone is at about -12 dBFS", lvl, ok)
	}
	sel, err := a.SelectAudioDevice(audio.RoleSpeaker, "cc_dm_spk")
	if err != nil || sel.Speaker.ID != "cc_dm_spk" || sel.Speaker.Name != "cc_dm_spk" || sel.Microphone.ID != "cc_dm_mic" {
		t.Fatalf("in use: %+v %v", sel, err)
	}
	if _, err := a.Do(context.Background(), &protocol.HangupRequest{UUID: uuid}); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")
	waitStreams(t, "cc_dm_spk", 0)
}

// The echo canceller on a real echo path: the speaker's monitor loops
// back into the microphone after 80 ms (module-loopback), over a -60 dBFS
// noise floor; the customer hears its own tone at least 20 dB weaker with
// the canceller on than off (noise suppression and gain control off both
// times, so that the figure is the canceller's).
func TestPulseEchoCancellerLoopback(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_ec_spk", 48000, 2)
	pulsetest.Microphone(t, "cc_ec_feed", "cc_ec_mic")
	pulsetest.LoadModule(t, "module-loopback", "source=cc_ec_spk.monitor", "sink=cc_ec_feed", "latency_msec=80", "adjust_time=0",
		"source_dont_move=true", "sink_dont_move=true")
	rng := rand.New(rand.NewPCG(3, 4))
	pulsetest.Feed(t, "cc_ec_feed", 16000, func(int) int16 { return int16(rng.NormFloat64() * 33) })
	e := newEnv(t, nil)
	off := false
	a := pulseAgent(t, e, func(c *Config) {
		c.AudioMicrophone, c.AudioSpeaker = "cc_ec_mic", "cc_ec_spk"
		c.AudioAEC, c.AudioNS, c.AudioAGC = &off, &off, &off
	})
	uuid := a.callUp(t)
	waitMedia(t, e, uuid, "the customer's tone back at the customer (the echo)", hears(pbxToneHz))
	level := func() float64 { return toneAtPBX(t, e, uuid, pbxToneHz) }
	echoOff := meanLevel(level, 1, 3)
	on := true
	if _, err := a.SetAudioProcessing(uuid, AudioSwitchChange{AEC: &on}); err != nil {
		t.Fatal(err)
	}
	readings := levels(level, 3, 8)
	echoOn := medianOf(readings)
	st, _ := a.SetAudioProcessing(uuid, AudioSwitchChange{})
	t.Logf("device mode, 80 ms loopback: the echo at the customer %.1f dBFS with the canceller off, %.1f dBFS on (median of %.1f): %.1f dB less (delay found %.1f ms, ERLE estimate %.1f dB, drift %.1f ppm)",
		echoOff, echoOn, readings, echoOff-echoOn, st.DelayMs, st.ERLEdB, st.DriftPPM)
	if echoOff < -40 || echoOff-echoOn < 20 {
		t.Fatalf("echo %.1f dBFS off, %.1f dBFS on: want at least 20 dB less", echoOff, echoOn)
	}
}

// levels reads a level once a second for n seconds, after skip seconds.
func levels(read func() float64, skip, n int) []float64 {
	var out []float64
	for i := -skip; i < n; i++ {
		time.Sleep(time.Second) // the next second of audio at the PBX
		if i >= 0 {
			out = append(out, read())
		}
	}
	return out
}

// medianOf is the median of xs (the upper one of an even count).
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// Hot-plug: the speaker in use is unloaded mid-call; the call falls back
// to the default speaker (an event names both) and the customer's audio
// plays there; a new sink makes a devices-changed event. The call goes on.
func TestPulseSpeakerUnpluggedFallsBack(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_hp_default", 48000, 2)
	spkMod := pulsetest.NullSink(t, "cc_hp_headset", 48000, 2)
	pulsetest.Microphone(t, "cc_hp_feed", "cc_hp_mic")
	pulsetest.Pactl(t, "set-default-sink", "cc_hp_default")
	def := pulsetest.Record(t, "cc_hp_default.monitor", pulseRate)
	headset := pulsetest.Record(t, "cc_hp_headset.monitor", pulseRate)
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) { c.AudioMicrophone, c.AudioSpeaker = "cc_hp_mic", "cc_hp_headset" })
	uuid := a.callUp(t)
	headset.WaitFor(t, 10*time.Second, "the customer on the headset", pulsetest.ToneAfter(pbxToneHz, pulseRate, 0, 300*time.Millisecond))
	from := def.Len()
	pulsetest.UnloadModule(t, spkMod)
	fb := waitSDK(a, "audio_device_fallback", func(ev *AudioDeviceFallbackEvent) bool { return ev.Role == "speaker" })
	if fb.UUID != uuid || fb.Old.ID != "cc_hp_headset" || fb.Old.Name != "cc_hp_headset" || fb.New.ID != "cc_hp_default" || fb.New.Name != "cc_hp_default" {
		t.Fatalf("fallback %+v", fb)
	}
	def.WaitFor(t, 10*time.Second, "the customer on the default speaker", pulsetest.ToneAfter(pbxToneHz, pulseRate, from, 500*time.Millisecond))
	pulsetest.NullSink(t, "cc_hp_new", 48000, 2)
	ch := waitSDK(a, "audio_devices_changed", func(ev *AudioDevicesChangedEvent) bool { return slices.Contains(ev.Added, "cc_hp_new") })
	t.Logf("devices changed: %+v", ch)
	if sn := waitMedia(t, e, uuid, "the call still up", func(c sim.RTCCall) bool { return c.State == "answered" }); sn.EndBy != "" {
		t.Fatalf("the call ended: %+v", sn)
	}
}

// Choosing devices: before a call for the call, during a call for the
// call in progress (its RTP goes on); an unknown id changes nothing.
func TestPulseSelectDevicesMidCall(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_sel_a", 48000, 2)
	pulsetest.NullSink(t, "cc_sel_b", 44100, 1)
	pulsetest.Microphone(t, "cc_sel_feed_a", "cc_sel_mic_a")
	pulsetest.Microphone(t, "cc_sel_feed_b", "cc_sel_mic_b")
	pulsetest.FeedTone(t, "cc_sel_feed_a", 440, 8000, 16000)
	pulsetest.FeedTone(t, "cc_sel_feed_b", 660, 8000, 16000)
	recB := pulsetest.Record(t, "cc_sel_b.monitor", pulseRate)
	e := newEnv(t, nil)
	a := pulseAgent(t, e, nil)
	_, devs, err := a.AudioDevices()
	if err != nil || !hasDevice(devs, audio.KindPlayback, "cc_sel_b") || !hasDevice(devs, audio.KindCapture, "cc_sel_mic_b") {
		t.Fatalf("devices %v %v", devs, err)
	}
	for _, c := range []struct {
		role audio.Role
		id   string
	}{{audio.RoleSpeaker, "cc_sel_a"}, {audio.RoleMicrophone, "cc_sel_mic_a"}} {
		if _, err := a.SelectAudioDevice(c.role, c.id); err != nil {
			t.Fatal(err)
		}
	}
	uuid := a.callUp(t)
	waitMedia(t, e, uuid, "microphone A's 440 Hz", hears(440))
	waitStreams(t, "cc_sel_a", 1)

	// Bad input: refused, nothing changed.
	for _, c := range []struct {
		role audio.Role
		id   string
	}{{audio.RoleSpeaker, "cc_no_such"}, {audio.RoleMicrophone, "cc_sel_a"}, {audio.RoleRinger, "cc_sel_mic_a"}} {
		if _, err := a.SelectAudioDevice(c.role, c.id); !errors.Is(err, session.ErrInvalidArgument) || !errors.Is(err, audio.ErrUnknownDevice) {
			t.Fatalf("select %v %q: %v", c.role, c.id, err)
		}
	}
	if sel := a.inUse(devs); sel.Speaker.ID != "cc_sel_a" || sel.Microphone.ID != "cc_sel_mic_a" {
		t.Fatalf("after refusals: %+v", sel)
	}

	// Speaker, then microphone, mid-call.
	before := waitMedia(t, e, uuid, "RTP", func(c sim.RTCCall) bool { return c.AudioRx.Packets > 0 })
	from := recB.Len()
	sel, err := a.SelectAudioDevice(audio.RoleSpeaker, "cc_sel_b")
	if err != nil || sel.Speaker.ID != "cc_sel_b" {
		t.Fatalf("select speaker B: %+v %v", sel, err)
	}
	recB.WaitFor(t, 10*time.Second, "the customer on speaker B", pulsetest.ToneAfter(pbxToneHz, pulseRate, from, 500*time.Millisecond))
	waitStreams(t, "cc_sel_a", 0)
	if sel, err = a.SelectAudioDevice(audio.RoleMicrophone, "cc_sel_mic_b"); err != nil || sel.Microphone.ID != "cc_sel_mic_b" {
		t.Fatalf("select microphone B: %+v %v", sel, err)
	}
	after := waitMedia(t, e, uuid, "microphone B's 660 Hz", hears(660))
	if after.State != "answered" || after.AudioRx.Packets <= before.AudioRx.Packets || after.AudioCodec != before.AudioCodec {
		t.Fatalf("the call after the switches: %+v (before %+v)", after, before)
	}
}

// A call ringing for the agent plays the ringtone on the ringer until it
// is answered; with the ringtone off nothing rings.
func TestPulseRingtone(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_rt_ringer", 48000, 2)
	pulsetest.NullSink(t, "cc_rt_spk", 48000, 2)
	pulsetest.Microphone(t, "cc_rt_feed", "cc_rt_mic")
	ring := pulsetest.Record(t, "cc_rt_ringer.monitor", pulseRate)
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) {
		c.AudioMicrophone, c.AudioSpeaker, c.AudioRinger = "cc_rt_mic", "cc_rt_spk", "cc_rt_ringer"
	})
	uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
	if err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusRinging, "")
	a.callin(protocol.ChannelNormal)
	a.callState(uuid, "ringing")
	ring.WaitFor(t, 10*time.Second, "the ringtone", func(s []int16) bool { return ringing(s) })
	do[*protocol.BasicReply](t, a.tagent, &protocol.AnswerRequest{UUID: uuid})
	a.status(protocol.StatusCalling, "")
	a.callState(uuid, "answered")
	waitStreams(t, "cc_rt_ringer", 0)
	// What the sink had taken from the closed stream still reaches parec
	// through the monitor (up to 50 ms seen): the ring cycle is checked
	// from 250 ms on.
	from := ring.Len() + pulseRate/4
	ring.WaitFor(t, 10*time.Second, "a ring cycle (3 s) after the answer", func(s []int16) bool { return len(s) >= from+3*pulseRate })
	if rest := ring.Slice(from, from+3*pulseRate); !pulsetest.Silent(rest, pulseRate) {
		t.Fatal("the ringtone goes on after the answer")
	}
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")

	// Off: the next call rings with no sound.
	if err := a.SetRingtone(RingtoneOff); err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	uuid, _, err = e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
	if err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusRinging, "")
	a.callState(uuid, "ringing")
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) { // an absence: watched for a second
		if n := pulsetest.Streams(t, "cc_rt_ringer"); n != 0 {
			t.Fatalf("%d streams on the ringer with the ringtone off", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ringing: a 100 ms block of s carries the built-in ring's 400 Hz.
func ringing(s []int16) bool {
	for i := 0; i+pulseRate/10 <= len(s); i += pulseRate / 10 {
		if pulsetest.ToneDBFS(s[i:i+pulseRate/10], audio.RingToneLowHz, pulseRate) > -40 {
			return true
		}
	}
	return false
}

// The ringtone stops when the caller hangs up before the answer, and when
// it is turned off while a call rings; turned on again, it rings again.
func TestPulseRingtoneStopsOnHangupAndOff(t *testing.T) {
	pulsetest.Require(t)
	pulsetest.NullSink(t, "cc_rs_ringer", 48000, 2)
	pulsetest.NullSink(t, "cc_rs_spk", 48000, 2)
	pulsetest.Microphone(t, "cc_rs_feed", "cc_rs_mic")
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) {
		c.AudioMicrophone, c.AudioSpeaker, c.AudioRinger = "cc_rs_mic", "cc_rs_spk", "cc_rs_ringer"
	})
	inbound := func() string {
		uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
		if err != nil {
			t.Fatal(err)
		}
		a.callState(uuid, "ringing")
		return uuid
	}
	free := func() {
		waitEvent(t, a.tagent, "FREE", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusFree })
	}
	uuid := inbound()
	waitStreams(t, "cc_rs_ringer", 1)
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")
	waitStreams(t, "cc_rs_ringer", 0)

	free()
	uuid = inbound()
	waitStreams(t, "cc_rs_ringer", 1)
	if err := a.SetRingtone(RingtoneOff); err != nil {
		t.Fatal(err)
	}
	waitStreams(t, "cc_rs_ringer", 0)
	if err := a.SetRingtone(RingtoneBuiltin); err != nil {
		t.Fatal(err)
	}
	waitStreams(t, "cc_rs_ringer", 1)
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")
	waitStreams(t, "cc_rs_ringer", 0)
}
