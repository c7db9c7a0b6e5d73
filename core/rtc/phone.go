package rtc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/eventq"
)

// Phone is one agent's SIP user agent over WebSocket: it keeps the link up,
// the registration fresh, and the calls' dialogs. Create it with New, start
// it with Start (or Register), end it with Close.
type Phone struct {
	cfg    Config
	log    *slog.Logger
	events *eventq.Queue[Event] // nil without a handler
	media  MediaFactory
	// ownMedia is the default engine, closed with the phone.
	ownMedia *MediaEngine

	transport string // "WS" or "WSS" (Via)
	viaHost   string // random .invalid host (RFC 7118 §5.2)
	contact   sip.ContactHeader
	aor       sip.Uri

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	started   bool
	linkUp    chan struct{} // pulsed (closed and replaced) when a link comes up

	mu        sync.Mutex
	closed    bool
	cur       *link
	linkState LinkState
	calls     map[string]*Call // by Call-ID

	connMu   sync.Mutex // orders connectivity reports
	lastConn *Connectivity

	callWG sync.WaitGroup // call workers and their helpers

	txMu sync.Mutex
	txs  map[string]*clientTx

	reg registrar
}

// New checks cfg and creates a phone; nothing is sent before Start.
func New(cfg Config) (*Phone, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.URL)
	p := &Phone{
		cfg:       c,
		log:       c.Logger.With("component", "rtc", "ext", c.User),
		events:    newEventQueue(c.OnEvent, c.Logger),
		media:     c.Media,
		transport: strings.ToUpper(u.Scheme),
		viaHost:   randHex(5) + ".invalid",
		closing:   make(chan struct{}),
		linkUp:    make(chan struct{}),
		calls:     map[string]*Call{},
		txs:       map[string]*clientTx{},
	}
	if p.media == nil {
		f, err := NewMediaEngine(MediaEngineConfig{ICEServers: c.ICEServers, IncludeLoopback: c.IncludeLoopback, Logger: c.Logger,
			ConnectTimeout: c.MediaConnectTimeout})
		if err != nil {
			return nil, err
		}
		p.media = f
		p.ownMedia = f
	}
	params := sip.NewParams()
	params.Add("transport", strings.ToLower(p.transport))
	p.contact = sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: c.User, Host: randHex(6) + ".invalid", UriParams: params},
		Params:  sip.NewParams(),
	}
	p.aor = sip.Uri{Scheme: "sip", User: c.User, Host: c.Domain}
	p.reg.init(p)
	return p, nil
}

// Config returns the configuration in use (defaults filled in; Password
// included: do not log it).
func (p *Phone) Config() Config { return p.cfg }

// AOR is the address of record, sip:{User}@{Domain}.
func (p *Phone) AOR() string { return p.aor.String() }

// Start brings the link up and registers, in the background; follow it
// with events or WaitRegistered. Calling it again is a no-op.
func (p *Phone) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.started {
		return nil
	}
	p.started = true
	p.reg.want = true
	p.wg.Add(2)
	go p.runLink()
	go p.reg.loop()
	return nil
}

// Register starts the phone if needed (re-enabling the registration after
// Unregister or a failure) and waits for the outcome: nil once registered,
// a *StatusError (e.g. 403) or ErrAuthLoop if refused, ctx's error on timeout.
func (p *Phone) Register(ctx context.Context) error {
	if err := p.Start(); err != nil {
		return err
	}
	return p.reg.enableAndWait(ctx)
}

// WaitRegistered waits for the registration to be in place.
func (p *Phone) WaitRegistered(ctx context.Context) error {
	return p.reg.wait(ctx, false)
}

// Unregister removes the binding (REGISTER with Expires: 0) and stops
// refreshing it; the link stays up for calls in progress. Register again
// to come back.
func (p *Phone) Unregister(ctx context.Context) error {
	return p.reg.unregister(ctx)
}

// Registration reports the registration's state.
func (p *Phone) Registration() RegState { return p.reg.stateNow() }

// Close hangs up every call, removes the binding, closes the link and
// stops. It waits at most ctx's deadline (or 3s) for the goodbyes.
func (p *Phone) Close() error {
	return p.CloseContext(context.Background())
}

