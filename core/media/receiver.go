package media

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

func (c *Call) onTrack(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
	// Drain the receiver's RTCP so that the report interceptor sees the
	// peer's sender reports (needed for the LSR/DLSR of our receiver
	// reports, hence the peer's RTT).
	c.goTracked("media: receiver RTCP", func() {
		for {
			if _, _, err := rcv.ReadRTCP(); err != nil {
				return
			}
		}
	})
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		c.goTracked("media: video reader", func() { c.readVideo(tr) })
		return
	}
	c.goTracked("media: audio reader", func() { c.readAudio(tr) })
}

// readErr tells whether a read error ends the reader.
func readErr(err error) bool {
	return !errors.Is(err, io.ErrShortBuffer)
}

func (c *Call) readAudio(tr *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if readErr(err) {
				return
			}
			continue
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		if c.testDropRx != nil && c.testDropRx(&p) {
			continue
		}
		c.onAudioRTP(&p, time.Now())
	}
}

func (c *Call) onAudioRTP(p *rtp.Packet, now time.Time) {
	kind := c.ptKinds.Load()[p.PayloadType&0x7f]
	var first bool
	c.rxMu.Lock()
	clock := c.arxClock
	if kind == plPCMU || kind == plPCMA || kind == plOpus {
		clock = kindClock(kind) // telephone-event follows the stream
	}
	if !c.arx.started || p.SSRC != c.arx.ssrc || clock != c.arxClock {
		// A new stream, or a codec on another RTP clock (a re-INVITE
		// switching between G.711 and Opus): its timestamps do not follow on.
		if c.arx.started {
			c.aPrev.add(&c.arx)
			c.jb.reset()
		}
		c.arx.reset(p.SSRC, p.SequenceNumber)
		c.arxClock = clock
		c.opusRx.reset()
	}
	arrival := int64(now.Sub(c.start)) * clock / int64(time.Second)
	c.arx.update(p.SequenceNumber, p.Timestamp, arrival, len(p.Payload))
	c.jb.setJitter(c.arx.jitter * SampleRate / float64(clock))
	switch kind {
	case plPCMU, plPCMA:
		if !c.recvOK[kAudio].Load() {
			break
		}
		n := min(len(p.Payload), len(c.decBuf))
		decodeG711(c.decBuf[:n], p.Payload[:n], kind == plPCMA)
		c.jb.put(p.Timestamp, c.decBuf[:n])
		if !c.firstAudio {
			c.firstAudio = true
			first = true
		}
	case plOpus:
		if !c.recvOK[kAudio].Load() {
			break
		}
		if c.opusRx.decode(c, p) && !c.firstAudio {
			c.firstAudio = true
			first = true
		}
	case plTE, plTE48:
		if c.recvOK[kAudio].Load() {
			c.onTE(p, now, kindClock(kind))
		}
	}
	c.rxMu.Unlock()
	if first && c.opts.OnFirstAudio != nil {
		fn := c.opts.OnFirstAudio
		c.ev.push(func() { fn(now) })
	}
}

// kindClock is the RTP clock rate of a payload kind.
func kindClock(kind uint8) int64 {
	if kind == plOpus || kind == plTE48 {
		return 48000
	}
	return SampleRate
}

func (t *rxTotals) add(s *rxStats) {
	t.pkts += s.received
	t.bytes += s.bytes
	t.lost += s.lost()
	t.expected += s.expected()
}

// onTE handles an RFC 4733 packet: every packet of an event carries the
// event's start timestamp; the digit is reported once, at its first end
// packet (or when the next event starts, or after 500 ms of silence, if
// the end packets were lost). c.rxMu held.
func (c *Call) onTE(p *rtp.Packet, now time.Time, clock int64) {
	if len(p.Payload) < 4 {
		return
	}
	code, end, dur := p.Payload[0], p.Payload[1]&0x80 != 0, binary.BigEndian.Uint16(p.Payload[2:4])
	te := &c.te
	if te.active && p.Timestamp != te.ts {
		if int32(p.Timestamp-te.ts) < 0 {
			return // a straggler of an older event
		}
		c.reportTE()
		te.active = false
	}
	if !te.active {
		*te = teState{active: true, ts: p.Timestamp, code: code, clock: clock}
	}
	te.dur = max(te.dur, dur)
	te.last = now
	if end {
		c.reportTE()
	}
}

