package abi

import (
	"context"
	"errors"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/session"
)

// The poll queue (core/eventq, as the session's) holds the events of a
// client without an event callback until cc_client_poll_event takes them.

// newPollQueue makes the poll queue: max events and maxBytes (each event
// counted as its JSON plus 64 bytes).
func newPollQueue(max, maxBytes int) *eventq.Queue[[]byte] {
	return eventq.New(eventq.Options[[]byte]{
		MaxCount: max,
		MaxBytes: maxBytes,
		Size:     func(b []byte) int { return len(b) + 64 },
		Note:     dropNote,
	})
}

// dropNote is the "events_dropped" event of the poll queue.
func dropNote(dropped int, total uint64) []byte {
	b, _ := json.Marshal(map[string]any{"msg_type": string(session.MsgEventsDropped), "dropped": dropped,
		"dropped_total": total, "queue": "poll",
		"reason": "event_queue_max or event_queue_max_bytes reached: cc_client_poll_event is not keeping up; the oldest events were dropped"})
	return b
}

// noWait is a done context: a poll with it takes a queued event or none.
var noWait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// poll takes the next queued event, waiting up to timeout (<0 forever).
func (c *client) poll(timeout time.Duration) ([]byte, error) {
	ctx := context.Background()
	switch {
	case timeout == 0:
		ctx = noWait
	case timeout > 0:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	b, err := c.pollq.Poll(ctx)
	switch {
	case errors.Is(err, eventq.ErrClosed):
		return nil, session.ErrClosed
	case err != nil:
		return nil, context.DeadlineExceeded
	}
	return b, nil
}
