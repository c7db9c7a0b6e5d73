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

// platformCall is one call: the legs that are or were bridged together.
type platformCall struct {
	legs         []*platformLeg
	audio, video int
	workOrder    string
	display      string
}

// platformLeg is one party's leg.
type platformLeg struct {
	uuid   string
	call   *platformCall
	agent  *agent // nil: a customer or an outside number
	number string // an outside party's number
	state  string
	// action: CALL or PREVIEW_OUT_CALL on the leg of the agent who dials
	// (its answer dials the customer); PLAY_RECORD on a playback leg.
	action  string
	channel string       // callin channel of an agent leg ("" no callin); CALL or PREVIEW_OUT_CALL on the dialled party's leg
	xfer    string       // CONSULT TRANS THREE_WAY EAVESDROP WHISPER FORCE_CALL
	from    *platformLeg // xfer: the leg it was started from (xferUUID)
	bridge  *platformLeg // the dialled party of an outbound leg, the customer of an inbound one, and back
	before  string       // agent legs: the agent's status when the leg was placed
	caller  string       // callin's caller_number / callee_number
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
func (s *platform) newLeg(cl *platformCall, l *platformLeg) *platformLeg {
	l.call = cl
	l.state = legRinging
	cl.legs = append(cl.legs, l)
	s.legs[l.uuid] = l
	if a := l.agent; a != nil {
		l.before = a.status // the CALLOUT transition: recorded, nothing pushed
		a.plat.leg = l
	}
	s.notifyLocked()
	return l
}

// callback sends a callback (ClientCallbackVO) to the agent: a fresh
// req_id, no uuid, no curren_time, success a boolean. s.mu held.
func (s *platform) callback(a *agent, action, phase string, success bool, msg string, extra obj) {
	if a == nil {
		return
	}
	o := obj{"req_id": fastUUID(), "msg_type": "callback", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.conf.ExtID, "action": action, "success": success, "msg": msg, "os": a.plat.os}
	if phase != "" {
		o["phase"] = phase
	}
	for k, v := range extra {
		o[k] = v
	}
	s.pushTo(a, o)
}

// callin tells the agent its leg rings (ClientCallInVO): req_id = the
// leg's uuid, client_uuid, no is_video, no caller_channel. s.mu held.
func (s *platform) callin(l *platformLeg) {
	a := l.agent
	o := obj{"req_id": l.uuid, "msg_type": "callin", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.conf.ExtID, "uuid": l.uuid, "caller_number": l.caller, "callee_number": l.callee,
		"callin_channel": l.channel, "audio": l.call.audio, "video": l.call.video, "os": a.plat.os}
	if cu := s.clientUUID(l); cu != "" {
		o["client_uuid"] = cu
	}
	s.pushTo(a, o)
}

// clientUUID is the customer's leg in the call of l.
func (s *platform) clientUUID(l *platformLeg) string {
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
func (s *platform) inCallNumbers(a *agent) []string {
	out := []string{}
	l := a.plat.leg
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
func (s *platform) ring(l *platformLeg, answerAfter time.Duration) {
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
					s.endLeg(l)
				}
			})
		default:
			s.afterLocked(answerAfter, func() {
				if l.state == legRinging {
					s.answered(l)
				}
			})
		}
		return
	}
	if l.channel != "" {
		s.callin(l)
	}
	s.setStatus(a, "RINGING", "", pushOptions{reason: strp(l.xfer), uuid: l.uuid})
	if a.isRTC() {
		opts := pbx.InviteOptions{AutoAnswer: l.auto, Audio: l.call.audio, Video: l.call.video, Caller: l.caller}
		if l.xfer == "EAVESDROP" {
			opts.Audio = int(pbx.RecvOnly)
		}
		s.rtcInvite(a, l.uuid, opts,
			func() {
				if l.state == legRinging {
					s.answered(l)
				}
			},
			func(string) {
				if l.state == legRinging {
					s.endLeg(l)
				}
			})
		return
	}
	if l.auto {
		s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.AgentLegAnswerMS), func() {
			if l.state == legRinging {
				s.answered(l)
			}
		})
	}
}

// subFor is the calling sub-status an answered leg gives its agent.
func subFor(l *platformLeg) string {
	switch l.xfer {
	case "WHISPER", "EAVESDROP", "CONSULT", "THREE_WAY", "FORCE_CALL", "TRANS":
		return l.xfer
	}
	if l.action == "PLAY_RECORD" {
		return "PLAY_RECORD"
	}
	return ""
}

