package sim

import (
	"context"
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

// ccReply is a call-control reply (ClientResponseBaseVO.response): the
// request's req_id, company_code and msg_type, code, msg, reply true.
func (s *Server) ccReply(c *conn, q preq, code, msg string, extra obj) {
	s.siReply(c, q, code, msg, extra)
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

func (s *Server) ccRequest(c *conn, q preq) {
	switch mt := q.s("msg_type"); mt {
	case "call", "preview_out_call":
		s.ccCall(c, q)
	case "answer":
		s.ccAnswer(c, q)
	case "hangup":
		s.ccHangup(c, q)
	case "hold":
		s.ccHold(c, q)
	case "dtmf":
		s.ccDtmf(c, q)
	case "change_media":
		s.ccChangeMedia(c, q)
	case "play_record":
		s.ccPlayRecord(c, q)
	case "play_record_control":
		s.ccPlayRecordControl(c, q)
	case "trans":
		s.ccTrans(c, q)
	case "consult":
		s.ccConsult(c, q)
	case "consult_to_trans":
		s.ccConsultToTrans(c, q)
	case "three_way":
		s.ccThreeWay(c, q)
	case "eavesdrop", "whisper", "force_call":
		s.ccSupervise(c, q)
	case "substitute":
		s.ccSubstitute(c, q)
	case "interrupt_call":
		s.ccInterrupt(c, q)
	default: // mute, pickup, callin: routed to call-control, which has no handler
		s.ccReply(c, q, "4014", "msg_type非法", nil)
	}
}

// ccCall is CallClientRequestStrategyImpl (and the preview variant).
func (s *Server) ccCall(c *conn, q preq) {
	preview := q.s("msg_type") == "preview_out_call"
	specs := []string{"i:out_line", "i:audio", "i:video", "s:callee_number", "o:max_ring_time", "o:max_call_time"}
	number := q.s("callee_number")
	if preview {
		specs = []string{"s:task_id", "s:number_id", "s:client_number", "i:audio", "i:video"}
		number = q.s("client_number")
	}
	if code, msg, bad := q.validate(specs...); bad {
		s.bare(c, q, code, msg)
		return
	}
	company, agentID := q.s("company_code"), q.s("agent_id")
	a, why := s.checkAvail(company, agentID, q.s("ext_id"), "ONLINE", "FREE", "BUSY", "REST", "ARRANGE")
	if a == nil {
		s.ccReply(c, q, "1", why, nil)
		return
	}
	outLine, _, _ := q.int("out_line")
	inline := !preview && outLine == 0
	if inline {
		if _, why := s.checkAvail(company, number, "", "ONLINE", "FREE"); why != "" {
			s.ccReply(c, q, "1", why, nil)
			return
		}
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	cl := &pcall{audio: audio, video: video, workOrder: q.s("work_order_id"), display: "4008001000"}
	action, id, msg := "CALL", "call-"+newID(""), "发起外呼成功!"
	if preview {
		action, id, msg = "PREVIEW_OUT_CALL", "preview-"+newID(""), "发起预览外呼成功!"
	}
	l := &pleg{uuid: id, agent: a, action: action, number: number, auto: true, inline: inline}
	a.p.arrangeGen++ // cancelArrangeTask
	s.newLeg(cl, l)
	s.ccReply(c, q, "0", msg, obj{"uuid": id})
	s.ring(l, 0)
}

// ccAnswer is AnswerClientRequestStrategyImpl: the base API answers the
// ringing leg; its answer event moves the agent →CALLING after the reply.
func (s *Server) ccAnswer(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "i:audio", "i:video"); bad {
		s.bare(c, q, code, msg)
		return
	}
	l := s.plat.legs[q.s("uuid")]
	if l == nil || l.agent == nil || l.state != legRinging {
		s.ccReply(c, q, "1", "接听失败!", nil)
		return
	}
	a := l.agent
	if leg := a.rtc; leg != nil && leg.uuid == l.uuid && !leg.auto && leg.state == "inviting" {
		// An RTC phone answers by SIP: the base API's answer waits for it.
		p := &pendingAnswer{ok: func() { s.ccReply(c, q, "0", "接听成功!", nil) },
			fail: func() { s.ccReply(c, q, "1", "接听失败!", nil) }}
		leg.pending = append(leg.pending, p)
		s.notifyLocked()
		s.afterLocked(s.rtcAnswerWait(), func() {
			if i := slices.Index(leg.pending, p); i >= 0 {
				leg.pending = slices.Delete(leg.pending, i, i+1)
				p.fail()
			}
		})
		return
	}
	s.ccReply(c, q, "0", "接听成功!", nil)
	s.pAnswered(l)
}

// ccHangup is HangupClientRequestStrategyImpl: any uuid the platform knows.
func (s *Server) ccHangup(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid"); bad {
		s.bare(c, q, code, msg)
		return
	}
	id := q.s("uuid")
	l := s.plat.legs[id]
	switch {
	case l != nil:
		s.ccReply(c, q, "0", "挂断成功!", nil)
		s.pEnd(l)
	case s.plat.ended[id]:
		s.ccReply(c, q, "0", "当前通话已挂断!", nil)
	default:
		s.ccReply(c, q, "4000", "uuid不存在!", nil)
	}
}

// hutoolTrue is hutool BooleanUtil.toBoolean.
func hutoolTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "y", "t", "ok", "1", "on", "是", "对", "真", "對", "√":
		return true
	}
	return false
}

