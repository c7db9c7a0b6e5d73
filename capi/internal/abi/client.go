package abi

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// client is what a cc_client_t* stands for.
type client struct {
	id   uintptr
	ag   *agent.Agent
	lang string
	host Host
	// secrets is the session's redactor: it knows the passwords and tokens
	// this client was given or received (learned where they arrive, before
	// any later frame is dispatched); every string handed to the host is
	// redacted with it.
	secrets *protocol.Redactor

	mu sync.Mutex
	fn EventFunc // nil: events queue for polling
	// The event callback in progress, if any, and the generation of the
	// callback it was called with: cc_client_set_event_callback waits
	// until no call of an older one is in progress.
	cbGen, callingGen uint64
	calling           bool

	// The poll queue (core/eventq, as the session's): bounded by count and
	// bytes, the oldest events go first, and an "events_dropped" note,
	// which takes no room, is handed out before the next event.
	pollq  *eventq.Queue[[]byte]
	closed chan struct{}

	// Callbacks cc_client_free must wait for: async requests (from
	// submission to the end of their reply callback) and PCM callbacks
	// running. asyncN counts the async requests alone, for async_max.
	inflight int
	asyncN   int
	asyncMax int
	idle     *sync.Cond

	// The async replies waiting for their callback, and the end of their
	// deliverer (replies.go).
	replies   *eventq.Queue[reply]
	delivered chan struct{}
}

// New is cc_client_new: a client made from config, in the handle table.
// hasOut says the host gave somewhere to put the handle.
func New(config Str, hasOut bool, host Host) (id uintptr, r Result) {
	defer contain(&r)
	switch {
	case !hasOut:
		return 0, fail(nil, ccInvalidArgument, errors.New("out is NULL"), nil)
	case config.Null:
		return 0, fail(nil, ccInvalidArgument, errors.New("config_json is NULL"), nil)
	}
	c, err := newClient([]byte(config.S), host)
	if err != nil {
		return 0, fail(nil, statusOf(err), err, nil)
	}
	return register(c), Result{Status: ccOK}
}

// Free is cc_client_free: the handle leaves the table at once, and Free
// returns once no callback of the client runs (see close).
func Free(id uintptr) {
	var r Result
	defer contain(&r)
	if c := unregister(id); c != nil {
		c.close()
	}
}

// SetEventCallback is cc_client_set_event_callback: fn nil queues the
// events for PollEvent.
func SetEventCallback(id uintptr, fn EventFunc) int {
	return call(id, func(c *client) Result {
		c.setCallback(fn)
		return Result{Status: ccOK}
	}).Status
}

// PollEvent is cc_client_poll_event: the next queued event, waiting up
// to timeoutMS (<0 forever, 0 not at all). A failure hands out nothing.
func PollEvent(id uintptr, timeoutMS int, hasOut bool) Result {
	r := call(id, func(c *client) Result {
		if !hasOut {
			return Result{Status: ccInvalidArgument}
		}
		timeout := time.Duration(timeoutMS) * time.Millisecond
		if timeoutMS < 0 {
			timeout = -1
		}
		b, err := c.poll(timeout)
		if err != nil {
			return Result{Status: statusOf(err)}
		}
		return Result{Status: ccOK, JSON: b} // prepared by client.out when queued
	})
	if r.Status != ccOK {
		r.JSON = nil
	}
	return r
}

func newClient(configJSON []byte, host Host) (*client, error) {
	s, err := readConfig(configJSON)
	if err != nil {
		return nil, err
	}
	c := &client{host: host, lang: s.doc.Language, asyncMax: s.asyncMax, pollq: newPollQueue(s.queueMax, s.queueMaxBytes),
		closed: make(chan struct{})}
	c.idle = sync.NewCond(&c.mu)
	a, err := agent.New(s.doc.agentConfig(), c.onEvent)
	if err != nil {
		return nil, s.doc.explain(err)
	}
	c.ag = a
	c.secrets = a.Session().Secrets() // before any event: nothing is sent before the first request
	c.startReplies()
	return c, nil
}

// onEvent runs on the session's event goroutine, one event at a time.
func (c *client) onEvent(ev session.Event) {
	if d, ok := ev.(*session.DroppedEvent); ok {
		c.mu.Lock()
		if c.fn == nil {
			// Polling: the session's drops join the poll queue's count, so
			// that a note is never itself dropped (it would hide its count).
			c.pollq.AddDropped(d.Dropped)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	b, err := c.eventJSON(ev)
	if err != nil {
		return
	}
	c.mu.Lock()
	fn := c.fn
	if fn == nil {
		c.pollq.Push(b) // under c.mu: ordered with a switch to callbacks
		c.mu.Unlock()
		return
	}
	c.calling, c.callingGen = true, c.cbGen
	c.mu.Unlock()
	fn(b)
	c.mu.Lock()
	c.calling = false
	c.idle.Broadcast()
	c.mu.Unlock()
}

// setCallback replaces the event callback. Once it returns, no call of an
// earlier callback is running or will start, except the one the caller is
// inside (a callback replacing itself).
func (c *client) setCallback(fn EventFunc) {
	inside := c.host.kind(c.id) == EventCallback
	c.mu.Lock()
	c.fn = fn
	c.cbGen++
	gen := c.cbGen
	for !inside && c.calling && c.callingGen < gen {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// errBusy: async_max async requests are already in flight.
var errBusy = fmt.Errorf("too many async requests in flight (async_max)")

// startAsync counts an async request in flight before its goroutine starts,
// so that cc_client_free, from then on, waits for its callback. It refuses
// once the client is closing, or past async_max.
func (c *client) startAsync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return session.ErrClosed
	default:
	}
	if c.asyncN >= c.asyncMax {
		return errBusy
	}
	c.asyncN++
	c.inflight++
	return nil
}

func (c *client) endAsync() {
	c.mu.Lock()
	c.asyncN--
	c.inflight--
	c.idle.Broadcast()
	c.mu.Unlock()
}

// enterCallback counts a PCM callback about to run; false (the client is
// closing) means do not call the host.
func (c *client) enterCallback() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return false
	default:
	}
	c.inflight++
	return true
}

func (c *client) exitCallback() {
	c.mu.Lock()
	c.inflight--
	c.idle.Broadcast()
	c.mu.Unlock()
}

// close ends the client: pending requests fail (their callbacks run with
// CC_ERR_CLOSED), and it returns once no callback of this client runs. From
// inside one of its callbacks it does not wait for that one (its caller).
func (c *client) close() {
	close(c.closed)
	c.pollq.Close()  // waiting polls return CC_ERR_CLOSED
	_ = c.ag.Close() // waits for the event callback unless called from it
	self := 0
	kind := c.host.kind(c.id)
	switch kind {
	case ReplyCallback:
		// The deliverer is this goroutine: the replies still to come are
		// called back here, before Free returns.
		c.deliverRestHere()
		self = 1
	case CountedCallback:
		self = 1
	}
	c.mu.Lock()
	for c.inflight > self {
		c.idle.Wait()
	}
	c.mu.Unlock()
	c.replies.Close()
	if kind != ReplyCallback {
		<-c.delivered // the deliverer has ended (it is not the caller)
	}
}
