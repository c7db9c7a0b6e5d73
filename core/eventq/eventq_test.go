package eventq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector records what a handler received.
type collector struct {
	mu   sync.Mutex
	got  []string
	wake chan struct{}
}

func newCollector() *collector { return &collector{wake: make(chan struct{}, 1)} }

func (c *collector) add(s string) {
	c.mu.Lock()
	c.got = append(c.got, s)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *collector) waitN(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]string(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-deadline.C:
			t.Fatalf("%d items handled, want %d", len(c.got), n)
		}
	}
}

func note(d int, total uint64) string { return fmt.Sprintf("drop %d/%d", d, total) }

func TestHandlerOrderAndDropNote(t *testing.T) {
	col := newCollector()
	holding, release := make(chan struct{}), make(chan struct{})
	q := New(Options[string]{
		Handler: func(s string) {
			if s == "0" {
				close(holding)
				<-release
			}
			col.add(s)
		},
		MaxCount: 3,
		Note:     note,
	})
	defer q.Close()
	q.Push("0")
	<-holding // the handler holds "0": the queue is empty
	for i := 1; i <= 10; i++ {
		q.Push(fmt.Sprint(i))
		if q.Len() > 3 {
			t.Fatalf("%d waiting, bound 3", q.Len())
		}
	}
	close(release)
	got := col.waitN(t, 5)
	if want := "0,drop 7/7,8,9,10"; strings.Join(got, ",") != want {
		t.Fatalf("handled %v, want %s", got, want)
	}
	if q.Dropped() != 7 {
		t.Fatalf("Dropped() = %d", q.Dropped())
	}
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestByteBoundAndOversizedItem(t *testing.T) {
	q := New(Options[string]{MaxBytes: 100, Size: func(s string) int { return len(s) }, Note: note})
	defer q.Close()
	for i := 0; i < 10; i++ {
		q.Push(strings.Repeat(fmt.Sprint(i), 30))
		if q.Bytes() > 100 {
			t.Fatalf("%d bytes waiting, bound 100", q.Bytes())
		}
	}
	q.Push(strings.Repeat("x", 101)) // larger than the budget: dropped itself
	var got []string
	for {
		s, err := q.Poll(noWait(t))
		if err != nil {
			break
		}
		got = append(got, s[:min(len(s), 8)])
	}
	if want := "drop 8/8,77777777,88888888,99999999"; strings.Join(got, ",") != want {
		t.Fatalf("polled %v, want %s", got, want)
	}
}

func noWait(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestPollWaitsWakesAndCloses(t *testing.T) {
	q := New(Options[int]{})
	res := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := q.Poll(context.Background())
			res <- err
		}()
	}
	q.Push(1)
	q.Push(2)
	for range 2 {
		if err := <-res; err != nil {
			t.Fatalf("poll: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := q.Poll(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("poll of an empty queue: %v", err)
	}
	q.Push(3) // dropped by Close
	q.Close()
	if err := <-res; !errors.Is(err, ErrClosed) && err != nil {
		t.Fatalf("third poller: %v", err)
	}
	if _, err := q.Poll(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("poll after Close: %v", err)
	}
}

func TestAddDroppedJoinsTheNote(t *testing.T) {
	q := New(Options[string]{MaxCount: 1, Note: note})
	q.AddDropped(5)
	q.Push("a")
	q.Push("b") // evicts a
	var got []string
	for {
		s, err := q.Poll(noWait(t))
		if err != nil {
			break
		}
		got = append(got, s)
	}
	if want := "drop 6/6,b"; strings.Join(got, ",") != want {
		t.Fatalf("polled %v, want %s", got, want)
	}
}

func TestWaitDelivered(t *testing.T) {
	release := make(chan struct{})
	inner := make(chan error, 1)
	var q *Queue[int]
	q = New(Options[int]{Handler: func(v int) {
		if v == 1 {
			<-release
		}
		if v == 3 {
			// From the handler: no wait for the items behind this one.
			inner <- q.WaitDelivered(context.Background(), q.Mark(), time.Hour)
		}
	}})
	defer q.Close()
	q.Push(1)
	q.Push(2)
	mark := q.Mark()
	if err := q.WaitDelivered(context.Background(), mark, 20*time.Millisecond); !errors.Is(err, ErrWaitLimit) {
		t.Fatalf("while the handler is stuck: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.WaitDelivered(ctx, mark, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a done ctx: %v", err)
	}
	close(release)
	if err := q.WaitDelivered(context.Background(), mark, time.Hour); err != nil {
		t.Fatalf("after release: %v", err)
	}
	q.Push(3)
	q.Push(4)
	if err := <-inner; err != nil {
		t.Fatalf("from the handler: %v", err)
	}
}

func TestCloseWaitsForTheHandlerAndDropsTheRest(t *testing.T) {
	col := newCollector()
	holding, release := make(chan struct{}), make(chan struct{})
	q := New(Options[string]{Handler: func(s string) {
		if s == "a" {
			close(holding)
			<-release
		}
		col.add(s)
	}})
	q.Push("a")
	<-holding
	q.Push("b")
	closed := make(chan struct{})
	go func() {
		q.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while the handler was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	q.Push("c")
	if got := col.waitN(t, 1); strings.Join(got, ",") != "a" {
		t.Fatalf("handled %v, want only a", got)
	}
}

func TestCloseFromTheHandler(t *testing.T) {
	col := newCollector()
	var q *Queue[string]
	q = New(Options[string]{Handler: func(s string) {
		if s == "close" {
			q.Close() // must not wait for itself
		}
		col.add(s)
	}})
	q.Push("close")
	q.Push("after")
	col.waitN(t, 1)
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := col.waitN(t, 1); len(got) != 1 {
		t.Fatalf("handled %v after Close", got)
	}
}

func TestSealStillDelivers(t *testing.T) {
	col := newCollector()
	holding, release := make(chan struct{}), make(chan struct{})
	q := New(Options[string]{Handler: func(s string) {
		if s == "a" {
			close(holding)
			<-release
		}
		col.add(s)
	}})
	q.Push("a")
	<-holding
	q.Push("b")
	q.Seal()
	q.Push("c") // not taken
	close(release)
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := col.waitN(t, 2); strings.Join(got, ",") != "a,b" {
		t.Fatalf("handled %v, want a,b", got)
	}
}

func TestPanicIsRecoveredAndReported(t *testing.T) {
	col := newCollector()
	var mu sync.Mutex
	var panics []string
	q := New(Options[string]{
		Handler: func(s string) {
			if s == "boom" {
				panic("bad handler")
			}
			col.add(s)
		},
		OnPanic: func(s string, r any) {
			mu.Lock()
			panics = append(panics, fmt.Sprint(s, ":", r))
			mu.Unlock()
		},
	})
	defer q.Close()
	q.Push("boom")
	q.Push("next")
	col.waitN(t, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(panics) != 1 || panics[0] != "boom:bad handler" {
		t.Fatalf("panics %v", panics)
	}
}

func TestBacklogIsReported(t *testing.T) {
	var seen []int
	release := make(chan struct{})
	holding := make(chan struct{})
	q := New(Options[int]{
		Handler: func(v int) {
			if v == -1 {
				close(holding)
				<-release
			}
		},
		OnBacklog: func(n int) { seen = append(seen, n) }, // called by Push, on this goroutine
	})
	defer q.Close()
	q.Push(-1)
	<-holding
	for i := 0; i < 2000; i++ {
		q.Push(i)
	}
	close(release)
	if len(seen) != 1 || seen[0] != 1024 {
		t.Fatalf("backlog reports %v, want [1024]", seen)
	}
}

func TestNilQueueDoesNothing(t *testing.T) {
	var q *Queue[int]
	q.Push(1)
	q.AddDropped(1)
	q.Seal()
	q.Close()
	if q.Len() != 0 || q.Mark() != 0 || q.Dropped() != 0 || q.InHandler() {
		t.Fatal("nil queue holds something")
	}
	if err := q.WaitDelivered(context.Background(), 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Poll(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}
