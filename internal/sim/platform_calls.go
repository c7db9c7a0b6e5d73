package sim

import (
	"context"
	"slices"
	"strings"
)

// The platform dialect's call-control requests on one call (its
// strategies: call, answer, hangup, hold, dtmf, change_media, play_record);
// the legs they drive are in platform_legs.go.

// ccReply is a call-control reply (ClientResponseBaseVO.response): the
// request's req_id, company_code and msg_type, code, msg, reply true.
func (s *Server) ccReply(c *conn, q preq, code, msg string, extra obj) {
	s.siReply(c, q, code, msg, extra)
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
