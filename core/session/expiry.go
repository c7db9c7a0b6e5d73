package session

import "time"

// The pending calls' deadlines share one timer per session. A request
// without a deadline of its caller's expires RequestTimeout after it was
// made; the timer is armed for the earliest such deadline, and a later
// request, whose deadline is later still, leaves it as it is. So a stream
// of requests costs about one timer operation per RequestTimeout, not a
// context and a timer each. An idle session's timer is stopped.

// armExpiryLocked makes sure the expiry timer fires by at. s.mu held.
func (s *Session) armExpiryLocked(at time.Time) {
	if !s.expiryAt.IsZero() && !at.Before(s.expiryAt) {
		return
	}
	s.expiryAt = at
	if s.expiry == nil {
		s.expiry = time.AfterFunc(time.Until(at), s.expire)
		return
	}
	s.expiry.Reset(time.Until(at))
}

// expire fails the pending calls whose deadline has passed with ErrTimeout
// (as a cancelled wait does: on an ordered link the frame stays in flight as
// a tombstone), and arms the timer for the next deadline.
func (s *Session) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiryAt = time.Time{}
	if s.state == StateClosed {
		return
	}
	now := time.Now()
	var next time.Time
	for _, pc := range s.pending {
		switch {
		case pc.expireAt.IsZero():
		case !pc.expireAt.After(now):
			if s.abandonLocked(pc) {
				pc.ch <- result{err: ErrTimeout}
			}
		case next.IsZero() || pc.expireAt.Before(next):
			next = pc.expireAt
		}
	}
	if !next.IsZero() {
		s.armExpiryLocked(next)
	}
}
