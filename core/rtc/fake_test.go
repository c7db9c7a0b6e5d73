package rtc

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/emiago/sipgo/sip"
	"github.com/gorilla/websocket"
)

// fakeMedia is a Media that fails where told to: signalling tests that
// need no audio.
type fakeMedia struct {
	acceptErr error
	closed    atomic.Bool
}

func (f *fakeMedia) CreateOffer(context.Context, bool) (string, error) { return "v=0\r\n", nil }
func (f *fakeMedia) AcceptOffer(context.Context, string) (string, error) {
	if f.acceptErr != nil {
		return "", f.acceptErr
	}
	return "v=0\r\n", nil
}
func (f *fakeMedia) SetAnswer(string) error                   { return nil }
func (f *fakeMedia) SetDirections(Direction, Direction) error { return nil }
func (f *fakeMedia) SetHold(bool) error                       { return nil }
func (f *fakeMedia) SendDTMF(string, DTMFMode) error          { return nil }
func (f *fakeMedia) Close() error                             { f.closed.Store(true); return nil }

// A media failure while answering refuses the INVITE with 488.
func TestAnswerMediaFailure488(t *testing.T) {
	e := newEnv(t, false, nil)
	fm := &fakeMedia{acceptErr: errors.New("no common codec")}
	p, rec := newPhone(t, e, func(c *Config) {
		c.Media = MediaFactoryFunc(func(MediaOptions) (Media, error) { return fm, nil })
	})
	register(t, p)
	if err := e.pbx.Invite(ctxT(t, 5*time.Second), testExt, "u-488", pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	var re *pbx.RequestError
	if err := e.pbx.WaitAnswered(ctxT(t, 5*time.Second), "u-488"); !errors.As(err, &re) || re.Code != 488 {
		t.Fatalf("PBX: %v, want 488", err)
	}
	i := 0
	ev := rec.wait(t, &i, "ended", func(ev Event) bool { return ev.Type == EventCall && ev.CallState == CallEnded })
	if ev.Code != 488 || !strings.Contains(ev.Reason, "no common codec") {
		t.Errorf("ended %d %q", ev.Code, ev.Reason)
	}
	if !fm.closed.Load() {
		t.Error("media not closed")
	}
}

// A registrar that answers every REGISTER with a fresh 401 (as some do
// for a wrong password): the phone stops after one answered challenge.
func TestRegister401LoopStops(t *testing.T) {
	var registers atomic.Int32
	up := websocket.Upgrader{Subprotocols: []string{"sip"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(data)
			req, ok := msg.(*sip.Request)
			if err != nil || !ok || req.Method != sip.REGISTER {
				continue
			}
			registers.Add(1)
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="cc.test", nonce="`+randHex(8)+`", algorithm=SHA-256, qop="auth"`))
			_ = ws.WriteMessage(websocket.TextMessage, []byte(res.String()))
		}
	}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: "ws://" + srv.Listener.Addr().String() + "/"}
	p, rec := newPhone(t, e, nil)
	err := p.Register(ctxT(t, 5*time.Second))
	if !errors.Is(err, ErrAuthLoop) {
		t.Fatalf("Register: %v, want ErrAuthLoop", err)
	}
	if n := registers.Load(); n != 2 {
		t.Errorf("%d REGISTERs sent, want 2 (one plain, one with credentials)", n)
	}
	i := 0
	ev := rec.wait(t, &i, "failed", func(ev Event) bool { return ev.Type == EventRegistration && ev.Registration == RegFailed })
	if ev.Reason == "" {
		t.Error("failed without a reason")
	}
}

// An outgoing INVITE challenged with 407 is sent again with
// Proxy-Authorization (CSeq + 1) after the 407 is ACKed; the 2xx is ACKed.
func TestDialProxyAuth(t *testing.T) {
	type seen struct {
		method string
		cseq   uint32
		authz  string
	}
	got := make(chan seen, 16)
	up := websocket.Upgrader{Subprotocols: []string{"sip"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		reply := func(res *sip.Response) { _ = ws.WriteMessage(websocket.TextMessage, []byte(res.String())) }
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(data)
			req, ok := msg.(*sip.Request)
			if err != nil || !ok {
				continue
			}
			s := seen{method: string(req.Method), cseq: req.CSeq().SeqNo}
			if h := req.GetHeader("Proxy-Authorization"); h != nil {
				s.authz = h.Value()
			}
			got <- s
			switch req.Method {
			case sip.REGISTER:
				reply(sip.NewResponseFromRequest(req, 200, "OK", nil))
			case sip.INVITE:
				if s.authz == "" {
					res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
					res.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="cc.test", nonce="n0nce", algorithm=MD5, qop="auth"`))
					reply(res)
					continue
				}
				res := sip.NewResponseFromRequest(req, 200, "OK", []byte("v=0\r\n"))
				res.AppendHeader(sip.NewHeader("Contact", "<sip:gw@127.0.0.1;transport=ws>"))
				reply(res)
			case sip.BYE:
				reply(sip.NewResponseFromRequest(req, 200, "OK", nil))
			}
		}
	}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: "ws://" + srv.Listener.Addr().String() + "/"}
	p, _ := newPhone(t, e, func(c *Config) {
		c.Domain = testDomain
		c.Media = MediaFactoryFunc(func(MediaOptions) (Media, error) { return &fakeMedia{}, nil })
	})
	register(t, p)
	<-got // REGISTER
	c, err := p.Dial(ctxT(t, 5*time.Second), "9000", DialOptions{})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	want := []string{"INVITE", "ACK", "INVITE", "ACK"}
	var s []seen
	for range want {
		select {
		case x := <-got:
			s = append(s, x)
		case <-time.After(5 * time.Second):
			t.Fatalf("saw only %+v", s)
		}
	}
	for k, w := range want {
		if s[k].method != w {
			t.Fatalf("request %d is %s, want %s (%+v)", k, s[k].method, w, s)
		}
	}
	if s[2].cseq != s[0].cseq+1 || s[1].cseq != s[0].cseq || s[3].cseq != s[2].cseq {
		t.Errorf("CSeqs %d %d %d %d", s[0].cseq, s[1].cseq, s[2].cseq, s[3].cseq)
	}
	p0 := authParams(strings.TrimPrefix(s[2].authz, "Digest "))
	// Independent check of the digest (RFC 2617 qop=auth, MD5).
	h := func(x string) string { return fmt.Sprintf("%x", md5.Sum([]byte(x))) }
	ha1 := h("1001:cc.test:" + testPwd)
	ha2 := h("INVITE:" + p0["uri"])
	if resp := h(ha1 + ":n0nce:" + p0["nc"] + ":" + p0["cnonce"] + ":auth:" + ha2); resp != p0["response"] || p0["username"] != "1001" {
		t.Errorf("Proxy-Authorization %q: response wrong", s[2].authz)
	}
	if c.State() != CallConfirmed {
		t.Errorf("state %v", c.State())
	}
	if err := c.Hangup(ctxT(t, 5*time.Second)); err != nil {
		t.Errorf("hangup: %v", err)
	}
}

