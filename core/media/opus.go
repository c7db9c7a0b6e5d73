//go:build opus

package media

// Opus (RFC 6716, RTP payload RFC 7587), built only with the opus build
// tag: it needs cgo and libopus (gopkg.in/hraban/opus.v2; build with
// -tags opus,nolibopusfile so that libopusfile is not needed).
//
// The engine's internal audio is 8 kHz mono. Sending, each 20 ms frame is
// resampled to 48 kHz (960 samples) and encoded as mono narrowband Opus
// (the 8 kHz audio has nothing above 4 kHz) at 24 kbit/s with in-band FEC,
// the expected loss following what the peer reports in RTCP. Receiving,
// packets are decoded in sequence order at 48 kHz and resampled to 8 kHz
// into the jitter buffer; a gap of up to three packets is filled at once
// by Opus itself (FEC from the packet after the loss for the last missing
// frame when the peer sent it, PLC before), a larger gap or a timestamp
// jump restarts the stream, and a packet older than one already decoded
// is late (its frame was filled).

import (
	opus "gopkg.in/hraban/opus.v2"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// OpusAvailable reports whether this build has Opus (build tag opus, cgo
// and libopus; see docs/media.md). Without it the engine offers and
// accepts only PCMU and PCMA.
const OpusAvailable = true

const opusAvailable = OpusAvailable

const (
	ptOpus   = 111
	ptTE48   = 110
	fmtpOpus = "minptime=10;useinbandfec=1"

	opusRate     = 48000
	opusFrame    = opusRate / 50 // 960: one 20 ms frame
	opusMaxFrame = 6 * opusFrame // 120 ms, the longest Opus packet
	opusBitrate  = 24000
	opusMaxBytes = 1000 // well under the MTU with SRTP
	opusMaxFill  = 3    // lost packets filled by FEC/PLC; more: restart
)

var (
	// WebRTC (RFC 7587) always declares opus/48000/2, whatever is sent.
	codecOpus = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: opusRate, Channels: 2, SDPFmtpLine: fmtpOpus}, PayloadType: ptOpus}
	codecTE48 = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTE, ClockRate: opusRate, SDPFmtpLine: fmtpTE}, PayloadType: ptTE48}
)

// opusCodecs is Opus then its telephone-event, in registration order.
func opusCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{codecOpus, codecTE48}
}

// newPrimedResampler returns a resampler whose look-ahead is already
// filled with silence, so that every 20 ms in gives exactly 20 ms out
// (the audio is delayed by the kernel's half width: 1.1 ms).
func newPrimedResampler(in, out int) *Resampler {
	r := NewResampler(in, out)
	if r.hw > 0 {
		r.Process(nil, make([]int16, r.hw))
	}
	return r
}

// opusEncoder is the send side (media goroutine only).
type opusEncoder struct {
	enc    *opus.Encoder
	failed bool
	rs     *Resampler
	pcm48  []int16 // resampled audio not yet encoded
	out    []byte
	frames int
	loss   int // packet loss % the encoder is told
}

func (e *opusEncoder) init() error {
	enc, err := opus.NewEncoder(opusRate, 1, opus.AppVoIP)
	if err != nil {
		return err
	}
	for _, err := range []error{
		enc.SetBitrate(opusBitrate),
		enc.SetMaxBandwidth(opus.Narrowband),
		enc.SetInBandFEC(true),
		enc.SetPacketLossPerc(0),
		enc.SetDTX(false),
	} {
		if err != nil {
			return err
		}
	}
	e.enc = enc
	e.rs = newPrimedResampler(SampleRate, opusRate)
	e.pcm48 = make([]int16, 0, 2*opusFrame)
	e.out = make([]byte, opusMaxBytes)
	return nil
}

// encode encodes one 20 ms frame of 8 kHz audio; nil if it cannot.
func (e *opusEncoder) encode(c *Call, pcm []int16) []byte {
	if e.failed {
		return nil
	}
	if e.enc == nil {
		if err := e.init(); err != nil {
			e.failed = true
			c.log.Error("opus encoder", "err", err)
			return nil
		}
	}
	// Follow the loss the peer reports, for FEC (once a second).
	if e.frames++; e.frames%50 == 0 {
		c.mu.Lock()
		l := c.remoteLoss[kAudio]
		c.mu.Unlock()
		if p := min(int(l*100+0.5), 30); p != e.loss {
			if e.enc.SetPacketLossPerc(p) == nil {
				e.loss = p
			}
		}
	}
	e.pcm48 = e.rs.Process(e.pcm48, pcm)
	if len(e.pcm48) < opusFrame { // not expected (primed): pad in front
		n := len(e.pcm48)
		e.pcm48 = e.pcm48[:opusFrame]
		copy(e.pcm48[opusFrame-n:], e.pcm48[:n])
		clear(e.pcm48[:opusFrame-n])
	}
	n, err := e.enc.Encode(e.pcm48[:opusFrame], e.out)
	e.pcm48 = e.pcm48[:copy(e.pcm48, e.pcm48[opusFrame:])]
	if err != nil {
		if !e.failed {
			c.log.Warn("opus encode", "err", err)
		}
		e.failed = true
		return nil
	}
	return e.out[:n]
}

