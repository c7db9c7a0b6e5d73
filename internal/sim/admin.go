package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// ErrNoCall: no call has that uuid.
var ErrNoCall = errors.New("no such call")

// fault is what a test asked the simulator to do wrong for one agent.
type fault struct {
	dropAfter string        // close the link on the next request of this type ("*" any) instead of replying
	withhold  string        // never reply to this type ("*" any)
	delay     time.Duration // delay replies
	delayType string        // ... of this type ("" any)
	noPong    bool          // ignore pings
}

// FaultSpec is a fault to inject (POST /admin/fault).
type FaultSpec struct {
	AgentID string `json:"agent_id"`
	// Kind: drop (close the link now), drop_after_request (close it on the
	// next request of MsgType, before replying), delay (DelayMS on replies of
	// MsgType, or all), withhold (never reply to MsgType, or to anything),
	// malformed (send Payload, or a broken frame, now), no_pong (stop
	// answering pings), clear (undo everything).
	Kind    string `json:"kind"`
	MsgType string `json:"msg_type,omitempty"`
	DelayMS int    `json:"delay_ms,omitempty"`
	Payload string `json:"payload,omitempty"`
}

// Fault injects a fault.
func (s *Server) Fault(f FaultSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[f.AgentID]
	if a == nil {
		return fmt.Errorf("no agent %q", f.AgentID)
	}
	any := f.MsgType
	if any == "" {
		any = "*"
	}
	link := s.dialect.agentLink(a)
	switch f.Kind {
	case "drop":
		if link != nil {
			go link.ws.Close() // TCP close, no close frame
		}
	case "drop_after_request":
		a.fault.dropAfter = any
	case "delay":
		a.fault.delay = time.Duration(f.DelayMS) * time.Millisecond
		a.fault.delayType = f.MsgType
	case "withhold":
		a.fault.withhold = any
	case "malformed":
		p := f.Payload
		if p == "" {
			p = `{"msg_type":"callback","req_id":` // cut short
		}
		if link == nil {
			return fmt.Errorf("agent %q is not connected", f.AgentID)
		}
		s.sendRaw(link, []byte(p))
	case "no_pong":
		a.fault.noPong = true
	case "clear":
		a.fault = fault{}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	return nil
}

// AgentSnapshot is an agent's state as the simulator sees it.
type AgentSnapshot struct {
	AgentID     string   `json:"agent_id"`
	CompanyCode string   `json:"company_code"`
	Status      string   `json:"status"`
	SubStatus   string   `json:"sub_status,omitempty"`
	CheckedIn   bool     `json:"checked_in"`
	Connected   bool     `json:"connected"`
	CallUUID    string   `json:"call_uuid,omitempty"`
	CallState   string   `json:"call_state,omitempty"`
	Peers       []string `json:"peers,omitempty"`
	DTMF        string   `json:"dtmf,omitempty"`
	LastRequest string   `json:"last_request,omitempty"`
	ServiceMode int      `json:"service_mode,omitempty"`
	AfterCall   string   `json:"after_call,omitempty"`
	Playing     string   `json:"playing,omitempty"`
	// Platform dialect: the os of the last check-in, whether the agent's
	// company_agent_os has a current token, and the uuids of its live legs.
	OS          string   `json:"os,omitempty"`
	HasToken    bool     `json:"has_token,omitempty"`
	ExtStatus   string   `json:"ext_status,omitempty"`
	CallUUIDs   []string `json:"call_uuids,omitempty"`
	PostProcess *bool    `json:"post_process,omitempty"`
	// AutoCheckoutChecks counts the runs of the auto check-out check after
	// the agent's checked-in links dropped.
	AutoCheckoutChecks int `json:"auto_checkout_checks,omitempty"`
	// RTC agents: the extension's SIP binding and the media leg of the call.
	RTCRegistered bool   `json:"rtc_registered,omitempty"`
	RTCUUID       string `json:"rtc_uuid,omitempty"`
	RTCState      string `json:"rtc_state,omitempty"` // inviting, answered
}

// Agent returns an agent's snapshot.
func (s *Server) Agent(id string) (AgentSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[id]
	if a == nil {
		return AgentSnapshot{}, false
	}
	return s.snapshotLocked(a), true
}

func (s *world) snapshotLocked(a *agent) AgentSnapshot {
	sn := AgentSnapshot{AgentID: a.conf.AgentID, CompanyCode: a.company.Code, Status: a.status, SubStatus: a.sub,
		CheckedIn: a.checkedIn, DTMF: a.dtmf, LastRequest: a.lastReq, ServiceMode: a.mode, Playing: a.playing}
	if a.isRTC() && a.checkedIn && s.pbx != nil {
		sn.RTCRegistered = s.pbx.Registered(a.ext)
	}
	if l := a.rtc; l != nil {
		sn.RTCUUID, sn.RTCState = l.uuid, l.state
	}
	s.dialect.snapshot(a, &sn)
	return sn
}

// Connections counts live WebSocket connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Reset checks everyone out, ends every call and clears faults.
func (s *Server) Reset() {
	s.mu.Lock()
	conns := make([]*link, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	for t := range s.timers {
		t.Stop()
	}
	s.timers = map[*time.Timer]struct{}{}
	for _, a := range s.agents {
		s.rtcDrop(a)
	}
	s.dialect.reset()
	s.agents = map[string]*agent{}
	s.loadAgents()
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/admin/")
	body := func(v any) bool {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if len(b) == 0 {
			return true
		}
		if err := json.Unmarshal(b, v); err != nil {
			writeJSON(w, http.StatusBadRequest, obj{"error": "bad JSON: " + err.Error()})
			return false
		}
		return true
	}
	fail := func(err error) { writeJSON(w, http.StatusConflict, obj{"error": err.Error()}) }
	switch {
	case path == "inbound" && r.Method == http.MethodPost:
		var in InboundCall
		if !body(&in) {
			return
		}
		uuid, agentID, err := s.Inbound(in)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, obj{"uuid": uuid, "agent_id": agentID})
	case path == "customer-hangup" && r.Method == http.MethodPost:
		var in struct{ UUID string }
		if !body(&in) {
			return
		}
		if err := s.CustomerHangup(in.UUID); err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "customer-answer" && r.Method == http.MethodPost:
		var in struct{ UUID string }
		if !body(&in) {
			return
		}
		if err := s.CustomerAnswer(in.UUID); err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "fault" && r.Method == http.MethodPost:
		var f FaultSpec
		if !body(&f) {
			return
		}
		if err := s.Fault(f); err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "agents" && r.Method == http.MethodGet:
		s.mu.Lock()
		out := make([]AgentSnapshot, 0, len(s.agents))
		for _, a := range s.agents {
			out = append(out, s.snapshotLocked(a))
		}
		s.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].AgentID < out[j].AgentID })
		writeJSON(w, http.StatusOK, out)
	case s.platform() != nil && s.servePlatformAdmin(w, r, path, body, fail):
	case path == "rtc/registrations" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.RTCRegistrations())
	case path == "rtc/impair" && r.Method == http.MethodPost:
		var sp ImpairSpec
		if !body(&sp) {
			return
		}
		switch err := s.Impair(sp); {
		case errors.Is(err, ErrNoCall):
			writeJSON(w, http.StatusNotFound, obj{"error": err.Error()})
		case errors.Is(err, ErrBadImpairment):
			writeJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		case err != nil:
			fail(err)
		default:
			writeJSON(w, http.StatusOK, obj{"ok": true})
		}
	case path == "rtc/calls" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.RTCCalls())
	case strings.HasPrefix(path, "rtc/calls/") && r.Method == http.MethodGet:
		c, err := s.RTCCall(strings.TrimPrefix(path, "rtc/calls/"))
		if err != nil {
			writeJSON(w, http.StatusNotFound, obj{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, c)
	case strings.HasPrefix(path, "agents/") && r.Method == http.MethodGet:
		sn, ok := s.Agent(strings.TrimPrefix(path, "agents/"))
		if !ok {
			writeJSON(w, http.StatusNotFound, obj{"error": "no such agent"})
			return
		}
		writeJSON(w, http.StatusOK, sn)
	default:
		writeJSON(w, http.StatusNotFound, obj{"error": "unknown admin call " + r.Method + " " + r.URL.Path})
	}
}

