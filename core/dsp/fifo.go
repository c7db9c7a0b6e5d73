package dsp

import "sync"

// refFIFO carries the reference (the played-out audio) from the playout
// thread to the capture thread. The playout side only appends; the capture
// side copies from the front and then advances. Positions are absolute
// sample counts, so an overflow that drops old samples between the capture
// side's peek and its advance never makes it drop newer ones.
type refFIFO struct {
	mu        sync.Mutex
	buf       []int16
	head      int64 // samples ever pushed
	tail      int64 // samples ever removed
	maxPush   int   // largest single push seen: the playout side's burst
	overflown bool  // samples were dropped since the capture side looked
	overflows int64
}

func newRefFIFO(capacity int) *refFIFO { return &refFIFO{buf: make([]int16, capacity)} }

// push appends x, dropping the oldest samples when full.
func (f *refFIFO) push(x []int16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := len(f.buf)
	if len(x) > f.maxPush {
		f.maxPush = len(x)
	}
	if len(x) > c {
		x = x[len(x)-c:]
	}
	if free := c - int(f.head-f.tail); len(x) > free {
		f.tail += int64(len(x) - free)
		f.overflown = true
		f.overflows++
	}
	for len(x) > 0 {
		at := int(f.head % int64(c))
		k := copy(f.buf[at:], x)
		x = x[k:]
		f.head += int64(k)
	}
}

// peek copies up to len(dst) of the oldest samples into dst; it returns the
// absolute position of dst[0], how many it copied, the level before the
// copy, and whether samples were dropped since the last peek.
func (f *refFIFO) peek(dst []int16) (pos int64, n, level int, overflown bool, maxPush int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := len(f.buf)
	level = int(f.head - f.tail)
	n = min(level, len(dst))
	for i := 0; i < n; {
		at := int((f.tail + int64(i)) % int64(c))
		i += copy(dst[i:n], f.buf[at:])
	}
	overflown = f.overflown
	f.overflown = false
	return f.tail, n, level, overflown, f.maxPush
}

// advance removes samples up to absolute position to (those already
// dropped by an overflow are not removed twice).
func (f *refFIFO) advance(to int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to > f.head {
		to = f.head
	}
	if to > f.tail {
		f.tail = to
	}
}

// keepNewest drops all but the newest n samples.
func (f *refFIFO) keepNewest(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if lvl := int(f.head - f.tail); lvl > n {
		f.tail = f.head - int64(n)
	}
}

func (f *refFIFO) overflowCount() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overflows
}
