package pbx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

type callState int

const (
	stCalling callState = iota
	stRinging
	stAnswered
	stEnded
)

func (s callState) String() string {
	return [...]string{"calling", "ringing", "answered", "ended"}[s]
}

// Call is one call between the PBX and an agent.
type Call struct {
	p        *PBX
	uuid     string
	ext      string
	conn     *sipConn
	outbound bool // placed by the PBX (Invite); false: the agent's INVITE
	cid      string
	opts     InviteOptions
	created  time.Time
	media    *mediaLeg

	answered     chan struct{}
	answerOnce   sync.Once
	done         chan struct{}
	mu           sync.Mutex
	state        callState
	localHdr     string // our From/To value, with tag
	remoteHdr    string // theirs, with tag once known
	remoteTarget string
	cseq         uint32
	inviteBranch string
	inviteCSeq   uint32
	ackFor2xx    *msgBuilder
	cancelled    bool
	// lateDialog: the agent answered after the call had ended here (a 2xx
	// that crossed our CANCEL, or came after we gave up on it): only the
	// agent's dialog is left to close with a BYE.
	lateDialog bool
	offerBusy  bool
	pending    *sip.Request // the agent's INVITE, until answered
	answerSDP  string
	answeredAt time.Time
	endedAt    time.Time
	setupStart time.Time
	firstAudio time.Time
	endBy      string
	endCode    int
	endReason  string
	imp        Impairment // the test's knobs (impair.go)
	echo       bool       // a call to the echo extension
}

// newCall makes a call of ext, with the extension's impairment. p.mu held.
func (p *PBX) newCall(uuid, ext string, conn *sipConn, outbound bool) *Call {
	return &Call{p: p, uuid: uuid, ext: ext, conn: conn, outbound: outbound, created: time.Now(),
		answered: make(chan struct{}), done: make(chan struct{}), imp: p.extImp[ext]}
}

func (c *Call) newMedia(toneHz float64) error {
	if toneHz == 0 {
		toneHz = c.p.cfg.ToneHz
	}
	c.mu.Lock()
	echo := c.echo
	c.mu.Unlock()
	m, err := newMediaLeg(c.p.api, toneHz, c.p.cfg.ToneAmplitude, echo)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.onFirstAudio = c.onFirstAudio
	m.onDigit = c.onDigit
	m.mu.Unlock()
	c.mu.Lock()
	c.media = m
	m.setImpairment(c.imp) // under c.mu: an Impair now waits for it
	c.mu.Unlock()
	return nil
}

func (c *Call) onFirstAudio(t time.Time) {
	c.mu.Lock()
	c.firstAudio = t
	setup := t.Sub(c.setupStart)
	c.mu.Unlock()
	c.p.emit(Event{Type: EvMediaStarted, UUID: c.uuid, Ext: c.ext, CallID: c.cid, SetupTime: setup, At: t})
}

func (c *Call) onDigit(d DTMFDigit) {
	c.p.emit(Event{Type: EvDTMF, UUID: c.uuid, Ext: c.ext, CallID: c.cid, Digit: d.Digit, Mode: d.Mode, At: d.At})
}

// ---- PBX → agent ----

