package media

import (
	"sync"
)

// AudioSource supplies the audio a call sends.
//
// ReadPCM is called by the call's media goroutine once every 20 ms with a
// buffer of 160 samples (8 kHz, mono, signed 16-bit; the frame that goes in
// one G.711 packet). It returns how many samples it wrote; samples past n
// are sent as silence. io.EOF (or any error) ends the source: the call
// sends silence from then on. ReadPCM must not block: a source that has
// nothing ready returns 0, nil.
type AudioSource interface {
	ReadPCM(buf []int16) (int, error)
}

// AudioSink receives the audio a call plays out.
//
// WritePCM is called by the call's media goroutine every 20 ms from the
// first received audio packet on, with one frame of the jitter buffer's
// output (concealment and silence included, so the clock is steady), at
// rate Hz (8000, Opus included: it is decoded and resampled to the
// internal rate). samples is only valid during the call: copy it
// to keep it. WritePCM must not block.
type AudioSink interface {
	WritePCM(samples []int16, rate int)
}

type silenceSource struct{}

func (silenceSource) ReadPCM(buf []int16) (int, error) {
	clear(buf)
	return len(buf), nil
}

// SilenceSource sends digital silence.
func SilenceSource() AudioSource { return silenceSource{} }

type toneSource struct {
	mu sync.Mutex
	g  toneGen
}

func (t *toneSource) ReadPCM(buf []int16) (int, error) {
	t.mu.Lock()
	t.g.fill(buf)
	t.mu.Unlock()
	return len(buf), nil
}

// ToneSource is an endless sine at hz with the given peak amplitude.
func ToneSource(hz float64, amplitude int16) AudioSource {
	return &toneSource{g: newToneGen(SampleRate, float64(amplitude), hz)}
}

// PCMPushSource is an AudioSource fed by the application, typically from a
// microphone: Push frames of any size at the rate given to
// NewPCMPushSource; the call reads them at 8 kHz. When the app pushes
// faster than the call sends, the oldest audio past maxBufferMs is dropped;
// when it pushes slower, the call sends silence for the gap.
type PCMPushSource struct {
	mu      sync.Mutex
	rs      *Resampler
	ring    []int16
	r, n    int // read index, samples held
	tmp     []int16
	dropped uint64
	closed  bool
}

// NewPCMPushSource makes a push source for PCM at rate Hz (mono) that
// buffers at most maxBufferMs (default 200 ms when <= 0).
func NewPCMPushSource(rate int, maxBufferMs int) *PCMPushSource {
	if maxBufferMs <= 0 {
		maxBufferMs = 200
	}
	if rate <= 0 {
		rate = SampleRate
	}
	size := max(maxBufferMs*SampleRate/1000, FrameSamples)
	return &PCMPushSource{rs: NewResampler(rate, SampleRate), ring: make([]int16, size)}
}

// Push queues samples (mono, at the source's rate). It does not block.
func (p *PCMPushSource) Push(samples []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.tmp = p.rs.Process(p.tmp[:0], samples)
	for _, s := range p.tmp {
		if p.n == len(p.ring) { // full: drop the oldest
			p.r = (p.r + 1) % len(p.ring)
			p.n--
			p.dropped++
		}
		p.ring[(p.r+p.n)%len(p.ring)] = s
		p.n++
	}
}

// Dropped is the number of 8 kHz samples dropped because the buffer was
// full.
func (p *PCMPushSource) Dropped() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// Buffered is the number of 8 kHz samples waiting to be sent.
func (p *PCMPushSource) Buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Close makes further pushes no-ops; what is buffered is still sent.
func (p *PCMPushSource) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}

// ReadPCM implements AudioSource.
func (p *PCMPushSource) ReadPCM(buf []int16) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := min(len(buf), p.n)
	for i := range n {
		buf[i] = p.ring[p.r]
		p.r = (p.r + 1) % len(p.ring)
	}
	p.n -= n
	return n, nil
}

type callbackSink struct {
	mu   sync.Mutex
	rate int
	rs   *Resampler
	out  []int16
	fn   func([]int16)
}

func (c *callbackSink) WritePCM(samples []int16, rate int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rs == nil || c.rs.in != rate {
		c.rs = NewResampler(rate, c.rate)
	}
	c.out = c.rs.Process(c.out[:0], samples)
	if len(c.out) > 0 {
		c.fn(c.out)
	}
}

// PCMCallbackSink delivers the call's received audio to fn, resampled to
// rate Hz (mono), one 20 ms frame per call (the frame may be a sample
// shorter or longer when the rate is not a multiple of 50). fn runs on the
// call's media goroutine: it must not block, and it must copy the slice to
// keep it.
func PCMCallbackSink(rate int, fn func([]int16)) AudioSink {
	if rate <= 0 {
		rate = SampleRate
	}
	return &callbackSink{rate: rate, fn: fn}
}
