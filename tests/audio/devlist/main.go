// Command devlist lists the sound devices the SDK sees, one JSON object a
// line, through core/audio (the same code the library links). The tests
// run it where no sound server exists (tests/audio/run.sh) and under Wine
// (tests/windows/run.sh): it must print a list or a clear error, never
// crash.
//
// Exit status: 0 listed, 3 no sound backend (ErrNoAudioBackend), 1 any
// other error.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cloudcc/agent-sdk/core/audio"
)

func main() {
	backends := flag.String("backends", "", "comma-separated backends to try (default: the platform's)")
	flag.Parse()
	var cfg audio.Config
	if *backends != "" {
		for _, b := range strings.Split(*backends, ",") {
			cfg.Backends = append(cfg.Backends, audio.Backend(b))
		}
	}
	s := audio.NewSystem(cfg)
	defer s.Close()
	devs, err := s.Devices()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devlist:", err)
		if errors.Is(err, audio.ErrNoAudioBackend) {
			os.Exit(3)
		}
		os.Exit(1)
	}
	b, _ := s.Backend()
	enc := json.NewEncoder(os.Stdout)
	for _, d := range devs {
		_ = enc.Encode(struct {
			Backend audio.Backend `json:"backend"`
			Kind    string        `json:"kind"`
			audio.Device
		}{b, d.Kind.String(), d})
	}
	fmt.Fprintf(os.Stderr, "devlist: %d devices through %s\n", len(devs), b)
}
