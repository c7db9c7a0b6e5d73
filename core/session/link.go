package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/internal/wsdial"
	"github.com/cloudcc/agent-sdk/core/protocol"
)

// startLinkLocked starts the goroutine that dials (and, after a failure,
// dials again with backoff). Called with s.mu held.
func (s *Session) startLinkLocked(st State) {
	s.state = st
	select {
	case <-s.gaveUp:
		s.gaveUp = make(chan struct{})
	default:
	}
	s.wg.Add(1)
	go s.dialLoop(st)
	s.events.Push(&StateEvent{State: st})
}

// dialLoop runs while there is no link: it dials until it gets one (then it
// hands over to the reader and returns) or the session closes. Only one runs
// at a time, so an idle, connected session holds one goroutine: its reader.
func (s *Session) dialLoop(st State) {
	defer s.wg.Done()
	for first := true; ; first = false {
		if st == StateReconnecting || !first {
			attempt := s.nextAttempt()
			d := s.reconnectDelay(attempt)
			s.events.Push(&StateEvent{State: StateReconnecting, Attempt: attempt, Delay: d})
			t := time.NewTimer(d)
			select {
			case <-s.closed:
				t.Stop()
				return
			case <-t.C:
			}
		}
		conn, err := s.dial()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			// Logged before the waiters are released, so the line is
			// delivered before the failure they report.
			s.cfg.Logger.Warn("connect failed", "reconnect", !s.cfg.Reconnect.Disabled, "err", err)
			s.mu.Lock()
			s.lastErr = err
			if s.state == StateClosed {
				s.mu.Unlock()
				return
			}
			if s.cfg.Reconnect.Disabled {
				s.giveUpLocked(err.Error())
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			continue
		}
		s.install(conn)
		return
	}
}

// nextAttempt counts one more reconnect attempt and returns the count. The
// count starts over only when a link stayed up for Backoff.Stable (see
// linkFailed), so a server that accepts and then drops every link sees the
// delays grow to Backoff.Max instead of a steady hammering.
func (s *Session) nextAttempt() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	return s.attempts
}

// giveUpLocked ends a dial cycle: waiting requests fail now, and the next
// request starts a new cycle.
func (s *Session) giveUpLocked(reason string) {
	s.state = StateDisconnected
	close(s.gaveUp)
	s.events.Push(&StateEvent{State: StateDisconnected, Reason: reason})
}

func (s *Session) dial() (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("LANGUAGE", s.cfg.Language)
	if t := s.Token(); t != "" {
		h.Set("SDK-TOKEN", t)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	defer cancel()
	// wsdial: Close must not wait for a server that never answers the upgrade.
	conn, resp, err := wsdial.Dial(ctx, s.dialer, s.dialURL, h)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		// The URL is the configured one: the identity segment is not secret,
		// but it is long and says nothing a reader needs.
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", s.cfg.URL, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", s.cfg.URL, err)
	}
	conn.SetReadLimit(1 << 20)
	return conn, nil
}

// install makes conn the session's link: it starts the reader and the
// heartbeat, restores a checked-in session, then opens the gate for waiting
// requests. When the restore fails because the link failed again, linkFailed
// has already started the next dial cycle.
func (s *Session) install(conn *websocket.Conn) {
	s.wmu.Lock() // taken before s.mu, as everywhere
	s.wdeadline = time.Time{}
	s.wmu.Unlock()
	s.mu.Lock()
	if s.state == StateClosed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.gen++
	gen := s.gen
	s.conn = conn
	s.linkSince = time.Now()
	s.sent = s.sent[:0]
	s.linkRefusal = nil
	s.state = StateConnected
	restore := s.checkin
	s.lastErr = nil
	s.wg.Add(1)
	go s.readLoop(conn, gen)
	s.startHeartbeatLocked(gen)
	s.mu.Unlock()

	s.events.Push(&StateEvent{State: StateConnected})
	if restore != nil && !s.restore(restore, gen) {
		return
	}
	s.mu.Lock()
	if s.gen == gen && s.state == StateConnected {
		close(s.up)
	}
	s.mu.Unlock()
}