func (c *Call) startOutbound(ctx context.Context) error {
	o := c.opts
	if err := c.newMedia(o.ToneHz); err != nil {
		return err
	}
	c.media.mu.Lock()
	c.media.want = [2]Direction{Direction(o.Audio & 3).Mirror(), Direction(o.Video & 3).Mirror()}
	c.media.mu.Unlock()
	offer, err := c.media.createOffer()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	caller, name := o.Caller, o.CallerName
	if caller == "" {
		caller = "pbx"
	}
	if name == "" {
		name = "CloudCC"
	}
	dom := c.p.cfg.Domain
	branch := newBranch()
	c.mu.Lock()
	c.localHdr = fmt.Sprintf(`"%s" <sip:%s@%s>;tag=%s`, name, caller, dom, newTag())
	c.remoteHdr = fmt.Sprintf("<sip:%s@%s>", c.ext, dom)
	c.cseq = 1
	c.inviteBranch, c.inviteCSeq = branch, 1
	b := &msgBuilder{start: "INVITE " + c.remoteTarget + " SIP/2.0", body: []byte(offer)}
	b.h("Via", "SIP/2.0/WS "+c.conn.via+";branch="+branch)
	b.h("Max-Forwards", "70")
	b.h("From", c.localHdr)
	b.h("To", c.remoteHdr)
	b.h("Call-ID", c.cid)
	b.h("CSeq", "1 INVITE")
	b.h("Contact", c.contact())
	if !o.Plain {
		b.h("X-CC-UUID", c.uuid)
		if o.AutoAnswer {
			b.h("Call-Info", "<sip:"+dom+">;answer-after=0")
		}
	}
	if o.Pixels > 0 {
		b.h("X-CC-Pixels", strconv.Itoa(o.Pixels))
	}
	for k, v := range o.Headers {
		b.h(k, v)
	}
	b.h("Allow", allowMethods)
	b.h("User-Agent", "cloudcc-ccsim-pbx")
	b.h("Content-Type", "application/sdp")
	c.setupStart = time.Now()
	c.mu.Unlock()
	tx, err := c.conn.startTx(branch, "INVITE")
	if err != nil {
		return err
	}
	if err := c.conn.send(b); err != nil {
		c.conn.endTx(tx)
		return err
	}
	c.p.callsWG.Add(1)
	go c.runInvite(tx)
	return nil
}

func (c *Call) contact() string {
	return "<sip:pbx@" + c.conn.host + ";transport=ws>"
}

func (c *Call) runInvite(tx *clientTx) {
	defer c.p.callsWG.Done()
	defer c.conn.endTx(tx)
	ringing := 0
	for {
		res, err := c.conn.next(context.Background(), tx)
		if err != nil {
			c.end("transport", 0, "transport closed")
			return
		}
		switch code := res.StatusCode; {
		case code == 100:
		case code < 200:
			if code != ringing {
				ringing = code
				c.mu.Lock()
				if c.state == stCalling {
					c.state = stRinging
				}
				c.mu.Unlock()
				c.p.emit(Event{Type: EvRinging, UUID: c.uuid, Ext: c.ext, CallID: c.cid, Code: code})
			}
		case code < 300:
			c.mu.Lock()
			c.remoteHdr = res.To().Value()
			if ct := res.Contact(); ct != nil {
				c.remoteTarget = ct.Address.String()
			}
			ack := c.request("ACK", newBranch(), c.inviteCSeq, "ACK")
			c.ackFor2xx = ack
			cancelled := c.cancelled
			c.mu.Unlock()
			_ = c.conn.send(ack)
			if cancelled {
				c.answeredToHangUp()
				go func() { _ = c.bye(context.Background(), "cancelled") }()
				return
			}
			if err := c.media.applyAnswer(string(res.Body())); err != nil {
				c.p.log.Warn("bad SDP answer", "uuid", c.uuid, "err", err)
				c.answeredToHangUp()
				go func() { _ = c.bye(context.Background(), "bad SDP answer: "+err.Error()) }()
				return
			}
			c.markAnswered()
			return
		default:
			c.mu.Lock()
			// ACK of a non-2xx: the INVITE's branch and Request-URI, the
			// response's To.
			c.remoteHdr = res.To().Value()
			ack := c.request("ACK", c.inviteBranch, c.inviteCSeq, "ACK")
			cancelled := c.cancelled
			c.mu.Unlock()
			_ = c.conn.send(ack)
			if cancelled && code == 487 {
				c.end("pbx", code, "cancelled")
			} else {
				c.end("agent", code, res.Reason)
			}
			return
		}
	}
}

// answeredToHangUp notes a 2xx the PBX answers with a BYE at once: the
// call is answered, or, if it has ended here meanwhile, stays ended with
// only the agent's dialog to close (an ended call never comes back).
func (c *Call) answeredToHangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stEnded {
		c.lateDialog = true
		return
	}
	c.state = stAnswered
}

