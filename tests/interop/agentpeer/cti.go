package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// platformCTI stands in for the platform's CTI server, as docs/platform.md
// describes it, for one RTC agent: check-in answers login_type "1" with
// pbx = rtc_address = the gateway (Kamailio; host:port as the platform
// sends it, unless the harness says otherwise), call answers with a "call-<32 hex>" uuid, everything else
// with code "0"; a callin is pushed when the harness says so. It sends
// no X-CC-UUID anywhere (it has no SIP side at all): the gateway tests
// check that the SDK ties the gateway's calls to CTI calls by itself.
type platformCTI struct {
	rtcAddress, ext, extPwd string

	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	ws       *websocket.Conn
	requests []map[string]any // every request received, in order
	wmu      sync.Mutex
}

func newPlatformCTI(rtcAddress, ext, extPwd string) (*platformCTI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &platformCTI{rtcAddress: rtcAddress, ext: ext, extPwd: extPwd, ln: ln}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.ws = ws
		p.mu.Unlock()
		p.serve(ws)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *platformCTI) url() string { return "ws://" + p.ln.Addr().String() + "/ws" }

func (p *platformCTI) close() { _ = p.srv.Close() }

func (p *platformCTI) send(ws *websocket.Conn, v map[string]any) {
	b, _ := json.Marshal(v)
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = ws.WriteMessage(websocket.TextMessage, b)
}

func newUUID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (p *platformCTI) serve(ws *websocket.Conn) {
	defer ws.Close()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var q map[string]any
		if json.Unmarshal(data, &q) != nil {
			continue
		}
		mt, _ := q["msg_type"].(string)
		p.mu.Lock()
		p.requests = append(p.requests, q)
		p.mu.Unlock()
		rep := map[string]any{"req_id": q["req_id"], "msg_type": mt, "code": "0", "msg": "成功!", "reply": true}
		switch mt {
		case "ping":
			rep["msg_type"], rep["msg"] = "pong", "心跳成功"
		case "checkin":
			// The real server pushes the status change before the reply.
			p.send(ws, map[string]any{"req_id": newUUID(""), "msg_type": "change_status", "code": "0",
				"agent_status": "FREE", "last_agent_status": "OFFLINE"})
			rep["ext_id"], rep["ext_pwd"], rep["login_type"] = p.ext, p.extPwd, "1"
			rep["pbx"], rep["rtc_address"] = p.rtcAddress, p.rtcAddress
			rep["token"], rep["ext_call_mode"], rep["service_mode"] = newUUID("tok-"), 1, 1
		case "call":
			rep["uuid"], rep["msg"] = newUUID("call-"), "发起外呼成功!"
		case "answer":
			rep["msg"] = "接听成功!"
		case "hangup":
			rep["msg"] = "挂断成功!"
		}
		p.send(ws, rep)
	}
}

// callin pushes a callin for uuid (callin_channel 1, a customer's call).
func (p *platformCTI) callin(uuid, caller string) bool {
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws == nil {
		return false
	}
	p.send(ws, map[string]any{"req_id": newUUID(""), "msg_type": "callin", "uuid": uuid, "caller_number": caller,
		"callee_number": "4008001000", "callin_channel": "1", "client_uuid": newUUID("")})
	return true
}

// received lists the msg_types received.
func (p *platformCTI) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, q := range p.requests {
		if mt, _ := q["msg_type"].(string); mt != "ping" {
			out = append(out, mt)
		}
	}
	return out
}
