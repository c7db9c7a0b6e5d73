package rtc

import (
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// reqQueue is an unbounded FIFO of in-dialog requests for one call.
type reqQueue struct {
	mu     sync.Mutex
	items  []*sip.Request
	wake   chan struct{}
	closed bool
}

func (q *reqQueue) init() { q.wake = make(chan struct{}, 1) }

// push queues req; false once the call is over.
func (q *reqQueue) push(r *sip.Request) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *reqQueue) pop() (*sip.Request, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, false
	}
	r := q.items[0]
	q.items = q.items[1:]
	return r, true
}

func (q *reqQueue) close() []*sip.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	rest := q.items
	q.items = nil
	return rest
}

// work handles the call's in-dialog requests in order until it ends.
func (c *Call) work() {
	defer c.p.callWG.Done()
	for {
		for {
			r, ok := c.inbox.pop()
			if !ok {
				break
			}
			c.handleContained(r)
		}
		select {
		case <-c.inbox.wake:
		case <-c.done:
			for _, r := range c.inbox.close() {
				if r.Method != sip.ACK {
					c.p.send(c.p.response(r, 481, "Call/Transaction Does Not Exist", ""))
				}
			}
			return
		}
	}
}

func (c *Call) handle(req *sip.Request) {
	p := c.p
	switch req.Method {
	case sip.ACK:
		c.onAck(req)
	case sip.CANCEL:
		c.onCancel(req)
	case sip.BYE:
		p.send(p.response(req, 200, "OK", ""))
		c.end(0, "remote hangup")
	case sip.INVITE, sip.UPDATE:
		if _, has := req.To().Params.Get("tag"); !has {
			// A second initial INVITE with our Call-ID: a loop or a fork.
			p.send(p.response(req, 482, "Loop Detected", randHex(6)))
			return
		}
		c.onOffer(req)
	case sip.INFO:
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = h.Value()
		}
		if d, ok := parseInfoDTMF(ct, string(req.Body())); ok {
			p.send(p.response(req, 200, "OK", ""))
			p.emit(Event{Type: EventDTMF, Call: c, Digit: d, DTMFMode: DTMFInfo})
			return
		}
		p.send(p.response(req, 200, "OK", ""))
		p.emit(Event{Type: EventInfo, Call: c, ContentType: ct, Body: append([]byte(nil), req.Body()...)})
	case sip.OPTIONS:
		res := p.response(req, 200, "OK", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		p.send(res)
	default:
		res := p.response(req, 405, "Method Not Allowed", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		p.send(res)
	}
}

// handleContained is handle; a fault while handling an in-dialog request
// answers it 500 and ends the call (the dialog's state is unknown).
func (c *Call) handleContained(req *sip.Request) {
	contain.Do(c.p.log, "rtc: in-dialog request", func() { c.handle(req) }, func(err error) {
		if req.Method != sip.ACK {
			c.p.send(c.p.response(req, 500, "Server Internal Error", ""))
		}
		c.abort(err.Error())
	})
}