func (c *Call) markAnswered() {
	c.mu.Lock()
	if c.state == stEnded {
		c.mu.Unlock()
		return
	}
	c.state = stAnswered
	c.answeredAt = time.Now()
	c.mu.Unlock()
	c.media.activate()
	c.answerOnce.Do(func() { close(c.answered) })
	c.media.mu.Lock()
	a, v := c.media.agentDir(0), c.media.agentDir(1)
	c.media.mu.Unlock()
	c.p.emit(Event{Type: EvAnswered, UUID: c.uuid, Ext: c.ext, CallID: c.cid, Audio: a, Video: v,
		Held: a == SendOnly || a == Inactive})
}

// request builds an in-dialog request. c.mu held.
func (c *Call) request(method, branch string, cseq uint32, cseqMethod string) *msgBuilder {
	b := &msgBuilder{start: method + " " + c.remoteTarget + " SIP/2.0"}
	b.h("Via", "SIP/2.0/WS "+c.conn.via+";branch="+branch)
	b.h("Max-Forwards", "70")
	b.h("From", c.localHdr)
	b.h("To", c.remoteHdr)
	b.h("Call-ID", c.cid)
	b.h("CSeq", strconv.FormatUint(uint64(cseq), 10)+" "+cseqMethod)
	return b
}

func (c *Call) resendAck(cseq uint32) {
	c.mu.Lock()
	ack := c.ackFor2xx
	c.mu.Unlock()
	if ack != nil {
		_ = c.conn.send(ack)
	}
}

// inDialog sends a request in the dialog and waits for its final response.
// For INVITE it also sends the ACK.
func (c *Call) inDialog(ctx context.Context, method, ctype string, body []byte, extra map[string]string) (*sip.Response, error) {
	c.mu.Lock()
	switch {
	case c.state == stEnded && method == "BYE" && c.lateDialog:
		c.lateDialog = false // one BYE closes it
	case c.state == stEnded:
		c.mu.Unlock()
		return nil, ErrCallEnded
	case c.state != stAnswered:
		c.mu.Unlock()
		return nil, ErrNotAnswered
	}
	c.cseq++
	n := c.cseq
	branch := newBranch()
	b := c.request(method, branch, n, method)
	if method == "INVITE" {
		b.h("Contact", c.contact())
		if !c.opts.Plain {
			b.h("X-CC-UUID", c.uuid)
		}
		b.h("Allow", allowMethods)
	}
	for k, v := range extra {
		b.h(k, v)
	}
	if len(body) > 0 {
		b.h("Content-Type", ctype)
		b.body = body
	}
	c.mu.Unlock()
	tx, err := c.conn.startTx(branch, method)
	if err != nil {
		return nil, err
	}
	defer c.conn.endTx(tx)
	if err := c.conn.send(b); err != nil {
		return nil, err
	}
	res, err := c.conn.final(ctx, tx)
	if err != nil {
		return nil, err
	}
	if method == "INVITE" {
		c.mu.Lock()
		var ack *msgBuilder
		if res.StatusCode/100 == 2 {
			if ct := res.Contact(); ct != nil {
				c.remoteTarget = ct.Address.String()
			}
			ack = c.request("ACK", newBranch(), n, "ACK")
			c.ackFor2xx = ack
		} else {
			ack = c.request("ACK", branch, n, "ACK")
		}
		c.mu.Unlock()
		_ = c.conn.send(ack)
	}
	return res, nil
}

// reinvite changes the PBX's wish (mutate runs under the media lock) and
// offers it in a re-INVITE. On failure the wish and pion's state roll back.
func (c *Call) reinvite(ctx context.Context, mutate func(*mediaLeg)) error {
	c.mu.Lock()
	switch {
	case c.state == stEnded:
		c.mu.Unlock()
		return ErrCallEnded
	case c.state != stAnswered:
		c.mu.Unlock()
		return ErrNotAnswered
	case c.offerBusy:
		c.mu.Unlock()
		return ErrBusy
	}
	c.offerBusy = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	m := c.media
	m.mu.Lock()
	savedWant, savedHeld := m.want, m.held
	mutate(m)
	m.mu.Unlock()
	rollback := func() {
		m.mu.Lock()
		m.want, m.held = savedWant, savedHeld
		m.mu.Unlock()
		m.rollback()
	}
	offer, err := m.createOffer()
	if err != nil {
		rollback()
		return err
	}
	res, err := c.inDialog(ctx, "INVITE", "application/sdp", []byte(offer), nil)
	if err != nil {
		rollback()
		return err
	}
	if res.StatusCode/100 != 2 {
		rollback()
		if res.StatusCode == 481 || res.StatusCode == 408 {
			c.end("agent", res.StatusCode, res.Reason)
		}
		return &RequestError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
	}
	if err := m.applyAnswer(string(res.Body())); err != nil {
		return fmt.Errorf("pbx: re-INVITE answer: %w", err)
	}
	return nil
}