// restore brings a checked-in session back on a new link. The platform
// requires a check-in on every new link and answers reset by hanging up the
// agent's call, so the restore checks in WITHOUT reset, asking for the
// status the agent had (the server applies it as given), then reads the
// state back with get_status. A call in progress carries on.
func (s *Session) restore(saved *protocol.CheckinRequest, gen uint64) bool {
	req := *saved
	req.ReqID = ""
	req.Reset = nil
	s.mu.Lock()
	if st := s.status; st != "" && st != protocol.StatusOffline {
		req.StartStatus = st
	}
	s.mu.Unlock()
	s.fill(&req)
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	reply, err := s.roundTrip(ctx, &req)
	if err != nil {
		if errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotConnected) {
			return false
		}
		// No answer: give the link up and try again from the start.
		s.linkFailed(gen, fmt.Errorf("restore check-in: %w", err))
		return false
	}
	if rerr := reply.Header().Err(); rerr != nil {
		// The platform will not take the session back: the agent is checked out.
		s.loseSession(rerr)
		return true
	}
	cr, _ := reply.(*protocol.CheckinReply)
	ev := &RestoredEvent{Checkin: cr}
	gsReq := &protocol.GetStatusRequest{}
	s.fill(gsReq)
	st, err := s.roundTrip(ctx, gsReq)
	if gs, ok := st.(*protocol.GetStatusReply); ok && err == nil && gs.OK() {
		ev.Status, ev.SubStatus, ev.UUID, ev.InCallNumbers, ev.Resynced = gs.Status, gs.SubStatus, gs.UUID, gs.InCallNumbers, true
	} else {
		if err != nil && (errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrClosed)) {
			return false
		}
		// A server without get_status (the spec's) keeps the session as it
		// was: report the last status seen.
		s.cfg.Logger.Info("restore: get_status unavailable; reporting the last status seen", "err", errString(err))
		s.mu.Lock()
		ev.Status = s.status
		s.mu.Unlock()
	}
	s.events.Push(ev)
	return true
}

// loseSession ends a checked-in session the server will not take back (a
// refused restore, a refused token): the agent must check in again. It
// reports it once.
func (s *Session) loseSession(cause error) {
	s.mu.Lock()
	had := s.checkin != nil
	s.checkin = nil
	s.token = ""
	s.status = protocol.StatusOffline
	s.mu.Unlock()
	if had {
		s.events.Push(&RestoredEvent{Err: cause, Error: cause.Error()})
	}
}

// linkFailed tears down link gen (once) and starts reconnecting when there
// is a checked-in session to restore. A link the server closed after
// refusing the token (4003) is reported as that refusal: its requests fail
// with it and the session is lost (a token that was refused stays refused).
func (s *Session) linkFailed(gen uint64, cause error) {
	s.mu.Lock()
	if s.gen != gen || s.conn == nil || s.state == StateClosed {
		s.mu.Unlock()
		return
	}
	conn := s.conn
	s.conn = nil
	refusal := s.linkRefusal
	if refusal != nil && time.Since(s.linkRefusalAt) > refusalCloseWindow {
		refusal = nil // a refusal long before the close did not cause it
	}
	if refusal != nil {
		cause = fmt.Errorf("the server closed the link after refusing it: %w", refusal)
	}
	s.lastErr = cause
	if time.Since(s.linkSince) >= s.cfg.Reconnect.Stable {
		s.attempts = 0 // the link was good: back to the shortest delay
	}
	s.stopHeartbeatLocked()
	for _, f := range s.sent {
		if f.pc == nil || f.dead {
			continue
		}
		delete(s.pending, f.reqID)
		if refusal != nil {
			// Never read by the server: refused with the link.
			f.pc.ch <- result{reply: refusalReply(f.pc, refusal)}
		} else {
			f.pc.ch <- result{err: ErrConnectionLost}
		}
	}
	s.sent = s.sent[:0]
	s.failPendingLocked(gen, ErrConnectionLost, false)
	select {
	case <-s.up:
		s.up = make(chan struct{})
	default:
	}
	s.events.Push(&StateEvent{State: StateDisconnected, Reason: cause.Error()})
	lost := refusal != nil && refusal.Code == protocol.CodeAuthFailed && s.checkin != nil
	switch {
	case s.cfg.Reconnect.Disabled || refusal != nil || s.checkin == nil:
		// Nothing to restore (or a refused token, which a reconnect cannot
		// fix): the next request dials again.
		s.state = StateDisconnected
		s.closeGaveUpLocked()
	default:
		s.state = StateReconnecting
		s.wg.Add(1)
		go s.dialLoop(StateReconnecting)
	}
	s.mu.Unlock()
	_ = conn.Close()
	s.cfg.Logger.Warn("link lost", "reason", cause)
	if lost {
		s.loseSession(refusal)
	}
}

