// Package session is one agent's link to the CTI server: the WebSocket, the
// matching of replies to requests, the heartbeat, reconnection with session
// restore, and the ordered delivery of pushed events.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Session is one agent's CTI link. It is safe for concurrent use; thousands
// can live in one process. Create it with New, end it with Close.
type Session struct {
	cfg     Config
	dialer  *websocket.Dialer
	events  *eventq.Queue[Event] // nil without a handler: events are dropped
	dialURL string               // cfg.URL, plus the identity segment of the platform's handshake
	ordered bool                 // the server answers a link's frames in order (the platform's does)

	mu            sync.Mutex
	state         State
	conn          *websocket.Conn
	gen           uint64        // bumped for every new connection
	up            chan struct{} // closed while a usable link is up
	pending       map[string]*pendingCall
	sent          []*sentFrame          // frames in flight on the link, in the order written
	linkRefusal   *protocol.ServerError // a 4003 after which the server closes the link
	linkRefusalAt time.Time
	checkinBusy   chan struct{} // closed when the check-in in flight settles
	token         string
	ext           string                   // the extension the last check-in bound
	status        protocol.AgentStatus     // the agent's last known status
	ringing       []ringingCall            // recent callins' media, newest last
	checkin       *protocol.CheckinRequest // last successful check-in, for restore
	lastErr       error                    // why the last dial or link failed
	attempts      int                      // reconnect attempts since the last stable link
	linkSince     time.Time                // when the current link came up
	hbTimer       *time.Timer
	hbPending     string // req_id of the unanswered heartbeat ping
	hbMissed      int
	gaveUp        chan struct{} // closed when a dial cycle gives up (reconnect disabled)
	closed        <-chan struct{}
	ctx           context.Context // done when the session closes
	cancel        context.CancelFunc
	wg            sync.WaitGroup

	framesRead atomic.Uint64 // frames the reader has read, on any link
	rttAvg     atomic.Int64  // moving average of round trips, ns (spinning)
	wmu        sync.Mutex    // one writer at a time on the current conn; taken before mu
	wdeadline  time.Time     // current write deadline, under wmu

	lateReplies atomic.Uint64
	secrets     protocol.Redactor // see Secrets
}

type pendingCall struct {
	reqID string
	req   protocol.Request // what the reader learns from its reply
	typ   protocol.MsgType
	gen   uint64
	seq   uint64 // framesRead when it was registered: older frames cannot answer it
	ch    chan result
}

// sentFrame is a frame in flight: a request (pc) or a ping (pc nil). A
// request that gave up waiting stays as a tombstone (dead) on an ordered
// link, so the frames after it are still attributed by their place.
type sentFrame struct {
	reqID string
	pc    *pendingCall
	dead  bool
}

type result struct {
	reply protocol.Reply
	err   error
	mark  uint64 // events queued before the reply: delivered before it returns
}

// ringingCall is what a callin said of a call's media (answer's defaults).
type ringingCall struct {
	uuid         string
	audio, video *protocol.MediaDirection
}

// refusalCloseWindow is how soon after a 4003 refusal a link close is taken
// as caused by it.
const refusalCloseWindow = 5 * time.Second

// uuidPool turns on uuid's buffered randomness once: req_ids are generated
// for every request and crypto/rand per call is the costliest part of that.
var uuidPool sync.Once

// closeFrameTimeout bounds the close frame Close sends.
const closeFrameTimeout = 250 * time.Millisecond

// drainTimeout is how long the reader may still read after a write failed.
const drainTimeout = 500 * time.Millisecond

// LevelTrace is the slog level of the frame log (below Debug).
const LevelTrace = slog.Level(-8)

// writeBuffers is shared by every session: a buffer is held only while a
// frame is written, which keeps thousands of idle sessions small.
var writeBuffers = &sync.Pool{}

// New makes a session; it does not touch the network. The link comes up on
// Connect or on the first request.
func New(cfg Config) (*Session, error) {
	uuidPool.Do(uuid.EnableRandPool)
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Session{
		cfg:     c,
		dialURL: c.dialURL,
		ordered: c.identity,
		up:      make(chan struct{}),
		gaveUp:  make(chan struct{}),
		pending: make(map[string]*pendingCall),
		token:   c.Token,
		events:  newEventQueue(c.Handler, c.Logger, c.EventQueueMax, c.EventQueueMaxBytes),
	}
	s.secrets.Learn(c.Token)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.closed = s.ctx.Done()
	s.dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: c.DialTimeout,
		TLSClientConfig:  c.TLSConfig,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  writeBuffers,
	}
	return s, nil
}

