package agent

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// A pre-call test ended during the echo call's measurement (cc_client_free,
// checkout) reports no microphone level: the meter was read, but no level
// was worked out of it, and 0 dBFS (full scale) would be a false figure
// next to a microphone step skipped for want of an echo call.
func TestPrecallEndedEarlyReportsNoLevel(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.precallAgent(t, withEcho)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Set the test call's voice meter; its third reading ends the test.
	var reads atomic.Int32
	go onPrecallCall(ctx, a, func(u string) {
		_ = a.withCall(u, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error {
			st.meter = func() (float64, bool, bool) {
				if reads.Add(1) == 3 {
					cancel()
				}
				return -35, false, true
			}
			return nil
		})
	})
	res, err := a.PrecallTest(ctx, PrecallOptions{Duration: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if reads.Load() < 3 {
		t.Fatalf("the test ended before the meter was read 3 times (%d)", reads.Load())
	}
	if res.FailedStep != StepEchoCall || !res.Steps[3].Skipped || res.InputLevelDBFS != nil {
		t.Fatalf("ended early: failed %q, microphone %+v, level %v", res.FailedStep, res.Steps[3], deref(res.InputLevelDBFS))
	}
}

// Close during the pre-call test ends it with ErrClosed (the C API's
// CC_ERR_CLOSED), not with a result whose echo step "failed": that would
// read as a network fault.
func TestPrecallEndedByCloseIsClosed(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.precallAgent(t, withEcho)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go onPrecallCall(ctx, a, func(string) { _ = a.Close() })
	res, err := a.PrecallTest(ctx, PrecallOptions{Duration: 10 * time.Second})
	if !errors.Is(err, session.ErrClosed) || res != nil {
		t.Fatalf("closed mid-test: %+v, %v; want ErrClosed", res, err)
	}
}

// onPrecallCall runs fn with the pre-call test's call once it exists
// (until ctx ends).
func onPrecallCall(ctx context.Context, a *rtcAgent, fn func(uuid string)) {
	for ctx.Err() == nil {
		for _, u := range a.RTCCalls() {
			if strings.HasPrefix(u, precallUUIDPrefix) {
				fn(u)
				return
			}
		}
		time.Sleep(10 * time.Millisecond) // poll for the call
	}
}
