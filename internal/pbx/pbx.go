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
	"strings"
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
}

type registration struct {
	ext       string
	contact   string // Contact URI as the agent gave it
	conn      *sipConn
	expires   time.Time
	headers   map[string]string
	userAgent string
}

// Registration describes a current binding.
type Registration struct {
	Ext       string
	Contact   string
	Expires   time.Time
	Headers   map[string]string // X- headers of the REGISTER (company code and the like)
	UserAgent string
	Remote    string // the agent's TCP address
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
		cfg:   cfg,
		log:   cfg.Logger.With("component", "pbx"),
		api:   api,
		users: map[string]string{},
		regs:  map[string]*registration{},
		calls: map[string]*Call{},
		byCID: map[string]*Call{},
		conns: map[*sipConn]struct{}{},
		subs:  map[*subscriber]struct{}{},
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

// Registered reports whether ext has a live binding.
func (p *PBX) Registered(ext string) bool {
	_, ok := p.Registration(ext)
	return ok
}

// Registration returns ext's live binding.
func (p *PBX) Registration(ext string) (Registration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.liveReg(ext)
	if r == nil {
		return Registration{}, false
	}
	h := map[string]string{}
	for k, v := range r.headers {
		h[k] = v
	}
	return Registration{Ext: r.ext, Contact: r.contact, Expires: r.expires, Headers: h,
		UserAgent: r.userAgent, Remote: r.conn.remote}, true
}

// liveReg returns the unexpired binding of ext. p.mu held.
func (p *PBX) liveReg(ext string) *registration {
	r := p.regs[ext]
	if r == nil {
		return nil
	}
	if time.Now().After(r.expires) {
		delete(p.regs, ext)
		go p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: r.contact, Reason: "expired"})
		return nil
	}
	return r
}

// Registrations lists the live bindings, in no particular order.
func (p *PBX) Registrations() []Registration {
	p.mu.Lock()
	exts := make([]string, 0, len(p.regs))
	for ext := range p.regs {
		exts = append(exts, ext)
	}
	p.mu.Unlock()
	out := make([]Registration, 0, len(exts))
	for _, ext := range exts {
		if r, ok := p.Registration(ext); ok {
			out = append(out, r)
		}
	}
	return out
}