func (c *Call) bye(ctx context.Context, reason string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := c.inDialog(ctx, "BYE", "", nil, nil)
	code := 0
	if res != nil {
		code = res.StatusCode
	}
	c.end("pbx", code, reason)
	return err
}

func (c *Call) hangup(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.state == stEnded:
		c.mu.Unlock()
		return nil
	case c.state == stAnswered:
		c.mu.Unlock()
		return c.bye(ctx, "bye")
	case !c.outbound:
		// The agent's INVITE, still ringing.
		req := c.pending
		c.pending = nil
		c.mu.Unlock()
		if req != nil {
			_ = c.conn.send(response(req, 487, "Request Terminated", tagOf(headerParams(c.localHdr))))
		}
		c.end("pbx", 487, "cancelled")
		return nil
	}
	// Our INVITE, not answered yet: CANCEL it.
	if c.cancelled {
		c.mu.Unlock()
	} else {
		c.cancelled = true
		b := &msgBuilder{start: "CANCEL " + c.remoteTargetOfInvite() + " SIP/2.0"}
		b.h("Via", "SIP/2.0/WS "+c.conn.via+";branch="+c.inviteBranch)
		b.h("Max-Forwards", "70")
		b.h("From", c.localHdr)
		b.h("To", fmt.Sprintf("<sip:%s@%s>", c.ext, c.p.cfg.Domain))
		b.h("Call-ID", c.cid)
		b.h("CSeq", strconv.FormatUint(uint64(c.inviteCSeq), 10)+" CANCEL")
		c.mu.Unlock()
		if tx, err := c.conn.startTx(c.inviteBranch, "CANCEL"); err == nil {
			// The 200 to CANCEL is of no interest: the INVITE's 487 ends the call.
			go func() {
				defer c.conn.endTx(tx)
				select {
				case <-c.done:
				case <-c.conn.done:
				}
			}()
		}
		_ = c.conn.send(b)
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		c.end("pbx", 0, "cancel not answered")
		return ctx.Err()
	}
}

// remoteTargetOfInvite is the Request-URI of our INVITE. c.mu held.
func (c *Call) remoteTargetOfInvite() string { return c.remoteTarget }

func headerParams(hdr string) sip.HeaderParams {
	p := sip.NewParams()
	if i := strings.Index(hdr, ";tag="); i >= 0 {
		t := hdr[i+5:]
		if j := strings.IndexByte(t, ';'); j >= 0 {
			t = t[:j]
		}
		p.Add("tag", t)
	}
	return p
}

// end tears the call down once; by is "agent", "pbx" or "transport".
func (c *Call) end(by string, code int, reason string) {
	c.mu.Lock()
	if c.state == stEnded {
		c.mu.Unlock()
		return
	}
	c.state = stEnded
	c.endedAt = time.Now()
	c.endBy, c.endCode, c.endReason = by, code, reason
	c.mu.Unlock()
	close(c.done)
	if c.media != nil {
		c.media.close()
	}
	p := c.p
	p.mu.Lock()
	if p.calls[c.uuid] == c {
		delete(p.calls, c.uuid)
	}
	if p.byCID[c.cid] == c {
		delete(p.byCID, c.cid)
	}
	p.keepEnded(c)
	p.mu.Unlock()
	p.emit(Event{Type: EvHungup, UUID: c.uuid, Ext: c.ext, CallID: c.cid, By: by, Code: code, Reason: reason})
}

func (c *Call) endError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endCode >= 300 && c.endBy == "agent" {
		return &RequestError{Method: "INVITE", Code: c.endCode, Reason: c.endReason}
	}
	return ErrCallEnded
}