// reportTE reports the current event once. c.rxMu held.
func (c *Call) reportTE() {
	te := &c.te
	if !te.active || te.reported {
		return
	}
	te.reported = true
	if d, ok := DTMFEventDigit(te.code); ok {
		c.gotDigit(Digit{Digit: d, Mode: DTMFRFC4733, Duration: time.Duration(te.dur) * time.Second / time.Duration(te.clock)})
	}
}

func (c *Call) flushTE(now time.Time) {
	c.rxMu.Lock()
	if c.te.active && !c.te.reported && now.Sub(c.te.last) > 500*time.Millisecond {
		c.reportTE()
	}
	c.rxMu.Unlock()
}

func (c *Call) gotDigit(d Digit) {
	if fn := c.opts.OnDTMF; fn != nil {
		c.ev.push(func() { fn(d) })
	}
}

func (c *Call) readVideo(tr *webrtc.TrackRemote) {
	mime := strings.ToLower(tr.Codec().MimeType)
	var dep rtp.Depacketizer
	var name string
	switch mime {
	case "video/vp8":
		dep, name = &codecs.VP8Packet{}, "VP8"
	case "video/h264":
		dep, name = &codecs.H264Packet{}, "H264"
	}
	var sb *samplebuilder.SampleBuilder
	if dep != nil {
		sb = samplebuilder.New(256, dep, 90000, samplebuilder.WithMaxTimeDelay(time.Second))
	}
	// Ask for a key frame at once.
	_ = c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if readErr(err) {
				return
			}
			continue
		}
		p := &rtp.Packet{}
		if p.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
			continue
		}
		c.rxMu.Lock()
		if !c.vrx.started || p.SSRC != c.vrx.ssrc {
			if c.vrx.started {
				c.vPrev.add(&c.vrx)
			}
			c.vrx.reset(p.SSRC, p.SequenceNumber)
		}
		c.vrx.update(p.SequenceNumber, p.Timestamp, int64(time.Since(c.start))*90000/int64(time.Second), len(p.Payload))
		c.rxMu.Unlock()
		if sb == nil || !c.recvOK[kVideo].Load() {
			continue
		}
		sb.Push(p)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if fn := c.videoFn.Load(); fn != nil {
				(*fn)(name, s.Data, s.PacketTimestamp)
			}
		}
	}
}

// readSenderRTCP reads the RTCP the peer sends about one of our streams:
// receiver report blocks give the RTT (RFC 3550 6.4.1), the loss and the
// jitter the peer sees.
func (c *Call) readSenderRTCP(s *webrtc.RTPSender, t *rawTrack, kind int) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		now := time.Now()
		bc := t.codec()
		ssrc := bc.ssrc
		clock := float64(SampleRate)
		switch {
		case kind == kVideo:
			clock = 90000
		case bc.clock != 0:
			clock = float64(bc.clock)
		}
		for _, p := range pkts {
			var blocks []rtcp.ReceptionReport
			switch r := p.(type) {
			case *rtcp.ReceiverReport:
				blocks = r.Reports
			case *rtcp.SenderReport:
				blocks = r.Reports
			}
			for _, b := range blocks {
				if b.SSRC != ssrc {
					continue
				}
				c.mu.Lock()
				c.remoteLoss[kind] = float64(b.FractionLost) / 256
				c.remoteJit[kind] = time.Duration(float64(b.Jitter) / clock * float64(time.Second))
				if b.LastSenderReport != 0 {
					rtt := ntpMiddle(now) - b.LastSenderReport - b.Delay
					if rtt < 1<<30 { // ignore negatives (clock steps)
						c.rtt = time.Duration(uint64(rtt) * uint64(time.Second) >> 16)
					}
				}
				c.mu.Unlock()
			}
		}
	}
}

