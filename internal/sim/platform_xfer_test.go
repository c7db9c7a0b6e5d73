package sim

import (
	"regexp"
	"testing"
)

// Consult, transfer, three-way and the supervisor actions in the platform
// dialect: callin with the xfer channel to the other agent, the callbacks
// from the answer and hang-up events (START_CALL, then INITIATE, END_CALL
// success true), no supervisor right checked.

func isCallin(channel string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["msg_type"] == "callin" && m["callin_channel"] == channel }
}

// inboundTalking rings agent6k with a customer's call and answers it.
func inboundTalking(t *testing.T, s *Server, l *plink) string {
	t.Helper()
	uuid, _, err := s.Inbound(InboundCall{CompanyCode: co, AgentID: l.agent, CallerNumber: "13700000000"})
	if err != nil {
		t.Fatal(err)
	}
	l.expect("callin", isCallin("CALL_IN"))
	l.expect("RINGING", isPush("RINGING"))
	l.reply(l.req("answer", "uuid", uuid, "audio", 3, "video", 0))
	l.expect("CALLING", isPush("CALLING"))
	return uuid
}

func TestPlatformConsult(t *testing.T) {
	s, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	b := checkedIn(t, base, agent6k4)
	uuid := inboundTalking(t, s, a)
	rep := a.reply(a.req("consult", "uuid", uuid, "type", 1, "consult_type", 0, "consult_number", agent6k4))
	cu, _ := rep["consult_uuid"].(string)
	if rep["code"] != "0" || rep["msg"] != "发起咨询成功!" || !regexp.MustCompile(`^consult-[0-9a-f]{32}$`).MatchString(cu) {
		t.Fatalf("consult reply %v", rep)
	}
	ci := b.expect("callin", isCallin("CONSULT"))
	if ci["uuid"] != cu || ci["caller_number"] != "090008_5000" {
		t.Fatalf("consult callin %v", ci)
	}
	if p := b.expect("RINGING", isPush("RINGING")); p["reason"] != "CONSULT" {
		t.Fatalf("RINGING %v", p)
	}
	b.reply(b.req("answer", "uuid", cu, "audio", 3, "video", 0))
	if p := b.expect("CALLING/CONSULT", isPush("CALLING")); p["sub_agent_status"] != "CONSULT" || p["reason"] != "CONSULT" {
		t.Fatalf("consulted push %v", p)
	}
	b.expect("passive INITIATE", func(m map[string]any) bool {
		return isCB("CONSULT", "INITIATE")(m) && m["msg"] == "正在被咨询!"
	})
	a.expect("START_CALL", isCB("CONSULT", "START_CALL"))
	a.expect("INITIATE", func(m map[string]any) bool { return isCB("CONSULT", "INITIATE")(m) && m["msg"] == "咨询成功!" })
	// The consulted agent hangs up: END_CALL (success true) to the
	// initiator, who stays with the customer.
	b.reply(b.req("hangup", "uuid", cu))
	if e := a.expect("END_CALL", isCB("CONSULT", "END_CALL")); e["success"] != true || e["msg"] != "对方已挂断!" {
		t.Fatalf("END_CALL %v", e)
	}
	b.expect("ARRANGE", isPush("ARRANGE"))
	b.expect("FREE", isPush("FREE"))
	if sn, _ := s.Agent(agent6k); sn.Status != "CALLING" || sn.CallUUID != uuid {
		t.Fatalf("initiator after the consult: %+v", sn)
	}
	// Cancel with nothing to cancel: an exception, a bare 4043.
	if m := a.next2(a.req("consult", "uuid", uuid, "type", 2)); keys(m) != "code,msg" || m["code"] != "4043" {
		t.Fatalf("cancel without a consult: %v", m)
	}
}

func TestPlatformBlindTransfer(t *testing.T) {
	s, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	b := checkedIn(t, base, agent6k4)
	uuid := inboundTalking(t, s, a)
	if m := a.reply(a.req("trans", "uuid", uuid, "type", 1, "trans_type", 1, "trans_number", agent6k4)); m["code"] != "0" || m["msg"] != "发起盲转成功!" || m["msg_type"] != "trans" {
		t.Fatalf("trans %v", m)
	}
	a.expect("ARRANGE", isPush("ARRANGE")) // the transferring agent leaves at once
	a.expect("FREE", isPush("FREE"))
	ci := b.expect("callin", isCallin("TRANS"))
	if ci["caller_number"] != "13700000000" {
		t.Fatalf("trans callin %v", ci)
	}
	b.expect("RINGING", isPush("RINGING"))
	b.reply(b.req("answer", "uuid", ci["uuid"], "audio", 3, "video", 0))
	if p := b.expect("CALLING/TRANS", isPush("CALLING")); p["sub_agent_status"] != "TRANS" {
		t.Fatalf("push %v", p)
	}
	b.expect("passive INITIATE", isCB("TRANS", "INITIATE"))
	a.expect("START_CALL", isCB("TRANS", "START_CALL"))
	a.expect("INITIATE", isCB("TRANS", "INITIATE"))
	if err := s.CustomerHangup(ci["uuid"].(string)); err != nil {
		t.Fatal(err)
	}
	b.expect("ARRANGE", isPush("ARRANGE"))
	// Refusals: the target must be FREE; an unknown trans_type.
	if m := a.reply(a.req("trans", "uuid", uuid, "type", 1, "trans_type", 1, "trans_number", agent6k4)); m["code"] != "1" || m["msg"] != "uuid不存在!" {
		t.Fatalf("trans of an ended call %v", m)
	}
}

