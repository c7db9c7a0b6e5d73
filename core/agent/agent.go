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
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
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
	// ReconnectStableMS: a link must stay up this long for the reconnect
	// backoff to start over from reconnect_min_ms (default 10000).
	ReconnectStableMS int `json:"reconnect_stable_ms"`
	// EventQueueMax and EventQueueMaxBytes bound the events waiting for a
	// slow handler (count and estimated bytes; defaults 100000 and 16 MiB):
	// past them the oldest are dropped and an "events_dropped" event says
	// how many. The C ABI applies the same bounds to its poll queue.
	EventQueueMax      int `json:"event_queue_max"`
	EventQueueMaxBytes int `json:"event_queue_max_bytes"`

	TLSCAFile   string `json:"tls_ca_file"`  // extra trusted CA (PEM file)
	TLSCAPEM    string `json:"tls_ca_pem"`   // extra trusted CA (PEM text)
	TLSInsecure bool   `json:"tls_insecure"` // do not verify certificates (tests only)

	// LogLevel is the lowest level delivered as "log" events: trace, debug,
	// info, warn (default), error, or off.
	LogLevel string `json:"log_level"`

	// RTC mode (check-in answers login_type "1"; see rtc.go).
	// RTC: true (default) registers the extension at the reply's
	// rtc_address; false never does (the app carries the media itself).
	RTC *bool `json:"rtc"`
	// RTCDomain is the SIP domain of sip:{ext_id}@{domain} (default: the
	// host of rtc_address).
	RTCDomain string `json:"rtc_domain"`
	// RTCScheme is the scheme given to an rtc_address that has none (the
	// platform sends "host:port"): "ws" or "wss"; default wss when ws_url
	// is wss, else ws. RTCURLTemplate, when set, makes the URL dialled from
	// rtc_address's parts instead: "wss://{host}:7443/" ({host}, {port},
	// {path}, {scheme}). See rtcaddr.go.
	RTCScheme      string `json:"rtc_scheme"`
	RTCURLTemplate string `json:"rtc_url_template"`
	// ICEServers are the STUN/TURN servers of the media.
	ICEServers []ICEServer `json:"ice_servers"`
	// RTCStatsIntervalMS: rtc_stats events every so often per call (0: none).
	RTCStatsIntervalMS int `json:"rtc_stats_interval_ms"`
	// RTCKeepaliveMS is the SIP link's WebSocket ping period (default
	// 25000; -1 turns the keepalive off).
	RTCKeepaliveMS int `json:"rtc_keepalive_ms"`
	// RTCDefaultSource is what a new call sends until the app says
	// otherwise: "silence" (default), "tone:HZ" or "wav:PATH" (looped).
	RTCDefaultSource string `json:"rtc_default_source"`
	// RTCIncludeLoopback gathers loopback ICE candidates (a PBX on the same
	// host). Implied when rtc_address names a loopback host.
	RTCIncludeLoopback bool `json:"rtc_include_loopback"`
	// RTC calls without the platform's help (correlate.go): which calls the
	// SDK answers by itself, "requests" (default: the agent's own leg of
	// call, preview_out_call, play_record, eavesdrop, whisper, substitute,
	// force_call, plus auto-answer hints), "hints" or "off"; and the window
	// after such a request (and around a callin) in which an INVITE is
	// taken for it (default 15000).
	RTCAutoAnswer         string `json:"rtc_auto_answer"`
	RTCAutoAnswerWindowMS int    `json:"rtc_auto_answer_window_ms"`
	// Limits of the phone: calls at once (default 4, -1 none; beyond: 486),
	// ring time of an unanswered call (default 60000, -1 never; then 480),
	// largest SIP message (default 65536; larger: 513).
	RTCMaxCalls        int `json:"rtc_max_calls"`
	RTCRingTimeoutMS   int `json:"rtc_ring_timeout_ms"`
	RTCMaxMessageBytes int `json:"rtc_max_message_bytes"`
	// Media that does not connect: the time ICE/DTLS get after each
	// offer/answer (default 15000, -1 never) and what happens then,
	// "hangup" (default: BYE) or "flag" (the call stays, reported failed).
	RTCMediaTimeoutMS int    `json:"rtc_media_timeout_ms"`
	RTCMediaFailure   string `json:"rtc_media_failure"`
}

// ICEServer is a STUN or TURN server ("stun:host:3478",
// "turn:host:3478?transport=udp", "turns:...").
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
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
	cfg     Config
	sess    *session.Session
	http    *httpapi.Client
	log     *slog.Logger
	handler func(session.Event)

	// RTC mode
	rmu      sync.Mutex
	inst     *phoneInst               // the phone, nil when not in RTC mode
	lastDone chan struct{}            // closed once the last phone made is closed
	calls    map[*rtc.Call]*callAudio // per-call audio state
	callSig  chan struct{}            // closed and replaced on every call event
	lastConn string                   // last connectivity event sent (JSON)
	closed   bool
	connMu   sync.Mutex   // orders connectivity events
	checkins atomic.Int32 // check-ins whose checkinDone is still queued
	wg       sync.WaitGroup
}

