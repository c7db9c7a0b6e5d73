package session

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Tests of what the platform's real server does (docs/platform.md), on the
// scripted fake server. ccsim's platform dialect is tested through the agent.

// platformURL is the fake server's URL the way the platform's front end
// writes it: ending in "/", so the session appends the identity segment.
func platformURL(fs *fakeServer) string { return strings.TrimSuffix(fs.url(), "/ws") + "/msg/" }

func TestIdentityHandshake(t *testing.T) {
	fs := newFakeServer(t, false)
	cfg := testConfig(platformURL(fs))
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	seg, ok := strings.CutPrefix(c.path, "/msg/")
	if !ok || strings.ContainsAny(seg, "/=+") {
		t.Fatalf("handshake path %q: want /msg/<unpadded base64url>", c.path)
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var id map[string]string
	if err := json.Unmarshal(b, &id); err != nil || len(id) != 3 || id["agent_id"] != "090008_6000" ||
		id["company_code"] != "090008" || id["os"] != "Windows" {
		t.Fatalf("identity %s (%v)", b, err)
	}
	// The link is the handshake's agent: a frame for another is refused here,
	// not sent (the platform would close the link).
	for _, h := range []protocol.Header{{OS: "Linux"}, {AgentID: "090008_6001"}, {CompanyCode: "90001"}} {
		if _, err := s.Ping(context.Background(), &protocol.PingRequest{Header: h}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ping as %+v: %v, want ErrInvalidArgument", h, err)
		}
	}
	if _, err := New(Config{URL: platformURL(fs), AgentID: "a"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("identity URL without company_code: %v", err)
	}
}

func TestStatusPushIsAgentChange(t *testing.T) {
	fs := newFakeServer(t, false)
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	// A late change_status reply (it echoes action) is not a status event.
	c.send(`{"req_id":"gone","msg_type":"change_status","code":"0","action":"MAKE_BUSY","agent_status":"BUSY"}`)
	push := `{"req_id":"7f1c","msg_type":"change_status","code":"0","msg":"success","company_code":"090008",` +
		`"agent_id":"090008_6000","ext_id":"090008_5000","agent_status":"RINGING","sub_agent_status":null,` +
		`"last_agent_status":"FREE","reason":"","os":"Windows","uuid":"call-9"}`
	c.send(push)
	evs := rec.wait(t, "the status push", func(evs []Event) bool {
		for _, e := range evs {
			if _, ok := e.(*protocol.AgentChangeEvent); ok {
				return true
			}
		}
		return false
	})
	var got *protocol.AgentChangeEvent
	for _, e := range evs {
		if a, ok := e.(*protocol.AgentChangeEvent); ok {
			if got != nil {
				t.Fatalf("two status events: the late reply was taken for one")
			}
			got = a
		}
	}
	if got.Type() != protocol.MsgAgentChange || got.AgentStatus != protocol.StatusRinging || got.LastAgentStatus != protocol.StatusFree ||
		got.UUID != "call-9" || got.ExtID != "090008_5000" || string(got.Raw()) != push {
		t.Fatalf("status event %+v raw %s", got, got.Raw())
	}
	if s.Status() != protocol.StatusRinging || s.LateReplies() != 1 {
		t.Fatalf("status %q late replies %d", s.Status(), s.LateReplies())
	}
}

func TestPlatformPushesTyped(t *testing.T) {
	fs := newFakeServer(t, false)
	rec := newRecorder()
	cfg := testConfig(platformURL(fs))
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	c.send(`{"code":"0","msg":"连接成功","msg_type":"connect"}`)
	c.send(`{"req_id":"65a1","msg_type":"kick_off","code":"0","reply":true,"os":"Windows","agentIp":"10.0.0.7","msg":"当前坐席已在其他设备签入，设备IP：10.0.0.7"}`)
	c.send(`{"req_id":"call-1","msg_type":"callin","company_code":"090008","agent_id":"090008_6000","ext_id":"090008_5000",` +
		`"uuid":"call-1","client_uuid":"B-call-1","caller_number":"138","callee_number":"400","callin_channel":"CALL_IN","audio":3,"video":0,"os":"Windows"}`)
	evs := rec.wait(t, "three pushes", func(evs []Event) bool { return len(evs) >= 5 })
	conn, _ := evs[2].(*protocol.ConnectEvent)
	kick, _ := evs[3].(*protocol.KickOffEvent)
	in, _ := evs[4].(*protocol.CallinEvent)
	if conn == nil || conn.Code != "0" || conn.Msg != "连接成功" {
		t.Fatalf("connect: %#v", evs[2])
	}
	if kick == nil || kick.AgentIP != "10.0.0.7" || kick.OS != "Windows" || !strings.Contains(kick.Msg, "其他设备") {
		t.Fatalf("kick_off: %#v", evs[3])
	}
	if in == nil || in.ClientUUID != "B-call-1" || in.OS != "Windows" || in.CallinChannel != protocol.ChannelCallIn {
		t.Fatalf("callin: %#v", evs[4])
	}
}

// TestBareRefusalAttribution: the platform's refusals name no request
// ({"code":"4002","msg":"[uuid]不能为空!"}); the session gives them to the
// oldest frame in flight, and on an ordered link settles the frames the
// server handled without a reply.
func TestBareRefusalAttribution(t *testing.T) {
	fs := newFakeServer(t, false)
	var mu sync.Mutex
	var seen []map[string]any
	hold := make(chan struct{})
	fs.handle(func(c *fakeConn, m map[string]any) {
		mu.Lock()
		seen = append(seen, m)
		mu.Unlock()
		switch m["callee_number"] {
		case "refuse":
			c.send(`{"code":"4002","msg":"[out_line]不能为空!"}`)
		case "drop":
			// The platform handles some frames without a reply.
		case "slow":
			<-hold
			c.reply(m, map[string]any{"uuid": "call-slow"})
		default:
			c.reply(m, nil)
		}
	})
	rec := newRecorder()
	cfg := testConfig(platformURL(fs))
	cfg.Handler = rec.handle
	cfg.RequestTimeout = 20 * time.Second // a failure below must come from attribution, not a timeout
	s := newSession(t, cfg)
	ctx := context.Background()

	t.Run("the only request in flight", func(t *testing.T) {
		rep, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: "refuse"})
		var se *protocol.ServerError
		if !errors.As(err, &se) || se.Code != "4002" || se.Msg != "[out_line]不能为空!" || se.MsgType != protocol.MsgCall {
			t.Fatalf("err %v", err)
		}
		if rep == nil || rep.ReqID == "" || rep.Code != "4002" {
			t.Fatalf("reply %+v: want the refusal with the request's req_id", rep)
		}
	})
	t.Run("two in flight: fence between them, refusal to the first", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: "slow"})
			done <- err
		}()
		waitSeen := func(pred func(map[string]any) bool) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				for _, m := range seen {
					if pred(m) {
						mu.Unlock()
						return
					}
				}
				mu.Unlock()
				if time.Now().After(deadline) {
					t.Fatal("frame not seen")
				}
				time.Sleep(time.Millisecond) // polling what the fake server saw, with a deadline
			}
		}
		waitSeen(func(m map[string]any) bool { return m["callee_number"] == "slow" })
		second := make(chan error, 1)
		go func() {
			_, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: "refuse"})
			second <- err
		}()
		// The fake server handles frames one at a time: "slow" holds it, so
		// the fence and the second call queue behind it, in order.
		waitSent(t, s, 3)
		close(hold)
		if err := <-done; err != nil {
			t.Fatalf("slow call: %v", err)
		}
		var se *protocol.ServerError
		if err := <-second; !errors.As(err, &se) || se.Code != "4002" {
			t.Fatalf("second call: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		var order []string
		for _, m := range seen {
			if n, ok := m["callee_number"].(string); ok {
				order = append(order, n)
			} else {
				order = append(order, m["msg_type"].(string))
			}
		}
		if got := strings.Join(order, ","); !strings.HasSuffix(got, "slow,ping,refuse") {
			t.Fatalf("frames %s: want a fence ping between the two calls", got)
		}
	})
	t.Run("refusal with nothing in flight is an event", func(t *testing.T) {
		fs.mu.Lock()
		c := fs.conns[len(fs.conns)-1]
		fs.mu.Unlock()
		c.send(`{"code":"4002","msg":"[uuid]不能为空!"}`)
		rec.wait(t, "server_refusal", func(evs []Event) bool {
			for _, e := range evs {
				if r, ok := e.(*RefusalEvent); ok && r.Code == "4002" && r.Msg == "[uuid]不能为空!" {
					return true
				}
			}
			return false
		})
	})
}

