package abi

import (
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cloudcc/agent-sdk/core/session"
)

func stateEvent(reason string) *session.StateEvent {
	return &session.StateEvent{State: session.StateConnecting, Reason: reason}
}

// Events queue for polling until a callback is set, go to the callback
// while one is, and queue again once it is removed; in order throughout.
func TestEventsPollOrCallback(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
	c := lookup(id)
	c.onEvent(stateEvent("one"))
	c.onEvent(stateEvent("two"))
	var got []string
	fn := h.event(id, func(b []byte) { got = append(got, decode(t, b)["reason"].(string)) })
	if st := SetEventCallback(id, fn); st != ccOK {
		t.Fatal(st)
	}
	c.onEvent(stateEvent("three"))
	SetEventCallback(id, nil)
	c.onEvent(stateEvent("four"))
	for _, want := range []string{"one", "two", "four"} {
		r := PollEvent(id, 0, true)
		if m := decode(t, r.JSON); r.Status != ccOK || m["msg_type"] != "connection_state" || m["reason"] != want {
			t.Fatalf("poll: %d %s, want reason %q", r.Status, r.JSON, want)
		}
	}
	if strings.Join(got, ",") != "three" {
		t.Fatalf("callback got %v", got)
	}
	if r := PollEvent(id, 0, true); r.Status != ccTimeout || r.JSON != nil {
		t.Fatalf("empty queue: %d %s", r.Status, r.JSON)
	}
	if r := PollEvent(id, 0, false); r.Status != ccInvalidArgument || r.JSON != nil {
		t.Fatalf("no out: %d %s", r.Status, r.JSON)
	}
}

// A poll waiting when the client is freed returns CC_ERR_CLOSED.
func TestPollWokenByFree(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
	c := lookup(id)
	done := make(chan error, 1)
	go func() {
		_, err := c.poll(-1)
		done <- err
	}()
	Free(id)
	if err := <-done; statusOf(err) != ccClosed {
		t.Fatalf("waiting poll after Free: %v", err)
	}
}

// SetEventCallback returns only once the callback it replaces has
// returned, unless called from inside it.
func TestSetEventCallbackWaitsForTheOldOne(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
	c := lookup(id)
	var mu sync.Mutex
	var order []string
	log := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	started, release := make(chan struct{}), make(chan struct{})
	SetEventCallback(id, h.event(id, func([]byte) {
		close(started)
		<-release
		log("old callback returned")
	}))
	go c.onEvent(stateEvent("x"))
	<-started
	set := make(chan struct{})
	go func() {
		SetEventCallback(id, nil)
		log("SetEventCallback returned")
		close(set)
	}()
	for gen := uint64(0); gen < 2; runtime.Gosched() { // until the replacement waits
		c.mu.Lock()
		gen = c.cbGen
		c.mu.Unlock()
	}
	close(release)
	<-set
	if strings.Join(order, "; ") != "old callback returned; SetEventCallback returned" {
		t.Fatalf("order: %v", order)
	}

	// From inside the callback: no wait for itself.
	replaced := make(chan struct{})
	SetEventCallback(id, h.event(id, func([]byte) {
		SetEventCallback(id, nil)
		close(replaced)
	}))
	c.onEvent(stateEvent("y"))
	<-replaced
}

// Events are redacted with what the client learned, and the drops of the
// session's queue reach the poller as one events_dropped note.
func TestEventsRedactedAndDropsCounted(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
	c := lookup(id)
	c.secrets.Learn("s3cret-pass")
	c.onEvent(stateEvent("rejected s3cret-pass"))
	c.onEvent(&session.DroppedEvent{Dropped: 3, Total: 3})
	c.onEvent(stateEvent("after"))
	// The note is handed out first, by the next poll.
	if m := decode(t, PollEvent(id, 0, true).JSON); m["msg_type"] != "events_dropped" || m["dropped"] != 3.0 || m["queue"] != "poll" {
		t.Fatalf("drop note: %v", m)
	}
	if m := decode(t, PollEvent(id, 0, true).JSON); m["reason"] != "rejected ***" {
		t.Fatalf("not redacted: %v", m)
	}
	if m := decode(t, PollEvent(id, 0, true).JSON); m["reason"] != "after" {
		t.Fatalf("after the note: %v", m)
	}
	// With a callback, the session's note is handed over as it is.
	var note map[string]any
	SetEventCallback(id, h.event(id, func(b []byte) { note = decode(t, b) }))
	c.onEvent(&session.DroppedEvent{Dropped: 1, Total: 4})
	if note["msg_type"] != "events_dropped" || note["queue"] != "callback" || note["dropped_total"] != 4.0 {
		t.Fatalf("callback note: %v", note)
	}
}
