package rtc

import (
	"sync"
	"sync/atomic"
	"time"
)

// EventType names what an Event reports.
type EventType int

// Event types. Each lists the Event fields it fills.
const (
	EventUnknown      EventType = iota
	EventLink                   // Link, Reason, Attempt, Delay
	EventRegistration           // Registration, Code, Reason, Expires
	EventCall                   // Call, CallState, LocalHold, RemoteHold, Code, Reason
	EventICE                    // Call, ICE
	EventDTMF                   // Call, Digit, DTMFMode: a digit received (SIP INFO or RFC 4733)
	EventInfo                   // Call, ContentType, Body: a SIP INFO that is not DTMF
	EventConnectivity           // Connectivity: the joined view changed
	EventUUID                   // Call, CallState, LocalHold, RemoteHold: BindUUID tied the call to a CTI uuid
)

var eventTypeNames = [...]string{"unknown", "link", "registration", "call", "ice", "dtmf", "info", "connectivity", "uuid"}

func (t EventType) String() string {
	if t >= 0 && int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "unknown"
}

// LinkState is the state of the SIP WebSocket link.
type LinkState int

// Link states.
const (
	LinkIdle         LinkState = iota // not started
	LinkConnecting                    // first connection under way
	LinkConnected                     // link up
	LinkReconnecting                  // link lost, waiting or dialing again
	LinkDisconnected                  // link lost and reconnect disabled
	LinkClosed                        // Close was called
)

var linkNames = [...]string{"idle", "connecting", "connected", "reconnecting", "disconnected", "closed"}

func (s LinkState) String() string {
	if s >= 0 && int(s) < len(linkNames) {
		return linkNames[s]
	}
	return "unknown"
}

// RegState is the registration's state.
type RegState int

// Registration states.
const (
	RegNone         RegState = iota // never registered
	RegRegistering                  // REGISTER under way (first or after the link returned)
	RegRegistered                   // binding in place
	RegFailed                       // refused (Code, Reason: 403 wrong password, 401 loop...) or no answer
	RegUnregistered                 // binding removed (Unregister, Close)
)

var regNames = [...]string{"none", "registering", "registered", "failed", "unregistered"}

func (s RegState) String() string {
	if s >= 0 && int(s) < len(regNames) {
		return regNames[s]
	}
	return "unknown"
}

// CallState is a call's state.
type CallState int

// Call states.
const (
	CallUnknown   CallState = iota
	CallRinging             // incoming INVITE ringing (180 sent), waiting for Answer
	CallCalling             // outgoing INVITE sent
	CallEarly               // outgoing INVITE got a 18x
	CallAnswered            // 200 OK sent/received, ACK pending
	CallConfirmed           // dialog confirmed, media up to ICE
	CallHeld                // confirmed, on hold (LocalHold or RemoteHold)
	CallEnded               // over (Code, Reason)
)

var callNames = [...]string{"unknown", "ringing", "calling", "early", "answered", "confirmed", "held", "ended"}

func (s CallState) String() string {
	if s >= 0 && int(s) < len(callNames) {
		return callNames[s]
	}
	return "unknown"
}

// ICEState is the media connection's state (ICE and DTLS together).
type ICEState int

// ICE states.
const (
	ICENew ICEState = iota
	ICEChecking
	ICEConnected
	ICEDisconnected
	ICEFailed
	ICEClosed
)

var iceNames = [...]string{"new", "checking", "connected", "disconnected", "failed", "closed"}

func (s ICEState) String() string {
	if s >= 0 && int(s) < len(iceNames) {
		return iceNames[s]
	}
	return "unknown"
}

// Event is one thing that happened. Fields not listed for its Type are zero.
type Event struct {
	Type EventType
	At   time.Time

	Link    LinkState
	Attempt int           // reconnect attempt, from 1
	Delay   time.Duration // wait before that attempt

	Registration RegState
	Expires      time.Duration // granted lifetime (registered)

	Call       *Call
	CallState  CallState
	LocalHold  bool
	RemoteHold bool
	ICE        ICEState

	Digit       string
	DTMFMode    DTMFMode
	ContentType string
	Body        []byte

	Code   int    // SIP status code behind a failure or an end
	Reason string // why (link down, registration failed, call ended)

	Connectivity *Connectivity
}

// Connectivity joins the SIP link, the registration and each call's media
// state into one view.
type Connectivity struct {
	Link         LinkState
	Registration RegState
	Calls        []CallConnectivity
	// OK: link up, registered, and every live call's media connected.
	OK bool
}

// CallConnectivity is one call's part of the view.
type CallConnectivity struct {
	ID    string // Call-ID
	UUID  string // CTI uuid (X-CC-UUID or bound)
	State CallState
	ICE   ICEState
	// MediaFailure is why the media did not connect ("" while fine).
	MediaFailure string
}

func (c *Connectivity) equal(o *Connectivity) bool {
	if o == nil || c.Link != o.Link || c.Registration != o.Registration || c.OK != o.OK || len(c.Calls) != len(o.Calls) {
		return false
	}
	for i := range c.Calls {
		if c.Calls[i] != o.Calls[i] {
			return false
		}
	}
	return true
}

// queue delivers events in order on one goroutine at a time, started on
// demand. It never blocks the producer: a stalled handler only grows it.
type queue struct {
	mu      sync.Mutex
	items   []Event
	running bool
	closed  bool
	handler func(Event)
	idle    *sync.Cond
	gid     atomic.Uint64 // goroutine running the handler, 0 if none
}

func newQueue(h func(Event)) *queue {
	q := &queue{handler: h}
	q.idle = sync.NewCond(&q.mu)
	return q
}

func (q *queue) push(e Event) {
	if q.handler == nil {
		return
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.items = append(q.items, e)
	if !q.running {
		q.running = true
		go q.run()
	}
}

func (q *queue) run() {
	q.gid.Store(goid())
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			q.gid.Store(0)
			q.running = false
			q.idle.Broadcast()
			q.mu.Unlock()
			return
		}
		e := q.items[0]
		q.items[0] = Event{}
		q.items = q.items[1:]
		q.mu.Unlock()
		q.handler(e)
	}
}

// close stops taking events; those queued are still delivered.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// drain waits until every queued event was delivered.
func (q *queue) drain() {
	q.mu.Lock()
	for q.running {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// inHandler reports whether the caller is the event handler.
func (q *queue) inHandler() bool {
	g := q.gid.Load()
	return g != 0 && g == goid()
}
