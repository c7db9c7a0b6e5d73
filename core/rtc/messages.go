package rtc

import (
	"bytes"
	"context"
	"log/slog"
	"strings"

	"github.com/emiago/sipgo/sip"
)

func (p *Phone) onFrame(data []byte) {
	msg, err := sip.ParseMessage(data)
	if err != nil {
		p.log.Warn("unparsable SIP message", "err", err, "bytes", len(data))
		return
	}
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("SIP in", "msg", redactSIP(string(data)))
	}
	switch m := msg.(type) {
	case *sip.Response:
		p.onResponse(m)
	case *sip.Request:
		if m.Via() == nil || m.CallID() == nil || m.CSeq() == nil || m.From() == nil || m.To() == nil {
			p.log.Warn("SIP request without mandatory headers", "method", m.Method)
			return
		}
		p.onRequest(m)
	}
}

// onOversize answers a SIP message over Config.MaxMessageSize: a request
// gets 513 Message Too Large (RFC 3261 §21.5.11), read from its first
// bytes (the headers; the body is not needed); a response is dropped.
func (p *Phone) onOversize(head []byte, size int64) {
	hdr := head
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		hdr = head[:i]
	} else if i := bytes.LastIndex(head, []byte("\r\n")); i >= 0 {
		hdr = head[:i] // the headers alone are over the limit: keep the whole lines
	}
	var kept [][]byte
	for _, line := range bytes.Split(hdr, []byte("\r\n")) {
		name, _, _ := bytes.Cut(line, []byte(":"))
		n := strings.ToLower(strings.TrimSpace(string(name)))
		if n == "content-length" || n == "l" {
			continue
		}
		kept = append(kept, line)
	}
	msg, err := sip.ParseMessage(append(bytes.Join(kept, []byte("\r\n")), "\r\nContent-Length: 0\r\n\r\n"...))
	req, isReq := msg.(*sip.Request)
	if err != nil || !isReq || req.Method == sip.ACK || req.Via() == nil || req.CallID() == nil || req.CSeq() == nil || req.From() == nil || req.To() == nil {
		p.log.Warn("SIP message over the size limit dropped", "bytes", size, "limit", p.cfg.MaxMessageSize, "first_line", firstLine(string(head)))
		return
	}
	p.log.Warn("SIP request over the size limit: 513", "method", req.Method, "bytes", size, "limit", p.cfg.MaxMessageSize)
	p.send(p.response(req, 513, "Message Too Large", ""))
}

func (p *Phone) onRequest(req *sip.Request) {
	cid := req.CallID().Value()
	p.mu.Lock()
	c := p.calls[cid]
	p.mu.Unlock()
	if c != nil {
		c.inbox.push(req)
		return
	}
	switch req.Method {
	case sip.INVITE:
		if _, has := req.To().Params.Get("tag"); !has {
			p.onInvite(req)
			return
		}
	case sip.ACK:
		return
	case sip.OPTIONS:
		res := p.response(req, 200, "OK", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		p.send(res)
		return
	case sip.NOTIFY:
		// Unsolicited NOTIFY (message-summary and the like): accept.
		p.send(p.response(req, 200, "OK", ""))
		return
	}
	p.send(p.response(req, 481, "Call/Transaction Does Not Exist", ""))
}

const allowMethods = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, UPDATE, NOTIFY"

// send writes a message on the current link; false if there is none.
func (p *Phone) send(m sip.Message) bool {
	l := p.current()
	if l == nil {
		p.log.Debug("SIP message dropped: link down", "msg", firstLine(m.String()))
		return false
	}
	return p.sendOn(l, m) == nil
}

func (p *Phone) sendOn(l *link, m sip.Message) error {
	s := m.String()
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("SIP out", "msg", redactSIP(s))
	}
	return l.write([]byte(s))
}

// response builds a response to req: Via, From, To (with toTag added when
// To has none and toTag is set), Call-ID, CSeq.
func (p *Phone) response(req *sip.Request, code int, reason, toTag string) *sip.Response {
	res := sip.NewResponse(code, reason)
	for _, v := range req.GetHeaders("Via") {
		res.AppendHeader(sip.HeaderClone(v))
	}
	// RFC 3261 §12.1.1: a response that establishes a dialog (18x, 2xx to
	// INVITE) carries the request's Record-Route, in order; without it a
	// proxy (Kamailio) cannot route the caller's ACK and BYE back to us.
	if req.Method == sip.INVITE && code > 100 && code < 300 {
		for _, v := range req.GetHeaders("Record-Route") {
			res.AppendHeader(sip.HeaderClone(v))
		}
	}
	res.AppendHeader(sip.HeaderClone(req.From()))
	to := sip.HeaderClone(req.To()).(*sip.ToHeader)
	if _, has := to.Params.Get("tag"); !has && toTag != "" {
		if to.Params == nil {
			to.Params = sip.NewParams()
		}
		to.Params.Add("tag", toTag)
	}
	res.AppendHeader(to)
	res.AppendHeader(sip.HeaderClone(req.CallID()))
	res.AppendHeader(sip.HeaderClone(req.CSeq()))
	res.AppendHeader(sip.NewHeader("Server", p.cfg.UserAgent))
	res.SetBody(nil)
	return res
}

// outOfDialog builds a request outside any dialog (REGISTER, OPTIONS,
// initial INVITE): new Call-ID, From with a new tag, To without one.
func (p *Phone) outOfDialog(method sip.RequestMethod, target sip.Uri) *sip.Request {
	req := sip.NewRequest(method, target)
	from := sip.FromHeader{DisplayName: p.cfg.DisplayName, Address: p.aor, Params: sip.NewParams()}
	from.Params.Add("tag", randHex(6))
	req.AppendHeader(&from)
	to := sip.ToHeader{Address: target, Params: sip.NewParams()}
	if method == sip.REGISTER {
		to.Address = p.aor
	}
	req.AppendHeader(&to)
	cid := sip.CallIDHeader(randHex(12))
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("User-Agent", p.cfg.UserAgent))
	return req
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return s[:i]
	}
	return s
}