// TestUnansweredRequestFailsPromptly: the platform handles some frames
// without replying (a msg_type its routing does not list); on an ordered
// link the reply to the next frame proves it, and the request fails then,
// not after its timeout.
func TestUnansweredRequestFailsPromptly(t *testing.T) {
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "answer" {
			return
		}
		c.reply(m, nil)
	})
	cfg := testConfig(platformURL(fs))
	cfg.RequestTimeout = 30 * time.Second
	s := newSession(t, cfg)
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		_, err := s.Answer(ctx, &protocol.AnswerRequest{UUID: "call-1"})
		errc <- err
	}()
	if m := c.nextFrame(t); m["msg_type"] != "answer" {
		t.Fatalf("frame %v", m)
	}
	if _, err := s.Hangup(ctx, &protocol.HangupRequest{UUID: "call-1"}); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	if !errors.Is(err, ErrNoReply) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("answer: %v, want ErrNoReply", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("answer failed after %v: its timeout, not the next reply", d)
	}
}

// TestRefusedTokenClosesLink: a 4003 followed by the server closing the link
// is that refusal for the requests in flight, the session is lost, and no
// reconnect loop follows.
func TestRefusedTokenClosesLink(t *testing.T) {
	fs := newFakeServer(t, false)
	var checkins atomic.Int32
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "checkin" {
			checkins.Add(1)
			c.reply(m, nil)
			return
		}
		c.send(`{"code":"4003","msg":"token鉴权不通过!"}`)
		_ = c.ws.Close()
	})
	rec := newRecorder()
	cfg := testConfig(platformURL(fs))
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	ctx := context.Background()
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "919191Aa."}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Hold(ctx, &protocol.HoldRequest{UUID: "call-1", Hold: true})
	if !errors.Is(err, protocol.ErrNotAuthorized) || errors.Is(err, ErrConnectionLost) || rep == nil || rep.Code != "4003" {
		t.Fatalf("hold: %+v %v, want the 4003 refusal", rep, err)
	}
	evs := rec.wait(t, "the session lost", func(evs []Event) bool {
		for _, e := range evs {
			if r, ok := e.(*RestoredEvent); ok && r.Err != nil {
				return true
			}
		}
		return false
	})
	var reason string
	for _, e := range evs {
		if st, ok := e.(*StateEvent); ok && st.State == StateDisconnected {
			reason = st.Reason
		}
		if st, ok := e.(*StateEvent); ok && st.State == StateReconnecting {
			t.Fatalf("a refused token was followed by a reconnect: %s", describe(evs))
		}
	}
	if !strings.Contains(reason, "4003") || strings.Contains(reason, "tok-secret") {
		t.Fatalf("disconnect reason %q", reason)
	}
	if s.CheckedIn() || checkins.Load() != 1 {
		t.Fatalf("checked in %v after %d check-ins", s.CheckedIn(), checkins.Load())
	}
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); !errors.Is(err, ErrNotCheckedIn) {
		t.Fatalf("ping after the session was lost: %v", err)
	}
}