// Config returns the session's configuration with defaults applied.
func (s *Session) Config() Config { return s.cfg }

// State returns the link's current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Token returns the current session token ("" when none).
func (s *Session) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// SetToken sets the session token (e.g. from HTTP get_token): it goes into
// every frame and the SDK-TOKEN header until check-in replaces it.
func (s *Session) SetToken(t string) {
	s.secrets.Learn(t)
	s.mu.Lock()
	s.token = t
	s.mu.Unlock()
}

// ExtID returns the extension the agent checked in at (the check-in reply's
// ext_id), else the configured one.
func (s *Session) ExtID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ext != "" {
		return s.ext
	}
	return s.cfg.ExtID
}

// Status returns the agent's last known status ("" before any was seen).
func (s *Session) Status() protocol.AgentStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// CheckedIn reports whether the agent is checked in through this session.
func (s *Session) CheckedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkin != nil
}

// Connect brings the link up, waiting until it is or ctx ends. It is
// optional: a request connects the link when it is not up.
func (s *Session) Connect(ctx context.Context) error {
	return s.waitUp(ctx)
}

// waitUp starts the link if it is down and waits until it is up.
func (s *Session) waitUp(ctx context.Context) error {
	s.mu.Lock()
	if s.state == StateClosed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.state == StateIdle || s.state == StateDisconnected {
		s.startLinkLocked(StateConnecting)
	}
	up, gaveUp := s.up, s.gaveUp
	s.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-s.closed:
		return ErrClosed
	case <-gaveUp:
		// %w on the cause too: callers tell a TLS failure from a refusal.
		return fmt.Errorf("%w: %w", ErrNotConnected, s.lastError())
	case <-ctx.Done():
		if last := s.lastError(); last != nil {
			return fmt.Errorf("%w: %w (last error: %w)", ErrNotConnected, ctxErr(ctx), last)
		}
		return fmt.Errorf("%w: %w", ErrNotConnected, ctxErr(ctx))
	}
}

func (s *Session) lastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}

// Do sends a request and waits for its reply. It fills req_id,
// company_code, agent_id, ext_id, os and the token when they are empty, and
// the fields the platform requires (protocol.FillRequired). The wait ends
// with ctx, or after Config.RequestTimeout when ctx has no deadline. A reply
// whose code is not "0" is returned together with a *protocol.ServerError.
// When it returns, the events that arrived before the reply have been
// handled (the platform pushes a request's events before its reply).
func (s *Session) Do(ctx context.Context, req protocol.Request) (protocol.Reply, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", ErrInvalidArgument)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	s.fill(req)
	s.learnRequest(req)
	if err := s.validate(req); err != nil {
		return nil, err
	}
	h := req.RequestHeader()
	for {
		if err := s.waitUp(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", h.MsgType, err)
		}
		reply, err := s.roundTrip(ctx, req)
		if errors.Is(err, ErrNotConnected) && ctx.Err() == nil {
			continue // the link dropped between the wait and the write: wait again
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.MsgType, err)
		}
		return reply, reply.Header().Err()
	}
}

// fill completes a request's header from the session, and the fields the
// platform requires.
func (s *Session) fill(req protocol.Request) {
	s.mu.Lock()
	s.fillLocked(req)
	s.mu.Unlock()
}

func (s *Session) fillLocked(req protocol.Request) {
	h := req.RequestHeader()
	h.MsgType = req.Type()
	if h.ReqID == "" {
		h.ReqID = uuid.NewString()
	}
	if h.CompanyCode == "" {
		h.CompanyCode = s.cfg.CompanyCode
	}
	if h.AgentID == "" {
		h.AgentID = s.cfg.AgentID
	}
	if h.ExtID == "" {
		// Never invented: the platform wants the agent's bound extension.
		h.ExtID = s.ext
		if h.ExtID == "" {
			h.ExtID = s.cfg.ExtID
		}
	}
	if h.OS == "" {
		h.OS = s.cfg.OS
	}
	if a, ok := req.(*protocol.AnswerRequest); ok {
		// An answer takes the ringing call's own media, as callin said.
		for i := len(s.ringing) - 1; i >= 0; i-- {
			if r := s.ringing[i]; r.uuid == a.UUID {
				if a.Audio == nil {
					a.Audio = r.audio
				}
				if a.Video == nil {
					a.Video = r.video
				}
				break
			}
		}
	}
	protocol.FillRequired(req)
}

