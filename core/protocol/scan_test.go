package protocol

import (
	"testing"
)

// The one-pass scanner must give exactly the full decoder's answers: Peek's
// envelope and error, and needsNormalizing's verdict.
func checkScanAgrees(t *testing.T, frame []byte) {
	t.Helper()
	fast, ferr := Peek(frame)
	slow, serr := peekSlow(frame)
	if (ferr == nil) != (serr == nil) || fast.MsgType != slow.MsgType || fast.ReqID != slow.ReqID ||
		fast.Code != slow.Code || fast.Action != slow.Action {
		t.Fatalf("Peek(%q) = %+v, %v; the full decoder says %+v, %v", frame, fast, ferr, slow, serr)
	}
	if fs, ok := scanFrame(frame); ok && fs.normalize != needsNormalizingRaw(frame) {
		t.Fatalf("needsNormalizing(%q): scanner %v, byte scan %v", frame, fs.normalize, !fs.normalize)
	}
	// A reply decoded through the envelope is the reply DecodeReply gives.
	if ferr == nil {
		env, _ := Peek(frame)
		for _, typ := range []MsgType{MsgPing, MsgCheckin, MsgChangeStatus} {
			a, aerr := env.DecodeReply(frame, typ)
			b, berr := DecodeReply(frame, typ)
			if (aerr == nil) != (berr == nil) {
				t.Fatalf("%s reply of %q: %v through the envelope, %v without", typ, frame, aerr, berr)
			}
			if aerr == nil {
				am, _ := MarshalMessage(a)
				bm, _ := MarshalMessage(b)
				if string(am) != string(bm) {
					t.Fatalf("%s reply of %q: %s through the envelope, %s without", typ, frame, am, bm)
				}
			}
		}
	}
}

func TestPeekScannerAgrees(t *testing.T) {
	for _, s := range []string{
		`{"req_id":"b6","msg_type":"pong","code":"0","msg":"success"}`,
		`{"msg_type":"change_status","req_id":"r","code":"0","action":"MAKE_BUSY","agent_status":"BUSY"}`,
		`{"msg_type":"transfer","req_id":"r","code":"0"}`,
		`{"msg_type":"pickup"}`,
		`{"code":"4002","msg":"[uuid]不能为空!"}`,
		`{"code":0,"msg":"x"}`,
		`{"code":"0","code":"1"}`,
		`{"MSG_TYPE":"ping"}`,
		`{"Msg_Type":"ping","msg_type":"pong"}`,
		`{"mſg_type":"ping"}`,
		`{"msg\u005ftype":"ping"}`,
		`{" msg_type":"ping"}`,
		`{"msg_type":" ping "}`,
		`{"msg_type":"p\u0069ng"}`,
		`{"msg_type":"pïng"}`,
		`{"msg_type":null,"req_id":"r"}`,
		`{"msg_type":["a"],"req_id":"r"}`,
		`{"req_id":"","code":""}`,
		`{"req_id":"r","code":"0","msg":"成功"}`,
		`{"req_id":"r","code":"0","MSG":"x"}`,
		`{"req_id":"r","code":"0","msg":"a\"b"}`,
		`{"req_id":"r","code":"0","msg":5}`,
		"{\"req_id\":\"r\",\"code\":\"0\",\"msg\":\"\xff\"}",
		`{"req_id":"r","code":"0","msg":"x","uuid":"u"}`,
		`{"req_id":"r","msg_type":"pong","code":"0","msg":"success","msg":"again"}`,
		`{"a":{"b":[1,2.5e3,-0,true,false,null,{"c":" d"}]},"msg_type":"callin"}`,
		`{"caller_channel":"x","msg_type":"callin"}`,
		`{"x":"agentIp","msg_type":"kick_off"}`,
		`{"req_id":"r","code":"1","msg":"a",}`,
		`{"req_id":"r","code":"1","msg":"broken`,
		`{"msg_type":"ping"} x`,
		`{"msg_type":"ping"}{}`,
		` {"msg_type":"ping"} `,
		`{"n":01}`, `{"n":1.}`, `{"n":-}`, `{"n":1e}`, `{"s":"\x"}`, `{"s":"\u12"}`, "{\"s\":\"a\x01\"}",
		`[1,2,3]`, `"str"`, `null`, ``, `{`, `{}`, `{"a":"\ud800"}`,
	} {
		checkScanAgrees(t, []byte(s))
	}
}

// FuzzPeekScanner: on any frame the scanner and the full decoder agree.
func FuzzPeekScanner(f *testing.F) {
	addSeedFrames(f)
	f.Add([]byte(`{"req_id":"b6","msg_type":"pong","code":"0","msg":"success"}`))
	f.Add([]byte(`{"MSG_type":"ping","a":[{"b":null}]}`))
	f.Fuzz(checkScanAgrees)
}

// IsRequest names exactly the types newRequest makes.
func TestIsRequestMatchesNewRequest(t *testing.T) {
	for _, mt := range knownTypes {
		if got, want := mt.IsRequest(), newRequest(mt) != nil; got != want {
			t.Errorf("%s.IsRequest() = %v, want %v", mt, got, want)
		}
	}
	if MsgType("nonsense").IsRequest() {
		t.Error("an unknown type is not a request")
	}
}

func BenchmarkPeek(b *testing.B) {
	frame := []byte(`{"req_id":"b69912ae-0414-11ee-aaf4-174c4c2dfe01","msg_type":"pong","code":"0","msg":"success"}`)
	b.Run("scanner", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Peek(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := peekSlow(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
}
