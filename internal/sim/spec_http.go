package sim

import (
	"io"
	"net/http"
	"strings"
)

// The spec dialect's endpoints: the agent WebSocket at /ws and the SDK
// HTTP interface.

// serveWS serves one agent WebSocket: a valid SDK-TOKEN in the handshake
// binds it to the agent's session at once.
func (s *spec) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &link{ws: ws, lang: r.Header.Get("LANGUAGE"), dialled: dialledBy(r)}
	ws.SetReadLimit(1 << 20)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	// A valid token on the handshake binds the link to the agent's session:
	// this is how a reconnecting SDK gets its state back.
	if a := s.tokens[r.Header.Get("SDK-TOKEN")]; a != nil && a.checkedIn {
		s.bindLocked(a, c)
	}
	s.mu.Unlock()
	defer s.wg.Done()
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			break
		}
		s.logFrame("in", c, b)
		s.handleFrame(c, b)
	}
	s.mu.Lock()
	delete(s.conns, c)
	if a := c.agent; a != nil && a.spec.conn == c {
		a.spec.conn = nil
		s.startGraceLocked(a)
		s.notifyLocked()
	}
	s.mu.Unlock()
	_ = ws.Close()
}

// ---- SDK HTTP interface ----

func (s *spec) httpGetToken(w http.ResponseWriter, r *http.Request) {
	s.logHTTP(r)
	lang := r.Header.Get("LANGUAGE")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, obj{"code": "405", "msg": "POST only"})
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	q, err := parseSpecRequest(b)
	if err != nil {
		writeJSON(w, http.StatusOK, obj{"code": "1", "msg": text(lang, "bad_json")})
		return
	}
	pwd := q.str("aagent_pwd")
	if pwd == "" {
		pwd = q.str("agent_pwd")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[q.str("agent_id")]
	out := obj{"req_id": q.str("req_id"), "msg_type": "get_token"}
	switch {
	case a == nil || a.company.Code != q.str("company_code"):
		out["code"], out["msg"] = "1", text(lang, "no_agent")
	case a.conf.Password != pwd:
		out["code"], out["msg"] = "1", text(lang, "wrong_password")
	default:
		if a.spec.token == "" {
			a.spec.token = newID("")
			s.tokens[a.spec.token] = a
		}
		out["code"], out["msg"], out["token"] = "0", text(lang, "success"), a.spec.token
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *spec) listAuth(w http.ResponseWriter, r *http.Request) (*Company, bool) {
	s.logHTTP(r)
	lang := r.Header.Get("LANGUAGE")
	s.mu.Lock()
	a := s.tokens[r.Header.Get("SDK-TOKEN")]
	s.mu.Unlock()
	if a == nil {
		writeJSON(w, http.StatusUnauthorized, obj{"code": 401, "msg": text(lang, "token_invalid")})
		return nil, false
	}
	code := r.URL.Query().Get("company_code")
	if code == "" {
		code = a.company.Code
	}
	for i := range s.cfg.Companies {
		if s.cfg.Companies[i].Code == code {
			return &s.cfg.Companies[i], true
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": 1, "msg": text(lang, "bad_value"), "company_code": code, "data": []any{}})
	return nil, false
}

func (s *spec) httpSkills(w http.ResponseWriter, r *http.Request) {
	co, ok := s.listAuth(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("service_name")
	data := []SkillService{}
	for _, sk := range co.Skills {
		if strings.Contains(sk.Name, name) {
			data = append(data, sk)
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": "0", "msg": "成功!", "data": data, "company_code": co.Code})
}

func (s *spec) httpIVRs(w http.ResponseWriter, r *http.Request) {
	co, ok := s.listAuth(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("service_name")
	data := []IVRService{}
	for _, iv := range co.IVRs {
		if strings.Contains(iv.Name, name) {
			data = append(data, iv)
		}
	}
	writeJSON(w, http.StatusOK, obj{"code": "0", "msg": "成功!", "data": data, "company_code": co.Code})
}
