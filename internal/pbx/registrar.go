package pbx

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The registrar: SIP bindings of the extensions, with digest auth.

type registration struct {
	ext       string
	contact   string // Contact URI as the agent gave it
	conn      *sipConn
	expires   time.Time
	headers   map[string]string
	userAgent string
}

// Registration describes a current binding.
type Registration struct {
	Ext       string
	Contact   string
	Expires   time.Time
	Headers   map[string]string // X- headers of the REGISTER (company code and the like)
	UserAgent string
	Remote    string // the agent's TCP address
}

// Registered reports whether ext has a live binding.
func (p *PBX) Registered(ext string) bool {
	_, ok := p.Registration(ext)
	return ok
}

// Registration returns ext's live binding.
func (p *PBX) Registration(ext string) (Registration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.liveReg(ext)
	if r == nil {
		return Registration{}, false
	}
	h := map[string]string{}
	for k, v := range r.headers {
		h[k] = v
	}
	return Registration{Ext: r.ext, Contact: r.contact, Expires: r.expires, Headers: h,
		UserAgent: r.userAgent, Remote: r.conn.remote}, true
}

// liveReg returns the unexpired binding of ext. p.mu held.
func (p *PBX) liveReg(ext string) *registration {
	r := p.regs[ext]
	if r == nil {
		return nil
	}
	if time.Now().After(r.expires) {
		delete(p.regs, ext)
		go p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: r.contact, Reason: "expired"})
		return nil
	}
	return r
}

// Registrations lists the live bindings, in no particular order.
func (p *PBX) Registrations() []Registration {
	p.mu.Lock()
	exts := make([]string, 0, len(p.regs))
	for ext := range p.regs {
		exts = append(exts, ext)
	}
	p.mu.Unlock()
	out := make([]Registration, 0, len(exts))
	for _, ext := range exts {
		if r, ok := p.Registration(ext); ok {
			out = append(out, r)
		}
	}
	return out
}

// WaitRegistered blocks until ext has a binding or ctx ends.
func (p *PBX) WaitRegistered(ctx context.Context, ext string) error {
	ev, stop := p.Subscribe()
	defer stop()
	if p.Registered(ext) {
		return nil
	}
	for {
		select {
		case e := <-ev:
			if e.Type == EvRegistered && e.Ext == ext {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *PBX) handleRegister(c *sipConn, req *sip.Request) {
	authz := headerValue(req, "Authorization")
	if authz == "" {
		res := response(req, 401, "Unauthorized", newTag())
		res.h("WWW-Authenticate", challenge(p.cfg.Domain, p.nonces.issue()))
		c.send(res)
		return
	}
	user, ok, stale := checkDigestStale(authz, "REGISTER", p.cfg.Domain, &p.nonces, p.password)
	if stale {
		res := response(req, 401, "Unauthorized", newTag())
		res.h("WWW-Authenticate", staleChallenge(p.cfg.Domain, p.nonces.issue()))
		c.send(res)
		return
	}
	toUser := ""
	if t := req.To(); t != nil {
		toUser = t.Address.User
	}
	if !ok || user != toUser {
		reason := "wrong credentials"
		if ok {
			reason = "authorization user is not the To user"
		}
		p.emit(Event{Type: EvAuthFailed, Ext: user, Reason: reason})
		res := response(req, 403, "Forbidden", newTag())
		c.send(res)
		return
	}
	ext := user
	expires := 600
	if v := headerValue(req, "Expires"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			expires = n
		}
	}
	contactHdr := req.Contact()
	if contactHdr == nil {
		// A query: answer with the current binding.
		res := response(req, 200, "OK", newTag())
		p.mu.Lock()
		if r := p.liveReg(ext); r != nil {
			res.h("Contact", "<"+r.contact+">;expires="+strconv.Itoa(int(time.Until(r.expires).Seconds())))
		}
		p.mu.Unlock()
		c.send(res)
		return
	}
	if v, ok := contactHdr.Params.Get("expires"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			expires = n
		}
	}
	if contactHdr.Address.Wildcard || strings.TrimSpace(contactHdr.Value()) == "*" {
		expires = 0
	}
	expires = min(expires, p.cfg.MaxExpires)
	contact := contactHdr.Address.String()
	if expires <= 0 {
		p.mu.Lock()
		r := p.regs[ext]
		if r != nil && r.conn == c {
			delete(p.regs, ext)
		} else {
			r = nil
		}
		p.mu.Unlock()
		c.send(response(req, 200, "OK", newTag()))
		if r != nil {
			p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: r.contact, Reason: "expires 0"})
		}
		return
	}
	headers := map[string]string{}
	for _, h := range req.Headers() {
		if strings.HasPrefix(strings.ToLower(h.Name()), "x-") {
			headers[h.Name()] = h.Value()
		}
	}
	reg := &registration{ext: ext, contact: contact, conn: c, headers: headers,
		expires: time.Now().Add(time.Duration(expires) * time.Second), userAgent: headerValue(req, "User-Agent")}
	p.mu.Lock()
	old := p.regs[ext]
	p.regs[ext] = reg
	p.mu.Unlock()
	res := response(req, 200, "OK", newTag())
	res.h("Contact", "<"+contact+">;expires="+strconv.Itoa(expires))
	res.h("Date", time.Now().UTC().Format(http.TimeFormat))
	c.send(res)
	if old != nil && old.conn != c {
		p.emit(Event{Type: EvUnregistered, Ext: ext, Contact: old.contact, Reason: "replaced"})
	}
	if old == nil || old.conn != c || old.contact != contact {
		p.emit(Event{Type: EvRegistered, Ext: ext, Contact: contact, Headers: headers})
	}
}
