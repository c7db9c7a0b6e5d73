package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Clip is PCM held in memory: interleaved 16-bit samples.
type Clip struct {
	Rate     int
	Channels int
	Samples  []int16
}

// Duration is the clip's length.
func (c *Clip) Duration() float64 {
	if c.Rate == 0 || c.Channels == 0 {
		return 0
	}
	return float64(len(c.Samples)/c.Channels) / float64(c.Rate)
}

const maxWAVBytes = 64 << 20 // a ringtone, not an album

// LoadWAV reads a WAV file for the ringtone. Only 16-bit PCM (format 1, or
// WAVE_FORMAT_EXTENSIBLE with the PCM subformat), 1 or 2 channels, 8000 to
// 192000 Hz, is accepted; anything else is ErrUnsupportedWAV.
func LoadWAV(path string) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: ringtone: %w", err)
	}
	defer f.Close()
	c, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadWAV parses a WAV stream as LoadWAV does.
func ReadWAV(r io.Reader) (*Clip, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrUnsupportedWAV)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrUnsupportedWAV)
	}
	var c *Clip
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if c == nil {
				return nil, fmt.Errorf("%w: no fmt chunk", ErrUnsupportedWAV)
			}
			return nil, fmt.Errorf("%w: no data chunk", ErrUnsupportedWAV)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		if size > maxWAVBytes {
			return nil, fmt.Errorf("%w: %s chunk of %d bytes", ErrUnsupportedWAV, id, size)
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrUnsupportedWAV)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("%w: truncated fmt chunk", ErrUnsupportedWAV)
			}
			format := binary.LittleEndian.Uint16(b[0:2])
			channels := int(binary.LittleEndian.Uint16(b[2:4]))
			rate := int(binary.LittleEndian.Uint32(b[4:8]))
			bits := binary.LittleEndian.Uint16(b[14:16])
			if format == 0xFFFE && size >= 40 {
				format = binary.LittleEndian.Uint16(b[24:26]) // the subformat GUID's first two bytes
			}
			if format != 1 {
				return nil, fmt.Errorf("%w: format %#x (want PCM)", ErrUnsupportedWAV, format)
			}
			if bits != 16 {
				return nil, fmt.Errorf("%w: %d-bit PCM (want 16-bit)", ErrUnsupportedWAV, bits)
			}
			if channels < 1 || channels > 2 {
				return nil, fmt.Errorf("%w: %d channels (want 1 or 2)", ErrUnsupportedWAV, channels)
			}
			if rate < 8000 || rate > 192000 {
				return nil, fmt.Errorf("%w: %d Hz", ErrUnsupportedWAV, rate)
			}
			c = &Clip{Rate: rate, Channels: channels}
		case "data":
			if c == nil {
				return nil, fmt.Errorf("%w: data before fmt", ErrUnsupportedWAV)
			}
			b := make([]byte, size)
			n, err := io.ReadFull(r, b)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: truncated data", ErrUnsupportedWAV)
			}
			b = b[:n-n%(2*c.Channels)] // a truncated file keeps its whole frames
			c.Samples = make([]int16, len(b)/2)
			for i := range c.Samples {
				c.Samples[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
			if len(c.Samples) == 0 {
				return nil, fmt.Errorf("%w: no audio", ErrUnsupportedWAV)
			}
			return c, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size+size%2)); err != nil {
				return nil, fmt.Errorf("%w: truncated %q chunk", ErrUnsupportedWAV, id)
			}
		}
	}
}

// WriteWAV writes the clip as a 16-bit PCM WAV (tests and tools).
func (c *Clip) WriteWAV(w io.Writer) error {
	data := len(c.Samples) * 2
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(c.Channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(c.Rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(c.Rate*c.Channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(c.Channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	b := make([]byte, data)
	for i, s := range c.Samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}
