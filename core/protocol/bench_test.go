package protocol

import (
	"testing"
)

// BenchmarkDecode decodes each reply and event type: clean JSON (the strict
// fast path) and the spec's quirky form (the normalizing path).
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		req  MsgType // "" for events
		data string
	}{
		{"checkin/clean", MsgCheckin, `{"req_id":"b69912ae-0414-11ee-aaf4-174c4c2dfe01","code":"0","msg_type":"checkin","msg":"success","ext_id":"090008_5000","pbx":"127.0.0.1:5060","ext_pwd":"Aa123321.","rtc_address":"","login_type":"2","token":"4f2a9c"}`},
		{"checkin/quirky", MsgCheckin, string(load(b, "checkin_ok.json"))},
		{"pong/clean", MsgPing, `{"req_id":"b69912ae-0414-11ee-aaf4-174c4c2dfe01","msg_type":"pong","code":"0","msg":"success"}`},
		{"call/clean", MsgCall, `{"req_id":"b69912ae-0414-11ee-aaf4-174c4c2dfe01","code":"0","msg_type":"call","msg":"success","uuid":"call-e6d151f43c2c417d9d2e73dbf8761c88"}`},
		{"change_status/clean", MsgChangeStatus, `{"req_id":"b6","code":"0","msg_type":"change_status","msg":"success","action":"MAKE_BUSY","last_agent_status":"OFFLINE","agent_status":"BUSY"}`},
		{"change_status/quirky", MsgChangeStatus, string(load(b, "change_status_ok.json"))},
		{"hold/clean", MsgHold, `{"req_id":"b6","code":"0","msg_type":"hold","hold":"1","msg":"success"}`},
		{"consult/clean", MsgConsult, string(load(b, "consult_ok.json"))},
		{"three_way/clean", MsgThreeWay, `{"req_id":"b6","code":"0","msg_type":"three_way","msg":"success","in_call_numbers":["13900000000","090008_6004"]}`},
		{"trans/quirky", MsgTrans, string(load(b, "trans_ok.json"))},
		{"callback/clean", "", `{"req_id":"b6","msg_type":"callback","company_code":"90001","agent_id":"090008_6000","action":"CALL","phase":"START_CALL","success":true,"msg":"ok","os":"Windows","audio":3,"video":0,"last_audio":3,"last_video":0,"peer_uuid":"cust-1","work_order_id":"wo","display_number":"4008001000"}`},
		{"callback/quirky", "", string(load(b, "callback.json"))},
		{"callin/clean", "", `{"msg_type":"callin","company_code":"003096","agent_id":"888888","ext_id":"888888","uuid":"b69912ae","caller_number":"18888888888","callee_number":"4008001000","callin_channel":"","is_video":0,"audio":3,"video":0}`},
		{"callin/quirky", "", string(load(b, "callin.json"))},
		{"agent_change/clean", "", `{"msg_type":"agent_change","company_code":"003096","agent_id":"888888","ext_id":"888888","agent_status":"CALLING","sub_agent_status":"HOLD","last_agent_status":"CALLING","in_call_numbers":["18888888888"]}`},
		{"agent_change/quirky", "", string(load(b, "agent_change.json"))},
	}
	for _, tc := range cases {
		frame := []byte(tc.data)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if tc.req != "" {
					_, err = DecodeReply(frame, tc.req)
				} else {
					_, err = DecodeEvent(frame)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	reqs := map[string]Request{
		"ping":  &PingRequest{Header: Header{ReqID: "b69912ae-0414-11ee-aaf4-174c4c2dfe01", CompanyCode: "090008", AgentID: "090008_6000", ExtID: "090008_5000", OS: "Windows"}},
		"call":  &CallRequest{Header: Header{ReqID: "b6", CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows"}, CalleeNumber: "13107618845", Media: Media{Audio: Ptr(MediaSendRecv), Video: Ptr(MediaNone)}},
		"trans": &TransRequest{Header: Header{ReqID: "b6", CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows"}, UUID: "call-1", Mode: TransBlind, Target: TransToAgent, TransNumber: "090008_6004"},
	}
	for name, r := range reqs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Encode(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
