package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Platform-dialect tests: a raw gorilla client of their own speaks the real
// server's wire format to ccsim (never the SDK's session).

const (
	co       = "090008"
	agent6k  = "090008_6000" // ext 090008_5000
	agent6k4 = "090008_6004" // ext 090008_6004
	agent6k1 = "090008_6001"
	pwd      = "919191Aa."
)

var (
	hex32   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reqSeq  atomic.Int64
	extOf   = map[string]string{agent6k: "090008_5000"}
	timeout = 5 * time.Second
)

func ext(agentID string) string {
	if e, ok := extOf[agentID]; ok {
		return e
	}
	return agentID
}

// platWorld starts a platform-dialect ccsim with zero call timings.
func platWorld(t *testing.T, mod ...func(*Config)) (*Server, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dialect = DialectPlatform
	cfg.Timings = Timings{}
	for _, m := range mod {
		m(&cfg)
	}
	return start(t, cfg)
}

// plink is one raw platform link of one agent identity.
type plink struct {
	t     *testing.T
	ws    *websocket.Conn
	agent string
	os    string
	token string
}

func wsURL(base, segment string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/msg/" + segment
}

// dialPlat opens a link for agent/os of company 090008 and reads the
// connect frame.
func dialPlat(t *testing.T, base, agentID, os string) *plink {
	t.Helper()
	return dialPlatCo(t, base, co, agentID, os)
}

func dialPlatCo(t *testing.T, base, company, agentID, os string) *plink {
	t.Helper()
	seg := IdentitySegment(Identity{AgentID: agentID, CompanyCode: company, OS: os})
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(base, seg), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", agentID, err)
	}
	t.Cleanup(func() { ws.Close() })
	l := &plink{t: t, ws: ws, agent: agentID, os: os}
	c := l.next()
	if len(c) != 3 || c["msg_type"] != "connect" || c["code"] != "0" || c["msg"] != "连接成功" {
		t.Fatalf("first frame %v, want the connect frame", c)
	}
	return l
}

// req builds a request of the link's agent: base fields, the token when
// known, then kv pairs (a value of nil removes the key).
func (l *plink) req(msgType string, kv ...any) map[string]any {
	o := map[string]any{"req_id": fmt.Sprintf("r%d", reqSeq.Add(1)), "msg_type": msgType, "company_code": co,
		"agent_id": l.agent, "ext_id": ext(l.agent), "os": l.os}
	if l.token != "" {
		o["token"] = l.token
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(o, kv[i].(string))
			continue
		}
		o[kv[i].(string)] = kv[i+1]
	}
	return o
}

// sendReq sends a request of the link's agent (see req) and returns it.
func (l *plink) sendReq(msgType string, kv ...any) map[string]any {
	l.t.Helper()
	r := l.req(msgType, kv...)
	l.send(r)
	return r
}

func (l *plink) send(o map[string]any) {
	l.t.Helper()
	b, _ := json.Marshal(o)
	if err := l.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		l.t.Fatal(err)
	}
}

func (l *plink) next() map[string]any {
	l.t.Helper()
	_ = l.ws.SetReadDeadline(time.Now().Add(timeout))
	_, b, err := l.ws.ReadMessage()
	if err != nil {
		l.t.Fatalf("%s: read: %v", l.agent, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		l.t.Fatalf("non-JSON frame %q", b)
	}
	return m
}

// expect reads the next frame and checks it.
func (l *plink) expect(what string, pred func(map[string]any) bool) map[string]any {
	l.t.Helper()
	m := l.next()
	if !pred(m) {
		l.t.Fatalf("%s: %s: got %v", l.agent, what, m)
	}
	return m
}

// closed waits for the server to close the link and returns the close code
// (-1: closed without a close frame).
func (l *plink) closed() int {
	l.t.Helper()
	_ = l.ws.SetReadDeadline(time.Now().Add(timeout))
	_, b, err := l.ws.ReadMessage()
	if err == nil {
		l.t.Fatalf("%s: frame %s, want the link closed", l.agent, b)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure { // 1006: gorilla's "no close frame"
		return ce.Code
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		l.t.Fatalf("%s: link still open", l.agent)
	}
	return -1
}

// reply sends o and reads the frame answering it (a reply with its req_id).
func (l *plink) reply(o map[string]any) map[string]any {
	l.t.Helper()
	l.send(o)
	return l.expect("reply to "+o["msg_type"].(string), func(m map[string]any) bool { return m["req_id"] == o["req_id"] })
}

func isPush(status string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		return m["msg_type"] == "change_status" && m["agent_status"] == status && m["code"] == "0" && m["msg"] == "success"
	}
}

func isCB(action, phase string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		p, _ := m["phase"].(string)
		return m["msg_type"] == "callback" && m["action"] == action && p == phase
	}
}

