package agent

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// These tests drive the whole core (agent → session → protocol, httpapi)
// against ccsim's spec dialect, request type by request type, asserting the
// reply and the full event sequence the spec describes (docs/ccsim.md). The
// platform dialect, the server as built, is platform_test.go's.

type env struct {
	srv    *sim.Server
	hs     *httptest.Server
	ws     string
	http   string
	cfgMod func(*Config)
}

// newEnv starts ccsim in the spec dialect.
func newEnv(t *testing.T, mod func(*sim.Config)) *env {
	t.Helper()
	return newDialectEnv(t, sim.DialectSpec, mod)
}

// newDialectEnv starts ccsim in dialect with every call step immediate; ws
// is the URL an agent configures: the platform's ends in "/msg/" (the SDK
// appends the identity), the spec's is "/ws".
func newDialectEnv(t *testing.T, dialect string, mod func(*sim.Config), opts ...sim.Option) *env {
	t.Helper()
	cfg := sim.DefaultConfig()
	dialect, cfg.PushOrder, _ = strings.Cut(dialect, "/") // "platform/push_first": a platform world with that order
	cfg.Dialect = dialect
	cfg.Timings = sim.Timings{} // every step immediate
	if mod != nil {
		mod(&cfg)
	}
	srv := sim.New(cfg, opts...)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	ws := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	if dialect == sim.DialectPlatform {
		ws = "ws" + strings.TrimPrefix(hs.URL, "http") + "/msg/"
	}
	return &env{srv: srv, hs: hs, ws: ws, http: hs.URL}
}

// boundExt is the extension ccsim's demo world binds to agent id (check-in
// needs it: the SDK never invents one).
func boundExt(id string) string {
	for _, co := range sim.DefaultConfig().Companies {
		for _, a := range co.Agents {
			if a.AgentID == id {
				if a.ExtID != "" {
					return a.ExtID
				}
				return a.AgentID
			}
		}
	}
	return ""
}

// tagent is an Agent with its events on a channel.
type tagent struct {
	*Agent
	t   *testing.T
	evs chan session.Event
	id  string
}

func (e *env) agent(t *testing.T, company, id, lang string) *tagent {
	t.Helper()
	ta := &tagent{t: t, evs: make(chan session.Event, 4096), id: id}
	ext := boundExt(id)
	cfg := Config{WSURL: e.ws, HTTPURL: e.http, CompanyCode: company, AgentID: id, ExtID: ext, Language: lang,
		RequestTimeout: 3000 * time.Millisecond, HeartbeatInterval: -1, Reconnect: session.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, LogLevel: "off"}
	if e.cfgMod != nil {
		e.cfgMod(&cfg)
	}
	a, err := New(cfg, func(ev session.Event) { ta.evs <- ev })
	if err != nil {
		t.Fatal(err)
	}
	ta.Agent = a
	t.Cleanup(func() { a.Close() })
	return ta
}

// checkin checks the agent in and consumes its agent_change to the start status.
func (ta *tagent) checkin(pwd string, start protocol.AgentStatus) *protocol.CheckinReply {
	ta.t.Helper()
	rep, err := ta.Session().Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: protocol.Secret(pwd), StartStatus: start})
	if err != nil {
		ta.t.Fatalf("%s checkin: %v", ta.id, err)
	}
	want := start
	if want == "" {
		want = protocol.StatusBusy
	}
	ta.status(want, "")
	return rep
}

// next returns the next server event, skipping the SDK's own events.
func (ta *tagent) next() protocol.Event {
	ta.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ta.evs:
			if pe, ok := ev.(protocol.Event); ok {
				return pe
			}
		case <-timeout:
			ta.t.Fatalf("%s: no event within 5s", ta.id)
			return nil
		}
	}
}

