package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// Issue 8, point by point, through the Go API against ccsim's two dialects:
// the platform's server as built (the default) and the spec as written
// (docs/platform.md says what differs and what the SDK does).

// The worlds the dialect tests run in: the platform's server with either
// order of a request's reply and its pushes (the real server's is a race:
// docs/platform.md), and the spec's. newDialectEnv reads "dialect/order".
var dialects = []string{sim.DialectPlatform + "/" + sim.PushReplyFirst, sim.DialectPlatform + "/" + sim.PushFirst, sim.DialectSpec}

// forDialects runs f once per world of dialects.
func forDialects(t *testing.T, f func(t *testing.T, d string)) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) { f(t, d) })
	}
}

// forOrders runs f once per push order of the platform dialect, with the
// world's name for newDialectEnv.
func forOrders(t *testing.T, f func(t *testing.T, d string)) {
	for _, o := range []string{sim.PushReplyFirst, sim.PushFirst} {
		t.Run(o, func(t *testing.T) { f(t, sim.DialectPlatform+"/"+o) })
	}
}

// isPlatform: world d is the platform dialect (either order).
func isPlatform(d string) bool { return strings.HasPrefix(d, sim.DialectPlatform) }

// pcheckin checks the agent in at FREE and consumes the status event (the
// platform pushes it before or after the reply, the spec after).
func (ta *tagent) pcheckin(pwd string) *protocol.CheckinReply {
	ta.t.Helper()
	rep, err := ta.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: protocol.Secret(pwd), StartStatus: protocol.StatusFree})
	if err != nil {
		ta.t.Fatalf("%s checkin: %v", ta.id, err)
	}
	ta.pstatus(protocol.StatusFree)
	return rep
}

// pnext is next without the platform's connect greeting.
func (ta *tagent) pnext() protocol.Event {
	ta.t.Helper()
	for {
		ev := ta.next()
		if _, ok := ev.(*protocol.ConnectEvent); !ok {
			return ev
		}
	}
}

// pstatus expects the next server event (greetings aside) to be a status
// event to st.
func (ta *tagent) pstatus(st protocol.AgentStatus) *protocol.AgentChangeEvent {
	ta.t.Helper()
	ev := ta.pnext()
	c, ok := ev.(*protocol.AgentChangeEvent)
	if !ok || c.AgentStatus != st {
		ta.t.Fatalf("%s: got %s, want agent_change %s", ta.id, show(ev), st)
	}
	return c
}

// waitEvent waits for an event of type E that pred accepts, skipping others.
func waitEvent[E session.Event](t *testing.T, ta *tagent, what string, pred func(E) bool) E {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ta.evs:
			if e, ok := ev.(E); ok && (pred == nil || pred(e)) {
				return e
			}
		case <-timeout:
			t.Fatalf("%s: no %s within 10s", ta.id, what)
			var zero E
			return zero
		}
	}
}

// Point 1: the handshake. The platform's link is /msg/<identity> and greets
// with connect; the spec's is the URL as configured.
func TestPlatformHandshake(t *testing.T) {
	forDialects(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		if err := a.Session().Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		if isPlatform(d) {
			c := waitEvent[*protocol.ConnectEvent](t, a, "connect", nil)
			if c.Code != "0" || c.Msg != "连接成功" {
				t.Fatalf("connect %s", c.Raw())
			}
			links := e.srv.Links()
			if len(links) != 1 || links[0].Identity != "090008_090008_6000_"+a.Session().Config().OS {
				t.Fatalf("links %+v", links)
			}
		}
		a.pcheckin("919191Aa.")
	})
}

