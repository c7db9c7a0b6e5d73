package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

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
	s.events.push(&StateEvent{State: st})
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
			s.events.push(&StateEvent{State: StateReconnecting, Attempt: attempt, Delay: d})
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
	s.events.push(&StateEvent{State: StateDisconnected, Reason: reason})
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
	conn, resp, err := wsdial.Dial(ctx, s.dialer, s.cfg.URL, h)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
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
	s.wmu.Lock()
	s.wdeadline = time.Time{}
	s.wmu.Unlock()
	s.state = StateConnected
	restore := s.checkin
	s.lastErr = nil
	s.wg.Add(1)
	go s.readLoop(conn, gen)
	s.startHeartbeatLocked(gen)
	s.mu.Unlock()

	s.events.push(&StateEvent{State: StateConnected})
	if restore != nil && !s.restore(restore, gen) {
		return
	}
	s.mu.Lock()
	if s.gen == gen && s.state == StateConnected {
		close(s.up)
	}
	s.mu.Unlock()
}

// restore checks in again with reset on a new link, so the platform binds
// the agent's session (state, calls, token) to it.
func (s *Session) restore(saved *protocol.CheckinRequest, gen uint64) bool {
	req := *saved
	req.Reset = protocol.Ptr(true)
	s.fill(&req)
	frame, err := protocol.Encode(&req)
	if err != nil {
		s.events.push(&RestoredEvent{Err: err, Error: err.Error()})
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	reply, err := s.roundTrip(ctx, req.ReqID, protocol.MsgCheckin, frame)
	if err != nil {
		if errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrClosed) {
			return false
		}
		// No answer: give the link up and try again from the start.
		s.linkFailed(gen, fmt.Errorf("restore check-in: %w", err))
		return false
	}
	if rerr := reply.Header().Err(); rerr != nil {
		// The platform will not take the session back: the agent is checked out.
		s.mu.Lock()
		s.checkin = nil
		s.token = ""
		s.mu.Unlock()
		s.events.push(&RestoredEvent{Err: rerr, Error: rerr.Error()})
		return true
	}
	s.afterReply(&req, reply)
	cr, _ := reply.(*protocol.CheckinReply)
	s.events.push(&RestoredEvent{Reply: cr})
	return true
}

// linkFailed tears down link gen (once) and starts reconnecting.
func (s *Session) linkFailed(gen uint64, cause error) {
	s.mu.Lock()
	if s.gen != gen || s.conn == nil || s.state == StateClosed {
		s.mu.Unlock()
		return
	}
	conn := s.conn
	s.conn = nil
	s.lastErr = cause
	if time.Since(s.linkSince) >= s.cfg.Reconnect.Stable {
		s.attempts = 0 // the link was good: back to the shortest delay
	}
	s.stopHeartbeatLocked()
	s.failPendingLocked(gen, ErrConnectionLost, false)
	select {
	case <-s.up:
		s.up = make(chan struct{})
	default:
	}
	s.events.push(&StateEvent{State: StateDisconnected, Reason: cause.Error()})
	if s.cfg.Reconnect.Disabled {
		s.state = StateDisconnected
	} else {
		s.state = StateReconnecting
		s.wg.Add(1)
		go s.dialLoop(StateReconnecting)
	}
	s.mu.Unlock()
	_ = conn.Close()
	s.cfg.Logger.Warn("link lost", "reason", cause)
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
		s.dispatch(frame, gen)
	}
}

func (s *Session) dispatch(frame []byte, gen uint64) {
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
	s.hbMissed = 0 // any frame proves the link alive
	var pc *pendingCall
	if env.ReqID != "" {
		if pc = s.pending[env.ReqID]; pc != nil {
			delete(s.pending, env.ReqID)
		} else if env.ReqID == s.hbPending {
			s.hbPending = ""
			s.mu.Unlock()
			return
		}
	}
	s.mu.Unlock()

	if pc != nil {
		r, err := protocol.DecodeReply(frame, pc.typ)
		if err == nil {
			s.learnReply(r)
		}
		pc.ch <- result{reply: r, err: err}
		return
	}
	if env.MsgType.IsEvent() {
		ev, err := protocol.DecodeEvent(frame)
		if err != nil {
			log.Warn("undecodable event skipped", "msg_type", string(env.MsgType), "err", err)
			return
		}
		s.events.push(ev)
		return
	}
	if env.ReqID != "" && (env.MsgType == protocol.MsgPong || isRequestType(env.MsgType)) {
		s.lateReplies.Add(1)
		log.Info("late reply dropped", "msg_type", string(env.MsgType), "req_id", env.ReqID)
		return
	}
	m, _ := protocol.DecodeEvent(frame)
	s.events.push(m)
}

func isRequestType(t protocol.MsgType) bool {
	for _, r := range protocol.RequestTypes {
		if r == t {
			return true
		}
	}
	return false
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
// and sends the next ping. Its pong is recognized by the reader.
func (s *Session) heartbeat(gen uint64) {
	s.mu.Lock()
	if s.gen != gen || s.state != StateConnected || s.hbTimer == nil {
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
	ping := &protocol.PingRequest{}
	s.fill(ping)
	s.hbPending = ping.ReqID
	conn := s.conn
	s.hbTimer.Reset(s.cfg.HeartbeatInterval)
	s.mu.Unlock()
	frame, err := protocol.Encode(ping)
	if err == nil {
		err = s.write(conn, frame)
	}
	if err != nil {
		_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
