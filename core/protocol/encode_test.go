package protocol

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// AppendEncode writes exactly what Encode writes.
func TestAppendEncodeMatchesEncode(t *testing.T) {
	h := Header{ReqID: "b69912ae-0414-11ee-aaf4-174c4c2dfe01", CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows"}
	odd := Header{ReqID: "r<1>&\"\\", CompanyCode: "公司", AgentID: "a\u2028b", ExtID: "e\x01", OS: "", Token: "t\xff"}
	reqs := []Request{
		&PingRequest{Header: h},
		&PingRequest{},
		&PingRequest{Header: odd},
		&CheckoutRequest{Header: Header{ReqID: "x", ExtID: "090008_5000", Token: "tok"}},
		&GetStatusRequest{Header: Header{Token: "t"}},
		&CallRequest{Header: h, CalleeNumber: "13107618845", Media: Media{Audio: Ptr(MediaSendRecv), Video: Ptr(MediaNone)}},
		&CheckinRequest{Header: odd, AgentPwd: "p<w>", Reset: Ptr(true)},
	}
	for _, r := range reqs {
		want, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendEncode([]byte("prefix"), r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("AppendEncode(%T) = %s, Encode gives %s", r, got, want)
		}
	}
}

func BenchmarkAppendEncode(b *testing.B) {
	r := &PingRequest{Header: Header{ReqID: "b69912ae-0414-11ee-aaf4-174c4c2dfe01", CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows", Token: "tok"}}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = AppendEncode(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
}

// MarshalMessage writes the message's fields as json.Marshal does, then raw.
func TestMarshalMessageFieldsAsMarshal(t *testing.T) {
	frames := []string{
		`{"req_id":"r<1>","msg_type":"pong","code":"0","msg":"成功 & <ok>\u2028"}`,
		`{"req_id":"r","code":"0","msg_type":"call","uuid":"u\\"1"}`,
		`{"req_id":"r","code":"1","msg":"a",}`,
	}
	for _, f := range frames {
		r, err := DecodeReply([]byte(f), MsgCall)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MarshalMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(got), string(fields[:len(fields)-1])+`,"raw":`) {
			t.Errorf("MarshalMessage(%s) = %s, want the fields %s first", f, got, fields)
		}
	}
}
