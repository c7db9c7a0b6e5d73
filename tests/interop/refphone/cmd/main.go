// Command refphone serves the interop harness's peer protocol with the
// reference sipgo + pion phone (not the SDK).
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cloudcc/agent-sdk/tests/interop/refphone"
	"github.com/cloudcc/agent-sdk/tests/interop/sdkpeer"
	"github.com/emiago/sipgo/sip"
)

func main() {
	var w io.Writer = io.Discard
	if os.Getenv("REFPHONE_DEBUG") != "" {
		w = os.Stderr // sipgo's transactions and transport
	}
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})).With("peer", "refphone"))
	if err := sdkpeer.Serve(os.Stdin, os.Stdout, refphone.Open); err != nil {
		fmt.Fprintln(os.Stderr, "refphone:", err)
		os.Exit(1)
	}
}
