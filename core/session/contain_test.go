package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// A panic while handling a frame (a malformed one hitting a bug) drops the
// link like a broken connection: the request waiting for that frame fails
// with ErrConnectionLost, the state event carries the internal error, and
// the checked-in session reconnects and serves requests again.
func TestPanicInFrameDropsLink(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) { c.reply(m, nil) })
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	cfg.HeartbeatInterval = -1
	cfg.Reconnect = Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	s := newSession(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "pw-secret"}); err != nil {
		t.Fatal(err)
	}
	_, restore := contain.PanicOnce("session: frame")
	t.Cleanup(restore)
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("ping whose reply faulted: %v, want ErrConnectionLost", err)
	}
	rec.wait(t, "disconnected with the internal error", func(evs []Event) bool {
		for _, e := range evs {
			if st, ok := e.(*StateEvent); ok && st.State == StateDisconnected &&
				strings.Contains(st.Reason, sdkerr.ErrInternal.Error()) && strings.Contains(st.Reason, "session: reader") {
				return true
			}
		}
		return false
	})
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); err != nil {
		t.Fatalf("ping after the reconnect: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
