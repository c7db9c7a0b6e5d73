// Command refagent is pbxbench's agent built on the interop harness's
// reference phone (sipgo + pion, not the SDK): it registers extensions
// first..first+users-1 and answers every call at once with a tone. It is
// the pion baseline beside the SDK and aiortc in bench/run.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/tests/interop/refphone"
	"github.com/cloudcc/agent-sdk/tests/interop/sdkpeer"
	"github.com/emiago/sipgo/sip"
)

func main() {
	ws := flag.String("ws", "", "SIP-over-WebSocket URL")
	domain := flag.String("domain", "", "SIP domain")
	users := flag.Int("users", 1, "extensions")
	first := flag.Int("first", 3000, "first extension")
	prefix := flag.String("password-prefix", "pw", "password = prefix + extension")
	tone := flag.Float64("tone", 440, "tone to play (Hz)")
	flag.Parse()
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var phones []sdkpeer.Phone
	for i := range *users {
		ext := strconv.Itoa(*first + i)
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ph, err := refphone.Open(rctx, sdkpeer.RegisterArgs{WS: *ws, Domain: *domain, User: ext, Password: *prefix + ext, ToneHz: *tone})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "refagent: register %s: %v\n", ext, err)
			os.Exit(1)
		}
		phones = append(phones, ph)
		go func() {
			for {
				c, err := ph.WaitIncoming(ctx)
				if err != nil {
					return
				}
				go func() { _ = c.Answer(ctx) }()
			}
		}()
	}
	<-ctx.Done()
	for _, ph := range phones {
		_ = ph.Close()
	}
}
