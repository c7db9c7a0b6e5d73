package audio

import (
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

// The sound server starts after the call (a desktop session's PulseAudio
// a few seconds after the SDK): the endpoint opens with no backend at all
// (nothing at PULSE_SERVER, an ALSA without a card), says why once per
// direction, and once a server answers, the customer's tone comes out of
// the speaker's sink.
func TestPulseServerLateForTheCall(t *testing.T) {
	requirePulse(t) // the harness is there: pulseaudio and pactl are installed
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock)
	// No sound card; put back after the System's Close (cleanups run
	// last first).
	old := alsaDevDir
	alsaDevDir = t.TempDir()
	t.Cleanup(func() { alsaDevDir = old })
	var tries atomic.Int64 // the connections tried
	s := newSystem(Config{PollInterval: 50 * time.Millisecond, StallTimeout: 3 * time.Second}, func(c Config) (driver, error) {
		tries.Add(1)
		return newMalgoDriver(c)
	})
	t.Cleanup(func() { _ = s.Close() })
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "cc_late_spk", OnEvent: ev.fn})
	if err != nil {
		t.Fatalf("no sound server refused the call's endpoint: %v", err)
	}
	defer ep.Close()
	for _, r := range []Role{RoleMicrophone, RoleSpeaker} {
		e := ev.waitEvent(t, time.Second, "no backend for the "+r.String(), func(e Event) bool { return e.Role == r })
		if e.Kind != EventDeviceError || !errors.Is(e.Err, ErrNoAudioBackend) ||
			!strings.Contains(e.Err.Error(), "pulseaudio: ") || !strings.Contains(e.Err.Error(), "alsa: no sound card") {
			t.Fatalf("%v: %v", r, e)
		}
	}
	stop := toneWriter(ep, 1000, 8000) // the customer
	defer stop()
	// The server comes late: the watcher found nothing a few times first
	// (its waits grew). OpenEndpoint itself tried 4 times (the ids'
	// check, each start, the watcher's first listing).
	opened := tries.Load()
	waitUntil(t, 10*time.Second, "the watcher's tries", func() bool { return tries.Load() >= opened+3 })
	pulsetest.StartServer(t, dir, sock, "module-null-sink sink_name=cc_late_spk rate=48000 channels=2",
		"module-null-sink sink_name=cc_late_other")
	up := time.Now()
	rec := record(t, "cc_late_spk.monitor", 8000)
	e := ev.waitEvent(t, 15*time.Second, "the speaker opened", func(e Event) bool {
		if e.Kind == EventDeviceError {
			t.Fatalf("an error while the server came: %v (the start's is said once)", e)
		}
		return e.Kind == EventFallback && e.Role == RoleSpeaker
	})
	if e.Old != "cc_late_spk" || e.New != "cc_late_spk" || ep.Speaker() != "cc_late_spk" {
		t.Fatalf("speaker: %v, in use %q", e, ep.Speaker())
	}
	openedAfter := time.Since(up)
	rec.waitFor(t, 10*time.Second, "the customer's 1 kHz out of the speaker", toneFrom(1000, 8000, 0, 500*time.Millisecond))
	t.Logf("%d connections tried in all (the last found the server); the speaker opened %v after it answered, the tone heard %v after",
		tries.Load(), openedAfter.Round(time.Millisecond), time.Since(up).Round(time.Millisecond))
	if b, err := s.Backend(); err != nil || b != BackendPulseAudio {
		t.Fatalf("backend %q %v", b, err)
	}
}
