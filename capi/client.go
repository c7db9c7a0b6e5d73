package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	json "github.com/goccy/go-json"

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
	// secrets is the session's redactor: it knows the passwords and tokens
	// this client was given or received (learned where they arrive, before
	// any later frame is dispatched); every string handed to the host is
	// redacted with it.
	secrets *protocol.Redactor

	mu sync.Mutex
	fn C.cc_event_fn // nil: events queue for polling
	ud C.uintptr_t   // the host's user_data, never dereferenced by Go
	// The event callback in progress, if any, and the generation of the
	// (fn, ud) pair it was called with: cc_client_set_event_callback waits
	// until no call of an older pair is in progress.
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
}

// The handle table: ids are random-based and never reused, so a freed or
// foreign pointer is simply not found.
var (
	tableMu sync.RWMutex
	table   = map[uintptr]*client{}
	nextID  uintptr
)

func init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// A high, even-aligned start far from small integers and typical heap addresses.
	nextID = uintptr(0x7c00_0000_0000) + uintptr(binary.LittleEndian.Uint32(b[:])&^0xff)<<8
}

func register(c *client) uintptr {
	tableMu.Lock()
	defer tableMu.Unlock()
	nextID += 16
	c.id = nextID
	table[c.id] = c
	return c.id
}

func lookup(h *C.cc_client_t) *client {
	if h == nil {
		return nil
	}
	id := uintptr(C.cc_id_of(h))
	tableMu.RLock()
	defer tableMu.RUnlock()
	return table[id]
}

func unregister(h *C.cc_client_t) *client {
	if h == nil {
		return nil
	}
	id := uintptr(C.cc_id_of(h))
	tableMu.Lock()
	defer tableMu.Unlock()
	c := table[id]
	delete(table, id)
	return c
}

// handles counts live clients (tests check it is back to zero).
func handles() int {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return len(table)
}

// defaultAsyncMax is the default of config "async_max".
const defaultAsyncMax = 1000

// positiveInt reads an optional config key that must be an integer >= 1.
func positiveInt(raw map[string]json.RawMessage, key string, def int) (int, error) {
	v, ok := raw[key]
	if !ok {
		return def, nil
	}
	n := 0
	if err := json.Unmarshal(v, &n); err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %s must be a positive integer", session.ErrInvalidArgument, key)
	}
	return n, nil
}

func newClient(configJSON []byte) (*client, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(configJSON, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: config is not a JSON object", session.ErrInvalidArgument)
	}
	max, err := positiveInt(raw, "event_queue_max", session.DefaultEventQueueMax)
	if err != nil {
		return nil, err
	}
	maxBytes, err := positiveInt(raw, "event_queue_max_bytes", session.DefaultEventQueueMaxBytes)
	if err != nil {
		return nil, err
	}
	// async_max belongs to this layer; the agent rejects unknown keys.
	asyncMax, err := positiveInt(raw, "async_max", defaultAsyncMax)
	if err != nil {
		return nil, err
	}
	delete(raw, "async_max")
	rest, _ := json.Marshal(raw)
	doc, err := parseConfig(rest)
	if err != nil {
		return nil, err
	}
	c := &client{lang: doc.Language, asyncMax: asyncMax, pollq: newPollQueue(max, maxBytes), closed: make(chan struct{})}
	c.idle = sync.NewCond(&c.mu)
	a, err := agent.New(doc.agentConfig(), c.onEvent)
	if err != nil {
		return nil, doc.explain(err)
	}
	c.ag = a
	c.secrets = a.Session().Secrets() // before any event: nothing is sent before the first request
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
	fn, ud := c.fn, c.ud
	if fn == nil {
		c.pollq.Push(b) // under c.mu: ordered with a switch to callbacks
		c.mu.Unlock()
		return
	}
	c.calling, c.callingGen = true, c.cbGen
	c.mu.Unlock()
	cs := C.CString(string(b))
	C.cc_bridge_call_event(fn, ud, cs, C.uintptr_t(c.id))
	C.free(unsafe.Pointer(cs))
	c.mu.Lock()
	c.calling = false
	c.idle.Broadcast()
	c.mu.Unlock()
}

// setCallback replaces the event callback. Once it returns, no call of an
// earlier (fn, ud) pair is running or will start, except the one the caller
// is inside (a callback replacing itself).
func (c *client) setCallback(fn C.cc_event_fn, ud C.uintptr_t) {
	inside := C.cc_bridge_callback_kind(C.uintptr_t(c.id)) == C.CC_CB_EVENT
	c.mu.Lock()
	c.fn, c.ud = fn, ud
	c.cbGen++
	gen := c.cbGen
	for !inside && c.calling && c.callingGen < gen {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

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
	if C.cc_bridge_callback_kind(C.uintptr_t(c.id)) == C.CC_CB_COUNTED {
		self = 1
	}
	c.mu.Lock()
	for c.inflight > self {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// out prepares a JSON string for the host: secrets redacted (keep names the
// top-level fields that carry one on purpose) and valid UTF-8.
func (c *client) out(b []byte, keep map[string]bool) []byte {
	if c == nil {
		return protocol.ValidUTF8(protocol.Redact(b))
	}
	return protocol.ValidUTF8(c.secrets.JSON(b, keep))
}

// The documented fields that hand a secret to the application: check-in's
// extension password (for the app's own softphone) and token, get-token's
// token. Everywhere else secrets are redacted.
var (
	keepCheckin = map[string]bool{"ext_pwd": true, "token": true}
	keepToken   = map[string]bool{"token": true}
)

func keepFor(m protocol.Message) map[string]bool {
	switch m.(type) {
	case *protocol.CheckinReply:
		return keepCheckin
	case *protocol.TokenReply:
		return keepToken
	}
	return nil
}
