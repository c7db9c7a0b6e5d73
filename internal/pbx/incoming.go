package pbx

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Requests from the agent on a call (re-INVITE, UPDATE, INFO, BYE,
// CANCEL) and the agent's own INVITEs.

func (c *Call) handleRequest(req *sip.Request) {
	switch req.Method {
	case sip.ACK:
		return
	case sip.BYE:
		_ = c.conn.send(response(req, 200, "OK", ""))
		c.end("agent", 0, "bye")
	case sip.CANCEL:
		c.mu.Lock()
		inv := c.pending
		match := inv != nil && branchOf(inv) == branchOf(req)
		if match {
			c.pending = nil
		}
		tag := tagOf(headerParams(c.localHdr))
		c.mu.Unlock()
		if !match {
			_ = c.conn.send(response(req, 481, "Call/Transaction Does Not Exist", ""))
			return
		}
		_ = c.conn.send(response(req, 200, "OK", tag))
		_ = c.conn.send(response(inv, 487, "Request Terminated", tag))
		c.end("agent", 487, "cancelled")
	case sip.INVITE, sip.UPDATE:
		c.handleOffer(req)
	case sip.INFO:
		c.handleInfo(req)
	default:
		res := response(req, 405, "Method Not Allowed", "")
		res.h("Allow", allowMethods)
		_ = c.conn.send(res)
	}
}

// handleOffer answers a re-INVITE or UPDATE from the agent.
func (c *Call) handleOffer(req *sip.Request) {
	c.mu.Lock()
	state, busy := c.state, c.offerBusy
	if state == stAnswered && !busy {
		c.offerBusy = true
	}
	c.mu.Unlock()
	switch {
	case state != stAnswered:
		_ = c.conn.send(response(req, 491, "Request Pending", ""))
		return
	case busy:
		res := response(req, 491, "Request Pending", "")
		_ = c.conn.send(res)
		return
	}
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	if len(req.Body()) == 0 {
		if req.Method == sip.UPDATE {
			_ = c.conn.send(response(req, 200, "OK", ""))
			return
		}
		_ = c.conn.send(response(req, 488, "Not Acceptable Here (offerless re-INVITE)", ""))
		return
	}
	answer, err := c.media.answerOffer(string(req.Body()))
	if err != nil {
		c.p.log.Warn("bad SDP offer in re-INVITE", "uuid", c.uuid, "err", err)
		c.media.rollback()
		_ = c.conn.send(response(req, 488, "Not Acceptable Here", ""))
		return
	}
	c.mu.Lock()
	if ct := req.Contact(); ct != nil {
		c.remoteTarget = ct.Address.String()
	}
	c.mu.Unlock()
	res := response(req, 200, "OK", "")
	res.h("Contact", c.contact())
	res.h("Allow", allowMethods)
	res.h("Content-Type", "application/sdp")
	res.body = []byte(answer)
	_ = c.conn.send(res)
	c.media.mu.Lock()
	a, v := c.media.agentDir(0), c.media.agentDir(1)
	c.media.mu.Unlock()
	c.p.emit(Event{Type: EvReinvite, UUID: c.uuid, Ext: c.ext, CallID: c.cid, Audio: a, Video: v,
		Held: a == SendOnly || a == Inactive})
}

func (c *Call) handleInfo(req *sip.Request) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	body := strings.TrimSpace(string(req.Body()))
	var digit string
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				digit = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
		digit = body
	}
	if digit != "" {
		if len(digit) == 1 {
			if _, ok := DTMFEventCode(digit[0]); !ok {
				digit = ""
			}
		} else if n, err := strconv.Atoi(digit); err == nil && n >= 0 && n <= 15 {
			d, _ := DTMFEventDigit(uint8(n))
			digit = string(d)
		} else {
			digit = ""
		}
	}
	if digit == "" && ct != "" && strings.Contains(ct, "dtmf") {
		_ = c.conn.send(response(req, 400, "Bad DTMF", ""))
		return
	}
	_ = c.conn.send(response(req, 200, "OK", ""))
	if digit != "" {
		c.media.addDigit(strings.ToUpper(digit), DTMFInfo)
	}
}

