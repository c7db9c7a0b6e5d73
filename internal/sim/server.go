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

// Server is the simulated CTI server: one http.Handler serving the agent
// WebSocket (platform: /msg/<identity>; spec: /ws), the SDK HTTP interfaces,
// the simulated PBX (/sip and /) and the admin API tests drive it with
// (/admin/...). Mount extra handlers with Handle.
type Server struct {
	*world
}

// world is what both dialects share: the configuration, the agents, their
// links, timers, the frame log and the PBX hookup; the dialect is the
// server's behaviour on top of it (spec_*.go, platform_*.go).
type world struct {
	cfg      Config
	upgrader websocket.Upgrader
	mux      *http.ServeMux
	dialect  dialect

	mu       sync.Mutex
	agents   map[string]*agent // by agent_id
	conns    map[*link]struct{}
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	timers   map[*time.Timer]struct{}
	frameLog io.Writer
	logMu    sync.Mutex
	wg       sync.WaitGroup
	logger   *slog.Logger

	// The PBX at /sip and the agents' media legs (media.go).
	pbx        *pbx.PBX
	pbxErr     error
	rtcCtx     context.Context
	rtcCancel  context.CancelFunc
	stopEvents func()
	rtcLegs    map[string]*mediaLeg // by uuid|ext
	serials    map[string]*serial   // PBX operations in flight, by uuid
}

// dialect is the behaviour of one of the two servers ccsim can be, on the
// shared world. Every method but mount runs with world.mu held.
type dialect interface {
	// mount serves the dialect's agent WebSocket and HTTP interfaces.
	mount(mux *http.ServeMux)
	// inbound routes a customer's call to an agent and rings it.
	inbound(in InboundCall) (uuid, agentID string, err error)
	// customerHangup and customerAnswer act for the customer of a call.
	customerHangup(uuid string) error
	customerAnswer(uuid string) error
	// mediaHungUp: the agent ended its answered media leg (a SIP BYE, or
	// its SIP WebSocket closing), which the platform takes as a hangup.
	mediaHungUp(leg *mediaLeg)
	// agentLink is the link the agent's faults act on, or nil.
	agentLink(a *agent) *link
	// snapshot fills in what the dialect knows of the agent.
	snapshot(a *agent, sn *AgentSnapshot)
	// reset forgets the dialect's calls, tokens and links (Server.Reset).
	reset()
}

// Option configures a Server.
type Option func(*world)

// WithFrameLog writes every frame in and out (secrets redacted) to w.
func WithFrameLog(w io.Writer) Option { return func(s *world) { s.frameLog = w } }

// WithLogger sets the logger of the PBX and of RTC operations (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *world) { s.logger = l } }

var writeBuffers sync.Pool

// New makes a simulator for cfg.
func New(cfg Config, opts ...Option) *Server {
	s := &world{
		cfg:      cfg,
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &writeBuffers},
		agents:   map[string]*agent{},
		conns:    map[*link]struct{}{},
		changed:  make(chan struct{}),
		timers:   map[*time.Timer]struct{}{},
		mux:      http.NewServeMux(),
		rtcLegs:  map[string]*mediaLeg{},
		serials:  map[string]*serial{},
	}
	for _, o := range opts {
		o(s)
	}
	s.startPBX()
	s.loadAgents()
	if s.cfg.dialect() == DialectPlatform {
		s.dialect = newPlatform(s)
	} else {
		s.dialect = newSpec(s)
	}
	s.dialect.mount(s.mux)
	srv := &Server{world: s}
	s.mux.HandleFunc("/admin/", srv.serveAdmin)
	return srv
}

// Dialect is the dialect this simulator speaks.
func (s *Server) Dialect() string { return s.cfg.dialect() }

// platform is the platform dialect, nil in the spec dialect.
func (s *Server) platform() *platform {
	p, _ := s.dialect.(*platform)
	return p
}

func (s *world) loadAgents() {
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
			a.plat.loadConf(ac)
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
	conns := make([]*link, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.dialect.reset() // the dialect's own timers
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
