package rtc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Hold puts the call on hold (on) or takes it off (off) with a re-INVITE.
func (c *Call) Hold(ctx context.Context, on bool) error {
	err := c.reinvite(ctx, false, func(m Media) error { return m.SetHold(on) })
	if err != nil {
		return err
	}
	c.mu.Lock()
	changed := c.localHold != on
	c.localHold = on
	st, lh, rh := c.state, c.localHold, c.remoteHold
	if st == CallConfirmed || st == CallHeld {
		st = c.activeState()
		c.state = st
	}
	c.mu.Unlock()
	if changed {
		c.emitState(st, lh, rh, 0, "")
	}
	return nil
}

// ChangeMedia re-negotiates the directions the agent wants (the spec's
// change_media: 0 none, 1 send only, 2 receive only, 3 both). A video
// direction above 0 adds video when the call has none.
func (c *Call) ChangeMedia(ctx context.Context, audio, video Direction) error {
	if audio < 0 || audio > 3 || video < 0 || video > 3 {
		return fmt.Errorf("%w: direction out of range", ErrInvalidArgument)
	}
	err := c.reinvite(ctx, false, func(m Media) error { return m.SetDirections(audio, video) })
	if err == nil {
		c.mu.Lock()
		c.audio, c.video = audio, video
		c.mu.Unlock()
	}
	return err
}

// RestartICE sends a re-INVITE with new ICE credentials (done by itself
// when the SIP link returns during a call).
func (c *Call) RestartICE(ctx context.Context) error {
	return c.reinvite(ctx, true, nil)
}

func (c *Call) reinvite(ctx context.Context, iceRestart bool, prepare func(Media) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.p.cfg.RequestTimeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		err := c.reinviteOnce(ctx, iceRestart, prepare)
		var se *StatusError
		if attempt == 0 && errors.As(err, &se) && se.Code == 491 {
			// Glare (RFC 3261 §14.1): wait 2.1-4s (we own no Call-ID
			// priority over a server) and try once more.
			t := time.NewTimer(2100*time.Millisecond + time.Duration(rand.IntN(1900))*time.Millisecond)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return err
			case <-c.done:
				t.Stop()
				return ErrCallEnded
			}
		}
		return err
	}
}

func (c *Call) reinviteOnce(ctx context.Context, iceRestart bool, prepare func(Media) error) error {
	c.mu.Lock()
	switch {
	case c.state == CallEnded:
		c.mu.Unlock()
		return ErrCallEnded
	case c.state != CallConfirmed && c.state != CallHeld:
		c.mu.Unlock()
		return ErrBadState
	case c.offerBusy:
		c.mu.Unlock()
		return ErrBusy
	case c.media == nil:
		c.mu.Unlock()
		return ErrNoMedia
	}
	c.offerBusy = true
	m := c.media
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	if prepare != nil {
		if err := prepare(m); err != nil {
			return err
		}
	}
	offer, err := m.CreateOffer(ctx, iceRestart)
	if err != nil {
		return err
	}
	c.mu.Lock()
	req := c.inDialogLocked(sip.INVITE)
	c.mu.Unlock()
	if c.uuid != "" {
		req.AppendHeader(sip.NewHeader("X-CC-UUID", c.uuid))
	}
	ctype := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ctype)
	req.SetBody([]byte(offer))
	res, err := c.p.roundTrip(ctx, req, nil)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		c.p.send(c.ackNon2xx(req, res))
		if res.StatusCode == 481 || res.StatusCode == 408 {
			c.end(res.StatusCode, "dialog lost")
		}
		return &StatusError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
	}
	c.mu.Lock()
	c.refreshTarget(res)
	ack := c.ackFor2xxLocked(req.CSeq().SeqNo)
	c.mu.Unlock()
	c.p.send(ack)
	if err := m.SetAnswer(string(res.Body())); err != nil {
		return fmt.Errorf("rtc: re-INVITE answer: %w", err)
	}
	return nil
}