// agentInvite handles an INVITE the agent sends on its own: to the echo
// extension (answered at once), or, when AcceptAgentCalls, to anyone.
func (p *PBX) agentInvite(conn *sipConn, req *sip.Request) {
	target := req.Recipient.User
	echo := p.cfg.EchoNumber != "" && target == p.cfg.EchoNumber
	if !echo && !p.cfg.AcceptAgentCalls {
		_ = conn.send(response(req, 403, "Forbidden", newTag()))
		return
	}
	ext := req.From().Address.User
	p.mu.Lock()
	reg := p.liveReg(ext)
	if reg == nil || reg.conn != conn {
		p.mu.Unlock()
		_ = conn.send(response(req, 403, "Forbidden (not registered on this connection)", newTag()))
		return
	}
	uuid := strings.TrimSpace(headerValue(req, "X-CC-UUID"))
	if uuid == "" {
		uuid = "agent-" + randHex(8)
		if echo {
			uuid = "echo-" + randHex(8)
		}
	}
	if _, dup := p.calls[uuid]; dup {
		p.mu.Unlock()
		_ = conn.send(response(req, 486, "Busy Here (uuid in use)", newTag()))
		return
	}
	c := p.newCall(uuid, ext, conn, false)
	c.echo = echo
	c.cid = req.CallID().Value()
	tag := newTag()
	c.localHdr = req.To().Value() + ";tag=" + tag
	c.remoteHdr = req.From().Value()
	if ct := req.Contact(); ct != nil {
		c.remoteTarget = ct.Address.String()
	}
	c.cseq = 100
	c.pending = req
	c.setupStart = time.Now()
	p.calls[uuid] = c
	p.byCID[c.cid] = c
	p.mu.Unlock()
	_ = conn.send(response(req, 100, "Trying", ""))

	headers := map[string]string{}
	for _, h := range req.Headers() {
		if strings.HasPrefix(strings.ToLower(h.Name()), "x-") {
			headers[h.Name()] = h.Value()
		}
	}
	var err error
	if err = c.newMedia(0); err == nil {
		c.answerSDP, err = c.media.answerOffer(string(req.Body()))
	}
	if err != nil {
		p.log.Warn("cannot answer agent INVITE", "uuid", uuid, "err", err)
		_ = conn.send(response(req, 488, "Not Acceptable Here", tag))
		c.mu.Lock()
		c.pending = nil
		c.mu.Unlock()
		c.end("pbx", 488, err.Error())
		return
	}
	if echo || p.cfg.AutoAnswerAgentCalls {
		p.emit(Event{Type: EvIncoming, UUID: uuid, Ext: ext, CallID: c.cid, Headers: headers, Target: target, Echo: echo})
		_ = c.answerIncoming()
		return
	}
	c.mu.Lock()
	c.state = stRinging
	c.mu.Unlock()
	_ = conn.send(response(req, 180, "Ringing", tag))
	p.emit(Event{Type: EvIncoming, UUID: uuid, Ext: ext, CallID: c.cid, Headers: headers, Target: target})
}

func (c *Call) answerIncoming() error {
	c.mu.Lock()
	req := c.pending
	if c.state == stEnded {
		c.mu.Unlock()
		return ErrCallEnded
	}
	if c.outbound || req == nil {
		c.mu.Unlock()
		return ErrNoCall
	}
	c.pending = nil
	res := response(req, 200, "OK", tagOf(headerParams(c.localHdr)))
	res.h("Contact", c.contact())
	res.h("Allow", allowMethods)
	res.h("Content-Type", "application/sdp")
	res.body = []byte(c.answerSDP)
	c.mu.Unlock()
	if err := c.conn.send(res); err != nil {
		return err
	}
	c.markAnswered()
	return nil
}
