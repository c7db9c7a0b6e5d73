package sim

import (
	"slices"
	"strings"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The platform dialect's calls, as the real server's CC module
// (com.cqt.call) drives them: every party is a leg with its own uuid; the
// FreeSWITCH events (ring, answer, hangup) of a leg cause the status pushes,
// callin and callbacks; an agent's status after a hang-up follows its
// configuration. See docs/ccsim.md for what is simplified.

// maxEnded bounds the ended uuids kept for "当前通话已挂断!".
const maxEnded = 100000

const (
	legRinging  = "ringing"
	legAnswered = "answered"
	legEnded    = "ended"
)

// pcall is one call: the legs that are or were bridged together.
type pcall struct {
	legs         []*pleg
	audio, video int
	workOrder    string
	display      string
}

// pleg is one party's leg.
type pleg struct {
	uuid   string
	call   *pcall
	agent  *agent // nil: a customer or an outside number
	number string // an outside party's number
	state  string
	// action: CALL or PREVIEW_OUT_CALL on the leg of the agent who dials
	// (its answer dials the customer); PLAY_RECORD on a playback leg.
	action  string
	channel string // callin channel of an agent leg ("" no callin); CALL or PREVIEW_OUT_CALL on the dialled party's leg
	xfer    string // CONSULT TRANS THREE_WAY EAVESDROP WHISPER FORCE_CALL
	from    *pleg  // xfer: the leg it was started from (xferUUID)
	bridge  *pleg  // the dialled party of an outbound leg, the customer of an inbound one, and back
	before  string // agent legs: the agent's status when the leg was placed
	caller  string // callin's caller_number / callee_number
	callee  string
	queue   bool // routed from a queue: auto_show_busy applies
	keep    bool // its end ends only itself (hangupAll false)
	offline bool // check-out hung it up: no status change for the agent
	auto    bool // an originated agent leg the phone answers by itself
	inline  bool // out_line 0: the dialled party is the agent named by number
	// customerFirst: the customer left while this agent leg rang.
	customerFirst bool
	answeredEver  bool
}

var xferDesc = map[string]string{"CONSULT": "咨询", "TRANS": "转接", "THREE_WAY": "三方通话",
	"FORCE_CALL": "强插三方通话", "WHISPER": "耳语", "EAVESDROP": "监听"}

var agentStatusDesc = map[string]string{"OFFLINE": "离线", "FREE": "空闲", "BUSY": "忙碌", "REST": "小休",
	"RINGING": "振铃", "CALLING": "通话中", "ARRANGE": "事后处理"}

var extStatusDesc = map[string]string{"OFFLINE": "离线", "ONLINE": "在线", "RINGING": "振铃中", "CALLING": "通话中"}

// newLeg registers a leg in call cl. s.mu held.
func (s *Server) newLeg(cl *pcall, l *pleg) *pleg {
	l.call = cl
	l.state = legRinging
	cl.legs = append(cl.legs, l)
	s.plat.legs[l.uuid] = l
	if a := l.agent; a != nil {
		l.before = a.status // the CALLOUT transition: recorded, nothing pushed
		a.p.leg = l
	}
	s.notifyLocked()
	return l
}

// pCallback sends a callback (ClientCallbackVO) to the agent: a fresh
// req_id, no uuid, no curren_time, success a boolean. s.mu held.
func (s *Server) pCallback(a *agent, action, phase string, success bool, msg string, extra obj) {
	if a == nil {
		return
	}
	o := obj{"req_id": fastUUID(), "msg_type": "callback", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.conf.ExtID, "action": action, "success": success, "msg": msg, "os": a.p.os}
	if phase != "" {
		o["phase"] = phase
	}
	for k, v := range extra {
		o[k] = v
	}
	s.pushTo(a, o)
}

// pCallin tells the agent its leg rings (ClientCallInVO): req_id = the
// leg's uuid, client_uuid, no is_video, no caller_channel. s.mu held.
func (s *Server) pCallin(l *pleg) {
	a := l.agent
	o := obj{"req_id": l.uuid, "msg_type": "callin", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.conf.ExtID, "uuid": l.uuid, "caller_number": l.caller, "callee_number": l.callee,
		"callin_channel": l.channel, "audio": l.call.audio, "video": l.call.video, "os": a.p.os}
	if cu := s.clientUUID(l); cu != "" {
		o["client_uuid"] = cu
	}
	s.pushTo(a, o)
}

// clientUUID is the customer's leg in the call of l.
func (s *Server) clientUUID(l *pleg) string {
	if b := l.bridge; b != nil && b.agent == nil {
		return b.uuid
	}
	for _, o := range l.call.legs {
		if o.agent == nil && o.xfer == "" {
			return o.uuid
		}
	}
	return ""
}

// inCallNumbers are the numbers talking with the agent now.
func (s *Server) inCallNumbers(a *agent) []string {
	out := []string{}
	l := a.p.leg
	if l == nil || l.state == legEnded {
		return out
	}
	for _, o := range l.call.legs {
		if o == l || o.state != legAnswered {
			continue
		}
		if o.agent != nil {
			out = append(out, o.agent.conf.ExtID)
		} else {
			out = append(out, o.number)
		}
	}
	return out
}

// ring places a leg: an agent leg gets its callin (if it has a channel) and
// →RINGING, then its phone rings (RTC: the PBX's INVITE); an outside leg
// rings and answers by the number lists. s.mu held.
func (s *Server) ring(l *pleg, answerAfter time.Duration) {
	a := l.agent
	if a == nil {
		switch {
		case s.numberIn(s.cfg.ManualAnswerNumbers, l.number):
		case s.numberIn(s.cfg.NoAnswerNumbers, l.number):
			ring := s.cfg.Timings.MaxRingMS
			if ring < 0 {
				ring = 60000
			}
			s.afterLocked(time.Duration(ring)*time.Millisecond, func() {
				if l.state == legRinging {
					s.pEnd(l)
				}
			})
		default:
			s.afterLocked(answerAfter, func() {
				if l.state == legRinging {
					s.pAnswered(l)
				}
			})
		}
		return
	}
	if l.channel != "" {
		s.pCallin(l)
	}
	s.pStatus(a, "RINGING", "", pushOpt{reason: strp(l.xfer), uuid: l.uuid})
	if a.isRTC() {
		opts := pbx.InviteOptions{AutoAnswer: l.auto, Audio: l.call.audio, Video: l.call.video, Caller: l.caller}
		if l.xfer == "EAVESDROP" {
			opts.Audio = int(pbx.RecvOnly)
		}
		s.rtcInvite(a, l.uuid, opts,
			func() {
				if l.state == legRinging {
					s.pAnswered(l)
				}
			},
			func(string) {
				if l.state == legRinging {
					s.pEnd(l)
				}
			})
		return
	}
	if l.auto {
		s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.AgentLegAnswerMS), func() {
			if l.state == legRinging {
				s.pAnswered(l)
			}
		})
	}
}

