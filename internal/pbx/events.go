package pbx

import (
	"sync"
	"time"
)

// EventType names what happened.
type EventType string

// Events the PBX reports. Each carries the fields noted.
const (
	EvRegistered   EventType = "registered"    // Ext, Contact, Headers
	EvUnregistered EventType = "unregistered"  // Ext, Reason ("expires 0", "expired", "transport closed", "replaced")
	EvAuthFailed   EventType = "auth_failed"   // Ext (claimed user), Reason
	EvIncoming     EventType = "incoming"      // UUID, Ext, Target, Echo: the agent sent an INVITE of its own
	EvRinging      EventType = "ringing"       // UUID, Ext, Code (180/183)
	EvAnswered     EventType = "answered"      // UUID, Ext, Audio, Video (agent's SDP directions)
	EvMediaStarted EventType = "media_started" // UUID, SetupTime: first RTP audio packet from the agent
	EvReinvite     EventType = "reinvite"      // UUID, Audio, Video, Held: the agent changed the media (hold, change_media)
	EvDTMF         EventType = "dtmf"          // UUID, Digit, Mode
	EvHungup       EventType = "hungup"        // UUID, By ("agent", "pbx", "transport"), Code, Reason
)

// Event is one PBX event. Fields not listed for a type are zero.
type Event struct {
	Type    EventType
	At      time.Time
	Ext     string
	UUID    string
	CallID  string
	Contact string
	Headers map[string]string // X- headers of a REGISTER or of an agent INVITE
	Target  string            // the number an agent INVITE dialled (its Request-URI's user)
	Echo    bool              // that number is the echo extension

	Code   int
	Reason string
	By     string

	Audio, Video Direction // agent's declared directions (spec ints); -1 = no such m= line
	Held         bool      // agent's SDP puts the call on hold (audio sendonly/inactive)

	Digit string
	Mode  DTMFMode

	SetupTime time.Duration // INVITE sent (or received) to first audio packet
}

// subscriber is an unbounded, ordered queue: a slow reader never stalls the
// PBX and never loses an event.
type subscriber struct {
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	out    chan Event
	done   chan struct{}
	closed bool
}

func newSubscriber() *subscriber {
	s := &subscriber{wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	go s.pump()
	return s
}

func (s *subscriber) push(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		e := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- e:
		case <-s.done:
			return
		}
	}
}

func (s *subscriber) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}
