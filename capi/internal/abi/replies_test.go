package abi

import (
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hostWork stands for a host's reply callback that takes a while inside C
// (a ctypes callback waiting for the GIL, a UI dispatch): a blocking
// system call, which holds its OS thread as a C call does, so the Go
// runtime starts another thread to run the rest.
func hostWork() { _ = syscall.Nanosleep(&syscall.Timespec{Nsec: int64(20 * time.Millisecond)}, nil) }

// A client's reply callbacks run one at a time, in the order the replies
// came: however many requests are in flight and however slow the host's
// callback, the client holds at most one thread in them, so a storm of
// async requests (or of reconnects failing them) cannot make the process's
// thread count climb with the requests in flight.
func TestReplyCallbacksOneAtATime(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, false)
	id := open(t, h, srv.config(`"async_max":100`))
	if r := Request(id, Str{S: `{"msg_type":"ping"}`}, 5000); r.Status != ccOK { // the link is up
		t.Fatalf("ping: %d %s", r.Status, r.JSON)
	}
	const n = 100
	var running, most, calls atomic.Int32
	var wg sync.WaitGroup
	wg.Add(n)
	fn := h.reply(id, func(st int, _ []byte) {
		defer wg.Done()
		if k := running.Add(1); k > most.Load() {
			most.Store(k)
		}
		hostWork()
		calls.Add(1)
		running.Add(-1)
	})
	threads := pprof.Lookup("threadcreate")
	before := threads.Count()
	for i := 0; i < n; i++ {
		if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 10000, fn); st != ccOK {
			t.Fatalf("async %d: %d", i, st)
		}
	}
	wg.Wait()
	grew := threads.Count() - before
	t.Logf("%d reply callbacks of 20 ms each: at most %d at once, %d threads created", calls.Load(), most.Load(), grew)
	if most.Load() != 1 {
		t.Errorf("%d reply callbacks ran at once, want 1", most.Load())
	}
	// Without the bound, every callback blocked in the host holds a thread:
	// the runtime made about one per request in flight (~60 here).
	if grew > 12 {
		t.Errorf("%d threads created for %d reply callbacks", grew, n)
	}
}

// Free from inside a reply callback, with other replies still to come:
// each of them is called back exactly once (CC_ERR_CLOSED) before Free
// returns, none after.
func TestFreeInsideReplyCallbackRunsTheRest(t *testing.T) {
	h := begin(t)
	srv := newCTIServer(t, true) // never answers: the requests wait until Free
	id := open(t, h, srv.config(`"request_timeout_ms":60000`))
	var mu sync.Mutex
	var got []int
	var freed atomic.Bool
	late := make(chan int, 8)
	record := func(st int) {
		if freed.Load() {
			late <- st
		}
		mu.Lock()
		got = append(got, st)
		mu.Unlock()
	}
	rest := h.reply(id, func(st int, _ []byte) { record(st) })
	first := h.reply(id, func(st int, _ []byte) {
		record(st)
		Free(id)
		freed.Store(true)
	})
	if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 50, first); st != ccOK { // times out first
		t.Fatalf("async: %d", st)
	}
	for i := 0; i < 5; i++ {
		if st := RequestAsync(id, Str{S: `{"msg_type":"ping"}`}, 0, rest); st != ccOK {
			t.Fatalf("async %d: %d", i, st)
		}
	}
	deadline := time.After(10 * time.Second)
	for !freed.Load() {
		select {
		case <-deadline:
			t.Fatal("Free inside the reply callback did not return")
		case <-time.After(5 * time.Millisecond): // polling the flag the callback sets, with a deadline
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 6 || got[0] != ccTimeout {
		t.Fatalf("callbacks %v: want the timeout, then 5 CC_ERR_CLOSED", got)
	}
	for _, st := range got[1:] {
		if st != ccClosed {
			t.Fatalf("callbacks %v: want the timeout, then 5 CC_ERR_CLOSED", got)
		}
	}
	select {
	case st := <-late:
		t.Fatalf("a callback (%d) ran after Free returned", st)
	default:
	}
}