// subFor is the calling sub-status an answered leg gives its agent.
func subFor(l *pleg) string {
	switch l.xfer {
	case "WHISPER", "EAVESDROP", "CONSULT", "THREE_WAY", "FORCE_CALL", "TRANS":
		return l.xfer
	}
	if l.action == "PLAY_RECORD" {
		return "PLAY_RECORD"
	}
	return ""
}

// pAnswered is AnswerCallStatusStrategyImpl: the answer callbacks, the
// agent's →CALLING (with in_call_numbers), then the after-answer action
// (dial the customer of an outbound call; the xfer callbacks). s.mu held.
func (s *Server) pAnswered(l *pleg) {
	if l.state != legRinging {
		return
	}
	l.state, l.answeredEver = legAnswered, true
	s.notifyLocked()
	switch {
	case l.from != nil:
		switch l.xfer {
		case "TRANS", "CONSULT", "THREE_WAY", "FORCE_CALL":
			s.pCallback(l.from.agent, l.xfer, "START_CALL", true, "对方已接通!", nil)
		}
	case l.channel == "CALL" || l.channel == "PREVIEW_OUT_CALL":
		if b := l.bridge; b != nil {
			extra := obj{"peer_uuid": l.uuid, "display_number": l.call.display}
			if l.call.workOrder != "" {
				extra["work_order_id"] = l.call.workOrder
			}
			s.pCallback(b.agent, l.channel, "START_CALL", true, "对方已接通!", extra)
		}
	}
	if a := l.agent; a != nil {
		s.pStatus(a, "CALLING", subFor(l), pushOpt{reason: strp(l.xfer), uuid: l.uuid, inCall: s.inCallNumbers(a)})
	}
	switch {
	case l.action == "CALL" || l.action == "PREVIEW_OUT_CALL":
		s.dialCustomerLeg(l)
	case l.xfer != "":
		s.xferDone(l)
	}
}

// dialCustomerLeg is the call-bridge after the dialling agent's leg
// answered: the dialled party's leg "B-"+uuid, then callback INITIATE.
func (s *Server) dialCustomerLeg(a *pleg) {
	cl := a.call
	b := &pleg{uuid: "B-" + a.uuid, number: a.number, channel: a.action, bridge: a, caller: a.agent.conf.ExtID}
	if a.inline { // out_line 0: the callee is an agent
		b.agent, b.number = s.agents[a.number], ""
		b.callee = b.agent.conf.ExtID
	}
	a.bridge = b
	s.newLeg(cl, b)
	s.pCallback(a.agent, a.action, "INITIATE", true, "外呼成功!", nil)
	s.ring(b, s.cfg.Timings.d(s.cfg.Timings.CustomerAnswerMS))
}

