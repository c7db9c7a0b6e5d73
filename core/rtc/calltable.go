package rtc

import (
	"time"
)

// CallByUUID finds a live call by the CTI uuid of its INVITE.
func (p *Phone) CallByUUID(uuid string) *Call {
	if uuid == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.uuid == uuid {
			return c
		}
	}
	for _, c := range p.calls {
		c.mu.Lock()
		b := c.bound
		c.mu.Unlock()
		if b == uuid {
			return c
		}
	}
	return nil
}

// CallByID finds a live call by its Call-ID.
func (p *Phone) CallByID(id string) *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}

// Calls lists the live calls.
func (p *Phone) Calls() []*Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		out = append(out, c)
	}
	return out
}

func (p *Phone) newCall(id string, incoming bool) *Call {
	c := &Call{p: p, id: id, incoming: incoming, created: time.Now(), done: make(chan struct{}),
		headers: map[string]string{}, acked: make(chan struct{}), audio: SendRecv, video: -1}
	c.inbox.init()
	c.linkGen = p.reg.linkGenNow()
	return c
}

// addCall registers c and starts its request worker; ErrTooManyCalls
// when the phone has Config.MaxCalls calls already.
func (p *Phone) addCall(c *Call) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.cfg.MaxCalls > 0 && len(p.calls) >= p.cfg.MaxCalls {
		p.mu.Unlock()
		return ErrTooManyCalls
	}
	p.calls[c.id] = c
	p.mu.Unlock()
	p.callWG.Add(1)
	go c.work() // each request's handling is contained (worker.go)
	return nil
}
