package rtc

import (
	"log/slog"
	"net"
	"time"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/pion/webrtc/v4"
)

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs       []string // "stun:host:3478", "turn:host:3478?transport=udp", "turns:..."
	Username   string
	Credential string
}

// MediaEngineConfig configures the default media factory.
type MediaEngineConfig struct {
	ICEServers      []ICEServer
	IncludeLoopback bool
	IPFilter        func(net.IP) bool
	Logger          *slog.Logger
	// ConnectTimeout bounds ICE/DTLS after each offer/answer (media
	// Config.ConnectTimeout: default 15s, negative never).
	ConnectTimeout time.Duration
	// Engine, when set, is used instead of creating one (and is not closed
	// by the factory's Close).
	Engine *media.Engine
}

// MediaEngine is the MediaFactory over core/media.
type MediaEngine struct {
	e   *media.Engine
	own bool
}

// NewMediaEngine creates the default media factory.
func NewMediaEngine(cfg MediaEngineConfig) (*MediaEngine, error) {
	if cfg.Engine != nil {
		return &MediaEngine{e: cfg.Engine}, nil
	}
	var servers []webrtc.ICEServer
	for _, s := range cfg.ICEServers {
		servers = append(servers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	e, err := media.NewEngine(media.Config{ICEServers: servers, IncludeLoopback: cfg.IncludeLoopback, IPFilter: cfg.IPFilter,
		Logger: cfg.Logger, ConnectTimeout: cfg.ConnectTimeout})
	if err != nil {
		return nil, err
	}
	return &MediaEngine{e: e, own: true}, nil
}

// Engine is the underlying core/media engine.
func (m *MediaEngine) Engine() *media.Engine { return m.e }

// Close closes the engine if the factory created it.
func (m *MediaEngine) Close() error {
	if m.own {
		return m.e.Close()
	}
	return nil
}

// NewMedia creates one call's media.
func (m *MediaEngine) NewMedia(o MediaOptions) (Media, error) {
	opts := media.CallOptions{Audio: o.Audio, Video: o.Video, VideoHeight: o.VideoHeight}
	if fn := o.OnICEState; fn != nil {
		opts.OnState = func(s media.State) { fn(iceFromMedia(s)) }
	}
	if fn := o.OnDTMF; fn != nil {
		opts.OnDTMF = func(d media.Digit) {
			mode := DTMFRFC4733
			if d.Mode == media.DTMFInband {
				mode = DTMFInband
			}
			fn(string(d.Digit), mode)
		}
	}
	if fn := o.OnFirstAudio; fn != nil {
		opts.OnFirstAudio = fn
	}
	opts.OnConnectFailed = o.OnConnectFailed
	c, err := m.e.NewCall(opts)
	if err != nil {
		return nil, err
	}
	return &MediaCall{Call: c}, nil
}

func iceFromMedia(s media.State) ICEState {
	switch s {
	case media.StateNew:
		return ICENew
	case media.StateChecking:
		return ICEChecking
	case media.StateConnected:
		return ICEConnected
	case media.StateDisconnected:
		return ICEDisconnected
	case media.StateFailed:
		return ICEFailed
	case media.StateClosed:
		return ICEClosed
	}
	return ICENew
}

// MediaCall is a call's media on core/media: the *media.Call (audio
// source and sinks, mute, stats, video) with the Media methods in rtc's
// types.
type MediaCall struct {
	*media.Call
}

// SetDirections sets the directions the next offer asks for.
func (m *MediaCall) SetDirections(audio, video Direction) error {
	return m.Call.SetDirections(audio, video)
}

// SendDTMF sends digits as RFC 4733 events or inband tones.
func (m *MediaCall) SendDTMF(digits string, mode DTMFMode) error {
	mm := media.DTMFRFC4733
	if mode == DTMFInband {
		mm = media.DTMFInband
	}
	return m.Call.SendDTMF(digits, mm)
}

var _ MediaFactory = (*MediaEngine)(nil)
var _ Media = (*MediaCall)(nil)

// firstAudio is when a call's first audio packet arrived (zero: none yet).
func (c *Call) onFirstAudio(t time.Time) {
	c.mu.Lock()
	if c.firstAudio.IsZero() {
		c.firstAudio = t
	}
	c.mu.Unlock()
}
