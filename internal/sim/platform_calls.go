package sim

import (
	"context"
	"slices"
	"strings"
)

// The platform dialect's call-control requests on one call (its
// strategies: call, answer, hangup, hold, dtmf, change_media, play_record);
// the legs they drive are in platform_legs.go.

// callControl hands a request to call-control's handler for its msg_type.
func (s *platform) callControl(c *link, q platformRequest) {
	switch mt := q.s("msg_type"); mt {
	case "call", "preview_out_call":
		s.call(c, q)
	case "answer":
		s.answer(c, q)
	case "hangup":
		s.hangup(c, q)
	case "hold":
		s.hold(c, q)
	case "dtmf":
		s.dtmf(c, q)
	case "change_media":
		s.changeMedia(c, q)
	case "play_record":
		s.playRecord(c, q)
	case "play_record_control":
		s.playRecordControl(c, q)
	case "trans":
		s.trans(c, q)
	case "consult":
		s.consult(c, q)
	case "consult_to_trans":
		s.consultToTrans(c, q)
	case "three_way":
		s.threeWay(c, q)
	case "eavesdrop", "whisper", "force_call":
		s.supervise(c, q)
	case "substitute":
		s.substitute(c, q)
	case "interrupt_call":
		s.interrupt(c, q)
	default: // mute, pickup, callin: routed to call-control, which has no handler
		s.reply(c, q, "4014", "msg_type非法", nil)
	}
}