// cb expects the next event to be a callback with this action and phase.
func (ta *tagent) cb(action protocol.CallbackAction, phase protocol.Phase) *protocol.CallbackEvent {
	ta.t.Helper()
	ev := ta.next()
	c, ok := ev.(*protocol.CallbackEvent)
	if !ok || c.Action != action || c.Phase != phase {
		ta.t.Fatalf("%s: got %s, want callback %s %s", ta.id, show(ev), action, phase)
	}
	if !c.Success && phase != protocol.PhaseEndCall {
		ta.t.Fatalf("%s: callback %s %s not successful: %s", ta.id, action, phase, c.Msg)
	}
	return c
}

// status expects the next event to be an agent_change to st (and sub).
func (ta *tagent) status(st protocol.AgentStatus, sub protocol.SubStatus) *protocol.AgentChangeEvent {
	ta.t.Helper()
	ev := ta.next()
	c, ok := ev.(*protocol.AgentChangeEvent)
	if !ok || c.AgentStatus != st || c.SubAgentStatus != sub {
		ta.t.Fatalf("%s: got %s, want agent_change %s/%s", ta.id, show(ev), st, sub)
	}
	return c
}

func (ta *tagent) callin(channel protocol.CallinChannel) *protocol.CallinEvent {
	ta.t.Helper()
	ev := ta.next()
	c, ok := ev.(*protocol.CallinEvent)
	if !ok || c.CallinChannel != channel {
		ta.t.Fatalf("%s: got %s, want callin channel %q", ta.id, show(ev), channel)
	}
	return c
}

// quiet asserts no server event is waiting (after a round trip proves the
// server has sent everything for what came before).
func (ta *tagent) quiet() {
	ta.t.Helper()
	if _, err := ta.Session().Ping(context.Background(), &protocol.PingRequest{}); err != nil {
		ta.t.Fatal(err)
	}
	for {
		select {
		case ev := <-ta.evs:
			if pe, ok := ev.(protocol.Event); ok {
				ta.t.Fatalf("%s: unexpected event %s", ta.id, show(pe))
			}
		default:
			return
		}
	}
}

func show(ev protocol.Event) string {
	if ev == nil {
		return "nothing"
	}
	return string(ev.Type()) + " " + string(ev.Raw())
}

func do[R protocol.Reply](t *testing.T, ta *tagent, req protocol.Request) R {
	t.Helper()
	rep, err := ta.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", ta.id, req.Type(), err)
	}
	r, ok := rep.(R)
	if !ok {
		t.Fatalf("%s %s: reply %T", ta.id, req.Type(), rep)
	}
	return r
}

func refused(t *testing.T, ta *tagent, req protocol.Request, msgPart string) {
	t.Helper()
	_, err := ta.Do(context.Background(), req)
	var se *protocol.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("%s %s: err = %v, want a refusal", ta.id, req.Type(), err)
	}
	if msgPart != "" && !strings.Contains(se.Msg, msgPart) {
		t.Fatalf("%s %s: refusal msg %q, want it to mention %q", ta.id, req.Type(), se.Msg, msgPart)
	}
}

// outboundCall places a call from a and walks it to CALLING.
func outboundCall(t *testing.T, a *tagent, from protocol.AgentStatus) string {
	t.Helper()
	rep := do[*protocol.CallReply](t, a, &protocol.CallRequest{CalleeNumber: "13107618845", OutLine: protocol.Ptr(protocol.OutLineExternal),
		Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}, WorkOrderID: "wo-42"})
	if rep.UUID == "" {
		t.Fatal("call reply has no uuid")
	}
	init := a.cb(protocol.CbCall, protocol.PhaseInitiate)
	if init.ReqID != rep.ReqID {
		t.Fatalf("callback req_id %q, want the call's %q", init.ReqID, rep.ReqID)
	}
	if ch := a.status(protocol.StatusRinging, ""); ch.LastAgentStatus != from {
		t.Fatalf("ringing from %s, want %s", ch.LastAgentStatus, from)
	}
	a.status(protocol.StatusCalling, "")
	start := a.cb(protocol.CbCall, protocol.PhaseStartCall)
	if start.PeerUUID == "" || start.WorkOrderID != "wo-42" || start.Audio == nil || *start.Audio != protocol.MediaSendRecv {
		t.Fatalf("START_CALL %+v", start)
	}
	return rep.UUID
}