// pair reads the reply to r and the push pred names that r causes, in
// either order: the server's PushOrder decides (TestPlatformPushOrder
// checks that order itself).
func (l *plink) pair(r map[string]any, pred func(map[string]any) bool) (rep, push map[string]any) {
	l.t.Helper()
	for range 2 {
		m := l.next()
		switch {
		case rep == nil && m["req_id"] == r["req_id"]:
			rep = m
		case push == nil && pred(m):
			push = m
		default:
			l.t.Fatalf("%s: %v: want the reply to %v and its push", l.agent, m, r["msg_type"])
		}
	}
	return rep, push
}

func isStatusPush(m map[string]any) bool {
	return m["msg_type"] == "change_status" && m["msg"] == "success"
}

// checkin checks the link's agent in (start_status as given) and reads the
// push and the reply; it keeps the token.
func (l *plink) checkin(kv ...any) (push, rep map[string]any) {
	l.t.Helper()
	l.token = ""
	r := l.req("checkin", append([]any{"agent_pwd", pwd}, kv...)...)
	l.send(r)
	rep, push = l.pair(r, isStatusPush)
	if rep["code"] != "0" {
		l.t.Fatalf("checkin: %v", rep)
	}
	l.token = rep["token"].(string)
	return push, rep
}

func keys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(sortStrings(ks), ",")
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func waitAgent(t *testing.T, s *Server, id string, pred func(AgentSnapshot) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.WaitAgent(ctx, id, pred); err != nil {
		t.Fatal(err)
	}
}

// ---- the handshake ----

func TestJavaURLDecoder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" with ok false: an error
		ok   bool
	}{
		{"YWJj", "abc", true},
		{"YWI", "ab", true}, // no padding
		{"YWI=", "ab", true},
		{"YQ", "a", true},
		{"YQ==", "a", true},
		{"YQ=", "", false},   // a partly padded unit
		{"YQ=x", "", false},  // data in the padding
		{"YWJj=", "", false}, // padding at a unit start
		{"Y", "", false},     // a dangling character
		{"YQ==YQ", "", false},
		{"YQ%3D%3D", "", false}, // percent-encoding is not decoded
		{"-_-_", "\xfb\xff\xbf", true},
		{"+/+/", "", false}, // the standard alphabet is refused
		{"YW Jj", "", false},
		{"", "", true},
	} {
		got, err := javaURLDecode(tc.in)
		if (err == nil) != tc.ok || (tc.ok && string(got) != tc.want) {
			t.Errorf("decode %q = %q, %v; want %q ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestPlatformHandshake(t *testing.T) {
	_, base := platWorld(t)
	id := `{"agent_id":"090008_6000","company_code":"090008","os":"Windows"}`
	raw := []byte(id)
	for _, tc := range []struct {
		name, seg string
		ok        bool
	}{
		{"base64url unpadded", IdentitySegment(Identity{AgentID: agent6k, CompanyCode: co, OS: "Windows"}), true},
		{"padded", "eyJhZ2VudF9pZCI6IjA5MDAwOF82MDAwIiwiY29tcGFueV9jb2RlIjoiMDkwMDA4Iiwib3MiOiJXaW5kb3dzIn0=", true},
		{"numbers count as text", rawSeg(`{"agent_id":6000,"company_code":90008,"os":"W"}`), true},
		{"all blank", IdentitySegment(Identity{}), false},
		{"no os", rawSeg(`{"agent_id":"a","company_code":"c"}`), false},
		{"blank agent", rawSeg(`{"agent_id":"  ","company_code":"c","os":"W"}`), false},
		{"not JSON", rawSeg(`agent`), false},
		{"empty", "", false},
		{"standard alphabet", stdSeg(raw), false},
		{"query", rawSeg(id) + "?x=1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, resp, err := websocket.DefaultDialer.Dial(wsURL(base, tc.seg), nil)
			if tc.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				ws.Close()
				return
			}
			if err == nil {
				ws.Close()
				t.Fatal("handshake accepted")
			}
			if resp != nil {
				t.Fatalf("got an HTTP response %d; the real server closes the connection", resp.StatusCode)
			}
		})
	}
}

