package sim

import (
	"slices"
	"strings"
)

// The platform dialect's agent requests, as the real server's SI module
// (com.cqt.sdk.client.strategy) answers them: checkin, checkout,
// change_status, get_status, get_token, toggle_service_mode; and the
// change_status pushes.

// platformAgent is an agent's platform-dialect state. Guarded by world.mu.
type platformAgent struct {
	os          string       // the os of the last check-in: pushes go to company_agent_os
	hasStatus   bool         // a status record exists (the agent checked in since start)
	leg         *platformLeg // the agent's leg in a call
	afterAction string       // a *_AFTER_CALL_STOP action applied at hang-up
	arrangeGen  int          // bumps to cancel the ARRANGE timer
	serviceMode int
	autoChecks  int // runs of the auto check-out check (tests wait on it)
	// records are the check-in records by os (the IPs of agent_ip), kept
	// until check-out: the kick rule (4010) reads them.
	records map[string][]string

	postProcess, autoShowBusy, extOffline, disabled, unbound bool
}

func (p *platformAgent) loadConf(ac AgentConfig) {
	p.postProcess = ac.PostProcess == nil || *ac.PostProcess
	p.autoShowBusy, p.extOffline, p.disabled, p.unbound = ac.AutoShowBusy, ac.ExtOffline, ac.Disabled, ac.Unbound
	p.serviceMode = ac.ServiceMode
	if p.serviceMode == 0 {
		p.serviceMode = 1
	}
	p.records = map[string][]string{}
}

// pushOptions are the optional fields of a status push.
type pushOptions struct {
	reason *string  // nil: left out (transitions that set none)
	uuid   string   // the call's uuid ("" left out)
	inCall []string // set on the ANSWER transition only
	noLast bool     // leave last_agent_status out (the check-in's push)
}

func strp(s string) *string { return &s }

// setStatus moves the agent and pushes the change as the real server does
// (ClientAgentStatusChangeVO.build): msg_type "change_status", a fresh
// req_id, code "0", msg "success". s.mu held.
func (s *platform) setStatus(a *agent, status, sub string, o pushOptions) {
	last, had := a.status, a.plat.hasStatus
	a.status, a.sub = status, sub
	a.plat.hasStatus = true
	a.checkedIn = status != "OFFLINE"
	s.notifyLocked()
	f := obj{"req_id": fastUUID(), "msg_type": "change_status", "code": "0", "msg": "success",
		"company_code": a.company.Code, "agent_id": a.conf.AgentID, "ext_id": a.conf.ExtID,
		"agent_status": status, "os": a.plat.os}
	if had && !o.noLast {
		f["last_agent_status"] = last
	}
	if sub != "" {
		f["sub_agent_status"] = sub
	}
	if o.reason != nil {
		f["reason"] = *o.reason
	}
	if o.uuid != "" {
		f["uuid"] = o.uuid
	}
	if o.inCall != nil {
		f["in_call_numbers"] = o.inCall
	}
	s.pushTo(a, f)
}

// agentIn is the agent a request names (agent_id in company_code).
func (s *platform) agentIn(company, agentID string) *agent {
	a := s.agents[agentID]
	if a == nil || a.company.Code != company {
		return nil
	}
	return a
}

// extRegistered: the agent's bound extension is registered (RTC: at the
// PBX; login_type 2: unless configured offline).
func (s *platform) extRegistered(a *agent) bool {
	if a.isRTC() {
		return s.pbx != nil && s.pbx.Registered(a.conf.ExtID)
	}
	return !a.plat.extOffline
}

// extStatus is the bound extension's status as call-control reads it: ""
// (no record: not registered), ONLINE, RINGING, CALLING.
func (s *platform) extStatus(a *agent) string {
	if l := a.plat.leg; l != nil && l.state != legEnded {
		if l.state == legAnswered {
			return "CALLING"
		}
		return "RINGING"
	}
	if s.extRegistered(a) {
		return "ONLINE"
	}
	return ""
}

// extInCall: the extension is in a call (the auto check-out waits).
func (s *platform) extInCall(a *agent) bool { return a.plat.leg != nil && a.plat.leg.state != legEnded }

// reply is a SI reply: the request's req_id, company_code and msg_type,
// code, msg, reply true, plus extra. s.mu held.
func (s *platform) reply(c *link, q platformRequest, code, msg string, extra obj) {
	o := obj{"code": code, "msg": msg, "reply": true}
	q.copyTo(o, "req_id", "company_code", "msg_type")
	for k, v := range extra {
		if v == nil {
			delete(o, k)
			continue
		}
		o[k] = v
	}
	s.replyFrame(c, q, o)
}

