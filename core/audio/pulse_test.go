package audio

import (
	"errors"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

// The device tests against a real PulseAudio (tests/audio/run.sh).

const callRate = 8000

func TestPulseListsDevices(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_list_spk", "CC_Test_Speaker", 48000, 2)
	nullSink(t, "cc_list_feed", "CC_Test_Feed", 16000, 1)
	loadModule(t, "module-remap-source", "source_name=cc_list_mic", "master=cc_list_feed.monitor",
		"source_properties=device.description=CC_Test_Mic")
	pactl(t, "set-default-sink", "cc_list_spk")
	pactl(t, "set-default-source", "cc_list_mic")
	s := testSystem(t)
	if b, err := s.Backend(); err != nil || b != BackendPulseAudio {
		t.Fatalf("backend %q, %v", b, err)
	}
	devs, err := s.Devices()
	if err != nil {
		t.Fatal(err)
	}
	find := func(k Kind, id string) Device {
		for _, d := range devs {
			if d.Kind == k && d.ID == id {
				return d
			}
		}
		t.Fatalf("%s %q not listed in %v", k, id, devs)
		return Device{}
	}
	spk := find(KindPlayback, "cc_list_spk")
	if spk.Name != "CC_Test_Speaker" || !spk.IsDefault || !spk.IsDefaultComm || spk.Channels != 2 || spk.Rate != 48000 {
		t.Errorf("speaker %+v", spk)
	}
	feed := find(KindPlayback, "cc_list_feed")
	if feed.IsDefault || feed.IsDefaultComm || feed.Channels != 1 || feed.Rate != 16000 {
		t.Errorf("feed sink %+v", feed)
	}
	mic := find(KindCapture, "cc_list_mic")
	if mic.Name != "CC_Test_Mic" || !mic.IsDefault || !mic.IsDefaultComm {
		t.Errorf("microphone %+v", mic)
	}
	if mon := find(KindCapture, "cc_list_spk.monitor"); mon.IsDefault {
		t.Errorf("monitor marked default: %+v", mon)
	}
	// The default moves: the list follows.
	pactl(t, "set-default-sink", "cc_list_feed")
	devs, err = s.Devices()
	if err != nil {
		t.Fatal(err)
	}
	if find(KindPlayback, "cc_list_spk").IsDefault || !find(KindPlayback, "cc_list_feed").IsDefault {
		t.Errorf("the default did not move: %v", devs)
	}
}

// pulseCall is the common set-up: a speaker sink, a microphone fed by the
// test (a remap source on a sink's monitor, so that it is a real source),
// and an endpoint on both.
type pulseCall struct {
	sys *System
	ep  *Endpoint
	ev  *events
}

func openPulseCall(t *testing.T, speaker, mic string) *pulseCall {
	t.Helper()
	s := testSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: callRate, Speaker: speaker, Microphone: mic, OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return &pulseCall{sys: s, ep: ep, ev: ev}
}

func micSetup(t *testing.T, feed, mic string) {
	nullSink(t, feed, feed, 16000, 1)
	loadModule(t, "module-remap-source", "source_name="+mic, "master="+feed+".monitor")
}

func TestPulseToneReachesSpeaker(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_tone_spk", "cc_tone_spk", 48000, 2)
	micSetup(t, "cc_tone_feed", "cc_tone_mic")
	rec := record(t, "cc_tone_spk.monitor", callRate)
	c := openPulseCall(t, "cc_tone_spk", "cc_tone_mic")
	if c.ep.Speaker() != "cc_tone_spk" || c.ep.Microphone() != "cc_tone_mic" {
		t.Fatalf("devices in use: %q %q", c.ep.Speaker(), c.ep.Microphone())
	}
	stop := toneWriter(c.ep, 1000, 8000)
	defer stop()
	rec.waitFor(t, 10*time.Second, "1 kHz on the speaker's monitor", toneFrom(1000, callRate, 0, 500*time.Millisecond))
	st := c.ep.Stats()
	if st.Speaker.Frames == 0 || st.Speaker.Callbacks == 0 || st.CallWritten == 0 {
		t.Errorf("stats %+v", st)
	}
	// The speaker's clock is measured too (null sinks run on the host's).
	rec.waitFor(t, 10*time.Second, "a measured playback rate", func([]int16) bool {
		return c.ep.Stats().Speaker.EffectiveRate > 0
	})
	if rate := c.ep.Stats().Speaker.EffectiveRate; rate < 7600 || rate > 8400 {
		t.Errorf("playback rate %.0f Hz, want about 8000", rate)
	}
}

func TestPulseMicrophoneReachesReadPCM(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_mic_spk", "cc_mic_spk", 48000, 2)
	micSetup(t, "cc_mic_feed", "cc_mic_mic")
	feedTone(t, "cc_mic_feed", 700, 16000)
	c := openPulseCall(t, "cc_mic_spk", "cc_mic_mic")
	r := readEndpoint(c.ep)
	defer r.stop()
	r.waitFor(t, 10*time.Second, "700 Hz from ReadPCM", func(s []int16) bool {
		return tonePresent(s, 700, callRate, 500*time.Millisecond)
	})
	// The device's clock is measured (null sinks run on the host clock).
	r.waitFor(t, 10*time.Second, "a measured capture rate", func([]int16) bool {
		return c.ep.Stats().Microphone.EffectiveRate > 0
	})
	if rate := c.ep.Stats().Microphone.EffectiveRate; rate < 7600 || rate > 8400 {
		t.Errorf("capture rate %.0f Hz, want about 8000", rate)
	}
}

// twoSpeakers loads two sinks that both play into one "mix" sink, so that
// one recording of the mix shows the audio move from one to the other on
// one clock.
func twoSpeakers(t testing.TB, prefix string) (a, b, mix string) {
	mix, a, b = prefix+"_mix", prefix+"_a", prefix+"_b"
	nullSink(t, mix, mix, 48000, 1)
	loadModule(t, "module-remap-sink", "sink_name="+a, "master="+mix, "channels=1", "sink_properties=device.description="+a)
	loadModule(t, "module-remap-sink", "sink_name="+b, "master="+mix, "channels=1", "sink_properties=device.description="+b)
	return a, b, mix
}

// longestSilence is the longest run of silent 2.5 ms blocks in s, in
// milliseconds.
func longestSilence(s []int16, rate int) float64 { return pulsetest.LongestSilence(s, rate) }

// switchSpeaker switches while a tone plays and returns the gap the mix
// recording shows around the switch, in ms.
func switchSpeaker(t testing.TB, ep *Endpoint, to string, mix *recorder) float64 {
	t.Helper()
	before := mix.len()
	if err := ep.SetSpeaker(to); err != nil {
		t.Fatalf("SetSpeaker(%q): %v", to, err)
	}
	// Wait for a whole second of recording past the switch.
	mix.waitFor(t, 10*time.Second, "a second of the mix after the switch", func(s []int16) bool {
		return len(s) >= before+mix.rate
	})
	from := max(0, before-mix.rate/5)
	return longestSilence(mix.slice(from, before+mix.rate), mix.rate)
}

func TestPulseSwitchSpeakerMidCall(t *testing.T) {
	requirePulse(t)
	a, b, mix := twoSpeakers(t, "cc_sw")
	micSetup(t, "cc_sw_feed", "cc_sw_mic")
	recMix := record(t, mix+".monitor", 16000)
	recA := record(t, a+".monitor", callRate)
	recB := record(t, b+".monitor", callRate)
	c := openPulseCall(t, a, "cc_sw_mic")
	stop := toneWriter(c.ep, 1000, 8000)
	defer stop()
	recA.waitFor(t, 10*time.Second, "the tone on A", toneFrom(1000, callRate, 0, 300*time.Millisecond))
	recMix.waitFor(t, 10*time.Second, "the tone in the mix", toneFrom(1000, 16000, 0, 300*time.Millisecond))
	atA, atB := recA.len(), recB.len()
	gap := switchSpeaker(t, c.ep, b, recMix)
	t.Logf("speaker switch: the longest silence around it is %.1f ms", gap)
	if c.ep.Speaker() != b {
		t.Fatalf("speaker %q after the switch", c.ep.Speaker())
	}
	recB.waitFor(t, 10*time.Second, "the tone on B", toneFrom(1000, callRate, atB, 300*time.Millisecond))
	// A is silent once its last buffer has played (skip 200 ms of it).
	recA.waitFor(t, 10*time.Second, "A silent", func(s []int16) bool {
		from := atA + callRate/5
		return len(s) >= from+callRate/2 && silent(s[from:from+callRate/2], callRate)
	})
}

func TestPulseSwitchMicrophoneMidCall(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_swm_spk", "cc_swm_spk", 48000, 1)
	nullSink(t, "cc_swm_feed", "cc_swm_feed", 16000, 1)
	loadModule(t, "module-remap-source", "source_name=cc_swm_a", "master=cc_swm_feed.monitor")
	nullSink(t, "cc_swm_feed2", "cc_swm_feed2", 16000, 1)
	loadModule(t, "module-remap-source", "source_name=cc_swm_b", "master=cc_swm_feed2.monitor")
	feedTone(t, "cc_swm_feed", 700, 16000)
	feedTone(t, "cc_swm_feed2", 1100, 16000)
	c := openPulseCall(t, "cc_swm_spk", "cc_swm_a")
	r := readEndpoint(c.ep)
	defer r.stop()
	r.waitFor(t, 10*time.Second, "700 Hz from microphone A", func(s []int16) bool {
		return tonePresent(s, 700, callRate, 300*time.Millisecond)
	})
	at := r.len()
	if err := c.ep.SetMicrophone("cc_swm_b"); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 10*time.Second, "1100 Hz from microphone B", func(s []int16) bool {
		return tonePresent(tail(s, at), 1100, callRate, 300*time.Millisecond)
	})
	if c.ep.Microphone() != "cc_swm_b" {
		t.Fatalf("microphone %q", c.ep.Microphone())
	}
}