// xferDone is XferAfterAnswerActionStrategyImpl's callbacks once an xfer leg
// answered, and what the xfer does to the call. s.mu held.
func (s *Server) xferDone(l *pleg) {
	desc := xferDesc[l.xfer]
	switch l.xfer {
	case "EAVESDROP", "WHISPER", "FORCE_CALL":
		s.pCallback(l.agent, l.xfer, "INITIATE", true, desc+"成功!", nil)
		s.pCallback(l.from.agent, l.xfer, "INITIATE", true, "正在被"+desc+"!", nil)
		return
	}
	s.pCallback(l.from.agent, l.xfer, "INITIATE", true, desc+"成功!", nil)
	if l.agent != nil {
		s.pCallback(l.agent, l.xfer, "INITIATE", true, "正在被"+desc+"!", nil)
	}
	if l.xfer == "TRANS" {
		// The customer is handed to the new party; the agent who
		// transferred leaves.
		l.bridge = l.from.bridge
		if l.bridge != nil {
			l.bridge.bridge = l
		}
		l.from.keep = true
		s.pEnd(l.from)
	}
}

// pEnd is HangupCallStatusStrategyImpl for one leg: the hang-up callback of
// xfer legs, the agent's status after the call, and the other legs it
// takes down. s.mu held.
func (s *Server) pEnd(l *pleg) {
	if l.state == legEnded {
		return
	}
	answered := l.state == legAnswered
	l.state = legEnded
	delete(s.plat.legs, l.uuid)
	if len(s.plat.ended) >= maxEnded {
		clear(s.plat.ended) // a bound for load runs: old uuids become unknown (4000)
	}
	s.plat.ended[l.uuid] = true
	s.notifyLocked()
	if a := l.agent; a != nil && a.rtc != nil && a.rtc.uuid == l.uuid {
		s.rtcDrop(a)
	}
	if f := l.from; f != nil {
		msg := "对方已挂断!"
		if !answered {
			msg = "对方未接通!"
		}
		if !(l.xfer == "TRANS" && f.state == legEnded) {
			s.pCallback(f.agent, l.xfer, "END_CALL", true, msg, nil)
		}
	}
	others := s.hangupTargets(l, answered)
	if a := l.agent; a != nil {
		if a.p.leg == l {
			a.p.leg = nil
		}
		if !l.offline {
			s.hangupStatus(l, answered)
		}
	}
	for _, o := range others {
		if o.agent != nil && o.state == legRinging && l.agent == nil {
			o.customerFirst = true
		}
		s.pEnd(o)
	}
}

// hangupTargets is checkHangupOther: which other legs end with l.
func (s *Server) hangupTargets(l *pleg, answered bool) []*pleg {
	alive := []*pleg{}
	for _, o := range l.call.legs {
		if o != l && o.state != legEnded {
			alive = append(alive, o)
		}
	}
	switch {
	case l.keep:
		return nil
	case l.xfer == "CONSULT":
		if answered && len(alive) == 1 {
			return alive
		}
		return nil
	case (l.xfer == "TRANS" || l.xfer == "THREE_WAY") && !answered:
		return nil
	case l.xfer == "EAVESDROP" || l.xfer == "WHISPER":
		return nil
	case l.agent == nil && l.bridge != nil && s.consulting(l.bridge):
		return nil // the customer leaves a consulting agent with the consulted party
	case (l.xfer == "THREE_WAY" || l.xfer == "FORCE_CALL") && len(alive) >= 2:
		return nil
	}
	return alive
}

// consulting: an agent leg has a live consult leg started from it.
func (s *Server) consulting(a *pleg) bool {
	for _, o := range a.call.legs {
		if o.from == a && o.xfer == "CONSULT" && o.state != legEnded {
			return true
		}
	}
	return false
}

// hangupStatus is SdkInterfaceRemoteServiceImpl.agentHangupStatus: the
// agent's status once its leg ended. s.mu held.
func (s *Server) hangupStatus(l *pleg, answered bool) {
	a := l.agent
	before := l.before
	if before == "" {
		before = "BUSY"
	}
	if act := a.p.afterAction; act != "" {
		a.p.afterAction = ""
		s.pStatus(a, afterCallActions[act][0], "", pushOpt{})
		return
	}
	outFail := (l.action == "CALL" || l.action == "PREVIEW_OUT_CALL") && answered && (l.bridge == nil || !l.bridge.answeredEver)
	switch {
	case outFail:
		s.pStatus(a, before, "", pushOpt{})
	case !answered:
		if l.queue && a.p.autoShowBusy && !l.customerFirst {
			s.pStatus(a, "BUSY", "", pushOpt{})
		} else {
			s.pStatus(a, before, "", pushOpt{})
		}
	case a.p.postProcess:
		s.pStatus(a, "ARRANGE", "", pushOpt{})
		next := before
		switch before {
		case "RINGING":
			next = "BUSY"
		case "ARRANGE":
			next = "FREE"
		}
		s.scheduleArrangeEnd(a, next)
	default:
		s.pStatus(a, before, "", pushOpt{})
	}
}