// refusalReply is the reply a request gets when the server refused the
// link it was sent on.
func refusalReply(pc *pendingCall, refusal *protocol.ServerError) protocol.Reply {
	r, err := protocol.DecodeReply([]byte(`{}`), pc.typ)
	if err != nil {
		r = &protocol.BasicReply{}
	}
	h := r.Header()
	h.ReqID, h.MsgType, h.Code, h.Msg = pc.reqID, protocol.ReplyType(pc.typ), refusal.Code, refusal.Msg
	return r
}

// closeGaveUpLocked releases requests waiting for the link to come up.
func (s *Session) closeGaveUpLocked() {
	select {
	case <-s.gaveUp:
	default:
		close(s.gaveUp)
	}
}

// readLoop is the link's only reader. It never blocks on the application:
// replies go to buffered channels and events to the queue.
func (s *Session) readLoop(conn *websocket.Conn, gen uint64) {
	defer s.wg.Done()
	for {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			s.linkFailed(gen, fmt.Errorf("read: %w", err))
			return
		}
		s.dispatch(frame, gen, s.framesRead.Add(1))
	}
}

// dispatch routes one frame: the reply to a request in flight, a pong, a
// reply that names no request, or a push. n numbers the frame among those
// read, so a frame read before a request was sent never completes it.
//
// Attribution (docs/platform.md): a reply naming a req_id goes to that
// request if it is in flight on this link. A reply naming none (the
// platform's refusals: {"code":"4002","msg":"..."}) goes to the oldest frame
// in flight on the link: servers answer a link's frames in order (the
// platform's reads one frame, writes its reply, then reads the next). On a
// server known to answer in order (the platform's, reached through the
// identity handshake) a reply also settles every older frame still in flight:
// the server handled those without answering, so they fail at once with
// ErrNoReply instead of waiting for their timeout.
func (s *Session) dispatch(frame []byte, gen uint64, n uint64) {
	if h := testHookDispatch; h != nil {
		h(frame)
	}
	log := s.cfg.Logger
	if log.Enabled(context.Background(), LevelTrace) {
		log.Log(context.Background(), LevelTrace, "frame in", "frame", string(protocol.Redact(frame)))
	}
	env, err := protocol.Peek(frame)
	if err != nil {
		log.Warn("malformed frame skipped", "bytes", len(frame), "err", err)
		return
	}
	s.mu.Lock()
	if s.gen != gen {
		s.mu.Unlock()
		return // a frame the old link's reader read while it was replaced
	}
	s.hbMissed = 0 // any frame proves the link alive
	if env.Code == protocol.CodeAuthFailed && env.ReqID == "" {
		// The platform closes the link right after this refusal (a bad token,
		// or a frame for an agent not checked in on this link).
		s.linkRefusal = &protocol.ServerError{Code: env.Code, Msg: msgOf(frame)}
		s.linkRefusalAt = time.Now()
	}
	var (
		pc    *pendingCall
		ping  bool
		found bool
		i     int
		fid   string
	)
	switch {
	case env.ReqID != "":
		if i = s.sentIndexLocked(env.ReqID); i >= 0 {
			f := s.sent[i]
			if f.pc == nil || f.pc.seq < n {
				found, pc, ping = true, f.pc, f.pc == nil
			}
		}
	case env.IsBareReply():
		if len(s.sent) > 0 {
			found, i, pc, ping = true, 0, s.sent[0].pc, s.sent[0].pc == nil
		}
	}
	late := found && s.sent[i].dead
	if !found {
		isReplyShape := env.IsBareReply() || (env.ReqID != "" && !env.MsgType.IsEvent() && !env.IsStatusPush() &&
			(env.MsgType == protocol.MsgPong || env.MsgType.IsRequest()))
		if isReplyShape {
			s.mu.Unlock()
			if env.ReqID != "" {
				s.lateReplies.Add(1)
				log.Info("late reply dropped", "msg_type", string(env.MsgType), "req_id", env.ReqID)
				return
			}
			log.Warn("server refusal answers no request in flight", "code", env.Code)
			s.events.Push(&RefusalEvent{Code: env.Code, Msg: msgOf(frame), Raw: rawJSON(frame)})
			return
		}
		s.mu.Unlock()
		s.pushEvent(env, frame)
		return
	}
	fid = s.sent[i].reqID
	// Settle the frames before i: on an ordered server they were handled
	// without a reply.
	var skipped []*sentFrame
	if s.ordered && i > 0 {
		skipped = append(skipped, s.sent[:i]...)
	}
	if s.ordered || i == 0 {
		s.sent = append(s.sent[:0], s.sent[i+1:]...)
	} else {
		s.sent = append(s.sent[:i], s.sent[i+1:]...)
	}
	live := skipped[:0]
	for _, f := range skipped {
		if f.pc != nil && !f.dead {
			delete(s.pending, f.reqID)
			live = append(live, f)
		}
		if f.reqID == s.hbPending {
			s.hbPending = ""
		}
	}
	if fid == s.hbPending {
		s.hbPending = ""
	}
	if pc != nil && !late {
		delete(s.pending, pc.reqID)
	}
	mark := s.events.Mark()
	s.mu.Unlock()

	for _, f := range live {
		f.pc.ch <- result{err: fmt.Errorf("%w (msg_type %s)", ErrNoReply, f.pc.typ)}
	}
	if late {
		s.lateReplies.Add(1)
		log.Info("late reply dropped", "msg_type", string(env.MsgType), "req_id", fid, "code", env.Code)
		return
	}
	if ping {
		if env.ReqID == "" {
			// The heartbeat was refused (e.g. 4003: the token).
			s.events.Push(&RefusalEvent{Code: env.Code, Msg: msgOf(frame), Raw: rawJSON(frame)})
		}
		return
	}
	r, err := protocol.DecodeReply(frame, pc.typ)
	if err == nil && env.ReqID == "" {
		// A bare refusal: give it the request's identity.
		h := r.Header()
		h.ReqID = pc.reqID
		h.MsgType = protocol.ReplyType(pc.typ)
	}
	if err == nil {
		// Before any later frame is dispatched: a check-in's token and the
		// session to restore are known even if the server closes the link
		// right after its reply.
		s.learnReply(r)
		s.afterReply(pc.req, r)
	}
	pc.ch <- result{reply: r, err: err, mark: mark}
}

