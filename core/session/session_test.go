package session

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

func testConfig(url string) Config {
	return Config{
		URL:               url,
		CompanyCode:       "090008",
		AgentID:           "090008_6000",
		ExtID:             "090008_5000",
		OS:                "Windows",
		Language:          "en-US",
		Token:             "tok-config", // as from HTTP get-token: requests may go out before check-in
		RequestTimeout:    2 * time.Second,
		HeartbeatInterval: -1,
		Reconnect:         Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond},
	}
}

func newSession(t *testing.T, cfg Config) *Session {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestNewValidatesAndDoesNotDial(t *testing.T) {
	for _, u := range []string{"", "http://x/ws", "ws://", "not a url"} {
		if _, err := New(Config{URL: u}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("New(%q): err = %v, want ErrInvalidArgument", u, err)
		}
	}
	// Nothing listens on this port: New must still succeed, Connect must fail.
	s, err := New(Config{URL: "ws://127.0.0.1:1/ws", Reconnect: Backoff{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.State() != StateIdle {
		t.Fatalf("state after New = %v, want idle", s.State())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.Connect(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Connect to a closed port: %v, want ErrNotConnected", err)
	}
}

func TestRequestFillsHeaderAndHandshake(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	cfg := testConfig(fs.url())
	cfg.Token = ""
	s := newSession(t, cfg)
	ctx := context.Background()

	// No token yet: nothing but check-in may go out.
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); !errors.Is(err, ErrNotCheckedIn) {
		t.Fatalf("ping before check-in: %v, want ErrNotCheckedIn", err)
	}
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "919191Aa.", Header: protocol.Header{ExtID: "x"}}); err != nil {
		t.Fatal(err)
	}
	if s.ExtID() != "x" {
		t.Fatalf("ExtID after check-in at x = %q", s.ExtID())
	}
	rep, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "919191Aa."})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Token.Reveal() != "tok-secret-1" {
		t.Fatalf("checkin reply = %+v", rep)
	}
	c := fs.nextConn(t)
	if got := c.header.Get("LANGUAGE"); got != "en-US" {
		t.Errorf("LANGUAGE header = %q", got)
	}
	if got := c.header.Get("SDK-TOKEN"); got != "" {
		t.Errorf("SDK-TOKEN before check-in = %q, want none", got)
	}
	c.nextFrame(t) // the first check-in
	m := c.nextFrame(t)
	want := map[string]any{"msg_type": "checkin", "company_code": "090008", "agent_id": "090008_6000",
		"ext_id": "x", "os": "Windows", "agent_pwd": "919191Aa."}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("checkin frame %s = %v, want %v", k, m[k], v)
		}
	}
	if _, has := m["token"]; has {
		t.Errorf("check-in carries a token: %v", m)
	}
	if id, _ := m["req_id"].(string); len(id) != 36 {
		t.Errorf("req_id %q is not a UUID", id)
	}
	if s.Token() != "tok-secret-1" || !s.CheckedIn() {
		t.Errorf("token %q checkedIn %v after check-in", s.Token(), s.CheckedIn())
	}
	// Every later frame carries the token in its body (the platform reads it there).
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); err != nil {
		t.Fatal(err)
	}
	if m := c.nextFrame(t); m["msg_type"] != "ping" || m["token"] != "tok-secret-1" || m["ext_id"] != "x" {
		t.Errorf("ping frame = %v, want the token and the bound ext_id", m)
	}
	if _, err := s.Checkout(ctx, &protocol.CheckoutRequest{}); err != nil {
		t.Fatal(err)
	}
	if s.Token() != "" || s.CheckedIn() {
		t.Errorf("token %q checkedIn %v after check-out", s.Token(), s.CheckedIn())
	}
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); !errors.Is(err, ErrNotCheckedIn) {
		t.Fatalf("ping after check-out: %v, want ErrNotCheckedIn", err)
	}
}

func TestCheckinNeedsExtID(t *testing.T) {
	fs := newFakeServer(t, false)
	cfg := testConfig(fs.url())
	cfg.ExtID = ""
	s := newSession(t, cfg)
	_, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "ext_id") || !strings.Contains(err.Error(), "090008_6000") {
		t.Fatalf("check-in without ext_id: %v", err)
	}
	if s.State() != StateIdle {
		t.Fatalf("state %v: the refused check-in dialed", s.State())
	}
}