func hangupToFree(t *testing.T, a *tagent, uuid string, action protocol.CallbackAction) {
	t.Helper()
	do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: uuid})
	if action != "" {
		a.cb(action, protocol.PhaseEndCall)
	}
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
}

func TestCheckinCheckoutAndToken(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	rep := a.checkin("919191Aa.", "")
	if rep.ExtID != "090008_5000" || rep.Token == "" || rep.LoginType != protocol.LoginSoftphone || rep.Type() != protocol.MsgCheckin {
		t.Fatalf("checkin reply %+v", rep)
	}
	// The token reaches the HTTP interface.
	list, err := a.GetSkillServiceList(context.Background(), "", "")
	if err != nil || len(list.Data) == 0 {
		t.Fatalf("skills: %v %+v", err, list)
	}
	do[*protocol.BasicReply](t, a, &protocol.CheckoutRequest{})
	a.status(protocol.StatusOffline, "")
	if _, err := a.GetIVRServiceList(context.Background(), "", ""); err == nil {
		t.Fatal("token still valid after checkout")
	}
}

func TestCheckinWrongPasswordInEnglish(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "en-US")
	_, err := a.Session().Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "nope"})
	var se *protocol.ServerError
	if !errors.As(err, &se) || se.Msg != "wrong password" {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Fatal("password in the error")
	}
}

func TestGetTokenHTTP(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "90001", "90001_20000", "")
	rep, err := a.GetToken(context.Background(), &protocol.GetTokenRequest{AgentPwd: "11111"})
	if err != nil || rep.Token == "" {
		t.Fatalf("get-token: %v %+v", err, rep)
	}
	ivr, err := a.GetIVRServiceList(context.Background(), "", "满意")
	if err != nil || len(ivr.Data) != 1 || ivr.Data[0].IVRServiceName != "满意度调查" {
		t.Fatalf("ivr list: %v %+v", err, ivr)
	}
	if _, err := a.GetToken(context.Background(), &protocol.GetTokenRequest{AgentPwd: "bad"}); err == nil {
		t.Fatal("get-token with a wrong password succeeded")
	}
}

func TestStatusActions(t *testing.T) {
	e := newEnv(t, func(c *sim.Config) { c.Timings.RestMinuteMS = 1 })
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", "")
	r := do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeFree})
	if r.Action != protocol.ActionMakeFree || r.LastAgentStatus != protocol.StatusBusy || r.AgentStatus != protocol.StatusFree {
		t.Fatalf("reply %+v", r)
	}
	a.status(protocol.StatusFree, "")
	do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeRest, RestMin: "1"})
	a.status(protocol.StatusRest, "")
	a.status(protocol.StatusFree, "") // rest is over after rest_min
	// An after-call action needs a call.
	refused(t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusyAfterCallStop}, "")
	uuid := outboundCall(t, a, protocol.StatusFree)
	do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusyAfterCallStop})
	do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: uuid})
	a.cb(protocol.CbCall, protocol.PhaseEndCall)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusBusy, "") // as asked, not FREE
	refused(t, a, &protocol.ChangeStatusRequest{Action: "JUMP"}, "")
	do[*protocol.ServiceModeReply](t, a, &protocol.ToggleServiceModeRequest{ServiceMode: protocol.ServiceOutbound})
	refused(t, a, &protocol.ToggleServiceModeRequest{ServiceMode: 7}, "")
	a.quiet()
}

func TestCheckoutAfterCallStop(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	uuid := outboundCall(t, a, protocol.StatusFree)
	refused(t, a, &protocol.CheckoutRequest{}, "") // not during a call
	do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionCheckoutAfterCallStop})
	do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: uuid})
	a.cb(protocol.CbCall, protocol.PhaseEndCall)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusOffline, "")
}

