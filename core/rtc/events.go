package rtc

import (
	"log/slog"
	"time"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/internal/contain"
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

// newEventQueue makes the phone's event queue (core/eventq): unbounded (the
// phone's events are few: a handler that stalls only grows it), in order,
// on one goroutine at a time. nil (no handler) drops every event.
func newEventQueue(h func(Event), log *slog.Logger) *eventq.Queue[Event] {
	if h == nil {
		return nil
	}
	return eventq.New(eventq.Options[Event]{
		Handler: h,
		OnPanic: func(e Event, r any) {
			contain.Report(log, "rtc: event handler ("+e.Type.String()+")", r)
		},
	})
}

// emit queues an event for the handler, stamped with the time.
func (p *Phone) emit(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	p.events.Push(e)
}
