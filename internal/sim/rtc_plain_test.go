package sim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx/pbxtest"
)

// rtc_plain_invites: the PBX's INVITEs and re-INVITEs carry neither
// X-CC-UUID nor the auto-answer hint; the call goes on as usual once the
// agent answers (the PBX still knows its leg by the CTI uuid).
func TestRTCPlainInvites(t *testing.T) {
	cfg := specConfig()
	cfg.Timings = Timings{}
	cfg.RTCPlainInvites = BoolPtr(true)
	flog := &lockedBuf{}
	s, base := start(t, cfg, WithFrameLog(flog))
	ws := dial(t, base, http.Header{"LANGUAGE": {"en-US"}})
	rep := roundTrip(t, ws, checkin6010)
	if rep["code"] != "0" {
		t.Fatalf("checkin %v", rep)
	}
	expectFrame(t, ws, "checked in", isChange("FREE", ""))
	ra, _ := url.Parse(rep["rtc_address"].(string))
	w := &rtcWorld{s: s, base: base, ws: ws, agent: pbxtest.NewAgent(t, ra.Host, ra.Hostname(), rtcAgent, agentTone), pwd: rep["ext_pwd"].(string)}
	w.register(t)

	send(t, ws, req6010("call", "call1", "callee_number", "13900000000", "audio", "3", "video", "0"))
	uuid := expectFrame(t, ws, "call reply", isReply("call", "call1", "0"))["uuid"].(string)
	expectFrame(t, ws, "INITIATE", isCallback("CALL", "INITIATE", true))
	expectFrame(t, ws, "ringing", isChange("RINGING", ""))
	c := w.agent.WaitIncoming(ctxT(t, 10*time.Second))
	for _, h := range []string{"X-CC-UUID", "Call-Info", "Alert-Info"} {
		if v := c.Invite.GetHeader(h); v != nil {
			t.Errorf("plain INVITE carries %s: %s", h, v.Value())
		}
	}
	if c.UUID != "" || c.AutoAnswer {
		t.Fatalf("uuid %q auto %v", c.UUID, c.AutoAnswer)
	}
	// Nothing tells the agent to answer: it does, by its own knowledge.
	if err := c.Answer(); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, ws, "calling", isChange("CALLING", ""))
	expectFrame(t, ws, "START_CALL", isCallback("CALL", "START_CALL", true))
	w.waitMedia(t, uuid, "the agent's tone at the PBX", hearsTone)
	agentHears(t, c)

	// Hold: the re-INVITE has no X-CC-UUID either.
	send(t, ws, req6010("hold", "h1", "uuid", uuid, "hold", "1"))
	expectFrame(t, ws, "hold reply", isReply("hold", "h1", "0"))
	expectFrame(t, ws, "held", isChange("CALLING", "HOLD"))
	w.waitMedia(t, uuid, "held", func(m RTCCall) bool { return m.Held })

	send(t, ws, req6010("hangup", "hu1", "uuid", uuid))
	expectFrame(t, ws, "hangup reply", isReply("hangup", "hu1", "0"))
	waitClosed(t, c.Ended(), "the BYE at the agent")

	log := flog.String()
	invites := strings.Count(log, "sip-out") // every message the PBX sent
	if invites == 0 || !strings.Contains(log, "INVITE sip:") {
		t.Fatalf("no SIP in the frame log:\n%s", log)
	}
	if strings.Contains(strings.ToLower(log), "x-cc-uuid") || strings.Contains(log, "answer-after") {
		t.Fatalf("plain mode sent X-CC-UUID or a hint:\n%s", log)
	}
}
