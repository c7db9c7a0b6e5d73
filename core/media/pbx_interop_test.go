package media

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// A minimal SIP-over-WebSocket agent (sipgo) around this package's media,
// to check the engine against the simulator's independent PBX: its SDP, its
// G.711 and its RFC 4733 / inband DTMF detection.
type interopAgent struct {
	t      *testing.T
	eng    *Engine
	ua     *sipgo.UserAgent
	client *sipgo.Client
	dua    *sipgo.DialogUA
	host   string
	port   int

	mu    sync.Mutex
	sess  map[string]*sipgo.DialogServerSession
	calls map[string]*Call
	got   chan *Call
}

func newInteropAgent(t *testing.T, addr string) *interopAgent {
	host, portS, _ := net.SplitHostPort(addr)
	a := &interopAgent{t: t, eng: newTestEngine(t), host: host, sess: map[string]*sipgo.DialogServerSession{},
		calls: map[string]*Call{}, got: make(chan *Call, 4)}
	fmt.Sscan(portS, &a.port)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("media-interop"), sipgo.WithUserAgentHostname("agent.invalid"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{
			WS: &sip.TransportWS{DialURI: func(h string) string { return "ws://" + h + "/sip" }},
		})))
	if err != nil {
		t.Fatal(err)
	}
	a.ua = ua
	t.Cleanup(func() { _ = ua.Close() })
	if a.client, err = sipgo.NewClient(ua); err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	ws := sip.NewParams()
	ws.Add("transport", "ws")
	a.dua = &sipgo.DialogUA{Client: a.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "agent.invalid", UriParams: ws}}}
	srv.OnInvite(a.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		a.mu.Lock()
		s := a.sess[req.CallID().Value()]
		a.mu.Unlock()
		if s != nil {
			_ = s.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	return a
}

func (a *interopAgent) register(ctx context.Context) {
	var u sip.Uri
	_ = sip.ParseUri(fmt.Sprintf("sip:%s:%d;transport=ws", a.host, a.port), &u)
	req := sip.NewRequest(sip.REGISTER, u)
	aor := sip.Uri{Scheme: "sip", User: "1001", Host: "cc.test"}
	tag := sip.NewParams()
	tag.Add("tag", "t1001")
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: tag})
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	ct := a.dua.ContactHDR
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := a.client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = a.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "1001", Password: "pw1001"})
	}
	if err != nil || res.StatusCode != 200 {
		a.t.Fatalf("register: %v %v", res, err)
	}
}

func (a *interopAgent) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	cid := req.CallID().Value()
	if _, has := req.To().Params.Get("tag"); has { // re-INVITE
		a.mu.Lock()
		c := a.calls[cid]
		a.mu.Unlock()
		ans, err := c.AcceptOffer(context.Background(), string(req.Body()))
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, err.Error(), nil))
			return
		}
		res := sip.NewSDPResponseFromRequest(req, []byte(ans))
		res.AppendHeader(sip.HeaderClone(&a.dua.ContactHDR))
		_ = tx.Respond(res)
		return
	}
	sess, err := a.dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, err.Error(), nil))
		return
	}
	c, err := a.eng.NewCall(CallOptions{Audio: SendRecv})
	if err != nil {
		_ = sess.Respond(500, err.Error(), nil)
		return
	}
	a.t.Cleanup(func() { _ = c.Close() })
	ans, err := c.AcceptOffer(context.Background(), string(req.Body()))
	if err != nil {
		a.t.Errorf("accept PBX offer: %v", err)
		_ = sess.Respond(488, err.Error(), nil)
		return
	}
	a.mu.Lock()
	a.sess[cid], a.calls[cid] = sess, c
	a.mu.Unlock()
	a.got <- c
	if err := sess.RespondSDP([]byte(ans)); err != nil && !strings.Contains(err.Error(), "ACK") {
		a.t.Errorf("respond: %v", err)
	}
}

func TestInteropPBX(t *testing.T) {
	p, err := pbx.New(pbx.Config{Domain: "cc.test", Users: map[string]string{"1001": "pw1001"}, ToneHz: 600, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sip", p)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { _ = p.Close(); srv.Close() })

	ctx := ctxT(t, 30*time.Second)
	a := newInteropAgent(t, srv.Listener.Addr().String())
	a.register(ctx)
	if err := p.WaitRegistered(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := p.Invite(ctx, "1001", "u-1", pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
		t.Fatal(err)
	}
	var c *Call
	select {
	case c = <-a.got:
	case <-ctx.Done():
		t.Fatal("no INVITE")
	}
	c.SetAudioSource(ToneSource(1000, 8000))
	heard := newCapSink()
	c.AddAudioSink(heard)
	// The PBX hears our 1 kHz, we hear its 600 Hz.
	if _, err := p.WaitSnapshot(ctx, "u-1", func(s pbx.Snapshot) bool {
		return s.AudioRx.Packets > 25 && math.Abs(s.Tone.PeakHz-1000) < 10 && s.Tone.PeakRatio > 0.8
	}); err != nil {
		s, _ := p.Snapshot("u-1")
		t.Fatalf("PBX does not hear the tone: %+v", s)
	}
	assertTone(t, "agent hears PBX", heard, 600)

	// RFC 4733, then inband, as the PBX's own detectors see them.
	if err := c.SendDTMF("42#", DTMFRFC4733); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitSnapshot(ctx, "u-1", func(s pbx.Snapshot) bool { return s.Digits == "42#" }); err != nil {
		s, _ := p.Snapshot("u-1")
		t.Fatalf("PBX digits %q", s.Digits)
	}
	c.SetAudioSource(nil)
	if err := c.SendDTMF("7*", DTMFInband); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitSnapshot(ctx, "u-1", func(s pbx.Snapshot) bool { return s.Digits == "42#7*" }); err != nil {
		s, _ := p.Snapshot("u-1")
		t.Fatalf("PBX digits %q (%+v)", s.Digits, s.DTMF)
	}

	// PBX hold: its re-INVITE is answered, and we stop sending.
	if err := p.Hold(ctx, "u-1", true); err != nil {
		t.Fatal(err)
	}
	if aud, _ := c.NegotiatedDirections(); aud.Sends() {
		t.Fatalf("still sending while held by the PBX: %v", aud)
	}
	if err := p.Hold(ctx, "u-1", false); err != nil {
		t.Fatal(err)
	}
	if aud, _ := c.NegotiatedDirections(); aud != SendRecv {
		t.Fatalf("after unhold: %v", aud)
	}
	if st := c.Stats(); st.Audio.PacketsReceived < 25 || st.AudioCodec != "PCMU" {
		t.Fatalf("stats %+v", st)
	}
	if err := p.Hangup(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
}