// noteRinging remembers a callin's media for answer's defaults.
func (s *Session) noteRinging(e *protocol.CallinEvent) {
	if e.UUID == "" || (e.Audio == nil && e.Video == nil) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ringing) >= maxRinging {
		s.ringing = append(s.ringing[:0], s.ringing[1:]...)
	}
	s.ringing = append(s.ringing, ringingCall{uuid: e.UUID, audio: e.Audio, video: e.Video})
}

// maxRinging bounds the callins remembered for answer's defaults.
const maxRinging = 16

func (s *Session) validate(req protocol.Request) error {
	h := req.RequestHeader()
	if h.CompanyCode == "" || h.AgentID == "" {
		return fmt.Errorf("%w: %s needs company_code and agent_id", ErrInvalidArgument, req.Type())
	}
	if req.Type() == protocol.MsgCheckin && h.ExtID == "" {
		return fmt.Errorf("%w: checkin needs ext_id, the extension bound to agent %s (set \"ext_id\" in the config or the request)",
			ErrInvalidArgument, h.AgentID)
	}
	if s.ordered && (h.CompanyCode != s.cfg.CompanyCode || h.AgentID != s.cfg.AgentID || h.OS != s.cfg.OS) {
		// The platform binds the link to the handshake's company, agent and
		// os, and closes it on a frame for another.
		return fmt.Errorf("%w: %s for %s/%s/%s on the link of %s/%s/%s: use a client per agent",
			ErrInvalidArgument, req.Type(), h.CompanyCode, h.AgentID, h.OS, s.cfg.CompanyCode, s.cfg.AgentID, s.cfg.OS)
	}
	return nil
}

// roundTrip writes the request on the current link and waits for its
// reply. The reply is delivered at most once: whoever removes the pending
// entry (the reader, a timeout, a lost link) decides the outcome.
//
// The token goes into the frame at the moment it is written, and nothing is
// written while a check-in is in flight: the check-in replaces the token, and
// the platform closes a link on a frame with a stale one. On an ordered link,
// a request written while another is still in flight is preceded by a ping,
// a fence whose pong tells the reader where one request's replies end.
func (s *Session) roundTrip(ctx context.Context, req protocol.Request) (protocol.Reply, error) {
	h := req.RequestHeader()
	typ := req.Type()
	isCheckin := typ == protocol.MsgCheckin
	for {
		s.wmu.Lock()
		s.mu.Lock()
		if s.state == StateClosed {
			s.mu.Unlock()
			s.wmu.Unlock()
			return nil, ErrClosed
		}
		busy := s.checkinBusy
		if busy == nil {
			break
		}
		s.mu.Unlock()
		s.wmu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctxErr(ctx)
		case <-s.closed:
			return nil, ErrClosed
		}
	}
	// s.wmu and s.mu held.
	unlock := func() { s.mu.Unlock(); s.wmu.Unlock() }
	conn, gen := s.conn, s.gen
	if conn == nil || s.state != StateConnected {
		unlock()
		return nil, ErrNotConnected
	}
	if _, dup := s.pending[h.ReqID]; dup {
		unlock()
		return nil, fmt.Errorf("%w: req_id %q already in flight", ErrInvalidArgument, h.ReqID)
	}
	if !isCheckin {
		if s.token != "" {
			h.Token = protocol.Secret(s.token)
		} else if h.Token == "" {
			unlock()
			return nil, ErrNotCheckedIn
		}
	}
	frame, err := protocol.Encode(req)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	var fence []byte
	if s.ordered && s.token != "" && len(s.sent) > 0 && s.sent[len(s.sent)-1].pc != nil {
		ping := &protocol.PingRequest{}
		s.fillLocked(ping)
		ping.Token = protocol.Secret(s.token)
		if fence, err = protocol.Encode(ping); err == nil {
			s.sent = append(s.sent, &sentFrame{reqID: ping.ReqID})
		}
	}
	pc := &pendingCall{reqID: h.ReqID, req: req, typ: typ, gen: gen, seq: s.framesRead.Load(), ch: make(chan result, 1)}
	s.pending[h.ReqID] = pc
	s.sent = append(s.sent, &sentFrame{reqID: h.ReqID, pc: pc})
	if isCheckin {
		done := make(chan struct{})
		s.checkinBusy = done
		defer func() {
			s.mu.Lock()
			if s.checkinBusy == done {
				s.checkinBusy = nil
			}
			s.mu.Unlock()
			close(done)
		}()
	}
	s.mu.Unlock()
	if fence != nil {
		err = s.writeLocked(conn, fence)
	}
	if err == nil {
		err = s.writeLocked(conn, frame)
	}
	s.wmu.Unlock()
	if err != nil {
		if s.abandon(pc) {
			// Replies to earlier requests may still sit in the receive buffer:
			// let the reader drain them briefly; its failure then ends the link.
			_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
			return nil, fmt.Errorf("%w: %v", ErrConnectionLost, err)
		}
		// Close (or the reader) settled this call first: its outcome stands.
		return s.settled(ctx, <-pc.ch)
	}
	sent := time.Now()
	if budget := s.spinBudget(ctx); budget > 0 {
		// On a link whose replies come back within microseconds (loopback,
		// LAN), poll briefly before parking: a parked waiter must be woken
		// by another thread, which for a C caller (an OS-thread-locked
		// goroutine) costs about as much as the round trip itself.
		for end := sent.Add(budget); time.Now().Before(end); {
			select {
			case r := <-pc.ch:
				s.noteRTT(time.Since(sent))
				return s.settled(ctx, r)
			default:
			}
		}
	}
	select {
	case r := <-pc.ch:
		s.noteRTT(time.Since(sent))
		return s.settled(ctx, r)
	case <-ctx.Done():
		if !s.abandon(pc) {
			// The reply won the race; deliver it rather than lose it.
			return s.settled(ctx, <-pc.ch)
		}
		return nil, ctxErr(ctx)
	}
}