func TestOutboundCallFullSequence(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", "")
	uuid := outboundCall(t, a, protocol.StatusBusy)
	// Requests on the call.
	h := do[*protocol.HoldReply](t, a, &protocol.HoldRequest{UUID: uuid, Hold: true})
	if !h.Hold {
		t.Fatalf("hold reply %+v", h)
	}
	a.status(protocol.StatusCalling, protocol.SubHold)
	do[*protocol.HoldReply](t, a, &protocol.HoldRequest{UUID: uuid, Hold: false})
	a.status(protocol.StatusCalling, "")
	do[*protocol.BasicReply](t, a, &protocol.DTMFRequest{UUID: uuid, Content: "12#"})
	refused(t, a, &protocol.DTMFRequest{UUID: uuid, Content: "12x"}, "")
	if sn, _ := e.srv.Agent(a.id); sn.DTMF != "12#" {
		t.Fatalf("server got DTMF %q", sn.DTMF)
	}
	do[*protocol.ChangeMediaReply](t, a, &protocol.ChangeMediaRequest{UUID: uuid,
		Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaSendRecv), Pixels: "720"}})
	c0 := a.cb(protocol.CbChangeMedia, protocol.PhaseInitiate)
	c1 := a.cb(protocol.CbChangeMedia, protocol.PhaseStartCall)
	if *c0.LastVideo != protocol.MediaNone || *c1.Video != protocol.MediaSendRecv || *c1.ChangeMediaFlag != 1 {
		t.Fatalf("change_media callbacks %+v %+v", c0, c1)
	}
	pr := do[*protocol.PlayRecordReply](t, a, &protocol.PlayRecordRequest{FilePath: "/home/ivr/hello.wav", UUID: uuid,
		Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaNone)}})
	a.status(protocol.StatusCalling, protocol.SubPlayRecord)
	do[*protocol.BasicReply](t, a, &protocol.PlayRecordControlRequest{UUID: pr.UUID, Action: protocol.PlaySeek, SeekValue: protocol.Ptr(1500)})
	do[*protocol.BasicReply](t, a, &protocol.PlayRecordControlRequest{UUID: pr.UUID, Action: protocol.PlayStop})
	a.status(protocol.StatusCalling, "")
	refused(t, a, &protocol.PlayRecordControlRequest{UUID: pr.UUID, Action: protocol.PlayPause}, "")
	hangupToFree(t, a, uuid, protocol.CbCall)
	refused(t, a, &protocol.HoldRequest{UUID: uuid, Hold: true}, "通话不存在")
	a.quiet()
}

func TestPreviewOutCallAndNoAnswer(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	rep := do[*protocol.PreviewOutCallReply](t, a, &protocol.PreviewOutCallRequest{TaskID: "t1", NumberID: "n1", ClientNumber: "10000000000", CurrentTimes: 1})
	a.cb(protocol.CbPreviewOutCall, protocol.PhaseInitiate)
	a.status(protocol.StatusRinging, "")
	end := a.cb(protocol.CbPreviewOutCall, protocol.PhaseEndCall) // a no-answer number
	if end.Success {
		t.Fatal("unanswered call reported success")
	}
	a.status(protocol.StatusFree, "")
	_ = rep
	refused(t, a, &protocol.PreviewOutCallRequest{ClientNumber: "1"}, "")
}

func TestInboundAnswerAndCustomerHangup(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	uuid, who, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", CalleeNumber: "4008001000", FlowData: `{"vip":1}`})
	if err != nil || who != a.id {
		t.Fatalf("inbound: %v %s", err, who)
	}
	a.status(protocol.StatusRinging, "")
	ci := a.callin(protocol.ChannelNormal)
	if ci.UUID != uuid || ci.CallerNumber != "18888888888" || ci.IsVideo == nil || *ci.IsVideo != 0 || ci.FlowData != `{"vip":1}` {
		t.Fatalf("callin %+v", ci)
	}
	do[*protocol.BasicReply](t, a, &protocol.AnswerRequest{UUID: uuid})
	a.status(protocol.StatusCalling, "")
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	a.quiet()
}