// refuse is a refusal from ExceptionUtil.exceptionControl: code and msg only.
func (s *platform) refuse(c *link, q platformRequest, code, msg string) {
	s.replyFrame(c, q, obj{"code": code, "msg": msg})
}

func (s *platform) sdkInterface(c *link, q platformRequest) {
	switch q.s("msg_type") {
	case "checkout":
		s.checkout(c, q)
	case "change_status":
		s.changeStatus(c, q)
	case "get_status":
		s.getStatus(c, q)
	case "get_token":
		s.getToken(c, q)
	case "toggle_service_mode":
		s.toggleServiceMode(c, q)
	}
}

// checkin is CheckinClientRequestStrategyImpl, and CS's clientMap binding
// of the link on success. s.mu held.
func (s *platform) checkin(c *link, q platformRequest) {
	// A validation failure (base fields, or os/agent_id) becomes a 4002
	// that CS cannot cast to a check-in reply: nothing is sent.
	if _, _, bad := q.validate("s:msg_type", "s:req_id", "s:company_code"); bad {
		return
	}
	if _, _, bad := q.validate("s:os", "s:agent_id"); bad {
		return
	}
	fail := func(code, msg string) {
		o := obj{"code": code, "msg": msg, "reply": true}
		q.copyTo(o, "req_id", "company_code", "msg_type", "os")
		s.replyFrame(c, q, o)
	}
	co := s.company(q.s("company_code"))
	if co == nil {
		fail("4008", "企业不存在")
		return
	}
	a := s.agentIn(co.Code, q.s("agent_id"))
	switch {
	case a == nil:
		fail("4003", "坐席不存在!")
		return
	case !q.has("agent_pwd"):
		fail("9999", "签入失败!") // the password's encryption throws
		return
	case q.s("agent_pwd") != a.conf.Password:
		fail("4004", "坐席账号或密码错误")
		return
	case a.plat.disabled:
		fail("1001", "坐席已禁用")
		return
	case co.Disabled:
		fail("1000", "企业已禁用")
		return
	case a.plat.unbound:
		fail("4005", "坐席无绑定分机")
		return
	case q.s("ext_id") != a.conf.ExtID:
		fail("4012", "坐席绑定的分机与请求分机不一致")
		return
	}
	for _, bc := range co.Agents {
		if b := s.agents[bc.AgentID]; b != nil && b != a && b.conf.ExtID == a.conf.ExtID && !b.plat.unbound {
			fail("4007", "分机已被坐席: "+b.conf.AgentID+"绑定")
			return
		}
	}
	registered := s.extRegistered(a)
	if a.conf.LoginType == "2" && !registered {
		fail("4011", "签入失败，话机不在线")
		return
	}
	os := q.s("os")
	ips := splitIPs(q.s("agent_ip"))
	if last, ok := a.plat.records[os]; ok && registered && co.ForbidKick && !containsAll(ips, last) {
		fail("4010", "坐席账号已在其他地方签入 "+strings.Join(last, ","))
		return
	}
	// (With kick allowed the real server builds a kick_off it never delivers.)
	a.plat.records[os] = ips

	reset := q.s("reset") == "true"
	target := strings.ToUpper(q.s("start_status"))
	if target == "" || reset {
		target = "FREE"
	}
	leg := a.plat.leg
	sub, uuid := a.sub, ""
	if leg != nil && leg.state != legEnded {
		uuid = leg.uuid
	}
	if reset {
		sub, uuid = "", ""
		a.plat.afterAction = ""
	}
	a.plat.os = os
	a.ext = a.conf.ExtID
	a.plat.arrangeGen++
	// The check-in push carries no last_agent_status, reason or
	// sub_agent_status: the real server leaves out what it has no value for.
	s.setStatus(a, target, "", pushOptions{uuid: uuid, noLast: true})
	a.sub = sub
	if target == "ARRANGE" {
		s.scheduleArrangeEnd(a, "FREE")
	}
	rtc := s.cfg.PBX
	if a.isRTC() {
		rtc = s.rtcAddress(c)
	}
	token := s.newToken(co.Code, os, a.conf.AgentID)
	o := obj{"code": "0", "msg": "成功!", "reply": true, "os": os, "ext_id": a.conf.ExtID, "ext_pwd": a.conf.ExtPwd,
		"login_type": a.conf.LoginType, "pbx": rtc, "rtc_address": rtc, "ext_call_mode": 1,
		"service_mode": a.plat.serviceMode, "token": token}
	q.copyTo(o, "req_id", "company_code", "msg_type")
	s.replyFrame(c, q, o)
	if c != nil {
		c.bound, c.boundExt = linkKey(co.Code, a.conf.AgentID, os), a.conf.ExtID
	}
	if reset && leg != nil && leg.state != legEnded {
		s.endLeg(leg) // reset hangs up the extension's call
	}
}