func TestPulseUnpluggedSpeakerFallsBack(t *testing.T) {
	requirePulse(t)
	hp := nullSink(t, "cc_hp_headset", "cc_hp_headset", 48000, 2)
	nullSink(t, "cc_hp_default", "cc_hp_default", 48000, 2)
	micSetup(t, "cc_hp_feed", "cc_hp_mic")
	pactl(t, "set-default-sink", "cc_hp_default")
	recDef := record(t, "cc_hp_default.monitor", callRate)
	c := openPulseCall(t, "cc_hp_headset", "cc_hp_mic")
	stop := toneWriter(c.ep, 1000, 8000)
	defer stop()
	recHP := record(t, "cc_hp_headset.monitor", callRate)
	recHP.waitFor(t, 10*time.Second, "the tone on the headset", toneFrom(1000, callRate, 0, 300*time.Millisecond))
	at := recDef.len()
	pactl(t, "unload-module", itoa(hp))
	ev := c.ev.waitEvent(t, 10*time.Second, "fallback", func(e Event) bool { return e.Kind == EventFallback })
	if ev.Role != RoleSpeaker || ev.Old != "cc_hp_headset" || ev.New != "cc_hp_default" {
		t.Fatalf("fallback event %+v", ev)
	}
	if c.ep.Speaker() != "cc_hp_default" {
		t.Fatalf("speaker %q", c.ep.Speaker())
	}
	recDef.waitFor(t, 10*time.Second, "the tone on the default device", toneFrom(1000, callRate, at, 500*time.Millisecond))
}

