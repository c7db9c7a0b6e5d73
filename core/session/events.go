package session

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Event is what the handler receives: a server push (*protocol.CallbackEvent,
// *protocol.CallinEvent, *protocol.AgentChangeEvent, *protocol.UnknownMessage)
// or one of the session's own events (*StateEvent, *RestoredEvent).
type Event interface {
	Type() protocol.MsgType
}

// msg_types of the session's own events.
const (
	MsgConnectionState protocol.MsgType = "connection_state"
	MsgSessionRestored protocol.MsgType = "session_restored"
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
// (check-in again with reset), or why it could not be.
type RestoredEvent struct {
	Reply *protocol.CheckinReply `json:"reply,omitempty"`
	Err   error                  `json:"-"`
	Error string                 `json:"error,omitempty"`
}

// Type is "session_restored".
func (*RestoredEvent) Type() protocol.MsgType { return MsgSessionRestored }

// queue delivers events in order on one goroutine at a time, started on
// demand so an idle session holds no goroutine for it. It never blocks the
// producer: a stalled handler only grows the queue.
type queue struct {
	mu      sync.Mutex
	items   []Event
	running bool
	closed  bool
	handler func(Event)
	log     *slog.Logger
	idle    *sync.Cond
	gid     uint64 // goroutine running the handler, for Close-from-handler
}

func newQueue(h func(Event), log *slog.Logger) *queue {
	q := &queue{handler: h, log: log}
	q.idle = sync.NewCond(&q.mu)
	return q
}

func (q *queue) push(e Event) {
	if q.handler == nil {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, e)
	n := len(q.items)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if n == 1024 || n == 65536 {
		// Logged outside the lock: a log handler may emit events itself.
		q.log.Warn("event handler is falling behind", "queued", n)
	}
	if start {
		go q.run()
	}
}

func (q *queue) run() {
	q.mu.Lock()
	q.gid = goid()
	for len(q.items) > 0 && !q.closed {
		e := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		q.mu.Unlock()
		q.call(e)
		q.mu.Lock()
	}
	q.items = nil
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
