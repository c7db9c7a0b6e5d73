// Package eventq is the SDK's one event queue: an ordered FIFO that never
// blocks its producer, bounded by a count and an estimate of bytes, that
// drops its oldest items when full and says how many it dropped.
//
// Items leave it in one of two ways, chosen when it is made:
//   - pushed to a handler (Options.Handler set): one goroutine at a time,
//     started on demand, calls the handler in order, so an idle queue holds
//     no goroutine. The CTI session (core/session) and the SIP phone
//     (core/rtc) deliver their events this way.
//   - pulled with Poll (no handler): any number of pollers wait for the
//     next item. The C ABI's polling mode (cc_client_poll_event) works so.
//
// It is a public package, not one under core/internal, because the C ABI's
// logic is meant to live in a cgo-free package under capi/, and Go lets
// capi/ import nothing under core/internal. The ABI's poll queue cannot
// simply read the session's queue: in polling mode the events still pass
// through the agent (which acts on them first) and are turned into JSON
// for the host, and the host may switch between callback and polling at
// any time; so the ABI keeps a queue of its own, of the same kind.
package eventq

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Poll once the queue is closed.
var ErrClosed = errors.New("eventq: queue closed")

// ErrWaitLimit is returned by WaitDelivered when its limit passed first.
var ErrWaitLimit = errors.New("eventq: items still being handled")

// Options configure a queue. The zero value is an unbounded pull queue.
type Options[T any] struct {
	// Handler, when set, receives the items in order on a goroutine the
	// queue owns (one at a time). It may call the queue, even Close. Nil:
	// items wait for Poll.
	Handler func(T)
	// MaxCount and MaxBytes bound the items waiting (count, and the sum of
	// Size). When either would be passed, the oldest items are dropped to
	// make room; an item larger than MaxBytes is dropped itself. Zero or
	// negative: no bound.
	MaxCount int
	MaxBytes int
	// Size estimates an item's bytes (for MaxBytes). Nil: 0.
	Size func(T) int
	// Note makes the item that reports a drop: dropped since the last note,
	// total since the queue was made. It is handed out before the next
	// item, and takes no room in the queue, so it never evicts an item
	// itself and is never dropped. Nil: drops are only counted (Dropped).
	Note func(dropped int, total uint64) T
	// OnPanic is told of a panic of the handler, which is recovered: one
	// bad event must not stop the delivery of the others.
	OnPanic func(item T, recovered any)
	// OnBacklog is called, outside the queue's lock, when the items waiting
	// reach 1024 and again 65536: the handler is falling behind.
	OnBacklog func(waiting int)
}

// Queue is an ordered, bounded FIFO. A nil *Queue takes nothing: its
// methods do nothing (a session without a handler has none).
type Queue[T any] struct {
	opts Options[T]

	mu      sync.Mutex
	items   []T
	sizes   []int // estimated bytes of each item
	bytes   int   // sum of sizes
	dropped int   // since the last note
	total   uint64
	running bool // the handler goroutine runs
	sealed  bool // takes no more items
	closed  bool // delivers no more items either
	idle    *sync.Cond
	gid     atomic.Uint64 // goroutine running the handler, 0 if none

	// pushed counts items taken; done counts items handled or dropped. A
	// caller that read a reply waits until done reaches what pushed was then
	// (WaitDelivered).
	pushed, done uint64
	progress     chan struct{} // closed and replaced when done grows, while someone waits

	ready chan struct{} // pull mode: closed and replaced when an item or a close comes
}

// New makes a queue.
func New[T any](opts Options[T]) *Queue[T] {
	q := &Queue[T]{opts: opts}
	q.idle = sync.NewCond(&q.mu)
	if opts.Handler == nil {
		q.ready = make(chan struct{})
	}
	return q
}

