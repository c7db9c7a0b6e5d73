package rtc

// Connectivity returns the joined view of link, registration and calls.
func (p *Phone) Connectivity() Connectivity {
	reg := p.reg.stateNow()
	p.mu.Lock()
	c := Connectivity{Link: p.linkState, Registration: reg}
	calls := make([]*Call, 0, len(p.calls))
	for _, call := range p.calls {
		calls = append(calls, call)
	}
	p.mu.Unlock()
	c.OK = c.Link == LinkConnected && c.Registration == RegRegistered
	for _, call := range calls {
		st, ice := call.stateAndICE()
		if st == CallEnded {
			continue
		}
		c.Calls = append(c.Calls, CallConnectivity{ID: call.id, UUID: call.UUID(), State: st, ICE: ice, MediaFailure: call.MediaFailure()})
		if (st == CallConfirmed || st == CallHeld) && ice != ICEConnected {
			c.OK = false
		}
	}
	sortCalls(c.Calls)
	return c
}

func sortCalls(cs []CallConnectivity) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].ID < cs[j-1].ID; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// emitConnectivity reports the joined view when it changed.
func (p *Phone) emitConnectivity() {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	c := p.Connectivity()
	if c.equal(p.lastConn) {
		return
	}
	p.lastConn = &c
	p.emit(Event{Type: EventConnectivity, Connectivity: &c})
}

// Connectivity joins the SIP link, the registration and each call's media
// state into one view.
type Connectivity struct {
	Link         LinkState
	Registration RegState
	Calls        []CallConnectivity
	// OK: link up, registered, and every live call's media connected.
	OK bool
}

// CallConnectivity is one call's part of the view.
type CallConnectivity struct {
	ID    string // Call-ID
	UUID  string // CTI uuid (X-CC-UUID or bound)
	State CallState
	ICE   ICEState
	// MediaFailure is why the media did not connect ("" while fine).
	MediaFailure string
}

func (c *Connectivity) equal(o *Connectivity) bool {
	if o == nil || c.Link != o.Link || c.Registration != o.Registration || c.OK != o.OK || len(c.Calls) != len(o.Calls) {
		return false
	}
	for i := range c.Calls {
		if c.Calls[i] != o.Calls[i] {
			return false
		}
	}
	return true
}