func TestServerRefusalIsServerError(t *testing.T) {
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) {
		c.send(map[string]any{"req_id": m["req_id"], "msg_type": " hold", "code": "1", "msg": "保持失败", "hold": "0"})
	})
	s := newSession(t, testConfig(fs.url()))
	rep, err := s.Hold(context.Background(), &protocol.HoldRequest{UUID: "u1", Hold: true})
	var se *protocol.ServerError
	if !errors.As(err, &se) || se.Code != "1" || se.Msg != "保持失败" {
		t.Fatalf("err = %v, want ServerError code 1", err)
	}
	if rep == nil || rep.Hold || rep.Type() != protocol.MsgHold {
		t.Fatalf("reply = %+v, want the refusal's typed reply", rep)
	}
}

func TestTimeoutAndLateReplyDropped(t *testing.T) {
	fs := newFakeServer(t, false)
	held := make(chan map[string]any, 1)
	fs.handle(func(c *fakeConn, m map[string]any) { held <- m })
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	s := newSession(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Hangup(ctx, &protocol.HangupRequest{UUID: "u1"})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	m := <-held
	c := fs.conns[0]
	// The reply arrives late, then an event: the event proves the late reply
	// was read and dropped, not delivered to anyone.
	c.reply(m, nil)
	c.send(`{"msg_type":"agent_change","agent_id":"090008_6000","agent_status":"FREE","last_agent_status":"BUSY"}`)
	rec.wait(t, "agent_change", func(evs []Event) bool {
		for _, e := range evs {
			if e.Type() == protocol.MsgAgentChange {
				return true
			}
		}
		return false
	})
	if n := s.LateReplies(); n != 1 {
		t.Fatalf("late replies = %d, want 1", n)
	}
	for _, e := range rec.events {
		if e.Type() == protocol.MsgHangup {
			t.Fatal("late reply was delivered as an event")
		}
	}
}

func TestConcurrentRequestsOutOfOrder(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) {
		// Reply after a random delay, so replies come back out of order.
		go func() {
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
			c.reply(m, map[string]any{"uuid": "call-" + m["callee_number"].(string)})
		}()
	})
	s := newSession(t, testConfig(fs.url()))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				n := fmt.Sprintf("%d-%d", g, i)
				rep, err := s.Call(context.Background(), &protocol.CallRequest{CalleeNumber: n})
				if err != nil || rep.UUID != "call-"+n {
					bad.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d replies lost or mismatched", bad.Load())
	}
}

func TestMalformedFramesSkipped(t *testing.T) {
	fs := newFakeServer(t, false)
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	c.send("this is not json")
	c.send(`[1,2,3]`)
	c.send(`"just a string"`)
	c.send(`{"msg_type":" callback","action":"CALL","phase":"INITIATE","success":"true","msg":"ok"}`)
	evs := rec.wait(t, "callback", func(evs []Event) bool {
		for _, e := range evs {
			if e.Type() == protocol.MsgCallback {
				return true
			}
		}
		return false
	})
	for _, e := range evs {
		if cb, ok := e.(*protocol.CallbackEvent); ok && (!cb.Success || cb.Action != protocol.CbCall) {
			t.Fatalf("callback decoded as %+v", cb)
		}
	}
	if _, err := s.Ping(context.Background(), &protocol.PingRequest{}); err != nil {
		t.Fatalf("session unusable after malformed frames: %v", err)
	}
	if st := s.State(); st != StateConnected {
		t.Fatalf("state = %v", st)
	}
}

func TestSlowHandlerDoesNotStallReader(t *testing.T) {
	fs := newFakeServer(t, false)
	release := make(chan struct{})
	var got []string
	var mu sync.Mutex
	done := make(chan struct{})
	cfg := testConfig(fs.url())
	cfg.Handler = func(e Event) {
		ac, ok := e.(*protocol.AgentChangeEvent)
		if !ok {
			return
		}
		<-release
		mu.Lock()
		got = append(got, ac.Reason)
		if len(got) == 200 {
			close(done)
		}
		mu.Unlock()
	}
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	for i := 0; i < 200; i++ {
		c.send(fmt.Sprintf(`{"msg_type":"agent_change","agent_status":"FREE","last_agent_status":"BUSY","reason":"%d"}`, i))
	}
	// The handler is blocked on the first event; requests must still flow.
	for i := 0; i < 10; i++ {
		if _, err := s.Ping(context.Background(), &protocol.PingRequest{}); err != nil {
			t.Fatalf("request stalled behind a slow handler: %v", err)
		}
	}
	close(release)
	<-done
	for i, r := range got {
		if r != fmt.Sprint(i) {
			t.Fatalf("event %d out of order: reason %s", i, r)
		}
	}
}

