// Package agent is one agent as the SDK's users see it: the CTI session, the
// HTTP interface sharing its token, and (in RTC mode) the agent's phone. It is
// what the C ABI exports, one object per agent.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Config is an agent's configuration. Zero values take the defaults noted;
// WSURL is required (and HTTPURL for HTTP calls). New refuses a value it
// cannot use with a *ConfigError. The C ABI reads its JSON config document
// into one (capi/internal/abi).
type Config struct {
	// WSURL is the CTI WebSocket, ws:// or wss://. One ending in "/" gets
	// the agent's identity appended (see session.Config.URL).
	WSURL string
	// HTTPURL is the base of the SDK HTTP interface: http(s)://host:port,
	// with the service's root path if it has one. Empty: the HTTP calls
	// fail with ErrNoHTTP.
	HTTPURL string
	// CompanyCode and AgentID fill the requests that leave them empty.
	CompanyCode string
	AgentID     string
	// ExtID is the agent's bound extension: check-in needs it, and later
	// requests use the one check-in answered. There is no default: the SDK
	// never invents an extension.
	ExtID string
	// OS fills the requests that leave it empty. Default: the host's.
	OS string
	// Language is "zh-CN" (default) or "en-US": the LANGUAGE header.
	Language string
	// Token is a token from get-token, when known before check-in.
	Token string

	// RequestTimeout bounds a request whose context has no deadline.
	// Default 5s.
	RequestTimeout time.Duration
	// DialTimeout bounds one WebSocket handshake. Default 10s.
	DialTimeout time.Duration
	// HTTPTimeout bounds an HTTP call whose context has no deadline.
	// Default 10s.
	HTTPTimeout time.Duration
	// HeartbeatInterval is the ping period; negative turns the heartbeat
	// off. Default 20s.
	HeartbeatInterval time.Duration
	// HeartbeatMisses is how many pings may go unanswered before the link
	// is taken for dead. Default 3.
	HeartbeatMisses int
	// Reconnect is the CTI link's backoff (session.Config.Reconnect):
	// Disabled leaves the link down until the next request. Its Min and
	// Max pace the SIP link's reconnects too. Stable must not be negative.
	Reconnect session.Backoff
	// EventQueueMax and EventQueueMaxBytes bound the events waiting for a
	// slow handler (count and estimated bytes; defaults 100000 and 16 MiB):
	// past them the oldest are dropped and a *session.DroppedEvent says how
	// many. Neither may be negative.
	EventQueueMax      int
	EventQueueMaxBytes int

	// TLSCAFile and TLSCAPEM are extra trusted CAs (a PEM file, PEM text)
	// for wss:// and https:// links, the SIP link's included.
	// TLSInsecure skips certificate checks (tests only).
	TLSCAFile   string
	TLSCAPEM    []byte
	TLSInsecure bool

	// LogLevel is the lowest level handed to the handler as *LogEvent:
	// trace, debug, info, warn (default), error, or off.
	LogLevel string

	// RTC mode: when check-in answers login_type "1" with an rtc_address,
	// the SDK is the agent's phone (rtc.go).

	// DisableRTC keeps the SDK from ever registering the extension (the
	// application carries the media itself).
	DisableRTC bool
	// RTCDomain is the SIP domain of sip:{ExtID}@{domain}. Default: the
	// host of rtc_address.
	RTCDomain string
	// RTCScheme is the scheme given to an rtc_address that has none (the
	// platform sends "host:port"): "ws" or "wss". Default: wss when WSURL
	// is wss, else ws.
	RTCScheme string
	// RTCURLTemplate, when set, makes the URL dialled from rtc_address's
	// parts instead: "wss://{host}:7443/" ({host}, {port}, {path},
	// {scheme}; see rtcaddr.go).
	RTCURLTemplate string
	// ICEServers are the STUN/TURN servers of the media.
	ICEServers []ICEServer
	// RTCStatsInterval is the period of the *RTCStatsEvent of each call.
	// Zero: none; negative is refused.
	RTCStatsInterval time.Duration
	// RTCKeepalive is the SIP link's WebSocket ping period; negative turns
	// the keepalive off. Default 25s.
	RTCKeepalive time.Duration
	// RTCDefaultSource is what a new call sends until the application says
	// otherwise: "silence" (default), "tone:HZ" or "wav:PATH" (looped).
	RTCDefaultSource string
	// RTCIncludeLoopback gathers loopback ICE candidates (a PBX on the
	// same host). Implied when rtc_address names a loopback host.
	RTCIncludeLoopback bool
	// RTCAutoAnswer says which calls the SDK answers by itself
	// (correlate.go): AutoAnswerRequests (default: the agent's own leg of
	// call, preview_out_call, play_record, eavesdrop, whisper, substitute,
	// force_call, plus auto-answer hints), AutoAnswerHints or
	// AutoAnswerOff.
	RTCAutoAnswer string
	// RTCAutoAnswerWindow is how long after such a request (and around a
	// callin) an INVITE is taken for it. Default 15s; negative is refused.
	RTCAutoAnswerWindow time.Duration
	// RTCMaxCalls bounds the phone's calls at once (beyond: 486). Default
	// 4; negative: no limit.
	RTCMaxCalls int
	// RTCRingTimeout ends an unanswered ringing call (480). Default 60s;
	// negative: never.
	RTCRingTimeout time.Duration
	// RTCMaxMessageBytes is the largest SIP message taken (larger: 513).
	// Default 65536; at least 1024.
	RTCMaxMessageBytes int
	// RTCMediaTimeout is the time ICE/DTLS get to connect after each
	// offer/answer. Default 15s; negative: never.
	RTCMediaTimeout time.Duration
	// RTCMediaFailure is what happens to a call whose media does not
	// connect: "hangup" (default: BYE) or "flag" (the call stays, reported
	// failed).
	RTCMediaFailure string

	// Sound (sound.go, docs/audio.md "Device mode in calls").

	// RTCAudio says where a call's audio goes: AudioHost (default: the
	// application's, through PushPCM and SetPCMSink), AudioDevice (the SDK
	// opens the sound devices) or AudioNone (silence both ways).
	RTCAudio string
	// AudioMicrophone, AudioSpeaker and AudioRinger are the device ids of
	// device mode ("" the default communications device; the ringer's:
	// the default device). A device that is not there when a call starts
	// falls back to the default, with an event.
	AudioMicrophone, AudioSpeaker, AudioRinger string
	// AudioRingtone is what a ringing call plays in device mode:
	// RingtoneBuiltin (default), RingtoneOff or "wav:PATH" (16-bit PCM).
	AudioRingtone string
	// AudioAEC, AudioNS, AudioAGC and AudioVAD switch the voice processing
	// of new calls (echo cancellation, noise suppression, gain control,
	// voice activity detection). nil: on in device mode, off otherwise.
	AudioAEC, AudioNS, AudioAGC, AudioVAD *bool
	// DisableQualityWarnings turns the per-second call-quality sampler and
	// its *CallQualityWarningEvent off (quality.go).
	DisableQualityWarnings bool
	// RTCEchoNumber is the number the pre-call test calls for its echo
	// step (precall.go); "": the step is skipped unless the test names one.
	RTCEchoNumber string
}

