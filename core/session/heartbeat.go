package session

import (
	"fmt"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/gorilla/websocket"
)

func (s *Session) startHeartbeatLocked(gen uint64) {
	if s.cfg.HeartbeatInterval < 0 {
		return
	}
	s.hbMissed = 0
	s.hbPending = ""
	s.hbTimer = time.AfterFunc(s.cfg.HeartbeatInterval, func() {
		// A fault in the heartbeat drops the link, as a missed one does.
		defer contain.Recover(s.cfg.Logger, "session: heartbeat", func(err error) { s.linkFailed(gen, err) })
		s.heartbeat(gen)
	})
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
	s.sent = append(s.sent, sentFrame{reqID: ping.ReqID})
	s.mu.Unlock()
	enc := getFrameEncoder()
	defer putFrameEncoder(enc)
	frame, err := enc.encode(ping)
	if err == nil {
		err = s.writeLocked(conn, frame)
	}
	return conn, ping.ReqID, err
}