// agents checks in the 090008 trio, all FREE.
func agents(t *testing.T, e *env) (a, b, sup *tagent) {
	a = e.agent(t, "090008", "090008_6000", "")
	b = e.agent(t, "090008", "090008_6004", "")
	sup = e.agent(t, "090008", "090008_6001", "")
	for _, x := range []*tagent{a, b, sup} {
		x.checkin("919191Aa.", protocol.StatusFree)
	}
	return
}

func inboundTo(t *testing.T, e *env, a *tagent) string {
	t.Helper()
	uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "13900000000", AgentID: a.id})
	if err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusRinging, "")
	a.callin(protocol.ChannelNormal)
	do[*protocol.BasicReply](t, a, &protocol.AnswerRequest{UUID: uuid})
	a.status(protocol.StatusCalling, "")
	return uuid
}

func TestBlindTransferToAgent(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := inboundTo(t, e, a)
	do[*protocol.BasicReply](t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransBlind, Target: protocol.TransToAgent, TransNumber: b.id})
	a.cb(protocol.CbTrans, protocol.PhaseInitiate)
	b.status(protocol.StatusRinging, "")
	ci := b.callin(protocol.ChannelTrans)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	do[*protocol.BasicReply](t, b, &protocol.AnswerRequest{UUID: ci.UUID, CallinChannel: protocol.ChannelTrans})
	b.status(protocol.StatusCalling, "")
	a.cb(protocol.CbTrans, protocol.PhaseStartCall)
	hangupToFree(t, b, uuid, "")
	a.quiet()
	b.quiet()
}

func TestConsultTransferAndCancel(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := inboundTo(t, e, a)
	// Consultative transfer, cancelled while B rings.
	do[*protocol.BasicReply](t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransConsult, Target: protocol.TransToAgent, TransNumber: b.id})
	a.cb(protocol.CbTrans, protocol.PhaseInitiate)
	b.status(protocol.StatusRinging, "")
	b.callin(protocol.ChannelTrans)
	a.status(protocol.StatusCalling, protocol.SubTrans)
	do[*protocol.BasicReply](t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransCancel, Target: protocol.TransToAgent})
	b.status(protocol.StatusFree, "")
	a.cb(protocol.CbTrans, protocol.PhaseEndCall)
	a.status(protocol.StatusCalling, "")
	// Again, answered this time: the customer moves to B.
	do[*protocol.BasicReply](t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransConsult, Target: protocol.TransToSkill, TransNumber: "1724672524089675778"})
	a.cb(protocol.CbTrans, protocol.PhaseInitiate)
	b.status(protocol.StatusRinging, "")
	ci := b.callin(protocol.ChannelTrans)
	a.status(protocol.StatusCalling, protocol.SubTrans)
	do[*protocol.BasicReply](t, b, &protocol.AnswerRequest{UUID: ci.UUID})
	b.status(protocol.StatusCalling, "")
	a.cb(protocol.CbTrans, protocol.PhaseStartCall)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	a.quiet()
}

func TestTransferToIVRAndRefusals(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := inboundTo(t, e, a)
	refused(t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransBlind, Target: protocol.TransToIVR, TransNumber: "no-such-ivr"}, "")
	refused(t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransBlind, Target: protocol.TransToAgent, TransNumber: "090008_9999"}, "")
	refused(t, a, &protocol.TransRequest{UUID: "call-other", Mode: protocol.TransBlind, Target: protocol.TransToSatisfaction}, "")
	do[*protocol.BasicReply](t, a, &protocol.TransRequest{UUID: uuid, Mode: protocol.TransBlind, Target: protocol.TransToIVR, TransNumber: "ivr-1002"})
	a.cb(protocol.CbTrans, protocol.PhaseInitiate)
	a.cb(protocol.CbTrans, protocol.PhaseStartCall)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	b.quiet()
}

