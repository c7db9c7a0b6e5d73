package rtc

import (
	"context"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// Faults (contained panics, see docs/reliability.md) on a call's goroutines
// end the call the way a media failure under MediaFailureHangup does: a
// goodbye to the server (BYE, CANCEL or a reject), then the call ends with
// the reason, so that its Done and the application's state agree.

// abort ends c after a fault: the goodbye in the background (BYE ends the
// call at once; a CANCEL's 487 ends it), under its own containment: a
// fault there ends the call locally.
func (c *Call) abort(reason string) {
	p := c.p
	p.callWG.Add(1)
	go func() {
		defer p.callWG.Done()
		defer contain.Recover(p.log, "rtc: call goodbye", func(err error) { c.end(0, reason) })
		c.goodbye(reason)
	}()
}

// goodbye sends what ends the call in its state: BYE once answered,
// otherwise what Hangup sends.
func (c *Call) goodbye(reason string) {
	p := c.p
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.RequestTimeout)
	defer cancel()
	var err error
	switch c.State() {
	case CallAnswered, CallConfirmed, CallHeld:
		err = c.bye(ctx, 0, reason)
	default:
		err = c.Hangup(ctx)
	}
	if err != nil {
		p.log.Debug("goodbye after a failure", "call_id", c.id, "err", err)
	}
}

// abortOnPanic is an onPanic that aborts c.
func (c *Call) abortOnPanic(err error) { c.abort(err.Error()) }
