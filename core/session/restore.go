package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

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
	reply, err := s.roundTrip(ctx, &req, time.Time{})
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
	st, err := s.roundTrip(ctx, gsReq, time.Time{})
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
