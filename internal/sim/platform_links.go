package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The platform dialect's WebSocket layer, as the real server's CS module
// (com.cqt.client.websocket) behaves: identity in the handshake path, the
// connect frame, the body token, the per-link check-in binding, the read-idle
// close and the auto check-out after a link drops. See docs/ccsim.md.

// frameScope holds, while one frame is handled, its reply and the pushes
// for its link; they are written once the handler is done, in
// Config.PushOrder's order. The real server hands a request's pushes and
// its reply to the link on different paths, so either may come first.
type frameScope struct {
	c               *link
	replies, pushes [][]byte
}

// flushScope writes what the frame's handling held back and ends the scope.
// s.mu held.
func (s *platform) flushScope() {
	sc := s.scope
	s.scope = nil
	if sc == nil {
		return
	}
	first, then := sc.replies, sc.pushes
	switch s.cfg.PushOrder {
	case PushFirst:
		first, then = then, first
	case PushRandom:
		if rand.IntN(2) == 0 {
			first, then = then, first
		}
	}
	for _, b := range append(first, then...) {
		s.sendRaw(sc.c, b)
	}
}

// linkKey is a link identity as the real server writes it.
func linkKey(company, agentID, os string) string { return company + "_" + agentID + "_" + os }

// pathMsg is where the platform dialect serves its WebSocket: the front
// end's baseUrl ws://host:25001/msg/ plus the identity segment.
const pathMsg = "/msg/"

// maxFrame is netty's default WebSocket frame limit; a bigger frame closes
// the link (1009).
const maxFrame = 65536

// Identity is the JSON a platform handshake carries in its path segment.
type Identity struct {
	AgentID     string `json:"agent_id"`
	CompanyCode string `json:"company_code"`
	OS          string `json:"os"`
}

// IdentitySegment encodes id as the path segment the platform expects
// (base64url without padding; complete padding would be accepted too). For
// tests and tools; the SDK has its own encoder.
func IdentitySegment(id Identity) string {
	b, _ := json.Marshal(id)
	return base64.RawURLEncoding.EncodeToString(b)
}

const urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var errBase64 = errors.New("not base64url")

// javaURLDecode decodes s exactly as java.util.Base64.getUrlDecoder() does
// (the real server's ChannelAuthHandler): the URL-safe alphabet only ('+'
// and '/' are illegal), padding optional, but a padded final unit must be
// padded completely ("xx==", "xxx="), nothing may follow the padding, a
// dangling single character is an error, unused low bits are ignored.
func javaURLDecode(s string) ([]byte, error) {
	var out []byte
	var bits uint32
	shift := 18
	i := 0
	for i < len(s) {
		c := s[i]
		i++
		v := strings.IndexByte(urlAlphabet, c)
		if v < 0 {
			if c != '=' {
				return nil, errBase64
			}
			// "=" at a unit start, "x=", "xx=" without a second "=": wrong ending.
			if shift == 18 || (shift == 6 && (i == len(s) || s[i] != '=')) {
				return nil, errBase64
			}
			if shift == 6 {
				i++
			}
			break
		}
		bits |= uint32(v) << uint(shift)
		shift -= 6
		if shift < 0 {
			out = append(out, byte(bits>>16), byte(bits>>8), byte(bits))
			bits, shift = 0, 18
		}
	}
	switch shift {
	case 6:
		out = append(out, byte(bits>>16))
	case 0:
		out = append(out, byte(bits>>16), byte(bits>>8))
	case 12:
		return nil, errBase64 // "last unit does not have enough valid bits"
	}
	if i < len(s) {
		return nil, errBase64 // "incorrect ending byte"
	}
	return out, nil
}

// decodeIdentity reads a handshake's identity from the raw request target
// as ChannelAuthHandler does: split on "/", segment [2], base64url, a JSON
// object with non-blank agent_id, company_code and os (fastjson getString:
// numbers count as their text).
func decodeIdentity(requestURI string) (Identity, error) {
	parts := strings.Split(requestURI, "/")
	if len(parts) < 3 {
		return Identity{}, errors.New("no identity segment")
	}
	raw, err := javaURLDecode(parts[2])
	if err != nil {
		return Identity{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Identity{}, errors.New("identity is not a JSON object")
	}
	get := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return fmt.Sprint(v)
		}
		return ""
	}
	id := Identity{AgentID: get("agent_id"), CompanyCode: get("company_code"), OS: get("os")}
	if strings.TrimSpace(id.AgentID) == "" || strings.TrimSpace(id.CompanyCode) == "" || strings.TrimSpace(id.OS) == "" {
		return Identity{}, errors.New("identity lacks agent_id, company_code or os")
	}
	return id, nil
}

