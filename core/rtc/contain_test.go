package rtc

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// panicOnce makes the contained site named what panic the first time it
// runs, for the test's duration; it returns the site's run count.
func panicOnce(t *testing.T, what string) *atomic.Int32 {
	t.Helper()
	runs, restore := contain.PanicOnce(what)
	t.Cleanup(restore)
	return runs
}

// A panic while handling a SIP frame drops the link as a broken
// connection would: the phone reports the link down with an internal
// error, reconnects and registers again; the process goes on.
func TestPanicInFrameDropsLink(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, nil)
	hits := panicOnce(t, "rtc: SIP frame")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	from := 0
	ev := rec.wait(t, &from, "link reconnecting", func(e Event) bool { return e.Type == EventLink && e.Link == LinkReconnecting })
	if !strings.Contains(ev.Reason, sdkerr.ErrInternal.Error()) || !strings.Contains(ev.Reason, "rtc: SIP reader") {
		t.Errorf("link down reason = %q, want the internal error", ev.Reason)
	}
	rec.wait(t, &from, "link up again", func(e Event) bool { return e.Type == EventLink && e.Link == LinkConnected })
	if err := p.WaitRegistered(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("not registered after the fault: %v", err)
	}
	if hits.Load() < 2 {
		t.Errorf("frames after the fault: %d, want more", hits.Load()-1)
	}
}

// A panic in a REGISTER is a failed registration: Register returns the
// internal error, the failure event says so, and the retry registers.
func TestPanicInRegisterRetries(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, nil)
	panicOnce(t, "rtc: REGISTER")
	err := p.Register(ctxT(t, 10*time.Second))
	if !errors.Is(err, sdkerr.ErrInternal) {
		t.Fatalf("Register = %v, want ErrInternal", err)
	}
	from := 0
	ev := rec.wait(t, &from, "registration failed", func(e Event) bool {
		return e.Type == EventRegistration && e.Registration == RegFailed
	})
	if !strings.Contains(ev.Reason, "rtc: REGISTER") {
		t.Errorf("failure reason = %q", ev.Reason)
	}
	if err := p.WaitRegistered(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("no registration after the retry: %v", err)
	}
}