// answered is AnswerCallStatusStrategyImpl: the answer callbacks, the
// agent's →CALLING (with in_call_numbers), then the after-answer action
// (dial the customer of an outbound call; the xfer callbacks). s.mu held.
func (s *platform) answered(l *platformLeg) {
	if l.state != legRinging {
		return
	}
	l.state, l.answeredEver = legAnswered, true
	s.notifyLocked()
	switch {
	case l.from != nil:
		switch l.xfer {
		case "TRANS", "CONSULT", "THREE_WAY", "FORCE_CALL":
			s.callback(l.from.agent, l.xfer, "START_CALL", true, "对方已接通!", nil)
		}
	case l.channel == "CALL" || l.channel == "PREVIEW_OUT_CALL":
		if b := l.bridge; b != nil {
			extra := obj{"peer_uuid": l.uuid, "display_number": l.call.display}
			if l.call.workOrder != "" {
				extra["work_order_id"] = l.call.workOrder
			}
			s.callback(b.agent, l.channel, "START_CALL", true, "对方已接通!", extra)
		}
	}
	if a := l.agent; a != nil {
		s.setStatus(a, "CALLING", subFor(l), pushOptions{reason: strp(l.xfer), uuid: l.uuid, inCall: s.inCallNumbers(a)})
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
func (s *platform) dialCustomerLeg(a *platformLeg) {
	cl := a.call
	b := &platformLeg{uuid: "B-" + a.uuid, number: a.number, channel: a.action, bridge: a, caller: a.agent.conf.ExtID}
	if a.inline { // out_line 0: the callee is an agent
		b.agent, b.number = s.agents[a.number], ""
		b.callee = b.agent.conf.ExtID
	}
	a.bridge = b
	s.newLeg(cl, b)
	s.callback(a.agent, a.action, "INITIATE", true, "外呼成功!", nil)
	s.ring(b, s.cfg.Timings.d(s.cfg.Timings.CustomerAnswerMS))
}

// xferDone is XferAfterAnswerActionStrategyImpl's callbacks once an xfer leg
// answered, and what the xfer does to the call. s.mu held.
func (s *platform) xferDone(l *platformLeg) {
	desc := xferDesc[l.xfer]
	switch l.xfer {
	case "EAVESDROP", "WHISPER", "FORCE_CALL":
		s.callback(l.agent, l.xfer, "INITIATE", true, desc+"成功!", nil)
		s.callback(l.from.agent, l.xfer, "INITIATE", true, "正在被"+desc+"!", nil)
		return
	}
	s.callback(l.from.agent, l.xfer, "INITIATE", true, desc+"成功!", nil)
	if l.agent != nil {
		s.callback(l.agent, l.xfer, "INITIATE", true, "正在被"+desc+"!", nil)
	}
	if l.xfer == "TRANS" {
		// The customer is handed to the new party; the agent who
		// transferred leaves.
		l.bridge = l.from.bridge
		if l.bridge != nil {
			l.bridge.bridge = l
		}
		l.from.keep = true
		s.endLeg(l.from)
	}
}

// endLeg is HangupCallStatusStrategyImpl for one leg: the hang-up callback of
// xfer legs, the agent's status after the call, and the other legs it
// takes down. s.mu held.
func (s *platform) endLeg(l *platformLeg) {
	if l.state == legEnded {
		return
	}
	answered := l.state == legAnswered
	l.state = legEnded
	delete(s.legs, l.uuid)
	if len(s.ended) >= maxEnded {
		clear(s.ended) // a bound for load runs: old uuids become unknown (4000)
	}
	s.ended[l.uuid] = true
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
			s.callback(f.agent, l.xfer, "END_CALL", true, msg, nil)
		}
	}
	others := s.hangupTargets(l, answered)
	if a := l.agent; a != nil {
		if a.plat.leg == l {
			a.plat.leg = nil
		}
		if !l.offline {
			s.hangupStatus(l, answered)
		}
	}
	for _, o := range others {
		if o.agent != nil && o.state == legRinging && l.agent == nil {
			o.customerFirst = true
		}
		s.endLeg(o)
	}
}