// TestReplyAfterItsPushes: the platform pushes a request's events before
// its reply; the caller returns only once the handler has seen them.
func TestReplyAfterItsPushes(t *testing.T) {
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "hold" {
			c.send(`{"req_id":"p1","msg_type":"change_status","code":"0","agent_status":"CALLING","sub_agent_status":"HOLD","last_agent_status":"CALLING"}`)
		}
		c.reply(m, nil)
	})
	var handled atomic.Bool
	var s *Session
	inHandler := make(chan error, 1)
	cfg := testConfig(fs.url())
	cfg.Handler = func(e Event) {
		if a, ok := e.(*protocol.AgentChangeEvent); ok && a.SubAgentStatus == protocol.SubHold {
			time.Sleep(50 * time.Millisecond) // a slow handler: the reply must wait for it
			handled.Store(true)
			// A request from the handler itself does not wait for the events
			// behind the one being handled (that would deadlock).
			_, err := s.Hold(context.Background(), &protocol.HoldRequest{UUID: "call-2"})
			inHandler <- err
		}
	}
	s = newSession(t, cfg)
	if _, err := s.Hold(context.Background(), &protocol.HoldRequest{UUID: "call-1", Hold: true}); err != nil {
		t.Fatal(err)
	}
	if !handled.Load() {
		t.Fatal("hold returned before its push was handled")
	}
	if err := <-inHandler; err != nil {
		t.Fatalf("request from the handler: %v", err)
	}
}