// ccHold is HoldClientRequestStrategyImpl: the push (for the requesting
// agent) goes out before the reply.
func (s *Server) ccHold(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "s:hold"); bad {
		s.bare(c, q, code, msg)
		return
	}
	on := hutoolTrue(q.s("hold"))
	okMsg, failMsg, sub := "保持成功!", "保持失败!", "HOLD"
	if !on {
		okMsg, failMsg, sub = "取消保持成功!", "取消保持失败!", ""
	}
	l := s.plat.legs[q.s("uuid")]
	a := s.pAgent(q.s("company_code"), q.s("agent_id"))
	if l == nil || a == nil {
		s.ccReply(c, q, "1", failMsg, obj{"hold": q.s("hold")})
		return
	}
	s.pStatus(a, "CALLING", sub, pushOpt{uuid: l.uuid})
	s.ccReply(c, q, "0", okMsg, obj{"hold": q.s("hold")})
	if l.agent != nil {
		s.rtcOp(l.agent, "hold", func(ctx context.Context, uuid string) error { return s.pbx.Hold(ctx, uuid, on) })
	}
}

// ccDtmf is DtmfClientRequestStrategyImpl: the digits go to the other
// party's leg; the reply carries reply:false.
func (s *Server) ccDtmf(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "s:content", "o:dtmf_type"); bad {
		s.bare(c, q, code, msg)
		return
	}
	id := q.s("uuid")
	l := s.plat.legs[id]
	switch {
	case l == nil && !s.plat.ended[id]:
		s.bare(c, q, "4043", "请求失败!") // no call context: a NullPointerException
	case l == nil:
		s.ccReply(c, q, "1", "二次拨号失败!", obj{"reply": false})
	default:
		if a := s.pAgent(q.s("company_code"), q.s("agent_id")); a != nil {
			a.dtmf += q.s("content")
			s.notifyLocked()
		}
		s.ccReply(c, q, "0", "二次拨号成功!", obj{"reply": false})
	}
}

// ccChangeMedia is ChangeMediaRequestStrategyImpl and the media-toggle
// callback to the agent who asked.
func (s *Server) ccChangeMedia(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "i:audio", "i:video"); bad {
		s.bare(c, q, code, msg)
		return
	}
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "CALLING", "CALLING")
	if a == nil {
		s.ccReply(c, q, "1", why, nil)
		return
	}
	l := s.plat.legs[q.s("uuid")]
	if l == nil {
		s.bare(c, q, "4043", "请求失败!")
		return
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	last := obj{"last_audio": l.call.audio, "last_video": l.call.video}
	l.call.audio, l.call.video = audio, video
	s.ccReply(c, q, "0", "发起音视频切换成功!", obj{"uuid": l.uuid, "audio": audio, "video": video})
	cb := obj{"audio": audio, "video": video, "change_media_flag": 0}
	for k, v := range last {
		cb[k] = v
	}
	s.pCallback(a, "CHANGE_MEDIA", "", true, "坐席发起音视频切换请求", cb)
	if l.agent != nil {
		s.rtcOp(l.agent, "change_media", func(ctx context.Context, uuid string) error {
			return s.pbx.ChangeMedia(ctx, uuid, audio, video)
		})
	}
}

