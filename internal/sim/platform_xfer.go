package sim

import "strings"

// The platform dialect's transfers, consultations, three-way calls and
// supervisor requests (call-control's strategies).

// xferLeg starts an xfer party's leg from the initiator's leg. target is
// the agent to ring, or nil for the outside number. s.mu held.
func (s *platform) xferLeg(from *platformLeg, kind, id string, target *agent, number string) *platformLeg {
	l := &platformLeg{uuid: id, agent: target, number: number, xfer: kind, from: from, caller: from.agent.conf.ExtID}
	if target != nil {
		l.channel = kind
		l.callee = target.conf.ExtID
	}
	if kind == "CONSULT" {
		l.keep = true
	}
	s.newLeg(from.call, l)
	s.ring(l, s.cfg.Timings.d(s.cfg.Timings.AgentRingMS))
	return l
}

// xferTarget is the party of a consult, transfer or three-way: for an agent
// (internal) one who is FREE with its extension online, else the outside
// number. ok false after answering the refusal with code refuse.
func (s *platform) xferTarget(c *link, q platformRequest, a *agent, internal bool, number, refuse string) (*agent, string, bool) {
	if !internal {
		return nil, number, true
	}
	b, why := s.checkAvail(a.company.Code, number, "", "ONLINE", "FREE")
	if b == nil {
		s.reply(c, q, refuse, why, nil)
		return nil, "", false
	}
	return b, "", true
}

// trans is TransClientRequestStrategyImpl.
func (s *platform) trans(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "i:type", "i:trans_type"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	if s.legs[q.s("uuid")] == nil {
		s.reply(c, q, "1", "uuid不存在!", nil)
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.reply(c, q, "1", why, nil)
		return
	}
	mode, _, _ := q.int("type")
	ttype, _, _ := q.int("trans_type")
	number := q.s("trans_number")
	if mode < 1 || mode > 3 {
		s.reply(c, q, "1", "转接类型不支持!", nil)
		return
	}
	if mode == 3 { // cancel a consultative transfer
		for _, o := range l.call.legs {
			if o.from == l && o.xfer == "TRANS" && o.state != legEnded {
				s.reply(c, q, "0", "咨询转取消成功!", nil)
				o.keep = true
				s.endLeg(o)
				return
			}
		}
		s.refuse(c, q, "4043", "请求失败!")
		return
	}
	switch ttype {
	case 3, 5: // IVR, satisfaction survey: the customer leaves the agents' world
		msg := "转IVR成功!"
		if ttype == 5 {
			msg = "转满意度成功!"
		}
		s.reply(c, q, "0", msg, nil)
		if cu := l.bridge; cu != nil {
			cu.keep = true
			cu.state = legEnded
			delete(s.legs, cu.uuid)
		}
		l.keep = true
		s.endLeg(l)
		return
	case 2: // a skill: the agent's leg is hung up, the queue picks an agent
		l.keep = true
		b := s.pickFree(a.company, number, a)
		if b == nil {
			s.reply(c, q, "1", "发起转接技能失败!", nil)
			s.endLeg(l)
			return
		}
		s.reply(c, q, "0", "发起转接技能成功!", nil)
		s.endLeg(l)
		t := &platformLeg{uuid: newID(""), agent: b, channel: "TRANS", queue: true, bridge: l.bridge, callee: b.conf.ExtID}
		if l.bridge != nil {
			t.caller = l.bridge.number
			l.bridge.bridge = t
		}
		s.newLeg(l.call, t)
		s.ring(t, 0)
		return
	case 1, 4:
	default:
		s.reply(c, q, "1", "转接人员类型不支持!", nil)
		return
	}
	target, number, ok := s.xferTarget(c, q, a, ttype == 1, number, "1")
	if !ok {
		return
	}
	if mode == 1 { // blind: the agent's leg is hung up, the new party gets the customer
		s.reply(c, q, "0", "发起盲转成功!", nil)
		l.keep = true
		s.endLeg(l)
		t := &platformLeg{uuid: "trans-" + newID(""), agent: target, number: number, xfer: "TRANS", from: l, bridge: l.bridge}
		if target != nil {
			t.channel, t.callee = "TRANS", target.conf.ExtID
		}
		if l.bridge != nil {
			t.caller = l.bridge.number
			l.bridge.bridge = t
		}
		s.newLeg(l.call, t)
		s.ring(t, s.cfg.Timings.d(s.cfg.Timings.AgentRingMS))
		return
	}
	s.reply(c, q, "0", "发起咨询转成功!", nil)
	s.xferLeg(l, "TRANS", "trans-"+newID(""), target, number)
}

// consult is ConsultClientRequestStrategyImpl.
func (s *platform) consult(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "i:type", "o:consult_type"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	mode, _, _ := q.int("type")
	ctype, ctSet, _ := q.int("consult_type")
	if mode == 2 { // cancel
		var from *platformLeg
		if l := s.legs[q.s("uuid")]; l != nil {
			from = l
		}
		if from != nil {
			for _, o := range from.call.legs {
				if o.from == from && o.xfer == "CONSULT" && o.state != legEnded {
					s.reply(c, q, "0", "取消咨询成功!", nil)
					s.endLeg(o)
					return
				}
			}
		}
		s.refuse(c, q, "4043", "请求失败!") // no consult: a NullPointerException
		return
	}
	if !ctSet {
		s.refuse(c, q, "4043", "请求失败!") // consult_type null: a NullPointerException
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.reply(c, q, "1", why, nil)
		return
	}
	target, number, ok := s.xferTarget(c, q, a, ctype == 0, q.s("consult_number"), "1")
	if !ok {
		return
	}
	if mode != 1 {
		s.reply(c, q, "1", "咨询类型错误!", nil)
		return
	}
	if target == nil && number == "" {
		s.reply(c, q, "1", "咨询号码不可用!", nil)
		return
	}
	id := "consult-" + newID("")
	s.reply(c, q, "0", "发起咨询成功!", obj{"consult_uuid": id})
	s.xferLeg(l, "CONSULT", id, target, number)
}