// WaitRegistered blocks until ext has a binding or ctx ends.
func (p *PBX) WaitRegistered(ctx context.Context, ext string) error {
	ev, stop := p.Subscribe()
	defer stop()
	if p.Registered(ext) {
		return nil
	}
	for {
		select {
		case e := <-ev:
			if e.Type == EvRegistered && e.Ext == ext {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
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

// ---- the registrar ----

func (p *PBX) handleRegister(c *sipConn, req *sip.Request) {
	authz := headerValue(req, "Authorization")
	if authz == "" {
		res := response(req, 401, "Unauthorized", newTag())
		res.h("WWW-Authenticate", challenge(p.cfg.Domain, p.nonces.issue()))
		c.send(res)
		return
	}
	user, ok, stale := checkDigestStale(authz, "REGISTER", p.cfg.Domain, &p.nonces, p.password)
	if stale {
		res := response(req, 401, "Unauthorized", newTag())
		res.h("WWW-Authenticate", staleChallenge(p.cfg.Domain, p.nonces.issue()))
		c.send(res)
		return
	}
	toUser := ""
	if t := req.To(); t != nil {
		toUser = t.Address.User
	}
	if !ok || user != toUser {
		reason := "wrong credentials"
		if ok {
			reason = "authorization user is not the To user"
		}
		p.emit(Event{Type: EvAuthFailed, Ext: user, Reason: reason})
		res := response(req, 403, "Forbidden", newTag())
		c.send(res)
		return
	}
	ext := user
	expires := 600
	if v := headerValue(req, "Expires"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			expires = n
		}
	}
	contactHdr := req.Contact()
	if contactHdr == nil {
		// A query: answer with the current binding.
		res := response(req, 200, "OK", newTag())
		p.mu.Lock()
		if r := p.liveReg(ext); r != nil {
			res.h("Contact", "<"+r.contact+">;expires="+strconv.Itoa(int(time.Until(r.expires).Seconds())))
		}
		p.mu.Unlock()
		c.send(res)
		return
	}
	if v, ok := contactHdr.Params.Get("expires"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			expires = n
		}
	}
	if contactHdr.Address.Wildcard || strings.TrimSpace(contactHdr.Value()) == "*" {
		expires = 0
	}
	expires = min(expires, p.cfg.MaxExpires)
	contact := contactHdr.Address.String()
	if expires <= 0 {
		p.mu.Lock()
		r := p.regs[ext]
		if r != nil && r.conn == c {
			delete(p.regs, ext)
		} else {
			r = nil
		}
		p.mu.Unlock()
		c.send(response(req, 200, "OK", newTag()))
		if r != nil {
			p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: r.contact, Reason: "expires 0"})
		}
		return
	}
	headers := map[string]string{}
	for _, h := range req.Headers() {
		if strings.HasPrefix(strings.ToLower(h.Name()), "x-") {
			headers[h.Name()] = h.Value()
		}
	}
	reg := &registration{ext: ext, contact: contact, conn: c, headers: headers,
		expires: time.Now().Add(time.Duration(expires) * time.Second), userAgent: headerValue(req, "User-Agent")}
	p.mu.Lock()
	old := p.regs[ext]
	p.regs[ext] = reg
	p.mu.Unlock()
	res := response(req, 200, "OK", newTag())
	res.h("Contact", "<"+contact+">;expires="+strconv.Itoa(expires))
	res.h("Date", time.Now().UTC().Format(http.TimeFormat))
	c.send(res)
	if old != nil && old.conn != c {
		p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: old.contact, Reason: "replaced"})
	}
	if old == nil || old.conn != c || old.contact != contact {
		p.emit(Event{Type: EvRegistered, Ext: ext, Contact: contact, Headers: headers})
	}
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

// ---- the control API ----

// InviteOptions shape a call the PBX places to an agent.
type InviteOptions struct {
	// AutoAnswer adds Call-Info: <sip:domain>;answer-after=0 (the agent
	// answers at once, as for the platform's own `call` leg).
	AutoAnswer bool
	// Audio and Video are the spec's media ints from the agent's side:
	// 0 none, 1 agent sends only, 2 agent receives only, 3 both. Audio 0
	// offers audio inactive; Video 0 offers no video m= line.
	// The zero value of InviteOptions is audio sendrecv and no video only
	// if Audio is set; use DefaultAudio (3) for plain calls.
	Audio, Video int
	// Pixels is the video height asked for (480/720/1280), sent as
	// X-CC-Pixels.
	Pixels int
	// Caller and CallerName form the From (default "pbx").
	Caller, CallerName string
	// ToneHz overrides the PBX tone for this call.
	ToneHz float64
	// Headers are extra headers for the INVITE.
	Headers map[string]string
	// Plain leaves out what only this PBX puts on its INVITEs and
	// re-INVITEs: X-CC-UUID and the auto-answer hint (AutoAnswer still
	// says how the leg is meant to be answered). Nothing shows the real
	// platform's FreeSWITCH sends either (docs/pbx.md).
	Plain bool
}

// DefaultAudio is audio both ways.
const DefaultAudio = 3

