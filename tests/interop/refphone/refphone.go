// Package refphone is a reference Go phone for the interop harness: sipgo
// (UA, transactions, dialogs, WS transport) and pion, nothing of the SDK.
// The harness runs the same browser tests against it as against the SDK's
// core/rtc phone, so a failure of those can be told apart: harness or
// Kamailio (refphone fails too) versus the SDK (only the SDK fails).
package refphone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/tests/interop/sdkpeer"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

type phone struct {
	args   sdkpeer.RegisterArgs
	host   string
	port   int
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	dua    *sipgo.DialogUA
	api    *webrtc.API

	mu       sync.Mutex
	calls    map[string]*call // by Call-ID
	incoming chan *call
}

// Open registers a phone as the harness asks.
func Open(ctx context.Context, a sdkpeer.RegisterArgs) (sdkpeer.Phone, error) {
	u, err := url.Parse(a.WS)
	if err != nil {
		return nil, err
	}
	host, portS, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(portS)
	path := u.Path
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("interop-refphone"),
		sipgo.WithUserAgentHostname(a.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerTransports(sip.TransportsConfig{
			WS: &sip.TransportWS{DialURI: func(h string) string { return "ws://" + h + path }},
		})),
	)
	if err != nil {
		return nil, err
	}
	p := &phone{args: a, host: host, port: port, ua: ua, calls: map[string]*call{}, incoming: make(chan *call, 8)}
	if p.client, err = sipgo.NewClient(ua); err != nil {
		return nil, err
	}
	if p.server, err = sipgo.NewServer(ua); err != nil {
		return nil, err
	}
	params := sip.NewParams()
	params.Add("transport", "ws")
	p.dua = &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: a.User, Host: fmt.Sprintf("ref%04x.invalid", rand.IntN(1<<16)), UriParams: params}}}
	if p.api, err = newAPI(); err != nil {
		return nil, err
	}
	p.server.OnInvite(p.onInvite)
	p.server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := p.byReq(req); c != nil && c.srv != nil {
			_ = c.srv.ReadAck(req, tx)
		}
	})
	p.server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		c := p.byReq(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		if c.srv != nil {
			_ = c.srv.ReadBye(req, tx)
		} else {
			_ = c.cli.ReadBye(req, tx)
		}
		c.end()
	})
	p.server.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	if err := p.register(ctx); err != nil {
		_ = ua.Close()
		return nil, err
	}
	return p, nil
}

// proxyRoute sends every request of ours to the WebSocket server.
func (p *phone) proxyRoute() *sip.RouteHeader {
	params := sip.NewParams()
	params.Add("transport", "ws")
	params.Add("lr", "")
	return &sip.RouteHeader{Address: sip.Uri{Scheme: "sip", Host: p.host, Port: p.port, UriParams: params}}
}

func (p *phone) register(ctx context.Context) error {
	params := sip.NewParams()
	params.Add("transport", "ws")
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.args.Domain, UriParams: params})
	req.SetDestination(net.JoinHostPort(p.host, strconv.Itoa(p.port)))
	aor := sip.Uri{Scheme: "sip", User: p.args.User, Host: p.args.Domain}
	tag := sip.NewParams()
	tag.Add("tag", strconv.FormatUint(rand.Uint64(), 36))
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: tag})
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	ct := p.dua.ContactHDR
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.args.User, Password: p.args.Password})
		if err != nil {
			return err
		}
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("REGISTER: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

func (p *phone) byReq(req *sip.Request) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[req.CallID().Value()]
}

func (p *phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, inDialog := req.To().Params.Get("tag"); inDialog {
		c := p.byReq(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		ans, err := c.m.answer(string(req.Body()))
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		res := sip.NewSDPResponseFromRequest(req, []byte(ans))
		res.AppendHeader(sip.HeaderClone(&p.dua.ContactHDR))
		_ = tx.Respond(res)
		return
	}
	sess, err := p.dua.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	m, err := newMedia(p.api, p.args.ToneHz)
	if err != nil {
		_ = sess.Respond(500, "Server Internal Error", nil)
		return
	}
	c := &call{p: p, id: req.CallID().Value(), from: req.From().Address.String(), srv: sess, invite: req,
		m: m, done: make(chan struct{}), answered: make(chan struct{})}
	p.mu.Lock()
	p.calls[c.id] = c
	p.mu.Unlock()
	_ = sess.Respond(180, "Ringing", nil)
	p.incoming <- c
	select {
	case <-c.answered:
	case <-c.done:
	case <-sess.Context().Done():
		c.end()
	}
}

func (p *phone) WaitIncoming(ctx context.Context) (sdkpeer.Call, error) {
	select {
	case c := <-p.incoming:
		return c, nil
	case <-ctx.Done():
		return nil, errors.New("no incoming call")
	}
}

func (p *phone) Dial(ctx context.Context, target string) (sdkpeer.Call, error) {
	var to sip.Uri
	if err := sip.ParseUri(target, &to); err != nil {
		return nil, err
	}
	m, err := newMedia(p.api, p.args.ToneHz)
	if err != nil {
		return nil, err
	}
	offer, err := m.offer()
	if err != nil {
		m.close()
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, to)
	tag := sip.NewParams()
	tag.Add("tag", strconv.FormatUint(rand.Uint64(), 36))
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.args.User, Host: p.args.Domain}, Params: tag})
	req.AppendHeader(p.proxyRoute())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(offer))
	sess, err := p.dua.WriteInvite(ctx, req)
	if err != nil {
		m.close()
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.args.User, Password: p.args.Password}); err != nil {
		m.close()
		return nil, err
	}
	if err := sess.Ack(ctx); err != nil {
		m.close()
		return nil, err
	}
	if err := m.setAnswer(string(sess.InviteResponse.Body())); err != nil {
		_ = sess.Bye(ctx)
		m.close()
		return nil, err
	}
	c := &call{p: p, id: sess.InviteRequest.CallID().Value(), from: p.args.User, cli: sess, m: m,
		done: make(chan struct{}), answered: make(chan struct{})}
	close(c.answered)
	p.mu.Lock()
	p.calls[c.id] = c
	p.mu.Unlock()
	return c, nil
}

