package media

import (
	"math"
	"time"
)

// StreamStats describes one kind of media (audio or video) of a call.
type StreamStats struct {
	PacketsSent     uint64
	BytesSent       uint64 // RTP payload bytes
	PacketsReceived uint64
	BytesReceived   uint64 // RTP payload bytes
	// PacketsLost is expected minus received (RFC 3550 A.3; may go negative
	// with duplicates).
	PacketsLost int64
	// LossRate is PacketsLost over packets expected, 0..1, since the start
	// of the stream.
	LossRate float64
	// Jitter is the RFC 3550 interarrival jitter of the received stream.
	Jitter time.Duration
	// RemoteLossRate and RemoteJitter are what the peer reports of our
	// stream in its RTCP receiver reports (0 until one arrived).
	RemoteLossRate float64
	RemoteJitter   time.Duration
	// SendBitrate and RecvBitrate are RTP payload bit/s over the last second.
	SendBitrate, RecvBitrate float64
}

// Stats is a snapshot of a call's media quality.
type Stats struct {
	Time  time.Time
	State State
	// AudioCodec is the codec sent ("PCMU", "PCMA", "OPUS" with the opus
	// build tag; "" before negotiation);
	// VideoCodec likewise ("VP8", "H264").
	AudioCodec, VideoCodec string
	Audio, Video           StreamStats
	// RTT is the round-trip time from RTCP (LSR/DLSR of the peer's receiver
	// reports); 0 until measured.
	RTT time.Duration
	// JitterBufferMs is the receive buffer's current target depth.
	JitterBufferMs int
	// Concealed counts 20 ms frames played out with loss concealment, Late
	// packets that came after their playout time.
	Concealed, Late uint64
	// RFactor (0–93.2) and MOS (1–4.41) are the ITU-T G.107 E-model estimate
	// for the audio codec (G.711; Opus approximated) from the one-way delay
	// (RTT/2 + jitter buffer + packetization) and the loss rate (network
	// loss plus late packets). Both are 0 while NoAudioData.
	RFactor, MOS float64
	// NoAudioData: no audio packet was received yet, so loss, jitter,
	// RFactor and MOS measure nothing ("no data", not "perfect").
	NoAudioData bool
}

// E-model equipment impairment (Ie) and packet-loss robustness (Bpl).
// G.711 with PLC is ITU-T G.113 Appendix I. ITU-T lists no values for
// Opus; these are an approximation for the narrowband Opus this engine
// sends (24 kbit/s, SILK, PLC, in-band FEC): transparent like G.711 at no
// loss, less sensitive to loss.
const (
	g711Ie, g711Bpl float64 = 0, 25.1
	opusIe, opusBpl float64 = 0, 35
)

// EModel computes the E-model R-factor and MOS for G.711 with packet loss
// concealment (ITU-T G.107 simplified: Ie = 0, Bpl = 25.1) from the one-way
// mouth-to-ear delay and the packet loss ratio (0..1).
func EModel(oneWay time.Duration, loss float64) (r, mos float64) {
	return eModel(oneWay, loss, g711Ie, g711Bpl)
}

// EModelFor is EModel for the audio codec as Stats.AudioCodec names it:
// "OPUS" with Opus's approximate factors, anything else as G.711. The
// call-quality sampler scores each second of a call with it.
func EModelFor(codec string, oneWay time.Duration, loss float64) (r, mos float64) {
	if codec == "OPUS" {
		return eModel(oneWay, loss, opusIe, opusBpl)
	}
	return eModel(oneWay, loss, g711Ie, g711Bpl)
}

func eModel(oneWay time.Duration, loss, ie, bpl float64) (r, mos float64) {
	d := float64(oneWay) / float64(time.Millisecond)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := math.Max(0, math.Min(loss, 1)) * 100
	ieEff := ie + (95-ie)*ppl/(ppl+bpl)
	r = 93.2 - id - ieEff
	r = math.Max(0, math.Min(r, 100))
	return r, RToMOS(r)
}

// RToMOS maps an R-factor to a MOS (ITU-T G.107 Annex B).
func RToMOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

// rxStats follows one received RTP stream (RFC 3550 A.1, A.3, A.8).
type rxStats struct {
	ssrc      uint32
	started   bool
	baseSeq   uint32
	maxSeq    uint16
	cycles    uint32
	received  uint64
	bytes     uint64
	jitter    float64 // in timestamp units
	lastTrans int64
	haveTrans bool
}

func (s *rxStats) reset(ssrc uint32, seq uint16) {
	*s = rxStats{ssrc: ssrc, started: true, baseSeq: uint32(seq), maxSeq: seq}
}

// update records a packet; arrival is in timestamp units.
func (s *rxStats) update(seq uint16, ts uint32, arrival int64, size int) {
	s.received++
	s.bytes += uint64(size)
	if d := seq - s.maxSeq; d != 0 && d < 0x8000 {
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
	}
	transit := arrival - int64(ts)
	if s.haveTrans {
		d := transit - s.lastTrans
		if d < 0 {
			d = -d
		}
		if d < 1<<20 { // ignore timestamp jumps
			s.jitter += (float64(d) - s.jitter) / 16
		}
	}
	s.lastTrans, s.haveTrans = transit, true
}

func (s *rxStats) expected() int64 {
	if !s.started {
		return 0
	}
	return int64(s.cycles+uint32(s.maxSeq)) - int64(s.baseSeq) + 1
}

func (s *rxStats) lost() int64 { return s.expected() - int64(s.received) }
