package pbx

import (
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// sipgo's own warnings (the test agent's) are noise here.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Once every PBX, agent and call is closed, what they started must be
	// gone (goleak retries while pion and sipgo end theirs).
	goleak.VerifyTestMain(m)
}

func TestG711RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  func(int16) byte
		dec  func(byte) int16
	}{{"ulaw", EncodeULaw, DecodeULaw}, {"alaw", EncodeALaw, DecodeALaw}} {
		for _, v := range []int{0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000, 32767, -32768} {
			got := int(tc.dec(tc.enc(int16(v))))
			// G.711 keeps about 4 significant bits: error within ~1/16 of the value.
			if tol := math.Max(40, math.Abs(float64(v))/14); math.Abs(float64(got-v)) > tol {
				t.Errorf("%s: %d → %d", tc.name, v, got)
			}
		}
	}
	// Known code points: silence.
	if EncodeULaw(0) != 0xFF || EncodeALaw(0) != 0xD5 {
		t.Errorf("silence codes %#x %#x", EncodeULaw(0), EncodeALaw(0))
	}
}

func tone(freqs []float64, n int) []int16 {
	g := ToneGen{Freqs: freqs, Amplitude: 6000}
	out := make([]int16, n)
	g.Fill(out)
	return out
}

func TestAnalyseTone(t *testing.T) {
	for _, f := range []float64{300, 440, 1000, 1004, 2500, 3400} {
		a := AnalyseTone(tone([]float64{f}, 1600), SampleRate)
		if math.Abs(a.PeakHz-f) > 1.5 || a.PeakRatio < 0.95 {
			t.Errorf("%v Hz: %+v", f, a)
		}
		if r := ToneRatio(tone([]float64{f}, 1600), SampleRate, f); r < 0.95 {
			t.Errorf("ToneRatio(%v) = %v", f, r)
		}
	}
	mix := tone([]float64{440, 1000}, 1600)
	if r := ToneRatio(mix, SampleRate, 440); r < 0.4 || r > 0.6 {
		t.Errorf("half the energy at 440: %v", r)
	}
	if a := AnalyseTone(make([]int16, 1600), SampleRate); a.PeakHz != 0 || a.RMSdBFS > -100 {
		t.Errorf("silence: %+v", a)
	}
}

func TestDTMFDetector(t *testing.T) {
	var got string
	d := DTMFDetector{OnDigit: func(b byte) { got += string(b) }}
	for _, k := range "1234567890*#ABCD" {
		lo, hi, ok := DTMFFreqs(byte(k))
		if !ok {
			t.Fatal(k)
		}
		d.Write(tone([]float64{lo, hi}, 800)) // 100 ms digit
		d.Write(make([]int16, 480))           // 60 ms gap
	}
	// A digit over a steady 440 Hz tone, and a plain tone that must not count.
	d.Write(tone([]float64{440}, 1600))
	lo, hi, _ := DTMFFreqs('5')
	mixed := tone([]float64{lo, hi, 440}, 800)
	d.Write(mixed)
	d.Write(tone([]float64{1000}, 1600))
	if got != "1234567890*#ABCD5" {
		t.Fatalf("detected %q", got)
	}
	for c := uint8(0); c < 16; c++ {
		dg, _ := DTMFEventDigit(c)
		if back, _ := DTMFEventCode(dg); back != c {
			t.Errorf("event %d ↔ %c", c, dg)
		}
	}
}

// TestDTMFDetectorTiming: a repeated digit counts again after a gap, a blip
// shorter than a digit does not count, nor does a pair too unequal.
func TestDTMFDetectorTiming(t *testing.T) {
	var got string
	d := DTMFDetector{OnDigit: func(b byte) { got += string(b) }}
	lo, hi, _ := DTMFFreqs('5')
	for range 2 {
		d.Write(tone([]float64{lo, hi}, 800)) // 100 ms
		d.Write(make([]int16, 480))           // 60 ms gap
	}
	d.Write(tone([]float64{lo, hi}, 240)) // a 30 ms blip
	d.Write(make([]int16, 480))
	twisted := ToneGen{Freqs: []float64{lo}, Amplitude: 6000}
	weak := ToneGen{Freqs: []float64{hi}, Amplitude: 1500} // 12 dB below
	a, b := make([]int16, 800), make([]int16, 800)
	twisted.Fill(a)
	weak.Fill(b)
	for i := range a {
		a[i] += b[i]
	}
	d.Write(a)
	if got != "55" {
		t.Fatalf("detected %q, want \"55\"", got)
	}
}

// TestG711KnownCodes checks codes of the G.711 tables: the loudest and
// quietest steps and a few in between, both laws.
func TestG711KnownCodes(t *testing.T) {
	// μ-law: the loudest steps, silence both ways, segment 7's last step
	// (1024 apart from 32124).
	for code, want := range map[byte]int16{0x00: -32124, 0x80: 32124, 0xFF: 0, 0x7F: 0, 0x0F: -16764, 0x8F: 16764} {
		if got := DecodeULaw(code); got != want {
			t.Errorf("μ-law %#x → %d, want %d", code, got, want)
		}
	}
	// A-law: the loudest steps, the quietest (silence is ±8), 0x00.
	for code, want := range map[byte]int16{0xAA: 32256, 0x2A: -32256, 0xD5: 8, 0x55: -8, 0x00: -5504, 0x80: 5504} {
		if got := DecodeALaw(code); got != want {
			t.Errorf("A-law %#x → %d, want %d", code, got, want)
		}
	}
	// Encoding is monotonic: a louder sample never gets a quieter code.
	for s := -32767; s < 32767; s++ {
		if DecodeULaw(EncodeULaw(int16(s))) > DecodeULaw(EncodeULaw(int16(s+1))) ||
			DecodeALaw(EncodeALaw(int16(s))) > DecodeALaw(EncodeALaw(int16(s+1))) {
			t.Fatalf("not monotonic at %d", s)
		}
	}
}

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
