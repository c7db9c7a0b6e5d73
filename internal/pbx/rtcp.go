package pbx

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// The PBX's RTCP: it answers each sender report of the agent's audio with a
// receiver report (RFC 3550 6.4.2) at once, so that the agent can measure
// the round-trip time (LSR/DLSR) and see the loss and jitter of what it
// sends. The PBX runs no pion interceptor: the figures are its own, kept
// apart from the SDK's code (docs/pbx.md).

// rxReport follows the agent's audio stream for the receiver reports.
// Sequence numbers are unwrapped by their signed distance from the highest
// seen (not by counting cycles, as the SDK does).
type rxReport struct {
	ssrc     uint32
	started  bool
	first    int64 // extended sequence number of the first packet
	highest  int64 // highest extended sequence number
	received int64
	// jitter is the RFC 3550 estimate in 8 kHz timestamp units; transit
	// the last packet's arrival minus its timestamp, in the same units.
	jitter, transit float64
	// at the previous report, for its fraction lost
	prevExpected, prevReceived int64
}

// add records a packet of the agent's audio arriving at at.
func (r *rxReport) add(ssrc uint32, seq uint16, ts uint32, at time.Time) {
	arrival := float64(at.UnixNano()) * SampleRate / 1e9
	if !r.started || ssrc != r.ssrc {
		*r = rxReport{ssrc: ssrc, started: true, first: int64(seq), highest: int64(seq), received: 1,
			transit: arrival - float64(ts)}
		return
	}
	ext := r.highest + int64(int16(seq-uint16(r.highest)))
	if ext > r.highest {
		r.highest = ext
	}
	r.received++
	// ts is unwrapped against the last transit the same way: its 32-bit
	// distance from the previous packet's is signed.
	transit := arrival - float64(ts)
	d := transit - r.transit
	d -= float64(int64(d/4294967296.0+0.5*sign(d))) * 4294967296.0
	r.transit = transit
	if d < 0 {
		d = -d
	}
	if d < SampleRate { // a jump of a second or more is a new talk spurt, not jitter
		r.jitter += (d - r.jitter) / 16
	}
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// block is the report block on the stream now, for a sender report whose
// middle NTP bits are lsr and that arrived delay ago.
func (r *rxReport) block(lsr uint32, delay time.Duration) rtcp.ReceptionReport {
	expected := r.highest - r.first + 1
	lost := max(min(expected-r.received, 0x7fffff), -0x800000) // 24-bit signed
	dExp, dRecv := expected-r.prevExpected, r.received-r.prevReceived
	r.prevExpected, r.prevReceived = expected, r.received
	var frac uint8
	if dExp > 0 && dExp > dRecv {
		frac = uint8(min((dExp-dRecv)*256/dExp, 255))
	}
	return rtcp.ReceptionReport{
		SSRC:               r.ssrc,
		FractionLost:       frac,
		TotalLost:          uint32(lost) & 0xffffff,
		LastSequenceNumber: uint32(r.highest),
		Jitter:             uint32(r.jitter),
		LastSenderReport:   lsr,
		Delay:              uint32(delay.Seconds() * 65536),
	}
}

// readRTCP reads the RTCP of the agent's audio and answers its sender
// reports, until the leg closes.
func (m *mediaLeg) readRTCP(rcv *webrtc.RTPReceiver) {
	defer m.wg.Done()
	for {
		pkts, _, err := rcv.ReadRTCP()
		if err != nil {
			return // the receiver is stopped: the leg is closing
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				m.answerSR(sr, time.Now())
			}
		}
	}
}

// answerSR sends a receiver report for the agent's sender report sr,
// through the impairment's delay.
func (m *mediaLeg) answerSR(sr *rtcp.SenderReport, at time.Time) {
	m.mu.Lock()
	if !m.rr.started || m.rr.ssrc != sr.SSRC {
		m.mu.Unlock()
		return // no audio of that stream yet: nothing to report on
	}
	block := m.rr.block(uint32(sr.NTPTime>>16), time.Since(at))
	imp := m.imp
	m.mu.Unlock()
	rr := &rtcp.ReceiverReport{SSRC: m.rtcpSSRC(), Reports: []rtcp.ReceptionReport{block}}
	send := func() { _ = m.pc.WriteRTCP([]rtcp.Packet{rr}) }
	if imp.Delay > 0 {
		m.late.after(imp.Delay, send)
		return
	}
	send()
}

// rtcpSSRC is the SSRC the PBX's reports come from: its audio's, or a
// random one while it has none.
func (m *mediaLeg) rtcpSSRC() uint32 {
	m.audio.mu.Lock()
	ssrc := m.audio.ssrc
	m.audio.mu.Unlock()
	if ssrc == 0 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		ssrc = binary.BigEndian.Uint32(b[:])
	}
	return ssrc
}
