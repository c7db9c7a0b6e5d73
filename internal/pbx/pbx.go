// Package pbx is the simulated PBX that ccsim mounts for RTC agents
// (login_type "1"): a SIP-over-WebSocket registrar (RFC 7118) with digest
// authentication, and a pion media leg per call that plays a known tone to
// the agent and analyses what the agent sends back (tone, DTMF in the three
// modes, packet counts).
//
// It is served as an http.Handler (WebSocket subprotocol "sip") so ccsim
// can mount it on its one listener, and driven from ccsim's CTI flows with
// Invite, Hold, ChangeMedia and Hangup. It shares no code with the SDK's
// core/rtc and core/media: the two ends are written independently so that
// a test catches a bug in either. See docs/pbx.md.
package pbx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// Config configures a PBX. Only Users (or Password) is needed.
type Config struct {
	// Domain is the SIP domain and digest realm. Default "cloudcc.local".
	// Registrations for any domain are accepted; the realm is this one.
	Domain string
	// Users maps extension → ext_pwd. Password, when set, is asked first.
	Users    map[string]string
	Password func(ext string) (pwd string, ok bool)
	// ToneHz is the tone the PBX plays to agents (default 1000 Hz);
	// ToneAmplitude its peak in 16-bit units (default 8000, about -12 dBFS).
	ToneHz        float64
	ToneAmplitude float64
	// EchoNumber is the echo extension: a registered agent's INVITE to
	// this number (the Request-URI's user) is answered at once, whatever
	// AcceptAgentCalls says, and the audio it sends is sent back to it
	// (about 40 ms later) instead of the tone. "" : none. ccsim uses
	// "9196", the echo number of FreeSWITCH's default dialplan.
	EchoNumber string
	// AcceptAgentCalls lets a registered agent send an INVITE of its own
	// (answered with the tone at once when AutoAnswerAgentCalls, else left
	// ringing until Answer). Off: such an INVITE gets 403.
	AcceptAgentCalls     bool
	AutoAnswerAgentCalls bool
	// MaxExpires caps a registration's lifetime (default 3600 s).
	MaxExpires int
	// IPFilter picks the local and remote ICE addresses; default loopback only.
	IPFilter func(net.IP) bool
	// Logger, default slog.Default().
	Logger *slog.Logger
	// Trace, when set, sees every SIP message sent ("out") or received
	// ("in") on an agent connection, as text (ccsim's frame log). It runs
	// on the connection's goroutines: it must not block.
	Trace func(dir, remote string, msg []byte)
}

// Errors of the control API.
var (
	ErrNotRegistered = errors.New("pbx: extension not registered")
	ErrNoCall        = errors.New("pbx: no such call")
	ErrCallExists    = errors.New("pbx: call uuid already in use")
	ErrCallEnded     = errors.New("pbx: call ended")
	ErrNotAnswered   = errors.New("pbx: call not answered")
	ErrBusy          = errors.New("pbx: an offer is already in progress on this call")
	ErrClosed        = errors.New("pbx: closed")
)

// RequestError is a SIP failure response to a request the PBX sent.
type RequestError struct {
	Method string
	Code   int
	Reason string
}

func (e *RequestError) Error() string {
	return "pbx: " + e.Method + " answered " + strconv.Itoa(e.Code) + " " + e.Reason
}

// PBX is the simulated PBX. Create it with New; it is an http.Handler.
type PBX struct {
	cfg    Config
	log    *slog.Logger
	api    *webrtc.API
	nonces nonceStore
	up     websocket.Upgrader

	mu      sync.Mutex
	closed  bool
	users   map[string]string
	regs    map[string]*registration
	calls   map[string]*Call // by uuid
	byCID   map[string]*Call // by Call-ID
	conns   map[*sipConn]struct{}
	subs    map[*subscriber]struct{}
	callsWG sync.WaitGroup

	ended      map[string]*Call // ended calls kept for Snapshot
	endedOrder []*Call
	extImp     map[string]Impairment // ImpairExt's, by extension
}

// New creates a PBX.
func New(cfg Config) (*PBX, error) {
	if cfg.Domain == "" {
		cfg.Domain = "cloudcc.local"
	}
	if cfg.ToneHz == 0 {
		cfg.ToneHz = 1000
	}
	if cfg.ToneAmplitude == 0 {
		cfg.ToneAmplitude = 8000
	}
	if cfg.MaxExpires == 0 {
		cfg.MaxExpires = 3600
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	api, err := newAPI(cfg.IPFilter)
	if err != nil {
		return nil, err
	}
	p := &PBX{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "pbx"),
		api:    api,
		users:  map[string]string{},
		regs:   map[string]*registration{},
		calls:  map[string]*Call{},
		byCID:  map[string]*Call{},
		conns:  map[*sipConn]struct{}{},
		subs:   map[*subscriber]struct{}{},
		extImp: map[string]Impairment{},
		up: websocket.Upgrader{
			Subprotocols:    []string{"sip"},
			CheckOrigin:     func(*http.Request) bool { return true },
			ReadBufferSize:  8192,
			WriteBufferSize: 8192,
		},
	}
	for k, v := range cfg.Users {
		p.users[k] = v
	}
	return p, nil
}