// ccPlayRecord is PlayRecordRequestStrategyImpl: into a call, or a
// playback leg originated to the agent.
func (s *Server) ccPlayRecord(c *conn, q preq) {
	if code, msg, bad := q.validate("s:file_path", "i:audio", "i:video"); bad {
		s.bare(c, q, code, msg)
		return
	}
	if id := q.s("uuid"); id != "" {
		if s.plat.legs[id] == nil {
			s.ccReply(c, q, "1", "录音播放失败!", nil)
			return
		}
		if a := s.pAgent(q.s("company_code"), q.s("agent_id")); a != nil {
			a.playing = id
			s.notifyLocked()
		}
		s.ccReply(c, q, "0", "录音播放成功!", obj{"uuid": id})
		return
	}
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "ONLINE", "FREE", "BUSY", "REST", "ARRANGE", "CALLING")
	if a == nil {
		s.ccReply(c, q, "1", why, nil)
		return
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	id := "play_record-" + newID("")
	l := &pleg{uuid: id, agent: a, action: "PLAY_RECORD", auto: true}
	a.p.arrangeGen++
	a.playing = id
	s.newLeg(&pcall{audio: audio, video: video}, l)
	s.ccReply(c, q, "0", "发起外呼成功, 等待坐席接通!", obj{"uuid": id})
	s.ring(l, 0)
}

// ccPlayRecordControl is PlayRecordControlRequestStrategyImpl; "stop" ends
// a playback leg.
func (s *Server) ccPlayRecordControl(c *conn, q preq) {
	if code, msg, bad := q.validate("s:action", "o:speed_value", "o:volume_value", "o:seek_value"); bad {
		s.bare(c, q, code, msg)
		return
	}
	s.ccReply(c, q, "0", "放音控制成功!", nil)
	if strings.EqualFold(q.s("action"), "stop") {
		if a := s.pAgent(q.s("company_code"), q.s("agent_id")); a != nil {
			a.playing = ""
			s.notifyLocked()
		}
		if l := s.plat.legs[q.s("uuid")]; l != nil && l.action == "PLAY_RECORD" {
			s.pEnd(l)
		}
	}
}

// callingLeg is the agent's answered leg a request names (its uuid), with
// call-control's CALLING check; the message on failure.
func (s *Server) callingLeg(q preq) (*pleg, *agent, string) {
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "CALLING", "CALLING")
	if a == nil {
		return nil, nil, why
	}
	l := a.p.leg
	if l == nil || l.state != legAnswered {
		return nil, a, "uuid不存在!"
	}
	return l, a, ""
}