// opusDecoder is the receive side (under c.rxMu).
type opusDecoder struct {
	dec     *opus.Decoder
	failed  bool
	rs      *Resampler
	pcm48   []int16
	pcm8    []int16
	started bool
	nextSeq uint16
	nextTS  uint32 // 48 kHz timestamp the next packet should have
	outTS   uint32 // 8 kHz timestamp where the resampled audio continues
	// 48 kHz ↔ 8 kHz timestamp reference (48000 is not a divisor of 2^32,
	// so the 8 kHz timeline is kept relative to a moving reference).
	scIn, scOut uint32
}

// reset forgets the stream (new SSRC or codec).
func (d *opusDecoder) reset() {
	d.started = false
	d.dec = nil
}

// scale maps a 48 kHz RTP timestamp onto the jitter buffer's 8 kHz one.
func (d *opusDecoder) scale(ts uint32) uint32 {
	delta := int32(ts - d.scIn)
	if delta > 1<<28 || delta < -1<<28 {
		step := delta - delta%6
		d.scIn += uint32(step)
		d.scOut += uint32(step / 6)
		delta -= step
	}
	return d.scOut + uint32(delta/6)
}

// resync restarts the 8 kHz output at the packet with timestamp ts.
func (d *opusDecoder) resync(ts uint32) {
	d.rs = newPrimedResampler(opusRate, SampleRate)
	d.outTS = d.scale(ts)
}

// emit resamples 48 kHz audio into the jitter buffer.
func (d *opusDecoder) emit(c *Call, pcm []int16) {
	d.pcm8 = d.rs.Process(d.pcm8[:0], pcm)
	c.jb.put(d.outTS, d.pcm8)
	d.outTS += uint32(len(d.pcm8))
}

// decode decodes one Opus packet into the jitter buffer; it reports
// whether audio was produced. c.rxMu held.
func (d *opusDecoder) decode(c *Call, p *rtp.Packet) bool {
	if len(p.Payload) == 0 || d.failed {
		return false
	}
	if d.dec == nil {
		dec, err := opus.NewDecoder(opusRate, 1)
		if err != nil {
			d.failed = true
			c.log.Error("opus decoder", "err", err)
			return false
		}
		d.dec = dec
		d.pcm48 = make([]int16, opusMaxFrame)
		d.pcm8 = make([]int16, 0, opusMaxFrame/6+8)
	}
	ts := p.Timestamp
	if !d.started {
		d.started = true
		d.scIn, d.scOut = ts, ts/6
		d.resync(ts)
	} else {
		ds := int16(p.SequenceNumber - d.nextSeq)
		gap := int32(ts - d.nextTS)
		switch {
		case ds < 0:
			c.jb.late++ // reordered or duplicate: its frame was filled already
			return false
		case ds > 0 && ds <= opusMaxFill && gap > 0 && gap%int32(ds) == 0 &&
			gap/int32(ds)%120 == 0 && gap/int32(ds) <= opusMaxFrame && d.outTS == d.scale(d.nextTS):
			// Fill the lost frames: PLC, then FEC from this packet for the
			// last one (libopus falls back to PLC if it carries none).
			dur := int(gap / int32(ds))
			for i := range int(ds) {
				buf := d.pcm48[:dur:dur]
				var err error
				if i == int(ds)-1 {
					err = d.dec.DecodeFEC(p.Payload, buf)
				} else {
					err = d.dec.DecodePLC(buf)
				}
				if err != nil {
					clear(buf)
				}
				d.emit(c, buf)
				c.jb.concealed += uint64(max(dur/opusFrame, 1))
			}
		case ds > 0 || gap != 0 || d.outTS != d.scale(ts):
			// A longer loss, a talkspurt after DTX, RFC 4733 events in
			// between, or a jump: start the output over at this packet.
			d.resync(ts)
		}
	}
	n, err := d.dec.Decode(p.Payload, d.pcm48[:opusMaxFrame])
	d.nextSeq = p.SequenceNumber + 1
	if err != nil || n <= 0 {
		d.nextTS = ts + opusFrame
		d.resync(d.nextTS)
		return false
	}
	d.nextTS = ts + uint32(n)
	d.emit(c, d.pcm48[:n])
	return true
}
