package rtc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/emiago/sipgo/sip"
	"github.com/gorilla/websocket"
)

// countingMedia counts the media the phone makes.
func countingMedia(t *testing.T, n *atomic.Int32) MediaFactory {
	m := testMedia(t)
	return MediaFactoryFunc(func(o MediaOptions) (Media, error) {
		n.Add(1)
		return m.NewMedia(o)
	})
}

// Beyond MaxCalls an INVITE gets 486 and nothing is made for it (no call,
// no event, no media), ringing or auto-answer; Dial fails the same way.
// Once a call ends there is room again.
func TestMaxCalls(t *testing.T) {
	e := newEnv(t, false, nil)
	var made atomic.Int32
	p, rec := newPhone(t, e, func(c *Config) {
		c.MaxCalls = 2
		c.Media = countingMedia(t, &made)
	})
	register(t, p)
	ctx := ctxT(t, 10*time.Second)
	for _, u := range []string{"lim-1", "lim-2"} {
		if err := e.pbx.Invite(ctx, testExt, u, pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
			t.Fatal(err)
		}
		i := 0
		rec.wait(t, &i, "ringing "+u, func(ev Event) bool {
			return ev.Type == EventCall && ev.CallState == CallRinging && ev.Call.UUID() == u
		})
	}
	for _, tc := range []struct {
		uuid string
		auto bool
	}{{"lim-3", false}, {"lim-4", true}} {
		if err := e.pbx.Invite(ctx, testExt, tc.uuid, pbx.InviteOptions{Audio: pbx.DefaultAudio, AutoAnswer: tc.auto}); err != nil {
			t.Fatal(err)
		}
		var re *pbx.RequestError
		if err := e.pbx.WaitAnswered(ctx, tc.uuid); !errors.As(err, &re) || re.Code != 486 {
			t.Fatalf("%s: PBX got %v, want 486", tc.uuid, err)
		}
	}
	if n := len(p.Calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	if n := made.Load(); n != 0 {
		t.Errorf("%d media made for ringing and refused calls", n)
	}
	for _, ev := range rec.all() {
		if ev.Call != nil && (ev.Call.UUID() == "lim-3" || ev.Call.UUID() == "lim-4") {
			t.Errorf("event for a refused call: %v %v", ev.Type, ev.CallState)
		}
	}
	if _, err := p.Dial(ctx, "1002", DialOptions{}); !errors.Is(err, ErrTooManyCalls) {
		t.Errorf("Dial at the limit: %v", err)
	}
	if n := made.Load(); n != 0 {
		t.Errorf("Dial at the limit made media (%d)", n)
	}
	// One call ends: the next INVITE rings.
	if err := p.CallByUUID("lim-1").Reject(ctx, 603); err != nil {
		t.Fatal(err)
	}
	if err := e.pbx.Invite(ctx, testExt, "lim-5", pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	i := 0
	rec.wait(t, &i, "ringing lim-5", func(ev Event) bool {
		return ev.Type == EventCall && ev.CallState == CallRinging && ev.Call.UUID() == "lim-5"
	})
}

// A ringing call nobody answers ends with 480 after RingTimeout; an
// answered one is left alone.
func TestRingTimeout(t *testing.T) {
	e := newEnv(t, false, nil)
	p, rec := newPhone(t, e, func(c *Config) { c.RingTimeout = 400 * time.Millisecond })
	register(t, p)
	ctx := ctxT(t, 10*time.Second)
	start := time.Now()
	if err := e.pbx.Invite(ctx, testExt, "ring-1", pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	var re *pbx.RequestError
	if err := e.pbx.WaitAnswered(ctx, "ring-1"); !errors.As(err, &re) || re.Code != 480 {
		t.Fatalf("PBX got %v, want 480", err)
	}
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Errorf("ended after %v, before the 400 ms ring timeout", d)
	}
	i := 0
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Code != 480 || ev.Reason != "ring timeout" {
		t.Errorf("ended %d %q", ev.Code, ev.Reason)
	}
	// Answered before the timeout: still up after it.
	if err := e.pbx.Invite(ctx, testExt, "ring-2", pbx.InviteOptions{Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	ev = rec.wait(t, &i, "ringing", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallRinging })
	if err := ev.Call.Answer(ctx, AnswerOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ev.Call.Done():
		t.Fatal("answered call ended")
	case <-time.After(600 * time.Millisecond): // past the ring timeout
	}
}

// fakeRegistrar accepts REGISTER and lets the test send the phone raw
// messages and read what it sends back.
type fakeRegistrar struct {
	srv  *httptest.Server
	mu   sync.Mutex
	ws   *websocket.Conn
	got  chan string
	conn chan struct{}
}

func newFakeRegistrar(t *testing.T) *fakeRegistrar {
	f := &fakeRegistrar{got: make(chan string, 64), conn: make(chan struct{}, 4)}
	up := websocket.Upgrader{Subprotocols: []string{"sip"}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		f.mu.Lock()
		f.ws = ws
		f.mu.Unlock()
		f.conn <- struct{}{}
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(data)
			if req, ok := msg.(*sip.Request); err == nil && ok && req.Method == sip.REGISTER {
				f.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
				continue
			}
			f.got <- string(data)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistrar) send(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

func (f *fakeRegistrar) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-f.got:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the phone sent nothing")
		return ""
	}
}

func rawRequest(method, callID string, body []byte) string {
	h := []string{
		method + " sip:1001@x.invalid;transport=ws SIP/2.0",
		"Via: SIP/2.0/WS 127.0.0.1:5060;branch=z9hG4bK" + callID,
		"From: <sip:gw@cc.test>;tag=gw1",
		"To: <sip:1001@cc.test>",
		"Call-ID: " + callID,
		"CSeq: 1 " + method,
		"Max-Forwards: 70",
		"Contact: <sip:gw@127.0.0.1;transport=ws>",
		"Content-Type: text/plain",
	}
	return strings.Join(h, "\r\n") + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
}

// A request over MaxMessageSize gets 513 (its body never held), a
// response over it is dropped, and the link goes on: the next request is
// answered.
func TestMessageTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		size  int
	}{{"default 64 KiB limit, 200 KiB INVITE", 0, 200 << 10}, {"2 KiB limit, 3 KiB MESSAGE", 2048, 3000}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRegistrar(t)
			e := &env{t: t, url: "ws://" + f.srv.Listener.Addr().String() + "/"}
			p, rec := newPhone(t, e, func(c *Config) {
				c.Domain = testDomain
				c.MaxMessageSize = tc.limit
			})
			register(t, p)
			method := "INVITE"
			if tc.limit != 0 {
				method = "MESSAGE"
			}
			f.send(rawRequest(method, "big-1", []byte(strings.Repeat("x", tc.size))))
			res := f.next(t)
			if !strings.HasPrefix(res, "SIP/2.0 513 ") || !strings.Contains(res, "Call-ID: big-1") || !strings.Contains(res, "CSeq: 1 "+method) {
				t.Fatalf("reply to the oversize %s:\n%s", method, res)
			}
			// An oversize response: dropped, nothing sent back.
			f.send("SIP/2.0 200 OK\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKnone\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: big-2\r\nCSeq: 1 INFO\r\nContent-Length: " +
				strconv.Itoa(tc.size) + "\r\n\r\n" + strings.Repeat("y", tc.size))
			// The link is up: an OPTIONS gets its 200.
			f.send(rawRequest("OPTIONS", "small-1", nil))
			if res := f.next(t); !strings.HasPrefix(res, "SIP/2.0 200 ") || !strings.Contains(res, "Call-ID: small-1") {
				t.Fatalf("after the oversize messages, OPTIONS got:\n%s", res)
			}
			for _, ev := range rec.all() {
				if ev.Type == EventLink && ev.Link != LinkConnected && ev.Link != LinkConnecting {
					t.Errorf("link event %v (%s)", ev.Link, ev.Reason)
				}
				if ev.Type == EventCall {
					t.Errorf("a call was made: %v", ev.CallState)
				}
			}
		})
	}
}