func TestPlatformThreeWayRefusalCode(t *testing.T) {
	s, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	if m := a.reply(a.req("three_way", "uuid", "x", "three_way_type", 1, "three_way_number", "139")); m["code"] != "4001" {
		t.Fatalf("three_way outside a call: %v", m)
	}
	uuid := inboundTalking(t, s, a)
	m := a.reply(a.req("three_way", "uuid", uuid, "three_way_type", 1, "three_way_number", "13911112222"))
	if m["code"] != "0" || m["msg"] != "发起三方通话成功!" || len(toStrings(m["in_call_numbers"])) != 1 {
		t.Fatalf("three_way %v", m)
	}
	// The outside party answers: START_CALL then INITIATE to the initiator.
	a.expect("START_CALL", isCB("THREE_WAY", "START_CALL"))
	a.expect("INITIATE", isCB("THREE_WAY", "INITIATE"))
}

func TestPlatformSupervisorWithoutRights(t *testing.T) {
	s, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	sup := checkedIn(t, base, agent6k4) // not a supervisor in the config
	uuid := inboundTalking(t, s, a)
	m := sup.reply(sup.req("eavesdrop", "operated_agent_id", agent6k, "operated_ext_id", "090008_5000"))
	eu, _ := m["uuid"].(string)
	if m["code"] != "0" || m["msg"] != "发起监听成功!" || !regexp.MustCompile(`^eavesdrop-[0-9a-f]{32}$`).MatchString(eu) {
		t.Fatalf("eavesdrop %v", m)
	}
	if p := sup.expect("RINGING", isPush("RINGING")); p["reason"] != "EAVESDROP" || p["uuid"] != eu {
		t.Fatalf("supervisor RINGING %v", p)
	}
	sup.expect("CALLING/EAVESDROP", func(m map[string]any) bool {
		return isPush("CALLING")(m) && m["sub_agent_status"] == "EAVESDROP"
	})
	sup.expect("INITIATE", func(m map[string]any) bool { return isCB("EAVESDROP", "INITIATE")(m) && m["msg"] == "监听成功!" })
	a.expect("monitored", func(m map[string]any) bool { return isCB("EAVESDROP", "INITIATE")(m) && m["msg"] == "正在被监听!" })
	// The supervisor leaves: END_CALL to the monitored agent; its call goes on.
	sup.reply(sup.req("hangup", "uuid", eu))
	a.expect("END_CALL", isCB("EAVESDROP", "END_CALL"))
	sup.expect("ARRANGE", isPush("ARRANGE"))
	sup.expect("back", isPush("FREE"))
	if sn, _ := s.Agent(agent6k); sn.CallUUID != uuid {
		t.Fatalf("monitored agent lost its call: %+v", sn)
	}
	// force_call refusals say 4001; supervising an agent not in a call.
	if m := sup.reply(sup.req("force_call", "operated_agent_id", agent6k1, "operated_ext_id", agent6k1)); m["code"] != "4001" || m["msg"] != "坐席: 090008_6001, 未签入!" {
		t.Fatalf("force_call %v", m)
	}
}

func TestPlatformInterruptRinging(t *testing.T) {
	s, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	sup := checkedIn(t, base, agent6k4)
	if _, _, err := s.Inbound(InboundCall{CompanyCode: co, AgentID: agent6k}); err != nil {
		t.Fatal(err)
	}
	a.expect("callin", isCallin("CALL_IN"))
	a.expect("RINGING", isPush("RINGING"))
	if m := sup.reply(sup.req("interrupt_call", "operated_agent_id", agent6k, "operated_ext_id", "090008_5000")); m["code"] != "0" || m["msg"] != "强拆成功!" {
		t.Fatalf("interrupt_call on RINGING: %v", m)
	}
	a.expect("back to FREE", isPush("FREE"))
	if m := sup.reply(sup.req("interrupt_call", "operated_agent_id", agent6k, "operated_ext_id", "090008_5000")); m["code"] != "1" || m["msg"] != "坐席未处于振铃中或通话中状态, 强拆失败!" {
		t.Fatalf("interrupt_call on FREE: %v", m)
	}
	if m := sup.reply(sup.req("interrupt_call", "operated_agent_id", agent6k1, "operated_ext_id", agent6k1)); m["code"] != "400" {
		t.Fatalf("interrupt_call on an agent never checked in: %v", m)
	}
}

func TestPlatformInlineCall(t *testing.T) {
	_, base := platWorld(t)
	a := checkedIn(t, base, agent6k)
	b := checkedIn(t, base, agent6k4)
	rep := a.reply(a.req("call", "callee_number", agent6k4, "out_line", 0, "audio", 3, "video", 0))
	uuid := rep["uuid"].(string)
	a.expect("RINGING", isPush("RINGING"))
	a.expect("CALLING", isPush("CALLING"))
	a.expect("INITIATE", isCB("CALL", "INITIATE"))
	ci := b.expect("callin CALL", isCallin("CALL"))
	if ci["uuid"] != "B-"+uuid {
		t.Fatalf("callee callin %v", ci)
	}
	b.expect("RINGING", isPush("RINGING"))
	b.reply(b.req("answer", "uuid", ci["uuid"], "audio", 3, "video", 0))
	b.expect("CALLING", isPush("CALLING"))
	if st := a.expect("START_CALL", isCB("CALL", "START_CALL")); st["peer_uuid"] != "B-"+uuid {
		t.Fatalf("START_CALL %v", st)
	}
}
