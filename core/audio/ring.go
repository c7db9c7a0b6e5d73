package audio

import "sync"

// ring is the buffer between a device callback and the call's 20 ms
// clock. It holds at most max samples: it starts giving samples once it
// holds prime (so that the two clocks' jitter does not starve the reader),
// gives partial reads on an underrun and primes again; when the writer
// runs ahead (clock drift, a stalled reader) it drops the oldest samples
// back to prime, so the latency stays bounded. A ring that follows drift
// (follow) keeps its level where it settled after priming by reading
// through a slowly steered resampler (ringdrift.go), so the limit is only
// reached by a stalled side.
type ring struct {
	mu     sync.Mutex
	buf    []int16
	r, n   int
	prime  int
	primed bool
	fol    *follower

	underruns, overruns, dropped uint64
}

func newRing(prime, max int) *ring {
	if max < prime {
		max = prime
	}
	return &ring{buf: make([]int16, max), prime: prime}
}

// refollow restarts the drift follower (a new device, a clock of its
// own).
func (q *ring) refollow() {
	q.mu.Lock()
	if q.fol != nil {
		q.fol.restart()
	}
	q.mu.Unlock()
}

// follow makes the ring follow a drift between its two clocks, measured
// over windows of window reads (a second of samples). Its level is held
// where it settled after priming, its troughs at least a quarter of the
// prime above empty and its peaks as far under the limit.
func (q *ring) follow(window int) {
	q.mu.Lock()
	q.fol = newFollower(window, q.prime/driftMargin, len(q.buf))
	q.mu.Unlock()
}

func (q *ring) write(p []int16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer func() {
		if q.fol != nil {
			q.fol.levelNow(q.n)
		}
	}()
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
		if q.fol != nil {
			q.fol.restart()
		}
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
	f := q.fol
	if f != nil && f.resampling() {
		if q.n >= f.need(len(p)) {
			c := f.interpolate(p, q.peek)
			q.r = (q.r + c) % len(q.buf)
			q.n -= c
			f.read(len(p), c, q.n)
			return len(p)
		}
		// Short of an interpolated read (by at most the sample or two
		// the fraction and the ratio add): the ring is about to run dry.
		// The fraction is given up and the read is a copy.
		f.frac, f.snap = 0, false
	}
	k := min(len(p), q.n)
	if f != nil {
		f.copy(p[:k], q.peek)
	} else {
		q.peek(p[:k])
	}
	q.r = (q.r + k) % len(q.buf)
	q.n -= k
	if f != nil {
		f.read(k, k, q.n)
	}
	if k < len(p) {
		q.underruns++
		q.primed = false
		if f != nil {
			f.restart()
		}
	}
	return k
}

// peek copies the len(p) samples from the read position (there are).
func (q *ring) peek(p []int16) {
	c := copy(p, q.buf[q.r:min(q.r+len(p), len(q.buf))])
	copy(p[c:], q.buf)
}

type ringStats struct {
	buffered                     int
	underruns, overruns, dropped uint64
	// driftPPM is the writer's clock against the reader's as measured
	// (positive: the writer is fast), correctionPPM the extra input the
	// reads consume now, resampled the samples read through the
	// interpolator (0: every read was a copy).
	driftPPM, correctionPPM float64
	resampled               uint64
}

func (q *ring) stats() ringStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := ringStats{buffered: q.n, underruns: q.underruns, overruns: q.overruns, dropped: q.dropped}
	if f := q.fol; f != nil {
		st.driftPPM, st.correctionPPM, st.resampled = f.drift*1e6, f.eps*1e6, f.resampled
	}
	return st
}
