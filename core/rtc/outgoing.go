package rtc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// DialOptions shape an outgoing call.
type DialOptions struct {
	// Audio and Video are what the agent wants (Video -1 or 0 for none...
	// set VideoOn to offer video).
	Audio   Direction
	Video   Direction
	VideoOn bool
	// UUID goes out as X-CC-UUID.
	UUID string
	// Headers are extra headers of the INVITE.
	Headers map[string]string
}

// Dial calls target (a SIP URI, or a user part taken at the phone's
// domain) and returns once the call is answered (confirmed), or fails with
// a *StatusError. Cancelling ctx before the answer CANCELs the INVITE.
// A 401/407 challenge is answered with the phone's credentials. Beyond
// Config.MaxCalls it fails with ErrTooManyCalls.
func (p *Phone) Dial(ctx context.Context, target string, opts DialOptions) (*Call, error) {
	var uri sip.Uri
	if !strings.Contains(target, ":") {
		target = "sip:" + target + "@" + p.cfg.Domain
	}
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, fmt.Errorf("%w: target %q: %v", ErrInvalidArgument, target, err)
	}
	if p.atCallLimit() {
		return nil, ErrTooManyCalls // before any media is made
	}
	if opts.Audio == 0 && !opts.VideoOn {
		opts.Audio = SendRecv
	}
	video := Direction(-1)
	if opts.VideoOn {
		video = opts.Video
	}
	req := p.outOfDialog(sip.INVITE, uri)
	c := p.newCall(req.CallID().Value(), false)
	c.uuid = opts.UUID
	c.remote = uri.String()
	c.audio, c.video = opts.Audio, video
	c.state = CallCalling
	fromTag, _ := req.From().Params.Get("tag")
	c.dlg = dialog{local: p.aor, localName: p.cfg.DisplayName, localTag: fromTag, remote: uri, remoteTarget: uri,
		localSeq: req.CSeq().SeqNo}
	mv := video
	if mv < 0 {
		mv = Inactive
	}
	m, err := p.media.NewMedia(c.mediaOptions(opts.Audio, mv))
	if err != nil {
		return nil, fmt.Errorf("rtc: dial: media: %w", err)
	}
	c.media = m
	offer, err := m.CreateOffer(ctx, false)
	if err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("rtc: dial: offer: %w", err)
	}
	req.AppendHeader(c.contactHeader())
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	if opts.UUID != "" {
		req.AppendHeader(sip.NewHeader("X-CC-UUID", opts.UUID))
		c.headers["x-cc-uuid"] = opts.UUID
	}
	for k, v := range opts.Headers {
		req.AppendHeader(sip.NewHeader(k, v))
		c.headers[strings.ToLower(k)] = v
	}
	ctype := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ctype)
	req.SetBody([]byte(offer))
	if err := p.addCall(c); err != nil {
		_ = m.Close()
		return nil, err
	}
	c.emitState(CallCalling, false, false, 0, "")
	if err := c.runInvite(ctx, req); err != nil {
		return nil, err
	}
	return c, nil
}

// runInvite sends the INVITE and follows it to its final response.
func (c *Call) runInvite(ctx context.Context, req *sip.Request) error {
	p := c.p
	authed := false
	for {
		p.setVia(req, newBranch())
		c.mu.Lock()
		c.ourInvite = req
		c.dlg.localSeq = req.CSeq().SeqNo
		c.mu.Unlock()
		t, err := p.startTx(req)
		if err != nil {
			c.end(0, err.Error())
			return err
		}
		res, err := c.waitFinal(ctx, t)
		p.endTx(t)
		if err != nil {
			c.end(0, err.Error())
			return err
		}
		switch {
		case res.StatusCode/100 == 2:
			return c.onInvite2xx(res)
		case (res.StatusCode == 401 || res.StatusCode == 407) && !authed:
			p.send(c.ackNon2xx(req, res))
			ch, ok := challengeOf(res)
			if !ok {
				c.end(res.StatusCode, res.Reason)
				return &StatusError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
			}
			authed = true
			bumpCSeq(req)
			p.setAuth(req, ch, 1)
			continue
		default:
			p.send(c.ackNon2xx(req, res))
			c.mu.Lock()
			cancelled := c.cancelled
			c.mu.Unlock()
			reason := res.Reason
			if cancelled && res.StatusCode == 487 {
				reason = "cancelled"
			}
			c.end(res.StatusCode, reason)
			return &StatusError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
		}
	}
}

// waitFinal follows provisional responses; when ctx ends first it CANCELs
// and waits a little more for the 487.
func (c *Call) waitFinal(ctx context.Context, t *clientTx) (*sip.Response, error) {
	p := c.p
	for {
		res, err := p.next(ctx, t)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			_ = c.cancel()
			wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			res, err = p.next(wctx, t)
			for err == nil && res.StatusCode < 200 {
				res, err = p.next(wctx, t)
			}
			cancel()
			if err != nil {
				return nil, ctx.Err()
			}
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		if res.StatusCode >= 200 {
			return res, nil
		}
		if res.StatusCode > 100 {
			c.mu.Lock()
			first := c.state == CallCalling
			if first {
				c.state = CallEarly
			}
			if tag, ok := res.To().Params.Get("tag"); ok {
				c.dlg.remoteTag = tag
			}
			c.mu.Unlock()
			if first {
				c.emitState(CallEarly, false, false, res.StatusCode, res.Reason)
			}
		}
	}
}

