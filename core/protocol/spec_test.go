package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "spec", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecReplies feeds every reply example of the spec, as printed there
// (padded msg_types, trailing commas, "transfer", the broken checkin
// failure), through DecodeReply with the request that caused it.
func TestSpecReplies(t *testing.T) {
	cases := []struct {
		file, req, code, msg string
		check                func(t *testing.T, r Reply)
	}{
		{"checkin_ok.json", "checkin", "0", "success", func(t *testing.T, r Reply) {
			c := r.(*CheckinReply)
			if c.ExtID != "123456" || c.ExtPwd.Reveal() != "Aa123321." || c.LoginType != LoginRTC || c.RTCAddress != "wss://172.0.18.24/rtcwss" || c.PBX != "172.0.18.24:5060" {
				t.Fatalf("%+v", c)
			}
		}},
		{"checkin_fail.json", "checkin", "1", "密码错误", nil},
		{"checkout_ok.json", "checkout", "0", "success", nil},
		{"checkout_fail.json", "checkout", "1", "迁出失败", nil},
		{"call_ok.json", "call", "0", "success", nil},
		{"call_fail.json", "call", "1", "呼出失败", nil},
		{"change_status_ok.json", "change_status", "0", "success", func(t *testing.T, r Reply) {
			c := r.(*ChangeStatusReply)
			if c.Action != ActionMakeBusy || c.LastAgentStatus != StatusOffline || c.AgentStatus != StatusBusy {
				t.Fatalf("%+v", c)
			}
		}},
		{"change_status_fail.json", "change_status", "1", "切换状态失败", func(t *testing.T, r Reply) {
			if c := r.(*ChangeStatusReply); c.Action != ActionMakeBusy || c.AgentStatus != "" {
				t.Fatalf("%+v", c)
			}
		}},
		{"hold_ok.json", "hold", "0", "success", func(t *testing.T, r Reply) {
			if !r.(*HoldReply).Hold {
				t.Fatal("hold not set")
			}
		}},
		{"hold_fail.json", "hold", "1", "保持失败", func(t *testing.T, r Reply) {
			if r.(*HoldReply).Hold {
				t.Fatal("hold set")
			}
		}},
		{"mute_ok.json", "mute", "0", "success", func(t *testing.T, r Reply) {
			if !r.(*MuteReply).Mute {
				t.Fatal("mute not set")
			}
		}},
		{"mute_fail.json", "mute", "1", "静音失败", nil},
		{"hangup_ok.json", "hangup", "0", "success", nil},
		{"hangup_fail.json", "hangup", "1", "挂断失败", nil},
		{"trans_ok.json", "trans", "0", "success", nil},
		{"trans_fail.json", "trans", "1", "转接失败", nil},
		{"consult_ok.json", "consult", "0", "success", func(t *testing.T, r Reply) {
			if r.(*ConsultReply).ConsultUUID != "44782d4d-cc7d-4a8a-9f63-73f476851361" {
				t.Fatalf("%+v", r)
			}
		}},
		{"consult_fail.json", "consult", "1", "咨询失败", nil},
		{"consult_to_trans_ok.json", "consult_to_trans", "0", "success", nil},
		{"consult_to_trans_fail.json", "consult_to_trans", "1", "咨询失败", nil},
		{"three_way_ok.json", "three_way", "0", "success", nil},
		{"three_way_fail.json", "three_way", "1", "三方通话失败", nil},
		{"eavesdrop_ok.json", "eavesdrop", "0", "success", nil},
		{"eavesdrop_fail.json", "eavesdrop", "1", "监听失败", nil},
		{"whisper_ok.json", "whisper", "0", "success", nil},
		{"whisper_fail.json", "whisper", "1", "耳语失败", nil},
		{"dtmf_ok.json", "dtmf", "0", "success", nil},
		{"dtmf_fail.json", "dtmf", "1", "二次拨号失败", nil},
		{"substitute_ok.json", "substitute", "0", "success", nil},
		{"substitute_fail.json", "substitute", "1", "代接失败", nil},
		{"force_call_ok.json", "force_call", "0", "success", nil},
		{"force_call_fail.json", "force_call", "1", "强插失败", nil},
		{"interrupt_call_ok.json", "interrupt_call", "0", "success", nil},
		{"interrupt_call_fail.json", "interrupt_call", "1", "强拆失败", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			frame := load(t, tc.file)
			env, err := Peek(frame)
			if err != nil || env.ReqID != "b69912ae-0414-11ee-aaf4-174c4c2dfe01" {
				t.Fatalf("Peek: %+v %v", env, err)
			}
			r, err := DecodeReply(frame, MsgType(tc.req))
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			if h.Code != tc.code || h.Msg != tc.msg || h.ReqID != env.ReqID || r.Type() != MsgType(tc.req) {
				t.Fatalf("header %+v, want code %s msg %s type %s", h, tc.code, tc.msg, tc.req)
			}
			if !bytes.Equal(r.Raw(), frame) {
				t.Fatal("Raw is not the frame")
			}
			if (tc.code == "0") != h.OK() || (h.Err() == nil) != h.OK() {
				t.Fatal("OK/Err disagree with code")
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			// Decode by the frame's own msg_type gives the same reply type.
			m, err := Decode(frame)
			if err != nil || m.Type() != MsgType(tc.req) {
				t.Fatalf("Decode: %v %v", m, err)
			}
			// The normalized JSON carries spec names and the raw frame.
			out, err := MarshalMessage(r)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("normalized JSON invalid: %s", out)
			}
			if back["msg_type"] != tc.req || back["code"] != tc.code || back["raw"] == nil && json.Valid(frame) {
				t.Fatalf("normalized %s", out)
			}
		})
	}
}

