package session

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/backoff"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// Config describes one agent's session. Zero values take the defaults noted.
type Config struct {
	// URL of the CTI WebSocket, ws:// or wss://. Required. A URL that ends in
	// "/" (the platform's "ws://host:25001/msg/") gets the agent's identity
	// appended: base64url (unpadded) of {"agent_id","company_code","os"}, the
	// handshake the platform's server requires (docs/platform.md). Such a
	// link is taken to answer its frames in order, as that server does.
	URL string
	// CompanyCode, AgentID, ExtID and OS fill the requests that leave them
	// empty. ExtID has no default: check-in needs the agent's bound
	// extension, and later requests use the one check-in answered. OS
	// defaults to the host's ("Windows", "Linux", "macOS").
	CompanyCode string
	AgentID     string
	ExtID       string
	OS          string
	// Language goes into the LANGUAGE handshake header: "zh-CN" (default) or "en-US".
	Language string
	// Token, when known before check-in (from HTTP get_token), goes into the
	// SDK-TOKEN header. Check-in replaces it and check-out drops it.
	Token string

	// RequestTimeout bounds a request whose context has no deadline. Default 5s.
	RequestTimeout time.Duration
	// DialTimeout bounds one WebSocket handshake. Default 10s.
	DialTimeout time.Duration
	// HeartbeatInterval is the time between pings; a negative value turns the
	// heartbeat off. Default 20s.
	HeartbeatInterval time.Duration
	// HeartbeatMisses is how many pings may go unanswered before the link is
	// declared dead. Default 3.
	HeartbeatMisses int
	// Reconnect shapes the backoff after the link drops.
	Reconnect Backoff

	// TLS: certificates are verified against the system roots, plus CAFile /
	// CAPEM when given. InsecureSkipVerify turns verification off (tests only).
	// TLSConfig, when set, is used as is and the other TLS fields are ignored.
	CAFile             string
	CAPEM              []byte
	InsecureSkipVerify bool
	TLSConfig          *tls.Config

	// Handler receives events, in order, on a goroutine the session owns. It
	// may call the session (even Close). Nil drops events.
	Handler func(Event)
	// EventQueueMax and EventQueueMaxBytes bound the events waiting for a
	// slow Handler (count, and estimated bytes). When either is reached the
	// oldest events are dropped and the Handler gets a *DroppedEvent before
	// the next one. Defaults 100000 events and 16 MiB.
	EventQueueMax      int
	EventQueueMaxBytes int
	// Logger receives the session's log lines; frames are logged at Debug
	// with secrets redacted. Nil discards.
	Logger *slog.Logger

	dialURL  string // URL with the identity segment when it ends in "/"
	identity bool   // the platform's identity handshake
}

// Defaults of Config.EventQueueMax and Config.EventQueueMaxBytes.
const (
	DefaultEventQueueMax      = 100000
	DefaultEventQueueMaxBytes = 16 << 20
)

// Backoff is the reconnect policy (core/backoff): delays grow from Min by
// Factor up to Max, each randomized by ±Jitter; the count of attempts starts
// over only once a link stayed up for Stable, so a server that accepts and
// then drops every link sees the delays grow. Disabled stops reconnecting.
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
	if out.OS == "" {
		out.OS = hostOS()
	}
	out.dialURL = out.URL
	if strings.HasSuffix(u.Path, "/") && u.RawQuery == "" {
		if out.CompanyCode == "" || out.AgentID == "" {
			return out, fmt.Errorf("%w: a URL ending in \"/\" gets the agent's identity appended: company_code and agent_id are required", ErrInvalidArgument)
		}
		id, _ := json.Marshal(struct {
			AgentID     string `json:"agent_id"`
			CompanyCode string `json:"company_code"`
			OS          string `json:"os"`
		}{out.AgentID, out.CompanyCode, out.OS})
		out.dialURL = out.URL + base64.RawURLEncoding.EncodeToString(id)
		out.identity = true
	}
	if out.Language == "" {
		out.Language = "zh-CN"
	}
	if out.RequestTimeout <= 0 {
		out.RequestTimeout = 5 * time.Second
	}
	if out.DialTimeout <= 0 {
		out.DialTimeout = 10 * time.Second
	}
	if out.HeartbeatInterval == 0 {
		out.HeartbeatInterval = 20 * time.Second
	}
	if out.EventQueueMax <= 0 {
		out.EventQueueMax = DefaultEventQueueMax
	}
	if out.EventQueueMaxBytes <= 0 {
		out.EventQueueMaxBytes = DefaultEventQueueMaxBytes
	}
	if out.HeartbeatMisses <= 0 {
		out.HeartbeatMisses = 3
	}
	out.Reconnect = out.Reconnect.WithDefaults()
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	// The TLS settings are built for ws:// too when given: the HTTP interface
	// (https://) uses them as well.
	tlsWanted := u.Scheme == "wss" || out.CAFile != "" || len(out.CAPEM) > 0 || out.InsecureSkipVerify
	if tlsWanted && out.TLSConfig == nil {
		tc, err := buildTLS(out.CAFile, out.CAPEM, out.InsecureSkipVerify)
		if err != nil {
			return out, err
		}
		out.TLSConfig = tc
	}
	return out, nil
}

func buildTLS(caFile string, caPEM []byte, insecure bool) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // explicit opt-in
	if caFile == "" && len(caPEM) == 0 {
		return tc, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: read CA file: %v", ErrInvalidArgument, err)
		}
		caPEM = append(append([]byte{}, caPEM...), pem...)
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: no certificate found in the CA PEM", ErrInvalidArgument)
	}
	tc.RootCAs = pool
	return tc, nil
}

func hostOS() string {
	switch runtime.GOOS {
	case "windows":
		return "Windows"
	case "darwin":
		return "macOS"
	case "linux":
		return "Linux"
	}
	return runtime.GOOS
}

// Sentinel errors callers branch on. Server refusals are *protocol.ServerError.
var (
	// ErrInvalidArgument is sdkerr.ErrInvalidArgument, the one error kind of
	// a bad argument across the SDK's packages.
	ErrInvalidArgument = sdkerr.ErrInvalidArgument
	ErrTimeout         = errors.New("cloudcc: request timed out")
	ErrConnectionLost  = errors.New("cloudcc: connection lost before the reply arrived")
	ErrNotConnected    = errors.New("cloudcc: not connected")
	ErrClosed          = errors.New("cloudcc: session closed")
	// ErrNotCheckedIn: the request needs the session token and there is
	// none: check in first (or get one with HTTP get-token). The platform
	// closes a link on a frame without a valid token, so it is not sent.
	ErrNotCheckedIn = errors.New("cloudcc: no session token: check in (or get a token) first")
	// ErrNoReply: the server answered a later frame of the link first, so
	// it handled this request without answering (the platform answers a
	// link's frames in order, and drops some without a reply). It matches
	// ErrTimeout too.
	ErrNoReply = fmt.Errorf("%w: the server handled the request without answering it", ErrTimeout)
)
