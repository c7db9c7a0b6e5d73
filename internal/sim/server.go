package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
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
