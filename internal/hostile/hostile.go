// Package hostile is a CTI end that misbehaves on purpose, for the SDK's
// reliability tests and soaks: it stalls handshakes, drops links, floods
// events, sends invalid UTF-8, echoes secrets and serves the platform's odd
// HTTP answers. Each behaviour has its own path, so one server serves every
// test. It shares no code with the SDK's client side.
//
// WebSocket paths:
//
//	/stall   accept TCP, never answer the upgrade
//	/drop    upgrade, then close at once
//	/echo    answer every request with success ("pong" for ping; check-in
//	         with token, ext_pwd, ext_id, login_type "2"), and on query:
//	           drop_every=N  close the link instead of answering its Nth
//	                         request
//	           events=N&size=S  after the first reply, push N events
//	                         (msg_type "flood", "pad" of S bytes) at once
//	           badutf8=1     replies and one event after each reply carry
//	                         invalid UTF-8
//	           echo_secret=1 check-in's reply repeats the password in "msg"
//	                         and under an unknown key; an event names the
//	                         token in free text
//
// HTTP paths (any suffix): /http/echo-page/ answers 500 with an HTML page
// that repeats the request's body and SDK-TOKEN; /http/forbidden/ answers
// 200 {"code":403,"message":"鉴权不通过!"}. GET /stats gives the counters.
package hostile

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Token and ExtPwd are the secrets /echo hands out at check-in.
const (
	Token  = "0123456789abcdef0123456789abcdef"
	ExtPwd = "Ext-Secret-9876"
)

// Stats are the server's counters (GET /stats).
type Stats struct {
	Links    int64 `json:"links"`    // WebSocket links accepted
	Stalled  int64 `json:"stalled"`  // TCP connections held at /stall
	Requests int64 `json:"requests"` // request frames received
	Replies  int64 `json:"replies"`  // replies sent
	Dropped  int64 `json:"dropped"`  // links closed instead of a reply
	Events   int64 `json:"events"`   // events pushed
	// DupReqIDs counts requests whose req_id was seen before (a resend).
	DupReqIDs int64 `json:"dup_req_ids"`
}

// Server is the hostile end. Close releases the connections it holds.
type Server struct {
	up       websocket.Upgrader
	links    atomic.Int64
	stalled  atomic.Int64
	requests atomic.Int64
	replies  atomic.Int64
	dropped  atomic.Int64
	events   atomic.Int64
	dups     atomic.Int64

	mu     sync.Mutex
	held   []net.Conn
	seen   map[string]struct{}
	closed bool
}

// New makes a server; mount it with http.Serve or httptest.
func New() *Server {
	return &Server{seen: map[string]struct{}{}, up: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}}
}

// Stats returns the counters now.
func (s *Server) Stats() Stats {
	return Stats{Links: s.links.Load(), Stalled: s.stalled.Load(), Requests: s.requests.Load(),
		Replies: s.replies.Load(), Dropped: s.dropped.Load(), Events: s.events.Load(), DupReqIDs: s.dups.Load()}
}

// Close drops every connection the server holds.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, c := range held {
		_ = c.Close()
	}
}

func (s *Server) hold(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.held = append(s.held, c)
	return true
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	case strings.HasPrefix(p, "/stall"):
		s.stall(w)
	case strings.HasPrefix(p, "/drop"):
		if ws, err := s.up.Upgrade(w, r, nil); err == nil {
			s.links.Add(1)
			_ = ws.Close()
		}
	case strings.HasPrefix(p, "/echo"):
		s.echo(w, r)
	case strings.HasPrefix(p, "/http/echo-page/"):
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<html><body><h1>500 Internal Server Error</h1><p>while handling %s</p><pre>body: %s\nSDK-TOKEN: %s</pre></body></html>",
			r.URL.Path, body, r.Header.Get("SDK-TOKEN"))
	case strings.HasPrefix(p, "/http/forbidden/"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":403,"message":"鉴权不通过!"}`)
	default:
		http.NotFound(w, r)
	}
}