// Invite places a call to ext's registered contact: it builds a complete
// offer (ICE gathered), sends the INVITE with X-CC-UUID: uuid and returns.
// The call goes on in the background; follow it with events, WaitAnswered
// or Snapshot.
func (p *PBX) Invite(ctx context.Context, ext, uuid string, opts InviteOptions) error {
	if uuid == "" {
		return errors.New("pbx: empty uuid")
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	reg := p.liveReg(ext)
	if reg == nil {
		p.mu.Unlock()
		return ErrNotRegistered
	}
	if _, dup := p.calls[uuid]; dup {
		p.mu.Unlock()
		return ErrCallExists
	}
	call := p.newCall(uuid, ext, reg.conn, true)
	call.opts = opts
	call.remoteTarget = reg.contact
	call.cid = randHex(12) + "@" + p.cfg.Domain
	p.calls[uuid] = call
	p.byCID[call.cid] = call
	p.mu.Unlock()
	if err := call.startOutbound(ctx); err != nil {
		call.end("pbx", 0, err.Error())
		return err
	}
	return nil
}

// call finds a call in progress, or else one that ended lately.
func (p *PBX) call(uuid string) (*Call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.calls[uuid]; c != nil {
		return c, nil
	}
	if c := p.ended[uuid]; c != nil {
		return c, nil
	}
	return nil, ErrNoCall
}

// WaitAnswered blocks until the call is answered (nil), ends unanswered
// (ErrCallEnded, or a *RequestError for a failure response) or ctx ends.
func (p *PBX) WaitAnswered(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	select {
	case <-c.answered:
		return nil
	case <-c.done:
		select {
		case <-c.answered:
			return nil
		default:
		}
		return c.endError()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitEnded blocks until the call is over or ctx ends.
func (p *PBX) WaitEnded(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return nil // already gone
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Answer answers an agent-originated call left ringing (Config.AcceptAgentCalls
// without AutoAnswerAgentCalls).
func (p *PBX) Answer(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.answerIncoming()
}

// Hold puts the agent's leg on hold (on) or takes it off (off) with a
// re-INVITE: on offers every m= line inactive, so media stops both ways;
// off offers the call's media again. It returns once the re-INVITE is
// answered.
func (p *PBX) Hold(ctx context.Context, uuid string, on bool) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.reinvite(ctx, func(m *mediaLeg) { m.held = on })
}

// ChangeMedia re-INVITEs with new media (the spec's ints, agent's side;
// video > 0 adds a video m= line if there is none, 0 makes it inactive).
func (p *PBX) ChangeMedia(ctx context.Context, uuid string, audio, video int) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.reinvite(ctx, func(m *mediaLeg) {
		m.want = [2]Direction{Direction(audio & 3).Mirror(), Direction(video & 3).Mirror()}
	})
}

// Hangup ends a call from the PBX side: BYE once answered, CANCEL while
// ringing, a 487 to an agent INVITE still ringing. It returns once the
// call is over (or ctx ends, in which case the call is torn down anyway).
func (p *PBX) Hangup(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.hangup(ctx)
}

// SendInfo sends a SIP INFO in the call's dialog (e.g. to test the agent's
// handling of one); it returns the response code.
func (p *PBX) SendInfo(ctx context.Context, uuid, contentType string, body []byte) (int, error) {
	c, err := p.call(uuid)
	if err != nil {
		return 0, err
	}
	res, err := c.inDialog(ctx, "INFO", contentType, body, nil)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Calls lists the uuids of the calls in progress.
func (p *PBX) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.calls))
	for u := range p.calls {
		out = append(out, u)
	}
	return out
}

// WaitSnapshot polls the call's snapshot every 10 ms until cond holds, the
// call ends (the last snapshot and ErrCallEnded) or ctx ends.
func (p *PBX) WaitSnapshot(ctx context.Context, uuid string, cond func(Snapshot) bool) (Snapshot, error) {
	c, err := p.call(uuid)
	if err != nil {
		return Snapshot{}, err
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s := c.snapshot()
		if cond(s) {
			return s, nil
		}
		select {
		case <-c.done:
			s = c.snapshot()
			if cond(s) {
				return s, nil
			}
			return s, ErrCallEnded
		case <-ctx.Done():
			return s, ctx.Err()
		case <-t.C:
		}
	}
}

// Snapshot reports a call's state and media: packet counts each way, the
// analysis of the last 200 ms of received audio, DTMF digits received.
func (p *PBX) Snapshot(uuid string) (Snapshot, error) {
	c, err := p.call(uuid)
	if err != nil {
		return Snapshot{}, err
	}
	return c.snapshot(), nil
}