// abortHandshake closes the TCP connection without an HTTP response, as
// netty's ctx.close() in ChannelAuthHandler does.
func abortHandshake(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if nc, _, err := hj.Hijack(); err == nil {
			_ = nc.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http drops the connection
}

func (s *platform) readIdle() time.Duration {
	if s.cfg.Timings.ReadIdleMS < 0 {
		return 0
	}
	return orDefault(s.cfg.Timings.ReadIdleMS, realReadIdle)
}

func (s *platform) serveMsg(w http.ResponseWriter, r *http.Request) {
	id, err := decodeIdentity(r.RequestURI)
	if err != nil {
		s.logLine(fmt.Sprintf("handshake %s refused: %v", r.URL.Path, err))
		abortHandshake(w)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	key := linkKey(id.CompanyCode, id.AgentID, id.OS)
	c := &link{ws: ws, dialled: dialledBy(r), ident: key, remote: host}
	c.who.Store(&key)
	ws.SetReadLimit(maxFrame)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.routes[key] = c // the newest handshake takes the pushes
	s.notifyLocked()
	s.wg.Add(1)
	// CS WebSocketHandler.channelActive: {"code","msg","msg_type":"connect"}
	// 200 ms after the connection opens.
	connect := obj{"code": "0", "msg": "连接成功", "msg_type": "connect"}
	s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.ConnectMS), func() {
		if _, live := s.conns[c]; live {
			s.send(c, connect)
		}
	})
	s.mu.Unlock()
	defer s.wg.Done()

	idle := s.readIdle()
	extend := func() {
		if idle > 0 {
			_ = ws.SetReadDeadline(time.Now().Add(idle))
		}
	}
	extend()
	// Any inbound frame resets netty's reader-idle timer, control frames too.
	ws.SetPingHandler(func(data string) error {
		extend()
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			return err
		}
		return nil
	})
	ws.SetPongHandler(func(string) error { extend(); return nil })
	idled := false
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			var ne net.Error
			idled = errors.As(err, &ne) && ne.Timeout()
			break
		}
		extend()
		s.logFrame("in", c, b)
		s.handleFrame(c, b)
	}
	s.mu.Lock()
	if idled {
		// userEventTriggered(READER_IDLE): offlineMethod(ctx, 2), then close.
		s.linkGone(c, orDefault(s.cfg.Timings.IdleCheckMS, realIdleCheck))
		s.mu.Unlock()
		closeLink(c)
		return
	}
	s.linkGone(c, orDefault(s.cfg.Timings.ReconnectMS, realReconnect))
	s.mu.Unlock()
	_ = ws.Close()
}

// closeLink closes a link as netty's ctx.close() does behind
// WebSocketServerProtocolHandler: a close frame (1000), then the TCP close.
func closeLink(c *link) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// refuseAndClose writes a bare refusal and closes the link (the token and
// check-in refusals of CS WebSocketHandler). s.mu held.
func (s *platform) refuseAndClose(c *link, code, msg string) {
	if sc := s.scope; sc != nil && sc.c == c {
		s.flushScope() // what the link was owed goes before the refusal
	}
	s.send(c, obj{"code": code, "msg": msg})
	c.closing = true
	go closeLink(c)
}

// linkGone is the real server's offlineMethod: the route is dropped if it
// still points to this link, and if the link had checked in, the auto
// check-out check runs after first and then every ReconnectMS. s.mu held.
func (s *platform) linkGone(c *link, first time.Duration) {
	if _, live := s.conns[c]; !live || s.closed {
		return
	}
	delete(s.conns, c)
	s.notifyLocked()
	if c.bound == "" {
		if s.routes[c.ident] == c {
			delete(s.routes, c.ident)
		}
		return
	}
	// offlineMethod splits clientMap's value on "_" and takes [0] as the
	// company, [1]_[2] as the agent and [3] as the os: an identity of other
	// shapes throws before anything else happens (no route cleanup, no
	// auto check-out).
	company, agentID, os, ok := javaSplitBound(c.bound)
	if !ok {
		return
	}
	if s.routes[c.ident] == c {
		delete(s.routes, c.ident)
	}
	s.scheduleAutoCheckout(company, agentID, os, c.boundExt, first)
}

func javaSplitBound(bound string) (company, agentID, os string, ok bool) {
	p := strings.Split(bound, "_")
	if len(p) < 4 {
		return "", "", "", false
	}
	return p[0], p[1] + "_" + p[2], p[3], true
}

// scheduleAutoCheckout is WebsocketRunnable: stop if a new handshake
// re-created the route; else check the agent out unless its extension is in
// a call, in which case look again ReconnectMS later. s.mu held.
func (s *platform) scheduleAutoCheckout(company, agentID, os, ext string, after time.Duration) {
	var run func()
	run = func() {
		if s.closed {
			return
		}
		a := s.agents[agentID]
		if a != nil {
			a.plat.autoChecks++
			s.notifyLocked()
		}
		if s.routes[linkKey(company, agentID, os)] != nil {
			return // reconnected in time
		}
		if a != nil && a.company.Code == company && s.extInCall(a) {
			s.afterLocked(orDefault(s.cfg.Timings.ReconnectMS, realReconnect), run)
			return
		}
		if ext == "" {
			ext = agentID
		}
		q := platformRequest{"msg_type": "checkout", "req_id": "netty-auto-checkout", "company_code": company,
			"agent_id": agentID, "os": os, "ext_id": ext}
		s.checkout(nil, q)
	}
	s.afterLocked(max(after, time.Millisecond), run)
}

