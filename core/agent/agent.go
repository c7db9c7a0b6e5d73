// Package agent is one agent as the SDK's users see it: the CTI session, the
// HTTP interface sharing its token, and (in RTC mode) the agent's phone. It is
// what the C ABI exports, one object per agent.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Config is an agent's configuration. Its JSON form is the C ABI's config
// document; every key is optional except ws_url (and http_url for HTTP calls).
type Config struct {
	WSURL       string `json:"ws_url"`       // CTI WebSocket, ws:// or wss://
	HTTPURL     string `json:"http_url"`     // SDK HTTP interface base, http(s)://host:port
	CompanyCode string `json:"company_code"` // fills requests that leave it empty
	AgentID     string `json:"agent_id"`
	ExtID       string `json:"ext_id"` // default: agent_id
	OS          string `json:"os"`     // default: the host's
	Language    string `json:"language"`
	Token       string `json:"token"` // a token from get_token, when known

	RequestTimeoutMS    int   `json:"request_timeout_ms"`    // default 5000
	DialTimeoutMS       int   `json:"dial_timeout_ms"`       // default 10000
	HTTPTimeoutMS       int   `json:"http_timeout_ms"`       // default 10000
	HeartbeatIntervalMS int   `json:"heartbeat_interval_ms"` // default 20000; -1 turns it off
	HeartbeatMisses     int   `json:"heartbeat_misses"`      // default 3
	Reconnect           *bool `json:"reconnect"`             // default true
	ReconnectMinMS      int   `json:"reconnect_min_ms"`      // default 500
	ReconnectMaxMS      int   `json:"reconnect_max_ms"`      // default 30000

	TLSCAFile   string `json:"tls_ca_file"`  // extra trusted CA (PEM file)
	TLSCAPEM    string `json:"tls_ca_pem"`   // extra trusted CA (PEM text)
	TLSInsecure bool   `json:"tls_insecure"` // do not verify certificates (tests only)

	// LogLevel is the lowest level delivered as "log" events: trace, debug,
	// info, warn (default), error, or off.
	LogLevel string `json:"log_level"`
}

// ParseConfig reads a Config from JSON, rejecting unknown keys (a typo in a
// key must not silently fall back to a default).
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: config: %v", session.ErrInvalidArgument, err)
	}
	return c, nil
}

// Errors of the agent layer.
var (
	// ErrNoHTTP: an HTTP call was made but http_url is not configured.
	ErrNoHTTP = errors.New("cloudcc: http_url is not configured")
	// ErrMuteNeedsRTC: mute is done by the client, so it needs the SDK to carry
	// the media (login_type 1); a softphone mutes itself.
	ErrMuteNeedsRTC = errors.New("cloudcc: mute is done on the client side and needs RTC mode (login_type 1)")
)

// Agent is one agent: safe for concurrent use, closed with Close.
type Agent struct {
	cfg  Config
	sess *session.Session
	http *httpapi.Client
	log  *slog.Logger
}