func TestRequiredFieldsFilled(t *testing.T) {
	fs := newFakeServer(t, false)
	s := newSession(t, testConfig(fs.url()))
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	c.send(`{"req_id":"call-7","msg_type":"callin","uuid":"call-7","caller_number":"138","audio":1,"video":3}`)
	if _, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: "138"}); err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["out_line"] != 1.0 || m["audio"] != 3.0 || m["video"] != 0.0 {
		t.Fatalf("call %v: want out_line 1, audio 3, video 0", m)
	}
	if _, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: "090008_6001", OutLine: protocol.Ptr(protocol.OutLineInternal),
		Media: protocol.Media{Video: protocol.Ptr(protocol.MediaSendRecv)}}); err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["out_line"] != 0.0 || m["audio"] != 3.0 || m["video"] != 3.0 {
		t.Fatalf("call %v: the app's out_line and video win", m)
	}
	for _, r := range []protocol.Request{&protocol.PlayRecordRequest{FilePath: "a.wav"},
		&protocol.PreviewOutCallRequest{TaskID: "t", NumberID: "n", ClientNumber: "138"}} {
		if _, err := s.Do(ctx, r); err != nil {
			t.Fatal(err)
		}
		if m := c.nextFrame(t); m["audio"] != 3.0 || m["video"] != 0.0 {
			t.Fatalf("%s %v: want audio 3, video 0", r.Type(), m)
		}
	}
	// answer takes the ringing call's own media (callin said 1/3); another
	// call gets the defaults.
	if _, err := s.Answer(ctx, &protocol.AnswerRequest{UUID: "call-7"}); err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["audio"] != 1.0 || m["video"] != 3.0 {
		t.Fatalf("answer %v: want the callin's audio 1, video 3", m)
	}
	if _, err := s.Answer(ctx, &protocol.AnswerRequest{UUID: "other"}); err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["audio"] != 3.0 || m["video"] != 0.0 {
		t.Fatalf("answer %v: want the defaults", m)
	}
}

// TestStaleFrameDoesNotCompleteRequest: a frame the reader read before a
// request was sent never completes it, even when it is dispatched after
// (issue: a hostile server pre-sending a reply for a caller-chosen req_id).
func TestStaleFrameDoesNotCompleteRequest(t *testing.T) {
	fs := newFakeServer(t, false)
	sess := make(chan *Session, 1)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["req_id"] == "mine" {
			// The request is registered and sent. A frame numbered as read
			// before that (the reader's count now: nothing was read since)
			// is dispatched now, as if the reader had held it until then.
			s := <-sess
			s.mu.Lock()
			gen := s.gen
			s.mu.Unlock()
			s.dispatch([]byte(`{"req_id":"mine","msg_type":"call","code":"0","uuid":"stale"}`), gen, s.framesRead.Load())
		}
		c.reply(m, map[string]any{"uuid": "fresh"})
	})
	s := newSession(t, testConfig(fs.url()))
	sess <- s
	ctx := context.Background()
	rep, err := s.Call(ctx, &protocol.CallRequest{Header: protocol.Header{ReqID: "mine"}, CalleeNumber: "138"})
	if err != nil || rep.UUID != "fresh" {
		t.Fatalf("reply %+v %v: the stale frame completed the request", rep, err)
	}
	if n := s.LateReplies(); n != 1 {
		t.Fatalf("%d late replies, want the stale frame counted", n)
	}
}

// TestCheckinHoldsOtherFrames: nothing is written while a check-in is in
// flight (it replaces the token); what waited goes out with the new token.
func TestCheckinHoldsOtherFrames(t *testing.T) {
	fs := newFakeServer(t, false)
	gate := make(chan struct{})
	var frames []map[string]any
	var mu sync.Mutex
	fs.handle(func(c *fakeConn, m map[string]any) {
		mu.Lock()
		frames = append(frames, m)
		mu.Unlock()
		if m["msg_type"] == "checkin" {
			<-gate
			c.reply(m, map[string]any{"token": "tok-new"})
			return
		}
		c.reply(m, nil)
	})
	s := newSession(t, testConfig(fs.url())) // holds tok-config, as from get-token
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	ci := make(chan error, 1)
	go func() {
		_, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "919191Aa."})
		ci <- err
	}()
	c := fs.nextConn(t)
	if m := c.nextFrame(t); m["msg_type"] != "checkin" {
		t.Fatalf("%v", m)
	}
	pong := make(chan error, 1)
	go func() {
		_, err := s.Ping(ctx, &protocol.PingRequest{})
		pong <- err
	}()
	select {
	case m := <-c.frames:
		t.Fatalf("%v written while the check-in was in flight", m)
	case <-time.After(50 * time.Millisecond): // nothing may arrive: a bounded look for a frame that must not exist
	}
	close(gate)
	if err := <-ci; err != nil {
		t.Fatal(err)
	}
	if err := <-pong; err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["msg_type"] != "ping" || m["token"] != "tok-new" {
		t.Fatalf("after the check-in: %v, want the ping with the new token", m)
	}
}