// A registrar that drops the link on every REGISTER: after
// maxRegisterLinkLosses attempts in a row the registration is reported
// failed with the reason (it was "registering" forever), Register returns
// that error, and the phone keeps trying with the link's backoff.
func TestRegistrarDroppingTheLinkFails(t *testing.T) {
	var registers atomic.Int32
	more := make(chan struct{}, 100)
	up := websocket.Upgrader{Subprotocols: []string{"sip"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if msg, err := sip.ParseMessage(data); err == nil {
				if req, ok := msg.(*sip.Request); ok && req.Method == sip.REGISTER {
					registers.Add(1)
					more <- struct{}{}
					return // closes the link
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: "ws://" + srv.Listener.Addr().String() + "/"}
	p, rec := newPhone(t, e, nil)
	err := p.Register(ctxT(t, 10*time.Second))
	if err == nil || !errors.Is(err, ErrLinkLost) {
		t.Fatalf("Register: %v, want the link lost", err)
	}
	if n := registers.Load(); n != maxRegisterLinkLosses {
		t.Errorf("failed after %d REGISTERs, want %d", n, maxRegisterLinkLosses)
	}
	i := 0
	ev := rec.wait(t, &i, "failed", func(ev Event) bool { return ev.Type == EventRegistration && ev.Registration == RegFailed })
	if !strings.Contains(ev.Reason, "link") {
		t.Errorf("failed with reason %q, want the link's loss", ev.Reason)
	}
	// It keeps trying.
	for registers.Load() <= maxRegisterLinkLosses {
		select {
		case <-more:
		case <-time.After(10 * time.Second):
			t.Fatal("no REGISTER after the failure was reported")
		}
	}
}