// settled finishes a round trip (the reader has already learned from the
// reply: token, check-in, status): the caller gets the reply once the events
// that came before it have been handled.
func (s *Session) settled(ctx context.Context, r result) (protocol.Reply, error) {
	if r.err != nil {
		return nil, r.err
	}
	// The platform sends a request's pushes before its reply: the caller
	// sees them first (not from the handler itself, which cannot run the
	// events behind the one it is handling).
	if err := s.events.WaitDelivered(ctx, r.mark, orderWait); errors.Is(err, eventq.ErrWaitLimit) {
		s.cfg.Logger.Warn("reply delivered before the events that preceded it: the event handler is still busy", "waited", orderWait)
	}
	return r.reply, nil
}

// abandon takes pc out of the pending calls; false means it was settled
// already. On an ordered link its frame stays in flight as a tombstone.
func (s *Session) abandon(pc *pendingCall) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[pc.reqID] != pc {
		return false
	}
	delete(s.pending, pc.reqID)
	for i, f := range s.sent {
		if f.pc == pc {
			if s.ordered {
				f.dead = true
			} else {
				s.sent = append(s.sent[:i], s.sent[i+1:]...)
			}
			break
		}
	}
	return true
}

// writeLocked writes one frame. s.wmu held.
func (s *Session) writeLocked(conn *websocket.Conn, frame []byte) error {
	if l := s.cfg.Logger; l.Enabled(context.Background(), LevelTrace) {
		l.Log(context.Background(), LevelTrace, "frame out", "frame", string(protocol.Redact(frame)))
	}
	// Refresh the write deadline only when half of it is used up: setting it
	// costs a timer update, and a stuck write is caught either way.
	if now := time.Now(); now.After(s.wdeadline.Add(-s.cfg.DialTimeout / 2)) {
		s.wdeadline = now.Add(s.cfg.DialTimeout)
		_ = conn.SetWriteDeadline(s.wdeadline)
	}
	return conn.WriteMessage(websocket.TextMessage, frame)
}

