package sim

import (
	"strings"
	"time"
)

// specAgent is an agent's spec-dialect state. Guarded by world.mu.
type specAgent struct {
	token     string
	conn      *link       // the agent's bound link
	grace     *time.Timer // a dropped agent's check-out
	afterCall string      // a *_AFTER_CALL_STOP action waiting for the call's end
	restGen   int         // bumps to cancel a pending end of rest
	pre       string      // status before a supervisor action, to return to
	call      *specCall   // the call the agent is in, or ringing with
	leg       *specLeg    // the agent's leg when it is not the call's owner
}

// handleFrame reads one request and answers it.
func (s *spec) handleFrame(c *link, b []byte) {
	q, err := parseSpecRequest(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if err != nil {
		s.send(c, obj{"code": "1", "msg": text(c.lang, "bad_json")})
		return
	}
	t := q.msgType()
	a := c.agent
	if a == nil && t != "checkin" {
		// Not bound yet: find the agent the request names (a tool may ping
		// before check-in); state-changing requests need a check-in.
		a = s.agents[q.str("agent_id")]
	}
	if a != nil && s.faulted(c, a, t) {
		return
	}
	h, ok := handlers[t]
	if !ok {
		s.reply(c, q, "1", text(c.lang, "unknown_type"), nil)
		return
	}
	if t != "checkin" && t != "ping" {
		if a == nil || !a.checkedIn || a.spec.conn != c {
			s.reply(c, q, "1", text(c.lang, "not_checked_in"), nil)
			return
		}
	}
	h(s, c, a, q)
}

type handler func(s *spec, c *link, a *agent, q specRequest)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"checkin":             (*spec).checkin,
		"checkout":            (*spec).checkout,
		"ping":                (*spec).ping,
		"toggle_service_mode": (*spec).toggleServiceMode,
		"change_status":       (*spec).changeStatus,
		"call":                (*spec).outbound,
		"preview_out_call":    (*spec).outbound,
		"answer":              (*spec).answer,
		"hangup":              (*spec).hangup,
		"hold":                (*spec).hold,
		"mute":                (*spec).mute,
		"dtmf":                (*spec).dtmf,
		"change_media":        (*spec).changeMedia,
		"play_record":         (*spec).playRecord,
		"play_record_control": (*spec).playRecordControl,
		"trans":               (*spec).trans,
		"consult":             (*spec).consult,
		"consult_to_trans":    (*spec).consultToTrans,
		"three_way":           (*spec).threeWay,
		"eavesdrop":           (*spec).supervise,
		"whisper":             (*spec).supervise,
		"force_call":          (*spec).supervise,
		"substitute":          (*spec).substitute,
		"interrupt_call":      (*spec).interrupt,
	}
}

// quirky msg_types: the spec's examples pad these replies with a space.
var paddedReplies = map[string]bool{"checkin": true, "checkout": true, "change_status": true,
	"three_way": true, "eavesdrop": true, "force_call": true, "interrupt_call": true}

// reply answers request q; the delay fault postpones it.
func (s *spec) reply(c *link, q specRequest, code, msg string, extra obj) {
	t := q.msgType()
	rt := t
	switch {
	case t == "ping":
		rt = "pong"
	case t == "trans" && s.cfg.quirks():
		rt = "transfer"
	case paddedReplies[t] && s.cfg.quirks():
		rt = " " + t
	}
	o := obj{"req_id": q.str("req_id"), "msg_type": rt, "code": code, "msg": msg}
	for k, v := range extra {
		o[k] = v
	}
	if s.delayed(c, c.agent, t, o) {
		return
	}
	s.send(c, o)
}

func (s *spec) ok(c *link, q specRequest, extra obj) {
	s.reply(c, q, "0", text(c.lang, "success"), extra)
}
func (s *spec) fail(c *link, q specRequest, key string, extra obj) {
	s.reply(c, q, "1", text(c.lang, key), extra)
}

// setStatus moves the agent and tells it with agent_change.
func (s *spec) setStatus(a *agent, status, sub, reason string) {
	if a.status == status && a.sub == sub {
		return
	}
	last := a.status
	a.status, a.sub = status, sub
	s.notifyLocked()
	o := obj{"msg_type": "agent_change", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.ext, "req_id": newID("")}
	statusKey, lastKey := "agent_status", "last_agent_status"
	if s.cfg.quirks() {
		statusKey, lastKey = " agent_status", " last_agent_status" // as the spec's example
	}
	o[statusKey], o[lastKey] = status, last
	if sub != "" {
		o["sub_agent_status"] = sub
	}
	if reason != "" {
		o["reason"] = reason
	}
	if a.spec.call != nil {
		o["in_call_numbers"] = a.spec.call.numbersFor(a)
	}
	s.send(a.spec.conn, o)
}