// checkAvail is call-control's checkAgentAvailable: the first failure's
// message, or the agent. extID "" means the bound one. s.mu held.
func (s *Server) checkAvail(company, agentID, extID, extWant string, statuses ...string) (*agent, string) {
	if s.company(company) == nil {
		return nil, "未找到企业配置: " + company + "!"
	}
	a := s.pAgent(company, agentID)
	if a == nil || !a.p.hasStatus {
		return nil, "坐席: " + agentID + ", 未签入!"
	}
	if !slices.Contains(statuses, a.status) {
		descs := make([]string, len(statuses))
		for i, st := range statuses {
			descs[i] = agentStatusDesc[st]
		}
		return nil, "坐席: " + agentID + ", 非" + strings.Join(descs, "、") + "状态!"
	}
	if a.p.disabled {
		return nil, "坐席: " + agentID + ", 被禁用!"
	}
	if extID == "" {
		extID = a.conf.ExtID
	}
	es := ""
	if b := s.agentByExt(a.company, extID); b != nil {
		es = s.extStatus(b)
	}
	if es == "" {
		return nil, "分机: " + extID + ", 未注册!"
	}
	if es != extWant {
		return nil, "分机: " + extID + ", 非" + extStatusDesc[extWant] + "状态!"
	}
	if a.p.unbound {
		return nil, "坐席: " + agentID + ", 未绑定分机!"
	}
	if extID != a.conf.ExtID {
		return nil, "分机: " + extID + " 与坐席绑定的分机不一致!"
	}
	return a, ""
}

func (s *Server) agentByExt(co *Company, ext string) *agent {
	for _, ac := range co.Agents {
		if ac.ExtID == ext || (ac.ExtID == "" && ac.AgentID == ext) {
			return s.agents[ac.AgentID]
		}
	}
	return nil
}

// pickFreePlatform is the queue: the first FREE agent of the company with
// the skill ("" any) whose extension is online.
func (s *Server) pickFreePlatform(co *Company, skill string, except *agent) *agent {
	for _, ac := range co.Agents {
		b := s.agents[ac.AgentID]
		if b == nil || b == except || !b.p.hasStatus || b.status != "FREE" || s.extStatus(b) != "ONLINE" {
			continue
		}
		if skill == "" || slices.Contains(ac.Skills, skill) {
			return b
		}
	}
	return nil
}

// ---- admin: customers ----

// pInbound routes a customer's call to a FREE agent whose extension is
// online (the given one, or the first of the company with the skill) and
// rings its leg: callin (CALL_IN unless given), →RINGING. s.mu held.
func (s *Server) pInbound(in InboundCall) (string, string, error) {
	co := s.company(in.CompanyCode)
	var a *agent
	switch {
	case in.AgentID != "":
		a = s.agents[in.AgentID]
		if a != nil && a.isRTC() && a.p.hasStatus && a.status == "FREE" && !s.extRegistered(a) {
			return "", "", ErrNotRegistered
		}
		if a == nil || !a.p.hasStatus || a.status != "FREE" || s.extStatus(a) != "ONLINE" {
			return "", "", ErrNoFreeAgent
		}
	case co != nil:
		a = s.pickFreePlatform(co, in.SkillID, nil)
	}
	if a == nil {
		return "", "", ErrNoFreeAgent
	}
	audio, video := in.media()
	channel := in.Channel
	if channel == "" {
		channel = "CALL_IN"
	}
	cl := &pcall{audio: audio, video: video, workOrder: in.WorkOrderID, display: in.CalleeNumber}
	cu := s.newLeg(cl, &pleg{uuid: fastUUID(), number: in.CallerNumber})
	cu.state, cu.answeredEver = legAnswered, true // the IVR answered it
	l := &pleg{uuid: newID(""), agent: a, channel: channel, queue: true, bridge: cu, caller: in.CallerNumber, callee: in.CalleeNumber}
	cu.bridge = l
	s.newLeg(cl, l)
	s.ring(l, 0)
	return l.uuid, a.conf.AgentID, nil
}

// pCustomerLeg is the customer's leg a uuid names: the leg itself, or the
// dialled/bridged party of an agent's leg.
func (s *Server) pCustomerLeg(id string) *pleg {
	l := s.plat.legs[id]
	if l == nil {
		return nil
	}
	if l.agent != nil && l.bridge != nil && l.bridge.agent == nil {
		return l.bridge
	}
	return l
}