func TestConsultThenConsultToTrans(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := outboundCall(t, a, protocol.StatusFree)
	cr := do[*protocol.ConsultReply](t, a, &protocol.ConsultRequest{UUID: uuid, Mode: protocol.ConsultStart, ConsultType: protocol.PartyInternal, ConsultNumber: b.id})
	if cr.ConsultUUID == "" {
		t.Fatal("no consult_uuid")
	}
	a.cb(protocol.CbConsult, protocol.PhaseInitiate)
	a.status(protocol.StatusCalling, protocol.SubConsult)
	b.status(protocol.StatusRinging, "")
	if ci := b.callin(protocol.ChannelConsult); ci.UUID != cr.ConsultUUID {
		t.Fatalf("consulted callin uuid %s, want %s", ci.UUID, cr.ConsultUUID)
	}
	// B has not answered: transfer straight to B.
	do[*protocol.BasicReply](t, a, &protocol.ConsultToTransRequest{ConsultUUID: cr.ConsultUUID})
	a.cb(protocol.CbConsultToTrans, protocol.PhaseInitiate)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	do[*protocol.BasicReply](t, b, &protocol.AnswerRequest{UUID: cr.ConsultUUID})
	b.status(protocol.StatusCalling, "")
	a.cb(protocol.CbConsultToTrans, protocol.PhaseStartCall)
	hangupToFree(t, b, uuid, "")
}

func TestConsultAnsweredAndCancelled(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := inboundTo(t, e, a)
	cr := do[*protocol.ConsultReply](t, a, &protocol.ConsultRequest{UUID: uuid, Mode: protocol.ConsultStart, ConsultType: protocol.PartyInternal, ConsultNumber: b.id})
	a.cb(protocol.CbConsult, protocol.PhaseInitiate)
	a.status(protocol.StatusCalling, protocol.SubConsult)
	b.status(protocol.StatusRinging, "")
	b.callin(protocol.ChannelConsult)
	do[*protocol.BasicReply](t, b, &protocol.AnswerRequest{UUID: cr.ConsultUUID})
	b.status(protocol.StatusCalling, protocol.SubConsult)
	if c := a.cb(protocol.CbConsult, protocol.PhaseStartCall); c.UUID != uuid {
		t.Fatalf("callback uuid %s", c.UUID)
	}
	do[*protocol.ConsultReply](t, a, &protocol.ConsultRequest{UUID: uuid, Mode: protocol.ConsultCancel})
	b.status(protocol.StatusArrange, "")
	b.status(protocol.StatusFree, "")
	a.cb(protocol.CbConsult, protocol.PhaseEndCall)
	a.status(protocol.StatusCalling, "")
	// External consult: the outside number answers by itself.
	do[*protocol.ConsultReply](t, a, &protocol.ConsultRequest{UUID: uuid, Mode: protocol.ConsultStart, ConsultType: protocol.PartyExternal, ConsultNumber: "13500000000"})
	a.cb(protocol.CbConsult, protocol.PhaseInitiate)
	a.status(protocol.StatusCalling, protocol.SubConsult)
	a.cb(protocol.CbConsult, protocol.PhaseStartCall)
	hangupToFree(t, a, uuid, "")
}

