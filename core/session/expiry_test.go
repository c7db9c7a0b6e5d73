package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Requests without a deadline of their own share the session's expiry
// timer: each still times out RequestTimeout after it was made (not when an
// earlier one does), requests answered meanwhile are not disturbed, and an
// idle session's timer is left stopped.
func TestExpiryTimerKeepsEachRequestsOwnTimeout(t *testing.T) {
	fs := newFakeServer(t, false)
	held := make(chan map[string]any, 4)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "hangup" {
			held <- m // never answered
			return
		}
		c.reply(m, nil)
	})
	cfg := testConfig(fs.url())
	cfg.RequestTimeout = 400 * time.Millisecond
	s := newSession(t, cfg)
	ctx := context.Background()
	if _, err := s.Do(ctx, &protocol.PingRequest{}); err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		err     error
		elapsed time.Duration
	}
	hangup := func(uuid string, out chan<- outcome) {
		start := time.Now()
		_, err := s.Hangup(ctx, &protocol.HangupRequest{UUID: uuid})
		out <- outcome{err, time.Since(start)}
	}
	first, second := make(chan outcome, 1), make(chan outcome, 1)
	t0 := time.Now()
	go hangup("u1", first)
	<-held // the first is on the wire (its deadline armed the timer)
	// Half the timeout passes, with answered requests in between: the
	// second request's deadline is well after the first's.
	for time.Since(t0) < cfg.RequestTimeout/2 {
		if _, err := s.Do(ctx, &protocol.PingRequest{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // the fake server keeps every frame: not too many
	}
	go hangup("u2", second)
	<-held
	for _, ch := range []chan outcome{first, second} {
		o := <-ch
		if !errors.Is(o.err, ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", o.err)
		}
		if o.elapsed < cfg.RequestTimeout || o.elapsed > cfg.RequestTimeout+time.Second {
			t.Fatalf("timed out after %v, configured %v", o.elapsed, cfg.RequestTimeout)
		}
	}
	if _, err := s.Do(ctx, &protocol.PingRequest{}); err != nil {
		t.Fatalf("a request after the timeouts: %v", err)
	}
	s.mu.Lock()
	n := len(s.pending)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d calls still pending", n)
	}
}

// A caller's own deadline still ends its wait (the shared timer is only for
// requests without one), and a cancelled context too.
func TestCallerDeadlineAndCancelEndTheWait(t *testing.T) {
	fs := newFakeServer(t, false)
	fs.handle(func(*fakeConn, map[string]any) {})
	cfg := testConfig(fs.url())
	cfg.RequestTimeout = time.Minute
	s := newSession(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Do(ctx, &protocol.PingRequest{}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Do(cctx, &protocol.PingRequest{})
		done <- err
	}()
	ccancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