// ntpMiddle is the middle 32 bits of the NTP timestamp of t.
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return uint32((secs<<32|frac)>>16) & 0xFFFFFFFF
}

type rateSample struct {
	at       time.Time
	tx, rx   [2]uint64
	haveLast bool
}

// updateRates computes the bitrates over the last period.
func (c *Call) updateRates(last rateSample) rateSample {
	now := time.Now()
	cur := rateSample{at: now, haveLast: true}
	c.rxMu.Lock()
	cur.rx[kAudio] = c.aPrev.bytes + c.arx.bytes
	cur.rx[kVideo] = c.vPrev.bytes + c.vrx.bytes
	c.rxMu.Unlock()
	for k := range 2 {
		cur.tx[k] = c.txBytes[k].Load()
	}
	if last.haveLast {
		secs := now.Sub(last.at).Seconds()
		if secs > 0 {
			c.mu.Lock()
			for k := range 2 {
				c.sendRate[k] = float64(cur.tx[k]-last.tx[k]) * 8 / secs
				c.recvRate[k] = float64(cur.rx[k]-last.rx[k]) * 8 / secs
			}
			c.mu.Unlock()
		}
	}
	return cur
}

// Stats returns a snapshot of the call's media statistics.
func (c *Call) Stats() Stats {
	st := Stats{Time: time.Now()}
	if bc := c.audio.codec(); bc.bound {
		st.AudioCodec = strings.ToUpper(strings.TrimPrefix(bc.mime, "audio/"))
	}
	c.mu.Lock()
	v := c.video
	st.State = c.state
	st.RTT = c.rtt
	for k, ss := range []*StreamStats{&st.Audio, &st.Video} {
		ss.RemoteLossRate = c.remoteLoss[k]
		ss.RemoteJitter = c.remoteJit[k]
		ss.SendBitrate = c.sendRate[k]
		ss.RecvBitrate = c.recvRate[k]
	}
	c.mu.Unlock()
	if v != nil {
		if bc := v.codec(); bc.bound {
			st.VideoCodec = strings.ToUpper(strings.TrimPrefix(bc.mime, "video/"))
		}
	}
	for k, ss := range []*StreamStats{&st.Audio, &st.Video} {
		ss.PacketsSent = c.txPkts[k].Load()
		ss.BytesSent = c.txBytes[k].Load()
	}
	c.rxMu.Lock()
	fill := func(ss *StreamStats, prev rxTotals, cur *rxStats, clock float64) {
		ss.PacketsReceived = prev.pkts + cur.received
		ss.BytesReceived = prev.bytes + cur.bytes
		ss.PacketsLost = prev.lost + cur.lost()
		if exp := prev.expected + cur.expected(); exp > 0 {
			ss.LossRate = max(0, float64(ss.PacketsLost)/float64(exp))
		}
		ss.Jitter = time.Duration(cur.jitter / clock * float64(time.Second))
	}
	fill(&st.Audio, c.aPrev, &c.arx, float64(c.arxClock))
	fill(&st.Video, c.vPrev, &c.vrx, 90000)
	st.JitterBufferMs = c.jb.depthMs()
	st.Concealed, st.Late = c.jb.concealed, c.jb.late
	c.rxMu.Unlock()

	// E-model: one-way delay = network (RTT/2) + jitter buffer + one
	// packet + a few ms of processing; loss = network loss + late packets.
	oneWay := st.RTT/2 + time.Duration(st.JitterBufferMs)*time.Millisecond + 20*time.Millisecond + 5*time.Millisecond
	loss := st.Audio.LossRate
	if exp := float64(st.Audio.PacketsReceived) + float64(max(st.Audio.PacketsLost, 0)); exp > 0 {
		loss += float64(st.Late) / exp
	}
	ie, bpl := g711Ie, g711Bpl
	if st.AudioCodec == "OPUS" {
		ie, bpl = opusIe, opusBpl
	}
	if st.Audio.PacketsReceived == 0 {
		st.NoAudioData = true // a score of nothing would read as perfect
		return st
	}
	st.RFactor, st.MOS = eModel(oneWay, loss, ie, bpl)
	return st
}