// New makes an agent; it does not touch the network. handler receives every
// event in order on one SDK goroutine (server pushes, connection state, log
// lines at or above LogLevel); it may be nil.
func New(cfg Config, handler func(session.Event)) (*Agent, error) {
	a := &Agent{cfg: cfg}
	level, logOn, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	var emit func(session.Event)
	scfg := session.Config{
		URL:                cfg.WSURL,
		CompanyCode:        cfg.CompanyCode,
		AgentID:            cfg.AgentID,
		ExtID:              cfg.ExtID,
		OS:                 cfg.OS,
		Language:           cfg.Language,
		Token:              cfg.Token,
		RequestTimeout:     ms(cfg.RequestTimeoutMS),
		DialTimeout:        ms(cfg.DialTimeoutMS),
		HeartbeatInterval:  ms(cfg.HeartbeatIntervalMS),
		HeartbeatMisses:    cfg.HeartbeatMisses,
		CAFile:             cfg.TLSCAFile,
		CAPEM:              []byte(cfg.TLSCAPEM),
		InsecureSkipVerify: cfg.TLSInsecure,
		Handler:            handler,
	}
	if cfg.HeartbeatIntervalMS < 0 {
		scfg.HeartbeatInterval = -1
	}
	scfg.Reconnect.Disabled = cfg.Reconnect != nil && !*cfg.Reconnect
	scfg.Reconnect.Min = ms(cfg.ReconnectMinMS)
	scfg.Reconnect.Max = ms(cfg.ReconnectMaxMS)
	if handler != nil && logOn {
		a.log = slog.New(&eventLogHandler{level: level, emit: func(e session.Event) { emit(e) }})
	} else {
		a.log = slog.New(discard{})
	}
	scfg.Logger = a.log
	s, err := session.New(scfg)
	if err != nil {
		return nil, err
	}
	a.sess = s
	emit = s.Emit
	if cfg.HTTPURL != "" {
		sc := s.Config()
		h, err := httpapi.New(httpapi.Config{
			BaseURL:   cfg.HTTPURL,
			Language:  sc.Language,
			Token:     s.Token,
			Timeout:   ms(cfg.HTTPTimeoutMS),
			TLSConfig: sc.TLSConfig,
		})
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		a.http = h
	}
	return a, nil
}

func ms(v int) time.Duration {
	if v <= 0 {
		return 0
	}
	return time.Duration(v) * time.Millisecond
}

// Session returns the agent's CTI session.
func (a *Agent) Session() *session.Session { return a.sess }

// Config returns the configuration the agent was made with.
func (a *Agent) Config() Config { return a.cfg }

// Do sends a request and waits for its reply (see session.Session.Do). Mute
// is answered here, not by the server: the spec marks it as done by the client.
func (a *Agent) Do(ctx context.Context, req protocol.Request) (protocol.Reply, error) {
	if m, ok := req.(*protocol.MuteRequest); ok {
		return a.mute(m)
	}
	return a.sess.Do(ctx, req)
}

func (a *Agent) mute(*protocol.MuteRequest) (protocol.Reply, error) {
	return nil, ErrMuteNeedsRTC
}

// GetToken asks the HTTP interface for a token with the agent's password;
// on success the session uses it (SDK-TOKEN) until check-in replaces it.
func (a *Agent) GetToken(ctx context.Context, r *protocol.GetTokenRequest) (*protocol.TokenReply, error) {
	if a.http == nil {
		return nil, ErrNoHTTP
	}
	sc := a.sess.Config()
	if r.CompanyCode == "" {
		r.CompanyCode = sc.CompanyCode
	}
	if r.AgentID == "" {
		r.AgentID = sc.AgentID
	}
	if r.OS == "" {
		r.OS = sc.OS
	}
	rep, err := a.http.GetToken(ctx, r)
	if err == nil && rep.Token != "" {
		a.sess.SetToken(rep.Token.Reveal())
	}
	return rep, err
}

// GetSkillServiceList lists skill services (companyCode "" = the agent's company).
func (a *Agent) GetSkillServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.SkillServiceList, error) {
	if a.http == nil {
		return nil, ErrNoHTTP
	}
	if companyCode == "" {
		companyCode = a.sess.Config().CompanyCode
	}
	return a.http.GetSkillServiceList(ctx, companyCode, serviceName)
}

// GetIVRServiceList lists IVR services (companyCode "" = the agent's company).
func (a *Agent) GetIVRServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.IVRServiceList, error) {
	if a.http == nil {
		return nil, ErrNoHTTP
	}
	if companyCode == "" {
		companyCode = a.sess.Config().CompanyCode
	}
	return a.http.GetIVRServiceList(ctx, companyCode, serviceName)
}

// Close ends the agent's session and frees its connections. It does not
// check the agent out (send checkout first for that).
func (a *Agent) Close() error {
	err := a.sess.Close()
	if a.http != nil {
		a.http.CloseIdleConnections()
	}
	return err
}