func TestReconnectRestoresCheckedInSession(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "get_status" {
			c.reply(m, map[string]any{"status": "CALLING", "sub_status": "HOLD", "uuid": "call-1", "in_call_numbers": []string{"138"}})
			return
		}
		c.reply(m, nil)
	})
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	ctx := context.Background()
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "919191Aa.", StartStatus: protocol.StatusFree, Reset: protocol.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	c1 := fs.nextConn(t)
	c1.nextFrame(t)
	// The platform's status push: the agent is in a call when the link drops.
	c1.send(map[string]any{"msg_type": "change_status", "req_id": "push-1", "code": "0", "agent_status": "CALLING", "last_agent_status": "RINGING"})
	rec.wait(t, "the status push", func(evs []Event) bool {
		for _, e := range evs {
			if a, ok := e.(*protocol.AgentChangeEvent); ok && a.AgentStatus == protocol.StatusCalling {
				return true
			}
		}
		return false
	})
	_ = c1.ws.Close() // the platform side drops the link

	c2 := fs.nextConn(t)
	if got := c2.header.Get("SDK-TOKEN"); got != "tok-secret-1" {
		t.Fatalf("reconnect SDK-TOKEN = %q", got)
	}
	m := c2.nextFrame(t)
	// No reset (the platform hangs up the call on reset) and the status the agent had.
	if m["msg_type"] != "checkin" || m["reset"] != nil || m["agent_pwd"] != "919191Aa." || m["start_status"] != "CALLING" {
		t.Fatalf("restore frame = %v, want checkin without reset, start_status CALLING", m)
	}
	if m := c2.nextFrame(t); m["msg_type"] != "get_status" || m["token"] != "tok-secret-1" {
		t.Fatalf("after the restore check-in: %v, want get_status with the token", m)
	}
	evs := rec.wait(t, "session_restored", func(evs []Event) bool {
		for _, e := range evs {
			if _, ok := e.(*RestoredEvent); ok {
				return true
			}
		}
		return false
	})
	want := []State{StateConnecting, StateConnected, StateDisconnected, StateReconnecting, StateConnected}
	if got := states(evs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("state events = %v, want %v", got, want)
	}
	var r *RestoredEvent
	for _, e := range evs {
		if x, ok := e.(*RestoredEvent); ok {
			r = x
		}
	}
	if r.Err != nil || !r.Resynced || r.Status != protocol.StatusCalling || r.SubStatus != protocol.SubHold || r.UUID != "call-1" ||
		fmt.Sprint(r.InCallNumbers) != "[138]" || r.Checkin == nil {
		t.Fatalf("restored = %+v", r)
	}
	if _, err := s.Ping(ctx, &protocol.PingRequest{}); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}

func TestRestoreRefusedLosesSession(t *testing.T) {
	fs := newFakeServer(t, false)
	var conns atomic.Int32
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "checkin" && conns.Load() > 1 {
			c.reply(m, map[string]any{"code": "4004", "msg": "坐席账号或密码错误", "token": nil})
			return
		}
		c.reply(m, nil)
	})
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Token = ""
	cfg.Handler = rec.handle
	s := newSession(t, cfg)
	if _, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."}); err != nil {
		t.Fatal(err)
	}
	conns.Add(1)
	c1 := fs.nextConn(t)
	conns.Add(1)
	_ = c1.ws.Close()
	evs := rec.wait(t, "session lost", func(evs []Event) bool {
		for _, e := range evs {
			if r, ok := e.(*RestoredEvent); ok && r.Err != nil {
				return true
			}
		}
		return false
	})
	for _, e := range evs {
		if r, ok := e.(*RestoredEvent); ok && !errors.Is(r.Err, protocol.ErrBadPassword) {
			t.Fatalf("restored error = %v, want the server's 4004", r.Err)
		}
	}
	if s.CheckedIn() || s.Token() != "" {
		t.Fatalf("checked in %v token %q after a refused restore", s.CheckedIn(), s.Token())
	}
}

