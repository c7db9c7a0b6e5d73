package agent

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/pulsetest"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// A device-mode call answered before the desktop's sound server is up
// (its PulseAudio starts a few seconds after the SDK): the call goes on,
// the app hears why once per role, and when the server starts, the
// devices open (audio_device_fallback) and the customer's tone comes out
// of the speaker; from then on the device list is watched.
func TestPulseDeviceModeCallBeforeTheServer(t *testing.T) {
	pulsetest.Require(t) // the harness is there: pulseaudio and pactl are installed
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock) // nothing listens yet; ALSA is not tried (pulseAgent)
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) { c.AudioSpeaker = "cc_late_spk" })
	uuid := a.callUp(t)
	errs := map[string]bool{}
	for len(errs) < 2 {
		ev := waitSDK(a, "audio_device_error", func(ev *AudioDeviceErrorEvent) bool { return ev.UUID == uuid })
		if !strings.Contains(ev.Error, "no sound backend") || !strings.Contains(ev.Error, "pulseaudio") {
			t.Fatalf("error event %+v", ev)
		}
		errs[ev.Role] = true
	}
	if !errs["microphone"] || !errs["speaker"] {
		t.Fatalf("error events for %v", errs)
	}
	sn := waitMedia(t, e, uuid, "RTP from the agent", func(c sim.RTCCall) bool { return c.AudioRx.Packets > 25 })
	waitMedia(t, e, uuid, "the call going on", func(c sim.RTCCall) bool { return c.AudioRx.Packets > sn.AudioRx.Packets+25 })
	pulsetest.StartServer(t, dir, sock, "module-null-sink sink_name=cc_late_spk rate=48000 channels=2",
		"module-null-sink sink_name=cc_late_other")
	up := time.Now()
	spk := pulsetest.Record(t, "cc_late_spk.monitor", pulseRate)
	// The speaker opens on the server; no error comes meanwhile (the
	// retries say nothing).
	fb := nextSoundEvent(t, a, "the speaker opened", func(ev session.Event) bool {
		f, ok := ev.(*AudioDeviceFallbackEvent)
		return ok && f.Role == "speaker"
	})
	if f := fb.(*AudioDeviceFallbackEvent); f.UUID != uuid || f.Old.ID != "cc_late_spk" || f.New.ID != "cc_late_spk" {
		t.Fatalf("fallback %+v", f)
	}
	opened := time.Since(up)
	spk.WaitFor(t, 10*time.Second, "the customer's 1 kHz out of the speaker", pulsetest.ToneAfter(pbxToneHz, pulseRate, 0, 500*time.Millisecond))
	t.Logf("the server answered; the speaker opened %v later, the customer heard %v later", opened.Round(time.Millisecond),
		time.Since(up).Round(time.Millisecond))
	// The device list is watched now: a sink loaded is an event.
	pulsetest.NullSink(t, "cc_late_new", 48000, 2)
	nextSoundEvent(t, a, "the new sink", func(ev session.Event) bool {
		c, ok := ev.(*AudioDevicesChangedEvent)
		return ok && slices.Contains(c.Added, "cc_late_new")
	})
	if _, err := a.Do(context.Background(), &protocol.HangupRequest{UUID: uuid}); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")
	waitStreams(t, "cc_late_spk", 0)
}

// A call rings before the desktop's sound server is up: the ringer says
// why once, and when the server starts the ringtone comes out of the
// ringer device while the call still rings; it stops when the call ends.
func TestPulseRingtoneBeforeTheServer(t *testing.T) {
	pulsetest.Require(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock) // nothing listens yet
	e := newEnv(t, nil)
	a := pulseAgent(t, e, func(c *Config) { c.AudioRinger = "cc_lr_ringer" })
	uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
	if err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ringing")
	ev := waitSDK(a, "the ringer's error", func(ev *AudioDeviceErrorEvent) bool { return ev.Role == "ringer" })
	if !strings.Contains(ev.Error, "no sound backend") || ev.ID != "cc_lr_ringer" {
		t.Fatalf("ringer error %+v", ev)
	}
	pulsetest.StartServer(t, dir, sock, "module-null-sink sink_name=cc_lr_ringer rate=48000 channels=2")
	ring := pulsetest.Record(t, "cc_lr_ringer.monitor", pulseRate)
	fb := nextSoundEvent(t, a, "the ringer opened", func(ev session.Event) bool {
		f, ok := ev.(*AudioDeviceFallbackEvent)
		return ok && f.Role == "ringer"
	})
	if f := fb.(*AudioDeviceFallbackEvent); f.New.ID != "cc_lr_ringer" {
		t.Fatalf("fallback %+v", f)
	}
	ring.WaitFor(t, 10*time.Second, "the ringtone", func(s []int16) bool { return ringing(s) })
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	a.callState(uuid, "ended")
	waitStreams(t, "cc_lr_ringer", 0)
}

// nextSoundEvent waits for the SDK event ok accepts; an audio_device_error
// before it fails the test.
func nextSoundEvent(t *testing.T, ra *rtcAgent, what string, ok func(session.Event) bool) session.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-ra.sdk:
			if ok(ev) {
				return ev
			}
			if de, bad := ev.(*AudioDeviceErrorEvent); bad {
				t.Fatalf("waiting for %s: %+v", what, de)
			}
			t.Logf("(event %T %+v)", ev, ev)
		case <-deadline:
			t.Fatalf("no %s within 15s", what)
			return nil
		}
	}
}