// Push queues v (see Options for the bound and the drop policy). It never
// blocks. After Seal or Close it drops v without counting it.
func (q *Queue[T]) Push(v T) {
	if q == nil {
		return
	}
	size := 0
	if q.opts.Size != nil {
		size = q.opts.Size(v)
	}
	q.mu.Lock()
	if q.sealed {
		q.mu.Unlock()
		return
	}
	q.pushed++
	if q.opts.MaxBytes > 0 && size > q.opts.MaxBytes {
		q.dropLocked(1)
	} else {
		for len(q.items) > 0 && ((q.opts.MaxCount > 0 && len(q.items) >= q.opts.MaxCount) ||
			(q.opts.MaxBytes > 0 && q.bytes+size > q.opts.MaxBytes)) {
			q.popLocked()
			q.dropLocked(1)
		}
		q.items = append(q.items, v)
		q.sizes = append(q.sizes, size)
		q.bytes += size
	}
	n := len(q.items)
	start := q.wakeLocked()
	q.mu.Unlock()
	if (n == 1024 || n == 65536) && q.opts.OnBacklog != nil {
		q.opts.OnBacklog(n)
	}
	if start {
		go q.run()
	}
}

// AddDropped counts n items dropped before they reached this queue (by a
// queue upstream), so that the next note reports them too.
func (q *Queue[T]) AddDropped(n int) {
	if q == nil || n <= 0 {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.dropped += n
	q.total += uint64(n)
	start := q.wakeLocked()
	q.mu.Unlock()
	if start {
		go q.run()
	}
}

// wakeLocked tells a waiting poller, or reports that the handler goroutine
// must be started (it is then marked running). q.mu held.
func (q *Queue[T]) wakeLocked() (start bool) {
	if q.ready != nil {
		q.broadcastLocked()
		return false
	}
	if !q.running && !q.closed && (len(q.items) > 0 || q.dropped > 0) {
		q.running = true
		return true
	}
	return false
}

func (q *Queue[T]) broadcastLocked() {
	close(q.ready)
	q.ready = make(chan struct{})
}

// popLocked takes the oldest item out. q.mu held.
func (q *Queue[T]) popLocked() T {
	v := q.items[0]
	var zero T
	q.items[0] = zero
	q.bytes -= q.sizes[0]
	q.items, q.sizes = q.items[1:], q.sizes[1:]
	return v
}

func (q *Queue[T]) dropLocked(n int) {
	q.dropped += n
	q.total += uint64(n)
	q.doneLocked(uint64(n))
}

func (q *Queue[T]) doneLocked(n uint64) {
	if n == 0 {
		return
	}
	q.done += n
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}

// noteLocked returns the drop note due, if any. q.mu held.
func (q *Queue[T]) noteLocked() (T, bool) {
	var zero T
	if q.dropped == 0 || q.opts.Note == nil {
		q.dropped = 0
		return zero, false
	}
	v := q.opts.Note(q.dropped, q.total)
	q.dropped = 0
	return v, true
}

func (q *Queue[T]) run() {
	q.gid.Store(goid())
	q.mu.Lock()
	for (len(q.items) > 0 || q.dropped > 0) && !q.closed {
		if note, ok := q.noteLocked(); ok {
			// The note is not an item: it is not counted in pushed/done.
			q.mu.Unlock()
			q.call(note)
			q.mu.Lock()
			continue
		}
		if len(q.items) == 0 {
			continue
		}
		v := q.popLocked()
		q.mu.Unlock()
		q.call(v)
		q.mu.Lock()
		q.doneLocked(1)
	}
	q.doneLocked(uint64(len(q.items))) // dropped by Close
	q.items, q.sizes, q.bytes = nil, nil, 0
	q.running = false
	q.gid.Store(0)
	q.idle.Broadcast()
	q.mu.Unlock()
}

func (q *Queue[T]) call(v T) {
	defer func() {
		if r := recover(); r != nil && q.opts.OnPanic != nil {
			q.opts.OnPanic(v, r)
		}
	}()
	q.opts.Handler(v)
}

// Poll returns the next item (a drop note first, when one is due), waiting
// until one comes, ctx ends (ctx.Err()) or the queue is closed (ErrClosed).
// A queued item is returned even when ctx is already done, so a done ctx
// polls without waiting. Only for a queue without a handler.
func (q *Queue[T]) Poll(ctx context.Context) (T, error) {
	var zero T
	if q == nil || q.opts.Handler != nil {
		return zero, ErrClosed
	}
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return zero, ErrClosed
		}
		if note, ok := q.noteLocked(); ok {
			q.mu.Unlock()
			return note, nil
		}
		if len(q.items) > 0 {
			v := q.popLocked()
			q.doneLocked(1)
			q.mu.Unlock()
			return v, nil
		}
		ready := q.ready
		q.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// Len is the number of items waiting.
func (q *Queue[T]) Len() int {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Bytes is the estimated size of the items waiting (Options.Size).
func (q *Queue[T]) Bytes() int {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// Dropped is the number of items dropped since the queue was made
// (AddDropped's included).
func (q *Queue[T]) Dropped() uint64 {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// Mark returns the number of items taken so far: a caller that read a
// reply now waits for those with WaitDelivered.
func (q *Queue[T]) Mark() uint64 {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pushed
}

// WaitDelivered returns nil once the first mark items have been handled
// (or dropped), at once when called from the handler itself (which cannot
// run the items behind the one it is handling) or once the queue is
// closed; ErrWaitLimit after limit; ctx.Err() when ctx ends first.
func (q *Queue[T]) WaitDelivered(ctx context.Context, mark uint64, limit time.Duration) error {
	if q == nil || q.opts.Handler == nil {
		return nil
	}
	var t *time.Timer
	for {
		q.mu.Lock()
		if q.done >= mark || q.closed || q.inHandler() {
			q.mu.Unlock()
			return nil
		}
		if q.progress == nil {
			q.progress = make(chan struct{})
		}
		ch := q.progress
		q.mu.Unlock()
		if t == nil {
			t = time.NewTimer(limit)
			defer t.Stop()
		}
		select {
		case <-ch:
		case <-t.C:
			return ErrWaitLimit
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Seal makes the queue take no more items; those queued are still
// delivered (Wait waits for them).
func (q *Queue[T]) Seal() {
	if q == nil {
		return
	}
	q.mu.Lock()
	q.sealed = true
	q.mu.Unlock()
}

// Close stops the queue: it takes no more items, and those waiting are
// dropped. It returns once the handler is not running, unless it is called
// from the handler itself (which then finishes the item it is handling).
// Pollers waiting return ErrClosed. Calling it twice is harmless.
func (q *Queue[T]) Close() {
	if q == nil {
		return
	}
	q.mu.Lock()
	q.sealed, q.closed = true, true
	if q.ready != nil {
		q.doneLocked(uint64(len(q.items)))
		q.items, q.sizes, q.bytes, q.dropped = nil, nil, 0, 0
		q.broadcastLocked()
	}
	self := q.inHandler()
	for q.running && !self {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// Wait blocks until no item is waiting or being handled, or ctx ends. From
// the handler itself it returns at once (it would wait for itself).
func (q *Queue[T]) Wait(ctx context.Context) error {
	if q == nil || q.opts.Handler == nil || q.inHandler() {
		return nil
	}
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

// InHandler reports whether the caller is the handler, called by this
// queue.
func (q *Queue[T]) InHandler() bool { return q != nil && q.inHandler() }

func (q *Queue[T]) inHandler() bool {
	g := q.gid.Load()
	return g != 0 && g == goid()
}

// goid returns the current goroutine's id. It lets Close and Wait know they
// run inside the handler (where waiting for the handler would deadlock);
// it is not on any hot path.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		id, _ := strconv.ParseUint(s[:i], 10, 64)
		return id
	}
	return 0
}
