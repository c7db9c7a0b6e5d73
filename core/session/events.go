package session

import (
	"log/slog"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Event is what the handler receives: a server push (*protocol.CallbackEvent,
// *protocol.CallinEvent, *protocol.AgentChangeEvent, *protocol.KickOffEvent,
// *protocol.ConnectEvent, *protocol.UnknownMessage) or one of the session's
// own events (*StateEvent, *RestoredEvent, *RefusalEvent).
type Event interface {
	Type() protocol.MsgType
}

// msg_types of the session's own events.
const (
	MsgConnectionState protocol.MsgType = "connection_state"
	MsgSessionRestored protocol.MsgType = "session_restored"
	MsgServerRefusal   protocol.MsgType = "server_refusal"
)

// State is the link's state.
type State int

// Link states.
const (
	StateIdle         State = iota // not connected yet
	StateConnecting                // first connection under way
	StateConnected                 // link up
	StateReconnecting              // link lost, waiting or dialing again
	StateDisconnected              // link lost and reconnect disabled
	StateClosed                    // Close was called
)

var stateNames = [...]string{"idle", "connecting", "connected", "reconnecting", "disconnected", "closed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// StateEvent reports a change of the link's state.
type StateEvent struct {
	State   State         `json:"state"`
	Reason  string        `json:"reason,omitempty"`   // why the link went down
	Attempt int           `json:"attempt,omitempty"`  // reconnect attempt, from 1
	Delay   time.Duration `json:"delay_ns,omitempty"` // wait before this attempt
}

// Type is "connection_state".
func (*StateEvent) Type() protocol.MsgType { return MsgConnectionState }

// RestoredEvent reports that a checked-in session was restored on a new link
// (check-in again, without reset, in the status the agent had; then
// get_status), or that the session is lost (Err: the server refused the
// check-in or the token; the agent must check in again).
type RestoredEvent struct {
	// The agent's state once restored: from get_status when Resynced, else
	// the last status the session saw.
	Status        protocol.AgentStatus `json:"status,omitempty"`
	SubStatus     protocol.SubStatus   `json:"sub_status,omitempty"`
	UUID          string               `json:"uuid,omitempty"`
	InCallNumbers []string             `json:"in_call_numbers,omitempty"`
	Resynced      bool                 `json:"resynced"`
	// Checkin is the restore's check-in reply, for the agent layer (its RTC
	// phone). It holds secrets: it is not part of the event's JSON.
	Checkin *protocol.CheckinReply `json:"-"`
	Err     error                  `json:"-"`
	Error   string                 `json:"error,omitempty"`
}

// Type is "session_restored".
func (*RestoredEvent) Type() protocol.MsgType { return MsgSessionRestored }

// RefusalEvent is a server reply that names no request and that the session
// could not give to one (no request was in flight, or it refused the
// heartbeat): the platform's refusals carry only code and msg.
type RefusalEvent struct {
	Code string          `json:"code"`
	Msg  string          `json:"msg"`
	Raw  json.RawMessage `json:"raw,omitempty"`
}

// Type is "server_refusal".
func (*RefusalEvent) Type() protocol.MsgType { return MsgServerRefusal }

// MarshalJSON writes the event with its msg_type.
func (e *RefusalEvent) MarshalJSON() ([]byte, error) {
	type plain RefusalEvent
	return json.Marshal(struct {
		MsgType protocol.MsgType `json:"msg_type"`
		*plain
	}{MsgServerRefusal, (*plain)(e)})
}

// MsgEventsDropped is the msg_type of DroppedEvent.
const MsgEventsDropped protocol.MsgType = "events_dropped"

// DroppedEvent says the handler fell so far behind that the queue dropped
// its oldest events: Dropped since the previous note, Total since the
// session started. It comes before the first event after the gap.
type DroppedEvent struct {
	Dropped int    `json:"dropped"`
	Total   uint64 `json:"dropped_total"`
	Reason  string `json:"reason"`
}

// Type is "events_dropped".
func (*DroppedEvent) Type() protocol.MsgType { return MsgEventsDropped }

const dropReason = "event queue full (event_queue_max / event_queue_max_bytes): the event handler is not keeping up; the oldest events were dropped"

// Sizer is implemented by events that know their memory footprint better
// than the queue's estimate (a log line carrying a frame).
type Sizer interface {
	SizeHint() int
}

// eventOverhead is the estimated fixed cost of one queued event (the
// structs, their strings' headers, the queue slot).
const eventOverhead = 256

// eventSize estimates what an event holds in memory: a decoded message holds
// its frame plus the fields decoded from it (about the frame again).
func eventSize(e Event) int {
	switch v := e.(type) {
	case Sizer:
		return eventOverhead + v.SizeHint()
	case interface{ Raw() json.RawMessage }:
		return eventOverhead + 2*len(v.Raw())
	}
	return eventOverhead
}

// newEventQueue makes the session's event queue (core/eventq): bounded by
// Config.EventQueueMax and EventQueueMaxBytes, the oldest events dropped
// first, and a DroppedEvent, which takes no room, handed to the handler
// before the next event. A dropped event counts as delivered for a reply
// waiting on it. A panicking handler is logged and the delivery goes on.
func newEventQueue(h func(Event), log *slog.Logger, maxN, maxBytes int) *eventq.Queue[Event] {
	if h == nil {
		return nil // a nil queue drops every event
	}
	return eventq.New(eventq.Options[Event]{
		Handler:  h,
		MaxCount: maxN,
		MaxBytes: maxBytes,
		Size:     eventSize,
		Note: func(dropped int, total uint64) Event {
			return &DroppedEvent{Dropped: dropped, Total: total, Reason: dropReason}
		},
		OnPanic: func(e Event, r any) {
			contain.Report(log, "session: event handler ("+string(e.Type())+")", r)
		},
		OnBacklog: func(n int) {
			log.Warn("event handler is falling behind", "queued", n)
		},
	})
}

// orderWait bounds how long a reply waits for the events before it: long
// enough for any sane handler, short enough that a handler which blocks on
// the very request (a .Wait() in an event handler) costs a delay, not a
// deadlock.
const orderWait = time.Second
