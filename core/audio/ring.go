package audio

import "sync"

// ring is the buffer between a device callback and the call's 20 ms
// clock. It holds at most max samples: it starts giving samples once it
// holds prime (so that the two clocks' jitter does not starve the reader),
// gives partial reads on an underrun and primes again. When the writer
// runs ahead of the reader by a clock difference, the level creeps up.
// The level saw-tooths with the two sides' periods (a 25 ms device period
// against 20 ms writes), so the creep is read from its troughs: once the
// lowest level of a second of writes stayed above prime, each write drops
// the oldest single sample (no ear hears it) until the level is back at
// prime, where reaching max would drop back to prime at once (40-60 ms of
// audio, every 7-10 minutes at 100 ppm). A writer far ahead (a stalled
// reader) still reaches max and is cut back, so the latency stays bounded.
type ring struct {
	mu     sync.Mutex
	buf    []int16
	r, n   int
	prime  int
	primed bool
	// low is the lowest level after a read in this window of writes;
	// surplus says the last window's never came down to prime.
	low, writes int
	surplus     bool

	underruns, overruns, dropped, slipped uint64
}

// ringSlipWindow is the writes (a second of 20 ms frames) whose lowest
// level tells a surplus from the saw-tooth.
const ringSlipWindow = 50

func newRing(prime, max int) *ring {
	if max < prime {
		max = prime
	}
	return &ring{buf: make([]int16, max), prime: prime, low: max}
}

func (q *ring) write(p []int16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.primed {
		if q.writes++; q.writes >= ringSlipWindow {
			q.surplus, q.low, q.writes = q.low > q.prime, len(q.buf), 0
		}
		if q.surplus && q.n > q.prime {
			q.r = (q.r + 1) % len(q.buf)
			q.n--
			q.slipped++
		}
	}
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
	q.low = min(q.low, q.n)
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
	q.low, q.writes, q.surplus = len(q.buf), 0, false
	q.mu.Unlock()
}

type ringStats struct {
	buffered                              int
	underruns, overruns, dropped, slipped uint64
}

func (q *ring) stats() ringStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return ringStats{q.n, q.underruns, q.overruns, q.dropped, q.slipped}
}
