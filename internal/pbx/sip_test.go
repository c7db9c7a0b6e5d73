package pbx

import (
	"strings"
	"testing"
)

// The PBX's own readers: digest credentials and SDP.

func TestDigest(t *testing.T) {
	var ns nonceStore
	n := ns.issue()
	pwd := func(u string) (string, bool) { return "pw", u == "1001" }
	ha1 := digestHex("MD5", "1001", "r", "pw")
	ha2 := digestHex("MD5", "REGISTER", "sip:r")
	resp := digestHex("MD5", ha1, n, "00000001", "abc", "auth", ha2)
	authz := `Digest username="1001", realm="r", nonce="` + n + `", uri="sip:r", response="` + resp + `", qop=auth, nc=00000001, cnonce="abc", algorithm=MD5`
	if u, ok := checkDigest(authz, "REGISTER", "r", &ns, pwd); !ok || u != "1001" {
		t.Fatalf("good digest refused: %q", u)
	}
	if _, ok := checkDigest(authz, "INVITE", "r", &ns, pwd); ok {
		t.Fatal("digest for another method accepted")
	}
	bad := `Digest username="1001", realm="r", nonce="made-up", uri="sip:r", response="` + resp + `"`
	if _, ok, stale := checkDigestStale(bad, "REGISTER", "r", &ns, pwd); ok || !stale {
		t.Fatal("unknown nonce: accepted, or not reported stale")
	}
	wrong := strings.Replace(authz, resp, strings.Repeat("0", 32), 1)
	if _, ok, stale := checkDigestStale(wrong, "REGISTER", "r", &ns, pwd); ok || stale {
		t.Fatal("wrong response: accepted, or reported stale")
	}
}

func TestQuoteParams(t *testing.T) {
	got := quoteParams(`Digest username="10 01", Realm="a,b", nonce=abc , uri="sip:r", response="x\"y", qop=auth,nc=00000001,bare`)
	want := map[string]string{"digest username": "10 01", "realm": "a,b", "nonce": "abc", "uri": "sip:r", "response": `x"y`,
		"qop": "auth", "nc": "00000001"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSetDirections(t *testing.T) {
	const raw = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=sendrecv\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n" +
		"m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n"
	out, err := setDirections(raw, func(mid string) (Direction, bool) { return Inactive, mid == "0" })
	if err != nil {
		t.Fatal(err)
	}
	secs, err := parseSDP(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].Dir != Inactive || secs[1].Dir != SendRecv || !secs[1].Rejected || secs[1].Codecs[96] != "vp8/90000" {
		t.Fatalf("%+v\n%s", secs, out)
	}
	if SendOnly.Mirror() != RecvOnly || SendRecv.Mirror() != SendRecv || Inactive.Mirror() != Inactive {
		t.Fatal("mirror")
	}
	// Without a=mid an m= line is named by its index; without a direction
	// it takes the session's, and a new one goes last.
	const bare = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=sendonly\nm=audio 9 RTP/AVP 8\nc=IN IP4 0.0.0.0\n"
	secs, err = parseSDP(bare)
	if err != nil || len(secs) != 1 || secs[0].Mid != "0" || secs[0].Dir != SendOnly || secs[0].Codecs[8] != "pcma/8000" {
		t.Fatalf("%+v %v", secs, err)
	}
	out, err = setDirections(bare, func(mid string) (Direction, bool) { return RecvOnly, mid == "0" })
	if err != nil || !strings.HasSuffix(out, "c=IN IP4 0.0.0.0\r\na=recvonly\r\n") || strings.Contains(out, "sendonly") {
		t.Fatalf("%q %v", out, err)
	}
	for _, bad := range []string{"", "hello", "m=audio 9 RTP/AVP 0\r\n", "v=0\r\nm=audio\r\n"} {
		if _, err := parseSDP(bad); err == nil {
			t.Errorf("parseSDP(%q) accepted", bad)
		}
	}
}