func TestNoHeartbeatWithoutToken(t *testing.T) {
	fs := newFakeServer(t, false)
	cfg := testConfig(fs.url())
	cfg.Token = ""
	cfg.HeartbeatInterval = 5 * time.Millisecond
	s := newSession(t, cfg)
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	select {
	case m := <-c.frames:
		t.Fatalf("%v sent without a token", m)
	case <-time.After(60 * time.Millisecond): // 12 heartbeat periods: a ping would have gone out
	}
	s.SetToken("tok-http")
	if m := c.nextFrame(t); m["msg_type"] != "ping" || m["token"] != "tok-http" {
		t.Fatalf("heartbeat %v", m)
	}
}

// waitSent waits until n frames are in flight on the session's link.
func waitSent(t *testing.T, s *Session, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.sent)
		s.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d frames in flight, want %d", got, n)
		}
		time.Sleep(time.Millisecond) // polling the session's state, with a deadline
	}
}

// TestCloseRightAfterCheckinReplyRestores: a server that closes the link
// right after answering the check-in still gets a restore: the reader learns
// the check-in before it reads the close.
func TestCloseRightAfterCheckinReplyRestores(t *testing.T) {
	fs := newFakeServer(t, false)
	var checkins atomic.Int32
	fs.handle(func(c *fakeConn, m map[string]any) {
		c.reply(m, nil)
		if m["msg_type"] == "checkin" && checkins.Add(1) == 1 {
			_ = c.ws.Close()
		}
	})
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Token = ""
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	if _, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."}); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "session_restored", func(evs []Event) bool {
		for _, e := range evs {
			if r, ok := e.(*RestoredEvent); ok && r.Err == nil {
				return true
			}
		}
		return false
	})
	if checkins.Load() != 2 {
		t.Fatalf("%d check-ins, want the restore's second", checkins.Load())
	}
}

// TestBareReplyDoesNotCrossMsgTypes: a frame without req_id that names a
// msg_type answers only a frame of that type. A stray {"msg_type":"checkin",
// "code":"0"} while a ping waits is not the ping's reply: the ping gets its
// own pong, and the stray frame reaches the application as a refusal that
// answers nothing. A bare reply that names the ping's type still answers it.
func TestBareReplyDoesNotCrossMsgTypes(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			fs := newFakeServer(t, false)
			fs.handle(func(c *fakeConn, m map[string]any) {
				switch {
				case m["msg_type"] == "ping":
					c.send(`{"msg_type":"checkin","code":"0"}`)
					c.reply(m, nil)
				case m["callee_number"] == "bare":
					c.send(`{"msg_type":"call","code":"4002","msg":"[uuid]不能为空!"}`)
				default:
					c.reply(m, nil)
				}
			})
			rec := newRecorder()
			url := fs.url()
			if ordered {
				url = platformURL(fs)
			}
			cfg := testConfig(url)
			cfg.Handler = rec.handle
			s := newSession(t, cfg)
			ctx := context.Background()
			rep, err := s.Do(ctx, &protocol.PingRequest{})
			if err != nil || rep.Header().ReqID == "" || rep.Header().MsgType != protocol.MsgPong {
				t.Fatalf("ping: %+v %v", rep, err)
			}
			if n := s.LateReplies(); n != 0 {
				t.Fatalf("%d late replies: the stray checkin frame took the ping's place", n)
			}
			rec.wait(t, "the stray frame as server_refusal", func(evs []Event) bool {
				for _, e := range evs {
					if r, ok := e.(*RefusalEvent); ok && r.Code == "0" && strings.Contains(string(r.Raw), `"checkin"`) {
						return true
					}
				}
				return false
			})
			// A bare refusal naming the request's own type still answers it.
			_, err = s.Call(ctx, &protocol.CallRequest{CalleeNumber: "bare"})
			var se *protocol.ServerError
			if !errors.As(err, &se) || se.Code != "4002" {
				t.Fatalf("bare refusal of the call: %v", err)
			}
		})
	}
}
