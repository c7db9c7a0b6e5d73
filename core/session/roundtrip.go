package session

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/gorilla/websocket"
)

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
	// Without a deadline of the caller's, the request gets Config's
	// RequestTimeout: kept by the session's one expiry timer while the reply
	// is awaited (no context, no timer per request), and by a context made
	// only when the request must wait for the link or a check-in.
	var expireAt time.Time
	if _, ok := ctx.Deadline(); !ok {
		expireAt = time.Now().Add(s.cfg.RequestTimeout)
	}
	s.mu.Lock()
	s.fillLocked(req)
	up := s.up
	s.mu.Unlock()
	s.learnRequest(req)
	if err := s.validate(req); err != nil {
		return nil, err
	}
	h := req.RequestHeader()
	for {
		select {
		case <-up:
		default:
			if err := s.waitUpUntil(ctx, expireAt); err != nil {
				return nil, fmt.Errorf("%s: %w", h.MsgType, err)
			}
		}
		up = nil // after the first round, always through waitUp
		reply, err := s.roundTrip(ctx, req, expireAt)
		if errors.Is(err, ErrNotConnected) && ctx.Err() == nil && (expireAt.IsZero() || time.Now().Before(expireAt)) {
			continue // the link dropped between the wait and the write: wait again
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.MsgType, err)
		}
		return reply, reply.Header().Err()
	}
}

// waitUpUntil is waitUp bounded by expireAt too (when set).
func (s *Session) waitUpUntil(ctx context.Context, expireAt time.Time) error {
	if !expireAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, expireAt)
		defer cancel()
	}
	return s.waitUp(ctx)
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
		h.ReqID = newReqID()
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
func (s *Session) roundTrip(ctx context.Context, req protocol.Request, expireAt time.Time) (protocol.Reply, error) {
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
		if err := s.waitCheckin(ctx, busy, expireAt); err != nil {
			return nil, err
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
	enc := getFrameEncoder()
	defer putFrameEncoder(enc)
	var fence []byte
	if s.ordered && s.token != "" && len(s.sent) > 0 && s.sent[len(s.sent)-1].pc != nil {
		ping := &protocol.PingRequest{}
		s.fillLocked(ping)
		ping.Token = protocol.Secret(s.token)
		if f, err := enc.encode(ping); err == nil {
			fence = f
			s.sent = append(s.sent, sentFrame{reqID: ping.ReqID})
		}
	}
	frame, err := enc.encode(req)
	if err != nil {
		if fence != nil { // not written after all
			s.sent = s.sent[:len(s.sent)-1]
		}
		unlock()
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	pc := newPendingCall(h.ReqID, req, typ, gen, s.framesRead.Load(), expireAt)
	s.pending[h.ReqID] = pc
	s.sent = append(s.sent, sentFrame{reqID: h.ReqID, pc: pc})
	if !expireAt.IsZero() {
		s.armExpiryLocked(expireAt)
	}
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
		return s.settled(ctx, pc, <-pc.ch)
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
				return s.settled(ctx, pc, r)
			default:
			}
		}
	}
	select {
	case r := <-pc.ch:
		s.noteRTT(time.Since(sent))
		return s.settled(ctx, pc, r)
	case <-ctx.Done():
		if !s.abandon(pc) {
			// The reply won the race; deliver it rather than lose it.
			return s.settled(ctx, pc, <-pc.ch)
		}
		return nil, ctxErr(ctx)
	}
}

// waitCheckin waits for the check-in in flight (busy) to settle.
func (s *Session) waitCheckin(ctx context.Context, busy <-chan struct{}, expireAt time.Time) error {
	var expired <-chan time.Time
	if !expireAt.IsZero() {
		t := time.NewTimer(time.Until(expireAt))
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-busy:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx)
	case <-expired:
		return ErrTimeout
	case <-s.closed:
		return ErrClosed
	}
}

// settled finishes a round trip (the reader has already learned from the
// reply: token, check-in, status): the caller gets the reply once the events
// that came before it have been handled. A call the reader answered is
// recycled: nothing refers to it any more.
func (s *Session) settled(ctx context.Context, pc *pendingCall, r result) (protocol.Reply, error) {
	if r.err != nil {
		return nil, r.err
	}
	expireAt := pc.expireAt
	if r.answered {
		pc.release()
	}
	// The platform sends a request's pushes before its reply: the caller
	// sees them first (not from the handler itself, which cannot run the
	// events behind the one it is handling).
	limit := orderWait
	if !expireAt.IsZero() {
		limit = max(0, min(limit, time.Until(expireAt)))
	}
	if err := s.events.WaitDelivered(ctx, r.mark, limit); errors.Is(err, eventq.ErrWaitLimit) {
		s.cfg.Logger.Warn("reply delivered before the events that preceded it: the event handler is still busy", "waited", limit)
	}
	return r.reply, nil
}

// abandon takes pc out of the pending calls; false means it was settled
// already. On an ordered link its frame stays in flight as a tombstone.
func (s *Session) abandon(pc *pendingCall) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abandonLocked(pc)
}

func (s *Session) abandonLocked(pc *pendingCall) bool {
	if s.pending[pc.reqID] != pc {
		return false
	}
	delete(s.pending, pc.reqID)
	for i := range s.sent {
		if s.sent[i].pc == pc {
			if s.ordered {
				s.sent[i].dead = true
			} else {
				s.sent = slices.Delete(s.sent, i, i+1)
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
	switch req.(type) {
	case *protocol.CheckinRequest, *protocol.CheckoutRequest, *protocol.GetStatusRequest, *protocol.ChangeStatusRequest:
	default:
		return // nothing to learn: no lock to take
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

// Adaptive spinning (see roundTrip), for callers that asked for it with
// WithSpinWait: only where a reply is expected within the budget, judged
// from a moving average of recent round trips, and only with at least
// minSpinProcs Ps. With fewer the spinning thread takes the CPU that the
// reader, the server or the caller's own threads need: on 2 cores a C ABI
// ping to a local server took 73-84 µs with the spin and 45-49 µs without
// (bindings/python/bench.py, alternated runs).
const maxSpin = 100 * time.Microsecond

const minSpinProcs = 4

var multiP = runtime.GOMAXPROCS(0) >= minSpinProcs

type spinKey struct{}

// WithSpinWait marks requests made with ctx as coming from a thread that is
// costly to wake once parked: a foreign (C) thread blocked in a cgo call,
// which the Go scheduler cannot hand a reply to as it does a goroutine.
// Such a request polls for its reply briefly (up to 100 µs, only when
// recent replies came back that fast, and only with 4 Ps or more) before it
// parks. Go callers gain
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