// frameLog counts frames ccsim logs.
type frameLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *frameLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *frameLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// Points 2 and 11: the token rides in every frame (the platform closes a
// link on a frame without it, heartbeat pings included), and a push that
// comes before its reply has been handled when the caller returns; one that
// comes after arrives after.
func TestPlatformTokenAndOrder(t *testing.T) {
	forDialects(t, func(t *testing.T, d string) {
		log := &frameLog{}
		e := newDialectEnv(t, d, nil, sim.WithFrameLog(log))
		e.cfgMod = func(c *Config) { c.HeartbeatInterval = 20 * time.Millisecond }
		a := e.agent(t, "090008", "090008_6000", "")
		rep, err := a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa.", StartStatus: protocol.StatusFree})
		if err != nil || rep.Token == "" {
			t.Fatalf("checkin %+v %v", rep, err)
		}
		if strings.HasSuffix(d, sim.PushFirst) {
			// The FREE push came before the reply: its handler has run.
			var got []string
			for _, ev := range drain(a) {
				if c, ok := ev.(*protocol.AgentChangeEvent); ok {
					got = append(got, string(c.AgentStatus))
				}
			}
			if len(got) != 1 || got[0] != "FREE" {
				t.Fatalf("status events when check-in returned: %v", got)
			}
		} else {
			// The push comes after the reply (or is the spec's agent_change).
			a.pstatus(protocol.StatusFree)
		}
		// Heartbeats go out every 20 ms on the same link, token and all: a
		// frame without it would have closed the link.
		deadline := time.Now().Add(10 * time.Second)
		for log.count(`"msg_type":"pong"`) < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("pongs %d", log.count(`"msg_type":"pong"`))
			}
			time.Sleep(5 * time.Millisecond) // polling the server's frame log, with a deadline
		}
		if _, err := a.Do(context.Background(), &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusy}); err != nil {
			t.Fatal(err)
		}
		for _, ev := range drain(a) {
			if st, ok := ev.(*session.StateEvent); ok && st.State != session.StateConnected && st.State != session.StateConnecting {
				t.Fatalf("link changed: %+v", st)
			}
		}
		if isPlatform(d) && (len(e.srv.Links()) != 1 || log.count("4003") != 0) {
			t.Fatalf("links %+v, 4003s %d", e.srv.Links(), log.count("4003"))
		}
	})
}

// Point 3: the platform's status pushes (change_status) are agent_change
// events, through a whole outbound call and a checkout.
func TestPlatformStatusPushes(t *testing.T) {
	forOrders(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		a.pcheckin("919191Aa.")
		rep := do[*protocol.CallReply](t, a, &protocol.CallRequest{CalleeNumber: "13107618845"})
		if !strings.HasPrefix(rep.UUID, "call-") {
			t.Fatalf("call uuid %q", rep.UUID)
		}
		ring := a.pstatus(protocol.StatusRinging)
		if ring.LastAgentStatus != protocol.StatusFree || !strings.Contains(string(ring.Raw()), `"change_status"`) || ring.Type() != protocol.MsgAgentChange {
			t.Fatalf("ringing %+v raw %s", ring, ring.Raw())
		}
		calling := a.pstatus(protocol.StatusCalling)
		if calling.UUID == "" {
			t.Fatalf("calling %s", calling.Raw())
		}
		if c := waitEvent[*protocol.CallbackEvent](t, a, "START_CALL", func(c *protocol.CallbackEvent) bool { return c.Phase == protocol.PhaseStartCall }); c.PeerUUID != "B-"+rep.UUID {
			t.Fatalf("START_CALL %s", c.Raw())
		}
		do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: rep.UUID})
		waitEvent[*protocol.AgentChangeEvent](t, a, "the end of the call", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus != protocol.StatusCalling })
		if _, err := a.Do(context.Background(), &protocol.CheckoutRequest{}); err != nil {
			t.Fatal(err)
		}
		// The OFFLINE push came before the checkout reply.
		waitEvent[*protocol.AgentChangeEvent](t, a, "OFFLINE", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusOffline })
	})
}