// afterReply keeps what the session learns from a successful reply: the
// token and the check-in a restore replays, the bound extension, the agent's
// status.
func (s *Session) afterReply(req protocol.Request, reply protocol.Reply) {
	if !reply.Header().OK() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r := req.(type) {
	case *protocol.CheckinRequest:
		cr, _ := reply.(*protocol.CheckinReply)
		saved := *r
		saved.ReqID, saved.Token = "", ""
		if cr != nil && cr.Token != "" {
			s.token = cr.Token.Reveal()
		}
		s.ext = r.ExtID
		if cr != nil && cr.ExtID != "" {
			s.ext = cr.ExtID
		}
		s.checkin = &saved
	case *protocol.CheckoutRequest:
		s.token = ""
		s.checkin = nil
		s.status = protocol.StatusOffline
	case *protocol.GetStatusRequest:
		if gs, ok := reply.(*protocol.GetStatusReply); ok && gs.Status != "" {
			s.status = gs.Status
		}
	case *protocol.ChangeStatusRequest:
		// The platform pushes nothing for MAKE_BUSY / FREE / REST: the reply
		// is the news. FORCE_* replies are about another agent.
		if cs, ok := reply.(*protocol.ChangeStatusReply); ok && cs.AgentStatus != "" &&
			(r.OperatedAgentID == "" || r.OperatedAgentID == r.AgentID) {
			s.status = cs.AgentStatus
		}
	}
}

// Close ends the session: the link closes, requests in flight fail with
// ErrClosed, no event is delivered after it returns (unless called from the
// handler, which then finishes its current event), and no goroutine is left.
// It does not check the agent out. Calling it twice is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.state == StateClosed {
		s.mu.Unlock()
		return nil
	}
	s.state = StateClosed
	s.cancel()
	conn := s.conn
	s.conn = nil
	s.stopHeartbeatLocked()
	s.failPendingLocked(0, ErrClosed, true)
	s.sent = nil
	s.mu.Unlock()
	if conn != nil {
		// A courtesy close frame, bounded: WriteControl may run beside a
		// writer (gorilla allows it), so a write stuck on a full socket does
		// not hold Close for its whole deadline.
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(closeFrameTimeout))
		_ = conn.Close()
	}
	s.wg.Wait()
	s.events.Close()
	return nil
}

// failPendingLocked fails the calls of link gen (all calls if all is set).
func (s *Session) failPendingLocked(gen uint64, err error, all bool) {
	for id, pc := range s.pending {
		if all || pc.gen == gen {
			delete(s.pending, id)
			pc.ch <- result{err: err}
		}
	}
}

// Emit queues an event of the caller's own (a log line, an RTC event) for
// the handler, in order with the server's events.
func (s *Session) Emit(e Event) { s.events.Push(e) }

// LateReplies counts replies that arrived after their request had given up.
func (s *Session) LateReplies() uint64 { return s.lateReplies.Load() }

// reconnectDelay returns the wait before attempt n (from 1).
func (s *Session) reconnectDelay(n int) time.Duration {
	return s.cfg.Reconnect.Delay(n, rand.Float64)
}

// Adaptive spinning (see roundTrip), for callers that asked for it with
// WithSpinWait: only where a reply is expected within the budget, judged
// from a moving average of recent round trips, and only with more than one
// P (spinning on the only P would starve the reader).
const maxSpin = 100 * time.Microsecond

var multiP = runtime.GOMAXPROCS(0) > 1

type spinKey struct{}

// WithSpinWait marks requests made with ctx as coming from a thread that is
// costly to wake once parked: a foreign (C) thread blocked in a cgo call,
// which the Go scheduler cannot hand a reply to as it does a goroutine.
// Such a request polls for its reply briefly (up to 100 µs, and only when
// recent replies came back that fast) before it parks. Go callers gain
// nothing from it: a parked goroutine is cheap to wake, and the spin would
// take a P from the goroutines that deliver the reply.
func WithSpinWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, spinKey{}, true)
}

func (s *Session) spinBudget(ctx context.Context) time.Duration {
	if ctx.Value(spinKey{}) == nil {
		return 0
	}
	avg := time.Duration(s.rttAvg.Load())
	if !multiP || avg <= 0 || avg > maxSpin {
		return 0
	}
	return min(avg*3/2, maxSpin)
}

// noteRTT folds one round trip into the moving average (weight 1/8).
func (s *Session) noteRTT(d time.Duration) {
	old := s.rttAvg.Load()
	if old == 0 {
		s.rttAvg.Store(int64(d))
		return
	}
	s.rttAvg.Store(old + (int64(d)-old)/8)
}
