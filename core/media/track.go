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

	mu     sync.Mutex
	bound  bool
	ssrc   uint32
	pt     uint8
	mime   string // lower case, e.g. "audio/pcmu"
	dtmfPT uint8
	hasTE  bool
	w      webrtc.TrackLocalWriter
	gen    uint64 // bumped at each Bind
}

func newRawTrack(kind webrtc.RTPCodecType, stream string) *rawTrack {
	return &rawTrack{id: kind.String(), stream: stream, kind: kind}
}

// Bind implements webrtc.TrackLocal: pick the first media codec of the
// negotiated list (the peer's preference) and note telephone-event.
func (t *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hasTE = false
	params := ctx.CodecParameters()
	for i, c := range params {
		mime := strings.ToLower(c.MimeType)
		switch {
		case mime == mimeTE && c.ClockRate == 8000:
			t.dtmfPT, t.hasTE = uint8(c.PayloadType), true
		case strings.HasPrefix(mime, t.kind.String()+"/") && !strings.HasSuffix(mime, "/rtx") &&
			mime != mimeTE && chosen == nil:
			chosen = &params[i]
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.bound = true
	t.gen++
	t.ssrc = uint32(ctx.SSRC())
	t.pt = uint8(chosen.PayloadType)
	t.mime = strings.ToLower(chosen.MimeType)
	t.w = ctx.WriteStream()
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

type boundCodec struct {
	bound  bool
	pt     uint8
	mime   string
	dtmfPT uint8
	hasTE  bool
	ssrc   uint32
	gen    uint64
}

func (t *rawTrack) codec() boundCodec {
	t.mu.Lock()
	defer t.mu.Unlock()
	return boundCodec{t.bound, t.pt, t.mime, t.dtmfPT, t.hasTE, t.ssrc, t.gen}
}

// write sends one packet with the track's SSRC.
func (t *rawTrack) write(h *rtp.Header, payload []byte) error {
	t.mu.Lock()
	w, ok, ssrc := t.w, t.bound, t.ssrc
	t.mu.Unlock()
	if !ok {
		return nil
	}
	h.Version = 2
	h.SSRC = ssrc
	_, err := w.WriteRTP(h, payload)
	return err
}
