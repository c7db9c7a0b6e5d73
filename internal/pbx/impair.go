package pbx

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Impairment degrades a call's media the way a bad network would, so that a
// test can watch the agent's SDK notice it (call-quality warnings, the
// pre-call test). It acts on the audio the PBX sends the agent (and, for
// InLoss, on the audio it receives). The zero value is a clean path.
type Impairment struct {
	// Loss is the share (0..1) of the audio packets to the agent that are
	// dropped. They are numbered first, so the agent sees the gap as loss.
	Loss float64
	// Jitter holds each audio packet to the agent an extra random 0 to
	// 3×Jitter, so that the RFC 3550 interarrival jitter the agent
	// measures comes out at about Jitter (the mean gap between two
	// uniform draws on [0, 3J] is J). Packets may overtake each other, as
	// on a real network with that much jitter.
	Jitter time.Duration
	// Delay holds everything the PBX sends the agent, audio and RTCP, this
	// much longer: the round-trip time the agent measures grows by as much.
	Delay time.Duration
	// Silence stops the audio to the agent (no RTP at all; RTCP goes on,
	// and the sequence numbers go on from where they stopped).
	Silence bool
	// InLoss is the share (0..1) of the agent's audio packets dropped on
	// arrival: the PBX's receiver reports count them lost, and an echo
	// call does not echo them.
	InLoss float64
}

// maxImpairDelay bounds Delay and 3×Jitter: a packet held longer is of no use
// to a test and would pile up.
const maxImpairDelay = 10 * time.Second

// ErrBadImpairment: an Impairment outside its ranges.
var ErrBadImpairment = errors.New("pbx: bad impairment")

// check says what is wrong with an impairment, if anything.
func (imp Impairment) check() error {
	switch {
	case imp.Loss < 0 || imp.Loss > 1 || imp.Loss != imp.Loss:
		return fmt.Errorf("%w: loss %v (want 0..1)", ErrBadImpairment, imp.Loss)
	case imp.InLoss < 0 || imp.InLoss > 1 || imp.InLoss != imp.InLoss:
		return fmt.Errorf("%w: in_loss %v (want 0..1)", ErrBadImpairment, imp.InLoss)
	case imp.Delay < 0 || imp.Delay > maxImpairDelay:
		return fmt.Errorf("%w: delay %v (want 0..%v)", ErrBadImpairment, imp.Delay, maxImpairDelay)
	case imp.Jitter < 0 || imp.Jitter > maxImpairDelay/3: // not 3×Jitter: it overflows
		return fmt.Errorf("%w: jitter %v (want 0..%v)", ErrBadImpairment, imp.Jitter, maxImpairDelay/3)
	}
	return nil
}

// Impair sets the impairment of a call in progress, replacing the one it
// had (its extension's, or an earlier one); the zero Impairment clears it.
// It takes effect on the next packet. ErrNoCall for an unknown or ended
// call, ErrBadImpairment for values out of range.
func (p *PBX) Impair(uuid string, imp Impairment) error {
	if err := imp.check(); err != nil {
		return err
	}
	p.mu.Lock()
	c := p.calls[uuid]
	p.mu.Unlock()
	if c == nil {
		return ErrNoCall
	}
	c.setImpairment(imp)
	return nil
}

// ImpairExt sets the impairment of every call of an extension: those in
// progress now and those placed or received later (an echo call included),
// until it is changed; the zero Impairment clears it. A call's own Impair
// is replaced by it.
func (p *PBX) ImpairExt(ext string, imp Impairment) error {
	if err := imp.check(); err != nil {
		return err
	}
	p.mu.Lock()
	if imp == (Impairment{}) {
		delete(p.extImp, ext)
	} else {
		p.extImp[ext] = imp
	}
	var calls []*Call
	for _, c := range p.calls {
		if c.ext == ext {
			calls = append(calls, c)
		}
	}
	p.mu.Unlock()
	for _, c := range calls {
		c.setImpairment(imp)
	}
	return nil
}

// setImpairment records the call's impairment and hands it to its media leg.
func (c *Call) setImpairment(imp Impairment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.imp = imp
	if c.media != nil {
		c.media.setImpairment(imp)
	}
}

func (m *mediaLeg) setImpairment(imp Impairment) {
	m.mu.Lock()
	m.imp = imp
	m.mu.Unlock()
}

// sendAudio sends one audio packet to the agent through the impairment:
// dropped, held a while, or written now.
func (m *mediaLeg) sendAudio(imp Impairment, h rtp.Header, payload []byte) {
	if imp.Loss > 0 && rand.Float64() < imp.Loss {
		return
	}
	hold := imp.Delay
	if imp.Jitter > 0 {
		hold += time.Duration(rand.Float64() * 3 * float64(imp.Jitter))
	}
	if hold <= 0 {
		m.writeAudio(h, payload)
		return
	}
	p := append([]byte(nil), payload...)
	m.late.after(hold, func() { m.writeAudio(h, p) })
}

func (m *mediaLeg) writeAudio(h rtp.Header, payload []byte) {
	if err := m.audio.write(&h, payload); err == nil {
		m.mu.Lock()
		m.tx[0].add(len(payload), time.Now())
		m.mu.Unlock()
	}
}

// delayLine runs functions at their due time, in due order, on one
// goroutine: the packets an impairment holds back.
type delayLine struct {
	mu    sync.Mutex
	items lateItems
	n     uint64
	wake  chan struct{}
}

type lateItem struct {
	due time.Time
	n   uint64 // ties keep their order
	fn  func()
}

type lateItems []lateItem

func (h lateItems) Len() int { return len(h) }
func (h lateItems) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].n < h[j].n
	}
	return h[i].due.Before(h[j].due)
}
func (h lateItems) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lateItems) Push(x any)   { *h = append(*h, x.(lateItem)) }
func (h *lateItems) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newDelayLine() *delayLine { return &delayLine{wake: make(chan struct{}, 1)} }

// held is how many packets wait in the line.
func (d *delayLine) held() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.items)
}

// after runs fn once d has passed (or never, if the line stops first).
func (d *delayLine) after(hold time.Duration, fn func()) {
	d.mu.Lock()
	d.n++
	heap.Push(&d.items, lateItem{due: time.Now().Add(hold), n: d.n, fn: fn})
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run serves the line until stop is closed; what is still held is dropped.
func (d *delayLine) run(stop <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var due []func()
	for {
		d.mu.Lock()
		now := time.Now()
		due = due[:0]
		for len(d.items) > 0 && !d.items[0].due.After(now) {
			due = append(due, heap.Pop(&d.items).(lateItem).fn)
		}
		next := time.Hour
		if len(d.items) > 0 {
			next = d.items[0].due.Sub(now)
		}
		d.mu.Unlock()
		for _, fn := range due {
			fn()
		}
		t.Reset(next)
		select {
		case <-stop:
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}
