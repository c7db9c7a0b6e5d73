package media

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/pion/rtp"
)

// DTMF timing: 100 ms of tone (5 packets), three end packets, and a gap.
const (
	dtmfToneTicks = 5
	dtmfEndTicks  = 3
	dtmfGapTicks  = 3
	inbandGap     = 4
	inbandAmp     = 9000 // per tone: about -11 dBFS
	teVolume      = 10   // -10 dBm0
)

type dtmfJob struct {
	digit rune
	code  uint8
	mode  DTMFMode
}

// SendDTMF queues digits (0-9, *, #, A-D; ',' is a 500 ms pause) to be sent
// as RFC 4733 telephone-events on the audio stream (DTMFRFC4733, the
// default) or as inband tones (DTMFInband). It returns once they are
// queued: each digit lasts 100 ms, with gaps, so "123" takes about 0.7 s.
// RFC 4733 needs the peer to have negotiated telephone-event (ErrNoDTMF).
func (c *Call) SendDTMF(digits string, mode DTMFMode) error {
	if c.closedNow() {
		return ErrClosed
	}
	jobs := make([]dtmfJob, 0, len(digits))
	for _, d := range digits {
		if d == ',' {
			jobs = append(jobs, dtmfJob{digit: ','})
			continue
		}
		code, ok := DTMFEventCode(d)
		if !ok {
			return ErrBadDigit
		}
		jobs = append(jobs, dtmfJob{digit: upperDigit(d), code: code, mode: mode})
	}
	if !c.sendOK[kAudio].Load() {
		return ErrNotSending
	}
	if mode == DTMFRFC4733 {
		if bc := c.audio.codec(); !bc.bound || !bc.hasTE {
			return ErrNoDTMF
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		return ErrNotSending
	}
	if len(c.dtmfQ) == 0 && isClosed(c.dtmfIdle) {
		c.dtmfIdle = make(chan struct{})
	}
	c.dtmfQ = append(c.dtmfQ, jobs...)
	return nil
}

// WaitDTMF returns once every digit queued by SendDTMF has been sent (at
// once if none is), or with ctx's error, or ErrClosed. SIP INFO digits
// sent after media digits wait on it so that the far end gets them in order.
func (c *Call) WaitDTMF(ctx context.Context) error {
	c.mu.Lock()
	idle := c.dtmfIdle
	c.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// sendState is the media goroutine's sending state.
type sendState struct {
	seq     uint16
	ts      uint32
	gap     bool // next audio packet starts a talkspurt (marker)
	pcm     []int16
	payload []byte
	te      [4]byte
	hdr     rtp.Header

	job     *dtmfJob
	jobTick int
	jobTS   uint32
	tones   toneGen
}

// run is the call's media goroutine: every 20 ms one frame of playout and
// one packet of audio.
func (c *Call) run() {
	defer c.wg.Done()
	contain.Do(c.log, "media: sender", c.sendLoop, c.fault)
}

// sendLoop is the sender: a frame every 20 ms until Close.
func (c *Call) sendLoop() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	s := &sendState{
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
		gap:     true,
		pcm:     make([]int16, FrameSamples),
		payload: make([]byte, FrameSamples),
	}
	play := make([]int16, FrameSamples)
	statsEvery := max(int(c.e.cfg.StatsInterval/(20*time.Millisecond)), 1)
	var last rateSample
	for n := 1; ; n++ {
		select {
		case <-c.closed:
			return
		case <-tick.C:
		case <-c.kick:
			tick.Reset(20 * time.Millisecond) // the clock restarts from this frame
		}
		c.playout(play)
		c.sendAudio(s)
		if n%50 == 0 {
			last = c.updateRates(last)
			c.flushTE(time.Now())
		}
		if c.opts.OnStats != nil && n%statsEvery == 0 {
			st := c.Stats()
			fn := c.opts.OnStats
			c.ev.push(func() { fn(st) })
		}
	}
}

// playout pulls one frame from the jitter buffer to the sinks and the
// inband DTMF detector.
func (c *Call) playout(play []int16) {
	c.rxMu.Lock()
	st := c.jb.pull(play)
	c.rxMu.Unlock()
	if st == jbNotStarted {
		return
	}
	for _, e := range *c.sinks.Load() {
		e.s.WritePCM(play, SampleRate)
	}
	if c.opts.OnDTMF != nil {
		c.det.Write(play)
	}
}

func (c *Call) sendAudio(s *sendState) {
	bc := c.audio.codec()
	ticks := bc.frameTicks()
	s.ts += ticks
	c.mu.Lock()
	allowed := bc.bound && c.sendOK[kAudio].Load() && !c.held
	if !allowed {
		c.dtmfQ = c.dtmfQ[:0]
		s.job = nil
		c.dtmfDoneLocked()
		c.mu.Unlock()
		s.gap = true
		return
	}
	if s.job == nil && len(c.dtmfQ) == 0 {
		c.dtmfDoneLocked()
	}
	if s.job == nil && len(c.dtmfQ) > 0 {
		j := c.dtmfQ[0]
		c.dtmfQ = c.dtmfQ[1:]
		s.job, s.jobTick, s.jobTS = &j, 0, s.ts
		if j.mode == DTMFInband && j.digit != ',' {
			lo, hi, _ := DTMFFreqs(j.digit)
			s.tones = newToneGen(SampleRate, inbandAmp, lo, hi)
		}
	}
	src, srcDone := c.src, c.srcDone
	c.mu.Unlock()

	// RFC 4733: the event replaces audio while it lasts.
	if j := s.job; j != nil && j.mode == DTMFRFC4733 && j.digit != ',' && s.jobTick < dtmfToneTicks+dtmfEndTicks && bc.hasTE {
		dur := uint16(min(s.jobTick+1, dtmfToneTicks) * int(ticks))
		end := s.jobTick >= dtmfToneTicks
		s.te[0] = j.code
		s.te[1] = teVolume
		if end {
			s.te[1] |= 0x80
		}
		binary.BigEndian.PutUint16(s.te[2:], dur)
		s.hdr = rtp.Header{PayloadType: bc.dtmfPT, SequenceNumber: s.seq, Timestamp: s.jobTS, Marker: s.jobTick == 0}
		s.seq++
		if c.audio.write(&s.hdr, s.te[:]) && c.connected.Load() {
			c.txPkts[kAudio].Add(1)
			c.txBytes[kAudio].Add(4)
		}
		s.advanceJob()
		return
	}

	pcm := s.pcm
	switch j := s.job; {
	case j != nil && j.mode == DTMFInband && j.digit != ',' && s.jobTick < dtmfToneTicks:
		s.tones.fill(pcm)
	case j != nil: // gaps and pauses
		clear(pcm)
	case c.muted.Load() || src == nil || srcDone:
		clear(pcm)
	default:
		n, err := src.ReadPCM(pcm)
		n = max(0, min(n, len(pcm)))
		clear(pcm[n:])
		if err != nil {
			if err != io.EOF {
				c.log.Warn("audio source failed", "err", err)
			}
			c.mu.Lock()
			if c.src == src {
				c.srcDone = true
			}
			c.mu.Unlock()
		}
	}
	if s.job != nil {
		s.advanceJob()
	}
	payload := s.payload
	if bc.mime == mimeOpus {
		if payload = c.opusTx.encode(c, pcm); payload == nil {
			return // logged by the encoder
		}
	} else {
		encodeG711(payload, pcm, bc.mime == "audio/pcma")
	}
	s.hdr = rtp.Header{PayloadType: bc.pt, SequenceNumber: s.seq, Timestamp: s.ts, Marker: s.gap}
	s.seq++
	s.gap = false
	// Counted only when handed to a connected transport: before ICE and
	// DTLS are up the packet goes nowhere.
	if c.audio.write(&s.hdr, payload) && c.connected.Load() {
		c.txPkts[kAudio].Add(1)
		c.txBytes[kAudio].Add(uint64(len(payload)))
	}
}

// dtmfDoneLocked marks the DTMF queue idle (c.mu held).
func (c *Call) dtmfDoneLocked() {
	if !isClosed(c.dtmfIdle) {
		close(c.dtmfIdle)
	}
}

func (s *sendState) advanceJob() {
	s.jobTick++
	total := dtmfToneTicks + dtmfEndTicks + dtmfGapTicks
	switch {
	case s.job.digit == ',':
		total = 25
	case s.job.mode == DTMFInband:
		total = dtmfToneTicks + inbandGap
	}
	if s.jobTick >= total {
		s.job = nil
	}
}