func TestPulseLoadedSinkIsAnEvent(t *testing.T) {
	requirePulse(t)
	s := testSystem(t)
	ev := newEvents()
	cancel, err := s.Watch(ev.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	idx := nullSink(t, "cc_plug_new", "cc_plug_new", 44100, 2)
	e := ev.waitEvent(t, 10*time.Second, "devices changed (added)", func(e Event) bool {
		return e.Kind == EventDevicesChanged && len(e.Added) > 0
	})
	var sink, monitor bool
	for _, d := range e.Added {
		sink = sink || (d.Kind == KindPlayback && d.ID == "cc_plug_new")
		monitor = monitor || (d.Kind == KindCapture && d.ID == "cc_plug_new.monitor")
	}
	if !sink || !monitor {
		t.Fatalf("added %v", e.Added)
	}
	// Its format comes from a listing (the event does not ask PulseAudio
	// about devices while they come and go: backend.go, info).
	devs, err := s.Devices()
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, d := range devs {
		listed = listed || (d.Kind == KindPlayback && d.ID == "cc_plug_new" && d.Rate == 44100 && d.Channels == 2)
	}
	if !listed {
		t.Fatalf("the new sink is not listed at 44100 Hz, 2 channels: %v", devs)
	}
	pactl(t, "unload-module", itoa(idx))
	e = ev.waitEvent(t, 10*time.Second, "devices changed (removed)", func(e Event) bool {
		return e.Kind == EventDevicesChanged && len(e.Removed) > 0
	})
	if len(e.Removed) != 2 || e.Removed[0].ID != "cc_plug_new" {
		t.Fatalf("removed %v", e.Removed)
	}
}

func TestPulseRingtoneRingsAndStops(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_ring", "cc_ring", 48000, 2)
	nullSink(t, "cc_ring_other", "cc_ring_other", 48000, 2)
	pactl(t, "set-default-sink", "cc_ring_other")
	rec := record(t, "cc_ring.monitor", 16000)
	s := testSystem(t)
	r, err := s.Ring(RingConfig{Device: "cc_ring"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	rec.waitFor(t, 10*time.Second, "the ring's 400 Hz on the ringer sink", ringFrom(0))
	// The pair: 450 Hz carries as much as 400.
	if s := rec.slice(0, rec.len()); !hasBothTones(s) {
		t.Fatalf("no 400+450 Hz pair in the ring")
	}
	r.Stop()
	at := rec.len()
	// Once its last buffer has played (200 ms), a full cycle (3 s) is silent.
	rec.waitFor(t, 12*time.Second, "silence after Stop", func(s []int16) bool {
		from := at + 16000/5
		return len(s) >= from+3*16000 && silent(s[from:from+3*16000], 16000)
	})
	if err := r.SetDevice("cc_ring_other"); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetDevice after Stop: %v", err)
	}
}

// ringFrom: from index from on, 300 ms of the built-in ring (the 400 and
// 450 Hz pair carries the blocks' energy).
func ringFrom(from int) func([]int16) bool {
	return func(s []int16) bool {
		s = tail(s, from)
		block, run := 16000/20, 0
		for i := 0; i+block <= len(s); i += block {
			b := s[i : i+block]
			e := energy(b)
			if e/float64(block) > 100*100 &&
				(goertzel(b, RingToneLowHz, 16000)+goertzel(b, RingToneHighHz, 16000))/(e*float64(block)/2) > 0.7 {
				if run++; run >= 6 {
					return true
				}
			} else {
				run = 0
			}
		}
		return false
	}
}

func hasBothTones(s []int16) bool {
	block := 16000 / 20
	for i := 0; i+block <= len(s); i += block {
		b := s[i : i+block]
		e := energy(b) * float64(block) / 2
		if e == 0 {
			continue
		}
		lo, hi := goertzel(b, RingToneLowHz, 16000)/e, goertzel(b, RingToneHighHz, 16000)/e
		if lo > 0.2 && hi > 0.2 {
			return true
		}
	}
	return false
}

func TestPulseRingerMovesDevice(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_ringmv_a", "cc_ringmv_a", 48000, 2)
	nullSink(t, "cc_ringmv_b", "cc_ringmv_b", 48000, 2)
	recB := record(t, "cc_ringmv_b.monitor", 16000)
	s := testSystem(t)
	r, err := s.Ring(RingConfig{Device: "cc_ringmv_a"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if err := r.SetDevice("cc_ringmv_b"); err != nil {
		t.Fatal(err)
	}
	recB.waitFor(t, 10*time.Second, "the ring on B", ringFrom(0))
	if r.Device() != "cc_ringmv_b" {
		t.Fatalf("ringing on %q", r.Device())
	}
}

func TestPulseUnknownDeviceChangesNothing(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_unk_spk", "cc_unk_spk", 48000, 2)
	micSetup(t, "cc_unk_feed", "cc_unk_mic")
	s := testSystem(t)
	if _, err := s.OpenEndpoint(EndpointConfig{Rate: callRate, Speaker: "no_such_sink"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("OpenEndpoint with an unknown speaker: %v", err)
	}
	if _, err := s.OpenEndpoint(EndpointConfig{Rate: callRate, Microphone: "no_such_source"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("OpenEndpoint with an unknown microphone: %v", err)
	}
	// A sink's id is not a microphone's.
	if _, err := s.OpenEndpoint(EndpointConfig{Rate: callRate, Microphone: "cc_unk_spk"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("OpenEndpoint with a sink as microphone: %v", err)
	}
	if _, err := s.Ring(RingConfig{Device: "no_such_sink"}); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("Ring on an unknown device: %v", err)
	}
	rec := record(t, "cc_unk_spk.monitor", callRate)
	c := openPulseCall(t, "cc_unk_spk", "cc_unk_mic")
	stop := toneWriter(c.ep, 1000, 8000)
	defer stop()
	if err := c.ep.SetSpeaker("no_such_sink"); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("SetSpeaker(unknown): %v", err)
	}
	if err := c.ep.SetMicrophone("no_such_source"); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("SetMicrophone(unknown): %v", err)
	}
	if c.ep.Speaker() != "cc_unk_spk" || c.ep.Microphone() != "cc_unk_mic" {
		t.Fatalf("devices changed: %q %q", c.ep.Speaker(), c.ep.Microphone())
	}
	rec.waitFor(t, 10*time.Second, "the tone still on the speaker", toneFrom(1000, callRate, 0, 500*time.Millisecond))
}

// Asking PulseAudio about a sink that went away crashed the process
// (miniaudio 0.11.23 reads the NULL info the server answers with): the
// driver answers ErrUnknownDevice instead.
func TestPulseInfoOfAVanishedDevice(t *testing.T) {
	requirePulse(t)
	s := testSystem(t)
	idx := nullSink(t, "cc_vanish", "cc_vanish", 44100, 2)
	err := s.withDriver(func(d driver) error {
		if _, err := d.list(KindPlayback); err != nil {
			return err
		}
		if ch, rate, err := d.info(KindPlayback, "cc_vanish"); err != nil || ch != 2 || rate != 44100 {
			t.Errorf("present: %d channels, %d Hz, %v", ch, rate, err)
		}
		pactl(t, "unload-module", itoa(idx))
		_, _, err := d.info(KindPlayback, "cc_vanish") // the driver still has it listed
		return err
	})
	if !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("info of an unloaded sink: %v, want ErrUnknownDevice", err)
	}
}

// The default speaker itself, followed by the call (no device chosen), is
// unplugged: the server picks another default, the call falls back to it
// (the event names both) and the tone goes on there.
func TestPulseUnpluggedDefaultSpeakerFallsBack(t *testing.T) {
	requirePulse(t)
	first := nullSink(t, "cc_hd_first", "cc_hd_first", 48000, 2)
	nullSink(t, "cc_hd_second", "cc_hd_second", 48000, 2)
	micSetup(t, "cc_hd_feed", "cc_hd_mic")
	pactl(t, "set-default-sink", "cc_hd_first")
	c := openPulseCall(t, "", "cc_hd_mic")
	stop := toneWriter(c.ep, 1000, 8000)
	defer stop()
	recFirst := record(t, "cc_hd_first.monitor", callRate)
	recFirst.waitFor(t, 10*time.Second, "the tone on the default speaker", toneFrom(1000, callRate, 0, 300*time.Millisecond))
	if c.ep.Speaker() != "cc_hd_first" {
		t.Fatalf("speaker %q, want the default cc_hd_first", c.ep.Speaker())
	}
	pactl(t, "set-default-sink", "cc_hd_second") // the server's next default, as it would pick one
	c.ev.waitEvent(t, 10*time.Second, "follows the new default", func(e Event) bool { return e.Kind == EventFollowDefault })
	pactl(t, "set-default-sink", "cc_hd_first")
	c.ev.waitEvent(t, 10*time.Second, "back on the first", func(e Event) bool { return e.Kind == EventFollowDefault && e.New == "cc_hd_first" })
	recSecond := record(t, "cc_hd_second.monitor", callRate)
	at := recSecond.len()
	pactl(t, "unload-module", itoa(first))
	ev := c.ev.waitEvent(t, 10*time.Second, "fallback", func(e Event) bool { return e.Kind == EventFallback })
	if ev.Role != RoleSpeaker || ev.Old != "cc_hd_first" || ev.New == "" || ev.New == "cc_hd_first" || c.ep.Speaker() != ev.New {
		t.Fatalf("fallback event %+v, speaker %q", ev, c.ep.Speaker())
	}
	// The tone goes on wherever the call fell back (the server may pick a
	// sink of the test bed rather than cc_hd_second).
	recNew := recSecond
	if ev.New != "cc_hd_second" {
		recNew, at = record(t, ev.New+".monitor", callRate), 0
	}
	recNew.waitFor(t, 10*time.Second, "the tone on "+ev.New, toneFrom(1000, callRate, at, 500*time.Millisecond))
	t.Logf("the default unplugged: %v", ev)
}
