package rtc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/cloudcc/agent-sdk/core/backoff"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// Config describes one agent's SIP user agent. Zero values take the
// defaults noted.
type Config struct {
	// URL is the SIP-over-WebSocket server (rtc_address): ws:// or wss://,
	// path included. Required.
	URL string
	// Domain is the SIP domain of the AOR sip:{User}@{Domain}. Default: the
	// host of URL.
	Domain string
	// User is the extension (ext_id): the AOR's user part and the digest
	// user name. Required.
	User string
	// AuthUser overrides the digest user name (default User).
	AuthUser string
	// Password is the extension's password (ext_pwd). Never logged.
	Password string
	// DisplayName goes into From of the requests the phone originates.
	DisplayName string
	// Headers are added to every REGISTER (e.g. X-CC-Company: the company
	// code). Values are sent as given.
	Headers map[string]string
	// Expires is the registration lifetime asked for. Default 600s. The
	// binding is refreshed before the granted lifetime runs out.
	Expires time.Duration
	// UserAgent is the User-Agent header. Default "cloudcc-agent-sdk".
	UserAgent string

	// TLS for wss://: the system roots plus CAFile / CAPEM when given;
	// InsecureSkipVerify turns verification off (tests only). TLSConfig,
	// when set, is used as is and the other TLS fields are ignored.
	CAFile             string
	CAPEM              []byte
	InsecureSkipVerify bool
	TLSConfig          *tls.Config
	// WSHeaders are extra HTTP headers of the WebSocket handshake (Origin,
	// a token...).
	WSHeaders http.Header

	// ICEServers are the STUN/TURN servers of the default media engine.
	ICEServers []ICEServer
	// IncludeLoopback lets the default media engine gather loopback
	// candidates (tests against a local PBX).
	IncludeLoopback bool
	// Media creates the media of each call. Default: core/media's engine
	// (see NewMediaEngine) with ICEServers and IncludeLoopback.
	Media MediaFactory

	// IgnoreAutoAnswer makes every incoming INVITE ring, even one with an
	// auto-answer hint (Call-Info answer-after=0, Alert-Info auto-answer).
	IgnoreAutoAnswer bool
	// MaxCalls bounds the calls the phone has at once, ringing ones
	// included. An INVITE beyond it gets 486 Busy Here before anything is
	// made for it (no media, no call); Dial fails with ErrTooManyCalls.
	// Default 4; negative: no limit.
	MaxCalls int
	// RingTimeout ends an incoming call that rings unanswered for this
	// long: 480 Temporarily Unavailable, reason "ring timeout". Default
	// 60s; negative: never.
	RingTimeout time.Duration
	// MaxMessageSize is the largest SIP message taken (bytes). A larger
	// request gets 513 Message Too Large (a larger response is dropped
	// and logged); the excess is read and thrown away, never held in
	// memory. Default 65536.
	MaxMessageSize int
	// MediaConnectTimeout bounds ICE and DTLS after each offer/answer of
	// the default media engine (see core/media Config.ConnectTimeout;
	// default 15s, negative: never). A Media made by Config.Media has its
	// own.
	MediaConnectTimeout time.Duration
	// OnMediaFailure is what happens to a call whose media does not
	// connect (see MediaOptions.OnConnectFailed): MediaFailureHangup (the
	// default) ends it with BYE, reason "media: ..."; MediaFailureFlag
	// keeps it, reported as ICE failed with the reason.
	OnMediaFailure MediaFailurePolicy
	// AnswerTimeout bounds building the media answer (ICE gathering) and,
	// for an incoming INVITE, waiting for the ACK. Default 10s.
	AnswerTimeout time.Duration
	// RequestTimeout bounds a non-INVITE transaction (REGISTER, BYE, INFO,
	// re-INVITE) whose context has no deadline. Default 10s.
	RequestTimeout time.Duration
	// DialTimeout bounds one WebSocket handshake. Default 10s.
	DialTimeout time.Duration

	// Keepalive keeps the link alive and detects a dead one.
	Keepalive Keepalive
	// Reconnect shapes the backoff after the link drops.
	Reconnect Backoff

	// OnEvent receives events, in order, on a goroutine the phone owns
	// (never on the transport's reader). It may call the phone. Nil drops
	// events.
	OnEvent func(Event)
	// Logger receives log lines; SIP messages are logged at Debug with
	// Authorization values redacted. Passwords are never logged. Nil
	// discards.
	Logger *slog.Logger
}

// MediaFailurePolicy says what to do with a call whose media never connects.
type MediaFailurePolicy int

// Media failure policies.
const (
	// MediaFailureHangup ends the call (BYE): a call nobody can hear is
	// not left up looking confirmed.
	MediaFailureHangup MediaFailurePolicy = iota
	// MediaFailureFlag keeps the call and reports it (EventICE failed,
	// Call.MediaFailure, the connectivity view not OK).
	MediaFailureFlag
)

func (m MediaFailurePolicy) String() string {
	if m == MediaFailureFlag {
		return "flag"
	}
	return "hangup"
}

// Defaults of the limits.
const (
	DefaultMaxCalls       = 4
	DefaultRingTimeout    = 60 * time.Second
	DefaultMaxMessageSize = 65536
)

// LogValue keeps the password out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL), slog.String("domain", c.Domain), slog.String("user", c.User),
		slog.Bool("password_set", c.Password != ""), slog.Duration("expires", c.Expires),
		slog.String("keepalive", c.Keepalive.Mode.String()))
}