// Point 4: refusals without req_id reach their request at once.
func TestPlatformBareRefusals(t *testing.T) {
	forOrders(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		e.cfgMod = func(c *Config) { c.RequestTimeout = 20 * time.Second }
		a := e.agent(t, "090008", "090008_6000", "")
		a.pcheckin("919191Aa.")
		start := time.Now()
		_, err := a.Do(context.Background(), &protocol.HoldRequest{Hold: true}) // no uuid
		var se *protocol.ServerError
		if !errors.As(err, &se) || se.Code != "4002" || !strings.Contains(se.Msg, "uuid") || se.MsgType != protocol.MsgHold {
			t.Fatalf("hold without uuid: %v", err)
		}
		// Two at once: the bare refusal goes to its own request, the other
		// gets its reply.
		var wg sync.WaitGroup
		var errs [2]error
		wg.Add(2)
		go func() { defer wg.Done(); _, errs[0] = a.Do(context.Background(), &protocol.HoldRequest{Hold: true}) }()
		go func() {
			defer wg.Done()
			_, errs[1] = a.Do(context.Background(), &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusy})
		}()
		wg.Wait()
		if !errors.As(errs[0], &se) || se.Code != "4002" || errs[1] != nil {
			t.Fatalf("concurrent: hold %v, change_status %v", errs[0], errs[1])
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("refusals took %v: they waited for a timeout", d)
		}
	})
}

// Point 4, the 4003 close: a token replaced behind the agent's back (a
// get-token with the same os) makes the next frame a 4003 and the link
// closes; it is reported as that refusal and the session as lost.
func TestPlatformRefusedTokenIsRefusal(t *testing.T) {
	forOrders(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		a.pcheckin("919191Aa.")
		other := e.agent(t, "090008", "090008_6000", "")
		if _, err := other.GetToken(context.Background(), &protocol.GetTokenRequest{AgentPwd: "919191Aa."}); err != nil {
			t.Fatal(err)
		}
		rep, err := a.Do(context.Background(), &protocol.ChangeStatusRequest{Action: protocol.ActionMakeBusy})
		if !errors.Is(err, protocol.ErrNotAuthorized) || errors.Is(err, session.ErrConnectionLost) || rep == nil || rep.Header().Code != "4003" {
			t.Fatalf("after the token was replaced: %v %v", rep, err)
		}
		lost := waitEvent[*session.RestoredEvent](t, a, "session lost", nil)
		if !errors.Is(lost.Err, protocol.ErrNotAuthorized) {
			t.Fatalf("lost: %v", lost.Err)
		}
		if _, err := a.Do(context.Background(), &protocol.GetStatusRequest{}); !errors.Is(err, session.ErrNotCheckedIn) {
			t.Fatalf("after the session was lost: %v", err)
		}
	})
}

// Point 5: the link drops during a call; the SDK restores within the
// platform's 30 s grace, without reset, and the call is still up.
func TestPlatformReconnectKeepsCall(t *testing.T) {
	forDialects(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		a.pcheckin("919191Aa.")
		rep := do[*protocol.CallReply](t, a, &protocol.CallRequest{CalleeNumber: "13107618845"})
		waitEvent[*protocol.AgentChangeEvent](t, a, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
		before, _ := e.srv.Agent(a.id)
		if before.CallUUID == "" {
			t.Fatalf("no call at the server: %+v", before)
		}
		if err := e.srv.Fault(sim.FaultSpec{AgentID: a.id, Kind: "drop"}); err != nil {
			t.Fatal(err)
		}
		r := waitEvent[*session.RestoredEvent](t, a, "session_restored", nil)
		if r.Err != nil || r.Status != protocol.StatusCalling {
			t.Fatalf("restored %+v", r)
		}
		if isPlatform(d) && (!r.Resynced || r.UUID == "") {
			t.Fatalf("restored without get_status: %+v", r)
		}
		after, _ := e.srv.Agent(a.id)
		if after.CallUUID != before.CallUUID || after.Status != "CALLING" || !after.CheckedIn {
			t.Fatalf("after the restore: %+v (before %+v)", after, before)
		}
		// The call answers requests on the new link, and hangs up.
		do[*protocol.HoldReply](t, a, &protocol.HoldRequest{UUID: rep.UUID, Hold: true})
		do[*protocol.HoldReply](t, a, &protocol.HoldRequest{UUID: rep.UUID, Hold: false})
		do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: rep.UUID})
	})
}

