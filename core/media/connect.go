package media

import (
	"fmt"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/pion/webrtc/v4"
)

func (c *Call) onConnState(s webrtc.PeerConnectionState) {
	// pion runs each state's handler on a goroutine of its own, so two
	// changes in quick succession (connecting, connected) can arrive in
	// either order: the state now is what counts, read from the
	// connection under c.mu (pion stores it before it dispatches, so the
	// last handler to take the lock reads the last state), and a state
	// already reported is not reported again.
	c.mu.Lock()
	if c.pc != nil {
		s = c.pc.ConnectionState()
	}
	var st State
	switch s {
	case webrtc.PeerConnectionStateNew:
		st = StateNew
	case webrtc.PeerConnectionStateConnecting:
		st = StateChecking
	case webrtc.PeerConnectionStateConnected:
		st = StateConnected
	case webrtc.PeerConnectionStateDisconnected:
		st = StateDisconnected
	case webrtc.PeerConnectionStateFailed:
		st = StateFailed
	case webrtc.PeerConnectionStateClosed:
		st = StateClosed
	default:
		c.mu.Unlock()
		return
	}
	if st == c.state {
		c.mu.Unlock()
		return
	}
	c.connected.Store(st == StateConnected)
	c.state = st
	failNow := ""
	switch st {
	case StateConnected:
		c.everUp = true
		c.stopConnectTimerLocked()
	case StateFailed:
		failNow = c.failedLocked("ICE/DTLS failed")
	}
	c.mu.Unlock()
	if st == StateConnected {
		c.kickSender()
	}
	c.log.Debug("media state", "state", st)
	if fn := c.opts.OnState; fn != nil {
		c.ev.push(func() { fn(st) })
	}
	if failNow != "" {
		c.reportConnectFailed(failNow)
	}
}

// armConnectTimerLocked starts the connect deadline of an exchange that
// just completed, unless the connection is up. c.mu held.
func (c *Call) armConnectTimerLocked() {
	c.negotiatedAt = time.Now()
	c.connFailed = false
	c.stopConnectTimerLocked()
	if why := c.earlyFail; why != "" && !c.everUp && !c.isClosed {
		// It failed before this exchange was even recorded (the transport
		// starts inside SetRemoteDescription): report it now.
		c.earlyFail = ""
		c.connFailed = true
		c.reportConnectFailed(fmt.Sprintf("%s right after the offer/answer, before media ever connected (%s)", why, c.transportStateLocked()))
		return
	}
	d := c.e.cfg.ConnectTimeout
	if d <= 0 || c.state == StateConnected || c.isClosed {
		return
	}
	c.connGen++
	gen := c.connGen
	c.connTimer = time.AfterFunc(d, func() {
		defer contain.Recover(c.log, "media: connect timer", c.fault)
		c.connectTimedOut(gen, d)
	})
}

// failedLocked notes a transport failure; it returns the reason to
// report now ("" when there is none to report: media came up before, it
// was reported already, or no exchange is recorded yet, in which case
// armConnectTimerLocked reports it). c.mu held.
func (c *Call) failedLocked(what string) string {
	if c.everUp || c.connFailed || c.isClosed {
		return ""
	}
	if c.negotiatedAt.IsZero() {
		c.earlyFail = what
		return ""
	}
	c.connFailed = true
	c.stopConnectTimerLocked()
	return fmt.Sprintf("%s %.1f s after the offer/answer, before media ever connected (%s)",
		what, time.Since(c.negotiatedAt).Seconds(), c.transportStateLocked())
}

// transportFailed reports an ICE or DTLS transport failure before media
// ever connected.
func (c *Call) transportFailed(what string) {
	c.mu.Lock()
	r := c.failedLocked(what)
	c.mu.Unlock()
	if r != "" {
		c.reportConnectFailed(r)
	}
}

func (c *Call) stopConnectTimerLocked() {
	if c.connTimer != nil {
		c.connTimer.Stop()
		c.connTimer = nil
	}
}

func (c *Call) connectTimedOut(gen uint64, d time.Duration) {
	c.mu.Lock()
	if c.connGen != gen || c.connTimer == nil || c.isClosed || c.state == StateConnected || c.connFailed {
		c.mu.Unlock()
		return
	}
	c.connTimer = nil
	c.connFailed = true
	reason := fmt.Sprintf("media did not connect within %v of the offer/answer (%s)", d, c.transportStateLocked())
	c.mu.Unlock()
	c.reportConnectFailed(reason)
}

// transportStateLocked says which step is stuck: ICE (no working
// candidate pair) or DTLS (ICE up, no handshake, or a failed one).
func (c *Call) transportStateLocked() string {
	ice := c.pc.ICEConnectionState()
	dtls := webrtc.DTLSTransportStateNew
	if sc := c.pc.SCTP(); sc != nil && sc.Transport() != nil {
		dtls = sc.Transport().State()
	}
	switch {
	case dtls == webrtc.DTLSTransportStateFailed || c.dtlsFailed.Load():
		return "DTLS handshake failed, ICE " + ice.String()
	case ice == webrtc.ICEConnectionStateConnected || ice == webrtc.ICEConnectionStateCompleted:
		return "ICE connected, DTLS handshake not done"
	case ice == webrtc.ICEConnectionStateNew:
		return "ICE never started checking"
	case ice == webrtc.ICEConnectionStateClosed:
		return "ICE closed before media connected, DTLS " + dtls.String()
	}
	return "ICE " + ice.String() + ": no working candidate pair"
}

// reportConnectFailed logs and queues OnConnectFailed; it takes no lock
// of the call (callers may hold c.mu).
func (c *Call) reportConnectFailed(reason string) {
	c.log.Warn("media: connection failed", "reason", reason)
	if fn := c.opts.OnConnectFailed; fn != nil {
		c.ev.push(func() { fn(reason) })
	}
}
