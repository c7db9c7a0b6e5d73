package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/internal/pbx/pbxtest"
	"github.com/gorilla/websocket"
)

// RTC mode end to end: a SIP agent of its own (sipgo + pion, playing 440 Hz)
// checks in over CTI as 090008_6010 (login_type 1), registers at the
// rtc_address check-in gives, and the CTI flows drive its media leg.

const (
	rtcAgent    = "090008_6010"
	agentTone   = 440.0
	checkin6010 = `{"req_id":"c1","msg_type":"checkin","company_code":"090008","agent_id":"090008_6010","agent_pwd":"919191Aa.","start_status":"FREE","os":"Linux"}`
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func send(t *testing.T, ws *websocket.Conn, frame string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

// req6010 builds a request of agent 6010.
func req6010(msgType, reqID string, kv ...string) string {
	o := map[string]string{"req_id": reqID, "msg_type": msgType, "company_code": "090008", "agent_id": rtcAgent}
	for i := 0; i+1 < len(kv); i += 2 {
		o[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(o)
	return string(b)
}

// expectFrame reads the next frame and checks it.
func expectFrame(t *testing.T, ws *websocket.Conn, what string, pred func(map[string]any) bool) map[string]any {
	t.Helper()
	m := read(t, ws)
	if !pred(m) {
		t.Fatalf("%s: got %v", what, m)
	}
	return m
}

func isChange(status, sub string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		s, _ := m["sub_agent_status"].(string)
		return m["msg_type"] == "agent_change" && m[" agent_status"] == status && s == sub
	}
}

func isCallback(action, phase string, success bool) func(map[string]any) bool {
	return func(m map[string]any) bool {
		return m["msg_type"] == " callback" && m["action"] == action && m["phase"] == phase && m["success"] == success
	}
}

func isReply(msgType, reqID, code string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		return strings.TrimSpace(m["msg_type"].(string)) == msgType && m["req_id"] == reqID && m["code"] == code
	}
}

type rtcWorld struct {
	s     *Server
	base  string
	ws    *websocket.Conn
	agent *pbxtest.Agent
	pwd   string
}

// rtcCheckin starts ccsim, checks 6010 in (FREE) and makes its SIP agent
// (not registered yet).
func rtcCheckin(t *testing.T, opts ...Option) *rtcWorld {
	t.Helper()
	cfg := specConfig()
	cfg.Timings = Timings{}
	s, base := start(t, cfg, opts...)
	ws := dial(t, base, http.Header{"LANGUAGE": {"en-US"}})
	rep := roundTrip(t, ws, checkin6010)
	u, _ := url.Parse(base)
	if rep["code"] != "0" || rep["login_type"] != "1" || rep["rtc_address"] != "ws://"+u.Host+"/sip" ||
		rep["ext_id"] != rtcAgent || rep["ext_pwd"] != "Aa123321." {
		t.Fatalf("checkin reply %v", rep)
	}
	expectFrame(t, ws, "checked in", isChange("FREE", ""))
	ra, _ := url.Parse(rep["rtc_address"].(string))
	// As the SDK does: the domain defaults to the host of rtc_address.
	ag := pbxtest.NewAgent(t, ra.Host, ra.Hostname(), rtcAgent, agentTone)
	return &rtcWorld{s: s, base: base, ws: ws, agent: ag, pwd: rep["ext_pwd"].(string)}
}

func (w *rtcWorld) register(t *testing.T) {
	t.Helper()
	res, err := w.agent.Register(ctxT(t, 5*time.Second), w.pwd, 300)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	if err := w.s.WaitAgent(ctxT(t, 5*time.Second), rtcAgent, func(a AgentSnapshot) bool { return a.RTCRegistered }); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode
}

// waitMedia polls GET /admin/rtc/calls/{uuid} until cond holds.
func (w *rtcWorld) waitMedia(t *testing.T, uuid, what string, cond func(RTCCall) bool) RTCCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var c RTCCall
	for {
		c = RTCCall{}
		if code := getJSON(t, w.base+"/admin/rtc/calls/"+uuid, &c); code == http.StatusOK && cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last %+v", what, c)
		}
		<-tick.C
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func hearsTone(c RTCCall) bool {
	return c.AudioRx.Packets > 20 && math.Abs(c.Tone.PeakHz-agentTone) < 5 && c.Tone.PeakRatio > 0.8
}

// agentHears checks the agent side gets the PBX's tone.
func agentHears(t *testing.T, c *pbxtest.Call) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rx, _, _ := c.Stats()
		if rx > 20 {
			tone := pbx.AnalyseTone(c.Recent(pbx.SampleRate/5), pbx.SampleRate)
			if math.Abs(tone.PeakHz-rtcToneHz) < 5 && tone.PeakRatio > 0.8 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent does not hear the PBX's %v Hz tone (rx %d)", rtcToneHz, rx)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func TestRTCOutboundCallDrivesMedia(t *testing.T) {
	w := rtcCheckin(t)
	w.register(t)
	ws := w.ws

	send(t, ws, req6010("call", "call1", "callee_number", "13900000000", "audio", "3", "video", "0"))
	rep := expectFrame(t, ws, "call reply", isReply("call", "call1", "0"))
	uuid := rep["uuid"].(string)
	expectFrame(t, ws, "INITIATE", isCallback("CALL", "INITIATE", true))
	expectFrame(t, ws, "ringing", isChange("RINGING", ""))
	c := w.agent.WaitIncoming(ctxT(t, 10*time.Second))
	if c.UUID != uuid || !c.AutoAnswer {
		t.Fatalf("agent leg INVITE: X-CC-UUID %q (want %q), auto-answer %v", c.UUID, uuid, c.AutoAnswer)
	}
	// The customer is dialled once the agent's leg answered.
	expectFrame(t, ws, "calling", isChange("CALLING", ""))
	sc := expectFrame(t, ws, "START_CALL", isCallback("CALL", "START_CALL", true))
	if sc["uuid"] != uuid {
		t.Fatalf("START_CALL %v", sc)
	}

	// Tones both ways.
	m := w.waitMedia(t, uuid, "the agent's tone at the PBX", hearsTone)
	if m.Ext != rtcAgent || !m.Registered || !m.Answered || m.State != "answered" || m.AudioDir != "sendrecv" ||
		m.Video != -1 || m.AudioTx.Packets == 0 || m.SetupMS <= 0 || m.ToneHz != rtcToneHz {
		t.Fatalf("media snapshot %+v", m)
	}
	agentHears(t, c)
	var list []RTCCall
	if getJSON(t, w.base+"/admin/rtc/calls", &list); len(list) != 1 || list[0].UUID != uuid {
		t.Fatalf("rtc calls %+v", list)
	}

	// DTMF: the CTI request gets its reply; the digits travel on the media
	// leg (RFC 4733, SIP INFO, inband) and the PBX detects them.
	send(t, ws, req6010("dtmf", "d1", "uuid", uuid, "content", "12", "dtmf_type", "3"))
	expectFrame(t, ws, "dtmf reply", isReply("dtmf", "d1", "0"))
	c.QueueDTMF("12", false)
	w.waitMedia(t, uuid, "RFC 4733 digits", func(m RTCCall) bool { return m.Digits == "12" })
	if code, err := c.Info(ctxT(t, 5*time.Second), "5"); err != nil || code != 200 {
		t.Fatalf("INFO: %d %v", code, err)
	}
	c.QueueDTMF("7", true)
	m = w.waitMedia(t, uuid, "INFO and inband digits", func(m RTCCall) bool { return m.Digits == "1257" })
	if modes := fmt.Sprint(m.DTMF[0].Mode, m.DTMF[1].Mode, m.DTMF[2].Mode, m.DTMF[3].Mode); modes != "rfc4733rfc4733infoinband" {
		t.Fatalf("dtmf modes %s (%+v)", modes, m.DTMF)
	}

	// Hold: a re-INVITE puts the leg inactive; media stops both ways.
	send(t, ws, req6010("hold", "h1", "uuid", uuid, "hold", "1"))
	expectFrame(t, ws, "hold reply", func(m map[string]any) bool { return isReply("hold", "h1", "0")(m) && m["hold"] == "1" })
	expectFrame(t, ws, "held", isChange("CALLING", "HOLD"))
	w.waitMedia(t, uuid, "media stopped on hold", func(m RTCCall) bool {
		return m.Held && m.AudioRx.LastMSAgo > 300 && m.AudioTx.LastMSAgo > 300
	})
	send(t, ws, req6010("hold", "h2", "uuid", uuid, "hold", "0"))
	expectFrame(t, ws, "unhold reply", func(m map[string]any) bool { return isReply("hold", "h2", "0")(m) && m["hold"] == "0" })
	expectFrame(t, ws, "unheld", isChange("CALLING", ""))
	w.waitMedia(t, uuid, "media again after unhold", func(m RTCCall) bool {
		return !m.Held && m.AudioRx.LastMSAgo >= 0 && m.AudioRx.LastMSAgo < 100 && m.AudioTx.LastMSAgo < 100 && hearsTone(m)
	})

	// change_media: video added by a re-INVITE.
	send(t, ws, req6010("change_media", "cm1", "uuid", uuid, "audio", "3", "video", "3", "pixels", "720"))
	expectFrame(t, ws, "change_media reply", isReply("change_media", "cm1", "0"))
	expectFrame(t, ws, "CHANGE_MEDIA INITIATE", isCallback("CHANGE_MEDIA", "INITIATE", true))
	expectFrame(t, ws, "CHANGE_MEDIA START_CALL", isCallback("CHANGE_MEDIA", "START_CALL", true))
	w.waitMedia(t, uuid, "video both ways", func(m RTCCall) bool {
		return m.Video == 3 && m.VideoDir == "sendrecv" && m.VideoRx.Packets > 2 && m.VideoTx.Packets > 2
	})

	// The agent hangs up over CTI: BYE to its leg.
	send(t, ws, req6010("hangup", "hu1", "uuid", uuid))
	expectFrame(t, ws, "hangup reply", isReply("hangup", "hu1", "0"))
	expectFrame(t, ws, "END_CALL", isCallback("CALL", "END_CALL", true))
	expectFrame(t, ws, "arrange", isChange("ARRANGE", ""))
	expectFrame(t, ws, "free", isChange("FREE", ""))
	waitClosed(t, c.Ended(), "the BYE at the agent")
	if by := c.EndedBy(); by != "pbx" {
		t.Fatalf("agent leg ended by %q", by)
	}
	m = w.waitMedia(t, uuid, "ended", func(m RTCCall) bool { return m.State == "ended" })
	if m.EndBy != "pbx" || m.EndCode != 200 {
		t.Fatalf("end %+v", m)
	}
	if sn, _ := w.s.Agent(rtcAgent); sn.RTCUUID != "" || sn.Status != "FREE" {
		t.Fatalf("agent after hangup %+v", sn)
	}
}

func TestRTCInboundRingsAndCTIAnswerWaitsForSIP(t *testing.T) {
	w := rtcCheckin(t)
	w.register(t)
	w.agent.SetRingOnly(true)
	ws := w.ws

	uuid, agentID, err := w.s.Inbound(InboundCall{CompanyCode: "090008", AgentID: rtcAgent, CallerNumber: "13800001111", CalleeNumber: "4008001000"})
	if err != nil || agentID != rtcAgent {
		t.Fatal(agentID, err)
	}
	expectFrame(t, ws, "ringing", isChange("RINGING", ""))
	expectFrame(t, ws, "callin", func(m map[string]any) bool { return m["msg_type"] == "callin" && m["uuid"] == uuid })
	c := w.agent.WaitIncoming(ctxT(t, 10*time.Second))
	if c.UUID != uuid || c.AutoAnswer || c.Invite.From().Address.User != "13800001111" {
		t.Fatalf("inbound INVITE: uuid %q auto %v from %v", c.UUID, c.AutoAnswer, c.Invite.From())
	}
	// CTI answer first: it waits for the SIP leg.
	send(t, ws, req6010("answer", "a1", "uuid", uuid))
	if err := w.s.WaitAgent(ctxT(t, 5*time.Second), rtcAgent, func(a AgentSnapshot) bool { return a.LastRequest == "answer" }); err != nil {
		t.Fatal(err)
	}
	if sn, _ := w.s.Agent(rtcAgent); sn.Status != "RINGING" || sn.RTCState != "inviting" {
		t.Fatalf("answered before the SIP leg: %+v", sn)
	}
	if err := c.Answer(); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, ws, "answer reply", isReply("answer", "a1", "0"))
	expectFrame(t, ws, "calling", isChange("CALLING", ""))
	w.waitMedia(t, uuid, "the agent's tone", hearsTone)
	agentHears(t, c)

	// The customer hangs up: BYE to the agent.
	if err := w.s.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, ws, "arrange", isChange("ARRANGE", ""))
	expectFrame(t, ws, "free", isChange("FREE", ""))
	waitClosed(t, c.Ended(), "the BYE at the agent")
	if by := c.EndedBy(); by != "pbx" {
		t.Fatalf("ended by %q", by)
	}
}