func TestPlatformHandshakeWithoutSegment(t *testing.T) {
	_, base := platWorld(t)
	// "/msg" has no segment [2]: the real server throws and closes; ccsim
	// neither redirects nor answers.
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/msg", nil)
	if err == nil {
		ws.Close()
		t.Fatal("handshake accepted")
	}
	if resp != nil {
		t.Fatalf("HTTP %d for /msg", resp.StatusCode)
	}
}

func rawSeg(s string) string { return strings.TrimRight(base64URLStd(s, true), "=") }

// base64URLStd encodes with the URL alphabet (url true) or the standard one.
func base64URLStd(s string, url bool) string {
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	alpha := std
	if url {
		alpha = urlAlphabet
	}
	b := []byte(s)
	var sb strings.Builder
	for i := 0; i < len(b); i += 3 {
		var n uint32
		k := min(3, len(b)-i)
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < k {
				n |= uint32(b[i+j])
			}
		}
		for j := 0; j <= k; j++ {
			sb.WriteByte(alpha[(n>>(18-6*uint(j)))&63])
		}
	}
	return sb.String()
}

// stdSeg encodes with the standard alphabet, picking an input whose
// encoding has a '+' (and no '/', which would split the path).
func stdSeg(b []byte) string {
	for pad := 0; pad < 64; pad++ {
		s := base64URLStd(string(b)+strings.Repeat(" ", pad)+"~~~>", false)
		if strings.Contains(s, "+") && !strings.Contains(s, "/") {
			return s
		}
	}
	panic("no standard-alphabet sample")
}

func TestPlatformConnectFrameDelay(t *testing.T) {
	_, base := platWorld(t, func(c *Config) { c.Timings.ConnectMS = 150 })
	seg := IdentitySegment(Identity{AgentID: agent6k, CompanyCode: co, OS: "Windows"})
	t0 := time.Now()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(base, seg), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	var m map[string]any
	if err := ws.ReadJSON(&m); err != nil || m["msg_type"] != "connect" {
		t.Fatalf("connect frame: %v %v", m, err)
	}
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Fatalf("connect frame after %v, want the configured 150ms", d)
	}
}

// ---- the token and the check-in binding ----

