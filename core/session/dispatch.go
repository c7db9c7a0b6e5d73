package session

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/protocol"
	json "github.com/goccy/go-json"
	"github.com/gorilla/websocket"
)

// readLoop is the link's only reader. It never blocks on the application:
// replies go to buffered channels and events to the queue.
func (s *Session) readLoop(conn *websocket.Conn, gen uint64) {
	defer s.wg.Done()
	// A fault reading or handling a frame (a malformed one hitting a bug)
	// drops the link as a broken connection does: requests in flight fail
	// with ErrConnectionLost and a checked-in session reconnects and
	// restores.
	defer contain.Recover(s.cfg.Logger, "session: reader", func(err error) { s.linkFailed(gen, err) })
	for {
		frame, err := readFrame(conn)
		if err != nil {
			s.linkFailed(gen, fmt.Errorf("read: %w", err))
			return
		}
		contain.Point("session: frame")
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
// platform's reads one frame, writes its reply, then reads the next). When
// such a reply names a msg_type, it goes to the oldest frame of that type
// only: a stray {"msg_type":"checkin","code":"0"} never answers a ping. On a
// server known to answer in order (the platform's, reached through the
// identity handshake) a reply also settles every older frame still in flight:
// the server handled those without answering, so they fail at once with
// ErrNoReply instead of waiting for their timeout.
func (s *Session) dispatch(frame []byte, gen uint64, n uint64) {
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
		if i = s.bareIndexLocked(env.MsgType); i >= 0 {
			found, pc, ping = true, s.sent[i].pc, s.sent[i].pc == nil
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
	var skipped []sentFrame
	if s.ordered && i > 0 {
		skipped = append(skipped, s.sent[:i]...)
	}
	if s.ordered {
		s.sent = slices.Delete(s.sent, 0, i+1)
	} else {
		s.sent = slices.Delete(s.sent, i, i+1)
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
	r, err := env.DecodeReply(frame, pc.typ)
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
	pc.ch <- result{reply: r, err: err, mark: mark, answered: true}
}

// bareIndexLocked finds the frame a reply naming no request answers: the
// oldest in flight, or, when the reply names a msg_type, the oldest in
// flight of that type; -1 if none. s.mu held.
func (s *Session) bareIndexLocked(t protocol.MsgType) int {
	for i, f := range s.sent {
		ft := protocol.MsgPing // a frame without a pending call is a ping
		if f.pc != nil {
			ft = f.pc.typ
		}
		if t == "" || t == ft {
			return i
		}
	}
	return -1
}

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