// callback reports a phase of an operation the agent started.
func (s *spec) callback(a *agent, action, phase string, success bool, msgKey string, cl *specCall, reqID string, extra obj) {
	mt := "callback"
	if s.cfg.quirks() {
		mt = " callback"
	}
	o := obj{"req_id": reqID, "msg_type": mt, "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.ext, "action": action, "phase": phase, "success": success, "msg": text(a.lang(), msgKey),
		"os": "Windows", "curren_time": time.Now().Format("2006-01-02 15:04:05"), "display_number": "4008001000"}
	if cl != nil {
		o["uuid"] = cl.uuid
		if cl.workOrder != "" && (action == "CALL" || action == "PREVIEW_OUT_CALL") {
			o["work_order_id"] = cl.workOrder
		}
	}
	for k, v := range extra {
		o[k] = v
	}
	s.send(a.spec.conn, o)
}

// ---- check-in, check-out, status ----

func (s *spec) checkin(c *link, _ *agent, q specRequest) {
	a := s.agents[q.str("agent_id")]
	extra := obj{"ext_id": "", "pbx": "", "ext_pwd": "", "rtc_address": "", "login_type": ""}
	if a == nil || a.company.Code != q.str("company_code") {
		s.fail(c, q, "no_agent", extra)
		return
	}
	if a.conf.Password != q.str("agent_pwd") {
		s.fail(c, q, "wrong_password", extra)
		return
	}
	if a.checkedIn && a.spec.conn != nil && a.spec.conn != c && !q.bool("reset") {
		s.fail(c, q, "already_in", extra)
		return
	}
	restore := a.checkedIn
	s.bindLocked(a, c)
	if a.spec.token == "" {
		a.spec.token = newID("")
		s.tokens[a.spec.token] = a
	}
	a.checkedIn = true
	// An agent may sit at any extension; the configured one is the default.
	a.ext = a.conf.ExtID
	if ext := q.str("ext_id"); ext != "" {
		a.ext = ext
	}
	rtc := ""
	if a.conf.LoginType == "1" {
		rtc = s.rtcAddress(c)
	}
	s.ok(c, q, obj{"ext_id": a.ext, "pbx": s.cfg.PBX, "ext_pwd": a.conf.ExtPwd,
		"rtc_address": rtc, "login_type": a.conf.LoginType, "token": a.spec.token})
	if restore {
		return // the session (status, calls) carries on over the new link
	}
	start := strings.ToUpper(q.str("start_status"))
	switch start {
	case "FREE", "BUSY", "REST":
	default:
		start = "BUSY" // platforms check agents in busy until they choose to take calls
	}
	s.setStatus(a, start, "", text(a.lang(), "checked_in"))
}

func (s *spec) checkout(c *link, a *agent, q specRequest) {
	if a.onCall() {
		s.fail(c, q, "in_call", nil)
		return
	}
	delete(s.tokens, a.spec.token) // void before the reply: the client may use the answer at once
	s.ok(c, q, nil)
	s.checkoutLocked(a, text(a.lang(), "checked_out"))
}

func (s *spec) checkoutLocked(a *agent, reason string) {
	s.setStatus(a, "OFFLINE", "", reason)
	a.checkedIn = false
	a.spec.afterCall = ""
	a.spec.restGen++
	delete(s.tokens, a.spec.token)
	a.spec.token = ""
	if a.spec.conn != nil {
		a.spec.conn.agent = nil
		a.spec.conn = nil
	}
	s.notifyLocked()
}

func (s *spec) ping(c *link, _ *agent, q specRequest) { s.ok(c, q, nil) }

func (s *spec) toggleServiceMode(c *link, a *agent, q specRequest) {
	m, ok := q.int("service_mode", 0)
	if !ok || (m != 1 && m != 2) {
		s.fail(c, q, "bad_value", nil)
		return
	}
	a.mode = m
	s.ok(c, q, nil)
}

