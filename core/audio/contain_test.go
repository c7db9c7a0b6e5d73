package audio

import (
	"errors"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// A panic in a device's data callback (a buffer of an unexpected size
// hitting a bug) never reaches the sound library's thread: the device is
// reported failed with the usual EventDeviceError and reopened, and the
// endpoint goes on.
func TestPanicInDataCallbackIsDeviceError(t *testing.T) {
	_, restore := contain.PanicOnce("audio: device data")
	t.Cleanup(restore)
	s, _ := fakeSystem(t)
	ev := newEvents()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: 8000, Speaker: "spk2", OnEvent: ev.fn})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	e := ev.waitEvent(t, 2*time.Second, "device error", func(e Event) bool { return e.Kind == EventDeviceError })
	if !errors.Is(e.Err, ErrDeviceStalled) {
		t.Fatalf("event %+v, want the stalled device", e)
	}
	failed, role := e.Old, e.Role
	e = ev.waitEvent(t, 2*time.Second, "reopen", func(e Event) bool { return e.Kind == EventFallback })
	if e.Old != failed || e.New != failed {
		t.Fatalf("event %+v, want %q reopened", e, failed)
	}
	// The device that faulted carries audio again (the other one never
	// stopped, so only its own figures tell).
	frames := func() uint64 {
		st := ep.Stats()
		ds := st.Microphone
		if role == RoleSpeaker {
			ds = st.Speaker
		}
		if ds.Device != failed {
			return 0
		}
		return ds.Frames
	}
	before := frames()
	waitUntil(t, 2*time.Second, "audio on the reopened "+role.String(), func() bool { return frames() > before+800 })
}

// Once a device's data callback faulted, it is not called again on that
// device (no fault at every period), and its buffers are silence.
func TestFaultedCallbackStaysSilent(t *testing.T) {
	calls, stops := 0, 0
	cb := containCallbacks(nil, deviceCallbacks{
		data: func(out, _ []int16) {
			calls++
			out[0] = 1
			panic("bad buffer")
		},
		stopped: func() { stops++ },
	})
	for range 3 {
		out := []int16{7, 7}
		cb.data(out, nil)
		if out[0] != 0 || out[1] != 0 {
			t.Fatalf("out = %v, want silence", out)
		}
	}
	if calls != 1 || stops != 1 {
		t.Fatalf("calls=%d stops=%d, want 1 and 1", calls, stops)
	}
}
