package rtc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// autoAnswerHint reports whether an INVITE asks to be answered at once.
func autoAnswerHint(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Call-Info") {
		v := strings.ToLower(h.Value())
		if strings.Contains(v, "answer-after=0") || strings.Contains(v, "auto-answer") || strings.Contains(v, "autoanswer") {
			return true
		}
	}
	for _, h := range req.GetHeaders("Alert-Info") {
		v := strings.ToLower(h.Value())
		if strings.Contains(v, "auto-answer") || strings.Contains(v, "autoanswer") || strings.Contains(v, "auto_answer") {
			return true
		}
	}
	return false
}

func (p *Phone) onInvite(req *sip.Request) {
	c := p.newCall(req.CallID().Value(), true)
	c.invite = req
	if h := req.GetHeader("X-CC-UUID"); h != nil {
		c.uuid = strings.TrimSpace(h.Value())
	}
	c.autoAnswer = autoAnswerHint(req) && !p.cfg.IgnoreAutoAnswer
	for _, h := range req.Headers() {
		if n := strings.ToLower(h.Name()); strings.HasPrefix(n, "x-") {
			c.headers[n] = h.Value()
		}
	}
	if v := c.headers["x-cc-pixels"]; v != "" {
		c.pixels, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	from := req.From()
	c.remote = from.Address.String()
	to := req.To()
	c.dlg = dialog{
		local: to.Address, localName: to.DisplayName, localTag: randHex(6),
		remote: from.Address, remoteName: from.DisplayName,
		remoteSeq: req.CSeq().SeqNo,
	}
	c.dlg.remoteTag, _ = from.Params.Get("tag")
	if ct := req.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	} else {
		c.dlg.remoteTarget = from.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		c.dlg.routes = append(c.dlg.routes, splitRoutes(h.Value())...)
	}
	info := parseSDPInfo(string(req.Body()))
	if info.video >= 0 {
		c.video = SendRecv
	}
	c.remoteHold = info.hold
	if err := p.addCall(c); err != nil {
		if errors.Is(err, ErrTooManyCalls) {
			// Refused before anything is made for it (RFC 3261 §21.4.24).
			p.log.Warn("incoming call refused: too many calls", "call_id", c.id, "max_calls", p.cfg.MaxCalls, "from", c.remote)
			res := p.response(req, 486, "Busy Here", c.dlg.localTag)
			res.AppendHeader(sip.NewHeader("Warning", `399 cloudcc "too many calls"`))
			p.send(res)
			return
		}
		p.send(p.response(req, 480, "Temporarily Unavailable", c.dlg.localTag))
		return
	}
	if c.autoAnswer {
		c.mu.Lock()
		c.state = CallRinging
		c.mu.Unlock()
		p.send(p.response(req, 100, "Trying", ""))
		p.log.Info("incoming call, auto-answer", "call_id", c.id, "uuid", c.UUID(), "from", c.remote)
		p.callWG.Add(1)
		go func() {
			defer p.callWG.Done()
			defer contain.Recover(p.log, "rtc: auto-answer", c.abortOnPanic)
			ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AnswerTimeout)
			defer cancel()
			if err := c.Answer(ctx, AnswerOptions{}); err != nil && !errors.Is(err, ErrCallEnded) {
				p.log.Warn("auto-answer failed", "call_id", c.id, "err", err)
			}
		}()
		return
	}
	c.mu.Lock()
	c.state = CallRinging
	if d := p.cfg.RingTimeout; d > 0 {
		c.ringTimer = time.AfterFunc(d, c.ringTimedOut)
	}
	c.mu.Unlock()
	res := p.response(req, 180, "Ringing", c.dlg.localTag)
	res.AppendHeader(c.contactHeader())
	p.send(res)
	p.log.Info("incoming call ringing", "call_id", c.id, "uuid", c.UUID(), "from", c.remote)
	c.emitState(CallRinging, false, c.remoteHold, 0, "")
}

// ringTimedOut ends a call still ringing after Config.RingTimeout.
func (c *Call) ringTimedOut() {
	// A timer's goroutine: a fault ends the call as the timeout would.
	defer contain.Recover(c.p.log, "rtc: ring timeout", func(err error) { c.end(480, err.Error()) })
	c.mu.Lock()
	req := c.invite
	ringing := c.state == CallRinging && !c.answering && req != nil
	if ringing {
		c.invite = nil
	}
	c.mu.Unlock()
	if !ringing {
		return
	}
	c.p.log.Info("incoming call not answered in time", "call_id", c.id, "uuid", c.UUID(), "ring_timeout", c.p.cfg.RingTimeout)
	c.p.send(c.p.response(req, 480, "Temporarily Unavailable", c.dlg.localTag))
	c.end(480, "ring timeout")
}

