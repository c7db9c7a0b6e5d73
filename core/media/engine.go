package media

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Config configures an Engine (one per agent).
type Config struct {
	// ICEServers are the STUN and TURN servers (URLs, username, credential).
	ICEServers []webrtc.ICEServer
	// ICEUDPPortMin and ICEUDPPortMax bound the local UDP ports (both 0:
	// any ephemeral port).
	ICEUDPPortMin, ICEUDPPortMax uint16
	// IncludeLoopback gathers 127.0.0.1 as a host candidate (tests).
	IncludeLoopback bool
	// IPFilter, when set, limits the local addresses gathered as host
	// candidates (e.g. loopback only in tests).
	IPFilter func(net.IP) bool
	// Logger receives the engine's and pion's logs (default slog.Default()).
	Logger *slog.Logger
	// StatsInterval is how often CallOptions.OnStats is called (default 5 s).
	StatsInterval time.Duration
	// JitterBufferMs fixes the receive jitter buffer's depth; 0 (default)
	// makes it adaptive (40–300 ms, following the measured jitter).
	JitterBufferMs int
	// GatherTimeout bounds the wait for ICE gathering (default 10 s; a TURN
	// server that does not answer is given up on then).
	GatherTimeout time.Duration
	// ConnectTimeout is how long ICE and DTLS may take to connect after an
	// offer/answer exchange before CallOptions.OnConnectFailed is called
	// (default 15 s; negative: never).
	ConnectTimeout time.Duration
}

// DefaultConnectTimeout is Config.ConnectTimeout's default.
const DefaultConnectTimeout = 15 * time.Second

// Engine makes calls. It is safe for concurrent use.
type Engine struct {
	cfg Config
	log *slog.Logger
	api *webrtc.API

	mu     sync.Mutex
	calls  map[*Call]struct{}
	closed bool
}

// Payload types this engine offers.
const (
	ptPCMU   = 0
	ptPCMA   = 8
	ptTE     = 101
	ptVP8    = 96
	ptH264   = 102
	mimeTE   = "audio/telephone-event"
	mimeOpus = "audio/opus"
	fmtpTE   = "0-16"
	fmtp264  = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
)

var (
	codecPCMU = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: ptPCMU}
	codecPCMA = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: ptPCMA}
	codecTE   = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTE, ClockRate: 8000, SDPFmtpLine: fmtpTE}, PayloadType: ptTE}
)

var videoFeedback = []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}

var (
	codecVP8  = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}, PayloadType: ptVP8}
	codecH264 = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp264, RTCPFeedback: videoFeedback}, PayloadType: ptH264}
)

// NewEngine builds the pion API shared by the engine's calls.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = 5 * time.Second
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 10 * time.Second
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	m := &webrtc.MediaEngine{}
	// Opus (and telephone-event/48000) first when built with the opus tag.
	for _, c := range append(opusCodecs(), codecPCMU, codecPCMA, codecTE) {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	for _, c := range []webrtc.RTPCodecParameters{codecVP8, codecH264} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	// Interceptors: NACK (video only: pion registers the feedback for video)
	// and RTCP sender/receiver reports. No TWCC or stats interceptor: the
	// engine keeps its own per-call statistics on the packets it handles.
	reg := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	s.LoggerFactory = slogFactory{cfg.Logger}
	if cfg.ICEUDPPortMin != 0 || cfg.ICEUDPPortMax != 0 {
		if err := s.SetEphemeralUDPPortRange(cfg.ICEUDPPortMin, cfg.ICEUDPPortMax); err != nil {
			return nil, fmt.Errorf("media: ICE port range: %w", err)
		}
	}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	s.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.IPFilter != nil {
		s.SetIPFilter(cfg.IPFilter)
	}
	// SIP peers cannot resolve mDNS (.local) candidates.
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	return &Engine{cfg: cfg, log: cfg.Logger, api: api, calls: map[*Call]struct{}{}}, nil
}

// Close closes every call of the engine. Safe to call twice.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	calls := make([]*Call, 0, len(e.calls))
	for c := range e.calls {
		calls = append(calls, c)
	}
	e.mu.Unlock()
	for _, c := range calls {
		_ = c.Close()
	}
	return nil
}

func (e *Engine) forget(c *Call) {
	e.mu.Lock()
	delete(e.calls, c)
	e.mu.Unlock()
}

// slogFactory routes pion's logs to slog (pion's info level and below to
// debug: pion is chatty).
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("pion", scope)}
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, msg string) {
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, msg)
	}
}
func (s slogLogger) logf(level slog.Level, format string, args ...any) {
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (s slogLogger) Trace(msg string)                  {}
func (s slogLogger) Tracef(format string, args ...any) {}
func (s slogLogger) Debug(msg string)                  { s.log(slog.LevelDebug-4, msg) }
func (s slogLogger) Debugf(format string, args ...any) { s.logf(slog.LevelDebug-4, format, args...) }
func (s slogLogger) Info(msg string)                   { s.log(slog.LevelDebug, msg) }
func (s slogLogger) Infof(format string, args ...any)  { s.logf(slog.LevelDebug, format, args...) }
func (s slogLogger) Warn(msg string)                   { s.log(slog.LevelWarn, msg) }
func (s slogLogger) Warnf(format string, args ...any)  { s.logf(slog.LevelWarn, format, args...) }
func (s slogLogger) Error(msg string)                  { s.log(slog.LevelError, msg) }
func (s slogLogger) Errorf(format string, args ...any) { s.logf(slog.LevelError, format, args...) }