func TestRTCInboundSIPAnswerAloneAndAgentBye(t *testing.T) {
	w := rtcCheckin(t)
	w.register(t)
	w.agent.SetRingOnly(true)
	ws := w.ws

	var in struct {
		UUID    string `json:"uuid"`
		AgentID string `json:"agent_id"`
	}
	resp, err := http.Post(w.base+"/admin/inbound", "application/json", strings.NewReader(`{"company_code":"090008","caller_number":"13800002222"}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&in)
	resp.Body.Close()
	if resp.StatusCode != 200 || in.AgentID != rtcAgent {
		t.Fatalf("inbound: %d %+v", resp.StatusCode, in)
	}
	expectFrame(t, ws, "ringing", isChange("RINGING", ""))
	expectFrame(t, ws, "callin", func(m map[string]any) bool { return m["msg_type"] == "callin" && m["uuid"] == in.UUID })
	c := w.agent.WaitIncoming(ctxT(t, 10*time.Second))
	// The SIP answer alone answers the call.
	if err := c.Answer(); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, ws, "calling", isChange("CALLING", ""))
	// A late CTI answer is still a success.
	rep := roundTrip(t, ws, req6010("answer", "a2", "uuid", in.UUID))
	if !isReply("answer", "a2", "0")(rep) {
		t.Fatalf("late answer %v", rep)
	}
	w.waitMedia(t, in.UUID, "the agent's tone", hearsTone)

	// The agent hangs up at the SIP level: the platform ends the call.
	if err := c.Bye(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	ch := expectFrame(t, ws, "arrange", isChange("ARRANGE", ""))
	if ch["reason"] != "agent hung up" {
		t.Fatalf("reason %v", ch)
	}
	expectFrame(t, ws, "free", isChange("FREE", ""))
	m := w.waitMedia(t, in.UUID, "ended", func(m RTCCall) bool { return m.State == "ended" })
	if m.EndBy != "agent" {
		t.Fatalf("end %+v", m)
	}
}

func TestRTCRegistrationAndRefusals(t *testing.T) {
	var log lockedBuf
	w := rtcCheckin(t, WithFrameLog(&log))
	ws := w.ws

	// Wrong password: refused.
	res, err := w.agent.Register(ctxT(t, 5*time.Second), "wrong", 300)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("wrong password: %v %v", res, err)
	}
	var regs []RTCRegistration
	if getJSON(t, w.base+"/admin/rtc/registrations", &regs); len(regs) != 0 {
		t.Fatalf("registrations %+v", regs)
	}
	// Not registered: no call, no inbound.
	rep := roundTrip(t, ws, req6010("call", "c0", "callee_number", "13900000000"))
	if !isReply("call", "c0", "1")(rep) || rep["msg"] != "the agent's extension is not registered" {
		t.Fatalf("call while unregistered %v", rep)
	}
	if _, _, err := w.s.Inbound(InboundCall{CompanyCode: "090008", AgentID: rtcAgent}); err != ErrNotRegistered {
		t.Fatalf("inbound while unregistered: %v", err)
	}

	w.register(t)
	if getJSON(t, w.base+"/admin/rtc/registrations", &regs); len(regs) != 1 || regs[0].Ext != rtcAgent || regs[0].AgentID != rtcAgent {
		t.Fatalf("registrations %+v", regs)
	}

	// The agent refuses its own leg: the call fails.
	w.agent.SetReject(486)
	send(t, ws, req6010("call", "c1", "callee_number", "13900000000"))
	expectFrame(t, ws, "call reply", isReply("call", "c1", "0"))
	expectFrame(t, ws, "INITIATE", isCallback("CALL", "INITIATE", true))
	expectFrame(t, ws, "ringing", isChange("RINGING", ""))
	end := expectFrame(t, ws, "END_CALL", isCallback("CALL", "END_CALL", false))
	if end["msg"] != "the agent declined the call" {
		t.Fatalf("END_CALL %v", end)
	}
	expectFrame(t, ws, "back to free", isChange("FREE", ""))

	out := log.String()
	for _, want := range []string{"sip-in", "REGISTER sip:", "Authorization: ***", "SIP/2.0 403", "INVITE sip:", "X-CC-UUID: ", "sdp: audio sendrecv"} {
		if !strings.Contains(out, want) {
			t.Fatalf("frame log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Digest username") || strings.Contains(out, "Aa123321.") {
		t.Fatalf("secrets in the frame log:\n%s", out)
	}
}

// A consultation from a softphone agent rings an RTC agent's phone with the
// consult leg's uuid; its SIP answer answers the leg. An RTC supervisor's
// eavesdrop gets an auto-answered, listen-only leg of its own.
func TestRTCConsultLegAndSupervisorLeg(t *testing.T) {
	cfg := specConfig()
	cfg.Timings = Timings{}
	for i, a := range cfg.Companies[0].Agents {
		if a.AgentID == "090008_6001" {
			cfg.Companies[0].Agents[i].LoginType = "1"
		}
	}
	s, base := start(t, cfg)
	u, _ := url.Parse(base)

	// 6010 (RTC) and 6001 (RTC supervisor) check in and register.
	type party struct {
		ws    *websocket.Conn
		agent *pbxtest.Agent
	}
	join := func(id string) party {
		ws := dial(t, base, http.Header{"LANGUAGE": {"en-US"}})
		rep := roundTrip(t, ws, fmt.Sprintf(`{"req_id":"c","msg_type":"checkin","company_code":"090008","agent_id":%q,"agent_pwd":"919191Aa.","start_status":"FREE","os":"Linux"}`, id))
		if rep["code"] != "0" || rep["rtc_address"] != "ws://"+u.Host+"/sip" {
			t.Fatalf("checkin %s: %v", id, rep)
		}
		expectFrame(t, ws, "free", isChange("FREE", ""))
		ag := pbxtest.NewAgent(t, u.Host, u.Hostname(), id, agentTone)
		if res, err := ag.Register(ctxT(t, 5*time.Second), rep["ext_pwd"].(string), 300); err != nil || res.StatusCode != 200 {
			t.Fatalf("register %s: %v %v", id, res, err)
		}
		return party{ws, ag}
	}
	b := join(rtcAgent)
	sup := join("090008_6001")
	b.agent.SetRingOnly(true)

	// 6000 (softphone) takes an inbound call and consults 6010.
	a := dial(t, base, nil)
	roundTrip(t, a, `{"req_id":"c","msg_type":"checkin","company_code":"090008","agent_id":"090008_6000","agent_pwd":"919191Aa.","start_status":"FREE","os":"Windows"}`)
	read(t, a)
	uuid, _, err := s.Inbound(InboundCall{CompanyCode: "090008", AgentID: "090008_6000"})
	if err != nil {
		t.Fatal(err)
	}
	read(t, a) // RINGING
	read(t, a) // callin
	if rep := roundTrip(t, a, fmt.Sprintf(`{"req_id":"an","msg_type":"answer","company_code":"090008","agent_id":"090008_6000","uuid":%q}`, uuid)); rep["code"] != "0" {
		t.Fatalf("answer %v", rep)
	}
	read(t, a) // CALLING
	rep := roundTrip(t, a, fmt.Sprintf(`{"req_id":"co","msg_type":"consult","company_code":"090008","agent_id":"090008_6000","uuid":%q,"type":"1","consult_type":"0","consult_number":%q}`, uuid, rtcAgent))
	consultUUID, _ := rep["consult_uuid"].(string)
	if rep["code"] != "0" || consultUUID == "" {
		t.Fatalf("consult %v", rep)
	}
	expectFrame(t, b.ws, "ringing", isChange("RINGING", ""))
	expectFrame(t, b.ws, "callin", func(m map[string]any) bool { return m["msg_type"] == "callin" && m["uuid"] == consultUUID })
	c := b.agent.WaitIncoming(ctxT(t, 10*time.Second))
	if c.UUID != consultUUID || c.AutoAnswer {
		t.Fatalf("consult INVITE uuid %q auto %v", c.UUID, c.AutoAnswer)
	}
	if err := c.Answer(); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, b.ws, "consult answered", isChange("CALLING", "CONSULT"))
	w := &rtcWorld{s: s, base: base}
	w.waitMedia(t, consultUUID, "the consulted agent's tone", hearsTone)

	// The consultation is cancelled: BYE to 6010's leg.
	send(t, a, `{"req_id":"cc","msg_type":"consult","company_code":"090008","agent_id":"090008_6000","type":"2"}`)
	if rep := untilReply(t, a, "cc"); rep["code"] != "0" {
		t.Fatalf("consult cancel %v", rep)
	}
	waitClosed(t, c.Ended(), "BYE to the consulted agent")

	// The RTC supervisor eavesdrops on 6000: its own leg, auto-answered,
	// listen-only.
	send(t, sup.ws, `{"req_id":"ev","msg_type":"eavesdrop","company_code":"090008","agent_id":"090008_6001","operated_agent_id":"090008_6000"}`)
	expectFrame(t, sup.ws, "eavesdrop reply", isReply("eavesdrop", "ev", "0"))
	ini := expectFrame(t, sup.ws, "INITIATE", isCallback("EAVESDROP", "INITIATE", true))
	expectFrame(t, sup.ws, "supervisor calling", isChange("CALLING", "EAVESDROP"))
	sc := sup.agent.WaitIncoming(ctxT(t, 10*time.Second))
	if !sc.AutoAnswer || sc.UUID == "" || sc.UUID == uuid {
		t.Fatalf("supervisor INVITE uuid %q auto %v", sc.UUID, sc.AutoAnswer)
	}
	expectFrame(t, sup.ws, "START_CALL", isCallback("EAVESDROP", "START_CALL", true))
	m := w.waitMedia(t, sc.UUID, "listen-only leg", func(m RTCCall) bool { return m.State == "answered" && m.AudioTx.Packets > 10 })
	if m.AudioDir != "recvonly" || m.AudioRx.Packets != 0 {
		t.Fatalf("eavesdrop leg %+v (initiate %v)", m, ini)
	}
	agentHears(t, sc)
	// The supervisor leaves with a SIP BYE: its leg ends, it returns to FREE.
	if err := sc.Bye(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, sup.ws, "END_CALL", isCallback("EAVESDROP", "END_CALL", true))
	expectFrame(t, sup.ws, "back to free", isChange("FREE", ""))
}

func TestRTCInboundCancelAndTLSAddress(t *testing.T) {
	w := rtcCheckin(t)
	w.register(t)
	w.agent.SetRingOnly(true)
	uuid, _, err := w.s.Inbound(InboundCall{CompanyCode: "090008", AgentID: rtcAgent})
	if err != nil {
		t.Fatal(err)
	}
	c := w.agent.WaitIncoming(ctxT(t, 10*time.Second))
	read(t, w.ws) // RINGING
	read(t, w.ws) // callin
	// The customer gives up while the phone rings: CANCEL.
	if err := w.s.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	expectFrame(t, w.ws, "back to free", isChange("FREE", ""))
	waitClosed(t, c.Ended(), "CANCEL at the agent")
	m := w.waitMedia(t, uuid, "cancelled", func(m RTCCall) bool { return m.State == "ended" })
	if m.EndBy != "pbx" || m.EndCode != 487 || m.Answered {
		t.Fatalf("cancel %+v", m)
	}

	// Over TLS, rtc_address is wss://.
	cfg := specConfig()
	cfg.Timings = Timings{}
	s := New(cfg)
	hs := httptest.NewTLSServer(s)
	t.Cleanup(func() { hs.Close(); s.Close() })
	d := websocket.Dialer{TLSClientConfig: hs.Client().Transport.(*http.Transport).TLSClientConfig}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(hs.URL, "https")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	rep := roundTrip(t, ws, checkin6010)
	if rep["rtc_address"] != "wss"+strings.TrimPrefix(hs.URL, "https")+"/sip" {
		t.Fatalf("TLS rtc_address %v", rep["rtc_address"])
	}
}

// untilReply skips events up to the reply to reqID.
func untilReply(t *testing.T, ws *websocket.Conn, reqID string) map[string]any {
	t.Helper()
	for {
		m := read(t, ws)
		if mt, _ := m["msg_type"].(string); m["req_id"] == reqID && !strings.Contains(mt, "callback") {
			return m
		}
	}
}
