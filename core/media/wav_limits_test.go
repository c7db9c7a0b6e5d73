package media

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// limitWAV writes a 16-bit PCM mono WAV whose fmt chunk claims fmtSize
// bytes (16 is right) and whose data chunk claims dataSize (-1: the real
// size) with n samples at rate.
func limitWAV(t *testing.T, fmtSize uint32, rate uint32, n int, dataSize int64) string {
	t.Helper()
	var b []byte
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	b = append(b, "RIFF"...)
	le32(0)
	b = append(b, "WAVEfmt "...)
	le32(fmtSize)
	le16(wavPCM)
	le16(1)
	le32(rate)
	le32(rate * 2)
	le16(2)
	le16(16)
	b = append(b, "data"...)
	if dataSize < 0 {
		dataSize = int64(2 * n)
	}
	le32(uint32(dataSize))
	b = append(b, make([]byte, 2*n)...)
	p := filepath.Join(t.TempDir(), "x.wav")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A WAV header cannot make the reader panic or allocate gigabytes: play_wav
// and rtc_default_source (read again for each call, on the phone's
// goroutine) take files from the application.
func TestWAVHeaderLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		path string
		want string // "" accepted
	}{
		{"fmt chunk of 4 GiB - 1 (size+size%2 wrapped to 0: a panic)", limitWAV(t, 0xFFFFFFFF, 8000, 160, -1), "fmt chunk of 4294967295 bytes"},
		{"fmt chunk of 4 GiB - 2 (a 4 GB allocation)", limitWAV(t, 0xFFFFFFFE, 8000, 160, -1), "fmt chunk of 4294967294 bytes"},
		{"1 Hz (8000 times the samples once resampled)", limitWAV(t, 16, 1, 20000, -1), "1 Hz (want 1000 to 384000)"},
		{"0 Hz", limitWAV(t, 16, 0, 160, -1), "0 Hz"},
		{"4 GHz", limitWAV(t, 16, 0xFFFFFFF0, 160, -1), "Hz (want 1000 to 384000)"},
		{"1000 Hz, long: over the samples bound", limitWAV(t, 16, 1000, 1<<23+1, -1), "over 67108864 samples"},
		{"16 kHz", limitWAV(t, 16, 16000, 320, -1), ""},
		{"streaming size 0", limitWAV(t, 16, 8000, 320, 0), ""},
		{"truncated data", limitWAV(t, 16, 8000, 320, 1<<20), ""},
	} {
		src, err := OpenWAVSource(c.path, false)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrWAVFormat) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v (want ErrWAVFormat with %q)", c.name, err, c.want)
		case c.want == "" && src == nil:
			t.Errorf("%s: no source", c.name)
		}
	}
}