func TestThreeWay(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := agents(t, e)
	uuid := inboundTo(t, e, a)
	r := do[*protocol.ThreeWayReply](t, a, &protocol.ThreeWayRequest{UUID: uuid, ThreeWayType: protocol.PartyInternal, ThreeWayNumber: b.id})
	if len(r.InCallNumbers) != 1 || r.InCallNumbers[0] != "13900000000" || r.Type() != protocol.MsgThreeWay {
		t.Fatalf("three_way reply %+v", r)
	}
	a.cb(protocol.CbThreeWay, protocol.PhaseInitiate)
	b.status(protocol.StatusRinging, "")
	ci := b.callin(protocol.ChannelThreeWay)
	do[*protocol.BasicReply](t, b, &protocol.AnswerRequest{UUID: ci.UUID})
	if ch := b.status(protocol.StatusCalling, protocol.SubThreeWay); len(ch.InCallNumbers) != 2 {
		t.Fatalf("B in call with %v", ch.InCallNumbers)
	}
	a.status(protocol.StatusCalling, protocol.SubThreeWay)
	a.cb(protocol.CbThreeWay, protocol.PhaseStartCall)
	// The customer hangs up: everyone leaves.
	if err := e.srv.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	b.status(protocol.StatusArrange, "")
	b.status(protocol.StatusFree, "")
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
}

func TestSupervisorEavesdropWhisperForceInterrupt(t *testing.T) {
	e := newEnv(t, nil)
	a, b, sup := agents(t, e)
	uuid := inboundTo(t, e, a)
	op := protocol.Operated{OperatedAgentID: a.id, OperatedExtID: "090008_5000"}
	refused(t, b, &protocol.EavesdropRequest{Operated: op}, "无权限") // not a supervisor
	refused(t, sup, &protocol.EavesdropRequest{Operated: protocol.Operated{OperatedAgentID: b.id}}, "")
	for _, tc := range []struct {
		req    protocol.Request
		action protocol.CallbackAction
		sub    protocol.SubStatus
	}{
		{&protocol.EavesdropRequest{Operated: op}, protocol.CbEavesdrop, protocol.SubEavesdrop},
		{&protocol.WhisperRequest{Operated: op}, protocol.CbWhisper, protocol.SubWhisper},
	} {
		do[*protocol.SupervisorReply](t, sup, tc.req)
		sup.cb(tc.action, protocol.PhaseInitiate)
		sup.status(protocol.StatusCalling, tc.sub)
		start := sup.cb(tc.action, protocol.PhaseStartCall)
		do[*protocol.BasicReply](t, sup, &protocol.HangupRequest{UUID: start.UUID})
		sup.cb(tc.action, protocol.PhaseEndCall)
		sup.status(protocol.StatusFree, "") // back where it was, no after-call work
	}
	do[*protocol.SupervisorReply](t, sup, &protocol.ForceCallRequest{Operated: op})
	sup.cb(protocol.CbForceCall, protocol.PhaseInitiate)
	sup.status(protocol.StatusCalling, protocol.SubForceCall)
	a.status(protocol.StatusCalling, protocol.SubForceCall)
	sup.cb(protocol.CbForceCall, protocol.PhaseStartCall)
	do[*protocol.BasicReply](t, sup, &protocol.HangupRequest{UUID: uuid})
	sup.cb(protocol.CbForceCall, protocol.PhaseEndCall)
	sup.status(protocol.StatusFree, "")
	a.status(protocol.StatusCalling, "")
	do[*protocol.BasicReply](t, sup, &protocol.InterruptCallRequest{Operated: op})
	sup.cb(protocol.CbInterruptCall, protocol.PhaseInitiate)
	a.status(protocol.StatusArrange, "")
	a.status(protocol.StatusFree, "")
	sup.cb(protocol.CbInterruptCall, protocol.PhaseEndCall)
	a.quiet()
	sup.quiet()
}

