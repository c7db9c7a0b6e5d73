package abi

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A request and its reply, through the handle; a request the server does
// not answer in time is CC_ERR_TIMEOUT, its JSON naming it.
func TestRequest(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, false)
	id := open(t, h, srv.config(""))
	r := Request(id, Str{S: `{"msg_type":"ping","req_id":"r1"}`}, 5000)
	if m := decode(t, r.JSON); r.Status != ccOK || m["code"] != "0" || m["req_id"] != "r1" {
		t.Fatalf("ping: %d %s", r.Status, r.JSON)
	}
	for _, c := range []struct {
		req    Str
		status int
		msg    string
	}{
		{Str{Null: true}, ccInvalidArgument, "invalid argument: request_json is NULL"},
		{Str{S: `{"msg_type":"nope"}`}, ccInvalidArgument, `invalid argument: protocol: unknown msg_type "nope"`},
	} {
		r := Request(id, c.req, 1000)
		if r.Status != c.status || decode(t, r.JSON)["msg"] != c.msg {
			t.Errorf("Request(%+v) = %d %s, want %d %q", c.req, r.Status, r.JSON, c.status, c.msg)
		}
	}

	silent := newCTIServer(t, true)
	id = open(t, h, silent.config(""))
	r = Request(id, Str{S: `{"msg_type":"ping","req_id":"r2"}`}, 100)
	if m := decode(t, r.JSON); r.Status != ccTimeout || m["msg_type"] != "ping" || m["req_id"] != "r2" {
		t.Fatalf("unanswered ping: %d %s", r.Status, r.JSON)
	}
}

// async_max bounds the async requests in flight; one more is CC_ERR_BUSY.
// Free fails the pending ones (CC_ERR_CLOSED) and returns once each
// callback has run, exactly once.
func TestAsyncBoundAndFree(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, true)
	id := open(t, h, srv.config(`"async_max":2,"request_timeout_ms":60000`))
	var replies, closed atomic.Int32
	fn := h.reply(id, func(st int, b []byte) {
		replies.Add(1)
		if st == ccClosed && decode(t, b)["code"] == "-6" {
			closed.Add(1)
		}
	})
	for i := 0; i < 2; i++ {
		if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 0, fn); st != ccOK {
			t.Fatalf("async %d: %d", i, st)
		}
	}
	if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 0, fn); st != ccBusy {
		t.Fatalf("third async with async_max 2: %d, want CC_ERR_BUSY", st)
	}
	Free(id)
	if replies.Load() != 2 || closed.Load() != 2 {
		t.Fatalf("Free returned after %d replies (%d CC_ERR_CLOSED), want 2", replies.Load(), closed.Load())
	}
	if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 0, fn); st != ccInvalidHandle {
		t.Fatalf("async after Free: %d", st)
	}
}

// A finished async request gives its slot back; refused arguments never
// call back.
func TestAsyncSlotsAndRefusals(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, false)
	id := open(t, h, srv.config(`"async_max":1`))
	got := make(chan int, 2)
	fn := h.reply(id, func(st int, _ []byte) { got <- st })
	for i := 0; i < 2; i++ {
		if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 5000, fn); st != ccOK {
			t.Fatalf("async %d: %d", i, st)
		}
		if st := <-got; st != ccOK {
			t.Fatalf("async %d replied %d", i, st)
		}
		// The slot is given back once the callback has returned.
		for c := lookup(id); ; runtime.Gosched() {
			c.mu.Lock()
			n := c.asyncN
			c.mu.Unlock()
			if n == 0 {
				break
			}
		}
	}
	for name, st := range map[string]int{
		"NULL request":  RequestAsync(id, Str{Null: true}, 0, fn),
		"NULL callback": RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 0, nil),
		"bad request":   RequestAsync(id, Str{S: `{"msg_type":"nope"}`}, 0, fn),
	} {
		if st != ccInvalidArgument {
			t.Errorf("%s: %d", name, st)
		}
	}
	Free(id)
	if len(got) != 0 {
		t.Fatalf("a refused async request called back: %d", <-got)
	}
}

// Free from inside a reply callback does not wait for that callback (its
// caller): it returns, and so does the callback.
func TestFreeInsideReplyCallback(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, false)
	id := open(t, h, srv.config(""))
	done := make(chan int, 1)
	fn := h.reply(id, func(st int, _ []byte) {
		Free(id)
		done <- st
	})
	if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 5000, fn); st != ccOK {
		t.Fatalf("async: %d", st)
	}
	select {
	case st := <-done:
		if st != ccOK {
			t.Fatalf("reply %d", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Free inside the reply callback did not return")
	}
	if handles() != 0 {
		t.Fatal("the handle outlived Free")
	}
}