// hangupTargets is checkHangupOther: which other legs end with l.
func (s *platform) hangupTargets(l *platformLeg, answered bool) []*platformLeg {
	alive := []*platformLeg{}
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
func (s *platform) consulting(a *platformLeg) bool {
	for _, o := range a.call.legs {
		if o.from == a && o.xfer == "CONSULT" && o.state != legEnded {
			return true
		}
	}
	return false
}

// hangupStatus is SdkInterfaceRemoteServiceImpl.agentHangupStatus: the
// agent's status once its leg ended. s.mu held.
func (s *platform) hangupStatus(l *platformLeg, answered bool) {
	a := l.agent
	before := l.before
	if before == "" {
		before = "BUSY"
	}
	if act := a.plat.afterAction; act != "" {
		a.plat.afterAction = ""
		s.setStatus(a, afterCallActions[act][0], "", pushOptions{})
		return
	}
	outFail := (l.action == "CALL" || l.action == "PREVIEW_OUT_CALL") && answered && (l.bridge == nil || !l.bridge.answeredEver)
	switch {
	case outFail:
		s.setStatus(a, before, "", pushOptions{})
	case !answered:
		if l.queue && a.plat.autoShowBusy && !l.customerFirst {
			s.setStatus(a, "BUSY", "", pushOptions{})
		} else {
			s.setStatus(a, before, "", pushOptions{})
		}
	case a.plat.postProcess:
		s.setStatus(a, "ARRANGE", "", pushOptions{})
		next := before
		switch before {
		case "RINGING":
			next = "BUSY"
		case "ARRANGE":
			next = "FREE"
		}
		s.scheduleArrangeEnd(a, next)
	default:
		s.setStatus(a, before, "", pushOptions{})
	}
}

// checkAvail is call-control's checkAgentAvailable: the first failure's
// message, or the agent. extID "" means the bound one. s.mu held.
func (s *platform) checkAvail(company, agentID, extID, extWant string, statuses ...string) (*agent, string) {
	if s.company(company) == nil {
		return nil, "未找到企业配置: " + company + "!"
	}
	a := s.agentIn(company, agentID)
	if a == nil || !a.plat.hasStatus {
		return nil, "坐席: " + agentID + ", 未签入!"
	}
	if !slices.Contains(statuses, a.status) {
		descs := make([]string, len(statuses))
		for i, st := range statuses {
			descs[i] = agentStatusDesc[st]
		}
		return nil, "坐席: " + agentID + ", 非" + strings.Join(descs, "、") + "状态!"
	}
	if a.plat.disabled {
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
	if a.plat.unbound {
		return nil, "坐席: " + agentID + ", 未绑定分机!"
	}
	if extID != a.conf.ExtID {
		return nil, "分机: " + extID + " 与坐席绑定的分机不一致!"
	}
	return a, ""
}

func (s *platform) agentByExt(co *Company, ext string) *agent {
	for _, ac := range co.Agents {
		if ac.ExtID == ext || (ac.ExtID == "" && ac.AgentID == ext) {
			return s.agents[ac.AgentID]
		}
	}
	return nil
}

// pickFree is the queue: the first FREE agent of the company with
// the skill ("" any) whose extension is online.
func (s *platform) pickFree(co *Company, skill string, except *agent) *agent {
	for _, ac := range co.Agents {
		b := s.agents[ac.AgentID]
		if b == nil || b == except || !b.plat.hasStatus || b.status != "FREE" || s.extStatus(b) != "ONLINE" {
			continue
		}
		if skill == "" || slices.Contains(ac.Skills, skill) {
			return b
		}
	}
	return nil
}

// ---- admin: customers ----

// customerHangup: the customer's leg the uuid names (or the party an
// agent's leg dialled) hangs up.
func (s *platform) customerHangup(uuid string) error {
	l := s.customerLeg(uuid)
	if l == nil {
		return ErrNoCall
	}
	s.endLeg(l)
	return nil
}

// customerAnswer: the ringing customer leg the uuid names answers.
func (s *platform) customerAnswer(uuid string) error {
	l := s.customerLeg(uuid)
	if l == nil || l.agent != nil || l.state != legRinging {
		return ErrNoCall
	}
	s.answered(l)
	return nil
}

// mediaHungUp: the agent hung up its media leg, as the leg's hangup event.
func (s *platform) mediaHungUp(leg *mediaLeg) {
	if l := s.legs[leg.uuid]; l != nil && l.agent == leg.agent {
		s.endLeg(l)
	}
}

// inbound routes a customer's call to a FREE agent whose extension is
// online (the given one, or the first of the company with the skill) and
// rings its leg: callin (CALL_IN unless given), →RINGING. s.mu held.
func (s *platform) inbound(in InboundCall) (string, string, error) {
	co := s.company(in.CompanyCode)
	var a *agent
	switch {
	case in.AgentID != "":
		a = s.agents[in.AgentID]
		if a != nil && a.isRTC() && a.plat.hasStatus && a.status == "FREE" && !s.extRegistered(a) {
			return "", "", ErrNotRegistered
		}
		if a == nil || !a.plat.hasStatus || a.status != "FREE" || s.extStatus(a) != "ONLINE" {
			return "", "", ErrNoFreeAgent
		}
	case co != nil:
		a = s.pickFree(co, in.SkillID, nil)
	}
	if a == nil {
		return "", "", ErrNoFreeAgent
	}
	audio, video := in.media()
	channel := in.Channel
	if channel == "" {
		channel = "CALL_IN"
	}
	cl := &platformCall{audio: audio, video: video, workOrder: in.WorkOrderID, display: in.CalleeNumber}
	cu := s.newLeg(cl, &platformLeg{uuid: fastUUID(), number: in.CallerNumber})
	cu.state, cu.answeredEver = legAnswered, true // the IVR answered it
	l := &platformLeg{uuid: newID(""), agent: a, channel: channel, queue: true, bridge: cu, caller: in.CallerNumber, callee: in.CalleeNumber}
	cu.bridge = l
	s.newLeg(cl, l)
	s.ring(l, 0)
	return l.uuid, a.conf.AgentID, nil
}

// customerLeg is the customer's leg a uuid names: the leg itself, or the
// dialled/bridged party of an agent's leg.
func (s *platform) customerLeg(id string) *platformLeg {
	l := s.legs[id]
	if l == nil {
		return nil
	}
	if l.agent != nil && l.bridge != nil && l.bridge.agent == nil {
		return l.bridge
	}
	return l
}
