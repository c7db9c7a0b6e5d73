package audio

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestRingPrimesDropsAndWraps(t *testing.T) {
	q := newRing(4, 8)
	buf := make([]int16, 3)
	q.write([]int16{1, 2, 3})
	if n := q.read(buf); n != 0 {
		t.Fatalf("read %d before priming", n)
	}
	q.write([]int16{4})
	if n := q.read(buf); n != 3 || !equal(buf, []int16{1, 2, 3}) {
		t.Fatalf("read %d %v", n, buf)
	}
	// Underrun: partial, then primes again.
	if n := q.read(buf); n != 1 || buf[0] != 4 {
		t.Fatalf("partial read %d %v", n, buf)
	}
	q.write([]int16{5, 6})
	if n := q.read(buf); n != 0 {
		t.Fatalf("read %d while priming again", n)
	}
	// Overrun: the oldest go, back to prime.
	q.write([]int16{7, 8, 9, 10, 11, 12, 13})
	st := q.stats()
	if st.buffered != 4 || st.overruns != 1 || st.dropped != 5 || st.underruns != 1 {
		t.Fatalf("stats %+v", st)
	}
	got := make([]int16, 4)
	if n := q.read(got); n != 4 || !equal(got, []int16{10, 11, 12, 13}) {
		t.Fatalf("after overrun %d %v", n, got)
	}
	// A write larger than the ring keeps its newest samples.
	q.write([]int16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	got = make([]int16, 8)
	if n := q.read(got); n != 4 || !equal(got[:4], []int16{7, 8, 9, 10}) {
		t.Fatalf("after a huge write %d %v", n, got)
	}
}

func TestLinearResamplerKeepsTheTone(t *testing.T) {
	rs := newLinearResampler(16000, 8000)
	var out []int16
	in := make([]int16, 320)
	n := 0
	for range 50 {
		for i := range in {
			in[i] = int16(8000 * math.Sin(2*math.Pi*500*float64(n)/16000))
			n++
		}
		out = rs.process(out, in)
	}
	if len(out) < 7990 || len(out) > 8000 {
		t.Fatalf("%d samples out of a second at 16 kHz", len(out))
	}
	if !dominant(out[:800], 500, 8000) {
		t.Fatal("500 Hz lost")
	}
	same := newLinearResampler(8000, 8000)
	if got := same.process(nil, []int16{1, 2, 3}); !equal(got, []int16{1, 2, 3}) {
		t.Fatalf("same rate: %v", got)
	}
}

func TestBuiltinRingCadence(t *testing.T) {
	c := BuiltinRing()
	if c.Rate != 16000 || c.Channels != 1 || c.Duration() != 3 {
		t.Fatalf("clip %d Hz %d ch %.2f s", c.Rate, c.Channels, c.Duration())
	}
	seg := func(from, to float64) []int16 { return c.Samples[int(from*16000):int(to*16000)] }
	for _, on := range [][2]float64{{0.05, 0.35}, {0.65, 0.95}} {
		s := seg(on[0], on[1])
		e := energy(s) * float64(len(s)) / 2
		lo, hi := goertzel(s, RingToneLowHz, 16000)/e, goertzel(s, RingToneHighHz, 16000)/e
		if lo < 0.4 || hi < 0.4 {
			t.Errorf("burst %v: 400 Hz %.2f, 450 Hz %.2f of the energy", on, lo, hi)
		}
	}
	for _, off := range [][2]float64{{0.41, 0.59}, {1.01, 3}} {
		if !silent(seg(off[0], off[1]), 16000) || energy(seg(off[0], off[1])) != 0 {
			t.Errorf("pause %v is not silent", off)
		}
	}
}

func wavBytes(t *testing.T, format, channels, bits uint16, rate uint32, extensible bool) []byte {
	var b bytes.Buffer
	c := &Clip{Rate: int(rate), Channels: int(channels), Samples: []int16{1, -1, 2, -2}}
	if err := c.WriteWAV(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[20], raw[21] = byte(format), byte(format>>8)
	raw[34], raw[35] = byte(bits), byte(bits>>8)
	if extensible {
		// fmt grows to 40 bytes: cbSize 22, valid bits, mask, subformat.
		ext := make([]byte, 24)
		ext[0] = 22
		ext[8], ext[9] = byte(format), byte(format>>8)
		hdr := append([]byte(nil), raw[:36]...)
		hdr[16] = 40
		hdr[20], hdr[21] = 0xFE, 0xFF
		out := append(hdr, ext...)
		out = append(out, raw[36:]...)
		size := uint32(len(out) - 8)
		out[4], out[5], out[6], out[7] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
		return out
	}
	return raw
}

func TestReadWAV(t *testing.T) {
	c, err := ReadWAV(bytes.NewReader(wavBytes(t, 1, 2, 16, 22050, false)))
	if err != nil || c.Rate != 22050 || c.Channels != 2 || !equal(c.Samples, []int16{1, -1, 2, -2}) {
		t.Fatalf("PCM16: %+v %v", c, err)
	}
	if c, err := ReadWAV(bytes.NewReader(wavBytes(t, 1, 1, 16, 8000, true))); err != nil || len(c.Samples) != 4 {
		t.Fatalf("extensible PCM16: %+v %v", c, err)
	}
	bad := map[string][]byte{
		"float":            wavBytes(t, 3, 1, 32, 8000, false),
		"A-law":            wavBytes(t, 6, 1, 8, 8000, false),
		"8-bit PCM":        wavBytes(t, 1, 1, 8, 8000, false),
		"extensible float": wavBytes(t, 3, 1, 32, 8000, true),
		"3 channels":       wavBytes(t, 1, 3, 16, 8000, false),
		"rate 0":           wavBytes(t, 1, 1, 16, 0, false),
		"not RIFF":         []byte("this is not a wav file at all"),
		"empty":            nil,
		"no data":          wavBytes(t, 1, 1, 16, 8000, false)[:36],
	}
	for name, b := range bad {
		if _, err := ReadWAV(bytes.NewReader(b)); !errors.Is(err, ErrUnsupportedWAV) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ring.wav")
	if err := os.WriteFile(p, wavBytes(t, 3, 1, 32, 8000, false), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWAV(p); !errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("LoadWAV(float): %v", err)
	}
	if _, err := LoadWAV(filepath.Join(dir, "missing.wav")); err == nil || errors.Is(err, ErrUnsupportedWAV) {
		t.Fatalf("LoadWAV(missing): %v", err)
	}
}