// CloseContext is Close with a bound on the goodbyes (BYE, un-REGISTER).
func (p *Phone) CloseContext(ctx context.Context) error {
	first := false
	p.closeOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
	}
	p.mu.Lock()
	started := p.started
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Hangup(ctx)
		}()
	}
	wg.Wait()
	if started {
		_ = p.reg.unregister(ctx)
	}
	p.mu.Lock()
	p.closed = true
	l := p.cur
	p.mu.Unlock()
	close(p.closing)
	if l != nil {
		l.close("closed")
	}
	p.wg.Wait()
	p.callWG.Wait()
	if p.ownMedia != nil {
		_ = p.ownMedia.Close()
	}
	p.setLink(LinkClosed, "closed", 0, 0)
	// The events queued so far (the calls' ends, the link closed) are
	// still delivered; Close waits for them unless called from the handler.
	p.events.Seal()
	_ = p.events.Wait(context.Background())
	return nil
}

// ---- the link ----

func (p *Phone) setLink(s LinkState, reason string, attempt int, delay time.Duration) {
	p.mu.Lock()
	changed := p.linkState != s
	p.linkState = s
	p.mu.Unlock()
	if !changed && s != LinkReconnecting {
		return
	}
	p.emit(Event{Type: EventLink, Link: s, Reason: reason, Attempt: attempt, Delay: delay})
	p.emitConnectivity()
}

// LinkState reports the link's state.
func (p *Phone) LinkState() LinkState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linkState
}

// runLink dials, serves the link until it drops, and dials again with
// backoff until Close.
func (p *Phone) runLink() {
	defer p.wg.Done()
	attempt := 0
	everUp := false
	p.setLink(LinkConnecting, "", 0, 0)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
		go func() {
			select {
			case <-p.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		l, _, err := dialLink(ctx, &p.cfg)
		cancel()
		if err == nil {
			everUp = true
			upAt := time.Now()
			p.serveLink(l)
			err = fmt.Errorf("%s", l.downReason())
			if time.Since(upAt) >= p.cfg.Reconnect.Stable {
				attempt = 0 // only a link that stayed up resets the backoff
			}
		}
		if p.isClosing() {
			return
		}
		attempt++
		if p.cfg.Reconnect.Disabled && everUp {
			p.setLink(LinkDisconnected, err.Error(), 0, 0)
			return
		}
		delay := p.cfg.Reconnect.Delay(attempt, rand.Float64)
		p.log.Info("SIP link down", "err", err, "attempt", attempt, "retry_in", delay)
		p.setLink(LinkReconnecting, err.Error(), attempt, delay)
		t := time.NewTimer(delay)
		select {
		case <-p.closing:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (p *Phone) isClosing() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}

// serveLink runs one connection until it drops.
func (p *Phone) serveLink(l *link) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.close("closed")
		return
	}
	p.cur = l
	pulse := p.linkUp
	p.linkUp = make(chan struct{})
	p.mu.Unlock()
	p.log.Info("SIP link up", "url", p.cfg.URL)
	close(pulse)
	p.setLink(LinkConnected, "", 0, 0)
	p.reg.kick(true)

	kaDone := make(chan struct{})
	go func() {
		defer close(kaDone)
		p.keepalive(l)
	}()
	l.readLoop(p.cfg.MaxMessageSize, p.onFrame, p.onOversize)
	<-kaDone

	p.mu.Lock()
	if p.cur == l {
		p.cur = nil
	}
	p.mu.Unlock()
	p.failTxs(l)
	p.reg.linkLost()
	p.linkLostCalls()
}

// current returns the link in use, or nil.
func (p *Phone) current() *link {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// waitLinkUp returns a channel closed when the next link comes up.
func (p *Phone) nextLinkUp() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linkUp
}

func (p *Phone) keepalive(l *link) {
	ka := p.cfg.Keepalive
	if ka.Mode == KeepaliveOff {
		<-l.done
		return
	}
	t := time.NewTicker(ka.Interval)
	defer t.Stop()
	var pingAt time.Time
	check := time.NewTicker(max(ka.Timeout/4, 50*time.Millisecond))
	defer check.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-check.C:
			if pingAt.IsZero() {
				continue
			}
			if time.Unix(0, l.lastRx.Load()).After(pingAt) {
				pingAt = time.Time{}
				continue
			}
			if time.Since(pingAt) > ka.Timeout {
				p.log.Warn("SIP link dead: no answer to keepalive", "mode", ka.Mode.String(), "timeout", ka.Timeout)
				l.close("keepalive timeout")
				return
			}
		case <-t.C:
			switch ka.Mode {
			case KeepaliveWSPing:
				if err := l.ping(); err != nil {
					l.close("ping: " + err.Error())
					return
				}
				if pingAt.IsZero() {
					pingAt = time.Now()
				}
			case KeepaliveCRLF:
				if err := l.write([]byte("\r\n\r\n")); err != nil {
					return
				}
				if l.crlfPong.Load() && pingAt.IsZero() {
					pingAt = time.Now()
				}
			case KeepaliveOptions:
				if pingAt.IsZero() {
					pingAt = time.Now()
				}
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), ka.Timeout)
					defer cancel()
					req := p.outOfDialog(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: p.cfg.Domain})
					_, _ = p.roundTrip(ctx, req, nil)
				}()
			}
		}
	}
}

