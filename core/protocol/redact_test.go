package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

func TestRedactByKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"agent_pwd":"919191Aa.","uuid":"u1"}`, `{"agent_pwd":"***","uuid":"u1"}`},
		// any JSON type: arrays, objects, numbers, booleans
		{`{"token":["abc","def"],"n":1}`, `{"token":"***","n":1}`},
		{`{"token":{"v":"abc"},"n":1}`, `{"token":"***","n":1}`},
		{`{"ext_pwd":123456}`, `{"ext_pwd":"***"}`},
		{`{"ext_pwd": true }`, `{"ext_pwd": "***" }`},
		// escaped keys and other spellings
		{`{"tok\u0065n":"abc"}`, `{"tok\u0065n":"***"}`},
		{`{"TOKEN":"abc","Agent_Pwd":"x","SDK-TOKEN":"y","sdk_token":"z","aagent_pwd":"w"}`,
			`{"TOKEN":"***","Agent_Pwd":"***","SDK-TOKEN":"***","sdk_token":"***","aagent_pwd":"***"}`},
		{`{" token ":"abc","password":"p","ice":{"credential":"c"}}`, `{" token ":"***","password":"***","ice":{"credential":"***"}}`},
		// at any depth, in arrays of objects
		{`{"data":[{"ext_pwd":"x"},{"ok":"y"}]}`, `{"data":[{"ext_pwd":"***"},{"ok":"y"}]}`},
		// keys that only look alike stay
		{`{"token_type":"bearer","tokens_left":3,"pwd_hint":"x"}`, `{"token_type":"bearer","tokens_left":3,"pwd_hint":"x"}`},
		// a value with a quote and brackets inside a string
		{`{"token":"a\"b}c","x":"y"}`, `{"token":"***","x":"y"}`},
		// broken JSON: cut short, bare words, a value that never ends
		{`{"token":"abc`, `{"token":"***"`},
		{`{"agent_pwd": abc def, "x":1}`, `{"agent_pwd": "***" def, "x":1}`},
		{`{"token":[1,2`, `{"token":"***"`},
		{`{"token":`, `{"token":`},
		{`not json "token": "x"`, `not json "token": "***"`},
	}
	for _, c := range cases {
		if got := string(Redact([]byte(c.in))); got != c.want {
			t.Errorf("Redact(%s)\n got  %s\n want %s", c.in, got, c.want)
		}
	}
}

func TestRedactorKnownValues(t *testing.T) {
	var r Redactor
	r.Learn("919191Aa.")
	r.Learn("0123456789abcdef0123456789abcdef") // a token
	r.Learn("919191")                           // 6: only as a word of its own
	r.Learn("wrong")                            // 4-5: only as a whole value
	r.Learn("abc")                              // too short: ignored
	in := `{"msg":"bad password 919191Aa. for agent","note":"x0123456789abcdef0123456789abcdefy",` +
		`"caller":"13919191922","why":"pin 919191 refused","code":"abc","list":["919191","wrong"],"m":"wrong password"}`
	want := `{"msg":"bad password *** for agent","note":"x***y",` +
		`"caller":"13919191922","why":"pin *** refused","code":"abc","list":["***","***"],"m":"wrong password"}`
	if got := string(r.JSON([]byte(in), nil)); got != want {
		t.Errorf("known values\n got  %s\n want %s", got, want)
	}
	if got := r.Text("dial: HTTP 500: <p>agent_pwd=919191Aa.</p>"); strings.Contains(got, "919191Aa.") {
		t.Errorf("Text kept the password: %s", got)
	}
}

func TestRedactorKeepsDocumentedTopLevelFields(t *testing.T) {
	var r Redactor
	r.Learn("tok-0123456789")
	r.Learn("extpwd-secret")
	in := `{"msg_type":"checkin","token":"tok-0123456789","ext_pwd":"extpwd-secret",` +
		`"raw":{"token":"tok-0123456789","ext_pwd":"extpwd-secret"},"msg":"tok-0123456789"}`
	want := `{"msg_type":"checkin","token":"tok-0123456789","ext_pwd":"extpwd-secret",` +
		`"raw":{"token":"***","ext_pwd":"***"},"msg":"***"}`
	got := string(r.JSON([]byte(in), map[string]bool{"token": true, "ext_pwd": true}))
	if got != want {
		t.Errorf("keep\n got  %s\n want %s", got, want)
	}
}

func TestRedactorEscapedSpellings(t *testing.T) {
	var r Redactor
	secret := `pa"ss<w>rd&1`
	r.Learn(secret)
	b, _ := json.Marshal(map[string]string{"m": "x " + secret + " y"})
	got := string(r.JSON(b, nil))
	if strings.Contains(got, "ss") {
		t.Errorf("escaped secret survived: %s from %s", got, b)
	}
	var nilR *Redactor
	nilR.Learn("ignored-secret")
	if got := nilR.Text("ignored-secret"); got != "ignored-secret" {
		t.Errorf("nil Redactor changed text: %s", got)
	}
}

func TestRedactorForgetsOldest(t *testing.T) {
	var r Redactor
	for i := 0; i < maxKnown+5; i++ {
		r.Learn(strings.Repeat("x", 8) + string(rune('A'+i)))
	}
	if n := len(r.snapshot()); n != maxKnown {
		t.Fatalf("knows %d secrets, bound %d", n, maxKnown)
	}
	if got := r.Text("xxxxxxxxA"); got != "xxxxxxxxA" {
		t.Errorf("oldest not forgotten: %s", got)
	}
}

func TestMarshalMessageIsValidUTF8(t *testing.T) {
	frames := []string{
		"{\"\":\"\x84\"}", // the fuzz input of the issue
		"{\"msg_type\":\"callin\",\"caller_number\":\"1\x84\"}",  // valid JSON, invalid UTF-8
		"{\"req_id\":\"r\",\"code\":\"1\",\"msg\":\"\xff\xfe\",", // broken JSON and invalid UTF-8
	}
	for _, f := range frames {
		m, err := Decode([]byte(f))
		if err != nil {
			if m, err = DecodeReply([]byte(f), MsgHold); err != nil {
				t.Fatalf("%q: %v", f, err)
			}
		}
		out, err := MarshalMessage(m)
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Errorf("%q: output is not valid UTF-8 JSON: %q", f, out)
		}
		var back map[string]any
		if err := json.Unmarshal(out, &back); err != nil || back["raw"] == nil {
			t.Errorf("%q: raw lost: %q", f, out)
		}
	}
}

// BenchmarkRedactorReply: the cost of the redaction every reply and event
// gets on its way to a C, Python or C# host (a ping reply with its raw, three
// known secrets).
func BenchmarkRedactorReply(b *testing.B) {
	var r Redactor
	r.Learn("919191Aa.")
	r.Learn("0123456789abcdef0123456789abcdef")
	r.Learn("Ext-Secret-9876")
	in := []byte(`{"req_id":"7adbbf8c-c550-4810-8eed-78bcfb579813","msg_type":"pong","code":"0","msg":"success",` +
		`"raw":{"code":"0","msg":"success","msg_type":"pong","req_id":"7adbbf8c-c550-4810-8eed-78bcfb579813"}}`)
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		_ = r.JSON(in, nil)
	}
}