// Domain is the SIP domain / realm in use.
func (p *PBX) Domain() string { return p.cfg.Domain }

// SetUser adds or changes an extension's password.
func (p *PBX) SetUser(ext, pwd string) {
	p.mu.Lock()
	p.users[ext] = pwd
	p.mu.Unlock()
}

// RemoveUser removes an extension (its current binding stays until it ends).
func (p *PBX) RemoveUser(ext string) {
	p.mu.Lock()
	delete(p.users, ext)
	p.mu.Unlock()
}

func (p *PBX) password(ext string) (string, bool) {
	if p.cfg.Password != nil {
		if pwd, ok := p.cfg.Password(ext); ok {
			return pwd, true
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pwd, ok := p.users[ext]
	return pwd, ok
}

// Subscribe returns a channel of every event from now on, in order, and a
// function that ends the subscription (the channel is then closed).
// Reading slowly never stalls the PBX.
func (p *PBX) Subscribe() (<-chan Event, func()) {
	s := newSubscriber()
	p.mu.Lock()
	p.subs[s] = struct{}{}
	p.mu.Unlock()
	return s.out, func() {
		p.mu.Lock()
		delete(p.subs, s)
		p.mu.Unlock()
		s.close()
	}
}

func (p *PBX) emit(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	p.mu.Lock()
	subs := make([]*subscriber, 0, len(p.subs))
	for s := range p.subs {
		subs = append(subs, s)
	}
	p.mu.Unlock()
	for _, s := range subs {
		s.push(e)
	}
}

// ServeHTTP upgrades to a SIP-over-WebSocket connection (subprotocol "sip").
func (p *PBX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "SIP over WebSocket (RFC 7118): connect with subprotocol sip", http.StatusUpgradeRequired)
		return
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	ws, err := p.up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	host := r.Host
	if host == "" {
		host = ws.LocalAddr().String()
	}
	c := newSipConn(p, ws, host)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = ws.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	c.readLoop()
	p.connClosed(c)
}

func (p *PBX) connClosed(c *sipConn) {
	var gone []*registration
	var calls []*Call
	p.mu.Lock()
	delete(p.conns, c)
	for ext, r := range p.regs {
		if r.conn == c {
			delete(p.regs, ext)
			gone = append(gone, r)
		}
	}
	for _, call := range p.calls {
		if call.conn == c {
			calls = append(calls, call)
		}
	}
	p.mu.Unlock()
	for _, r := range gone {
		p.emit(Event{Type: EvUnregistered, Ext: r.ext, Contact: r.contact, Reason: "transport closed"})
	}
	for _, call := range calls {
		call.end("transport", 0, "transport closed")
	}
}

// Close hangs up every call, closes every connection and stops the PBX.
func (p *PBX) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	conns := make([]*sipConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, c := range calls {
		_ = c.hangup(ctx)
	}
	for _, c := range conns {
		c.close()
	}
	p.callsWG.Wait()
	p.mu.Lock()
	subs := p.subs
	p.subs = map[*subscriber]struct{}{}
	p.mu.Unlock()
	for s := range subs {
		s.close()
	}
	return nil
}

// ---- request routing ----

func (p *PBX) handleRequest(c *sipConn, req *sip.Request) {
	switch req.Method {
	case sip.REGISTER:
		p.handleRegister(c, req)
		return
	case sip.OPTIONS:
		res := response(req, 200, "OK", newTag())
		res.h("Allow", allowMethods)
		res.h("Accept", "application/sdp")
		c.send(res)
		return
	}
	cid := ""
	if h := req.CallID(); h != nil {
		cid = h.Value()
	}
	p.mu.Lock()
	call := p.byCID[cid]
	p.mu.Unlock()
	if call == nil {
		switch req.Method {
		case sip.INVITE:
			if tagOf(req.To().Params) == "" {
				p.agentInvite(c, req)
				return
			}
		case sip.ACK:
			return
		}
		c.send(response(req, 481, "Call/Transaction Does Not Exist", newTag()))
		return
	}
	call.handleRequest(req)
}

const allowMethods = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, UPDATE"
