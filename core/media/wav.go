package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// WAV format codes this package reads.
const (
	wavPCM        = 1
	wavALaw       = 6
	wavULaw       = 7
	wavExtensible = 0xFFFE
)

// ErrWAVFormat is returned for a WAV file this package cannot read.
var ErrWAVFormat = errors.New("media: unsupported WAV file (want PCM 16-bit, A-law or μ-law)")

// Bounds of what readWAV takes, so that a bad header cannot make it
// allocate gigabytes: a fmt chunk is 16 to 40 bytes; the data at most
// maxWAVData bytes; the rate 1000 to 384000 Hz; the audio at most
// maxWAVSamples once at 8 kHz (a 1 Hz header would multiply it by 8000).
const (
	maxWAVFmt     = 1 << 10
	maxWAVData    = 1 << 28
	minWAVRate    = 1000
	maxWAVRate    = 384000
	maxWAVSamples = 1 << 26 // about 2.3 hours at 8 kHz
)

// readWAV loads a whole WAV file as 8 kHz mono PCM.
func readWAV(r io.Reader) ([]int16, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("media: WAV header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, ErrWAVFormat
	}
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
	)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("media: WAV has no data chunk: %w", err)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > maxWAVFmt {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAVFormat, size)
			}
			b := make([]byte, int(size)+int(size%2))
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, err
			}
			format = binary.LittleEndian.Uint16(b[0:2])
			channels = binary.LittleEndian.Uint16(b[2:4])
			rate = binary.LittleEndian.Uint32(b[4:8])
			bits = binary.LittleEndian.Uint16(b[14:16])
			if format == wavExtensible && size >= 26 {
				format = binary.LittleEndian.Uint16(b[24:26]) // sub-format GUID's first two bytes
			}
			haveFmt = true
		case "data":
			if !haveFmt || channels == 0 {
				return nil, ErrWAVFormat
			}
			if rate < minWAVRate || rate > maxWAVRate {
				return nil, fmt.Errorf("%w: %d Hz (want %d to %d)", ErrWAVFormat, rate, minWAVRate, maxWAVRate)
			}
			var data []byte
			var err error
			if size == 0 || size > maxWAVData { // streaming writers leave it open
				data, err = io.ReadAll(io.LimitReader(r, maxWAVData+1))
				if err == nil && len(data) > maxWAVData {
					return nil, fmt.Errorf("%w: over %d MB of audio", ErrWAVFormat, maxWAVData>>20)
				}
			} else {
				data = make([]byte, size)
				var n int
				n, err = io.ReadFull(r, data)
				data = data[:n]
				if errors.Is(err, io.ErrUnexpectedEOF) {
					err = nil // truncated file: take what is there
				}
			}
			if err != nil {
				return nil, err
			}
			return decodeWAVData(data, format, channels, bits, int(rate))
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return nil, fmt.Errorf("media: WAV chunk %q: %w", id, err)
			}
		}
	}
}

func decodeWAVData(data []byte, format, channels, bits uint16, rate int) ([]int16, error) {
	var width int
	switch {
	case format == wavPCM && bits == 16:
		width = 2
	case (format == wavALaw || format == wavULaw) && bits == 8:
		width = 1
	default:
		return nil, ErrWAVFormat
	}
	nch := int(channels)
	frames := len(data) / (width * nch)
	if int64(frames)*SampleRate/int64(rate) > maxWAVSamples {
		return nil, fmt.Errorf("%w: over %d samples at %d Hz", ErrWAVFormat, maxWAVSamples, SampleRate)
	}
	mono := make([]int16, frames)
	for i := range frames {
		var sum int
		for c := range nch {
			off := (i*nch + c) * width
			switch format {
			case wavPCM:
				sum += int(int16(binary.LittleEndian.Uint16(data[off:])))
			case wavALaw:
				sum += int(DecodeALaw(data[off]))
			default:
				sum += int(DecodeULaw(data[off]))
			}
		}
		mono[i] = int16(sum / nch)
	}
	if rate == SampleRate {
		return mono, nil
	}
	rs := NewResampler(rate, SampleRate)
	out := rs.Process(make([]int16, 0, rs.OutLen(len(mono))+rs.hw), mono)
	// Flush the resampler's delay with zeros.
	out = rs.Process(out, make([]int16, 2*rs.hw))
	return out, nil
}

type wavSource struct {
	mu   sync.Mutex
	pcm  []int16
	pos  int
	loop bool
}

func (w *wavSource) ReadPCM(buf []int16) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for n < len(buf) {
		if w.pos >= len(w.pcm) {
			if !w.loop || len(w.pcm) == 0 {
				if n == 0 {
					return 0, io.EOF
				}
				return n, nil
			}
			w.pos = 0
		}
		c := copy(buf[n:], w.pcm[w.pos:])
		n += c
		w.pos += c
	}
	return n, nil
}

// OpenWAVSource loads a WAV file (PCM 16-bit at any rate and channel count,
// or 8-bit A-law/μ-law) and returns a source that plays it at 8 kHz mono,
// once (then io.EOF: the call sends silence) or looping. The whole file is
// read into memory (a minute is under 1 MB at 8 kHz).
func OpenWAVSource(path string, loop bool) (AudioSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcm, err := readWAV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &wavSource{pcm: pcm, loop: loop}, nil
}

// WAVRecorder is an AudioSink that writes what it receives to a 16-bit PCM
// mono WAV file at the rate of the first frame (8 kHz for a call). Close
// writes the final sizes into the header; until then the file has a valid
// header with sizes that a streaming reader accepts.
type WAVRecorder struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	rate    int
	samples int64
	buf     []byte
	err     error
	closed  bool
}

// CreateWAVRecorder creates (or truncates) path and returns a recorder.
func CreateWAVRecorder(path string) (*WAVRecorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r := &WAVRecorder{f: f, w: bufio.NewWriterSize(f, 32<<10), rate: 0}
	return r, nil
}

func wavHeader(rate int, dataBytes uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(min(36+uint64(dataBytes), 0xFFFFFFFF)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// WritePCM implements AudioSink.
func (r *WAVRecorder) WritePCM(samples []int16, rate int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	if r.rate == 0 {
		r.rate = rate
		_, r.err = r.w.Write(wavHeader(rate, 0xFFFFFFFF))
	}
	if cap(r.buf) < 2*len(samples) {
		r.buf = make([]byte, 2*len(samples))
	}
	b := r.buf[:2*len(samples)]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if r.err == nil {
		_, r.err = r.w.Write(b)
	}
	r.samples += int64(len(samples))
}

// Samples is the number of samples recorded so far.
func (r *WAVRecorder) Samples() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.samples
}

// Close flushes the file and writes the final header. Safe to call twice.
func (r *WAVRecorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	if r.rate == 0 { // nothing recorded: still a valid, empty WAV
		r.rate = SampleRate
		if r.err == nil {
			_, r.err = r.w.Write(wavHeader(r.rate, 0))
		}
	}
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	if r.err == nil {
		_, r.err = r.f.WriteAt(wavHeader(r.rate, uint32(r.samples*2)), 0)
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// WriteWAV writes mono 16-bit PCM at rate to path (a helper for tests and
// tools).
func WriteWAV(path string, rate int, pcm []int16) error {
	r, err := CreateWAVRecorder(path)
	if err != nil {
		return err
	}
	r.WritePCM(pcm, rate)
	return r.Close()
}
