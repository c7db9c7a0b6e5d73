package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/gorilla/websocket"
)

// Server is the simulated CTI server: one http.Handler serving the CTI
// WebSocket (/ws), the SDK HTTP interface (/cloudcc-sdk-interface/openapi/...)
// and the admin API tests drive it with (/admin/...). Mount extra handlers
// (the PBX) with Handle.
type Server struct {
	cfg      Config
	upgrader websocket.Upgrader
	mux      *http.ServeMux

	mu       sync.Mutex
	agents   map[string]*agent // by agent_id
	tokens   map[string]*agent
	calls    map[string]*call
	conns    map[*conn]struct{}
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	timers   map[*time.Timer]struct{}
	frameLog io.Writer
	logMu    sync.Mutex
	wg       sync.WaitGroup
	logger   *slog.Logger

	// RTC mode: the PBX at /sip and the agents' media legs (rtc.go).
	pbx        *pbx.PBX
	pbxErr     error
	rtcCtx     context.Context
	rtcCancel  context.CancelFunc
	stopEvents func()
	rtcLegs    map[string]*rtcLeg // by uuid|ext
	serials    map[string]*serial // PBX operations in flight, by uuid

	// Platform dialect (platform_*.go).
	plat *platState
}

// Option configures a Server.
type Option func(*Server)

// WithFrameLog writes every frame in and out (secrets redacted) to w.
func WithFrameLog(w io.Writer) Option { return func(s *Server) { s.frameLog = w } }

// WithLogger sets the logger of the PBX and of RTC operations (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

var writeBuffers sync.Pool

// New makes a simulator for cfg.
func New(cfg Config, opts ...Option) *Server {
	s := &Server{
		cfg:      cfg,
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &writeBuffers},
		agents:   map[string]*agent{},
		tokens:   map[string]*agent{},
		calls:    map[string]*call{},
		conns:    map[*conn]struct{}{},
		changed:  make(chan struct{}),
		timers:   map[*time.Timer]struct{}{},
		mux:      http.NewServeMux(),
		rtcLegs:  map[string]*rtcLeg{},
		serials:  map[string]*serial{},
	}
	for _, o := range opts {
		o(s)
	}
	s.startPBX()
	s.loadAgents()
	if s.cfg.dialect() == DialectPlatform {
		s.plat = newPlatState()
		s.mountPlatform()
	} else {
		s.mux.HandleFunc("/ws", s.serveWS)
		s.mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-token", s.httpGetToken)
		s.mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-skill-service-list", s.httpSkills)
		s.mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-ivr-service-list", s.httpIVRs)
	}
	s.mux.HandleFunc("/admin/", s.serveAdmin)
	return s
}

// Dialect is the dialect this simulator speaks.
func (s *Server) Dialect() string { return s.cfg.dialect() }

func (s *Server) platform() bool { return s.plat != nil }

func (s *Server) loadAgents() {
	for ci := range s.cfg.Companies {
		co := &s.cfg.Companies[ci]
		for _, ac := range co.Agents {
			if ac.ExtID == "" {
				ac.ExtID = ac.AgentID
			}
			if ac.LoginType == "" {
				ac.LoginType = "2"
			}
			a := &agent{conf: ac, company: co, status: "OFFLINE"}
			a.p.loadConf(ac)
			s.agents[ac.AgentID] = a
		}
	}
}

// Handle mounts h at pattern on the simulator's listener (the PBX is at /sip).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP routes to the WebSocket, the HTTP interface and the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close ends every connection and timer.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	s.timers = map[*time.Timer]struct{}{}
	for _, a := range s.agents {
		if a.grace != nil {
			a.grace.Stop()
		}
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if s.rtcCancel != nil {
		s.rtcCancel()
	}
	if s.pbx != nil {
		_ = s.pbx.Close()
	}
	if s.stopEvents != nil {
		s.stopEvents()
	}
	for _, c := range conns {
		_ = c.ws.Close()
	}
	s.wg.Wait()
}

