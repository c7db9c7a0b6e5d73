package session

import (
	"context"
	"log/slog"
	"sync"
	"time"

	json "github.com/goccy/go-json"

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

// queue delivers events in order on one goroutine at a time, started on
// demand so an idle session holds no goroutine for it. It never blocks the
// producer, and it is bounded (see push for the drop policy).
type queue struct {
	mu       sync.Mutex
	items    []Event
	sizes    []int // estimated bytes of each item
	bytes    int   // sum of sizes
	maxN     int
	maxBytes int
	dropped  int    // dropped since the last DroppedEvent was delivered
	total    uint64 // dropped since the session started
	running  bool
	closed   bool
	handler  func(Event)
	log      *slog.Logger
	idle     *sync.Cond
	gid      uint64 // goroutine running the handler, for Close-from-handler

	// pushed counts events queued; done counts events handled (or dropped).
	// A reply's caller waits until done reaches what pushed was when its
	// reply arrived (see waitDelivered).
	pushed, done uint64
	progress     chan struct{} // closed and replaced when done grows, while someone waits
}

func newQueue(h func(Event), log *slog.Logger, maxN, maxBytes int) *queue {
	q := &queue{handler: h, log: log, maxN: maxN, maxBytes: maxBytes}
	q.idle = sync.NewCond(&q.mu)
	return q
}

// push queues e. When the queue is full (Config.EventQueueMax events or
// Config.EventQueueMaxBytes estimated bytes), the oldest events are dropped
// to make room, and the handler gets a DroppedEvent before the next event it
// receives. That note takes no room in the queue, so it never evicts an
// event itself. An event larger than the whole byte budget is dropped. A
// dropped event counts as done for waitDelivered.
func (q *queue) push(e Event) {
	if q.handler == nil {
		return
	}
	size := eventSize(e)
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.pushed++
	if size > q.maxBytes {
		q.dropLocked(1)
	} else {
		for len(q.items) > 0 && (len(q.items) >= q.maxN || q.bytes+size > q.maxBytes) {
			q.bytes -= q.sizes[0]
			q.items[0] = nil
			q.items, q.sizes = q.items[1:], q.sizes[1:]
			q.dropLocked(1)
		}
		q.items = append(q.items, e)
		q.sizes = append(q.sizes, size)
		q.bytes += size
	}
	n := len(q.items)
	start := !q.running && (n > 0 || q.dropped > 0)
	if start {
		q.running = true
	}
	q.mu.Unlock()
	if n == 1024 || n == 65536 {
		// Logged outside the lock: a log handler may emit events itself.
		q.log.Warn("event handler is falling behind", "queued", n)
	}
	if start {
		go q.run()
	}
}

func (q *queue) dropLocked(n int) {
	q.dropped += n
	q.total += uint64(n)
	q.doneLocked(uint64(n))
}

func (q *queue) run() {
	q.mu.Lock()
	q.gid = goid()
	for (len(q.items) > 0 || q.dropped > 0) && !q.closed {
		if q.dropped > 0 {
			// The note is not an item: it is not counted in pushed/done.
			e := &DroppedEvent{Dropped: q.dropped, Total: q.total, Reason: dropReason}
			q.dropped = 0
			q.mu.Unlock()
			q.call(e)
			q.mu.Lock()
			continue
		}
		e := q.items[0]
		q.bytes -= q.sizes[0]
		q.items[0] = nil
		q.items, q.sizes = q.items[1:], q.sizes[1:]
		q.mu.Unlock()
		q.call(e)
		q.mu.Lock()
		q.doneLocked(1)
	}
	q.doneLocked(uint64(len(q.items))) // dropped by close
	q.items, q.sizes, q.bytes = nil, nil, 0
	q.running = false
	q.gid = 0
	q.idle.Broadcast()
	q.mu.Unlock()
}

func (q *queue) call(e Event) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("event handler panicked", "msg_type", string(e.Type()), "panic", r)
		}
	}()
	q.handler(e)
}

func (q *queue) doneLocked(n uint64) {
	if n == 0 {
		return
	}
	q.done += n
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}

// mark returns the number of events queued so far: a reply read now waits
// for those (waitDelivered).
func (q *queue) mark() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pushed
}

// orderWait bounds how long a reply waits for the events before it: long
// enough for any sane handler, short enough that a handler which blocks on
// the very request (a .Wait() in an event handler) costs a delay, not a
// deadlock.
const orderWait = time.Second

// waitDelivered returns once the first mark events have been handled, so a
// caller that gets a reply has seen the pushes that came before it (the
// platform sends a request's pushes before its reply). It does not wait
// when called from the handler itself (the handler cannot run the events
// behind the one it is handling), and waits at most orderWait or until ctx
// ends.
func (q *queue) waitDelivered(ctx context.Context, mark uint64) {
	if q.handler == nil {
		return
	}
	var t *time.Timer
	for {
		q.mu.Lock()
		if q.done >= mark || q.closed || (q.running && q.gid == goid()) {
			q.mu.Unlock()
			break
		}
		if q.progress == nil {
			q.progress = make(chan struct{})
		}
		ch := q.progress
		q.mu.Unlock()
		if t == nil {
			t = time.NewTimer(orderWait)
			defer t.Stop()
		}
		select {
		case <-ch:
		case <-t.C:
			q.log.Warn("reply delivered before the events that preceded it: the event handler is still busy", "waited", orderWait)
			return
		case <-ctx.Done():
			return
		}
	}
}

// close stops delivery; it waits for the handler to return unless it is
// called from the handler itself.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	self := q.running && q.gid == goid()
	for q.running && !self {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// wait blocks until every queued event has been handled (tests, benchmarks).
func (q *queue) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.mu.Lock()
		for q.running {
			q.idle.Wait()
		}
		q.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
