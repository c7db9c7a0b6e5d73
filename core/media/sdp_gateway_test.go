package media

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

// The answers gateways get: each recorded offer (testdata/offers, see its
// README) is answered by the real engine and the answer is checked field
// by field against RFC 3264 / 8843 / 5761 / 8839 and what the offer allows.

type offerCase struct {
	name   string
	file   string
	mutate func(string) string // derived variants; nil for the recording as is
	// wantSetup: the DTLS role the answer must take ("" = active or passive).
	wantSetup string
	// rejected: m= lines the answer must reject (port 0), with a logged reason.
	rejected []int
}

func gatewayOffers() []offerCase {
	setup := func(role string) func(string) string {
		return func(s string) string { return strings.ReplaceAll(s, "a=setup:actpass", "a=setup:"+role) }
	}
	return []offerCase{
		{name: "rtpengine 10.5 via Kamailio (no BUNDLE, no mid, rtcp-mux)", file: "rtpengine-10.5-kamailio.sdp", wantSetup: "active"},
		{name: "rtpengine 10.5 via Kamailio, ICE-lite, no rtcp-mux", file: "rtpengine-10.5-kamailio-icelite-nomux.sdp"},
		{name: "rtpengine 10.5, DTLS active (derived)", file: "rtpengine-10.5-kamailio.sdp", mutate: setup("active"), wantSetup: "passive"},
		{name: "rtpengine 10.5, DTLS passive (derived)", file: "rtpengine-10.5-kamailio.sdp", mutate: setup("passive"), wantSetup: "active"},
		{name: "Chromium 156 (BUNDLE, mid, rtcp-mux, Opus first)", file: "chromium-156.sdp", wantSetup: "active"},
		{name: "FreeSWITCH-style", file: "freeswitch-style.sdp", wantSetup: "active"},
		{name: "FreeSWITCH-style + video, no BUNDLE (derived)", file: "freeswitch-style.sdp", mutate: addUnbundledVideo, wantSetup: "active", rejected: []int{1}},
	}
}

// addUnbundledVideo adds a video m= line with its own ICE credentials and
// port, as a gateway that does not bundle sends it.
func addUnbundledVideo(s string) string {
	return s + strings.Join([]string{
		"m=video 27414 UDP/TLS/RTP/SAVPF 96",
		"a=rtpmap:96 VP8/90000",
		"a=sendrecv",
		"a=setup:actpass",
		"a=rtcp-mux",
		"a=ice-ufrag:Zq8vVideoUfrag01",
		"a=ice-pwd:VideoPasswordVideoPassword",
		"a=candidate:8209983414 1 udp 659136 127.0.0.1 27414 typ host generation 0",
		"",
	}, "\r\n")
}

func readOffer(t *testing.T, oc offerCase) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "offers", oc.file))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if oc.mutate != nil {
		s = oc.mutate(s)
	}
	return s
}

func mustParse(t *testing.T, raw string) *sdp.SessionDescription {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		t.Fatalf("unparsable SDP: %v\n%s", err, raw)
	}
	return &sd
}

