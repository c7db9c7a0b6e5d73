package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Link timings, reset, the HTTP interfaces and the admin API of the
// platform dialect.

func TestPlatformReadIdleClose(t *testing.T) {
	s, base := platWorld(t, func(c *Config) { c.Timings.ReadIdleMS, c.Timings.IdleCheckMS = 300, 20 })
	l := checkedIn(t, base, agent6k)
	// Silence: closed with a close frame, then checked out (2 s in real
	// life, idle_check_ms here) since no new handshake came.
	if code := l.closed(); code != websocket.CloseNormalClosure {
		t.Fatalf("idle close code %d", code)
	}
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.Status == "OFFLINE" && a.AutoCheckoutChecks == 1 })
}

func TestPlatformWebSocketPingsKeepTheLink(t *testing.T) {
	_, base := platWorld(t, func(c *Config) { c.Timings.ReadIdleMS = 400 })
	l := checkedIn(t, base, agent6k)
	// WebSocket-level pings for three idle periods count as reads (netty's
	// IdleStateHandler sits below the WebSocket decoder).
	deadline := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if err := l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the pace of the client's pings
	}
	if m := l.reply(l.req("ping")); m["msg_type"] != "pong" {
		t.Fatalf("after WebSocket pings: %v", m)
	}
}

func TestPlatformDropThenAutoCheckout(t *testing.T) {
	s, base := platWorld(t, func(c *Config) { c.Timings.ReconnectMS = 50 })
	l := checkedIn(t, base, agent6k)
	// A drop without a close frame: after reconnect_ms with no new
	// handshake, the agent is checked out.
	if err := s.Fault(FaultSpec{AgentID: agent6k, Kind: "drop"}); err != nil {
		t.Fatal(err)
	}
	if code := l.closed(); code != -1 {
		t.Fatalf("drop sent a close frame %d", code)
	}
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.Status == "OFFLINE" && a.AutoCheckoutChecks == 1 })
}

func TestPlatformReconnectBeforeTheCheck(t *testing.T) {
	// The new handshake must come within reconnect_ms of the drop: leave
	// the test room under load.
	s, base := platWorld(t, func(c *Config) { c.Timings.ReconnectMS = 1500 })
	l := checkedIn(t, base, agent6k)
	uuid := outboundCall(t, l)
	_ = s.Fault(FaultSpec{AgentID: agent6k, Kind: "drop"})
	l.closed()
	// A new handshake for the same company/agent/os before the check: no
	// check-out. The new link must check in again (without reset: the call
	// stays up) before anything but get_status.
	nl := dialPlat(t, base, agent6k, "Windows")
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.AutoCheckoutChecks >= 1 })
	if sn, _ := s.Agent(agent6k); sn.Status != "CALLING" || sn.CallUUID != uuid {
		t.Fatalf("after the check: %+v", sn)
	}
	nl.token = l.token
	if st := nl.reply(nl.req("get_status")); st["status"] != "CALLING" || st["uuid"] != uuid {
		t.Fatalf("get_status on the new link: %v", st)
	}
	push, _ := nl.checkin("start_status", "CALLING")
	if push["agent_status"] != "CALLING" || push["uuid"] != uuid {
		t.Fatalf("restore push %v", push)
	}
	if sn, _ := s.Agent(agent6k); sn.CallUUID != uuid {
		t.Fatalf("the call did not survive the restore: %+v", sn)
	}
}

func TestPlatformAutoCheckoutWaitsForTheCall(t *testing.T) {
	s, base := platWorld(t, func(c *Config) { c.Timings.ReconnectMS = 50 })
	l := checkedIn(t, base, agent6k)
	uuid := outboundCall(t, l)
	_ = s.Fault(FaultSpec{AgentID: agent6k, Kind: "drop"})
	l.closed()
	// The extension is in a call: the check retries every reconnect_ms.
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.AutoCheckoutChecks >= 2 })
	if sn, _ := s.Agent(agent6k); sn.Status != "CALLING" || sn.CallUUID != uuid {
		t.Fatalf("checked out during a call: %+v", sn)
	}
	if err := s.CustomerHangup(uuid); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.Status == "OFFLINE" })
}

func TestPlatformResetHangsUpTheCall(t *testing.T) {
	s, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	uuid := outboundCall(t, l)
	// Without reset: the status becomes start_status/FREE, the call stays.
	push, _ := l.checkin()
	if push["agent_status"] != "FREE" || push["uuid"] != uuid {
		t.Fatalf("check-in during a call: %v", push)
	}
	if sn, _ := s.Agent(agent6k); sn.CallUUID != uuid {
		t.Fatalf("check-in without reset ended the call: %+v", sn)
	}
	// With reset: FREE, the reply, then the call is hung up (and the
	// hang-up outcome follows: ARRANGE, then FREE).
	push, _ = l.checkin("reset", true)
	if push["agent_status"] != "FREE" || push["uuid"] != nil {
		t.Fatalf("reset push %v", push)
	}
	l.expect("ARRANGE", isPush("ARRANGE"))
	l.expect("FREE", isPush("FREE"))
	if sn, _ := s.Agent(agent6k); sn.CallUUID != "" {
		t.Fatalf("reset kept the call: %+v", sn)
	}
}

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %q", url, raw)
	}
	return resp.StatusCode, m
}

