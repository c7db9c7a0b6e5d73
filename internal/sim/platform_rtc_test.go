package sim

import (
	"net/url"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx/pbxtest"
)

// RTC agents (login_type 1) in the platform dialect: the agent's leg is
// the SIP call; CALLING follows the SIP answer of the agent's own leg.

// TestPlatformRTCCall runs with the PBX's X-CC-UUID and hints (the platform
// dialect leaves them out by default: TestPlatformInvitesArePlain) so that
// it can check which leg is which.
func TestPlatformRTCCall(t *testing.T) {
	s, base := platWorld(t, func(c *Config) { c.RTCPlainInvites = BoolPtr(false) })
	l := dialPlat(t, base, rtcAgent, "Linux")
	_, rep := l.checkin()
	u, _ := url.Parse(base)
	// The platform's form: FreeSWITCH's registration address, host:port.
	if rep["login_type"] != "1" || rep["rtc_address"] != u.Host || rep["pbx"] != rep["rtc_address"] {
		t.Fatalf("RTC check-in %v", rep)
	}
	ag := pbxtest.NewAgent(t, u.Host, u.Hostname(), rtcAgent, agentTone)
	// Not registered: the extension has no status, calls are refused.
	if m := l.reply(l.req("call", "callee_number", "139", "out_line", 1, "audio", 3, "video", 0)); m["code"] != "1" || m["msg"] != "分机: 090008_6010, 未注册!" {
		t.Fatalf("call before registering: %v", m)
	}
	if res, err := ag.Register(ctxT(t, 5*time.Second), rep["ext_pwd"].(string), 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	waitAgent(t, s, rtcAgent, func(a AgentSnapshot) bool { return a.RTCRegistered && a.ExtStatus == "ONLINE" })

	// Outbound: the agent's leg is an auto-answer INVITE; its SIP answer
	// makes the agent CALLING before the customer answers.
	m := l.reply(l.req("call", "callee_number", "13900000000", "out_line", 1, "audio", 3, "video", 0))
	uuid := m["uuid"].(string)
	l.expect("RINGING", isPush("RINGING"))
	c := ag.WaitIncoming(ctxT(t, 10*time.Second))
	if c.UUID != uuid || !c.AutoAnswer {
		t.Fatalf("INVITE X-CC-UUID %q auto %v, want %q", c.UUID, c.AutoAnswer, uuid)
	}
	l.expect("CALLING on the SIP answer", isPush("CALLING"))
	l.expect("INITIATE", isCB("CALL", "INITIATE"))
	l.expect("START_CALL", isCB("CALL", "START_CALL"))
	l.reply(l.req("hangup", "uuid", uuid))
	waitClosed(t, c.Ended(), "the BYE of the agent's leg")
	l.expect("ARRANGE", isPush("ARRANGE"))
	l.expect("FREE", isPush("FREE"))

	// Inbound: callin, RINGING, a ringing INVITE; the SIP answer alone
	// answers the call.
	in, _, err := s.Inbound(InboundCall{CompanyCode: co, AgentID: rtcAgent})
	if err != nil {
		t.Fatal(err)
	}
	l.expect("callin", isCallin("CALL_IN"))
	l.expect("RINGING", isPush("RINGING"))
	c = ag.WaitIncoming(ctxT(t, 10*time.Second))
	if c.UUID != in || c.AutoAnswer {
		t.Fatalf("inbound INVITE %q auto %v", c.UUID, c.AutoAnswer)
	}
	if err := c.Answer(); err != nil {
		t.Fatal(err)
	}
	l.expect("CALLING", isPush("CALLING"))
	// The agent hangs up by SIP: the same as a CTI hangup.
	if err := c.Bye(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	l.expect("ARRANGE", isPush("ARRANGE"))
	waitAgent(t, s, rtcAgent, func(a AgentSnapshot) bool { return a.CallUUID == "" })
}

func TestPlatformInvitesArePlain(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		set     *bool
		want    bool
	}{
		{DialectPlatform, nil, true}, {DialectSpec, nil, false},
		{DialectPlatform, BoolPtr(false), false}, {DialectSpec, BoolPtr(true), true},
	} {
		c := Config{Dialect: tc.dialect, RTCPlainInvites: tc.set}
		if got := c.plainInvites(); got != tc.want {
			t.Errorf("%s with %v: plain %v, want %v", tc.dialect, tc.set, got, tc.want)
		}
	}
}