func TestSpecEvents(t *testing.T) {
	cb, err := DecodeEvent(load(t, "callback.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := cb.(*CallbackEvent)
	if c.Type() != MsgCallback || c.Action != CbConsult || !c.Success || c.Msg != "咨询成功, 通话建立!" || c.ExtID != "090008_5000" || c.Phase != "" {
		t.Fatalf("callback %+v", c)
	}

	ci, err := DecodeEvent(load(t, "callin.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := ci.(*CallinEvent)
	if in.UUID != "b69912ae-0414-11ee-aaf4-174c4c2dfe01" || in.CallerNumber != "18888888888" ||
		in.FlowData != "{xxx:xxx,xxx:xxx}" || in.IsVideo == nil || *in.IsVideo != 0 || in.CallinChannel != ChannelNormal {
		t.Fatalf("callin %+v", in)
	}

	ac, err := DecodeEvent(load(t, "agent_change.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := ac.(*AgentChangeEvent)
	// "2" and "1" are not in the spec's status table: kept as sent, never mapped.
	if a.AgentStatus != "2" || a.LastAgentStatus != "1" || a.AgentStatus.Known() || a.AgentID != "888888" {
		t.Fatalf("agent_change %+v", a)
	}
	out, _ := MarshalMessage(a)
	if !strings.Contains(string(out), `"agent_status":"2"`) || !strings.Contains(string(out), `"raw":"{`) {
		t.Fatalf("normalized %s", out)
	}
}

func TestSpecSkillList(t *testing.T) {
	l, err := DecodeSkillServiceList(load(t, "skill_list.json"))
	if err != nil || !l.OK() || l.CompanyCode != "000078" || len(l.Data) != 1 || l.Data[0].SkillName != "默认技能" {
		t.Fatalf("%+v %v", l, err)
	}
	// The table says code is an int: accept that too.
	l, err = DecodeSkillServiceList([]byte(`{"code":0,"msg":"ok","data":[{"skill_id":17,"skill_name":"x"}]}`))
	if err != nil || l.Code != "0" || l.Data[0].SkillID != "17" {
		t.Fatalf("%+v %v", l, err)
	}
}

// TestTolerantRules isolates each rule of the protocol decisions.
func TestTolerantRules(t *testing.T) {
	t.Run("msg_type trimmed", func(t *testing.T) {
		e, _ := Peek([]byte(`{"msg_type":"  agent_change ","req_id":" r "}`))
		if e.MsgType != MsgAgentChange || e.ReqID != "r" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("numbers as strings and back", func(t *testing.T) {
		ev, _ := DecodeEvent([]byte(`{"msg_type":"callin","audio":"3","video":1,"is_video":"1","uuid":123}`))
		c := ev.(*CallinEvent)
		if *c.Audio != MediaSendRecv || *c.Video != MediaSendOnly || *c.IsVideo != 1 || c.UUID != "123" {
			t.Fatalf("%+v", c)
		}
		r, _ := DecodeRequest([]byte(`{"msg_type":"trans","trans_type":1,"type":2,"audio":"3"}`))
		tr := r.(*TransRequest)
		if tr.Target != TransToAgent || tr.Mode != TransConsult || *tr.Audio != MediaSendRecv {
			t.Fatalf("%+v", tr)
		}
		rep, _ := DecodeReply([]byte(`{"code":0,"msg":"ok"}`), MsgHangup)
		if rep.Header().Code != "0" || !rep.Header().OK() {
			t.Fatalf("%+v", rep.Header())
		}
	})
	t.Run("booleans in every form", func(t *testing.T) {
		for in, want := range map[string]any{`true`: true, `"true"`: true, `"1"`: true, `1`: true,
			`false`: false, `"false"`: false, `"0"`: false, `""`: nil, `null`: nil} {
			ev, err := DecodeEvent([]byte(`{"msg_type":"callback","success":` + in + `,"action":"CALL"}`))
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			got := ev.(*CallbackEvent).Success
			if want == nil {
				want = false // unset reads as the zero value
			}
			if got != want {
				t.Errorf("success %s → %v", in, got)
			}
			r, _ := DecodeRequest([]byte(`{"msg_type":"checkin","reset":` + in + `}`))
			reset := r.(*CheckinRequest).Reset
			if (want == nil || in == `""` || in == `null`) != (reset == nil) {
				t.Errorf("reset %s → %v", in, reset)
			}
		}
	})
	t.Run("null and empty mean unset", func(t *testing.T) {
		ev, _ := DecodeEvent([]byte(`{"msg_type":"callback","audio":"","video":null,"change_media_flag":"","work_order_id":null}`))
		c := ev.(*CallbackEvent)
		if c.Audio != nil || c.Video != nil || c.ChangeMediaFlag != nil || c.WorkOrderID != "" {
			t.Fatalf("%+v", c)
		}
		out, _ := MarshalMessage(c)
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		for _, k := range []string{"audio", "video", "change_media_flag", "work_order_id"} {
			if _, set := m[k]; set {
				t.Fatalf("unset %s written: %s", k, out)
			}
		}
	})
	t.Run("misspelled twin and padded keys", func(t *testing.T) {
		ev, _ := DecodeEvent([]byte(`{"msg_type":"callin","caller_channel":"TRANS"," uuid ":"u"}`))
		c := ev.(*CallinEvent)
		if c.CallinChannel != ChannelTrans || c.UUID != "u" {
			t.Fatalf("%+v", c)
		}
		ev, _ = DecodeEvent([]byte(`{"msg_type":"callin","caller_channel":"TRANS","callin_channel":"CONSULT"}`))
		if c := ev.(*CallinEvent); c.CallinChannel != ChannelConsult {
			t.Fatalf("the canonical spelling must win: %+v", c)
		}
	})
	t.Run("unknown fields kept in raw", func(t *testing.T) {
		frame := []byte(`{"msg_type":"agent_change","agent_status":"FREE","tenant_shard":7}`)
		ev, _ := DecodeEvent(frame)
		if !bytes.Contains(ev.Raw(), []byte(`"tenant_shard":7`)) {
			t.Fatal("unknown field lost")
		}
		out, _ := MarshalMessage(ev)
		if !strings.Contains(string(out), `"tenant_shard":7`) {
			t.Fatalf("unknown field not in the normalized JSON's raw: %s", out)
		}
	})
	t.Run("unknown msg_type is a generic event", func(t *testing.T) {
		m, err := Decode([]byte(`{"msg_type":"queue_stats","req_id":"q","waiting":3}`))
		if err != nil {
			t.Fatal(err)
		}
		if u, ok := m.(*UnknownMessage); !ok || u.Type() != "queue_stats" || u.ReqID != "q" {
			t.Fatalf("%#v", m)
		}
	})
	t.Run("malformed frames fail cleanly", func(t *testing.T) {
		for _, f := range []string{``, `not json`, `[1,2]`, `"s"`, `42`, `{"msg_type":"callback","req_id":`, `{"a":1`} {
			if _, err := Decode([]byte(f)); !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode(%q) = %v, want ErrMalformed", f, err)
			}
		}
	})
	t.Run("a broken reply is salvaged for its caller", func(t *testing.T) {
		r, err := DecodeReply(load(t, "checkin_fail.json"), MsgCheckin)
		if err != nil || r.Header().Code != "1" || r.Header().Msg != "密码错误" {
			t.Fatalf("%+v %v", r, err)
		}
	})
}

// TestEncodeEveryRequest checks names, JSON types and omission for all 24.
func TestEncodeEveryRequest(t *testing.T) {
	if len(RequestTypes) != 24 {
		t.Fatalf("%d request types, the spec has 24", len(RequestTypes))
	}
	for _, typ := range RequestTypes {
		r := newRequest(typ)
		if r == nil || r.Type() != typ {
			t.Fatalf("no request type for %s", typ)
		}
		b, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["msg_type"] != string(typ) {
			t.Errorf("%s encodes msg_type %v", typ, m["msg_type"])
		}
		back, err := DecodeRequest(b)
		if err != nil || back.Type() != typ {
			t.Errorf("%s does not round-trip: %v", typ, err)
		}
	}
	call := &CallRequest{Header: Header{ReqID: "r", CompanyCode: "c", AgentID: "a", OS: "Windows"}, CalleeNumber: "1",
		OutLine: Ptr(OutLineExternal), Media: Media{Audio: Ptr(MediaSendRecv), Video: Ptr(MediaNone)},
		Recording: Recording{RecordContact: Ptr(true)}}
	b, _ := Encode(call)
	want := `{"req_id":"r","msg_type":"call","company_code":"c","agent_id":"a","os":"Windows","callee_number":"1","out_line":1,"audio":3,"video":0,"record_contact":true}`
	if string(b) != want {
		t.Fatalf("call encodes\n%s\nwant\n%s", b, want)
	}
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{&HoldRequest{Hold: true, UUID: "u"}, `"hold":"1"`},
		{&MuteRequest{Mute: false, UUID: "u"}, `"mute":"0"`},
		{&DTMFRequest{Content: "1", DTMFType: Ptr(DTMFInfo)}, `"dtmf_type":0`},
		{&ToggleServiceModeRequest{ServiceMode: ServiceOutbound}, `"service_mode":2`},
		{&PreviewOutCallRequest{CurrentTimes: 2}, `"current_times":2`},
		{&TransRequest{Mode: TransBlind, Target: TransToSkill}, `"type":"1","trans_type":"2"`},
		{&CheckinRequest{AgentPwd: "p", Reset: Ptr(true)}, `"agent_pwd":"p","reset":true`},
	} {
		b, _ := Encode(tc.r)
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%s encodes %s, want %s", tc.r.Type(), b, tc.want)
		}
	}
	if _, err := DecodeRequest([]byte(`{"msg_type":"teleport"}`)); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown request type: %v", err)
	}
	if _, err := DecodeRequest([]byte(`{"uuid":"x"}`)); !errors.Is(err, ErrMissingField) {
		t.Fatalf("missing msg_type: %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	r := &CheckinRequest{AgentPwd: "919191Aa."}
	rep := &CheckinReply{ExtPwd: "Aa123321.", Token: "tok-9"}
	tr := GetTokenRequest{AgentPwd: "11111"}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", r, r, r), fmt.Sprintf("%v %+v %#v", rep, rep, rep), fmt.Sprintf("%v %+v", tr, tr)} {
		for _, secret := range []string{"919191Aa.", "Aa123321.", "tok-9", "11111"} {
			if strings.Contains(s, secret) {
				t.Fatalf("secret %q printed: %s", secret, s)
			}
		}
	}
	b, _ := tr.MarshalJSON()
	if !strings.Contains(string(b), `"aagent_pwd":"11111"`) || !strings.Contains(string(b), `"agent_pwd":"11111"`) {
		t.Fatalf("get_token body %s", b)
	}
	red := string(Redact([]byte(`{"agent_pwd":"919191Aa.","token": "t0k","ext_pwd":"x","aagent_pwd":"y","msg":"ok"}`)))
	for _, s := range []string{"919191Aa.", "t0k", `"x"`, `"y"`} {
		if strings.Contains(red, s) {
			t.Fatalf("Redact left %s in %s", s, red)
		}
	}
	if !strings.Contains(red, `"msg":"ok"`) {
		t.Fatalf("Redact damaged the frame: %s", red)
	}
}

func FuzzDecode(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "spec"))
	for _, e := range entries {
		f.Add(load(f, e.Name()))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil && !bytes.Equal(m.Raw(), b) {
			t.Fatal("Raw differs from the input")
		}
		if err == nil {
			if _, err := MarshalMessage(m); err != nil {
				t.Fatalf("decoded message does not marshal: %v", err)
			}
		}
	})
}
