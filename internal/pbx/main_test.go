package pbx

import (
	"io"
	"log/slog"
	"testing"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// sipgo's own warnings (the test agent's) are noise here.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Once every PBX, agent and call is closed, what they started must be
	// gone (goleak retries while pion and sipgo end theirs).
	goleak.VerifyTestMain(m)
}