// refreshTarget takes the remote target from a 2xx/re-INVITE's Contact. c.mu held.
func (c *Call) refreshTarget(m interface{ Contact() *sip.ContactHeader }) {
	if ct := m.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	}
}

// ackFor2xxLocked builds the ACK of a 2xx to our INVITE with CSeq n. c.mu held.
func (c *Call) ackFor2xxLocked(n uint32) *sip.Request {
	ack := c.inDialogLocked(sip.ACK)
	ack.CSeq().SeqNo = n
	c.p.setVia(ack, newBranch())
	c.lastAck, c.lastAckSeq = ack, n
	return ack
}

// ackNon2xx builds the ACK of a failure response: same branch and
// Request-URI as the INVITE, To of the response (RFC 3261 §17.1.1.3).
func (c *Call) ackNon2xx(inv *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, inv.Recipient)
	ack.AppendHeader(sip.HeaderClone(inv.Via()))
	for _, r := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.HeaderClone(r))
	}
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	return ack
}

func (c *Call) resendAck(seq uint32) {
	c.mu.Lock()
	ack := c.lastAck
	ok := ack != nil && c.lastAckSeq == seq
	c.mu.Unlock()
	if ok {
		c.p.send(ack)
	}
}

// onOffer answers a re-INVITE or UPDATE from the other side.
func (c *Call) onOffer(req *sip.Request) {
	p := c.p
	c.mu.Lock()
	st, busy, m := c.state, c.offerBusy, c.media
	ok := (st == CallConfirmed || st == CallHeld || (st == CallAnswered && req.Method == sip.UPDATE)) && !busy && m != nil
	if ok {
		c.offerBusy = true
	}
	if seq := req.CSeq().SeqNo; seq > c.dlg.remoteSeq {
		c.dlg.remoteSeq = seq
	}
	c.mu.Unlock()
	if !ok {
		res := p.response(req, 491, "Request Pending", "")
		if st == CallEnded {
			res = p.response(req, 481, "Call/Transaction Does Not Exist", "")
		}
		p.send(res)
		return
	}
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AnswerTimeout)
	defer cancel()
	body := string(req.Body())
	var sdp string
	var err error
	offerless := len(body) == 0
	if offerless {
		if req.Method == sip.UPDATE {
			p.send(p.response(req, 200, "OK", ""))
			return
		}
		sdp, err = m.CreateOffer(ctx, false)
	} else {
		// Video follows the peer: added when it offers video, dropped
		// when it makes it inactive (the platform's change_media). Audio
		// stays as the agent wants it (the answer is the intersection).
		if info := parseSDPInfo(body); info.video >= 0 {
			c.mu.Lock()
			nv, audio := info.video.Mirror(), c.audio
			changed := nv != c.video
			c.video = nv
			c.mu.Unlock()
			if changed {
				if err := m.SetDirections(audio, nv); err != nil {
					p.log.Warn("cannot follow the offer's video", "call_id", c.id, "err", err)
				}
			}
		}
		sdp, err = m.AcceptOffer(ctx, body)
	}
	if err != nil {
		p.log.Warn("cannot answer re-INVITE", "call_id", c.id, "err", err)
		p.send(p.response(req, 488, "Not Acceptable Here", ""))
		return
	}
	info := parseSDPInfo(body)
	c.mu.Lock()
	c.refreshTarget(req)
	changed := false
	if !offerless && info.hold != c.remoteHold {
		c.remoteHold = info.hold
		changed = true
	}
	if offerless && req.Method == sip.INVITE {
		c.ackOffer = true
	}
	if c.state == CallConfirmed || c.state == CallHeld {
		c.state = c.activeState()
	}
	st, lh, rh := c.state, c.localHold, c.remoteHold
	c.mu.Unlock()
	res := p.response(req, 200, "OK", "")
	res.AppendHeader(c.contactHeader())
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	ctype := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ctype)
	res.SetBody([]byte(sdp))
	p.send(res)
	if changed {
		reason := "remote unhold"
		if rh {
			reason = "remote hold"
		}
		c.emitState(st, lh, rh, 0, reason)
	}
}