func TestPlatformTokenInEveryFrame(t *testing.T) {
	s, base := platWorld(t)
	l := dialPlat(t, base, agent6k, "Windows")
	// A ping without the token: refused without req_id, then closed.
	l.send(l.req("ping"))
	m := l.next()
	if keys(m) != "code,msg" || m["code"] != "4003" || m["msg"] != "token鉴权不通过!" {
		t.Fatalf("ping without token: %v", m)
	}
	if code := l.closed(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d, want 1000", code)
	}

	l = dialPlat(t, base, agent6k, "Windows")
	_, rep := l.checkin()
	tok := rep["token"].(string)
	if !hex32.MatchString(tok) {
		t.Fatalf("token %q is not 32 hex", tok)
	}
	p := l.reply(l.req("ping"))
	if keys(p) != "code,msg,msg_type,req_id" || p["msg_type"] != "pong" || p["code"] != "0" || p["msg"] != "心跳成功" {
		t.Fatalf("pong %v", p)
	}
	// The SDK-TOKEN header counts for nothing: a link with only the header
	// is refused at its first ping.
	hl := dialPlat(t, base, agent6k4, "Linux")
	hl.send(hl.req("ping", "token", nil))
	if m := hl.next(); m["code"] != "4003" {
		t.Fatalf("ping with no body token: %v", m)
	}
	// A new check-in replaces the token; the old one is refused.
	_, rep2 := l.checkin()
	if rep2["token"] == tok {
		t.Fatal("check-in kept the token")
	}
	l.send(l.req("ping", "token", tok))
	if m := l.next(); m["code"] != "4003" || m["msg"] != "token鉴权不通过!" {
		t.Fatalf("old token: %v", m)
	}
	l.closed()
	// The link had checked in: its drop schedules the auto check-out, but
	// the agent is not checked out at once.
	if sn, _ := s.Agent(agent6k); sn.Status != "FREE" {
		t.Fatalf("after the link closed: %+v", sn)
	}
}

func TestPlatformCheckinBindsTheLink(t *testing.T) {
	_, base := platWorld(t)
	a := dialPlat(t, base, agent6k, "Windows")
	a.checkin()
	// A second link with a valid token but no check-in of its own.
	b := dialPlat(t, base, agent6k, "Windows")
	b.token = a.token
	st := b.reply(b.req("get_status")) // get_status needs no check-in
	if st["code"] != "0" || st["status"] != "FREE" || st["msg"] != "获取成功!" || st["msg_type"] != "get_status" {
		t.Fatalf("get_status: %v", st)
	}
	if _, ok := st["reply"]; ok {
		t.Fatalf("get_status carries reply: %v", st)
	}
	b.send(b.req("get_token", "agent_pwd", pwd)) // get_token is not exempt
	if m := b.next(); keys(m) != "code,msg" || m["code"] != "4003" || m["msg"] != "鉴权失败, 未签入的坐席!" {
		t.Fatalf("get_token on an unbound link: %v", m)
	}
	b.closed()
	// A check-in for another os binds that identity, not the handshake's:
	// its push goes to the Linux route (none here), and requests as the
	// handshake's os are refused.
	c := dialPlat(t, base, agent6k, "Windows")
	if r := c.reply(c.req("checkin", "agent_pwd", pwd, "os", "Linux")); r["code"] != "0" {
		t.Fatalf("checkin as Linux: %v", r)
	}
	c.token = a.token
	c.send(c.req("change_status", "action", "MAKE_BUSY"))
	if m := c.next(); m["code"] != "4003" {
		t.Fatalf("request for an os the link did not check in: %v", m)
	}
}

// ---- check-in ----