func splitIPs(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// checkout is CheckoutClientRequestStrategyImpl. c is nil for the link
// layer's auto check-out. s.mu held.
func (s *platform) checkout(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:agent_id", "s:ext_id"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	a := s.agentIn(q.s("company_code"), q.s("agent_id"))
	if a == nil || !a.plat.hasStatus {
		s.reply(c, q, "1", "签出失败!", nil)
		return
	}
	delete(a.plat.records, q.s("os"))
	leg := s.stopCallForCheckout(a)
	a.plat.afterAction = ""
	a.plat.arrangeGen++
	s.setStatus(a, "OFFLINE", "", pushOptions{})
	extra := obj{"reply": nil}
	if q.has("reply") {
		extra["reply"] = q.s("reply") == "true"
	}
	s.reply(c, q, "0", "签出成功", extra)
	if leg != nil {
		s.endLeg(leg)
	}
}

// stopCallForCheckout marks the leg of a RINGING or CALLING agent to end
// without a status change for it (checkoutToOffline); the caller ends it.
func (s *platform) stopCallForCheckout(a *agent) *platformLeg {
	leg := a.plat.leg
	if leg == nil || leg.state == legEnded || (a.status != "RINGING" && a.status != "CALLING") {
		return nil
	}
	leg.offline = true
	return leg
}

var makeActions = map[string][3]string{ // target status, refusal, success
	"MAKE_BUSY": {"BUSY", "当前坐席已经是忙碌状态, 示忙失败!", "示忙成功!"},
	"MAKE_FREE": {"FREE", "当前坐席已经是空闲状态, 示闲失败!", "示闲成功!"},
	"MAKE_REST": {"REST", "当前坐席已经是小休状态, 小休失败!", "小休成功!"},
}

var afterCallActions = map[string][2]string{ // status at hang-up, success
	"MAKE_BUSY_AFTER_CALL_STOP": {"BUSY", "结束通话后进入忙碌状态!!"},
	"MAKE_FREE_AFTER_CALL_STOP": {"FREE", "结束通话后进入空闲状态!!"},
	"MAKE_REST_AFTER_CALL_STOP": {"REST", "结束通话后进入小休状态!!"},
	"CHECKOUT_AFTER_CALL_STOP":  {"OFFLINE", "结束通话后进入离线状态!!"},
}

// changeStatus is ChangeStatusClientRequestStrategyImpl and the
// agentstatus strategies. s.mu held.
func (s *platform) changeStatus(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:action", "o:rest_min"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	action := q.s("action")
	extra := obj{"action": action}
	answer := func(code, msg string, t *agent, last string) {
		if t != nil {
			extra["last_agent_status"], extra["agent_status"], extra["os"] = last, t.status, t.plat.os
		}
		s.reply(c, q, code, msg, extra)
	}
	self := s.agentIn(q.s("company_code"), q.s("agent_id"))
	if m, ok := makeActions[action]; ok {
		switch {
		case self == nil || !self.plat.hasStatus:
			answer("1", "未查询到坐席状态信息, 请先确认是否已迁入!", nil, "")
		case self.status == "OFFLINE":
			s.refuse(c, q, "4009", "坐席未签入")
		case self.status == m[0]:
			answer("1", m[1], nil, "")
		default:
			// No push, no refusal during a call, no timer ending a rest.
			last := self.status
			self.status = m[0]
			self.plat.arrangeGen++
			s.notifyLocked()
			answer("0", m[2], self, last)
		}
		return
	}
	if m, ok := afterCallActions[action]; ok {
		switch {
		case self == nil || !self.plat.hasStatus:
			answer("1", "未查询到坐席状态信息, 请先确认是否已迁入!", nil, "")
		case self.status != "CALLING" && self.status != "RINGING":
			s.refuse(c, q, "4016", "坐席非通话状态!")
		default:
			self.plat.afterAction = action
			s.notifyLocked()
			answer("0", m[1], nil, "")
		}
		return
	}
	t := s.agentIn(q.s("company_code"), q.s("operated_agent_id"))
	force := action == "FORCE_MAKE_BUSY" || action == "FORCE_MAKE_FREE" || action == "FORCE_CHECKOUT"
	if force && (t == nil || !t.plat.hasStatus) {
		answer("1", "未查询到坐席状态信息, 请先确认是否已签入!", nil, "")
		return
	}
	last := ""
	if t != nil {
		last = t.status
	}
	switch action {
	case "FORCE_MAKE_BUSY":
		switch {
		case t.status == "OFFLINE":
			s.refuse(c, q, "4009", "坐席未签入")
		case t.status != "FREE":
			answer("1", "强制示忙失败, 被操作坐席当前状态不可强制示忙!", nil, "")
		default:
			t.plat.arrangeGen++
			s.setStatus(t, "BUSY", "", pushOptions{reason: strp("被管理员强制示忙")})
			answer("0", "强制示忙成功!", t, last)
		}
	case "FORCE_MAKE_FREE":
		switch {
		case t.status == "OFFLINE":
			s.refuse(c, q, "4009", "坐席未签入")
		case t.status != "BUSY" && t.status != "REST" && t.status != "ARRANGE":
			answer("1", "强制示闲失败，被操作坐席当前状态不可强制示闲!", nil, "")
		default:
			t.plat.arrangeGen++
			s.setStatus(t, "FREE", "", pushOptions{reason: strp("被管理员强制示闲")})
			answer("0", "强制示闲成功!!", t, last)
		}
	case "FORCE_CHECKOUT":
		leg := s.stopCallForCheckout(t)
		t.plat.arrangeGen++
		t.plat.afterAction = ""
		s.setStatus(t, "OFFLINE", "", pushOptions{reason: strp("被管理员强制签出")})
		answer("0", "强签成功!!", t, last)
		if leg != nil {
			s.endLeg(leg)
		}
	default:
		answer("-1", "action非法!", nil, "")
	}
}

// getStatus is GetStatusClientRequestStrategyImpl. s.mu held.
func (s *platform) getStatus(c *link, q platformRequest) {
	a := s.agentIn(q.s("company_code"), q.s("agent_id"))
	if a == nil || !a.plat.hasStatus {
		s.reply(c, q, "1", "获取不到坐席状态!", nil)
		return
	}
	o := obj{"code": "0", "msg": "获取成功!", "status": a.status}
	q.copyTo(o, "req_id", "msg_type", "company_code")
	if n := s.inCallNumbers(a); len(n) > 0 {
		o["in_call_numbers"] = n
	}
	if a.sub != "" {
		o["sub_status"] = a.sub
	}
	if l := a.plat.leg; l != nil && l.state != legEnded {
		o["uuid"] = l.uuid
	}
	s.replyFrame(c, q, o)
}

// getToken is GetTokenRequestStrategyImpl over WS (the link must have
// checked in: get_token is not exempt from CS's binding check). s.mu held.
func (s *platform) getToken(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:os", "s:agent_id"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	code, msg, token := s.issueToken(q)
	switch {
	case code == "0":
		s.reply(c, q, code, msg, obj{"token": token})
	case code == "4004" || code == "4015":
		s.reply(c, q, code, msg, nil)
	default:
		s.refuse(c, q, code, msg)
	}
}

// issueToken checks the agent and password and makes a new token: code "0"
// with the token, or the refusal. s.mu held.
func (s *platform) issueToken(q platformRequest) (code, msg, token string) {
	a := s.agentIn(q.s("company_code"), q.s("agent_id"))
	switch {
	case a == nil:
		return "4003", "坐席不存在!", ""
	case !q.has("agent_pwd"):
		return "4043", "请求失败!", "" // the password's encryption throws
	case q.s("agent_pwd") != a.conf.Password:
		return "4004", "坐席账号或密码错误", ""
	case a.plat.disabled:
		return "4015", "获取token失败!", ""
	}
	return "0", "成功!", s.newToken(a.company.Code, q.s("os"), a.conf.AgentID)
}

// toggleServiceMode is ToggleServiceModeRequestStrategyImpl. s.mu held.
func (s *platform) toggleServiceMode(c *link, q platformRequest) {
	if code, msg, bad := q.validate("i:service_mode"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	m, _, _ := q.int("service_mode")
	a := s.agentIn(q.s("company_code"), q.s("agent_id"))
	switch {
	case a == nil || !a.plat.hasStatus:
		s.reply(c, q, "4009", "坐席未签入", nil)
	case a.plat.serviceMode == m:
		s.reply(c, q, "4003", "坐席服务模式未变化!", nil)
	default:
		a.plat.serviceMode = m
		a.mode = m
		s.notifyLocked()
		extra := obj{"service_mode": m}
		q.copyTo(extra, "os")
		s.reply(c, q, "0", "成功!", extra)
	}
}

// scheduleArrangeEnd ends an ARRANGE after Timings.ArrangeMS with a push to
// next, unless something cancelled it meanwhile (a status change, a
// check-in, a call). s.mu held.
func (s *platform) scheduleArrangeEnd(a *agent, next string) {
	a.plat.arrangeGen++
	gen := a.plat.arrangeGen
	s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.ArrangeMS), func() {
		if a.plat.arrangeGen != gen {
			return
		}
		s.setStatus(a, next, "", pushOptions{})
	})
}