// ICEServer is a STUN or TURN server ("stun:host:3478",
// "turn:host:3478?transport=udp", "turns:..."). Its JSON form is an entry
// of the C ABI's "ice_servers".
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

// ConfigError is a Config field New cannot use. It matches
// ErrInvalidArgument (session's, sdkerr's) under errors.Is.
type ConfigError struct {
	// Field is the field as Config names it: "LogLevel", "Reconnect.Stable".
	Field string
	// Value is the value refused.
	Value any
	// Want says what the field takes, when that is the whole story.
	Want string
	// Err is the cause, when there is one (a WAV file that does not open).
	Err error
}

func (e *ConfigError) Error() string {
	v := fmt.Sprint(e.Value)
	if s, ok := e.Value.(string); ok {
		v = strconv.Quote(s)
	}
	msg := fmt.Sprintf("%v: config %s %s", session.ErrInvalidArgument, e.Field, v)
	if e.Want != "" {
		msg += " (want " + e.Want + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap gives ErrInvalidArgument and the cause, if any.
func (e *ConfigError) Unwrap() []error {
	if e.Err == nil {
		return []error{session.ErrInvalidArgument}
	}
	return []error{session.ErrInvalidArgument, e.Err}
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
	snd      *sound       // devices, processing, ringtone (sound.go)
	q        qualityState // call-quality sampler and pre-call test (quality.go)
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
	if cfg.RTCStatsInterval < 0 {
		return nil, &ConfigError{Field: "RTCStatsInterval", Value: cfg.RTCStatsInterval, Want: "zero or more"}
	}
	if err := checkRTCConfig(cfg); err != nil {
		return nil, err
	}
	clip, err := checkSoundConfig(cfg)
	if err != nil {
		return nil, err
	}
	a.snd = newSound(a, clip)
	if err := checkEchoNumber(cfg.RTCEchoNumber); err != nil { // precall.go
		return nil, &ConfigError{Field: "RTCEchoNumber", Value: cfg.RTCEchoNumber, Err: err}
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
		RequestTimeout:     cfg.RequestTimeout,
		DialTimeout:        cfg.DialTimeout,
		HeartbeatInterval:  cfg.HeartbeatInterval,
		HeartbeatMisses:    cfg.HeartbeatMisses,
		Reconnect:          cfg.Reconnect,
		CAFile:             cfg.TLSCAFile,
		CAPEM:              cfg.TLSCAPEM,
		InsecureSkipVerify: cfg.TLSInsecure,
		EventQueueMax:      cfg.EventQueueMax,
		EventQueueMaxBytes: cfg.EventQueueMaxBytes,
		Handler:            a.onSessionEvent,
	}
	switch {
	case cfg.EventQueueMax < 0:
		return nil, &ConfigError{Field: "EventQueueMax", Value: cfg.EventQueueMax, Want: "zero or more"}
	case cfg.EventQueueMaxBytes < 0:
		return nil, &ConfigError{Field: "EventQueueMaxBytes", Value: cfg.EventQueueMaxBytes, Want: "zero or more"}
	case cfg.Reconnect.Stable < 0:
		return nil, &ConfigError{Field: "Reconnect.Stable", Value: cfg.Reconnect.Stable, Want: "zero or more"}
	}
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
			Timeout:   cfg.HTTPTimeout,
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
	a.snd.close()
	err := a.sess.Close()
	if a.http != nil {
		a.http.CloseIdleConnections()
	}
	return err
}