// ---- messages in ----

func (p *Phone) onFrame(data []byte) {
	msg, err := sip.ParseMessage(data)
	if err != nil {
		p.log.Warn("unparsable SIP message", "err", err, "bytes", len(data))
		return
	}
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("SIP in", "msg", redactSIP(string(data)))
	}
	switch m := msg.(type) {
	case *sip.Response:
		p.onResponse(m)
	case *sip.Request:
		if m.Via() == nil || m.CallID() == nil || m.CSeq() == nil || m.From() == nil || m.To() == nil {
			p.log.Warn("SIP request without mandatory headers", "method", m.Method)
			return
		}
		p.onRequest(m)
	}
}

// onOversize answers a SIP message over Config.MaxMessageSize: a request
// gets 513 Message Too Large (RFC 3261 §21.5.11), read from its first
// bytes (the headers; the body is not needed); a response is dropped.
func (p *Phone) onOversize(head []byte, size int64) {
	hdr := head
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		hdr = head[:i]
	} else if i := bytes.LastIndex(head, []byte("\r\n")); i >= 0 {
		hdr = head[:i] // the headers alone are over the limit: keep the whole lines
	}
	var kept [][]byte
	for _, line := range bytes.Split(hdr, []byte("\r\n")) {
		name, _, _ := bytes.Cut(line, []byte(":"))
		n := strings.ToLower(strings.TrimSpace(string(name)))
		if n == "content-length" || n == "l" {
			continue
		}
		kept = append(kept, line)
	}
	msg, err := sip.ParseMessage(append(bytes.Join(kept, []byte("\r\n")), "\r\nContent-Length: 0\r\n\r\n"...))
	req, isReq := msg.(*sip.Request)
	if err != nil || !isReq || req.Method == sip.ACK || req.Via() == nil || req.CallID() == nil || req.CSeq() == nil || req.From() == nil || req.To() == nil {
		p.log.Warn("SIP message over the size limit dropped", "bytes", size, "limit", p.cfg.MaxMessageSize, "first_line", firstLine(string(head)))
		return
	}
	p.log.Warn("SIP request over the size limit: 513", "method", req.Method, "bytes", size, "limit", p.cfg.MaxMessageSize)
	p.send(p.response(req, 513, "Message Too Large", ""))
}

func (p *Phone) onRequest(req *sip.Request) {
	cid := req.CallID().Value()
	p.mu.Lock()
	c := p.calls[cid]
	p.mu.Unlock()
	if c != nil {
		c.inbox.push(req)
		return
	}
	switch req.Method {
	case sip.INVITE:
		if _, has := req.To().Params.Get("tag"); !has {
			p.onInvite(req)
			return
		}
	case sip.ACK:
		return
	case sip.OPTIONS:
		res := p.response(req, 200, "OK", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		p.send(res)
		return
	case sip.NOTIFY:
		// Unsolicited NOTIFY (message-summary and the like): accept.
		p.send(p.response(req, 200, "OK", ""))
		return
	}
	p.send(p.response(req, 481, "Call/Transaction Does Not Exist", ""))
}

const allowMethods = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, UPDATE, NOTIFY"

// ---- messages out ----

// send writes a message on the current link; false if there is none.
func (p *Phone) send(m sip.Message) bool {
	l := p.current()
	if l == nil {
		p.log.Debug("SIP message dropped: link down", "msg", firstLine(m.String()))
		return false
	}
	return p.sendOn(l, m) == nil
}

func (p *Phone) sendOn(l *link, m sip.Message) error {
	s := m.String()
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("SIP out", "msg", redactSIP(s))
	}
	return l.write([]byte(s))
}