func TestDropWithRequestsInFlight(t *testing.T) {
	fs := newFakeServer(t, false)
	var n atomic.Int32
	fs.handle(func(c *fakeConn, m map[string]any) {
		// Every 5th request is swallowed by a dropped link; the rest are answered.
		if n.Add(1)%5 == 0 {
			_ = c.ws.Close()
			return
		}
		c.reply(m, map[string]any{"uuid": m["callee_number"]})
	})
	s := newSession(t, testConfig(fs.url()))
	var wg sync.WaitGroup
	var ok, lost, other atomic.Int32
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				num := fmt.Sprintf("%d-%d", g, i)
				rep, err := s.Call(context.Background(), &protocol.CallRequest{CalleeNumber: num})
				switch {
				case err == nil && rep.UUID == num:
					ok.Add(1)
				case errors.Is(err, ErrConnectionLost):
					lost.Add(1)
				default:
					other.Add(1)
					t.Errorf("request %s: reply %v err %v", num, rep, err)
				}
			}
		}(g)
	}
	wg.Wait()
	if ok.Load()+lost.Load() != 200 || other.Load() != 0 {
		t.Fatalf("ok %d + lost %d + other %d != 200", ok.Load(), lost.Load(), other.Load())
	}
	if lost.Load() == 0 {
		t.Fatal("no request saw the drop: the test did not exercise it")
	}
	if s.LateReplies() != 0 {
		t.Fatalf("late replies %d: a reply was delivered twice or misrouted", s.LateReplies())
	}
}

func TestHeartbeatDetectsSilentServer(t *testing.T) {
	fs := newFakeServer(t, false)
	var silent atomic.Bool
	silent.Store(true)
	fs.handle(func(c *fakeConn, m map[string]any) {
		if m["msg_type"] == "ping" && silent.Load() {
			return
		}
		c.reply(m, nil)
	})
	rec := newRecorder()
	cfg := testConfig(fs.url())
	cfg.Handler = rec.handle
	cfg.HeartbeatInterval = 10 * time.Millisecond
	cfg.HeartbeatMisses = 2
	s := newSession(t, cfg)
	// Checked in, so the session reconnects (one that is not waits for the
	// next request).
	if _, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."}); err != nil {
		t.Fatal(err)
	}
	c1 := fs.nextConn(t)
	evs := rec.wait(t, "disconnect by heartbeat", hasState(StateDisconnected))
	var reason string
	for _, e := range evs {
		if se, ok := e.(*StateEvent); ok && se.State == StateDisconnected {
			reason = se.Reason
		}
	}
	if !strings.Contains(reason, "heartbeat") {
		t.Fatalf("disconnect reason = %q", reason)
	}
	silent.Store(false)
	_ = c1
	fs.nextConn(t) // it reconnects
}

func TestSilentServerRequestTimesOut(t *testing.T) {
	fs := newFakeServer(t, false)
	fs.handle(func(*fakeConn, map[string]any) {})
	s := newSession(t, testConfig(fs.url()))
	start := time.Now()
	_, err := s.Do(context.Background(), &protocol.PingRequest{})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 2*time.Second || d > 4*time.Second {
		t.Fatalf("timed out after %v, configured 2s", d)
	}
}

func TestTLSVerification(t *testing.T) {
	fs := newFakeServer(t, true)
	u := fs.url() // wss://127.0.0.1:port/ws

	cfg := testConfig(u)
	cfg.Reconnect.Disabled = true
	s := newSession(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := s.Connect(ctx)
	if !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: err = %v, want a certificate failure", err)
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fs.srv.Certificate().Raw})
	cfg = testConfig(u)
	cfg.CAPEM = caPEM
	if err := newSession(t, cfg).Connect(ctx); err != nil {
		t.Fatalf("custom CA: %v", err)
	}

	cfg = testConfig(u)
	cfg.InsecureSkipVerify = true
	if err := newSession(t, cfg).Connect(ctx); err != nil {
		t.Fatalf("insecure switch: %v", err)
	}

	if _, err := New(Config{URL: u, CAPEM: []byte("junk")}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("junk CA PEM: %v", err)
	}
	_ = x509.ErrUnsupportedAlgorithm
}

