package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// SIP ↔ CTI correlation without X-CC-UUID or hints (correlate.go), with
// ccsim in rtc_plain_invites mode. Where ccsim's flows cannot give the
// order a test needs, its PBX places the leg directly (as the platform's
// FreeSWITCH would) and a callin is pushed as a raw frame.

func plainEnv(t *testing.T) *env {
	return newEnv(t, func(c *sim.Config) { c.RTCPlainInvites = sim.BoolPtr(true) })
}

// pbxLeg rings the agent's extension as the platform's PBX would: no
// X-CC-UUID, no hint.
func pbxLeg(t *testing.T, e *env, uuid string) {
	t.Helper()
	err := e.srv.PBX().Invite(ctxFor(t, 5*time.Second), rtcID, uuid, pbx.InviteOptions{Plain: true, Audio: pbx.DefaultAudio, Caller: "18888888888"})
	if err != nil {
		t.Fatal(err)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pushCallin sends the agent a callin frame for uuid.
func pushCallin(t *testing.T, e *env, uuid string) {
	t.Helper()
	frame := fmt.Sprintf(`{"msg_type":"callin","uuid":%q,"caller_number":"18888888888","callee_number":"4000","callin_channel":"1"}`, uuid)
	if err := e.srv.Fault(sim.FaultSpec{AgentID: rtcID, Kind: "malformed", Payload: frame}); err != nil {
		t.Fatal(err)
	}
}

// noAnswer checks the leg is still not answered after a while (an
// absence: it needs the wait).
func noAnswer(t *testing.T, e *env, uuid string) {
	t.Helper()
	time.Sleep(400 * time.Millisecond)
	if sn, err := e.srv.PBX().Snapshot(uuid); err != nil || !sn.AnsweredAt.IsZero() {
		t.Fatalf("leg %s answered (%v): %+v", uuid, err, sn)
	}
}

// The INVITE comes before the callin, or after it; or no callin comes and
// the app answers a uuid the phone has not seen: each time the one
// ringing leg gets the CTI uuid, and answer answers it.
func TestRTCCorrelateCallinAndAnswer(t *testing.T) {
	e := plainEnv(t)
	a := e.rtcAgent(t, func(c *Config) { c.RTCDefaultSource = "tone:440" })
	a.checkinRTC(protocol.StatusFree)
	a.registered()

	// INVITE first: rings with no uuid; the callin ties it.
	pbxLeg(t, e, "call-invite-first")
	waitSDK(a, "ringing without uuid", func(ev *RTCCallEvent) bool { return ev.State == "ringing" && ev.UUID == "" })
	pushCallin(t, e, "call-invite-first")
	ring := waitSDK(a, "ringing with the callin's uuid", func(ev *RTCCallEvent) bool {
		return ev.State == "ringing" && ev.UUID == "call-invite-first"
	})
	if ring.UUIDFrom != "callin" || ring.AutoAnswer || ring.Reason != "uuid from callin" {
		t.Fatalf("re-reported ringing %+v", ring)
	}
	answerSIP(t, e, a, "call-invite-first")

	// Callin first: the INVITE rings with the uuid at once.
	pushCallin(t, e, "call-callin-first")
	waitFor(t, "the callin seen", func() bool {
		for {
			select {
			case ev := <-a.evs:
				if ci, ok := ev.(*protocol.CallinEvent); ok && ci.UUID == "call-callin-first" {
					return true
				}
			default:
				return false
			}
		}
	})
	pbxLeg(t, e, "call-callin-first")
	ring = a.callState("call-callin-first", "ringing")
	if ring.UUIDFrom != "callin" || ring.Reason != "" {
		t.Fatalf("ringing %+v", ring)
	}
	answerSIP(t, e, a, "call-callin-first")

	// No callin at all: answer's uuid goes to the one ringing call.
	pbxLeg(t, e, "call-no-callin")
	waitSDK(a, "ringing without uuid", func(ev *RTCCallEvent) bool { return ev.State == "ringing" && ev.UUID == "" })
	answerSIP(t, e, a, "call-no-callin")
	if c := a.Phone().CallByUUID("call-no-callin"); c == nil {
		t.Fatal("the answered call has not the answer's uuid")
	}
	for _, u := range []string{"call-invite-first", "call-callin-first", "call-no-callin"} {
		if err := e.srv.PBX().Hangup(ctxFor(t, 5*time.Second), u); err != nil {
			t.Fatal(err)
		}
		a.callState(u, "ended")
	}
}

// answerSIP sends answer for uuid (ccsim knows no such CTI call and says
// so; what matters is the SIP side) and checks the leg is answered with
// the tone both ways.
func answerSIP(t *testing.T, e *env, a *rtcAgent, uuid string) {
	t.Helper()
	_, _ = a.Do(context.Background(), &protocol.AnswerRequest{UUID: uuid, Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
	if err := e.srv.PBX().WaitAnswered(ctxFor(t, 5*time.Second), uuid); err != nil {
		t.Fatalf("%s: %v", uuid, err)
	}
	a.callState(uuid, "answered")
	waitMedia(t, e, uuid, "the agent's tone", hears(440))
	a.pcm = nil
	a.agentHears(uuid)
}

// play_record without uuid: the platform calls the agent. The INVITE that
// comes within the window is answered by the SDK and gets the reply's
// uuid, whether it comes after the reply or before it; one that comes
// after the window rings.
func TestRTCOwnLegWindow(t *testing.T) {
	e := plainEnv(t)
	a := e.rtcAgent(t, func(c *Config) { c.RTCAutoAnswerWindow = 1500 * time.Millisecond })
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	playRecord := func() *protocol.PlayRecordReply {
		return do[*protocol.PlayRecordReply](t, a.tagent, &protocol.PlayRecordRequest{FilePath: "/prompts/hello.wav",
			Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
	}

	// INVITE after the reply.
	rep := playRecord()
	pbxLeg(t, e, rep.UUID)
	ans := a.callState(rep.UUID, "answered")
	if !ans.AutoAnswer || ans.UUIDFrom != "request" {
		t.Fatalf("answered %+v", ans)
	}
	if err := e.srv.PBX().WaitAnswered(ctxFor(t, 5*time.Second), rep.UUID); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.PBX().Hangup(ctxFor(t, 5*time.Second), rep.UUID); err != nil {
		t.Fatal(err)
	}
	a.callState(rep.UUID, "ended")

	// INVITE before the reply (the reply held back 600 ms): answered at
	// once, tied to the uuid when the reply comes.
	if err := e.srv.Fault(sim.FaultSpec{AgentID: rtcID, Kind: "delay", MsgType: "play_record", DelayMS: 600}); err != nil {
		t.Fatal(err)
	}
	got := make(chan *protocol.PlayRecordReply, 1)
	go func() {
		rep, err := a.Do(context.Background(), &protocol.PlayRecordRequest{FilePath: "/prompts/hello.wav",
			Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
		if err != nil {
			t.Error(err)
		}
		pr, _ := rep.(*protocol.PlayRecordReply)
		got <- pr
	}()
	waitFor(t, "play_record at ccsim", func() bool {
		sn, _ := e.srv.Agent(rtcID)
		return sn.LastRequest == "play_record" && sn.Playing != rep.UUID
	})
	sn, _ := e.srv.Agent(rtcID)
	early := sn.Playing // the uuid ccsim will reply with
	pbxLeg(t, e, early)
	waitSDK(a, "answered before the reply", func(ev *RTCCallEvent) bool { return ev.State == "answered" && ev.UUID == "" && ev.AutoAnswer })
	late := <-got
	if late == nil || late.UUID != early {
		t.Fatalf("reply %+v, want uuid %s", late, early)
	}
	bound := waitSDK(a, "re-reported with the reply's uuid", func(ev *RTCCallEvent) bool { return ev.UUID == early })
	if bound.UUIDFrom != "request" || bound.Reason != "uuid from request" {
		t.Fatalf("bound %+v", bound)
	}
	if err := e.srv.Fault(sim.FaultSpec{AgentID: rtcID, Kind: "clear"}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.PBX().Hangup(ctxFor(t, 5*time.Second), early); err != nil {
		t.Fatal(err)
	}
	a.callState(early, "ended")

	// After the window: rings, not answered.
	rep = playRecord()
	time.Sleep(1700 * time.Millisecond) // past the 1.5 s window
	pbxLeg(t, e, rep.UUID)
	ring := waitSDK(a, "ringing", func(ev *RTCCallEvent) bool { return ev.State == "ringing" })
	if ring.AutoAnswer || ring.UUID != "" {
		t.Fatalf("late INVITE %+v", ring)
	}
	noAnswer(t, e, rep.UUID)
}

// The policy: "hints" and "off" leave the agent's own leg ringing (plain
// INVITE, and an INVITE with the hint under "off").
func TestRTCAutoAnswerPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy string
		plain  bool
	}{{AutoAnswerHints, true}, {AutoAnswerOff, false}} {
		t.Run(fmt.Sprintf("%s plain=%v", tc.policy, tc.plain), func(t *testing.T) {
			e := newEnv(t, func(c *sim.Config) { c.RTCPlainInvites = sim.BoolPtr(tc.plain) })
			a := e.rtcAgent(t, func(c *Config) { c.RTCAutoAnswer = tc.policy })
			a.checkinRTC(protocol.StatusFree)
			a.registered()
			rep := do[*protocol.CallReply](t, a.tagent, &protocol.CallRequest{CalleeNumber: "13107618845", OutLine: protocol.Ptr(protocol.OutLineExternal),
				Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
			a.cb(protocol.CbCall, protocol.PhaseInitiate)
			a.status(protocol.StatusRinging, "")
			ring := a.callState(rep.UUID, "ringing")
			if ring.AutoAnswer {
				t.Fatalf("ringing %+v", ring)
			}
			noAnswer(t, e, rep.UUID)
			// The app answers it itself.
			if c := a.Phone().CallByUUID(rep.UUID); c == nil {
				t.Fatal("no call by the uuid")
			} else if err := c.Answer(context.Background(), rtc.AnswerOptions{}); err != nil {
				t.Fatal(err)
			}
			a.status(protocol.StatusCalling, "")
			a.cb(protocol.CbCall, protocol.PhaseStartCall)
			hangupToFree(t, a.tagent, rep.UUID, protocol.CbCall)
			a.callState(rep.UUID, "ended")
		})
	}
}

// Bad values of the new keys are refused at New.
func TestRTCCorrelationConfig(t *testing.T) {
	a, err := New(Config{WSURL: "ws://127.0.0.1:1/ws", RTCAutoAnswer: AutoAnswerHints, RTCAutoAnswerWindow: 2 * time.Second,
		RTCMaxCalls: 2, RTCRingTimeout: 30 * time.Second, RTCMaxMessageBytes: 32768, RTCMediaTimeout: 8 * time.Second,
		RTCMediaFailure: "flag"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for _, bad := range []Config{
		{WSURL: "ws://127.0.0.1:1/ws", RTCAutoAnswer: "always"},
		{WSURL: "ws://127.0.0.1:1/ws", RTCMediaFailure: "retry"},
		{WSURL: "ws://127.0.0.1:1/ws", RTCAutoAnswerWindow: -5 * time.Millisecond},
		{WSURL: "ws://127.0.0.1:1/ws", RTCMaxMessageBytes: 100},
	} {
		if a, err := New(bad, nil); err == nil || !errors.Is(err, session.ErrInvalidArgument) {
			if a != nil {
				a.Close()
			}
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// An RTC supervisor's own legs (eavesdrop, whisper, force_call,
// substitute) come as plain INVITEs: the SDK answers each at once because
// the supervisor's request just went out.
func TestRTCSupervisorOwnLegsPlain(t *testing.T) {
	const supID = "090008_6001"
	e := newEnv(t, func(c *sim.Config) {
		c.RTCPlainInvites = sim.BoolPtr(true)
		for i, ag := range c.Companies[0].Agents {
			if ag.AgentID == supID {
				c.Companies[0].Agents[i].LoginType = "1"
			}
		}
	})
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	sup := e.rtcAgent(t, func(c *Config) { c.AgentID = supID })
	sup.id = supID
	sup.checkinRTC(protocol.StatusFree)
	sup.registered()
	uuid := inboundTo(t, e, a)
	op := protocol.Operated{OperatedAgentID: a.id, OperatedExtID: "090008_5000"}
	for _, tc := range []struct {
		req    protocol.Request
		action protocol.CallbackAction
		sub    protocol.SubStatus
	}{
		{&protocol.EavesdropRequest{Operated: op}, protocol.CbEavesdrop, protocol.SubEavesdrop},
		{&protocol.WhisperRequest{Operated: op}, protocol.CbWhisper, protocol.SubWhisper},
	} {
		do[*protocol.SupervisorReply](t, sup.tagent, tc.req)
		sup.cb(tc.action, protocol.PhaseInitiate)
		sup.status(protocol.StatusCalling, tc.sub)
		ans := waitSDK(sup, "the supervisor's leg answered", func(ev *RTCCallEvent) bool { return ev.State == "answered" })
		if !ans.AutoAnswer {
			t.Fatalf("%s leg: %+v", tc.req.Type(), ans)
		}
		start := sup.cb(tc.action, protocol.PhaseStartCall) // ccsim's START_CALL waits for the SIP answer
		do[*protocol.BasicReply](t, sup.tagent, &protocol.HangupRequest{UUID: start.UUID})
		sup.cb(tc.action, protocol.PhaseEndCall)
		sup.status(protocol.StatusFree, "")
		waitSDK(sup, "the leg ended", func(ev *RTCCallEvent) bool { return ev.State == "ended" && ev.CallID == ans.CallID })
	}
	do[*protocol.SupervisorReply](t, sup.tagent, &protocol.ForceCallRequest{Operated: op})
	sup.cb(protocol.CbForceCall, protocol.PhaseInitiate)
	sup.status(protocol.StatusCalling, protocol.SubForceCall)
	a.status(protocol.StatusCalling, protocol.SubForceCall)
	if ans := waitSDK(sup, "force_call leg answered", func(ev *RTCCallEvent) bool { return ev.State == "answered" }); !ans.AutoAnswer {
		t.Fatalf("force_call leg %+v", ans)
	}
	sup.cb(protocol.CbForceCall, protocol.PhaseStartCall)
	do[*protocol.BasicReply](t, sup.tagent, &protocol.HangupRequest{UUID: uuid})
	sup.cb(protocol.CbForceCall, protocol.PhaseEndCall)
	sup.status(protocol.StatusFree, "")
	a.status(protocol.StatusCalling, "")

	// substitute: the supervisor takes a ringing inbound call; its leg has
	// the call's uuid in ccsim, here tied by the request.
	b := e.agent(t, "090008", "090008_6004", "")
	b.checkin("919191Aa.", protocol.StatusFree)
	in2, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", AgentID: b.id})
	if err != nil {
		t.Fatal(err)
	}
	b.status(protocol.StatusRinging, "")
	b.callin(protocol.ChannelNormal)
	do[*protocol.SupervisorReply](t, sup.tagent, &protocol.SubstituteRequest{Operated: protocol.Operated{OperatedAgentID: b.id}})
	if ans := waitSDK(sup, "substitute leg answered", func(ev *RTCCallEvent) bool { return ev.State == "answered" }); !ans.AutoAnswer {
		t.Fatalf("substitute leg %+v", ans)
	}
	if err := e.srv.PBX().WaitAnswered(ctxFor(t, 5*time.Second), in2); err != nil {
		t.Fatalf("substitute leg at the PBX: %v", err)
	}
}

// Media that does not connect in RTCMediaTimeout (1 ms here: loopback
// ICE and DTLS take longer): rtc_call says media failed with the reason;
// "hangup" then ends the call (BYE, the PBX sees the agent hang up),
// "flag" keeps it, and the late connection clears the connectivity view.
func TestRTCMediaFailurePolicyAgent(t *testing.T) {
	for _, policy := range []string{"hangup", "flag"} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.rtcAgent(t, func(c *Config) { c.RTCMediaTimeout = time.Millisecond; c.RTCMediaFailure = policy })
			a.checkinRTC(protocol.StatusFree)
			a.registered()
			uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
			if err != nil {
				t.Fatal(err)
			}
			a.callState(uuid, "ringing")
			_, _ = a.Do(context.Background(), &protocol.AnswerRequest{UUID: uuid, Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
			f := waitSDK(a, "media failed", func(ev *RTCCallEvent) bool { return ev.UUID == uuid && ev.Media == "failed" })
			if !strings.Contains(f.Reason, "did not connect within 1ms") {
				t.Fatalf("media failed %+v", f)
			}
			switch policy {
			case "hangup":
				end := a.callState(uuid, "ended")
				if !strings.HasPrefix(end.Reason, "media: ") {
					t.Fatalf("ended %+v", end)
				}
				waitMedia(t, e, uuid, "ended by the agent", func(c sim.RTCCall) bool { return c.State == "ended" && c.EndBy == "agent" })
			case "flag":
				waitSDK(a, "connectivity ok once media connected", func(c *ConnectivityEvent) bool {
					return c.State == "ok" && len(c.Calls) == 1 && c.Calls[0].ICE == "connected"
				})
				if c := a.Phone().CallByUUID(uuid); c == nil || c.State() == rtc.CallEnded || c.MediaFailure() != "" {
					t.Fatalf("flagged call: %v", c)
				}
			}
		})
	}
}

// Against ccsim's platform dialect (the real server's shapes: identity in
// the handshake, change_status pushes, the SIP answer is the answer) with
// plain INVITEs, as the real platform is assumed to send them: the own leg
// of call is answered by the SDK and carries the reply's uuid; an inbound
// call is tied by its callin and answered through the answer request; the
// tones go both ways.
func TestRTCPlatformDialectPlain(t *testing.T) {
	e := newDialectEnv(t, sim.DialectPlatform, func(c *sim.Config) { c.RTCPlainInvites = sim.BoolPtr(true) })
	a := e.rtcAgent(t, func(c *Config) { c.RTCDefaultSource = "tone:440" })
	if _, err := a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa.", StartStatus: protocol.StatusFree}); err != nil {
		t.Fatal(err)
	}
	a.registered()

	rep := do[*protocol.CallReply](t, a.tagent, &protocol.CallRequest{CalleeNumber: "13900000000", OutLine: protocol.Ptr(protocol.OutLineExternal),
		Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
	ans := a.callState(rep.UUID, "answered")
	if !ans.AutoAnswer || ans.UUIDFrom != "request" {
		t.Fatalf("own leg %+v", ans)
	}
	waitMedia(t, e, rep.UUID, "the agent's tone at the PBX", hears(440))
	a.agentHears(rep.UUID)
	waitEvent(t, a.tagent, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
	if _, err := a.Do(context.Background(), &protocol.HangupRequest{UUID: rep.UUID}); err != nil {
		t.Fatal(err)
	}
	a.callState(rep.UUID, "ended")

	in, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", AgentID: rtcID})
	if err != nil {
		t.Fatal(err)
	}
	ci := waitEvent(t, a.tagent, "callin", func(c *protocol.CallinEvent) bool { return c.UUID == in })
	ring := a.callState(ci.UUID, "ringing")
	if ring.UUIDFrom != "callin" || ring.AutoAnswer {
		t.Fatalf("ringing %+v", ring)
	}
	r := do[*protocol.BasicReply](t, a.tagent, &protocol.AnswerRequest{UUID: in,
		Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
	if r.Code != "0" {
		t.Fatalf("answer %+v", r)
	}
	a.callState(in, "answered")
	waitMedia(t, e, in, "the agent's tone at the PBX", hears(440))
	a.pcm = nil
	a.agentHears(in)
	waitEvent(t, a.tagent, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
	if err := e.srv.CustomerHangup(in); err != nil {
		t.Fatal(err)
	}
	a.callState(in, "ended")
}

// Which requests make the platform ring the agent's own leg.
func TestOwnLegKind(t *testing.T) {
	for _, tc := range []struct {
		req  protocol.Request
		want bool
	}{
		{&protocol.CallRequest{}, true},
		{&protocol.PreviewOutCallRequest{}, true},
		{&protocol.PlayRecordRequest{FilePath: "a.wav"}, true},
		{&protocol.PlayRecordRequest{FilePath: "a.wav", UUID: "call-1"}, false}, // played into that call
		{&protocol.EavesdropRequest{}, true},
		{&protocol.WhisperRequest{}, true},
		{&protocol.SubstituteRequest{}, true},
		{&protocol.ForceCallRequest{}, true},
		{&protocol.InterruptCallRequest{}, false},
		{&protocol.HangupRequest{}, false},
		{&protocol.AnswerRequest{}, false},
		{&protocol.ThreeWayRequest{}, false},
	} {
		if got := ownLegKind(tc.req); got != tc.want {
			t.Errorf("%s (%+v): %v, want %v", tc.req.Type(), tc.req, got, tc.want)
		}
	}
}
