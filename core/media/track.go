package media

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// rawTrack is a TrackLocal that writes whole RTP packets with the payload
// type it is told. pion's TrackLocalStaticRTP overwrites the payload type
// of every packet with the bound codec's, which would make RFC 4733
// telephone-event on the audio SSRC impossible; this track keeps the
// sender in control of payload type, sequence number and timestamp.
type rawTrack struct {
	id, stream string
	kind       webrtc.RTPCodecType
	allow      map[string]bool // media codecs (lower-case MIME) we may send; nil: any

	mu     sync.Mutex
	bound  bool
	ssrc   uint32
	pt     uint8
	mime   string // lower case, e.g. "audio/pcmu"
	dtmfPT uint8
	hasTE  bool
	clock  uint32 // RTP clock rate of the codec
	w      webrtc.TrackLocalWriter
	gen    uint64 // bumped at each Bind
	onBind func() // called (it must not block) once the track can send
}

func newRawTrack(kind webrtc.RTPCodecType, stream string) *rawTrack {
	return &rawTrack{id: kind.String(), stream: stream, kind: kind}
}

// Bind implements webrtc.TrackLocal: pick the first media codec of the
// negotiated list (the peer's preference) that we allow (pion hands every
// codec both sides support, not only the ones of our answer, whose list
// CallOptions.AudioCodecs restricts) and note the telephone-event on
// the same clock (RFC 4733 events use the audio stream's timestamps, so a
// telephone-event at another clock rate is of no use).
func (t *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hasTE = false
	params := ctx.CodecParameters()
	for i, c := range params {
		mime := strings.ToLower(c.MimeType)
		if strings.HasPrefix(mime, t.kind.String()+"/") && !strings.HasSuffix(mime, "/rtx") &&
			mime != mimeTE && chosen == nil && (t.allow == nil || t.allow[mime]) {
			chosen = &params[i]
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	for _, c := range params {
		if strings.ToLower(c.MimeType) == mimeTE && c.ClockRate == chosen.ClockRate {
			t.dtmfPT, t.hasTE = uint8(c.PayloadType), true
			break
		}
	}
	t.bound = true
	t.gen++
	t.ssrc = uint32(ctx.SSRC())
	t.pt = uint8(chosen.PayloadType)
	t.mime = strings.ToLower(chosen.MimeType)
	t.clock = chosen.ClockRate
	t.w = ctx.WriteStream()
	if t.onBind != nil {
		t.onBind()
	}
	return *chosen, nil
}

// Unbind implements webrtc.TrackLocal.
func (t *rawTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.bound = false
	t.mu.Unlock()
	return nil
}

func (t *rawTrack) ID() string                { return t.id }
func (t *rawTrack) RID() string               { return "" }
func (t *rawTrack) StreamID() string          { return t.stream }
func (t *rawTrack) Kind() webrtc.RTPCodecType { return t.kind }

// frameTicks is one 20 ms frame in RTP timestamp units (160 for G.711,
// 960 for Opus).
func (b boundCodec) frameTicks() uint32 {
	if b.clock == 0 {
		return FrameSamples
	}
	return b.clock / 50
}

type boundCodec struct {
	bound  bool
	pt     uint8
	mime   string
	dtmfPT uint8
	hasTE  bool
	ssrc   uint32
	gen    uint64
	clock  uint32
}

func (t *rawTrack) codec() boundCodec {
	t.mu.Lock()
	defer t.mu.Unlock()
	return boundCodec{t.bound, t.pt, t.mime, t.dtmfPT, t.hasTE, t.ssrc, t.gen, t.clock}
}

// write sends one packet with the track's SSRC. It reports whether the
// packet was handed to the transport: pion's writer takes packets (and
// says nothing) while DTLS-SRTP is not up, dropping them.
func (t *rawTrack) write(h *rtp.Header, payload []byte) bool {
	t.mu.Lock()
	w, ok, ssrc := t.w, t.bound, t.ssrc
	t.mu.Unlock()
	if !ok {
		return false
	}
	h.Version = 2
	h.SSRC = ssrc
	n, err := w.WriteRTP(h, payload)
	return err == nil && n > 0
}
