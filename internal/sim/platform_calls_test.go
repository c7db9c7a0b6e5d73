package sim

import (
	"regexp"
	"strings"
	"testing"
)

var callUUID = regexp.MustCompile(`^call-[0-9a-f]{32}$`)

// checkedIn opens a link for agentID and checks it in (FREE).
func checkedIn(t *testing.T, base, agentID string) *plink {
	t.Helper()
	l := dialPlat(t, base, agentID, "Windows")
	l.checkin()
	return l
}

// noCallbackFields: a callback has a fresh req_id, no uuid, no curren_time,
// a boolean success.
func checkCallback(t *testing.T, cb map[string]any, reqID string) {
	t.Helper()
	if cb["req_id"] == reqID || !uuidRE.MatchString(cb["req_id"].(string)) {
		t.Errorf("callback req_id %v", cb["req_id"])
	}
	if _, ok := cb["uuid"]; ok {
		t.Errorf("callback has uuid: %v", cb)
	}
	if _, ok := cb["curren_time"]; ok {
		t.Errorf("callback has curren_time: %v", cb)
	}
	if _, ok := cb["success"].(bool); !ok {
		t.Errorf("callback success %T", cb["success"])
	}
	if cb["os"] != "Windows" || cb["company_code"] != co {
		t.Errorf("callback %v", cb)
	}
}