// testHookDispatch, when set by a test, sees each frame before dispatch.
var testHookDispatch func(frame []byte)

// sentIndexLocked finds reqID among the frames in flight. s.mu held.
func (s *Session) sentIndexLocked(reqID string) int {
	for i, f := range s.sent {
		if f.reqID == reqID {
			return i
		}
	}
	return -1
}

// pushEvent decodes a push and queues it, keeping what the session learns
// from it: the agent's status (for a restore) and a ringing call's media
// (answer's defaults).
func (s *Session) pushEvent(env protocol.Envelope, frame []byte) {
	ev, err := protocol.DecodeEvent(frame)
	if err != nil {
		s.cfg.Logger.Warn("undecodable event skipped", "msg_type", string(env.MsgType), "err", err)
		return
	}
	switch e := ev.(type) {
	case *protocol.AgentChangeEvent:
		if e.AgentStatus != "" {
			s.mu.Lock()
			s.status = e.AgentStatus
			s.mu.Unlock()
		}
	case *protocol.CallinEvent:
		s.noteRinging(e)
	}
	s.events.Push(ev)
}

// msgOf reads a frame's msg (tolerantly: a frame may be salvaged JSON).
func msgOf(frame []byte) string {
	var m struct {
		Msg string `json:"msg"`
	}
	_ = json.Unmarshal(frame, &m)
	return m.Msg
}