// xferLeg starts an xfer party's leg from the initiator's leg. target is
// the agent to ring, or nil for the outside number. s.mu held.
func (s *Server) xferLeg(from *pleg, kind, id string, target *agent, number string) *pleg {
	l := &pleg{uuid: id, agent: target, number: number, xfer: kind, from: from, caller: from.agent.conf.ExtID}
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
func (s *Server) xferTarget(c *conn, q preq, a *agent, internal bool, number, refuse string) (*agent, string, bool) {
	if !internal {
		return nil, number, true
	}
	b, why := s.checkAvail(a.company.Code, number, "", "ONLINE", "FREE")
	if b == nil {
		s.ccReply(c, q, refuse, why, nil)
		return nil, "", false
	}
	return b, "", true
}

// ccTrans is TransClientRequestStrategyImpl.
func (s *Server) ccTrans(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "i:type", "i:trans_type"); bad {
		s.bare(c, q, code, msg)
		return
	}
	if s.plat.legs[q.s("uuid")] == nil {
		s.ccReply(c, q, "1", "uuid不存在!", nil)
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.ccReply(c, q, "1", why, nil)
		return
	}
	mode, _, _ := q.int("type")
	ttype, _, _ := q.int("trans_type")
	number := q.s("trans_number")
	if mode < 1 || mode > 3 {
		s.ccReply(c, q, "1", "转接类型不支持!", nil)
		return
	}
	if mode == 3 { // cancel a consultative transfer
		for _, o := range l.call.legs {
			if o.from == l && o.xfer == "TRANS" && o.state != legEnded {
				s.ccReply(c, q, "0", "咨询转取消成功!", nil)
				o.keep = true
				s.pEnd(o)
				return
			}
		}
		s.bare(c, q, "4043", "请求失败!")
		return
	}
	switch ttype {
	case 3, 5: // IVR, satisfaction survey: the customer leaves the agents' world
		msg := "转IVR成功!"
		if ttype == 5 {
			msg = "转满意度成功!"
		}
		s.ccReply(c, q, "0", msg, nil)
		if cu := l.bridge; cu != nil {
			cu.keep = true
			cu.state = legEnded
			delete(s.plat.legs, cu.uuid)
		}
		l.keep = true
		s.pEnd(l)
		return
	case 2: // a skill: the agent's leg is hung up, the queue picks an agent
		l.keep = true
		b := s.pickFreePlatform(a.company, number, a)
		if b == nil {
			s.ccReply(c, q, "1", "发起转接技能失败!", nil)
			s.pEnd(l)
			return
		}
		s.ccReply(c, q, "0", "发起转接技能成功!", nil)
		s.pEnd(l)
		t := &pleg{uuid: newID(""), agent: b, channel: "TRANS", queue: true, bridge: l.bridge, callee: b.conf.ExtID}
		if l.bridge != nil {
			t.caller = l.bridge.number
			l.bridge.bridge = t
		}
		s.newLeg(l.call, t)
		s.ring(t, 0)
		return
	case 1, 4:
	default:
		s.ccReply(c, q, "1", "转接人员类型不支持!", nil)
		return
	}
	target, number, ok := s.xferTarget(c, q, a, ttype == 1, number, "1")
	if !ok {
		return
	}
	if mode == 1 { // blind: the agent's leg is hung up, the new party gets the customer
		s.ccReply(c, q, "0", "发起盲转成功!", nil)
		l.keep = true
		s.pEnd(l)
		t := &pleg{uuid: "trans-" + newID(""), agent: target, number: number, xfer: "TRANS", from: l, bridge: l.bridge}
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
	s.ccReply(c, q, "0", "发起咨询转成功!", nil)
	s.xferLeg(l, "TRANS", "trans-"+newID(""), target, number)
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

// ccConsult is ConsultClientRequestStrategyImpl.
func (s *Server) ccConsult(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "i:type", "o:consult_type"); bad {
		s.bare(c, q, code, msg)
		return
	}
	mode, _, _ := q.int("type")
	ctype, ctSet, _ := q.int("consult_type")
	if mode == 2 { // cancel
		var from *pleg
		if l := s.plat.legs[q.s("uuid")]; l != nil {
			from = l
		}
		if from != nil {
			for _, o := range from.call.legs {
				if o.from == from && o.xfer == "CONSULT" && o.state != legEnded {
					s.ccReply(c, q, "0", "取消咨询成功!", nil)
					s.pEnd(o)
					return
				}
			}
		}
		s.bare(c, q, "4043", "请求失败!") // no consult: a NullPointerException
		return
	}
	if !ctSet {
		s.bare(c, q, "4043", "请求失败!") // consult_type null: a NullPointerException
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.ccReply(c, q, "1", why, nil)
		return
	}
	target, number, ok := s.xferTarget(c, q, a, ctype == 0, q.s("consult_number"), "1")
	if !ok {
		return
	}
	if mode != 1 {
		s.ccReply(c, q, "1", "咨询类型错误!", nil)
		return
	}
	if target == nil && number == "" {
		s.ccReply(c, q, "1", "咨询号码不可用!", nil)
		return
	}
	id := "consult-" + newID("")
	s.ccReply(c, q, "0", "发起咨询成功!", obj{"consult_uuid": id})
	s.xferLeg(l, "CONSULT", id, target, number)
}

// ccConsultToTrans is ConsultToTransClientRequestStrategyImpl: the agent
// leaves, the consulted party keeps the customer.
func (s *Server) ccConsultToTrans(c *conn, q preq) {
	if code, msg, bad := q.validate("s:consult_uuid"); bad {
		s.bare(c, q, code, msg)
		return
	}
	o := s.plat.legs[q.s("consult_uuid")]
	if o == nil || o.xfer != "CONSULT" || o.from == nil || o.from.state == legEnded {
		s.bare(c, q, "4043", "请求失败!")
		return
	}
	f := o.from
	s.ccReply(c, q, "0", "咨询中转接成功!", nil)
	o.bridge = f.bridge
	if o.bridge != nil {
		o.bridge.bridge = o
	}
	o.keep, o.from, o.xfer = false, nil, ""
	f.keep = true
	s.pEnd(f)
}

// ccThreeWay is ThreeWayClientRequestStrategyImpl (its refusals say 4001).
func (s *Server) ccThreeWay(c *conn, q preq) {
	if code, msg, bad := q.validate("s:uuid", "i:three_way_type", "s:three_way_number"); bad {
		s.bare(c, q, code, msg)
		return
	}
	l, a, why := s.callingLeg(q)
	if l == nil {
		s.ccReply(c, q, "4001", why, nil)
		return
	}
	ttype, _, _ := q.int("three_way_type")
	target, number, ok := s.xferTarget(c, q, a, ttype == 0, q.s("three_way_number"), "4001")
	if !ok {
		return
	}
	s.ccReply(c, q, "0", "发起三方通话成功!", obj{"in_call_numbers": s.inCallNumbers(a)})
	s.xferLeg(l, "THREE_WAY", "three_way-"+newID(""), target, number)
}

// supervisorPair is checkAgentAdmin: the operated ids present, the
// requester FREE or BUSY with its extension online, the target in status
// (and its extension alike); nil after answering the refusal.
func (s *Server) supervisorPair(c *conn, q preq, refuse, status string) (sup, t *agent) {
	if code, msg, bad := q.validate("s:operated_ext_id", "s:operated_agent_id"); bad {
		s.bare(c, q, code, msg)
		return nil, nil
	}
	company := q.s("company_code")
	sup, why := s.checkAvail(company, q.s("agent_id"), "", "ONLINE", "FREE", "BUSY")
	if sup != nil {
		t, why = s.checkAvail(company, q.s("operated_agent_id"), "", status, status)
	}
	if sup == nil || t == nil {
		s.ccReply(c, q, refuse, why, nil)
		return nil, nil
	}
	return sup, t
}

// ccSupervise is eavesdrop, whisper and force_call: the supervisor's own
// leg is originated to the request's ext_id; no supervisor right is checked.
func (s *Server) ccSupervise(c *conn, q preq) {
	kind := strings.ToUpper(q.s("msg_type"))
	refuse := "1"
	if kind == "FORCE_CALL" {
		refuse = "4001"
	}
	sup, t := s.supervisorPair(c, q, refuse, "CALLING")
	if sup == nil {
		return
	}
	tl := t.p.leg
	if tl == nil || tl.state == legEnded {
		s.ccReply(c, q, refuse, "状态错误, 未处于通话状态!", nil)
		return
	}
	id := strings.ToLower(kind) + "-" + newID("")
	l := &pleg{uuid: id, agent: sup, xfer: kind, from: tl, auto: true, keep: kind != "FORCE_CALL"}
	s.newLeg(tl.call, l)
	extra := obj{"uuid": id}
	msg := map[string]string{"EAVESDROP": "发起监听成功!", "WHISPER": "发起耳语成功!", "FORCE_CALL": "发起强插成功!"}[kind]
	if kind == "FORCE_CALL" {
		extra["in_call_numbers"] = s.inCallNumbers(t)
	}
	s.ccReply(c, q, "0", msg, extra)
	s.ring(l, 0)
}

// ccSubstitute: the supervisor takes over an agent's ringing inbound call.
func (s *Server) ccSubstitute(c *conn, q preq) {
	sup, t := s.supervisorPair(c, q, "1", "RINGING")
	if sup == nil {
		return
	}
	tl := t.p.leg
	id := "substitute-" + newID("")
	s.ccReply(c, q, "0", "代接成功!", obj{"uuid": id})
	l := &pleg{uuid: id, agent: sup, channel: "SUBSTITUTE", auto: true, bridge: tl.bridge, caller: tl.caller, callee: sup.conf.ExtID}
	if tl.bridge != nil {
		tl.bridge.bridge = l
	}
	tl.keep = true
	s.pEnd(tl)
	s.newLeg(tl.call, l)
	s.ring(l, 0)
}

// ccInterrupt is InterruptCallRequestStrategyImpl: the target's leg and
// every related leg are hung up.
func (s *Server) ccInterrupt(c *conn, q preq) {
	if code, msg, bad := q.validate("s:operated_ext_id", "s:operated_agent_id"); bad {
		s.bare(c, q, code, msg)
		return
	}
	t := s.pAgent(q.s("company_code"), q.s("operated_agent_id"))
	switch {
	case t == nil || !t.p.hasStatus:
		s.ccReply(c, q, "400", "坐席: "+q.s("agent_id")+", 未签入!", nil) // (sic: the supervisor's id)
		return
	case t.status != "CALLING" && t.status != "RINGING":
		s.ccReply(c, q, "1", "坐席未处于振铃中或通话中状态, 强拆失败!", nil)
		return
	}
	l := t.p.leg
	if l == nil || l.state == legEnded {
		s.ccReply(c, q, "1", "状态错误, 未处于通话状态!", nil)
		return
	}
	s.ccReply(c, q, "0", "强拆成功!", nil)
	others := []*pleg{}
	for _, o := range l.call.legs {
		if o != l && o.state != legEnded {
			others = append(others, o)
		}
	}
	s.pEnd(l)
	for _, o := range others {
		s.pEnd(o)
	}
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
