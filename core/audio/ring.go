package audio

import "sync"

// ring is the buffer between a device callback and the call's 20 ms
// clock. It holds at most max samples: it starts giving samples once it
// holds prime (so that the two clocks' jitter does not starve the reader),
// gives partial reads on an underrun and primes again; when the writer
// runs ahead (clock drift, a stalled reader) it drops the oldest samples
// back to prime, so the latency stays bounded.
type ring struct {
	mu     sync.Mutex
	buf    []int16
	r, n   int
	prime  int
	primed bool

	underruns, overruns, dropped uint64
}

func newRing(prime, max int) *ring {
	if max < prime {
		max = prime
	}
	return &ring{buf: make([]int16, max), prime: prime}
}

func (q *ring) write(p []int16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if total := q.n + len(p); total > len(q.buf) {
		// Back to prime: the oldest buffered samples go first, then the
		// front of p.
		excess := total - q.prime
		fromBuf := min(excess, q.n)
		q.r = (q.r + fromBuf) % len(q.buf)
		q.n -= fromBuf
		p = p[excess-fromBuf:]
		q.dropped += uint64(excess)
		q.overruns++
	}
	w := (q.r + q.n) % len(q.buf)
	c := copy(q.buf[w:], p)
	copy(q.buf, p[c:])
	q.n += len(p)
}

// read fills p from the front and returns how many samples it gave.
func (q *ring) read(p []int16) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.primed {
		if q.n < q.prime || q.n == 0 {
			return 0
		}
		q.primed = true
	}
	k := min(len(p), q.n)
	c := copy(p[:k], q.buf[q.r:min(q.r+k, len(q.buf))])
	copy(p[c:k], q.buf)
	q.r = (q.r + k) % len(q.buf)
	q.n -= k
	if k < len(p) {
		q.underruns++
		q.primed = false
	}
	return k
}

// reset empties the ring (a new device: its clock starts afresh).
func (q *ring) reset() {
	q.mu.Lock()
	q.r, q.n, q.primed = 0, 0, false
	q.mu.Unlock()
}

type ringStats struct {
	buffered                     int
	underruns, overruns, dropped uint64
}

func (q *ring) stats() ringStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return ringStats{q.n, q.underruns, q.overruns, q.dropped}
}
