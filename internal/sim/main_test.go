package sim

import (
	"io"
	"log/slog"
	"testing"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: every Server,
// link, PBX and timer a test starts is closed with it.
func TestMain(m *testing.M) {
	// sipgo's own warnings (the test agents') are noise here.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	goleak.VerifyTestMain(m)
}
