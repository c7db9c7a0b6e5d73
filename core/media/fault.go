package media

// fault reports a contained panic on one of the call's goroutines (see
// docs/reliability.md) as the call's media failure: OnConnectFailed with
// the internal error, once, whatever the connection's state, so that the
// owner applies its media-failure policy (rtc: hang up or flag the call).
// The goroutine that failed is gone: the media may be one-way or silent.
func (c *Call) fault(err error) {
	c.mu.Lock()
	first := !c.faulted && !c.isClosed
	c.faulted = true
	if first {
		c.connFailed = true
		c.stopConnectTimerLocked()
	}
	c.mu.Unlock()
	if first {
		c.reportConnectFailed(err.Error())
	}
}