func (p *phone) Close() error {
	p.mu.Lock()
	calls := make([]*call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, c := range calls {
		_ = c.Hangup(ctx)
	}
	return p.ua.Close()
}

type call struct {
	p        *phone
	id, from string
	srv      *sipgo.DialogServerSession
	cli      *sipgo.DialogClientSession
	invite   *sip.Request
	m        *mediaLeg
	done     chan struct{}
	answered chan struct{}
	endOnce  sync.Once
	ansOnce  sync.Once
}

func (c *call) ID() string                { return c.id }
func (c *call) From() string              { return c.from }
func (c *call) Done() <-chan struct{}     { return c.done }
func (c *call) RecentAudio(n int) []int16 { return c.m.recent(n) }

func (c *call) Answer(ctx context.Context) error {
	if c.srv == nil {
		return errors.New("not an incoming call")
	}
	var err error
	c.ansOnce.Do(func() {
		var ans string
		if ans, err = c.m.answer(string(c.invite.Body())); err != nil {
			return
		}
		// onInvite returns (and sipgo then ends the INVITE's server
		// transaction) once answered is closed: close it only after the
		// 200 went out. Closed before, a loaded machine could end the
		// transaction first and the 200 was never sent: the browser rang
		// until the harness's 60 s test timeout (issue 10, item 10).
		defer close(c.answered)
		// RespondSDP waits for the ACK, and over WebSocket fails with
		// "transaction terminated" when the ACK takes longer than T1 (it
		// then retransmits the 2xx on a transaction that is over). The 200
		// went out; the ACK is still taken by OnAck.
		err = c.srv.RespondSDP([]byte(ans))
		if err != nil {
			// Under load the ACK can land after RespondSDP gave up: the
			// dialog is then established moments later. Wait for it
			// (bounded) instead of failing a call that did connect.
			deadline := time.Now().Add(5 * time.Second)
			for c.srv.LoadState() < sip.DialogStateEstablished && time.Now().Before(deadline) {
				select {
				case <-ctx.Done():
					return
				case <-c.done:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
			if c.srv.LoadState() >= sip.DialogStateEstablished {
				err = nil
			}
		}
	})
	return err
}

func (c *call) Hangup(ctx context.Context) error {
	defer c.end()
	select {
	case <-c.done:
		return nil
	default:
	}
	if c.cli != nil {
		return c.cli.Bye(ctx)
	}
	select {
	case <-c.answered:
		return c.srv.Bye(ctx)
	default:
		return c.srv.Respond(486, "Busy Here", nil)
	}
}

func (c *call) end() {
	c.endOnce.Do(func() {
		close(c.done)
		c.m.close()
		c.p.mu.Lock()
		delete(c.p.calls, c.id)
		c.p.mu.Unlock()
	})
}

// ---- media ----

func newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	s := webrtc.SettingEngine{}
	loop := func(ip net.IP) bool { return ip.IsLoopback() }
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(loop)
	s.SetRemoteIPFilter(loop)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s)), nil
}

type mediaLeg struct {
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	toneHz float64
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	mu  sync.Mutex
	pcm []int16
}

func newMedia(api *webrtc.API, toneHz float64) (*mediaLeg, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "audio", "refphone")
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTrack(tr); err != nil {
		return nil, err
	}
	m := &mediaLeg{pc: pc, track: tr, toneHz: toneHz, stop: make(chan struct{})}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			for {
				pkt, _, err := t.ReadRTP()
				if err != nil {
					return
				}
				m.mu.Lock()
				for _, b := range pkt.Payload {
					if pkt.PayloadType == 8 {
						m.pcm = append(m.pcm, pbx.DecodeALaw(b))
					} else if pkt.PayloadType == 0 {
						m.pcm = append(m.pcm, pbx.DecodeULaw(b))
					}
				}
				if len(m.pcm) > 2*pbx.SampleRate {
					m.pcm = append([]int16(nil), m.pcm[len(m.pcm)-pbx.SampleRate:]...)
				}
				m.mu.Unlock()
			}
		}()
	})
	m.wg.Add(1)
	go m.send()
	return m, nil
}

func (m *mediaLeg) send() {
	defer m.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	gen := pbx.ToneGen{Freqs: []float64{m.toneHz}, Amplitude: 8000}
	pcm := make([]int16, pbx.FrameSamples)
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		gen.Fill(pcm)
		buf := make([]byte, len(pcm))
		for i, s := range pcm {
			buf[i] = pbx.EncodeULaw(s)
		}
		_ = m.track.WriteSample(media.Sample{Data: buf, Duration: 20 * time.Millisecond})
	}
}

func (m *mediaLeg) gather(d webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	<-done
	return m.pc.LocalDescription().SDP, nil
}

func (m *mediaLeg) offer() (string, error) {
	o, err := m.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return m.gather(o)
}

func (m *mediaLeg) setAnswer(sdp string) error {
	return m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

func (m *mediaLeg) answer(offer string) (string, error) {
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	a, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	return m.gather(a)
}

func (m *mediaLeg) recent(n int) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n = min(n, len(m.pcm))
	return append([]int16(nil), m.pcm[len(m.pcm)-n:]...)
}

func (m *mediaLeg) close() {
	m.once.Do(func() {
		close(m.stop)
		_ = m.pc.Close()
	})
	m.wg.Wait()
}