func (c *Call) onInvite2xx(res *sip.Response) error {
	c.mu.Lock()
	if tag, ok := res.To().Params.Get("tag"); ok {
		c.dlg.remoteTag = tag
	}
	to := res.To()
	c.dlg.remote, c.dlg.remoteName = to.Address, to.DisplayName
	c.refreshTarget(res)
	var routes []string
	for _, h := range res.GetHeaders("Record-Route") {
		routes = append(routes, splitRoutes(h.Value())...)
	}
	for i, j := 0, len(routes)-1; i < j; i, j = i+1, j-1 {
		routes[i], routes[j] = routes[j], routes[i]
	}
	c.dlg.routes = routes
	ack := c.ackFor2xxLocked(c.dlg.localSeq)
	cancelled := c.cancelled
	m := c.media
	c.mu.Unlock()
	c.p.send(ack)
	if cancelled {
		ctx, cancel := context.WithTimeout(context.Background(), c.p.cfg.RequestTimeout)
		defer cancel()
		_ = c.bye(ctx, 487, "cancelled")
		return &StatusError{Method: "INVITE", Code: 487, Reason: "cancelled"}
	}
	if err := m.SetAnswer(string(res.Body())); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.p.cfg.RequestTimeout)
		defer cancel()
		_ = c.bye(ctx, 488, "bad SDP answer")
		return fmt.Errorf("rtc: dial: answer: %w", err)
	}
	info := parseSDPInfo(string(res.Body()))
	c.mu.Lock()
	now := time.Now()
	c.answeredAt, c.confirmedAt = now, now
	c.remoteHold = info.hold
	c.state = c.activeState()
	close(c.acked)
	st, lh, rh := c.state, c.localHold, c.remoteHold
	c.mu.Unlock()
	c.emitState(st, lh, rh, res.StatusCode, "")
	return nil
}

// cancel CANCELs our pending INVITE (its final response ends the call).
func (c *Call) cancel() error {
	c.mu.Lock()
	inv := c.ourInvite
	if inv == nil || c.cancelled || c.state == CallEnded {
		c.mu.Unlock()
		return nil
	}
	c.cancelled = true
	c.mu.Unlock()
	cr := sip.NewRequest(sip.CANCEL, inv.Recipient)
	cr.AppendHeader(sip.HeaderClone(inv.Via()))
	for _, r := range inv.GetHeaders("Route") {
		cr.AppendHeader(sip.HeaderClone(r))
	}
	cr.AppendHeader(sip.HeaderClone(inv.From()))
	cr.AppendHeader(sip.HeaderClone(inv.To()))
	cr.AppendHeader(sip.HeaderClone(inv.CallID()))
	cr.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	cr.AppendHeader(&mf)
	// The 200 to CANCEL matters little: the INVITE's 487 ends the call.
	if t, err := c.p.startTx(cr); err == nil {
		go func() {
			defer c.p.endTx(t)
			defer contain.Recover(c.p.log, "rtc: CANCEL", nil) // the INVITE's own timeout ends the call
			select {
			case <-t.ch:
			case <-t.lost:
			case <-c.done:
			case <-time.After(c.p.cfg.RequestTimeout):
			}
		}()
	} else {
		c.end(0, "cancelled (link down)")
	}
	return nil
}

// ---- the link came back ----

// linkRestored runs after the first REGISTER on a new link: each answered
// call sends an ICE-restart re-INVITE, so media resumes on a new path and
// the server learns the new route to the dialog.
func (p *Phone) linkRestored() {
	gen := p.reg.linkGenNow()
	for _, c := range p.Calls() {
		c.mu.Lock()
		st, old := c.state, c.linkGen
		c.linkGen = gen
		c.mu.Unlock()
		if old == gen || (st != CallConfirmed && st != CallHeld) {
			continue
		}
		p.callWG.Add(1)
		go func() {
			defer p.callWG.Done()
			defer contain.Recover(p.log, "rtc: ICE restart", c.abortOnPanic)
			ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AnswerTimeout)
			defer cancel()
			err := c.RestartICE(ctx)
			if errors.Is(err, ErrBusy) {
				// An exchange is under way; one more try once it is done.
				t := time.NewTimer(500 * time.Millisecond)
				select {
				case <-t.C:
					err = c.RestartICE(ctx)
				case <-c.done:
					t.Stop()
					return
				}
			}
			if err != nil {
				p.log.Warn("ICE restart after reconnect failed", "call_id", c.id, "err", err)
				if c.State() != CallEnded {
					// The media cannot come back (e.g. the peer closed it
					// with the old transport): end the call cleanly.
					_ = c.bye(ctx, 0, "media lost after reconnect: "+err.Error())
				}
				return
			}
			p.log.Info("ICE restart after reconnect", "call_id", c.id, "uuid", c.UUID())
		}()
	}
}

// linkLostCalls ends the calls that cannot outlive the link: an incoming
// INVITE still ringing (its transaction was on the old connection).
func (p *Phone) linkLostCalls() {
	for _, c := range p.Calls() {
		c.mu.Lock()
		ringing := c.incoming && c.state == CallRinging && !c.answering
		if ringing {
			c.invite = nil
		}
		c.mu.Unlock()
		if ringing {
			c.end(0, "link lost")
		}
	}
}

// atCallLimit reports whether the phone has Config.MaxCalls calls.
func (p *Phone) atCallLimit() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.MaxCalls > 0 && len(p.calls) >= p.cfg.MaxCalls
}