// consultToTrans is ConsultToTransClientRequestStrategyImpl: the agent
// leaves, the consulted party keeps the customer.
func (s *platform) consultToTrans(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:consult_uuid"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	o := s.legs[q.s("consult_uuid")]
	if o == nil || o.xfer != "CONSULT" || o.from == nil || o.from.state == legEnded {
		s.refuse(c, q, "4043", "请求失败!")
		return
	}
	f := o.from
	s.reply(c, q, "0", "咨询中转接成功!", nil)
	o.bridge = f.bridge
	if o.bridge != nil {
		o.bridge.bridge = o
	}
	o.keep, o.from, o.xfer = false, nil, ""
	f.keep = true
	s.endLeg(f)
}

// threeWay is ThreeWayClientRequestStrategyImpl (its refusals say 4001).
func (s *platform) threeWay(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "i:three_way_type", "s:three_way_number"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.reply(c, q, "4001", why, nil)
		return
	}
	ttype, _, _ := q.int("three_way_type")
	target, number, ok := s.xferTarget(c, q, a, ttype == 0, q.s("three_way_number"), "4001")
	if !ok {
		return
	}
	s.reply(c, q, "0", "发起三方通话成功!", obj{"in_call_numbers": s.inCallNumbers(a)})
	s.xferLeg(l, "THREE_WAY", "three_way-"+newID(""), target, number)
}

// supervisorPair is checkAgentAdmin: the operated ids present, the
// requester FREE or BUSY with its extension online, the target in status
// (and its extension alike); nil after answering the refusal.
func (s *platform) supervisorPair(c *link, q platformRequest, refuse, status string) (sup, t *agent) {
	if code, msg, bad := q.validate("s:operated_ext_id", "s:operated_agent_id"); bad {
		s.refuse(c, q, code, msg)
		return nil, nil
	}
	company := q.s("company_code")
	sup, why := s.checkAvail(company, q.s("agent_id"), "", "ONLINE", "FREE", "BUSY")
	if sup != nil {
		t, why = s.checkAvail(company, q.s("operated_agent_id"), "", status, status)
	}
	if sup == nil || t == nil {
		s.reply(c, q, refuse, why, nil)
		return nil, nil
	}
	return sup, t
}

// supervise is eavesdrop, whisper and force_call: the supervisor's own
// leg is originated to the request's ext_id; no supervisor right is checked.
func (s *platform) supervise(c *link, q platformRequest) {
	kind := strings.ToUpper(q.s("msg_type"))
	refuse := "1"
	if kind == "FORCE_CALL" {
		refuse = "4001"
	}
	sup, t := s.supervisorPair(c, q, refuse, "CALLING")
	if sup == nil {
		return
	}
	tl := t.plat.leg
	if tl == nil || tl.state == legEnded {
		s.reply(c, q, refuse, "状态错误, 未处于通话状态!", nil)
		return
	}
	id := strings.ToLower(kind) + "-" + newID("")
	l := &platformLeg{uuid: id, agent: sup, xfer: kind, from: tl, auto: true, keep: kind != "FORCE_CALL"}
	s.newLeg(tl.call, l)
	extra := obj{"uuid": id}
	msg := map[string]string{"EAVESDROP": "发起监听成功!", "WHISPER": "发起耳语成功!", "FORCE_CALL": "发起强插成功!"}[kind]
	if kind == "FORCE_CALL" {
		extra["in_call_numbers"] = s.inCallNumbers(t)
	}
	s.reply(c, q, "0", msg, extra)
	s.ring(l, 0)
}

// substitute: the supervisor takes over an agent's ringing inbound call.
func (s *platform) substitute(c *link, q platformRequest) {
	sup, t := s.supervisorPair(c, q, "1", "RINGING")
	if sup == nil {
		return
	}
	tl := t.plat.leg
	id := "substitute-" + newID("")
	s.reply(c, q, "0", "代接成功!", obj{"uuid": id})
	l := &platformLeg{uuid: id, agent: sup, channel: "SUBSTITUTE", auto: true, bridge: tl.bridge, caller: tl.caller, callee: sup.conf.ExtID}
	if tl.bridge != nil {
		tl.bridge.bridge = l
	}
	tl.keep = true
	s.endLeg(tl)
	s.newLeg(tl.call, l)
	s.ring(l, 0)
}

// interrupt is InterruptCallRequestStrategyImpl: the target's leg and
// every related leg are hung up.
func (s *platform) interrupt(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:operated_ext_id", "s:operated_agent_id"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	t := s.agentIn(q.s("company_code"), q.s("operated_agent_id"))
	switch {
	case t == nil || !t.plat.hasStatus:
		s.reply(c, q, "400", "坐席: "+q.s("agent_id")+", 未签入!", nil) // (sic: the supervisor's id)
		return
	case t.status != "CALLING" && t.status != "RINGING":
		s.reply(c, q, "1", "坐席未处于振铃中或通话中状态, 强拆失败!", nil)
		return
	}
	l := t.plat.leg
	if l == nil || l.state == legEnded {
		s.reply(c, q, "1", "状态错误, 未处于通话状态!", nil)
		return
	}
	s.reply(c, q, "0", "强拆成功!", nil)
	others := []*platformLeg{}
	for _, o := range l.call.legs {
		if o != l && o.state != legEnded {
			others = append(others, o)
		}
	}
	s.endLeg(l)
	for _, o := range others {
		s.endLeg(o)
	}
}
