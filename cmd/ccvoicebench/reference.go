package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// reference is another noise suppressor, run as a command on the same
// inputs and measured by the same code, so that the NS figures can be
// read against a known engine (docs/audio.md: "A learned suppressor on
// the same bench"). The command gets two arguments, an input and an
// output WAV (mono 16-bit PCM at the scenario's rate), and must write
// the output aligned with the input (its own delay taken out) and of the
// same length.
type reference struct {
	name string
	argv []string
}

// run passes x through the reference command.
func (r reference) run(x []int16, rate int) ([]float64, error) {
	dir, err := os.MkdirTemp("", "ccvoicebench-ref")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	if err := writeWAV(in, x, rate); err != nil {
		return nil, err
	}
	cmd := exec.Command(r.argv[0], append(r.argv[1:], in, out)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("reference %s: %w", r.name, err)
	}
	y, got, err := readWAV(out)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", r.name, err)
	}
	if got != rate || len(y) != len(x) {
		return nil, fmt.Errorf("reference %s: wrote %d samples at %d Hz, want %d at %d Hz", r.name, len(y), got, len(x), rate)
	}
	return y, nil
}

// parseReference reads -ns-reference: NAME=COMMAND [ARGS...].
func parseReference(s string) (*reference, error) {
	if s == "" {
		return nil, nil
	}
	name, cmd, ok := strings.Cut(s, "=")
	argv := strings.Fields(cmd)
	if !ok || name == "" || len(argv) == 0 {
		return nil, fmt.Errorf("-ns-reference %q: want NAME=COMMAND [ARGS...]", s)
	}
	return &reference{name: name, argv: argv}, nil
}

// writeWAV writes x as a mono 16-bit PCM WAV file.
func writeWAV(path string, x []int16, rate int) error {
	b := make([]byte, 44+2*len(x))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(x)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(x)))
	for i, v := range x {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return os.WriteFile(path, b, 0o644)
}
