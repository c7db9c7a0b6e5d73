package abi

import (
	"context"

	"github.com/cloudcc/agent-sdk/core/eventq"
)

// Async replies reach the host one at a time per client, in the order they
// completed, from one goroutine (the deliverer): a request's own goroutine
// only queues its outcome. A host callback that takes long inside C holds
// its OS thread (the Go runtime then starts another to run the rest), so
// with a goroutine per callback a storm of async requests, or of reconnects
// failing them, made the thread count climb with the requests in flight;
// now a client holds at most one thread in its reply callbacks.

// reply is an async request's outcome waiting for its callback.
type reply struct {
	fn ReplyFunc
	r  Result
}

// startReplies makes the client's reply queue and its deliverer, which runs
// until the queue is closed (close).
func (c *client) startReplies() {
	c.replies = eventq.New(eventq.Options[reply]{}) // unbounded: every outcome is called back, exactly once
	c.delivered = make(chan struct{})
	go func() {
		defer close(c.delivered)
		for {
			rp, err := c.replies.Poll(context.Background())
			if err != nil {
				return // closed
			}
			c.deliver(rp)
		}
	}()
}

// deliver calls one reply callback; the request stops counting in flight
// once it has returned.
func (c *client) deliver(rp reply) {
	defer c.endAsync()
	rp.fn(rp.r.Status, rp.r.JSON)
}

// deliverRestHere runs, on the calling goroutine, the callbacks of every
// async request still in flight: called by Free from inside a reply
// callback, where the deliverer (this goroutine) cannot run them, and
// Free must not return before they ran. The requests have all been failed
// by then (the agent is closed), so each outcome comes at once.
func (c *client) deliverRestHere() {
	for {
		c.mu.Lock()
		left := c.asyncN
		c.mu.Unlock()
		if left <= 1 { // the callback Free was called from
			return
		}
		rp, err := c.replies.Poll(context.Background())
		if err != nil {
			return
		}
		c.deliver(rp)
	}
}
