package rtc

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFC 7616 §3.9.1 example (the same digest computation as SIP's).
func TestDigestRFC7616Vectors(t *testing.T) {
	const (
		user   = "Mufasa"
		pwd    = "Circle of Life"
		uri    = "/dir/index.html"
		cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	)
	hdr := `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=%s, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	for alg, want := range map[string]string{
		"MD5":     "8ca523f5e9506fed4657c9700eebdbec",
		"SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	} {
		c, ok := parseChallenge(strings.Replace(hdr, "%s", alg, 1))
		if !ok || !c.qopAuth {
			t.Fatalf("%s: challenge not parsed: %+v", alg, c)
		}
		if got := digestResponse(c, user, pwd, "GET", uri, cnonce, 1); got != want {
			t.Errorf("%s: response %s, want %s", alg, got, want)
		}
	}
}

func TestPickChallengePrefersSHA256(t *testing.T) {
	c, ok := pickChallenge([]string{
		`Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"`,
		`Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"`,
		`Digest realm="r", nonce="n3", algorithm=SHA-512-256, qop="auth"`,
	}, false)
	if !ok || c.algorithm != "SHA-256" || c.nonce != "n2" {
		t.Errorf("picked %+v", c)
	}
	if _, ok := parseChallenge(`Basic realm="x"`); ok {
		t.Error("Basic accepted")
	}
	if _, ok := parseChallenge(`Digest realm="x", nonce="n", qop="auth-int"`); ok {
		t.Error("auth-int only accepted")
	}
	c, _ = parseChallenge(`Digest realm="x", nonce="n", stale=TRUE`)
	if !c.stale || c.qopAuth || c.algorithm != "MD5" {
		t.Errorf("stale/no-qop challenge %+v", c)
	}
	a := authorization(c, "1001", "pw", "REGISTER", "sip:cc.test", 1)
	if strings.Contains(a, "qop") || !strings.Contains(a, `username="1001"`) {
		t.Errorf("authorization without qop: %s", a)
	}
}

func TestRedactSIP(t *testing.T) {
	msg := "REGISTER sip:cc.test SIP/2.0\r\nAuthorization: Digest username=\"1001\", realm=\"cc.test\", nonce=\"abc\", uri=\"sip:cc.test\", response=\"0123456789abcdef\", algorithm=MD5\r\nProxy-Authorization: Digest response=deadbeef, nc=1\r\n\r\n"
	out := redactSIP(msg)
	if strings.Contains(out, "0123456789abcdef") || strings.Contains(out, "deadbeef") {
		t.Errorf("digest response left in:\n%s", out)
	}
	if !strings.Contains(out, `username="1001"`) || !strings.Contains(out, "algorithm=MD5") {
		t.Errorf("too much redacted:\n%s", out)
	}
}

func TestParseSDPInfo(t *testing.T) {
	for _, tc := range []struct {
		name, sdp    string
		audio, video Direction
		hold         bool
	}{
		{"webrtc sendrecv", "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:x\r\na=sendrecv\r\n", SendRecv, -1, false},
		{"inactive", "v=0\r\nm=audio 9 RTP/AVP 0\r\na=inactive\r\nm=video 9 RTP/AVP 96\r\na=inactive\r\n", Inactive, Inactive, true},
		{"sendonly session level", "v=0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n", SendOnly, -1, true},
		{"rfc2543 hold", "v=0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n", SendRecv, -1, true},
		{"rejected video", "v=0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n", SendRecv, -1, false},
		{"recvonly video", "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\nm=video 5000 RTP/AVP 96\r\na=sendonly\r\n", RecvOnly, SendOnly, false},
	} {
		got := parseSDPInfo(tc.sdp)
		if got.audio != tc.audio || got.video != tc.video || got.hold != tc.hold {
			t.Errorf("%s: %+v, want audio %v video %v hold %v", tc.name, got, tc.audio, tc.video, tc.hold)
		}
	}
}

func TestParseInfoDTMF(t *testing.T) {
	for _, tc := range []struct{ ct, body, want string }{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"},
		{"application/dtmf-relay", "Signal= #\r\nDuration=100", "#"},
		{"application/dtmf-relay", "Signal=11\r\n", "#"},
		{"application/dtmf", "*", "*"},
		{"Application/DTMF-Relay; charset=x", "signal=a", "A"},
		{"application/dtmf-relay", "Signal=E", ""},
		{"text/plain", "Signal=5", ""},
	} {
		got, ok := parseInfoDTMF(tc.ct, tc.body)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%q %q: %q %v, want %q", tc.ct, tc.body, got, ok, tc.want)
		}
	}
}

func TestAutoAnswerHint(t *testing.T) {
	mk := func(name, value string) *sip.Request {
		r := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "x"})
		if name != "" {
			r.AppendHeader(sip.NewHeader(name, value))
		}
		return r
	}
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"Call-Info", "<sip:cc.test>;answer-after=0", true},
		{"Call-Info", "<sip:cc.test>;answer-after=5", false},
		{"Alert-Info", "<http://www.notused.com>;info=alert-autoanswer", true},
		{"Alert-Info", "<urn:alert:service:auto-answer>", true},
		{"Alert-Info", "<http://x>;info=ring1", false},
		{"", "", false},
	} {
		if got := autoAnswerHint(mk(tc.name, tc.value)); got != tc.want {
			t.Errorf("%s: %s → %v", tc.name, tc.value, got)
		}
	}
}

func TestRefreshDelayAndBackoff(t *testing.T) {
	for _, tc := range []struct{ granted, want time.Duration }{
		{3600 * time.Second, 3240 * time.Second}, // 90%
		{600 * time.Second, 540 * time.Second},
		{120 * time.Second, 90 * time.Second}, // expires-30s
		{40 * time.Second, 20 * time.Second},  // not before half
		{2 * time.Second, time.Second},
	} {
		if got := refreshDelay(tc.granted); got != tc.want {
			t.Errorf("refreshDelay(%v) = %v, want %v", tc.granted, got, tc.want)
		}
	}
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Factor: 2, Jitter: 0.2}
	mid := func() float64 { return 0.5 }
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 9: time.Second} {
		if got := b.Delay(n, mid); got != want {
			t.Errorf("delay(%d) = %v, want %v", n, got, want)
		}
	}
	if got := b.Delay(1, func() float64 { return 1 }); got != 120*time.Millisecond {
		t.Errorf("jitter high: %v", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{URL: "wss://pbx.example.com:7443/ws", User: "1001", Password: "x"}
	got, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Domain != "pbx.example.com" || got.AuthUser != "1001" || got.Expires != 600*time.Second || got.TLSConfig == nil {
		t.Errorf("defaults: domain %q auth %q expires %v tls %v", got.Domain, got.AuthUser, got.Expires, got.TLSConfig != nil)
	}
	for _, bad := range []Config{{URL: "http://x", User: "1"}, {URL: "ws://x"}, {User: "1"}, {URL: "wss://x", User: "1", CAPEM: []byte("nope")}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if m, err := DTMFModeFromSpec(2); err == nil {
		t.Errorf("spec DTMF type 2 accepted as %v", m)
	}
}
