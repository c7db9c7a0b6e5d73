package media

import (
	"log/slog"
	"sync"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// eventQueue runs callbacks in order on one goroutine, so that application
// code never runs on (or blocks) a media goroutine.
type eventQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	q      []func()
	closed bool
	done   chan struct{}
	log    *slog.Logger
}

func newEventQueue(log *slog.Logger) *eventQueue {
	e := &eventQueue{done: make(chan struct{}), log: log}
	e.cond = sync.NewCond(&e.mu)
	go e.run()
	return e
}

func (e *eventQueue) push(f func()) {
	e.mu.Lock()
	if !e.closed {
		e.q = append(e.q, f)
		e.cond.Signal()
	}
	e.mu.Unlock()
}

func (e *eventQueue) run() {
	defer close(e.done)
	for {
		e.mu.Lock()
		for len(e.q) == 0 && !e.closed {
			e.cond.Wait()
		}
		if len(e.q) == 0 {
			e.mu.Unlock()
			return
		}
		f := e.q[0]
		e.q[0] = nil
		e.q = e.q[1:]
		e.mu.Unlock()
		// A callback's fault is its own: logged, the next ones still run.
		contain.Do(e.log, "media: event callback", f, nil)
	}
}

// close runs what is queued, then stops; it waits unless called from a
// callback (which would deadlock).
func (e *eventQueue) close(wait bool) {
	e.mu.Lock()
	e.closed = true
	e.cond.Signal()
	e.mu.Unlock()
	if wait {
		<-e.done
	}
}