// KeepaliveMode picks how the link is kept alive.
type KeepaliveMode int

// Keepalive modes.
const (
	// KeepaliveWSPing sends WebSocket pings; a missing pong marks the link
	// dead. Every RFC 6455 server answers them. The default.
	KeepaliveWSPing KeepaliveMode = iota
	// KeepaliveCRLF sends RFC 5626 double-CRLF pings as text frames. A
	// server that answers with CRLF is then required to keep answering.
	KeepaliveCRLF
	// KeepaliveOptions sends OPTIONS to the domain; any response proves
	// the link.
	KeepaliveOptions
	// KeepaliveOff sends nothing.
	KeepaliveOff
)

func (m KeepaliveMode) String() string {
	switch m {
	case KeepaliveWSPing:
		return "ws-ping"
	case KeepaliveCRLF:
		return "crlf"
	case KeepaliveOptions:
		return "options"
	case KeepaliveOff:
		return "off"
	}
	return "unknown"
}

// Keepalive is the keepalive policy.
type Keepalive struct {
	Mode KeepaliveMode
	// Interval between pings. Default 25s.
	Interval time.Duration
	// Timeout: no pong (or any inbound frame) this long after a ping means
	// the link is dead. Default 10s.
	Timeout time.Duration
}

// Backoff is the reconnect policy (core/backoff): delays grow from Min by
// Factor up to Max, each randomized by ±Jitter; the count of attempts starts
// over only after a link stayed up for Stable, so a server that accepts and
// drops every link sees the delays grow. Disabled stops reconnecting.
type Backoff = backoff.Policy

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.URL == "" {
		return out, fmt.Errorf("%w: URL is required", ErrInvalidArgument)
	}
	u, err := url.Parse(out.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return out, fmt.Errorf("%w: URL must be ws:// or wss://host/path, got %q", ErrInvalidArgument, out.URL)
	}
	if out.User == "" {
		return out, fmt.Errorf("%w: User (ext_id) is required", ErrInvalidArgument)
	}
	if out.Domain == "" {
		out.Domain = u.Hostname()
		if ip := net.ParseIP(out.Domain); ip != nil && ip.To4() == nil {
			out.Domain = "[" + out.Domain + "]"
		}
	}
	if out.AuthUser == "" {
		out.AuthUser = out.User
	}
	if out.Expires <= 0 {
		out.Expires = 600 * time.Second
	}
	if out.UserAgent == "" {
		out.UserAgent = "cloudcc-agent-sdk"
	}
	if out.AnswerTimeout <= 0 {
		out.AnswerTimeout = 10 * time.Second
	}
	if out.RequestTimeout <= 0 {
		out.RequestTimeout = 10 * time.Second
	}
	if out.DialTimeout <= 0 {
		out.DialTimeout = 10 * time.Second
	}
	if out.MaxCalls == 0 {
		out.MaxCalls = DefaultMaxCalls
	}
	if out.RingTimeout == 0 {
		out.RingTimeout = DefaultRingTimeout
	}
	if out.MaxMessageSize <= 0 {
		out.MaxMessageSize = DefaultMaxMessageSize
	}
	k := &out.Keepalive
	if k.Interval <= 0 {
		k.Interval = 25 * time.Second
	}
	if k.Timeout <= 0 {
		k.Timeout = 10 * time.Second
	}
	out.Reconnect = out.Reconnect.WithDefaults()
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if u.Scheme == "wss" && out.TLSConfig == nil {
		tc, err := buildTLS(out.CAFile, out.CAPEM, out.InsecureSkipVerify)
		if err != nil {
			return out, err
		}
		out.TLSConfig = tc
	}
	return out, nil
}

func buildTLS(caFile string, caPEM []byte, insecure bool) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // opt-in, tests only
	if caFile == "" && len(caPEM) == 0 {
		return tc, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: CAFile: %v", ErrInvalidArgument, err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%w: CAFile holds no PEM certificate", ErrInvalidArgument)
		}
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: CAPEM holds no PEM certificate", ErrInvalidArgument)
	}
	tc.RootCAs = pool
	return tc, nil
}

// Sentinel errors.
var (
	// ErrInvalidArgument is sdkerr.ErrInvalidArgument, the one error kind of
	// a bad argument across the SDK's packages.
	ErrInvalidArgument = sdkerr.ErrInvalidArgument
	ErrClosed          = errors.New("rtc: phone closed")
	ErrNotConnected    = errors.New("rtc: SIP link is down")
	ErrLinkLost        = errors.New("rtc: SIP link lost during the transaction")
	ErrCallEnded       = errors.New("rtc: call ended")
	ErrBadState        = errors.New("rtc: not allowed in the call's state")
	ErrBusy            = errors.New("rtc: an offer/answer exchange is already under way on this call")
	ErrNoMedia         = errors.New("rtc: the call has no media")
	ErrAuthLoop        = errors.New("rtc: credentials refused (challenged again)")
	ErrTooManyCalls    = errors.New("rtc: the phone has as many calls as Config.MaxCalls allows")
)

// StatusError is a SIP failure response to a request the phone sent.
type StatusError struct {
	Method string
	Code   int
	Reason string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("rtc: %s answered %d %s", e.Method, e.Code, e.Reason)
}