// call is CallClientRequestStrategyImpl (and the preview variant).
func (s *platform) call(c *link, q platformRequest) {
	preview := q.s("msg_type") == "preview_out_call"
	specs := []string{"i:out_line", "i:audio", "i:video", "s:callee_number", "o:max_ring_time", "o:max_call_time"}
	number := q.s("callee_number")
	if preview {
		specs = []string{"s:task_id", "s:number_id", "s:client_number", "i:audio", "i:video"}
		number = q.s("client_number")
	}
	if code, msg, bad := q.validate(specs...); bad {
		s.refuse(c, q, code, msg)
		return
	}
	company, agentID := q.s("company_code"), q.s("agent_id")
	a, why := s.checkAvail(company, agentID, q.s("ext_id"), "ONLINE", "FREE", "BUSY", "REST", "ARRANGE")
	if a == nil {
		s.reply(c, q, "1", why, nil)
		return
	}
	outLine, _, _ := q.int("out_line")
	inline := !preview && outLine == 0
	if inline {
		if _, why := s.checkAvail(company, number, "", "ONLINE", "FREE"); why != "" {
			s.reply(c, q, "1", why, nil)
			return
		}
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	cl := &platformCall{audio: audio, video: video, workOrder: q.s("work_order_id"), display: "4008001000"}
	action, id, msg := "CALL", "call-"+newID(""), "发起外呼成功!"
	if preview {
		action, id, msg = "PREVIEW_OUT_CALL", "preview-"+newID(""), "发起预览外呼成功!"
	}
	l := &platformLeg{uuid: id, agent: a, action: action, number: number, auto: true, inline: inline}
	a.plat.arrangeGen++ // cancelArrangeTask
	s.newLeg(cl, l)
	s.reply(c, q, "0", msg, obj{"uuid": id})
	s.ring(l, 0)
}

// answer is AnswerClientRequestStrategyImpl: the base API answers the
// ringing leg; its answer event moves the agent →CALLING after the reply.
func (s *platform) answer(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "i:audio", "i:video"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	l := s.legs[q.s("uuid")]
	if l == nil || l.agent == nil || l.state != legRinging {
		s.reply(c, q, "1", "接听失败!", nil)
		return
	}
	a := l.agent
	if leg := a.rtc; leg != nil && leg.uuid == l.uuid && !leg.auto && leg.state == "inviting" {
		// An RTC phone answers by SIP: the base API's answer waits for it.
		p := &pendingAnswer{ok: func() { s.reply(c, q, "0", "接听成功!", nil) },
			fail: func() { s.reply(c, q, "1", "接听失败!", nil) }}
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
	s.reply(c, q, "0", "接听成功!", nil)
	s.answered(l)
}

// hangup is HangupClientRequestStrategyImpl: any uuid the platform knows.
func (s *platform) hangup(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	id := q.s("uuid")
	l := s.legs[id]
	switch {
	case l != nil:
		s.reply(c, q, "0", "挂断成功!", nil)
		s.endLeg(l)
	case s.ended[id]:
		s.reply(c, q, "0", "当前通话已挂断!", nil)
	default:
		s.reply(c, q, "4000", "uuid不存在!", nil)
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

// hold is HoldClientRequestStrategyImpl: the push (for the requesting
// agent) goes out before the reply.
func (s *platform) hold(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "s:hold"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	on := hutoolTrue(q.s("hold"))
	okMsg, failMsg, sub := "保持成功!", "保持失败!", "HOLD"
	if !on {
		okMsg, failMsg, sub = "取消保持成功!", "取消保持失败!", ""
	}
	l := s.legs[q.s("uuid")]
	a := s.agentIn(q.s("company_code"), q.s("agent_id"))
	if l == nil || a == nil {
		s.reply(c, q, "1", failMsg, obj{"hold": q.s("hold")})
		return
	}
	s.setStatus(a, "CALLING", sub, pushOptions{uuid: l.uuid})
	s.reply(c, q, "0", okMsg, obj{"hold": q.s("hold")})
	if l.agent != nil {
		s.rtcOp(l.agent, "hold", func(ctx context.Context, uuid string) error { return s.pbx.Hold(ctx, uuid, on) })
	}
}

// dtmf is DtmfClientRequestStrategyImpl: the digits go to the other
// party's leg; the reply carries reply:false.
func (s *platform) dtmf(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "s:content", "o:dtmf_type"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	id := q.s("uuid")
	l := s.legs[id]
	switch {
	case l == nil && !s.ended[id]:
		s.refuse(c, q, "4043", "请求失败!") // no call context: a NullPointerException
	case l == nil:
		s.reply(c, q, "1", "二次拨号失败!", obj{"reply": false})
	default:
		if a := s.agentIn(q.s("company_code"), q.s("agent_id")); a != nil {
			a.dtmf += q.s("content")
			s.notifyLocked()
		}
		s.reply(c, q, "0", "二次拨号成功!", obj{"reply": false})
	}
}

// changeMedia is ChangeMediaRequestStrategyImpl and the media-toggle
// callback to the agent who asked.
func (s *platform) changeMedia(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:uuid", "i:audio", "i:video"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "CALLING", "CALLING")
	if a == nil {
		s.reply(c, q, "1", why, nil)
		return
	}
	l := s.legs[q.s("uuid")]
	if l == nil {
		s.refuse(c, q, "4043", "请求失败!")
		return
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	last := obj{"last_audio": l.call.audio, "last_video": l.call.video}
	l.call.audio, l.call.video = audio, video
	s.reply(c, q, "0", "发起音视频切换成功!", obj{"uuid": l.uuid, "audio": audio, "video": video})
	cb := obj{"audio": audio, "video": video, "change_media_flag": 0}
	for k, v := range last {
		cb[k] = v
	}
	s.callback(a, "CHANGE_MEDIA", "", true, "坐席发起音视频切换请求", cb)
	if l.agent != nil {
		s.rtcOp(l.agent, "change_media", func(ctx context.Context, uuid string) error {
			return s.pbx.ChangeMedia(ctx, uuid, audio, video)
		})
	}
}

// playRecord is PlayRecordRequestStrategyImpl: into a call, or a
// playback leg originated to the agent.
func (s *platform) playRecord(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:file_path", "i:audio", "i:video"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	if id := q.s("uuid"); id != "" {
		if s.legs[id] == nil {
			s.reply(c, q, "1", "录音播放失败!", nil)
			return
		}
		if a := s.agentIn(q.s("company_code"), q.s("agent_id")); a != nil {
			a.playing = id
			s.notifyLocked()
		}
		s.reply(c, q, "0", "录音播放成功!", obj{"uuid": id})
		return
	}
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "ONLINE", "FREE", "BUSY", "REST", "ARRANGE", "CALLING")
	if a == nil {
		s.reply(c, q, "1", why, nil)
		return
	}
	audio, _, _ := q.int("audio")
	video, _, _ := q.int("video")
	id := "play_record-" + newID("")
	l := &platformLeg{uuid: id, agent: a, action: "PLAY_RECORD", auto: true}
	a.plat.arrangeGen++
	a.playing = id
	s.newLeg(&platformCall{audio: audio, video: video}, l)
	s.reply(c, q, "0", "发起外呼成功, 等待坐席接通!", obj{"uuid": id})
	s.ring(l, 0)
}

// playRecordControl is PlayRecordControlRequestStrategyImpl; "stop" ends
// a playback leg.
func (s *platform) playRecordControl(c *link, q platformRequest) {
	if code, msg, bad := q.validate("s:action", "o:speed_value", "o:volume_value", "o:seek_value"); bad {
		s.refuse(c, q, code, msg)
		return
	}
	s.reply(c, q, "0", "放音控制成功!", nil)
	if strings.EqualFold(q.s("action"), "stop") {
		if a := s.agentIn(q.s("company_code"), q.s("agent_id")); a != nil {
			a.playing = ""
			s.notifyLocked()
		}
		if l := s.legs[q.s("uuid")]; l != nil && l.action == "PLAY_RECORD" {
			s.endLeg(l)
		}
	}
}

// callingLeg is the agent's answered leg a request names (its uuid), with
// call-control's CALLING check; the message on failure.
func (s *platform) callingLeg(q platformRequest) (*platformLeg, *agent, string) {
	a, why := s.checkAvail(q.s("company_code"), q.s("agent_id"), q.s("ext_id"), "CALLING", "CALLING")
	if a == nil {
		return nil, nil, why
	}
	l := a.plat.leg
	if l == nil || l.state != legAnswered {
		return nil, a, "uuid不存在!"
	}
	return l, a, ""
}