// pushTo writes a server push to the link routed for the agent's
// company_agent_os (nowhere when there is none). s.mu held.
func (s *platform) pushTo(a *agent, o obj) {
	c := s.routes[linkKey(a.company.Code, a.conf.AgentID, a.plat.os)]
	if c == nil || c.closing {
		return
	}
	if sc := s.scope; sc != nil && sc.c == c {
		sc.pushes = append(sc.pushes, mustJSON(o))
		return
	}
	s.send(c, o)
}

// tokenValid: t is the current token of some company+os+agent (the real
// checkToken does not compare the owner with the frame's agent).
func (s *platform) tokenValid(t string) bool {
	if t == "" {
		return false
	}
	owner, ok := s.tokens[t]
	return ok && s.tokenOf[owner] == t
}

// newToken makes the 32-hex token of company+os+agent, replacing the last.
func (s *platform) newToken(company, os, agentID string) string {
	owner := company + ":" + os + ":" + agentID
	if old, ok := s.tokenOf[owner]; ok {
		delete(s.tokens, old)
	}
	t := newID("")
	s.tokens[t] = owner
	s.tokenOf[owner] = t
	return t
}

// The msg_types the real server routes to its two back ends (a deployment
// whose lists hold every handler; msg_types in neither get no reply).
var (
	sdkInterfaceTypes = map[string]bool{"checkout": true, "change_status": true, "get_status": true, "get_token": true,
		"toggle_service_mode": true}
	callControlTypes = map[string]bool{"call": true, "hold": true, "mute": true, "hangup": true, "consult": true, "dtmf": true,
		"eavesdrop": true, "whisper": true, "substitute": true, "interrupt_call": true, "force_call": true,
		"callin": true, "pickup": true, "trans": true, "three_way": true, "change_media": true,
		"consult_to_trans": true, "answer": true, "play_record": true, "play_record_control": true,
		"preview_out_call": true}
)

// handleFrame is CS WebSocketHandler.channelRead0 for one frame.
func (s *platform) handleFrame(c *link, b []byte) {
	q, err := parsePlatformRequest(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || c.closing {
		return
	}
	if err != nil {
		return // logged and skipped by the real server: no reply
	}
	s.scope = &frameScope{c: c}
	defer s.flushScope() // before the unlock
	mt := q.s("msg_type")
	if a := s.agents[q.s("agent_id")]; a != nil && s.faulted(c, a, mt) {
		return
	}
	if mt != "get_token" && mt != "checkin" && !s.tokenValid(q.s("token")) {
		s.refuseAndClose(c, "4003", "token鉴权不通过!")
		return
	}
	if mt == "ping" {
		o := obj{"msg_type": "pong", "code": "0", "msg": "心跳成功"}
		q.copyTo(o, "req_id")
		s.replyFrame(c, q, o)
		return
	}
	if mt == "checkin" {
		s.checkin(c, q)
		return
	}
	if linkKey(q.s("company_code"), q.s("agent_id"), q.s("os")) != c.bound && mt != "get_status" {
		s.refuseAndClose(c, "4003", "鉴权失败, 未签入的坐席!")
		return
	}
	switch {
	case sdkInterfaceTypes[mt]:
		// SdkInterfaceRemoteServiceImpl.request validates the base fields
		// first; its exception reaches CS, which answers "请求失败".
		if _, _, bad := q.validate("s:msg_type", "s:req_id", "s:company_code"); bad {
			o := obj{"code": "1", "msg": "请求失败", "reply": false}
			q.copyTo(o, "req_id", "company_code", "msg_type")
			s.replyFrame(c, q, o)
			return
		}
		s.sdkInterface(c, q)
	case callControlTypes[mt]:
		// CallControlRemoteServiceImpl's base validation throws: CS logs it
		// and sends nothing.
		if _, _, bad := q.validate("s:msg_type", "s:req_id", "s:company_code"); bad {
			return
		}
		s.callControl(c, q)
	}
}

// replyFrame writes a reply to the requesting link; the delay fault of the
// request's agent postpones it. s.mu held.
func (s *platform) replyFrame(c *link, q platformRequest, o obj) {
	if c == nil {
		return // an internal request (the auto check-out): nobody to answer
	}
	if s.delayed(c, s.agents[q.s("agent_id")], q.s("msg_type"), o) {
		return
	}
	if sc := s.scope; sc != nil && sc.c == c {
		sc.replies = append(sc.replies, mustJSON(o))
		return
	}
	s.send(c, o)
}
