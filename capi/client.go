package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
	"unsafe"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/session"
)

// client is what a cc_client_t* stands for.
type client struct {
	id   uintptr
	ag   *agent.Agent
	lang string

	mu      sync.Mutex
	fn      C.cc_event_fn // nil: events queue for polling
	ud      C.uintptr_t   // the host's user_data, never dereferenced by Go
	queue   [][]byte
	max     int
	dropped int
	notify  chan struct{} // a token when the queue gains an event
	closed  chan struct{}
	// Async reply callbacks in flight, and which goroutines run them, so
	// cc_client_free can wait for them except when called from one.
	inflight int
	running  map[uint64]int
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

func newClient(configJSON []byte) (*client, error) {
	// event_queue_max belongs to this layer; the agent rejects unknown keys.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(configJSON, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: config is not a JSON object", session.ErrInvalidArgument)
	}
	max := 100000
	if v, ok := raw["event_queue_max"]; ok {
		if err := json.Unmarshal(v, &max); err != nil || max < 1 {
			return nil, fmt.Errorf("%w: event_queue_max must be a positive integer", session.ErrInvalidArgument)
		}
		delete(raw, "event_queue_max")
	}
	rest, _ := json.Marshal(raw)
	cfg, err := agent.ParseConfig(rest)
	if err != nil {
		return nil, err
	}
	c := &client{lang: cfg.Language, max: max, notify: make(chan struct{}, 1),
		closed: make(chan struct{}), running: map[uint64]int{}}
	c.idle = sync.NewCond(&c.mu)
	a, err := agent.New(cfg, c.onEvent)
	if err != nil {
		return nil, err
	}
	c.ag = a
	return c, nil
}

// onEvent runs on the session's event goroutine, one event at a time.
func (c *client) onEvent(ev session.Event) {
	b, err := eventJSON(ev)
	if err != nil {
		return
	}
	c.mu.Lock()
	fn, ud := c.fn, c.ud
	if fn == nil {
		c.enqueueLocked(b)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	cs := C.CString(string(b))
	defer C.free(unsafe.Pointer(cs))
	C.cc_call_event(fn, ud, cs)
}

func (c *client) enqueueLocked(b []byte) {
	if len(c.queue) >= c.max {
		// Drop the oldest and say so: the host stopped polling.
		c.queue = c.queue[1:]
		c.dropped++
		if c.dropped == 1 || c.dropped%1000 == 0 {
			note, _ := json.Marshal(map[string]any{"msg_type": "events_dropped", "dropped": c.dropped,
				"reason": "event_queue_max reached: cc_client_poll_event is not keeping up"})
			c.queue = append(c.queue[1:], note)
		}
	}
	c.queue = append(c.queue, b)
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// poll takes the next queued event, waiting up to timeout (<0 forever).
func (c *client) poll(timeout time.Duration) ([]byte, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			b := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			more := len(c.queue) > 0
			c.mu.Unlock()
			if more { // pass the wake-up on to another poller
				select {
				case c.notify <- struct{}{}:
				default:
				}
			}
			return b, nil
		}
		c.mu.Unlock()
		if timeout == 0 {
			return nil, context.DeadlineExceeded
		}
		select {
		case <-c.notify:
		case <-expire:
			return nil, context.DeadlineExceeded
		case <-c.closed:
			return nil, session.ErrClosed
		}
	}
}

// beginAsync / endAsync bracket an async reply callback.
func (c *client) beginAsync(gid uint64) {
	c.mu.Lock()
	c.inflight++
	c.running[gid]++
	c.mu.Unlock()
}

// enterCallback is beginAsync for callbacks that must not start once the
// client is closing (PCM frames): false means do not call the host.
func (c *client) enterCallback(gid uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return false
	default:
	}
	c.inflight++
	c.running[gid]++
	return true
}

func (c *client) endAsync(gid uint64) {
	c.mu.Lock()
	c.inflight--
	if c.running[gid]--; c.running[gid] == 0 {
		delete(c.running, gid)
	}
	c.idle.Broadcast()
	c.mu.Unlock()
}

// close ends the client. From inside one of its callbacks it does not wait
// for that callback (it is the caller) but waits for every other.
func (c *client) close() {
	close(c.closed)
	_ = c.ag.Close() // waits for the event callback unless called from it
	self := goid()
	c.mu.Lock()
	for c.inflight > c.running[self] {
		c.idle.Wait()
	}
	c.queue = nil
	c.mu.Unlock()
}