// response builds a response to req: Via, From, To (with toTag added when
// To has none and toTag is set), Call-ID, CSeq.
func (p *Phone) response(req *sip.Request, code int, reason, toTag string) *sip.Response {
	res := sip.NewResponse(code, reason)
	for _, v := range req.GetHeaders("Via") {
		res.AppendHeader(sip.HeaderClone(v))
	}
	// RFC 3261 §12.1.1: a response that establishes a dialog (18x, 2xx to
	// INVITE) carries the request's Record-Route, in order; without it a
	// proxy (Kamailio) cannot route the caller's ACK and BYE back to us.
	if req.Method == sip.INVITE && code > 100 && code < 300 {
		for _, v := range req.GetHeaders("Record-Route") {
			res.AppendHeader(sip.HeaderClone(v))
		}
	}
	res.AppendHeader(sip.HeaderClone(req.From()))
	to := sip.HeaderClone(req.To()).(*sip.ToHeader)
	if _, has := to.Params.Get("tag"); !has && toTag != "" {
		if to.Params == nil {
			to.Params = sip.NewParams()
		}
		to.Params.Add("tag", toTag)
	}
	res.AppendHeader(to)
	res.AppendHeader(sip.HeaderClone(req.CallID()))
	res.AppendHeader(sip.HeaderClone(req.CSeq()))
	res.AppendHeader(sip.NewHeader("Server", p.cfg.UserAgent))
	res.SetBody(nil)
	return res
}

// outOfDialog builds a request outside any dialog (REGISTER, OPTIONS,
// initial INVITE): new Call-ID, From with a new tag, To without one.
func (p *Phone) outOfDialog(method sip.RequestMethod, target sip.Uri) *sip.Request {
	req := sip.NewRequest(method, target)
	from := sip.FromHeader{DisplayName: p.cfg.DisplayName, Address: p.aor, Params: sip.NewParams()}
	from.Params.Add("tag", randHex(6))
	req.AppendHeader(&from)
	to := sip.ToHeader{Address: target, Params: sip.NewParams()}
	if method == sip.REGISTER {
		to.Address = p.aor
	}
	req.AppendHeader(&to)
	cid := sip.CallIDHeader(randHex(12))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("User-Agent", p.cfg.UserAgent))
	return req
}

// ---- client transactions ----

// clientTx waits for the responses to one request. Over WebSocket (a
// reliable transport) there are no retransmissions to do.
type clientTx struct {
	key  string
	ch   chan *sip.Response
	l    *link
	lost chan struct{} // closed when l went down
}

func txKey(branch string, method sip.RequestMethod) string { return branch + "|" + string(method) }

func branchOf(m sip.Message) string {
	if v := m.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}

// setVia puts a fresh top Via with a new branch on req.
func (p *Phone) setVia(req *sip.Request, branch string) {
	req.RemoveHeader("Via")
	params := sip.NewParams()
	params.Add("branch", branch)
	params.Add("rport", "")
	req.PrependHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: p.transport, Host: p.viaHost, Params: params})
}

func newBranch() string { return sip.RFC3261BranchMagicCookie + randHex(8) }

// startTx registers a transaction for req's branch and sends req.
func (p *Phone) startTx(req *sip.Request) (*clientTx, error) {
	l := p.current()
	if l == nil {
		return nil, ErrNotConnected
	}
	t := &clientTx{key: txKey(branchOf(req), req.CSeq().MethodName), ch: make(chan *sip.Response, 16), l: l, lost: make(chan struct{})}
	p.txMu.Lock()
	p.txs[t.key] = t
	p.txMu.Unlock()
	if err := p.sendOn(l, req); err != nil {
		p.endTx(t)
		return nil, ErrNotConnected
	}
	return t, nil
}

func (p *Phone) endTx(t *clientTx) {
	p.txMu.Lock()
	if p.txs[t.key] == t {
		delete(p.txs, t.key)
	}
	p.txMu.Unlock()
}

// failTxs ends the transactions sent on l (it went down).
func (p *Phone) failTxs(l *link) {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	for k, t := range p.txs {
		if t.l == l {
			close(t.lost)
			delete(p.txs, k)
		}
	}
}

