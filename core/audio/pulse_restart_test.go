package audio

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

// startDaemon starts a PulseAudio of the test's own on sock and returns
// a function that kills it.
func startDaemon(t *testing.T, dir, sock string) (kill func()) {
	t.Helper()
	return pulsetest.StartServer(t, dir, sock)
}

// The sound server restarts mid-call (a user session's PulseAudio
// crashes and is respawned): the call loses its devices with an event,
// and once the server is back, the speaker plays again on it.
func TestPulseServerRestartMidCall(t *testing.T) {
	requirePulse(t) // the harness is there: pulseaudio and pactl are installed
	dir := t.TempDir()
	for _, d := range []string{"run", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(dir, "run", "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock)
	kill := startDaemon(t, dir, sock)
	pactl(t, "load-module", "module-null-sink", "sink_name=cc_rs_spk")
	pactl(t, "load-module", "module-null-sink", "sink_name=cc_rs_feed")
	s := testSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "cc_rs_spk", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	stop := toneWriter(ep, 1000, 8000)
	defer stop()
	waitUntil(t, 5*time.Second, "the speaker running", func() bool { return ep.Stats().Speaker.Callbacks > 10 })
	kill()
	e := ev.waitEvent(t, 15*time.Second, "the devices lost", func(e Event) bool { return e.Kind == EventDeviceError && e.Role == RoleSpeaker })
	t.Logf("lost: %v", e)
	startDaemon(t, dir, sock)
	pactl(t, "load-module", "module-null-sink", "sink_name=cc_rs_spk")
	pactl(t, "load-module", "module-null-sink", "sink_name=cc_rs_feed")
	e = ev.waitEvent(t, 15*time.Second, "the speaker back", func(e Event) bool { return e.Kind == EventFallback && e.Role == RoleSpeaker })
	t.Logf("back: %v, speaker %q", e, ep.Speaker())
	c0 := ep.Stats().Speaker.Callbacks
	waitUntil(t, 5*time.Second, "the speaker running again", func() bool { return ep.Stats().Speaker.Callbacks > c0+10 })
	if devs, err := s.Devices(); err != nil || !hasDev(devs, "cc_rs_spk") {
		t.Fatalf("devices after the restart: %v %v", devs, err)
	}
}

func hasDev(devs []Device, id string) bool {
	for _, d := range devs {
		if d.ID == id {
			return true
		}
	}
	return false
}