// conn is one agent WebSocket.
type conn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	lang    string
	dialled dialled                // how the agent reached us: its rtc_address is made of it
	agent   *agent                 // bound at check-in or by a valid SDK-TOKEN; guarded by Server.mu
	who     atomic.Pointer[string] // the bound agent's id, for the frame log

	// Platform dialect, guarded by Server.mu: the handshake's identity
	// (company_agent_os, the real server's loginMap), the identity of the
	// link's last successful check-in (clientMap) and the bound ext.
	ident, bound, boundExt string
	closing                bool // the server closes it (no auto check-out twice)
	remote                 string
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws, lang: r.Header.Get("LANGUAGE"), dialled: dialledBy(r)}
	ws.SetReadLimit(1 << 20)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	// A valid token on the handshake binds the link to the agent's session:
	// this is how a reconnecting SDK gets its state back.
	if a := s.tokens[r.Header.Get("SDK-TOKEN")]; a != nil && a.checkedIn {
		s.bindLocked(a, c)
	}
	s.mu.Unlock()
	defer s.wg.Done()
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			break
		}
		s.logFrame("in", c, b)
		s.handleFrame(c, b)
	}
	s.mu.Lock()
	delete(s.conns, c)
	if a := c.agent; a != nil && a.conn == c {
		a.conn = nil
		s.startGraceLocked(a)
		s.notifyLocked()
	}
	s.mu.Unlock()
	_ = ws.Close()
}

// sipURL is the PBX's address as the client reached this listener:
// ws://<host>/sip, wss:// over TLS or behind an https proxy.
// dialled is how an agent reached the simulator: the scheme of the SIP
// WebSocket it would use (ws, or wss over TLS) and the host:port it dialled.
type dialled struct{ scheme, host string }

func dialledBy(r *http.Request) dialled {
	d := dialled{scheme: "ws", host: r.Host}
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		d.scheme = "wss"
	}
	return d
}

// rtcAddress is the rtc_address check-in gives an RTC agent on link c
// (Config.RTCAddress filled in).
func (s *Server) rtcAddress(c *conn) string {
	var d dialled
	if c != nil {
		d = c.dialled
	}
	hostname := d.host
	if h, _, err := net.SplitHostPort(d.host); err == nil {
		hostname = h
		if strings.Contains(h, ":") {
			hostname = "[" + h + "]"
		}
	}
	return strings.NewReplacer("{scheme}", d.scheme, "{host}", d.host, "{hostname}", hostname).Replace(s.cfg.rtcAddressTemplate())
}

func (s *Server) bindLocked(a *agent, c *conn) {
	if a.conn != nil && a.conn != c {
		old := a.conn
		old.agent = nil
		go old.ws.Close() // replaced by the new link
	}
	a.conn = c
	c.agent = a
	c.who.Store(&a.conf.AgentID)
	if a.grace != nil {
		a.grace.Stop()
		a.grace = nil
	}
	s.notifyLocked()
}

func (s *Server) startGraceLocked(a *agent) {
	if !a.checkedIn {
		return
	}
	g := s.cfg.Timings.GraceMS
	if g <= 0 {
		g = 60000
	}
	a.grace = time.AfterFunc(time.Duration(g)*time.Millisecond, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a.conn == nil && a.checkedIn && !s.closed {
			s.checkoutLocked(a, text("", "dropped"))
		}
	})
}

// send writes one frame to c (nil c: the agent is not connected; dropped).
func (s *Server) send(c *conn, o obj) {
	if c == nil {
		return
	}
	b, _ := json.Marshal(o)
	s.sendRaw(c, b)
}