func (s *spec) changeStatus(c *link, a *agent, q specRequest) {
	action := strings.ReplaceAll(strings.ToUpper(q.str("action")), " ", "")
	extra := obj{"action": q.str("action")}
	target := a
	if strings.HasPrefix(action, "FORCE_") {
		if !a.conf.Supervisor {
			s.fail(c, q, "no_permission", extra)
			return
		}
		target = s.agents[q.str("operated_agent_id")]
		if target == nil || target.company != a.company || !target.checkedIn {
			s.fail(c, q, "not_checked_in", extra)
			return
		}
	}
	last := target.status
	reply := func() {
		extra["last_agent_status"], extra["agent_status"] = last, target.status
		s.ok(c, q, extra)
	}
	switch action {
	case "MAKE_BUSY", "MAKE_FREE", "MAKE_REST", "FORCE_MAKE_BUSY", "FORCE_MAKE_FREE":
		if target.onCall() || target.status == "RINGING" || target.status == "CALLING" {
			s.fail(c, q, "in_call", extra)
			return
		}
		st := strings.TrimPrefix(strings.TrimPrefix(action, "FORCE_"), "MAKE_")
		reason := ""
		if target != a {
			reason = text(target.lang(), "force_by")
		}
		target.spec.restGen++
		s.setStatusAfterReply(c, q, extra, target, last, st, reason)
		if st == "REST" {
			if mins, ok := q.int("rest_min", 0); ok && mins > 0 {
				s.scheduleRestEnd(target, mins)
			}
		}
	case "MAKE_BUSY_AFTER_CALL_STOP", "MAKE_FREE_AFTER_CALL_STOP", "MAKE_REST_AFTER_CALL_STOP", "CHECKOUT_AFTER_CALL_STOP":
		if !a.onCall() && a.status != "ARRANGE" {
			s.fail(c, q, "bad_state", extra)
			return
		}
		a.spec.afterCall = action
		reply()
	case "FORCE_CHECKOUT":
		if target.onCall() {
			s.fail(c, q, "in_call", extra)
			return
		}
		extra["last_agent_status"], extra["agent_status"] = last, "OFFLINE"
		s.ok(c, q, extra)
		s.checkoutLocked(target, text(target.lang(), "force_by"))
	default:
		s.fail(c, q, "bad_value", extra)
	}
}

// setStatusAfterReply replies with the new status, then sends agent_change:
// the platform answers first and reports the change after.
func (s *spec) setStatusAfterReply(c *link, q specRequest, extra obj, t *agent, last, st, reason string) {
	extra["last_agent_status"], extra["agent_status"] = last, st
	s.ok(c, q, extra)
	s.setStatus(t, st, "", reason)
}

func (s *spec) scheduleRestEnd(a *agent, mins int) {
	gen := a.spec.restGen
	per := s.cfg.Timings.RestMinuteMS
	s.afterLocked(time.Duration(mins*per)*time.Millisecond, func() {
		if a.spec.restGen == gen && a.status == "REST" && a.checkedIn {
			s.setStatus(a, "FREE", "", text(a.lang(), "rest_over"))
		}
	})
}

// afterCallLocked runs when the agent's part in a call ends: after-call work,
// then the status the agent asked for (FREE by default).
func (s *spec) afterCallLocked(a *agent, reason string) {
	a.spec.call = nil
	a.spec.leg = nil
	s.rtcDrop(a)
	if a.playing != "" {
		a.playing = ""
	}
	if a.spec.pre != "" { // a supervisor returns to where it was
		pre := a.spec.pre
		a.spec.pre = ""
		s.setStatus(a, pre, "", reason)
		return
	}
	s.setStatus(a, "ARRANGE", "", reason)
	s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.ArrangeMS), func() {
		if a.status != "ARRANGE" || a.spec.call != nil || !a.checkedIn {
			return
		}
		next, why := "FREE", ""
		switch a.spec.afterCall {
		case "MAKE_BUSY_AFTER_CALL_STOP":
			next, why = "BUSY", text(a.lang(), "after_call")
		case "MAKE_REST_AFTER_CALL_STOP":
			next, why = "REST", text(a.lang(), "after_call")
		case "MAKE_FREE_AFTER_CALL_STOP":
			why = text(a.lang(), "after_call")
		case "CHECKOUT_AFTER_CALL_STOP":
			a.spec.afterCall = ""
			s.checkoutLocked(a, text(a.lang(), "after_call"))
			return
		}
		a.spec.afterCall = ""
		s.setStatus(a, next, "", why)
	})
}

func (s *spec) bindLocked(a *agent, c *link) {
	if a.spec.conn != nil && a.spec.conn != c {
		old := a.spec.conn
		old.agent = nil
		go old.ws.Close() // replaced by the new link
	}
	a.spec.conn = c
	c.agent = a
	c.who.Store(&a.conf.AgentID)
	if a.spec.grace != nil {
		a.spec.grace.Stop()
		a.spec.grace = nil
	}
	s.notifyLocked()
}

func (s *spec) startGraceLocked(a *agent) {
	if !a.checkedIn {
		return
	}
	g := s.cfg.Timings.GraceMS
	if g <= 0 {
		g = 60000
	}
	a.spec.grace = time.AfterFunc(time.Duration(g)*time.Millisecond, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a.spec.conn == nil && a.checkedIn && !s.closed {
			s.checkoutLocked(a, text("", "dropped"))
		}
	})
}

func (a *agent) lang() string {
	if a.spec.conn != nil {
		return a.spec.conn.lang
	}
	return ""
}

func (a *agent) onCall() bool { return a.spec.call != nil }