func attr(md *sdp.MediaDescription, key string) (string, bool) {
	for _, a := range md.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// setupOf is the a=setup of a section (media level, else session level).
func setupOf(sd *sdp.SessionDescription, md *sdp.MediaDescription) string {
	if v, ok := attr(md, "setup"); ok {
		return v
	}
	v, _ := sd.Attribute("setup")
	return v
}

// teOf returns the payload type of telephone-event/8000 in a section.
func teOf(md *sdp.MediaDescription) string {
	for _, a := range md.Attributes {
		if a.Key == "rtpmap" && strings.HasSuffix(strings.ToLower(a.Value), " telephone-event/8000") {
			return strings.Fields(a.Value)[0]
		}
	}
	return ""
}

func TestGatewayOfferAnswers(t *testing.T) {
	for _, oc := range gatewayOffers() {
		t.Run(oc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var lmu sync.Mutex
			cfg := testConfig()
			cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{&lmu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
			e, err := NewEngine(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c, err := e.NewCall(CallOptions{Audio: SendRecv})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			raw := readOffer(t, oc)
			ans, err := c.AcceptOffer(ctxT(t, 10*time.Second), raw)
			if err != nil {
				t.Fatalf("AcceptOffer: %v", err)
			}
			checkAnswer(t, oc, mustParse(t, raw), mustParse(t, ans), ans)
			lmu.Lock()
			logged := logs.String()
			lmu.Unlock()
			for _, i := range oc.rejected {
				want := "m= line " + strconv.Itoa(i)
				if !strings.Contains(logged, "stream rejected") || !strings.Contains(logged, want) {
					t.Errorf("no logged reason for rejecting %s; log:\n%s", want, logged)
				}
			}
			if len(oc.rejected) == 0 && strings.Contains(logged, "stream rejected") {
				t.Errorf("a stream was reported rejected: %s", logged)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func checkAnswer(t *testing.T, oc offerCase, off, ans *sdp.SessionDescription, rawAns string) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("answer:\n%s", rawAns)
		}
	}()
	if len(ans.MediaDescriptions) != len(off.MediaDescriptions) {
		t.Fatalf("answer has %d m= lines, offer %d (RFC 3264 §6)", len(ans.MediaDescriptions), len(off.MediaDescriptions))
	}
	_, offBundle := off.Attribute("group")
	if g, ok := ans.Attribute("group"); ok != offBundle {
		t.Errorf("answer group %q (present %v), offer BUNDLE present %v (RFC 8843 §7.3)", g, ok, offBundle)
	}
	if _, lite := ans.Attribute("ice-lite"); lite {
		t.Error("answer claims ice-lite")
	}
	_, sessFP := ans.Attribute("fingerprint")
	for i, om := range off.MediaDescriptions {
		am := ans.MediaDescriptions[i]
		if am.MediaName.Media != om.MediaName.Media {
			t.Errorf("m= line %d: kind %s, offer %s", i, am.MediaName.Media, om.MediaName.Media)
		}
		if !slices.Equal(am.MediaName.Protos, om.MediaName.Protos) {
			t.Errorf("m= line %d: proto %v, offer %v", i, am.MediaName.Protos, om.MediaName.Protos)
		}
		if slices.Contains(oc.rejected, i) {
			if am.MediaName.Port.Value != 0 {
				t.Errorf("m= line %d: port %d, want 0 (rejected)", i, am.MediaName.Port.Value)
			}
			continue
		}
		// Transport: c= and port of the default candidate, never 0.0.0.0 / 9 / 0.
		port := am.MediaName.Port.Value
		if port == 0 || port == 9 {
			t.Errorf("m= line %d: port %d (0 rejects the stream, 9 is the placeholder)", i, port)
		}
		ci := am.ConnectionInformation
		if ci == nil {
			ci = ans.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			t.Fatalf("m= line %d: no c= line", i)
		}
		if ci.Address.Address == "0.0.0.0" || ci.AddressType != "IP4" || net.ParseIP(ci.Address.Address) == nil {
			t.Errorf("m= line %d: c=%s %s (gateways read 0.0.0.0 as hold)", i, ci.AddressType, ci.Address.Address)
		}
		def, ok := defaultCandidate(am.Attributes)
		if !ok && offBundle {
			def, ok = defaultCandidate(ans.MediaDescriptions[0].Attributes)
		}
		if !ok {
			t.Fatalf("m= line %d: no component-1 UDP candidate", i)
		}
		if def.port != port || def.ip.String() != ci.Address.Address {
			t.Errorf("m= line %d: c=/m= %s:%d, default candidate %s:%d", i, ci.Address.Address, port, def.ip, def.port)
		}
		// Mid only if the offer named the line, and the same one.
		omid, oHas := attr(om, "mid")
		amid, aHas := attr(am, "mid")
		if aHas != oHas || amid != omid {
			t.Errorf("m= line %d: mid %q (present %v), offer %q (present %v)", i, amid, aHas, omid, oHas)
		}
		// rtcp-mux and rtcp-rsize only if offered; without mux, a=rtcp names the port.
		_, oMux := attr(om, "rtcp-mux")
		_, aMux := attr(am, "rtcp-mux")
		if aMux != oMux {
			t.Errorf("m= line %d: rtcp-mux %v, offered %v (RFC 5761 §5.1.1)", i, aMux, oMux)
		}
		if _, rs := attr(am, "rtcp-rsize"); rs {
			if _, ors := attr(om, "rtcp-rsize"); !ors {
				t.Errorf("m= line %d: rtcp-rsize not offered", i)
			}
		}
		if !oMux {
			v, ok := attr(am, "rtcp")
			want := strconv.Itoa(port) + " IN IP4 " + ci.Address.Address
			if !ok || v != want {
				t.Errorf("m= line %d: a=rtcp:%q, want %q", i, v, want)
			}
		}
		// ICE and DTLS.
		if _, ok := attr(am, "ice-ufrag"); !ok {
			t.Errorf("m= line %d: no ice-ufrag", i)
		}
		if _, ok := attr(am, "ice-pwd"); !ok {
			t.Errorf("m= line %d: no ice-pwd", i)
		}
		if _, ok := attr(am, "fingerprint"); !ok && !sessFP {
			t.Errorf("m= line %d: no fingerprint", i)
		}
		role := setupOf(ans, am)
		switch {
		case oc.wantSetup != "" && role != oc.wantSetup:
			t.Errorf("m= line %d: a=setup:%s, want %s (offer %s)", i, role, oc.wantSetup, setupOf(off, om))
		case role != "active" && role != "passive":
			t.Errorf("m= line %d: a=setup:%s in an answer", i, role)
		}
		// Codecs: only payload types the offer has, telephone-event as numbered by the offer.
		for _, f := range am.MediaName.Formats {
			if !slices.Contains(om.MediaName.Formats, f) {
				t.Errorf("m= line %d: format %s not in the offer %v", i, f, om.MediaName.Formats)
			}
		}
		if om.MediaName.Media == "audio" {
			if !slices.Contains(am.MediaName.Formats, "0") && !slices.Contains(am.MediaName.Formats, "8") {
				t.Errorf("m= line %d: no G.711 in %v", i, am.MediaName.Formats)
			}
			if te := teOf(om); te != "" && teOf(am) != te {
				t.Errorf("m= line %d: telephone-event/8000 on %q, offer %q", i, teOf(am), te)
			}
		}
		dirs := 0
		for _, a := range am.Attributes {
			if _, isDir := ParseDirection(a.Key); isDir {
				dirs++
				if a.Key != "sendrecv" {
					t.Errorf("m= line %d: a=%s, want sendrecv", i, a.Key)
				}
			}
		}
		if dirs != 1 {
			t.Errorf("m= line %d: %d direction attributes", i, dirs)
		}
	}
}

// Our own offers carry the default candidate too (not c=0.0.0.0, port 9).
func TestOfferHasDefaultCandidate(t *testing.T) {
	e := newTestEngine(t)
	c, err := e.NewCall(CallOptions{Audio: SendRecv, Video: SendRecv})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.CreateOffer(ctxT(t, 10*time.Second), false)
	if err != nil {
		t.Fatal(err)
	}
	sd := mustParse(t, raw)
	if g, _ := sd.Attribute("group"); !strings.HasPrefix(g, "BUNDLE") {
		t.Errorf("offer group %q", g)
	}
	def, ok := defaultCandidate(sd.MediaDescriptions[0].Attributes)
	if !ok {
		t.Fatalf("no candidate in\n%s", raw)
	}
	if len(sd.MediaDescriptions) != 2 {
		t.Fatalf("%d m= lines", len(sd.MediaDescriptions))
	}
	for i, md := range sd.MediaDescriptions {
		ci := md.ConnectionInformation
		if md.MediaName.Port.Value != def.port || ci == nil || ci.Address.Address != def.ip.String() {
			t.Errorf("m= line %d: %v port %d, want %s:%d\n%s", i, ci, md.MediaName.Port.Value, def.ip, def.port, raw)
		}
		if v := setupOf(sd, md); v != "actpass" {
			t.Errorf("m= line %d: a=setup:%s in an offer", i, v)
		}
	}
}

// rtpengine's recorded answer to an offer of ours (a=mid, no BUNDLE
// group) is taken, and so is the same answer without its a=mid.
func TestGatewayAnswerToOurOffer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "offers", "rtpengine-10.5-kamailio-answer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		answer string
	}{
		{"as recorded", string(b)},
		{"without a=mid (derived)", strings.ReplaceAll(string(b), "a=mid:0\r\n", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t)
			c, err := e.NewCall(CallOptions{Audio: SendRecv})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.CreateOffer(ctxT(t, 10*time.Second), false); err != nil {
				t.Fatal(err)
			}
			if err := c.SetAnswer(tc.answer); err != nil {
				t.Fatalf("SetAnswer: %v", err)
			}
			if a, _ := c.NegotiatedDirections(); a != SendRecv {
				t.Errorf("negotiated audio %v", a)
			}
		})
	}
}

// A gateway-shaped peer end to end: the offer reaches us without BUNDLE,
// a=mid or rtcp-mux and with a DTLS role fixed (active or passive); the
// answer goes back with the a=mid the gateway keeps for itself. ICE and
// DTLS connect and the tone flows both ways.
func TestGatewayShapedPeerConnects(t *testing.T) {
	for _, role := range []string{"active", "passive", "actpass"} {
		t.Run("offer setup "+role, func(t *testing.T) {
			e1, e2 := newTestEngine(t), newTestEngine(t)
			w1, w2 := &stateWatch{}, &stateWatch{}
			a, err := e1.NewCall(CallOptions{Audio: SendRecv, OnState: w1.on})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := e2.NewCall(CallOptions{Audio: SendRecv, OnState: w2.on})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			a.SetAudioSource(ToneSource(440, 8000))
			b.SetAudioSource(ToneSource(1000, 8000))
			sa, sb := newCapSink(), newCapSink()
			a.AddAudioSink(sa)
			b.AddAudioSink(sb)
			ctx := ctxT(t, 15*time.Second)
			offer, err := a.CreateOffer(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			gw := offer
			for _, drop := range []string{"a=group:BUNDLE 0\r\n", "a=mid:0\r\n", "a=rtcp-mux\r\n", "a=rtcp-rsize\r\n"} {
				if !strings.Contains(gw, drop) {
					t.Fatalf("our offer has no %q:\n%s", drop, offer)
				}
				gw = strings.ReplaceAll(gw, drop, "")
			}
			gw = strings.ReplaceAll(gw, "a=setup:actpass", "a=setup:"+role)
			ans, err := b.AcceptOffer(ctx, gw)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(ans, "a=mid:") || strings.Contains(ans, "a=group:") || strings.Contains(ans, "a=rtcp-mux") {
				t.Fatalf("answer names what the offer did not:\n%s", ans)
			}
			back := strings.Replace(ans, "a=sendrecv\r\n", "a=sendrecv\r\na=mid:0\r\n", 1)
			if err := a.SetAnswer(back); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "both connected", func() bool { return w1.last() == StateConnected && w2.last() == StateConnected })
			assertTone(t, "offerer", sa, 1000)
			assertTone(t, "answerer", sb, 440)
		})
	}
}