// rawJSON returns frame as a JSON value for an event's raw field: the object
// itself, or (not valid JSON, or not valid UTF-8) a string of it.
func rawJSON(frame []byte) json.RawMessage {
	if utf8.Valid(frame) && json.Valid(frame) {
		return json.RawMessage(frame)
	}
	b, _ := json.Marshal(strings.ToValidUTF8(string(frame), "\uFFFD"))
	return b
}

func (s *Session) startHeartbeatLocked(gen uint64) {
	if s.cfg.HeartbeatInterval < 0 {
		return
	}
	s.hbMissed = 0
	s.hbPending = ""
	s.hbTimer = time.AfterFunc(s.cfg.HeartbeatInterval, func() { s.heartbeat(gen) })
}

func (s *Session) stopHeartbeatLocked() {
	if s.hbTimer != nil {
		s.hbTimer.Stop()
		s.hbTimer = nil
	}
	s.hbPending = ""
}

// heartbeat runs on a timer, not on a goroutine of its own: it counts the
// previous ping as missed if unanswered, gives the link up past the limit,
// and sends the next ping. Its pong is recognized by the reader. No ping is
// sent without a token (the platform closes a link whose frame lacks one)
// nor while a check-in is in flight (it will replace the token).
func (s *Session) heartbeat(gen uint64) {
	s.mu.Lock()
	if s.gen != gen || s.state != StateConnected || s.hbTimer == nil {
		s.mu.Unlock()
		return
	}
	s.hbTimer.Reset(s.cfg.HeartbeatInterval)
	if s.token == "" || s.checkinBusy != nil {
		s.mu.Unlock()
		return
	}
	if s.hbPending != "" {
		s.hbMissed++
	}
	if s.hbMissed >= s.cfg.HeartbeatMisses {
		s.mu.Unlock()
		s.linkFailed(gen, fmt.Errorf("heartbeat: %d pings unanswered", s.cfg.HeartbeatMisses))
		return
	}
	s.mu.Unlock()
	conn, id, err := s.sendPing(gen)
	if err != nil && conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
	}
	if err == nil {
		s.mu.Lock()
		if s.sentIndexLocked(id) >= 0 {
			s.hbPending = id
		}
		s.mu.Unlock()
	}
}

// sendPing writes a ping on link gen and records it in flight (the
// heartbeat, and the fence between two requests).
func (s *Session) sendPing(gen uint64) (*websocket.Conn, string, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.gen != gen || s.conn == nil {
		s.mu.Unlock()
		return nil, "", ErrNotConnected
	}
	conn := s.conn
	ping := &protocol.PingRequest{}
	s.fillLocked(ping)
	ping.Token = protocol.Secret(s.token)
	s.sent = append(s.sent, &sentFrame{reqID: ping.ReqID})
	s.mu.Unlock()
	frame, err := protocol.Encode(ping)
	if err == nil {
		err = s.writeLocked(conn, frame)
	}
	return conn, ping.ReqID, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