func TestPlatformCheckinRefusals(t *testing.T) {
	s, base := platWorld(t, func(c *Config) {
		c.Companies = append(c.Companies, Company{Code: "off", Disabled: true, Agents: []AgentConfig{{AgentID: "off_1", Password: "p"}}},
			Company{Code: "kick", ForbidKick: true, Agents: []AgentConfig{{AgentID: "kick_1", Password: "p"}}},
			Company{Code: "dup", Agents: []AgentConfig{{AgentID: "dup_1", Password: "p", ExtID: "e1"}, {AgentID: "dup_2", Password: "p", ExtID: "e1"}}})
		c.Companies[0].Agents = append(c.Companies[0].Agents,
			AgentConfig{AgentID: "090008_7000", Password: pwd, Unbound: true},
			AgentConfig{AgentID: "090008_7001", Password: pwd, ExtOffline: true})
	})
	l := dialPlat(t, base, agent6k, "Windows")
	try := func(o map[string]any) map[string]any {
		t.Helper()
		r := l.reply(o)
		if r["reply"] != true || r["msg_type"] != "checkin" || r["os"] != o["os"] {
			t.Fatalf("check-in refusal shape: %v", r)
		}
		return r
	}
	ck := func(kv ...any) map[string]any { return l.req("checkin", append([]any{"agent_pwd", pwd}, kv...)...) }
	if err := s.SetAgentConfig(AgentConfigSpec{AgentID: agent6k4, Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o          map[string]any
		code, text string
	}{
		{ck("company_code", "nope"), "4008", "企业不存在"},
		{ck("agent_id", "090008_9999"), "4003", "坐席不存在!"},
		{ck("agent_pwd", nil), "9999", "签入失败!"},
		{ck("agent_pwd", "x"), "4004", "坐席账号或密码错误"},
		{ck("agent_id", agent6k4, "ext_id", agent6k4), "1001", "坐席已禁用"},
		{ck("company_code", "off", "agent_id", "off_1", "ext_id", "off_1", "agent_pwd", "p"), "1000", "企业已禁用"},
		{ck("agent_id", "090008_7000", "ext_id", "090008_7000"), "4005", "坐席无绑定分机"},
		{ck("ext_id", agent6k), "4012", "坐席绑定的分机与请求分机不一致"},
		{ck("ext_id", nil), "4012", "坐席绑定的分机与请求分机不一致"},
		{ck("company_code", "dup", "agent_id", "dup_1", "ext_id", "e1", "agent_pwd", "p"), "4007", "分机已被坐席: dup_2绑定"},
		{ck("agent_id", "090008_7001", "ext_id", "090008_7001"), "4011", "签入失败，话机不在线"},
	} {
		if r := try(tc.o); r["code"] != tc.code || r["msg"] != tc.text {
			t.Errorf("%v: got %v, want %s %s", tc.o, r, tc.code, tc.text)
		}
	}
	// A validation failure (no os) gets no reply at all: the next frame
	// answers the next request.
	bad := ck("os", nil)
	l.send(bad)
	good := ck()
	l.send(good)
	l.pair(good, isPush("FREE")) // the next frames answer the next request
	// Kick forbidden: a check-in record from other IPs refuses 4010.
	k := dialPlatCo(t, base, "kick", "kick_1", "Windows")
	kr := func(ip string) map[string]any {
		return k.reply(map[string]any{"req_id": "k" + ip, "msg_type": "checkin", "company_code": "kick", "agent_id": "kick_1",
			"ext_id": "kick_1", "os": "Windows", "agent_pwd": "p", "agent_ip": ip})
	}
	k0 := map[string]any{"req_id": "k0", "msg_type": "checkin", "company_code": "kick", "agent_id": "kick_1",
		"ext_id": "kick_1", "os": "Windows", "agent_pwd": "p", "agent_ip": "10.0.0.1"}
	k.send(k0)
	if r, _ := k.pair(k0, isPush("FREE")); r["code"] != "0" {
		t.Fatalf("kick: first check-in %v", r)
	}
	if r := kr("10.0.0.2"); r["code"] != "4010" || r["msg"] != "坐席账号已在其他地方签入 10.0.0.1" {
		t.Fatalf("kick forbidden: %v", r)
	}
	k3 := map[string]any{"req_id": "k3", "msg_type": "checkin", "company_code": "kick", "agent_id": "kick_1",
		"ext_id": "kick_1", "os": "Windows", "agent_pwd": "p", "agent_ip": "10.0.0.1,10.0.0.3"}
	k.send(k3)
	if r, _ := k.pair(k3, isPush("FREE")); r["code"] != "0" {
		t.Fatalf("kick: same client %v", r)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPlatformCheckinPushAndReply(t *testing.T) {
	_, base := platWorld(t)
	l := dialPlat(t, base, agent6k, "Windows")
	r := l.sendReq("checkin", "agent_pwd", pwd)
	rep, push := l.pair(r, isPush("FREE"))
	if push["req_id"] == r["req_id"] || !uuidRE.MatchString(push["req_id"].(string)) {
		t.Fatalf("push req_id %v: want a fresh UUID", push["req_id"])
	}
	// Absent, not empty: what the real server has no value for is left out.
	if keys(push) != "agent_id,agent_status,code,company_code,ext_id,msg,msg_type,os,req_id" {
		t.Fatalf("check-in push %v", push)
	}
	if push["agent_id"] != agent6k || push["ext_id"] != "090008_5000" || push["os"] != "Windows" || push["company_code"] != co {
		t.Fatalf("push %v", push)
	}
	want := map[string]any{"code": "0", "msg": "成功!", "msg_type": "checkin", "reply": true, "os": "Windows", "company_code": co,
		"ext_id": "090008_5000", "ext_pwd": "Aa123321.", "login_type": "2", "pbx": "127.0.0.1:5060", "rtc_address": "127.0.0.1:5060",
		"ext_call_mode": 1.0, "service_mode": 1.0}
	for k, v := range want {
		if rep[k] != v {
			t.Errorf("reply %s = %v, want %v", k, rep[k], v)
		}
	}
	tok := rep["token"].(string)
	// start_status is upper-cased and used as given; a new token each time.
	l.token = tok
	rep, p := l.pair(l.sendReq("checkin", "agent_pwd", pwd, "start_status", "rest", "token", nil), isPush("REST"))
	if _, ok := p["last_agent_status"]; ok {
		t.Fatalf("a check-in push has no last status: %v", p)
	}
	if rep["token"] == tok {
		t.Fatal("same token after a new check-in")
	}
	l.token = rep["token"].(string)
	l.pair(l.sendReq("checkin", "agent_pwd", pwd, "start_status", "nap"), isPush("NAP")) // not validated
}

// ---- check-out ----

func TestPlatformCheckoutDuringCallHangsUp(t *testing.T) {
	s, base := platWorld(t)
	l := dialPlat(t, base, agent6k, "Windows")
	l.checkin()
	uuid := outboundCall(t, l)
	rep, _ := l.pair(l.sendReq("checkout"), isPush("OFFLINE"))
	if rep["code"] != "0" || rep["msg"] != "签出成功" {
		t.Fatalf("checkout %v", rep)
	}
	if _, ok := rep["reply"]; ok {
		t.Fatalf("checkout reply carries reply without the request's: %v", rep)
	}
	waitAgent(t, s, agent6k, func(a AgentSnapshot) bool { return a.CallUUID == "" && !a.CheckedIn && a.HasToken })
	// The call is gone; the token still opens HTTP.
	if h := l.reply(l.req("hangup", "uuid", uuid)); h["msg"] != "当前通话已挂断!" {
		t.Fatalf("hangup after checkout: %v", h)
	}
	if code, body := getList(t, base, "/cloudcc-client-server/openapi/get-skill-service-list?company_code=090008", l.token); code != 200 || body["code"] != "0" {
		t.Fatalf("token after checkout: %d %v", code, body)
	}
	// reply is echoed when the request has it.
	rep, p := l.pair(l.sendReq("checkout", "reply", false), isPush("OFFLINE"))
	if p["last_agent_status"] != "OFFLINE" {
		t.Fatalf("second checkout push %v", p)
	}
	if rep["reply"] != false || rep["code"] != "0" {
		t.Fatalf("checkout reply %v", rep)
	}
}

// outboundCall places a call from l (checked in, FREE) to a customer that
// answers, reads its frames and returns its uuid.
func outboundCall(t *testing.T, l *plink) string {
	t.Helper()
	rep := l.reply(l.req("call", "callee_number", "13912345678", "out_line", 1, "audio", 3, "video", 0))
	if rep["code"] != "0" {
		t.Fatalf("call %v", rep)
	}
	uuid := rep["uuid"].(string)
	l.expect("RINGING", isPush("RINGING"))
	l.expect("CALLING", isPush("CALLING"))
	l.expect("INITIATE", isCB("CALL", "INITIATE"))
	l.expect("START_CALL", isCB("CALL", "START_CALL"))
	return uuid
}

func getList(t *testing.T, base, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("SDK-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %q", path, b)
	}
	return resp.StatusCode, m
}