func TestPlatformHTTP(t *testing.T) {
	_, base := platWorld(t)
	si := base + "/cloudcc-sdk-interface/openapi/get-token"
	cs := base + "/cloudcc-client-server/openapi/get-token"
	full := map[string]any{"req_id": "h1", "msg_type": "get_token", "company_code": co, "agent_id": agent6k, "os": "Windows", "agent_pwd": pwd}
	without := func(k string, extra ...any) map[string]any {
		m := map[string]any{}
		for kk, v := range full {
			if kk != k {
				m[kk] = v
			}
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		url  string
		body map[string]any
		want string
	}{
		{si, without("req_id"), "[req_id]不能为空! "},
		{si, without("agent_pwd", "aagent_pwd", pwd), "[agent_pwd]不能为空 "},
		{si, without("os"), "[os]不能为空!"},
		{cs, without("os"), "[os]不能为空!"},
	} {
		code, m := postJSON(t, tc.url, tc.body)
		if code != 200 || m["code"] != 400.0 || m["message"] != tc.want || len(m) != 2 {
			t.Errorf("%s %v: %d %v, want 400 %q", tc.url, tc.body, code, m, tc.want)
		}
	}
	if code, m := postJSON(t, cs, without("agent_pwd")); code != 200 || m["code"] != 500.0 || m["message"] != "System Error!" {
		t.Errorf("CS without agent_pwd: %d %v", code, m)
	}
	if _, m := postJSON(t, cs, without("agent_pwd", "agent_pwd", "bad")); m["code"] != "4004" || m["msg"] != "坐席账号或密码错误" || m["reply"] != true {
		t.Errorf("bad password: %v", m)
	}
	if _, m := postJSON(t, cs, without("agent_id", "agent_id", "090008_9")); keys(m) != "code,msg" || m["code"] != "4003" || m["msg"] != "坐席不存在!" {
		t.Errorf("unknown agent: %v", m)
	}
	// CS needs neither msg_type nor req_id; SI does.
	_, m := postJSON(t, cs, map[string]any{"company_code": co, "agent_id": agent6k, "os": "Windows", "agent_pwd": pwd})
	tok, _ := m["token"].(string)
	if m["code"] != "0" || m["msg"] != "成功!" || m["msg_type"] != "get_token" || !hex32.MatchString(tok) {
		t.Fatalf("CS get-token %v", m)
	}
	// A get-token with the toolbar's os replaces the toolbar's token.
	l := checkedIn(t, base, agent6k)
	_, m = postJSON(t, si, full)
	if m["code"] != "0" {
		t.Fatalf("SI get-token %v", m)
	}
	l.send(l.req("ping"))
	if r := l.next(); r["code"] != "4003" {
		t.Fatalf("ping with the replaced token: %v", r)
	}
	newTok := m["token"].(string)
	// Lists: CS checks SDK-TOKEN (a refusal is HTTP 200 with code 403), SI
	// does not.
	if code, m := getList(t, base, "/cloudcc-client-server/openapi/get-skill-service-list?company_code=090008", ""); code != 200 || m["code"] != 403.0 || m["message"] != "鉴权不通过!" {
		t.Fatalf("CS list without token: %d %v", code, m)
	}
	code, m := getList(t, base, "/cloudcc-client-server/openapi/get-ivr-service-list?company_code=090008&service_name=菜单", newTok)
	if code != 200 || m["code"] != "0" || m["msg"] != "成功!" || m["company_code"] != co {
		t.Fatalf("CS IVR list: %d %v", code, m)
	}
	if d := m["data"].([]any); len(d) != 1 || d[0].(map[string]any)["ivr_service_name"] != "主菜单" {
		t.Fatalf("IVR data %v", m["data"])
	}
	if code, m := getList(t, base, "/cloudcc-sdk-interface/openapi/get-skill-service-list?company_code=090008", ""); code != 200 || len(m["data"].([]any)) != 3 {
		t.Fatalf("SI list without token: %d %v", code, m)
	}
	if _, m := getList(t, base, "/cloudcc-sdk-interface/openapi/get-skill-service-list", ""); m["code"] != 500.0 {
		t.Fatalf("list without company_code: %v", m)
	}
}

func TestPlatformAdminPushAndLinks(t *testing.T) {
	_, base := platWorld(t)
	l := checkedIn(t, base, agent6k)
	kick := `{"req_id":"k","msg_type":"kick_off","code":"0","reply":true,"os":"Windows","agentIp":"10.0.0.9","msg":"当前坐席已在其他设备签入，设备IP：10.0.0.9"}`
	code, m := postJSON(t, base+"/admin/push", map[string]any{"agent_id": agent6k, "frame": json.RawMessage(kick)})
	if code != 200 || m["ok"] != true {
		t.Fatalf("push: %d %v", code, m)
	}
	if f := l.next(); f["msg_type"] != "kick_off" || f["agentIp"] != "10.0.0.9" {
		t.Fatalf("pushed frame %v", f)
	}
	if code, _ := postJSON(t, base+"/admin/push", map[string]any{"agent_id": agent6k4, "frame": json.RawMessage(`{}`)}); code != http.StatusConflict {
		t.Fatalf("push to an agent without a link: %d", code)
	}
	if code, _ := postJSON(t, base+"/admin/agent-config", map[string]any{"agent_id": agent6k, "post_process": false}); code != 200 {
		t.Fatal(code)
	}
	var sn AgentSnapshot
	if getJSON(t, base+"/admin/agents/"+agent6k, &sn); sn.PostProcess == nil || *sn.PostProcess || !sn.HasToken || sn.OS != "Windows" || !sn.Connected {
		t.Fatalf("snapshot %+v", sn)
	}
	var links []LinkInfo
	if getJSON(t, base+"/admin/links", &links); len(links) != 1 || links[0].Identity != "090008_090008_6000_Windows" || links[0].Bound != links[0].Identity || !links[0].Routed {
		t.Fatalf("links %+v", links)
	}
}