// Point 6: the fields the platform requires are filled (a missing one is a
// bare 4002 there); the app's values win.
func TestPlatformRequiredFields(t *testing.T) {
	forDialects(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		a.pcheckin("919191Aa.")
		// call without out_line, audio, video
		rep := do[*protocol.CallReply](t, a, &protocol.CallRequest{CalleeNumber: "13107618845"})
		waitEvent[*protocol.AgentChangeEvent](t, a, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
		do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: rep.UUID})
		waitEvent[*protocol.AgentChangeEvent](t, a, "after the call", func(c *protocol.AgentChangeEvent) bool {
			return c.AgentStatus == protocol.StatusFree || c.AgentStatus == protocol.StatusArrange
		})
		// answer without audio/video takes the callin's
		uuid, _, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", AgentID: a.id, CallerNumber: "18888888888"})
		if err != nil {
			t.Fatal(err)
		}
		in := waitEvent[*protocol.CallinEvent](t, a, "callin", nil)
		if in.UUID != uuid || (isPlatform(d) && in.ClientUUID == "") {
			t.Fatalf("callin %s, want uuid %s", in.Raw(), uuid)
		}
		do[*protocol.BasicReply](t, a, &protocol.AnswerRequest{UUID: in.UUID})
		waitEvent[*protocol.AgentChangeEvent](t, a, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
		do[*protocol.BasicReply](t, a, &protocol.HangupRequest{UUID: in.UUID})
	})
}

// Point 7: ext_id is never invented; the platform refuses another agent's.
func TestPlatformExtID(t *testing.T) {
	forDialects(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		e.cfgMod = func(c *Config) { c.ExtID = "" }
		a := e.agent(t, "090008", "090008_6000", "")
		_, err := a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."})
		if !errors.Is(err, session.ErrInvalidArgument) || !strings.Contains(err.Error(), "ext_id") {
			t.Fatalf("check-in without ext_id: %v", err)
		}
		if sn, _ := e.srv.Agent(a.id); sn.CheckedIn || sn.LastRequest != "" {
			t.Fatalf("the check-in reached the server: %+v", sn)
		}
		if isPlatform(d) {
			_, err = a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa.", Header: protocol.Header{ExtID: "090008_6004"}})
			if !errors.Is(err, protocol.ErrWrongExtension) {
				t.Fatalf("check-in at another's extension: %v", err)
			}
		}
	})
}

// Points 8 and 9: get_status, kick_off, and codes as typed errors.
func TestPlatformGetStatusKickOffCodes(t *testing.T) {
	forOrders(t, func(t *testing.T, d string) {
		e := newDialectEnv(t, d, nil)
		a := e.agent(t, "090008", "090008_6000", "")
		// get_status before check-in, with a token from HTTP get-token.
		if _, err := a.GetToken(context.Background(), &protocol.GetTokenRequest{AgentPwd: "919191Aa."}); err != nil {
			t.Fatal(err)
		}
		// Never checked in since ccsim started: the platform has no status (code "1").
		st, err := a.Session().GetStatus(context.Background(), &protocol.GetStatusRequest{})
		var se *protocol.ServerError
		if !errors.As(err, &se) || se.Code != "1" || st == nil || st.Type() != protocol.MsgGetStatus {
			t.Fatalf("get_status before check-in: %+v %v", st, err)
		}
		if _, err := a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "wrong"}); !errors.Is(err, protocol.ErrBadPassword) {
			t.Fatalf("bad password: %v", err)
		}
		a.pcheckin("919191Aa.")
		gs, err := a.Session().GetStatus(context.Background(), &protocol.GetStatusRequest{})
		if err != nil || gs.Status != protocol.StatusFree || gs.Type() != protocol.MsgGetStatus {
			t.Fatalf("get_status: %+v %v", gs, err)
		}
		if err := e.srv.Push(sim.PushSpec{AgentID: a.id, Frame: []byte(`{"req_id":"k1","msg_type":"kick_off","code":"0","reply":true,"os":"Windows","agentIp":"10.1.2.3","msg":"当前坐席已在其他设备签入，设备IP：10.1.2.3"}`)}); err != nil {
			t.Fatal(err)
		}
		k := waitEvent[*protocol.KickOffEvent](t, a, "kick_off", nil)
		if k.AgentIP != "10.1.2.3" || k.OS != "Windows" {
			t.Fatalf("kick_off %+v", k)
		}
	})
}