func TestCloseFromHandlerAndNoLeak(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	closed := make(chan error, 1)
	var s *Session
	cfg := testConfig(fs.url())
	cfg.Handler = func(e Event) {
		if e.Type() == protocol.MsgCallin {
			closed <- s.Close()
		}
	}
	var err error
	s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs.nextConn(t).send(`{"msg_type":"callin","uuid":"u1","caller_number":"1"}`)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close from the handler deadlocked")
	}
	if _, err := s.Ping(context.Background(), &protocol.PingRequest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("request after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestHandlerPanicDoesNotStopEvents(t *testing.T) {
	fs := newFakeServer(t, false)
	var logs bytes.Buffer
	var lmu sync.Mutex
	got := make(chan string, 2)
	cfg := testConfig(fs.url())
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&lmu, &logs}, nil))
	cfg.Handler = func(e Event) {
		if c, ok := e.(*protocol.CallinEvent); ok {
			if c.UUID == "boom" {
				panic("handler bug")
			}
			got <- c.UUID
		}
	}
	s := newSession(t, cfg)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := fs.nextConn(t)
	c.send(`{"msg_type":"callin","uuid":"boom"}`)
	c.send(`{"msg_type":"callin","uuid":"after"}`)
	if u := <-got; u != "after" {
		t.Fatalf("got %s", u)
	}
	lmu.Lock()
	defer lmu.Unlock()
	if !strings.Contains(logs.String(), "handler bug") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestSecretsNotLogged(t *testing.T) {
	fs := newFakeServer(t, false)
	var logs bytes.Buffer
	var lmu sync.Mutex
	cfg := testConfig(fs.url())
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&lmu, &logs}, &slog.HandlerOptions{Level: LevelTrace}))
	s := newSession(t, cfg)
	if _, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa."}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	lmu.Lock()
	defer lmu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "frame out") || !strings.Contains(out, "frame in") {
		t.Fatalf("frames not logged at trace level: %s", out)
	}
	for _, secret := range []string{"919191Aa.", "tok-secret-1"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in logs:\n%s", secret, out)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Requests racing Close all end with ErrClosed, never ErrConnectionLost:
// a write failing because Close shut the socket keeps Close's verdict.
func TestCloseWhileRequestsInFlightIsErrClosed(t *testing.T) {
	checkNoLeak(t)
	fs := newFakeServer(t, false)
	fs.handle(func(c *fakeConn, m map[string]any) { c.reply(m, nil) })
	for round := 0; round < 20; round++ {
		s, err := New(testConfig(fs.url()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Do(context.Background(), &protocol.PingRequest{}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		started := make(chan struct{}, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started <- struct{}{}
				for {
					if _, err := s.Do(context.Background(), &protocol.PingRequest{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for g := 0; g < 8; g++ {
			<-started
		}
		_ = s.Close()
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("round %d: request racing Close ended with %v, want ErrClosed", round, err)
			}
		}
	}
}

// A spinning wait (WithSpinWait, for C callers) delivers every reply once,
// and still times out on a silent server after it stops spinning.
func TestSpinWaitDeliversAndTimesOut(t *testing.T) {
	checkNoLeak(t)
	if !multiP { // spin here too, whatever the machine
		multiP = true
		t.Cleanup(func() { multiP = false })
	}
	fs := newFakeServer(t, false)
	var silent atomic.Bool
	fs.handle(func(c *fakeConn, m map[string]any) {
		if !silent.Load() {
			c.reply(m, map[string]any{"uuid": "call-" + m["callee_number"].(string)})
		}
	})
	s := newSession(t, testConfig(fs.url()))
	ctx := WithSpinWait(context.Background())
	for i := 0; i < 300; i++ {
		n := fmt.Sprint(i)
		rep, err := s.Call(ctx, &protocol.CallRequest{CalleeNumber: n})
		if err != nil || rep.UUID != "call-"+n {
			t.Fatalf("request %d: %v %+v", i, err, rep)
		}
	}
	if s.rttAvg.Load() <= 0 {
		t.Fatal("round trips not measured")
	}
	if b := s.spinBudget(context.Background()); b != 0 {
		t.Fatalf("a plain context spins: %v", b)
	}
	silent.Store(true)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Call(tctx, &protocol.CallRequest{CalleeNumber: "x"}); !errors.Is(err, ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent server: %v, want a timeout", err)
	}
}