// ---- the customer's side ----

// InboundCall is a customer dialling the platform.
type InboundCall struct {
	CompanyCode  string `json:"company_code"`
	CallerNumber string `json:"caller_number"`
	CalleeNumber string `json:"callee_number"`
	AgentID      string `json:"agent_id,omitempty"`
	SkillID      string `json:"skill_id,omitempty"`
	FlowData     string `json:"flow_data,omitempty"`
	IsVideo      int    `json:"is_video,omitempty"`
	Audio        *int   `json:"audio,omitempty"`
	Video        *int   `json:"video,omitempty"`
	WorkOrderID  string `json:"work_order_id,omitempty"`
	Channel      string `json:"callin_channel,omitempty"` // e.g. PREDICT_OUT_CALL
}

// media is the call's audio and video (3 and 0 unless given); it also
// fills the default caller number.
func (in *InboundCall) media() (audio, video int) {
	audio, video = 3, 0
	if in.Audio != nil {
		audio = *in.Audio
	}
	if in.Video != nil {
		video = *in.Video
	}
	if in.CallerNumber == "" {
		in.CallerNumber = "13800000000"
	}
	return audio, video
}

// Inbound routes a customer's call to a free agent (the given one, or the
// first free agent of the company, with the skill if given) and rings it.
func (s *Server) Inbound(in InboundCall) (uuid, agentID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dialect.inbound(in)
}

// CustomerHangup: the simulated customer (or external party) hangs up.
func (s *Server) CustomerHangup(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dialect.customerHangup(uuid)
}

// CustomerAnswer: the customer answers an outbound call to a manual-answer number.
func (s *Server) CustomerAnswer(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dialect.customerAnswer(uuid)
}

// faulted applies the faults a test injected for agent a to a request of
// msg_type mt on link c: true when the frame gets no further handling.
// s.mu held.
func (s *world) faulted(c *link, a *agent, mt string) bool {
	a.lastReq = mt
	f := &a.fault
	switch {
	case f.dropAfter != "" && (f.dropAfter == mt || f.dropAfter == "*"):
		f.dropAfter = ""
		go c.ws.Close()
		return true
	case mt == "ping" && f.noPong:
		return true
	case f.withhold != "" && (f.withhold == mt || f.withhold == "*"):
		return true
	}
	return false
}

// delayed sends reply o to a request of msg_type mt later, when a test
// asked to delay a's replies to it: true when it did. s.mu held.
func (s *world) delayed(c *link, a *agent, mt string, o obj) bool {
	if a == nil || a.fault.delay <= 0 || (a.fault.delayType != "" && a.fault.delayType != mt) {
		return false
	}
	b := mustJSON(o)
	s.wg.Add(1)
	time.AfterFunc(a.fault.delay, func() { defer s.wg.Done(); s.sendRaw(c, b) })
	return true
}