// Point 11 with a request that causes a push (hold), in both orders: when
// the push comes before the reply, Do returns only once the handler has run
// for it; when it comes after, Do returns at once and the push follows.
func TestPlatformReplyAndItsPush(t *testing.T) {
	forOrders(t, func(t *testing.T, d string) {
		pushFirst := strings.HasSuffix(d, sim.PushFirst)
		e := newDialectEnv(t, d, nil)
		var mu sync.Mutex
		var handled []protocol.SubStatus
		slow := make(chan struct{})
		var release sync.Once
		ta := &tagent{t: t, evs: make(chan session.Event, 4096), id: "090008_6000"}
		cfg := Config{WSURL: e.ws, HTTPURL: e.http, CompanyCode: "090008", AgentID: ta.id, ExtID: boundExt(ta.id),
			RequestTimeout: 3000 * time.Millisecond, HeartbeatInterval: -1, Reconnect: session.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, LogLevel: "off"}
		ag, err := New(cfg, func(ev session.Event) {
			if c, ok := ev.(*protocol.AgentChangeEvent); ok && c.SubAgentStatus == protocol.SubHold {
				<-slow // a handler still busy with the push
				mu.Lock()
				handled = append(handled, c.SubAgentStatus)
				mu.Unlock()
			}
			ta.evs <- ev
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ag.Close() })
		t.Cleanup(func() { release.Do(func() { close(slow) }) }) // first: a failed test must not leave the handler stuck
		ta.Agent = ag
		ta.pcheckin("919191Aa.")
		rep := do[*protocol.CallReply](t, ta, &protocol.CallRequest{CalleeNumber: "13107618845"})
		waitEvent[*protocol.AgentChangeEvent](t, ta, "CALLING", func(c *protocol.AgentChangeEvent) bool { return c.AgentStatus == protocol.StatusCalling })
		done := make(chan error, 1)
		go func() {
			_, err := ta.Do(context.Background(), &protocol.HoldRequest{UUID: rep.UUID, Hold: true})
			done <- err
		}()
		if pushFirst {
			select {
			case err := <-done:
				t.Fatalf("hold returned (%v) while its push was still being handled", err)
			case <-time.After(100 * time.Millisecond): // the reply is in; only the handler holds it back
			}
			release.Do(func() { close(slow) })
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		} else {
			// The reply came first: nothing holds it back, though the
			// handler is stuck on the push that followed.
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			release.Do(func() { close(slow) })
			waitEvent[*protocol.AgentChangeEvent](t, ta, "the HOLD push", func(c *protocol.AgentChangeEvent) bool { return c.SubAgentStatus == protocol.SubHold })
		}
		mu.Lock()
		defer mu.Unlock()
		if len(handled) != 1 {
			t.Fatalf("handled %v", handled)
		}
	})
}

// drain returns the events waiting.
func drain(ta *tagent) []session.Event {
	var out []session.Event
	for {
		select {
		case ev := <-ta.evs:
			out = append(out, ev)
		default:
			return out
		}
	}
}
