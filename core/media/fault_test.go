package media

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// A panic on a call's media goroutine (here the audio reader, as a
// malformed RTP packet hitting a bug would) is the call's media failure:
// OnConnectFailed reports the internal error once, the other call and the
// process go on, and Close still waits for every goroutine and returns.
func TestPanicInReaderIsMediaFailure(t *testing.T) {
	hits, restore := contain.PanicOnce("media: audio reader")
	t.Cleanup(restore)
	failed := make(chan string, 4)
	e := newTestEngine(t)
	p := newPair(t, e, e, CallOptions{Audio: SendRecv, OnConnectFailed: func(r string) { failed <- r }}, CallOptions{Audio: SendRecv, OnConnectFailed: func(r string) { failed <- r }})
	var reason string
	select {
	case reason = <-failed:
	case <-time.After(10 * time.Second):
		t.Fatalf("no media failure reported (reader runs: %d)", hits.Load())
	}
	if !strings.Contains(reason, sdkerr.ErrInternal.Error()) || !strings.Contains(reason, "media: audio reader") {
		t.Errorf("failure reason = %q", reason)
	}
	done := make(chan struct{})
	go func() {
		_ = p.a.Close()
		_ = p.b.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked after the fault")
	}
	if n := len(failed); n != 0 {
		t.Errorf("%d more failure reports, want one", n)
	}
}
