package protocol

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// Fuzz targets: ./build.sh test runs each briefly, ./build.sh bench longer
// (go test -run '^$' -fuzz '^FuzzDecodeAll$' -fuzztime 10s ./core/protocol).
// Without -fuzz they run their seeds as ordinary tests.

func addSeedFrames(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "spec", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"{\"\":\"\x84\"}",
		`{"msg_type":" checkin","req_id":"r1","code":"0","token":"t","ext_pwd":"p"}`,
		`{"msg_type":"callin","is_video":"0","caller_channel":"x"," agent_status":"FREE"}`,
		`{"req_id":"r","code":"1","msg":"a",}`,
		`{"req_id":"r","code":"1","msg":"broken`,
		`{"code":403,"message":"鉴权不通过!"}`,
		`{"token":["a",{"b":"c"}],"tok\u0065n":1}`,
		`[1,2,3]`, `"str"`, `null`, ``, `{`, `{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecodeAll: no frame makes the decoder panic, and whatever it decodes
// marshals back (for an application) as valid JSON in valid UTF-8.
func FuzzDecodeAll(f *testing.F) {
	addSeedFrames(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		check := func(m Message) {
			out, err := MarshalMessage(m)
			if err != nil {
				t.Fatalf("MarshalMessage(%q): %v", frame, err)
			}
			if !utf8.Valid(out) || !json.Valid(out) {
				t.Fatalf("MarshalMessage(%q) = %q: not valid UTF-8 JSON", frame, out)
			}
		}
		if m, err := Decode(frame); err == nil {
			check(m)
		}
		for _, typ := range []MsgType{MsgCheckin, MsgHold, MsgChangeStatus, MsgPing} {
			if r, err := DecodeReply(frame, typ); err == nil {
				check(r)
			}
		}
		if _, err := Peek(frame); err == nil {
			_, _ = DecodeRequest(frame)
		}
		for _, d := range []func([]byte) error{
			func(b []byte) error { _, err := DecodeTokenReply(b); return err },
			func(b []byte) error { _, err := DecodeSkillServiceList(b); return err },
		} {
			_ = d(frame)
		}
	})
}

// FuzzRedact: the redactor never panics, keeps valid JSON valid, and no
// secret survives under a secret-named key or, once learned, anywhere.
func FuzzRedact(f *testing.F) {
	addSeedFrames(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		out := Redact(frame)
		if json.Valid(frame) && !json.Valid(out) {
			t.Fatalf("Redact(%q) = %q: valid JSON became invalid", frame, out)
		}
		// Build a frame around a secret taken from the input.
		secret := string(ValidUTF8(frame))
		if len(secret) > 40 {
			secret = secret[:40]
		}
		secret = strings.ToValidUTF8(secret, "")
		if utf8.RuneCountInString(secret) < anywhereLen || strings.Contains(Redacted, secret) {
			return
		}
		for _, key := range []string{"agent_pwd", "TOKEN", "tok\u0065n", "Ext-Pwd", "note"} {
			b, err := json.Marshal(map[string]any{key: secret, "list": []any{"x" + secret + "y"}, "n": 1})
			if err != nil {
				return
			}
			var r Redactor
			r.Learn(secret)
			got := r.JSON(b, nil)
			if !json.Valid(got) {
				t.Fatalf("JSON(%s) = %s: not valid JSON", b, got)
			}
			var back map[string]any
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			for k, v := range back {
				if strings.Contains(k, secret) {
					continue // a key is never redacted
				}
				if s, _ := json.Marshal(v); strings.Contains(string(s), secret) || strings.Contains(jsonText(v), secret) {
					t.Fatalf("secret %q survived under %q: %s", secret, k, got)
				}
			}
		}
	})
}

// jsonText flattens a decoded value's strings.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(jsonText(e))
			b.WriteByte(0)
		}
		return b.String()
	case map[string]any:
		var b strings.Builder
		for _, e := range x {
			b.WriteString(jsonText(e))
			b.WriteByte(0)
		}
		return b.String()
	}
	return ""
}