// stall takes the TCP connection over and never answers.
func (s *Server) stall(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijack", http.StatusInternalServerError)
		return
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if !s.hold(c) {
		_ = c.Close()
		return
	}
	s.stalled.Add(1)
}

type echoOpts struct {
	dropEvery  int64
	events     int
	size       int
	badUTF8    bool
	echoSecret bool
}

func parseOpts(r *http.Request) echoOpts {
	q := r.URL.Query()
	n := func(k string) int {
		v, _ := strconv.Atoi(q.Get(k))
		return v
	}
	return echoOpts{dropEvery: int64(n("drop_every")), events: n("events"), size: n("size"),
		badUTF8: q.Get("badutf8") == "1", echoSecret: q.Get("echo_secret") == "1"}
}

func (s *Server) echo(w http.ResponseWriter, r *http.Request) {
	o := parseOpts(r)
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.links.Add(1)
	if !s.hold(ws.NetConn()) {
		_ = ws.Close()
		return
	}
	defer ws.Close()
	var wmu sync.Mutex
	send := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
		return ws.WriteMessage(websocket.TextMessage, b)
	}
	flooded := false
	var onLink int64
	for {
		_, frame, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(frame, &m) != nil {
			continue
		}
		s.requests.Add(1)
		id, _ := m["req_id"].(string)
		s.mu.Lock()
		if _, dup := s.seen[id]; dup && id != "" {
			s.dups.Add(1)
		}
		s.seen[id] = struct{}{}
		s.mu.Unlock()
		onLink++
		if o.dropEvery > 0 && onLink%o.dropEvery == 0 {
			s.dropped.Add(1)
			return // closes the link without a reply
		}
		if err := send(s.reply(m, o)); err != nil {
			return
		}
		s.replies.Add(1)
		if o.badUTF8 {
			_ = send([]byte("{\"msg_type\":\"callin\",\"uuid\":\"u-\xff\",\"caller_number\":\"1\x84\",\"\xc3\":\"\x80\"}"))
			s.events.Add(1)
		}
		if o.echoSecret {
			ev, _ := json.Marshal(map[string]any{"msg_type": "notice", "text": "your token is " + Token + ", keep it safe"})
			_ = send(ev)
			s.events.Add(1)
		}
		if o.events > 0 && !flooded {
			flooded = true
			go s.flood(send, o)
		}
	}
}

func (s *Server) reply(m map[string]any, o echoOpts) []byte {
	typ, _ := m["msg_type"].(string)
	if typ == "ping" {
		typ = "pong"
	}
	r := map[string]any{"req_id": m["req_id"], "msg_type": typ, "code": "0", "msg": "success"}
	if typ == "checkin" {
		r["token"], r["ext_pwd"], r["ext_id"], r["login_type"] = Token, ExtPwd, m["ext_id"], "2"
		if o.echoSecret {
			pwd, _ := m["agent_pwd"].(string)
			r["msg"] = "签入成功, password " + pwd + " accepted"
			r["debug"] = map[string]any{"PassWord": pwd, "echo": []any{pwd}}
		}
	}
	b, _ := json.Marshal(r)
	if o.badUTF8 {
		// Invalid bytes inside the msg string: still JSON, not UTF-8.
		b = []byte(strings.Replace(string(b), `"msg":"success"`, "\"msg\":\"succ\xffess\xc3\"", 1))
	}
	return b
}

func (s *Server) flood(send func([]byte) error, o echoOpts) {
	pad := strings.Repeat("x", o.size)
	for i := 0; i < o.events; i++ {
		b := []byte(`{"msg_type":"flood","n":` + strconv.Itoa(i) + `,"pad":"` + pad + `"}`)
		if send(b) != nil {
			return
		}
		s.events.Add(1)
	}
}
