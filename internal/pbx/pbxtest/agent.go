// Package pbxtest is a SIP-over-WebSocket test agent for tests that drive
// internal/pbx (its own tests, ccsim's): sipgo's UA, transaction and dialog
// layers for SIP and a pion peer for media. It is written apart from the
// PBX so that a test catches a bug in either.
package pbxtest

// The test agent: sipgo's UA,
// transaction and dialog layers over its WS transport for SIP, and a pion
// peer for media. It registers, answers INVITEs (at once when they carry
// answer-after=0), plays a tone, sends DTMF in the three modes, follows
// re-INVITEs with pion's own direction rules, and can hang up or hold.

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

type Agent struct {
	t      testing.TB
	ext    string
	domain string
	host   string
	port   int
	toneHz float64

	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	dua    *sipgo.DialogUA
	api    *webrtc.API

	mu         sync.Mutex
	calls      map[string]*Call // by Call-ID
	incoming   chan *Call
	ringOnly   bool // never answer by itself
	rejectWith int  // answer INVITEs with this failure code
	closing    bool // the transport is being closed: failures are expected
}

// CloseTransport drops the agent's WebSocket (and everything else).
func (a *Agent) CloseTransport() {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	_ = a.ua.Close()
}

func NewAgent(t testing.TB, addr, domain, ext string, toneHz float64) *Agent {
	t.Helper()
	host, portS, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(portS, &port)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("pbx-test-agent"),
		sipgo.WithUserAgentHostname("agent.invalid"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{
			WS: &sip.TransportWS{DialURI: func(h string) string { return "ws://" + h + "/sip" }},
		})),
	)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	server, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{t: t, ext: ext, domain: domain, host: host, port: port, toneHz: toneHz,
		ua: ua, client: client, server: server,
		calls: map[string]*Call{}, incoming: make(chan *Call, 16)}
	wsParam := sip.NewParams()
	wsParam.Add("transport", "ws")
	a.dua = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{
		Scheme: "sip", User: ext, Host: "agent" + randHex(3) + ".invalid", UriParams: wsParam}}}
	a.api = newAPI(t)
	server.OnInvite(a.onInvite)
	server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := a.call(req); c != nil {
			_ = c.sess.ReadAck(req, tx)
		}
	})
	server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		c := a.call(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
			return
		}
		_ = c.sess.ReadBye(req, tx)
		c.close("pbx")
	})
	server.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	t.Cleanup(func() {
		a.mu.Lock()
		calls := make([]*Call, 0, len(a.calls))
		for _, c := range a.calls {
			calls = append(calls, c)
		}
		a.mu.Unlock()
		for _, c := range calls {
			c.close("cleanup")
		}
		_ = ua.Close()
	})
	return a
}

func newAPI(t testing.TB) *webrtc.API {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 100}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	s := webrtc.SettingEngine{}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s))
}

func (a *Agent) uri() sip.Uri {
	var u sip.Uri
	_ = sip.ParseUri(fmt.Sprintf("sip:%s:%d;transport=ws", a.host, a.port), &u)
	return u
}

// register sends REGISTER and answers the digest challenge with pwd; it
// returns the final response.
func (a *Agent) Register(ctx context.Context, pwd string, expires int) (*sip.Response, error) {
	req := sip.NewRequest(sip.REGISTER, a.uri())
	aor := sip.Uri{Scheme: "sip", User: a.ext, Host: a.domain}
	tag := sip.NewParams()
	tag.Add("tag", randHex(4))
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: tag})
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	ct := a.dua.ContactHDR
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	req.AppendHeader(sip.NewHeader("X-CC-Company", "acme"))
	res, err := a.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == 401 {
		res, err = a.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: a.ext, Password: pwd})
	}
	return res, err
}

func (a *Agent) call(req *sip.Request) *Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[req.CallID().Value()]
}

