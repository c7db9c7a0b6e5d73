package session

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
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
	// A fault here ends the dial cycle as a failed dial without reconnect
	// does: waiting requests fail, the next request dials again.
	defer contain.Recover(s.cfg.Logger, "session: dial loop", func(err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lastErr = err
		if s.state != StateClosed && s.conn == nil {
			s.giveUpLocked(err.Error())
		}
	})
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
	s.sent = slices.Delete(s.sent, 0, len(s.sent))
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
	s.sent = slices.Delete(s.sent, 0, len(s.sent))
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

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