func (p *Phone) onResponse(res *sip.Response) {
	cseq := res.CSeq()
	if cseq == nil {
		return
	}
	key := txKey(branchOf(res), cseq.MethodName)
	p.txMu.Lock()
	t := p.txs[key]
	p.txMu.Unlock()
	if t != nil {
		select {
		case t.ch <- res:
		default:
			p.log.Warn("SIP response dropped: transaction queue full", "status", res.StatusCode)
		}
		return
	}
	// A 2xx to an INVITE whose transaction is over: our ACK was lost; the
	// call answers it again.
	if cseq.MethodName == sip.INVITE && res.StatusCode/100 == 2 && res.CallID() != nil {
		p.mu.Lock()
		c := p.calls[res.CallID().Value()]
		p.mu.Unlock()
		if c != nil {
			c.resendAck(cseq.SeqNo)
		}
	}
}

// next waits for t's next response.
func (p *Phone) next(ctx context.Context, t *clientTx) (*sip.Response, error) {
	select {
	case r := <-t.ch:
		return r, nil
	case <-t.lost:
		return nil, ErrLinkLost
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// roundTrip sends req with a fresh branch and returns its final response;
// provisional responses go to onProv. Without a deadline on ctx the
// request times out after RequestTimeout.
func (p *Phone) roundTrip(ctx context.Context, req *sip.Request, onProv func(*sip.Response)) (*sip.Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.RequestTimeout)
		defer cancel()
	}
	p.setVia(req, newBranch())
	t, err := p.startTx(req)
	if err != nil {
		return nil, err
	}
	defer p.endTx(t)
	for {
		res, err := p.next(ctx, t)
		if err != nil {
			return nil, err
		}
		if res.StatusCode >= 200 {
			return res, nil
		}
		if onProv != nil {
			onProv(res)
		}
	}
}

// challengeOf reads the digest challenge of a 401/407.
func challengeOf(res *sip.Response) (challenge, bool) {
	name, proxy := "WWW-Authenticate", false
	if res.StatusCode == 407 {
		name, proxy = "Proxy-Authenticate", true
	}
	var vals []string
	for _, h := range res.GetHeaders(name) {
		vals = append(vals, h.Value())
	}
	return pickChallenge(vals, proxy)
}

// setAuth puts the credentials for c on req (CSeq already bumped).
func (p *Phone) setAuth(req *sip.Request, c challenge, nc uint32) {
	name := "Authorization"
	if c.proxy {
		name = "Proxy-Authorization"
	}
	req.RemoveHeader(name)
	req.AppendHeader(sip.NewHeader(name, authorization(c, p.cfg.AuthUser, p.cfg.Password, string(req.Method), req.Recipient.String(), nc)))
}

func bumpCSeq(req *sip.Request) uint32 {
	cs := req.CSeq()
	cs.SeqNo++
	return cs.SeqNo
}

// ---- connectivity ----

// Connectivity returns the joined view of link, registration and calls.
func (p *Phone) Connectivity() Connectivity {
	reg := p.reg.stateNow()
	p.mu.Lock()
	c := Connectivity{Link: p.linkState, Registration: reg}
	calls := make([]*Call, 0, len(p.calls))
	for _, call := range p.calls {
		calls = append(calls, call)
	}
	p.mu.Unlock()
	c.OK = c.Link == LinkConnected && c.Registration == RegRegistered
	for _, call := range calls {
		st, ice := call.stateAndICE()
		if st == CallEnded {
			continue
		}
		c.Calls = append(c.Calls, CallConnectivity{ID: call.id, UUID: call.UUID(), State: st, ICE: ice, MediaFailure: call.MediaFailure()})
		if (st == CallConfirmed || st == CallHeld) && ice != ICEConnected {
			c.OK = false
		}
	}
	sortCalls(c.Calls)
	return c
}

func sortCalls(cs []CallConnectivity) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].ID < cs[j-1].ID; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// emitConnectivity reports the joined view when it changed.
func (p *Phone) emitConnectivity() {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	c := p.Connectivity()
	if c.equal(p.lastConn) {
		return
	}
	p.lastConn = &c
	p.emit(Event{Type: EventConnectivity, Connectivity: &c})
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return s[:i]
	}
	return s
}
