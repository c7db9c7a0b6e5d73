// Package session is one agent's link to the CTI server: the WebSocket, the
// matching of replies to requests, the heartbeat, reconnection with session
// restore, and the ordered delivery of pushed events.
package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
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
	sent          []sentFrame           // frames in flight on the link, in the order written
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
	expiry        *time.Timer   // the one timer of the pending calls' deadlines (pendingCall.expireAt)
	expiryAt      time.Time     // when it fires; zero when stopped
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
	reqID    string
	req      protocol.Request // what the reader learns from its reply
	typ      protocol.MsgType
	gen      uint64
	seq      uint64    // framesRead when it was registered: older frames cannot answer it
	expireAt time.Time // when the session's expiry timer times it out; zero: the caller's ctx does
	ch       chan result
}

// pendingCalls recycles pendingCall and its channel: a request's only
// allocations should be its own frame and reply.
var pendingCalls = sync.Pool{New: func() any { return &pendingCall{ch: make(chan result, 1)} }}

func newPendingCall(reqID string, req protocol.Request, typ protocol.MsgType, gen, seq uint64, expireAt time.Time) *pendingCall {
	pc := pendingCalls.Get().(*pendingCall)
	pc.reqID, pc.req, pc.typ, pc.gen, pc.seq, pc.expireAt = reqID, req, typ, gen, seq, expireAt
	return pc
}

// release recycles a call the reader answered: it was taken out of pending
// and of the frames in flight in the same step, and its one result was
// received. (A call that timed out or was abandoned may stay in flight as a
// tombstone: it is left to the garbage collector.)
func (pc *pendingCall) release() {
	pc.req = nil
	pendingCalls.Put(pc)
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
	reply    protocol.Reply
	err      error
	mark     uint64 // events queued before the reply: delivered before it returns
	answered bool   // the reader settled the call (see pendingCall.release)
}

// ringingCall is what a callin said of a call's media (answer's defaults).
type ringingCall struct {
	uuid         string
	audio, video *protocol.MediaDirection
}

// refusalCloseWindow is how soon after a 4003 refusal a link close is taken
// as caused by it.
const refusalCloseWindow = 5 * time.Second

// newReqID returns a random (version 4) UUID for a request's req_id. It
// is an identifier, not a secret: the runtime's generator (ChaCha8, seeded
// by the system) makes it in nanoseconds, where crypto/rand took the most
// of a request's own time.
func newReqID() string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

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
	for {
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
			// A waiter scheduled late can find both closed: the link came
			// up (and may have dropped since, ending its cycle). It came
			// up: the caller's write tells the rest. And a cycle that ended
			// after a newer one started is not this request's failure.
			select {
			case <-up:
				return nil
			default:
			}
			s.mu.Lock()
			stale, last := s.gaveUp != gaveUp, s.lastErr
			s.mu.Unlock()
			if stale {
				continue
			}
			if last == nil {
				return ErrNotConnected
			}
			// %w on the cause too: callers tell a TLS failure from a refusal.
			return fmt.Errorf("%w: %w", ErrNotConnected, last)
		case <-ctx.Done():
			if last := s.lastError(); last != nil {
				return fmt.Errorf("%w: %w (last error: %w)", ErrNotConnected, ctxErr(ctx), last)
			}
			return fmt.Errorf("%w: %w", ErrNotConnected, ctxErr(ctx))
		}
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
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiryAt = time.Time{}
	}
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