func TestSupervisorSubstituteAndForcedStatus(t *testing.T) {
	e := newEnv(t, nil)
	a, _, sup := agents(t, e)
	uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", AgentID: a.id})
	if err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusRinging, "")
	a.callin(protocol.ChannelNormal)
	do[*protocol.SupervisorReply](t, sup, &protocol.SubstituteRequest{Operated: protocol.Operated{OperatedAgentID: a.id}})
	sup.cb(protocol.CbSubstitute, protocol.PhaseInitiate)
	a.status(protocol.StatusFree, "")
	sup.status(protocol.StatusCalling, "")
	sup.cb(protocol.CbSubstitute, protocol.PhaseStartCall)
	refused(t, a, &protocol.AnswerRequest{UUID: uuid}, "")
	hangupToFree(t, sup, uuid, "")
	// Forced status changes reach the target with a reason.
	r := do[*protocol.ChangeStatusReply](t, sup, &protocol.ChangeStatusRequest{Action: protocol.ActionForceMakeBusy,
		Operated: protocol.Operated{OperatedAgentID: a.id, OperatedExtID: "090008_5000"}})
	if r.AgentStatus != protocol.StatusBusy {
		t.Fatalf("forced reply %+v", r)
	}
	if ch := a.status(protocol.StatusBusy, ""); ch.Reason == "" {
		t.Fatal("forced change without a reason")
	}
	do[*protocol.ChangeStatusReply](t, sup, &protocol.ChangeStatusRequest{Action: protocol.ActionForceCheckout,
		Operated: protocol.Operated{OperatedAgentID: a.id}})
	a.status(protocol.StatusOffline, "")
	refused(t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionForceMakeFree, Operated: protocol.Operated{OperatedAgentID: sup.id}}, "")
}

func TestMuteIsClientSide(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", "")
	uuid := outboundCall(t, a, protocol.StatusBusy)
	if _, err := a.Do(context.Background(), &protocol.MuteRequest{UUID: uuid, Mute: true}); !errors.Is(err, ErrMuteNeedsRTC) {
		t.Fatalf("mute in softphone mode: %v", err)
	}
	// The session alone still speaks the wire message, for tools.
	m, err := a.Session().Mute(context.Background(), &protocol.MuteRequest{UUID: uuid, Mute: true})
	if err != nil || !m.Mute {
		t.Fatalf("wire mute: %v %+v", err, m)
	}
}

func TestReconnectRestoresSessionOnSimulator(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	uuid := outboundCall(t, a, protocol.StatusFree)
	if err := e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "drop"}); err != nil {
		t.Fatal(err)
	}
	// The SDK reconnects with its token and checks in again with reset; the
	// platform keeps the call.
	deadline := time.After(5 * time.Second)
	for restored := false; !restored; {
		select {
		case ev := <-a.evs:
			if r, ok := ev.(*session.RestoredEvent); ok {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
				restored = true
			}
		case <-deadline:
			t.Fatal("session not restored")
		}
	}
	hangupToFree(t, a, uuid, protocol.CbCall)
}

func TestSilentServerTimesOutAndMalformedFrameSkipped(t *testing.T) {
	e := newEnv(t, nil)
	e.cfgMod = func(c *Config) { c.RequestTimeout = 200 * time.Millisecond }
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", "")
	_ = e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "malformed"})
	_ = e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "withhold", MsgType: "hold"})
	_, err := a.Do(context.Background(), &protocol.HoldRequest{UUID: "x", Hold: true})
	if !errors.Is(err, session.ErrTimeout) {
		t.Fatalf("withheld reply: %v", err)
	}
	_ = e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "clear"})
	do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeFree})
	a.status(protocol.StatusFree, "")
}

func TestDroppedMidRequestThenRestored(t *testing.T) {
	e := newEnv(t, nil)
	a := e.agent(t, "090008", "090008_6000", "")
	a.checkin("919191Aa.", protocol.StatusFree)
	_ = e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "drop_after_request", MsgType: "change_status"})
	_, err := a.Do(context.Background(), &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusy})
	if !errors.Is(err, session.ErrConnectionLost) {
		t.Fatalf("request swallowed by a drop: %v", err)
	}
	// The next request waits for the restored link and succeeds.
	r := do[*protocol.ChangeStatusReply](t, a, &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusy})
	if r.AgentStatus != protocol.StatusBusy || r.LastAgentStatus != protocol.StatusFree {
		t.Fatalf("after restore %+v", r)
	}
}