// New makes an agent; it does not touch the network. handler receives every
// event in order on one SDK goroutine (server pushes, connection state, log
// lines at or above LogLevel); it may be nil.
func New(cfg Config, handler func(session.Event)) (*Agent, error) {
	a := &Agent{cfg: cfg, handler: handler, calls: map[*rtc.Call]*callAudio{}, callSig: make(chan struct{})}
	level, logOn, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	if _, err := a.defaultSource(); err != nil {
		return nil, err
	}
	if cfg.RTCStatsIntervalMS < 0 {
		return nil, fmt.Errorf("%w: rtc_stats_interval_ms %d", session.ErrInvalidArgument, cfg.RTCStatsIntervalMS)
	}
	if err := checkRTCConfig(cfg); err != nil {
		return nil, err
	}
	var emit func(session.Event)
	redact := func(s string) string { return s } // the session's redactor, once it exists
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
		Handler:            a.onSessionEvent,
	}
	if cfg.HeartbeatIntervalMS < 0 {
		scfg.HeartbeatInterval = -1
	}
	scfg.Reconnect.Disabled = cfg.Reconnect != nil && !*cfg.Reconnect
	scfg.Reconnect.Min = ms(cfg.ReconnectMinMS)
	scfg.Reconnect.Max = ms(cfg.ReconnectMaxMS)
	scfg.Reconnect.Stable = ms(cfg.ReconnectStableMS)
	if cfg.EventQueueMax < 0 || cfg.EventQueueMaxBytes < 0 || cfg.ReconnectStableMS < 0 {
		return nil, fmt.Errorf("%w: event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative", session.ErrInvalidArgument)
	}
	scfg.EventQueueMax = cfg.EventQueueMax
	scfg.EventQueueMaxBytes = cfg.EventQueueMaxBytes
	if handler != nil && logOn {
		a.log = slog.New(&eventLogHandler{level: level, emit: func(e session.Event) { emit(e) },
			redact: func(s string) string { return redact(s) }})
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
	redact = s.Secrets().Text
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
// is answered here, not by the server: the spec marks it as done by the
// client (RTC mode mutes the call's media; softphone mode fails with
// ErrMuteNeedsRTC). Check-in and checkout drive the phone of RTC mode, and
// answer and dtmf use it (see rtc.go): send them through Do, not through
// Session(), for RTC mode to follow.
func (a *Agent) Do(ctx context.Context, req protocol.Request) (protocol.Reply, error) {
	switch r := req.(type) {
	case *protocol.MuteRequest:
		return a.mute(r)
	case *protocol.CheckinRequest:
		a.checkins.Add(1)
		rep, err := a.sess.Do(ctx, req)
		if err == nil {
			cr, _ := rep.(*protocol.CheckinReply)
			a.onCheckin(cr)
		}
		a.sess.Emit(&checkinDone{})
		return rep, err
	case *protocol.CheckoutRequest:
		rep, err := a.sess.Do(ctx, req)
		if err == nil {
			a.stopPhone("checkout")
		}
		return rep, err
	case *protocol.DTMFRequest:
		ctx, cancel := a.withDeadline(ctx)
		defer cancel()
		if rep, ok, err := a.dtmf(ctx, r); ok {
			return rep, err
		}
		return a.sess.Do(ctx, req)
	case *protocol.AnswerRequest:
		if in := a.cur(); in != nil {
			ctx, cancel := a.withDeadline(ctx)
			defer cancel()
			return a.answer(ctx, in, r)
		}
	}
	if in, leg := a.expectOwnLeg(req); leg != nil { // RTC: the agent's own leg will ring (correlate.go)
		rep, err := a.sess.Do(ctx, req)
		a.ownLegReplied(in, leg, rep, err)
		return rep, err
	}
	return a.sess.Do(ctx, req)
}

// Checkin checks the agent in (Do with a typed reply).
func (a *Agent) Checkin(ctx context.Context, r *protocol.CheckinRequest) (*protocol.CheckinReply, error) {
	rep, err := a.Do(ctx, r)
	cr, _ := rep.(*protocol.CheckinReply)
	return cr, err
}

// withDeadline gives ctx the request timeout when it has no deadline.
func (a *Agent) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, a.sess.Config().RequestTimeout)
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
	a.sess.Secrets().Learn(r.AgentPwd.Reveal())
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
	a.rmu.Lock()
	a.closed = true
	in := a.detachLocked()
	a.rmu.Unlock()
	a.closeInst(in)
	a.wg.Wait()
	err := a.sess.Close()
	if a.http != nil {
		a.http.CloseIdleConnections()
	}
	return err
}