func TestPlatformOutboundCallFlow(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	r := l.req("call", "callee_number", "13912345678", "out_line", 1, "audio", 3, "video", 0, "work_order_id", "wo-1")
	rep := l.reply(r)
	uuid, _ := rep["uuid"].(string)
	if rep["code"] != "0" || rep["msg"] != "发起外呼成功!" || !callUUID.MatchString(uuid) || rep["reply"] != true {
		t.Fatalf("call reply %v", rep)
	}
	// The agent's own leg rings and answers first: CALLING before the
	// customer, then INITIATE, then START_CALL when the customer answers.
	if p := l.expect("RINGING", isPush("RINGING")); p["uuid"] != uuid || p["reason"] != "" || p["last_agent_status"] != "FREE" {
		t.Fatalf("RINGING push %v", p)
	}
	p := l.expect("CALLING", isPush("CALLING"))
	if p["uuid"] != uuid || p["in_call_numbers"] == nil {
		t.Fatalf("CALLING push %v", p)
	}
	if n := p["in_call_numbers"].([]any); len(n) != 0 {
		t.Fatalf("in_call_numbers before the customer answered: %v", n)
	}
	ini := l.expect("INITIATE", isCB("CALL", "INITIATE"))
	checkCallback(t, ini, r["req_id"].(string))
	if ini["success"] != true {
		t.Fatalf("INITIATE %v", ini)
	}
	st := l.expect("START_CALL", isCB("CALL", "START_CALL"))
	checkCallback(t, st, r["req_id"].(string))
	if st["peer_uuid"] != "B-"+uuid || st["msg"] != "对方已接通!" || st["work_order_id"] != "wo-1" || st["display_number"] == nil {
		t.Fatalf("START_CALL %v", st)
	}
	gs := l.reply(l.req("get_status"))
	if gs["status"] != "CALLING" || gs["uuid"] != uuid || strings.Join(toStrings(gs["in_call_numbers"]), ",") != "13912345678" {
		t.Fatalf("get_status in the call: %v", gs)
	}
	// hangup: reply, then ARRANGE (post_process on by default) and back to
	// the status before the call; no END_CALL for a plain call.
	h := l.reply(l.req("hangup", "uuid", uuid))
	if h["code"] != "0" || h["msg"] != "挂断成功!" {
		t.Fatalf("hangup %v", h)
	}
	if p := l.expect("ARRANGE", isPush("ARRANGE")); p["uuid"] != nil || p["reason"] != nil {
		t.Fatalf("ARRANGE push %v", p)
	}
	l.expect("back to FREE", isPush("FREE"))
	if h := l.reply(l.req("hangup", "uuid", uuid)); h["code"] != "0" || h["msg"] != "当前通话已挂断!" {
		t.Fatalf("second hangup %v", h)
	}
	if h := l.reply(l.req("hangup", "uuid", "call-nope")); h["code"] != "4000" || h["msg"] != "uuid不存在!" {
		t.Fatalf("unknown uuid %v", h)
	}
	// Without post-processing the agent goes straight back.
	if err := s.SetAgentConfig(AgentConfigSpec{AgentID: agent6k, PostProcess: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	l.reply(l.req("change_status", "action", "MAKE_REST"))
	uuid = outboundCall(t, l) // REST may call
	l.reply(l.req("hangup", "uuid", uuid))
	l.expect("back to REST", isPush("REST"))
}

func toStrings(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestPlatformOutboundNoAnswer(t *testing.T) {
	_, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	l.reply(l.req("change_status", "action", "MAKE_BUSY"))
	rep := l.reply(l.req("call", "callee_number", "10000000000", "out_line", 1, "audio", 3, "video", 0))
	uuid := rep["uuid"].(string)
	l.expect("RINGING", isPush("RINGING"))
	l.expect("CALLING", isPush("CALLING"))
	l.expect("INITIATE", isCB("CALL", "INITIATE"))
	// The customer never answers: no END_CALL, the agent goes back to its
	// status before the call (no ARRANGE).
	l.expect("back to BUSY", isPush("BUSY"))
	if gs := l.reply(l.req("get_status")); gs["status"] != "BUSY" || gs["uuid"] != nil {
		t.Fatalf("after no answer: %v (call %s)", gs, uuid)
	}
}

func TestPlatformCallRefusals(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	bare := func(o map[string]any, code, msg string) {
		t.Helper()
		l.send(o)
		m := l.next()
		if keys(m) != "code,msg" || m["code"] != code || m["msg"] != msg {
			t.Errorf("%s %v: got %v, want bare %s %s", o["msg_type"], o, m, code, msg)
		}
	}
	call := func(kv ...any) map[string]any {
		return l.req("call", append([]any{"callee_number", "139", "out_line", 1, "audio", 3, "video", 0}, kv...)...)
	}
	bare(call("out_line", nil), "4002", "[out_line]不能为空!")
	bare(call("audio", nil), "4002", "[audio]不能为空!")
	bare(call("video", nil), "4002", "[video]不能为空!")
	bare(call("callee_number", nil), "4002", "[callee_number]不能为空!")
	bare(call("audio", "loud"), "4043", "请求失败!")
	bare(l.req("answer", "uuid", "x", "video", 0), "4002", "[audio]不能为空!")
	bare(l.req("answer", "uuid", "x", "audio", 3), "4002", "[video]不能为空!")
	bare(l.req("play_record", "file_path", "/a.wav", "video", 0), "4002", "[audio]不能为空!")
	bare(l.req("preview_out_call", "task_id", "t", "number_id", "n", "client_number", "139", "audio", 3), "4002", "[video]不能为空!")
	bare(l.req("consult", "uuid", "x", "type", 1, "consult_number", agent6k4), "4043", "请求失败!")
	bare(l.req("hangup"), "4002", "[uuid]不能为空!")
	bare(l.req("change_status"), "4002", "[action]不能为空!")
	bare(l.req("dtmf", "uuid", "never-seen", "content", "1"), "4043", "请求失败!")
	// "1" "1" "1": handler refusals keep req_id.
	if m := l.reply(call("callee_number", agent6k4, "out_line", 0)); m["code"] != "1" || m["msg"] != "坐席: 090008_6004, 未签入!" {
		t.Errorf("inline call to an agent not checked in: %v", m)
	}
	for _, mt := range []string{"mute", "pickup", "callin"} {
		m := l.reply(l.req(mt, "uuid", "x", "mute", "1"))
		if m["code"] != "4014" || m["msg"] != "msg_type非法" || m["msg_type"] != mt || m["reply"] != true {
			t.Errorf("%s: %v", mt, m)
		}
	}
	// A msg_type neither back end handles gets no reply at all; CC's base
	// validation failure (no req_id) neither.
	l.send(l.req("teleport"))
	l.send(l.req("hold", "req_id", nil, "uuid", "x", "hold", "1"))
	if m := l.reply(l.req("ping")); m["msg_type"] != "pong" {
		t.Fatalf("after unanswered requests: %v", m)
	}
	// SI's base validation failure: "1" "请求失败" with reply false.
	if m := l.next2(l.req("get_status", "company_code", nil)); m["code"] != "1" || m["msg"] != "请求失败" || m["reply"] != false {
		t.Fatalf("SI without company_code: %v", m)
	}
	// Statuses for call: CALLING is not one of them.
	uuid := outboundCall(t, l)
	if m := l.reply(call()); m["code"] != "1" || m["msg"] != "坐席: 090008_6000, 非空闲、忙碌、小休、事后处理状态!" {
		t.Errorf("call while calling: %v", m)
	}
	if err := s.SetAgentConfig(AgentConfigSpec{AgentID: agent6k, ExtOffline: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	l.reply(l.req("hangup", "uuid", uuid))
	l.expect("ARRANGE", isPush("ARRANGE"))
	l.expect("FREE", isPush("FREE"))
	if m := l.reply(call()); m["code"] != "1" || m["msg"] != "分机: 090008_5000, 未注册!" {
		t.Errorf("call with the extension offline: %v", m)
	}
}

// next2 sends o and reads the next frame, whatever it is.
func (l *plink) next2(o map[string]any) map[string]any {
	l.t.Helper()
	l.send(o)
	return l.next()
}

func TestPlatformInboundCallin(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	uuid, who, err := s.Inbound(InboundCall{CompanyCode: co, CallerNumber: "13800001111", CalleeNumber: "4008001000", AgentID: agent6k})
	if err != nil || who != agent6k {
		t.Fatal(who, err)
	}
	ci := l.expect("callin", func(m map[string]any) bool { return m["msg_type"] == "callin" })
	for k, v := range map[string]any{"req_id": uuid, "uuid": uuid, "callin_channel": "CALL_IN", "caller_number": "13800001111",
		"callee_number": "4008001000", "audio": 3.0, "video": 0.0, "os": "Windows", "agent_id": agent6k, "ext_id": "090008_5000"} {
		if ci[k] != v {
			t.Errorf("callin %s = %v, want %v", k, ci[k], v)
		}
	}
	for _, k := range []string{"is_video", "caller_channel", "code", "flow_data"} {
		if _, ok := ci[k]; ok {
			t.Errorf("callin has %s", k)
		}
	}
	if !uuidRE.MatchString(ci["client_uuid"].(string)) {
		t.Errorf("client_uuid %v", ci["client_uuid"])
	}
	l.expect("RINGING after callin", isPush("RINGING"))
	a := l.reply(l.req("answer", "uuid", uuid, "audio", 3, "video", 0))
	if a["code"] != "0" || a["msg"] != "接听成功!" {
		t.Fatalf("answer %v", a)
	}
	p := l.expect("CALLING", isPush("CALLING"))
	if strings.Join(toStrings(p["in_call_numbers"]), ",") != "13800001111" {
		t.Fatalf("CALLING push %v", p)
	}
	// hold: a push (sub HOLD) beside the reply.
	m, p := l.pair(l.sendReq("hold", "uuid", uuid, "hold", "1"), isPush("CALLING"))
	if p["sub_agent_status"] != "HOLD" {
		t.Fatalf("hold push %v", p)
	}
	if m["msg"] != "保持成功!" || m["hold"] != "1" {
		t.Fatalf("hold reply %v", m)
	}
	if m := l.reply(l.req("dtmf", "uuid", uuid, "content", "12#")); m["msg"] != "二次拨号成功!" || m["reply"] != false {
		t.Fatalf("dtmf %v", m)
	}
	if err := s.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	l.expect("ARRANGE", isPush("ARRANGE"))
	l.expect("FREE", isPush("FREE"))
	if a := l.reply(l.req("answer", "uuid", uuid, "audio", 3, "video", 0)); a["code"] != "1" || a["msg"] != "接听失败!" {
		t.Fatalf("answer an ended call: %v", a)
	}
}

func TestPlatformInboundUnanswered(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	if err := s.SetAgentConfig(AgentConfigSpec{AgentID: agent6k, AutoShowBusy: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	// The customer hangs up while it rings: back to the status before.
	uuid, _, _ := s.Inbound(InboundCall{CompanyCode: co, AgentID: agent6k})
	l.expect("callin", func(m map[string]any) bool { return m["msg_type"] == "callin" })
	l.expect("RINGING", isPush("RINGING"))
	_ = s.CustomerHangup(uuid)
	l.expect("FREE", isPush("FREE"))
	// The agent rejects it (hangup while ringing): auto_show_busy → BUSY.
	uuid, _, _ = s.Inbound(InboundCall{CompanyCode: co, AgentID: agent6k})
	l.expect("callin", func(m map[string]any) bool { return m["msg_type"] == "callin" })
	l.expect("RINGING", isPush("RINGING"))
	l.reply(l.req("hangup", "uuid", uuid))
	l.expect("BUSY", isPush("BUSY"))
}

func TestPlatformChangeStatusRules(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	b := checkedIn(t, base, agent6k4)
	// MAKE_*: a reply, no push.
	m := l.reply(l.req("change_status", "action", "MAKE_BUSY"))
	if m["code"] != "0" || m["msg"] != "示忙成功!" || m["last_agent_status"] != "FREE" || m["agent_status"] != "BUSY" || m["action"] != "MAKE_BUSY" || m["os"] != "Windows" {
		t.Fatalf("MAKE_BUSY %v", m)
	}
	if m := l.reply(l.req("change_status", "action", "MAKE_BUSY")); m["code"] != "1" || m["msg"] != "当前坐席已经是忙碌状态, 示忙失败!" {
		t.Fatalf("MAKE_BUSY twice %v", m)
	}
	if m := l.reply(l.req("change_status", "action", "make_busy")); m["code"] != "-1" || m["msg"] != "action非法!" {
		t.Fatalf("lower-case action %v", m)
	}
	// *_AFTER_CALL_STOP outside a call: a bare 4016.
	if m := l.next2(l.req("change_status", "action", "MAKE_REST_AFTER_CALL_STOP")); keys(m) != "code,msg" || m["code"] != "4016" || m["msg"] != "坐席非通话状态!" {
		t.Fatalf("after-call action outside a call %v", m)
	}
	// FORCE_*: no supervisor right needed; the push goes to the target
	// before the reply.
	f := b.reply(b.req("change_status", "action", "FORCE_MAKE_FREE", "operated_agent_id", agent6k))
	if f["code"] != "0" || f["msg"] != "强制示闲成功!!" || f["agent_status"] != "FREE" || f["last_agent_status"] != "BUSY" {
		t.Fatalf("FORCE_MAKE_FREE %v", f)
	}
	if p := l.expect("forced push", isPush("FREE")); p["reason"] != "被管理员强制示闲" {
		t.Fatalf("forced push %v", p)
	}
	if f := b.reply(b.req("change_status", "action", "FORCE_MAKE_FREE", "operated_agent_id", agent6k)); f["code"] != "1" {
		t.Fatalf("FORCE_MAKE_FREE from FREE %v", f)
	}
	if f := b.reply(b.req("change_status", "action", "FORCE_MAKE_BUSY", "operated_agent_id", agent6k)); f["code"] != "0" {
		t.Fatalf("FORCE_MAKE_BUSY from FREE %v", f)
	}
	if p := l.expect("forced push", isPush("BUSY")); p["reason"] != "被管理员强制示忙" {
		t.Fatalf("forced push %v", p)
	}
	if f := b.reply(b.req("change_status", "action", "FORCE_MAKE_BUSY", "operated_agent_id", agent6k)); f["code"] != "1" || f["msg"] != "强制示忙失败, 被操作坐席当前状态不可强制示忙!" {
		t.Fatalf("FORCE_MAKE_BUSY from BUSY %v", f)
	}
	// During a call: MAKE_FREE is allowed (no push), the after-call action
	// replaces ARRANGE at hang-up.
	l.reply(l.req("change_status", "action", "MAKE_FREE"))
	uuid := outboundCall(t, l)
	if m := l.reply(l.req("change_status", "action", "MAKE_BUSY")); m["code"] != "0" || m["last_agent_status"] != "CALLING" {
		t.Fatalf("MAKE_BUSY during a call %v", m)
	}
	if sn, _ := s.Agent(agent6k); sn.Status != "BUSY" || sn.CallUUID != uuid {
		t.Fatalf("MAKE_BUSY hung up the call? %+v", sn)
	}
	l.reply(l.req("change_status", "action", "MAKE_FREE"))
	// CALLING again (hold pushes it) so the after-call action is accepted.
	l.pair(l.sendReq("hold", "uuid", uuid, "hold", "0"), isPush("CALLING"))
	if m := l.reply(l.req("change_status", "action", "MAKE_REST_AFTER_CALL_STOP")); m["code"] != "0" || m["msg"] != "结束通话后进入小休状态!!" {
		t.Fatalf("after-call action %v", m)
	}
	l.reply(l.req("hangup", "uuid", uuid))
	l.expect("REST instead of ARRANGE", isPush("REST"))
	// FORCE_CHECKOUT on a call hangs it up; the target's link stays open.
	l.reply(l.req("change_status", "action", "MAKE_FREE"))
	outboundCall(t, l)
	if f := b.reply(b.req("change_status", "action", "FORCE_CHECKOUT", "operated_agent_id", agent6k)); f["code"] != "0" || f["msg"] != "强签成功!!" {
		t.Fatalf("FORCE_CHECKOUT %v", f)
	}
	if p := l.expect("forced OFFLINE", isPush("OFFLINE")); p["reason"] != "被管理员强制签出" {
		t.Fatalf("forced push %v", p)
	}
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.CallUUID == "" })
	if m := l.next2(l.req("change_status", "action", "MAKE_FREE")); keys(m) != "code,msg" || m["code"] != "4009" || m["msg"] != "坐席未签入" {
		t.Fatalf("MAKE_FREE when OFFLINE %v", m)
	}
}

func TestPlatformGetStatus(t *testing.T) {
	_, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	m := l.reply(l.req("get_status", "agent_id", agent6k1))
	if m["code"] != "1" || m["msg"] != "获取不到坐席状态!" || m["reply"] != true {
		t.Fatalf("get_status of an agent never checked in: %v", m)
	}
	m = l.reply(l.req("get_status"))
	// Absent, not empty: no sub_status, uuid, in_call_numbers or reply
	// without a value (as the real server was seen to answer).
	if keys(m) != "code,company_code,msg,msg_type,req_id,status" || m["status"] != "FREE" {
		t.Fatalf("get_status %v", m)
	}
}

func TestPlatformSecondLinkTakesPushes(t *testing.T) {
	s, base := platWorld(t)
	old := checkedIn(t, base, agent6k)
	nw := dialPlat(t, base, agent6k, "Windows")
	nw.checkin() // its push comes to the new link, as do all later ones
	old.token = nw.token
	if m := old.reply(old.req("change_status", "action", "MAKE_BUSY")); m["code"] != "0" {
		t.Fatalf("the old link can still send: %v", m)
	}
	b := checkedIn(t, base, agent6k4)
	b.reply(b.req("change_status", "action", "FORCE_MAKE_FREE", "operated_agent_id", agent6k))
	nw.expect("push on the new link", isPush("FREE"))
	// The old link got nothing: its next frame answers its next request.
	if m := old.reply(old.req("ping")); m["msg_type"] != "pong" {
		t.Fatalf("old link %v", m)
	}
	links := s.Links()
	if len(links) != 3 || !links[0].Routed || links[1].Routed {
		t.Fatalf("links %+v", links)
	}
}

func TestPlatformGetTokenAndServiceModeOverWS(t *testing.T) {
	_, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	old := l.token
	m := l.reply(l.req("get_token", "agent_pwd", pwd))
	if m["code"] != "0" || m["msg_type"] != "get_token" || m["token"] == old || !hex32.MatchString(m["token"].(string)) {
		t.Fatalf("get_token %v", m)
	}
	if m := l.reply(l.req("get_token", "agent_pwd", "x", "token", m["token"])); m["code"] != "4004" || m["reply"] != true {
		t.Fatalf("get_token with a bad password %v", m)
	}
	l.token = old // replaced: the next frame is refused
	l.send(l.req("ping"))
	if r := l.next(); r["code"] != "4003" {
		t.Fatalf("ping with the replaced token %v", r)
	}
	l = checkedIn(t, base, agent6k)
	if m := l.reply(l.req("toggle_service_mode", "service_mode", 1)); m["code"] != "4003" || m["msg"] != "坐席服务模式未变化!" {
		t.Fatalf("toggle to the same mode %v", m)
	}
	if m := l.reply(l.req("toggle_service_mode", "service_mode", 2)); m["code"] != "0" || m["service_mode"] != 2.0 {
		t.Fatalf("toggle %v", m)
	}
	if m := l.next2(l.req("toggle_service_mode")); keys(m) != "code,msg" || m["msg"] != "[service_mode]不能为空!" {
		t.Fatalf("toggle without service_mode %v", m)
	}
}