func (s *Server) sendRaw(c *conn, b []byte) {
	if c == nil {
		return
	}
	s.logFrame("out", c, b)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

func (s *Server) logFrame(dir string, c *conn, b []byte) {
	if s.frameLog == nil {
		return
	}
	who := "-"
	if w := c.who.Load(); w != nil {
		who = *w // not c.agent: frames are logged with s.mu held
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s %-3s %s %s\n", time.Now().Format("15:04:05.000"), dir, who, redact(b))
}

// after runs fn under the lock after d; zero runs it now (the caller holds
// the lock), keeping event order deterministic in tests.
func (s *Server) afterLocked(d time.Duration, fn func()) {
	if d <= 0 {
		fn()
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.timers[t]; !ok || s.closed {
			return
		}
		delete(s.timers, t)
		fn()
	})
	s.timers[t] = struct{}{}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ---- SDK HTTP interface ----

func (s *Server) httpGetToken(w http.ResponseWriter, r *http.Request) {
	s.logHTTP(r)
	lang := r.Header.Get("LANGUAGE")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, obj{"code": "405", "msg": "POST only"})
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	q, err := parseReq(b)
	if err != nil {
		writeJSON(w, http.StatusOK, obj{"code": "1", "msg": text(lang, "bad_json")})
		return
	}
	pwd := q.str("aagent_pwd")
	if pwd == "" {
		pwd = q.str("agent_pwd")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[q.str("agent_id")]
	out := obj{"req_id": q.str("req_id"), "msg_type": "get_token"}
	switch {
	case a == nil || a.company.Code != q.str("company_code"):
		out["code"], out["msg"] = "1", text(lang, "no_agent")
	case a.conf.Password != pwd:
		out["code"], out["msg"] = "1", text(lang, "wrong_password")
	default:
		if a.token == "" {
			a.token = newID("")
			s.tokens[a.token] = a
		}
		out["code"], out["msg"], out["token"] = "0", text(lang, "success"), a.token
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listAuth(w http.ResponseWriter, r *http.Request) (*Company, bool) {
	s.logHTTP(r)
	lang := r.Header.Get("LANGUAGE")
	s.mu.Lock()
	a := s.tokens[r.Header.Get("SDK-TOKEN")]
	s.mu.Unlock()
	if a == nil {
		writeJSON(w, http.StatusUnauthorized, obj{"code": 401, "msg": text(lang, "token_invalid")})
		return nil, false
	}
	code := r.URL.Query().Get("company_code")
	if code == "" {
		code = a.company.Code
	}
	for i := range s.cfg.Companies {
		if s.cfg.Companies[i].Code == code {
			return &s.cfg.Companies[i], true
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": 1, "msg": text(lang, "bad_value"), "company_code": code, "data": []any{}})
	return nil, false
}

func (s *Server) httpSkills(w http.ResponseWriter, r *http.Request) {
	co, ok := s.listAuth(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("service_name")
	data := []SkillService{}
	for _, sk := range co.Skills {
		if strings.Contains(sk.Name, name) {
			data = append(data, sk)
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": "0", "msg": "成功!", "data": data, "company_code": co.Code})
}

func (s *Server) httpIVRs(w http.ResponseWriter, r *http.Request) {
	co, ok := s.listAuth(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("service_name")
	data := []IVRService{}
	for _, iv := range co.IVRs {
		if strings.Contains(iv.Name, name) {
			data = append(data, iv)
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": "0", "msg": "成功!", "data": data, "company_code": co.Code})
}

func (s *Server) logHTTP(r *http.Request) {
	if s.frameLog == nil {
		return
	}
	tok := ""
	if r.Header.Get("SDK-TOKEN") != "" {
		tok = " SDK-TOKEN: ***"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s http %s %s%s\n", time.Now().Format("15:04:05.000"), r.Method, r.URL.Path, tok)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---- waiting on state (tests) ----

// WaitAgent blocks until pred holds for the agent's snapshot, or ctx ends.
func (s *Server) WaitAgent(ctx context.Context, agentID string, pred func(AgentSnapshot) bool) error {
	for {
		s.mu.Lock()
		a := s.agents[agentID]
		if a == nil {
			s.mu.Unlock()
			return fmt.Errorf("no agent %q", agentID)
		}
		snap := s.snapshotLocked(a)
		ch := s.changed
		s.mu.Unlock()
		if pred(snap) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("agent %s: %w (last: %+v)", agentID, ctx.Err(), snap)
		}
	}
}

// ErrNoFreeAgent: an inbound call found nobody to ring.
var ErrNoFreeAgent = errors.New("no free agent")

// ErrNotRegistered: an inbound call for an RTC agent whose extension is not
// registered at /sip.
var ErrNotRegistered = errors.New("the agent's extension is not registered")