// hookedMedia remembers each call's OnConnectFailed so a test can make
// the media report a failure.
type hookedMedia struct {
	mu    sync.Mutex
	fails []func(string)
	m     *MediaEngine
}

func (h *hookedMedia) NewMedia(o MediaOptions) (Media, error) {
	h.mu.Lock()
	h.fails = append(h.fails, o.OnConnectFailed)
	h.mu.Unlock()
	return h.m.NewMedia(o)
}

func (h *hookedMedia) fail(i int, reason string) {
	h.mu.Lock()
	fn := h.fails[i]
	h.mu.Unlock()
	fn(reason)
}

// The media failure policy: hangup ends the call with BYE and the reason;
// flag keeps it up, reported as ICE failed, and the connectivity view is
// not OK.
func TestMediaFailurePolicy(t *testing.T) {
	for _, policy := range []MediaFailurePolicy{MediaFailureHangup, MediaFailureFlag} {
		t.Run(policy.String(), func(t *testing.T) {
			e := newEnv(t, false, nil)
			hm := &hookedMedia{m: testMedia(t)}
			p, rec := newPhone(t, e, func(c *Config) {
				c.Media = hm
				c.OnMediaFailure = policy
			})
			register(t, p)
			ctx := ctxT(t, 10*time.Second)
			if err := e.pbx.Invite(ctx, testExt, "mf-1", pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
				t.Fatal(err)
			}
			if err := e.pbx.WaitAnswered(ctx, "mf-1"); err != nil {
				t.Fatal(err)
			}
			i := 0
			ev := rec.wait(t, &i, "confirmed", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallConfirmed })
			c := ev.Call
			hm.fail(0, "ICE checking: no working candidate pair")
			fe := rec.wait(t, &i, "ICE failed", func(ev Event) bool { return ev.Type == EventICE && ev.ICE == ICEFailed })
			if !strings.Contains(fe.Reason, "no working candidate pair") {
				t.Errorf("ICE failed reason %q", fe.Reason)
			}
			switch policy {
			case MediaFailureHangup:
				end := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
				if !strings.HasPrefix(end.Reason, "media: ") {
					t.Errorf("ended with reason %q", end.Reason)
				}
				if err := e.pbx.WaitEnded(ctx, "mf-1"); err != nil {
					t.Fatal(err)
				}
				if s, _ := e.pbx.Snapshot("mf-1"); s.EndBy != "agent" {
					t.Errorf("PBX: ended by %q", s.EndBy)
				}
			case MediaFailureFlag:
				if c.State() != CallConfirmed || c.MediaFailure() == "" {
					t.Errorf("state %v, MediaFailure %q", c.State(), c.MediaFailure())
				}
				cv := p.Connectivity()
				if cv.OK || len(cv.Calls) != 1 || cv.Calls[0].ICE != ICEFailed || !strings.Contains(cv.Calls[0].MediaFailure, "no working candidate pair") {
					t.Errorf("connectivity %+v", cv)
				}
				// The PBX does not see a hang-up.
				sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				if err := e.pbx.WaitEnded(sctx, "mf-1"); err == nil {
					t.Error("flag policy ended the call")
				}
			}
		})
	}
}