func splitRoutes(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// AnswerOptions shape the answer. Zero: audio both ways, video both ways
// when the INVITE offers it.
type AnswerOptions struct {
	Audio, Video Direction
	// SetDirections: use Audio and Video as given (otherwise the zero
	// value means the defaults above).
	SetDirections bool
}

// Answer answers a ringing incoming call: 200 OK with the media answer. It
// returns once the ACK arrived (the call is confirmed).
func (c *Call) Answer(ctx context.Context, opts AnswerOptions) error {
	p := c.p
	c.mu.Lock()
	switch {
	case c.state == CallEnded:
		c.mu.Unlock()
		return ErrCallEnded
	case !c.incoming || c.state != CallRinging:
		c.mu.Unlock()
		return ErrBadState
	case c.answering:
		c.mu.Unlock()
		return ErrBusy
	}
	c.answering = true
	if opts.SetDirections {
		c.audio, c.video = opts.Audio, opts.Video
	}
	req, audio, video := c.invite, c.audio, c.video
	c.mu.Unlock()
	if video < 0 {
		video = Inactive
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.AnswerTimeout)
		defer cancel()
	}
	start := time.Now()
	m, err := p.media.NewMedia(c.mediaOptions(audio, video))
	var sdp string
	offerInAck := len(req.Body()) == 0
	if err == nil {
		if offerInAck {
			sdp, err = m.CreateOffer(ctx, false)
		} else {
			sdp, err = m.AcceptOffer(ctx, string(req.Body()))
		}
		if err != nil {
			_ = m.Close()
		}
	}
	if err != nil {
		p.log.Warn("cannot answer: media", "call_id", c.id, "err", err)
		c.mu.Lock()
		live := c.state == CallRinging
		c.invite = nil
		c.mu.Unlock()
		if live {
			p.send(p.response(req, 488, "Not Acceptable Here", c.dlg.localTag))
		}
		c.end(488, "media: "+err.Error())
		return fmt.Errorf("rtc: answer: %w", err)
	}
	c.mu.Lock()
	if c.state != CallRinging {
		c.mu.Unlock()
		_ = m.Close()
		return ErrCallEnded
	}
	c.media = m
	c.state = CallAnswered
	c.answeredAt = time.Now()
	c.ackOffer = offerInAck
	c.invite = nil
	acked := c.acked
	lh, rh := c.localHold, c.remoteHold
	c.mu.Unlock()
	res := p.response(req, 200, "OK", c.dlg.localTag)
	res.AppendHeader(c.contactHeader())
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	ctype := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ctype)
	res.SetBody([]byte(sdp))
	p.send(res)
	p.log.Info("call answered", "call_id", c.id, "uuid", c.UUID(), "answer_ms", time.Since(start).Milliseconds())
	c.emitState(CallAnswered, lh, rh, 200, "")
	select {
	case <-acked:
		return nil
	case <-c.done:
		return ErrCallEnded
	case <-ctx.Done():
		// No ACK: the 2xx never arrived. Give up on the dialog (RFC 3261 §13.3.1.4).
		p.callWG.Add(1)
		go func() {
			defer p.callWG.Done()
			defer contain.Recover(p.log, "rtc: BYE after no ACK", func(err error) { c.end(408, err.Error()) })
			bctx, cancel := context.WithTimeout(context.Background(), p.cfg.RequestTimeout)
			defer cancel()
			_ = c.bye(bctx, 408, "no ACK")
		}()
		return fmt.Errorf("rtc: answer: no ACK: %w", ctx.Err())
	}
}

// Reject refuses a ringing incoming call with code (486 Busy Here when 0;
// 603 Decline, 480...).
func (c *Call) Reject(ctx context.Context, code int) error {
	_ = ctx
	if code == 0 {
		code = 486
	}
	if code < 300 || code > 699 {
		return fmt.Errorf("%w: reject code %d", ErrInvalidArgument, code)
	}
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return ErrCallEnded
	}
	if !c.incoming || c.state != CallRinging || c.invite == nil {
		c.mu.Unlock()
		return ErrBadState
	}
	req := c.invite
	c.invite = nil
	c.mu.Unlock()
	c.p.send(c.p.response(req, code, reasonPhrase(code), c.dlg.localTag))
	c.end(code, "rejected")
	return nil
}

func reasonPhrase(code int) string {
	switch code {
	case 486:
		return "Busy Here"
	case 603:
		return "Decline"
	case 480:
		return "Temporarily Unavailable"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 600:
		return "Busy Everywhere"
	}
	return "Rejected"
}

func (c *Call) onAck(req *sip.Request) {
	c.mu.Lock()
	if c.state != CallAnswered && !c.ackOffer {
		c.mu.Unlock()
		return // ACK of a re-INVITE's 2xx, or of a failure response
	}
	m := c.media
	needAnswer := c.ackOffer
	c.ackOffer = false
	first := c.state == CallAnswered
	if first {
		c.state = c.activeState()
		c.confirmedAt = time.Now()
		close(c.acked)
	}
	st, lh, rh := c.state, c.localHold, c.remoteHold
	c.mu.Unlock()
	if needAnswer && m != nil {
		if len(req.Body()) == 0 {
			c.p.log.Warn("ACK without the answer to our offer", "call_id", c.id)
		} else if err := m.SetAnswer(string(req.Body())); err != nil {
			c.p.log.Warn("bad SDP answer in ACK", "call_id", c.id, "err", err)
		}
	}
	if first {
		c.emitState(st, lh, rh, 0, "")
	}
}

func (c *Call) onCancel(req *sip.Request) {
	p := c.p
	c.mu.Lock()
	inv := c.invite
	match := inv != nil && branchOf(inv) == branchOf(req) && c.state == CallRinging
	if match {
		c.invite = nil
	}
	c.mu.Unlock()
	if !match {
		// Too late (answered) or unknown: the INVITE goes on.
		if inv == nil && c.incoming {
			p.send(p.response(req, 200, "OK", c.dlg.localTag))
			return
		}
		p.send(p.response(req, 481, "Call/Transaction Does Not Exist", ""))
		return
	}
	p.send(p.response(req, 200, "OK", c.dlg.localTag))
	p.send(p.response(inv, 487, "Request Terminated", c.dlg.localTag))
	c.end(487, "cancelled")
}