func (a *Agent) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, has := req.To().Params.Get("tag"); has {
		c := a.call(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
			return
		}
		c.onReinvite(req, tx)
		return
	}
	sess, err := a.dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, err.Error(), nil))
		return
	}
	c := &Call{a: a, sess: sess, Invite: req, ended: make(chan struct{}), answered: make(chan struct{}), responded: make(chan struct{})}
	if h := req.GetHeader("X-CC-UUID"); h != nil {
		c.UUID = h.Value()
	}
	if h := req.GetHeader("Call-Info"); h != nil && strings.Contains(h.Value(), "answer-after=0") {
		c.AutoAnswer = true
	}
	a.mu.Lock()
	a.calls[req.CallID().Value()] = c
	ringOnly, reject := a.ringOnly, a.rejectWith
	a.mu.Unlock()
	if reject != 0 {
		_ = sess.Respond(reject, "Rejected", nil)
		c.close("rejected")
		a.incoming <- c
		return
	}
	_ = sess.Respond(180, "Ringing", nil)
	a.incoming <- c
	if c.AutoAnswer && !ringOnly {
		if err := c.Answer(); err != nil {
			a.mu.Lock()
			closing := a.closing
			a.mu.Unlock()
			if !closing {
				a.t.Errorf("answer: %v", err)
			}
		}
	}
	// The server transaction ends when this handler returns: wait until
	// the answer has been sent (Answer may come from another goroutine).
	select {
	case <-c.responded:
	case <-c.ended:
	case <-sess.Context().Done():
		c.close("cancelled")
	}
}

// WaitIncoming returns the next INVITE the agent got.
func (a *Agent) WaitIncoming(ctx context.Context) *Call {
	a.t.Helper()
	select {
	case c := <-a.incoming:
		return c
	case <-ctx.Done():
		a.t.Fatalf("no INVITE reached agent %s", a.ext)
		return nil
	}
}

// Dial places a call from the agent to target through the PBX (sipgo's
// dialog client; no digest: the PBX trusts the registered connection).
func (a *Agent) Dial(ctx context.Context, user, uuid string) (*sipgo.DialogClientSession, *webrtc.PeerConnection, error) {
	return a.DialWith(ctx, user, uuid, nil)
}

// DialWith is Dial with setup run on the peer connection before the offer
// (to add a track of the test's own); setup nil adds an audio transceiver.
func (a *Agent) DialWith(ctx context.Context, user, uuid string, setup func(*webrtc.PeerConnection) error) (*sipgo.DialogClientSession, *webrtc.PeerConnection, error) {
	recipient := a.uri()
	recipient.User = user
	tag := sip.NewParams()
	tag.Add("tag", randHex(4))
	hdrs := []sip.Header{sip.NewHeader("Content-Type", "application/sdp"),
		&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: a.ext, Host: a.domain}, Params: tag}}
	if uuid != "" {
		hdrs = append(hdrs, sip.NewHeader("X-CC-UUID", uuid))
	}
	pc, err := a.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	a.t.Cleanup(func() { _ = pc.Close() })
	if setup == nil {
		setup = func(pc *webrtc.PeerConnection) error {
			_, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio)
			return err
		}
	}
	if err := setup(pc); err != nil {
		return nil, nil, err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, nil, err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, nil, err
	}
	<-done
	sess, err := a.dua.Invite(ctx, recipient, []byte(pc.LocalDescription().SDP), hdrs...)
	if err != nil {
		return nil, nil, err
	}
	return sess, pc, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// SetRingOnly makes the agent leave every INVITE ringing (Answer answers it).
func (a *Agent) SetRingOnly(on bool) {
	a.mu.Lock()
	a.ringOnly = on
	a.mu.Unlock()
}

// SetReject makes the agent answer INVITEs with this failure code (0: off).
func (a *Agent) SetReject(code int) {
	a.mu.Lock()
	a.rejectWith = code
	a.mu.Unlock()
}

// Ext is the agent's extension.
func (a *Agent) Ext() string { return a.ext }

// Contact is the Contact address the agent registers.
func (a *Agent) Contact() string { return a.dua.ContactHDR.Address.String() }
