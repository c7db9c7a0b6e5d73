package sim

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// call is a customer's call and the agents in it.
type call struct {
	uuid      string // the agent-side call id every request names
	peer      string // the customer's leg
	kind      string // "outbound" or "inbound"
	action    string // CALL or PREVIEW_OUT_CALL for agent-started calls, "" inbound
	reqID     string // the request that started it (callbacks carry it)
	owner     *agent // the agent talking to the customer (nil while moving)
	number    string // the customer's number
	callee    string // the number the customer dialled (inbound)
	state     string // "ringing", "talking", "ended"
	pre       string // the owner's status before the call
	workOrder string
	audio     int
	video     int
	legs      []*leg
}

// leg is another party brought into a call: an agent or an external number.
type leg struct {
	uuid   string
	agent  *agent // nil for an external number
	number string
	role   string // TRANS CONSULT CONSULT_TO_TRANS THREE_WAY EAVESDROP WHISPER FORCE_CALL
	state  string // "ringing" or "talking"
	by     *agent // who brought it in
	reqID  string
	blind  bool
}

func (cl *call) numbersFor(a *agent) []string {
	out := []string{}
	if cl.number != "" && cl.state == "talking" {
		out = append(out, cl.number)
	}
	if cl.owner != nil && cl.owner != a {
		out = append(out, cl.owner.conf.AgentID)
	}
	for _, l := range cl.legs {
		if l.state != "talking" || l.agent == a {
			continue
		}
		if l.agent != nil {
			out = append(out, l.agent.conf.AgentID)
		} else {
			out = append(out, l.number)
		}
	}
	return out
}

func direction(q req, key string, def int) (int, bool) {
	v, ok := q.int(key, def)
	return v, ok && v >= 0 && v <= 3
}

func (s *Server) numberIn(list []string, n string) bool { return slices.Contains(list, n) }

// ---- outbound ----

func (s *Server) outbound(c *conn, a *agent, q req) {
	t := q.msgType()
	number := q.str("callee_number")
	action := "CALL"
	if t == "preview_out_call" {
		number, action = q.str("client_number"), "PREVIEW_OUT_CALL"
		if q.str("task_id") == "" || q.str("number_id") == "" {
			s.fail(c, q, "missing", obj{"uuid": ""})
			return
		}
	}
	if number == "" {
		s.fail(c, q, "missing", obj{"uuid": ""})
		return
	}
	audio, okA := direction(q, "audio", 3)
	video, okV := direction(q, "video", 0)
	if !okA || !okV {
		s.fail(c, q, "bad_value", obj{"uuid": ""})
		return
	}
	if a.onCall() || (a.status != "FREE" && a.status != "BUSY") {
		s.fail(c, q, "bad_state", obj{"uuid": ""})
		return
	}
	if !s.rtcReady(a) {
		s.fail(c, q, "rtc_not_registered", obj{"uuid": ""})
		return
	}
	ring := s.cfg.Timings.MaxRingMS
	if v, ok := q.int("max_ring_time", 60); ok && ring < 0 {
		ring = v * 1000
	}
	cl := &call{uuid: newID("call-"), peer: newID("cust-"), kind: "outbound", action: action,
		reqID: q.str("req_id"), owner: a, number: number, state: "ringing", pre: a.status,
		workOrder: q.str("work_order_id"), audio: audio, video: video}
	s.calls[cl.uuid] = cl
	a.call = cl
	s.ok(c, q, obj{"uuid": cl.uuid})
	s.callback(a, action, "INITIATE", true, "call_init", cl, cl.reqID, nil)
	s.setStatus(a, "RINGING", "", "")
	if a.isRTC() {
		// The platform rings the agent's own leg first (auto-answer); the
		// customer is dialled once it answers.
		pixels, _ := q.int("pixels", 0)
		s.rtcInvite(a, cl.uuid, pbx.InviteOptions{AutoAnswer: true, Audio: audio, Video: video, Pixels: pixels, Caller: number},
			func() {
				if cl.state == "ringing" && cl.owner == a {
					s.dialCustomer(cl, ring)
				}
			},
			func(key string) { s.endCall(cl, key, false) })
		return
	}
	s.dialCustomer(cl, ring)
}

// dialCustomer rings the customer of an outbound call; ring is how long a
// no-answer number rings (ms).
func (s *Server) dialCustomer(cl *call, ring int) {
	switch {
	case s.numberIn(s.cfg.ManualAnswerNumbers, cl.number):
		// rings until POST /admin/customer-answer
	case s.numberIn(s.cfg.NoAnswerNumbers, cl.number):
		s.afterLocked(time.Duration(ring)*time.Millisecond, func() { s.endCall(cl, "no_answer", false) })
	default:
		s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.CustomerAnswerMS), func() { s.customerAnswer(cl) })
	}
}

// customerAnswer: the customer picks up an outbound call.
func (s *Server) customerAnswer(cl *call) bool {
	if cl.state != "ringing" || cl.kind != "outbound" || cl.owner == nil {
		return false
	}
	cl.state = "talking"
	a := cl.owner
	s.setStatus(a, "CALLING", "", "")
	s.callback(a, cl.action, "START_CALL", true, "call_start", cl, cl.reqID,
		obj{"audio": cl.audio, "video": cl.video, "last_audio": cl.audio, "last_video": cl.video, "peer_uuid": cl.peer})
	return true
}

// endCall ends a call for everyone in it.
func (s *Server) endCall(cl *call, reasonKey string, success bool) {
	if cl.state == "ended" {
		return
	}
	answered := cl.state == "talking"
	cl.state = "ended"
	delete(s.calls, cl.uuid)
	for len(cl.legs) > 0 {
		s.leaveLeg(cl, cl.legs[0], reasonKey)
	}
	a := cl.owner
	cl.owner = nil
	if a == nil {
		return
	}
	if cl.action != "" {
		s.callback(a, cl.action, "END_CALL", success, reasonKey, cl, cl.reqID, obj{"peer_uuid": cl.peer})
	}
	if !answered {
		a.call = nil
		s.rtcDrop(a)
		s.setStatus(a, cl.pre, "", text(a.lang(), reasonKey))
		return
	}
	s.afterCallLocked(a, text(a.lang(), reasonKey))
}

// leaveLeg takes a leg out of its call.
func (s *Server) leaveLeg(cl *call, l *leg, reasonKey string) {
	i := slices.Index(cl.legs, l)
	if i < 0 {
		return
	}
	cl.legs = slices.Delete(cl.legs, i, i+1)
	by := l.by
	if b := l.agent; b != nil {
		switch {
		case l.state == "ringing":
			b.call, b.leg = nil, nil
			s.rtcDrop(b)
			s.setStatus(b, "FREE", "", text(b.lang(), reasonKey))
		case l.by == b: // a supervisor's own leg
			s.callback(b, l.role, "END_CALL", true, "call_end", cl, l.reqID, nil)
			s.afterCallLocked(b, text(b.lang(), reasonKey))
		default:
			s.afterCallLocked(b, text(b.lang(), reasonKey))
		}
	}
	if by != nil && by != l.agent && by.call == cl && cl.state != "ended" {
		s.callback(by, l.role, "END_CALL", true, "call_end", cl, l.reqID, nil)
		if by == cl.owner && cl.state == "talking" {
			s.setStatus(by, "CALLING", s.ownerSub(cl), "")
		}
	}
	if cl.owner != nil && cl.state == "talking" && cl.owner != by {
		s.setStatus(cl.owner, "CALLING", s.ownerSub(cl), "")
	}
}

// ownerSub is the owner's sub-status given the legs still in the call.
func (s *Server) ownerSub(cl *call) string {
	for _, l := range cl.legs {
		switch l.role {
		case "CONSULT", "THREE_WAY", "FORCE_CALL":
			return l.role
		case "TRANS":
			if !l.blind {
				return "TRANS"
			}
		}
	}
	return ""
}

// ---- inbound ----

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
	if s.platform() {
		return s.pInbound(in)
	}
	var a *agent
	if in.AgentID != "" {
		a = s.agents[in.AgentID]
		if a != nil && a.checkedIn && a.conn != nil && a.status == "FREE" && a.call == nil && !s.rtcReady(a) {
			return "", "", ErrNotRegistered
		}
		if a == nil || !s.free(a) {
			return "", "", ErrNoFreeAgent
		}
	} else {
		a = s.pickFree(in.CompanyCode, in.SkillID, nil)
		if a == nil {
			return "", "", ErrNoFreeAgent
		}
	}
	audio, video := in.media()
	cl := &call{uuid: newID("call-"), peer: newID("cust-"), kind: "inbound", owner: a, number: in.CallerNumber,
		callee: in.CalleeNumber, state: "ringing", pre: a.status, workOrder: in.WorkOrderID, audio: audio, video: video}
	s.calls[cl.uuid] = cl
	a.call = cl
	s.setStatus(a, "RINGING", "", "")
	s.sendCallin(a, cl.uuid, cl, in.Channel, in.FlowData, in.IsVideo)
	if a.isRTC() {
		// The agent's phone rings (no auto-answer); the SIP answer or the
		// CTI answer answers the call.
		s.rtcInvite(a, cl.uuid, pbx.InviteOptions{Audio: audio, Video: video, Caller: cl.number},
			func() { s.answerBySIP(a, cl.uuid) },
			func(key string) {
				if cl.state == "ringing" && cl.owner == a {
					s.endCall(cl, key, false)
				}
			})
	}
	return cl.uuid, a.conf.AgentID, nil
}

// free: the agent can take a call (an RTC agent also needs its extension
// registered).
func (s *Server) free(a *agent) bool {
	return a.checkedIn && a.conn != nil && a.status == "FREE" && a.call == nil && s.rtcReady(a)
}

func (s *Server) pickFree(company, skill string, except *agent) *agent {
	var ids []string
	for id, a := range s.agents {
		if a != except && a.company.Code == company && s.free(a) && (skill == "" || slices.Contains(a.conf.Skills, skill)) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids) // deterministic routing
	return s.agents[ids[0]]
}

func (s *Server) sendCallin(a *agent, uuid string, cl *call, channel, flowData string, isVideo int) {
	o := obj{"req_id": newID(""), "msg_type": "callin", "company_code": a.company.Code, "agent_id": a.conf.AgentID,
		"ext_id": a.ext, "uuid": uuid, "caller_number": cl.number, "callee_number": cl.callee,
		"callin_channel": channel, "is_video": isVideo, "audio": cl.audio, "video": cl.video}
	if flowData != "" {
		o["flow_data"] = flowData
	}
	if cl.workOrder != "" {
		o["work_order_id"] = cl.workOrder
	}
	if s.cfg.quirks() { // as the spec's example: string ints and the misspelled twin
		o["is_video"] = itoa(isVideo)
		o["caller_channel"] = channel
	}
	s.send(a.conn, o)
}

func itoa(n int) string { return strconv.Itoa(n) }

// CustomerHangup: the simulated customer (or external party) hangs up.
func (s *Server) CustomerHangup(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.platform() {
		l := s.pCustomerLeg(uuid)
		if l == nil {
			return ErrNoCall
		}
		s.pEnd(l)
		return nil
	}
	cl := s.findCall(uuid)
	if cl == nil {
		return ErrNoCall
	}
	s.endCall(cl, "customer_hangup", true)
	return nil
}

// CustomerAnswer: the customer answers an outbound call to a manual-answer number.
func (s *Server) CustomerAnswer(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.platform() {
		l := s.pCustomerLeg(uuid)
		if l == nil || l.agent != nil || l.state != legRinging {
			return ErrNoCall
		}
		s.pAnswered(l)
		return nil
	}
	cl := s.findCall(uuid)
	if cl == nil || !s.customerAnswer(cl) {
		return ErrNoCall
	}
	return nil
}

func (s *Server) findCall(uuid string) *call {
	if cl := s.calls[uuid]; cl != nil {
		return cl
	}
	for _, cl := range s.calls {
		if cl.peer == uuid {
			return cl
		}
	}
	return nil
}

// ---- requests on a call ----

// agentCall finds the call a request's uuid names for agent a: the call it
// owns or its leg in one.
func (s *Server) agentCall(a *agent, uuid string) (*call, *leg) {
	cl := a.call
	if cl == nil || uuid == "" {
		return nil, nil
	}
	if a.leg != nil && (a.leg.uuid == uuid || cl.uuid == uuid) {
		return cl, a.leg
	}
	if cl.uuid == uuid && cl.owner == a {
		return cl, nil
	}
	return nil, nil
}

// answerable: the agent's call (or leg) rings and an answer takes it.
func answerable(cl *call, l *leg) bool {
	return (l != nil && l.state == "ringing") || (cl != nil && l == nil && cl.kind == "inbound" && cl.state == "ringing")
}

// doAnswer answers a ringing call or leg (answerable holds).
func (s *Server) doAnswer(a *agent, cl *call, l *leg) {
	if l != nil {
		s.answerLeg(cl, l)
		return
	}
	cl.state = "talking"
	s.setStatus(a, "CALLING", "", "")
}

func (s *Server) answer(c *conn, a *agent, q req) {
	cl, l := s.agentCall(a, q.str("uuid"))
	ringing := answerable(cl, l)
	if leg := a.rtc; leg != nil && cl != nil && !leg.auto && leg.uuid == legUUID(cl, l) {
		switch {
		case ringing && leg.state == "inviting":
			// The SDK answers the SIP leg too: wait (bounded) for it.
			p := &pendingAnswer{ok: func() { s.ok(c, q, nil) }, fail: func() { s.fail(c, q, "rtc_not_answered", nil) }}
			leg.pending = append(leg.pending, p)
			s.notifyLocked()
			s.afterLocked(s.rtcAnswerWait(), func() {
				if i := slices.Index(leg.pending, p); i >= 0 {
					leg.pending = slices.Delete(leg.pending, i, i+1)
					p.fail()
				}
			})
			return
		case !ringing && leg.state == "answered":
			s.ok(c, q, nil) // the SIP answer has answered the call already
			return
		}
	}
	if !ringing {
		s.fail(c, q, "no_call", nil)
		return
	}
	s.ok(c, q, nil)
	s.doAnswer(a, cl, l)
}

// legUUID is the uuid the agent knows its part of the call by.
func legUUID(cl *call, l *leg) string {
	if l != nil {
		return l.uuid
	}
	return cl.uuid
}

// answerBySIP: the agent answered the SIP leg; a platform sees the media
// leg answered and takes that as the answer.
func (s *Server) answerBySIP(a *agent, uuid string) {
	cl, l := s.agentCall(a, uuid)
	if answerable(cl, l) {
		s.doAnswer(a, cl, l)
	}
}

func (s *Server) answerLeg(cl *call, l *leg) {
	l.state = "talking"
	b := l.agent
	switch l.role {
	case "TRANS", "CONSULT_TO_TRANS":
		s.handOver(cl, l)
	case "CONSULT", "THREE_WAY":
		if b != nil {
			s.setStatus(b, "CALLING", l.role, "")
		}
		if l.by.call == cl {
			s.setStatus(l.by, "CALLING", l.role, "")
		}
		s.callback(l.by, l.role, "START_CALL", true, "call_start", cl, l.reqID, obj{"consult_uuid": l.uuid})
	}
}

// handOver makes leg l's agent the call's owner: the end of a transfer.
func (s *Server) handOver(cl *call, l *leg) {
	if i := slices.Index(cl.legs, l); i >= 0 {
		cl.legs = slices.Delete(cl.legs, i, i+1)
	}
	old := cl.owner
	b := l.agent
	cl.owner = b
	cl.action, cl.reqID = "", "" // the new owner did not start this call
	if b != nil {
		b.leg = nil
		b.call = cl
		s.setStatus(b, "CALLING", "", "")
	}
	s.callback(l.by, l.role, "START_CALL", true, "transferred", cl, l.reqID, nil)
	if old != nil && old.call == cl {
		s.afterCallLocked(old, text(old.lang(), "transferred"))
	}
	if b == nil { // handed to an IVR or an outside number: out of the agents' world
		cl.state = "ended"
		delete(s.calls, cl.uuid)
	}
}

func (s *Server) hangup(c *conn, a *agent, q req) {
	cl, l := s.agentCall(a, q.str("uuid"))
	switch {
	case l != nil:
		s.ok(c, q, nil)
		s.leaveLeg(cl, l, "agent_hangup")
	case cl != nil:
		s.ok(c, q, nil)
		s.endCall(cl, "agent_hangup", true)
	default:
		s.fail(c, q, "no_call", nil)
	}
}

func (s *Server) talking(c *conn, a *agent, q req, extra obj) (*call, bool) {
	cl, l := s.agentCall(a, q.str("uuid"))
	if cl == nil || cl.state != "talking" || (l != nil && l.state != "talking") {
		s.fail(c, q, "no_call", extra)
		return nil, false
	}
	return cl, true
}

func (s *Server) hold(c *conn, a *agent, q req) {
	on := q.bool("hold")
	cl, ok := s.talking(c, a, q, obj{"hold": "0"})
	if !ok {
		return
	}
	flag := "0"
	sub := s.ownerSub(cl)
	if on {
		flag, sub = "1", "HOLD"
	}
	s.ok(c, q, obj{"hold": flag})
	s.setStatus(a, "CALLING", sub, "")
	s.rtcOp(a, "hold", func(ctx context.Context, uuid string) error { return s.pbx.Hold(ctx, uuid, on) })
}

func (s *Server) mute(c *conn, a *agent, q req) {
	if _, ok := s.talking(c, a, q, obj{"mute": "0"}); !ok {
		return
	}
	flag := "0"
	if q.bool("mute") {
		flag = "1"
	}
	s.ok(c, q, obj{"mute": flag})
}

var dtmfRE = regexp.MustCompile(`^[0-9*#A-Da-d]+$`)

func (s *Server) dtmf(c *conn, a *agent, q req) {
	if _, ok := s.talking(c, a, q, nil); !ok {
		return
	}
	content := q.str("content")
	if !dtmfRE.MatchString(content) {
		s.fail(c, q, "bad_value", nil)
		return
	}
	if t, ok := q.int("dtmf_type", 3); !ok || (t != 0 && t != 1 && t != 3) {
		s.fail(c, q, "bad_value", nil)
		return
	}
	a.dtmf += content
	s.ok(c, q, nil)
	s.notifyLocked()
}

func (s *Server) changeMedia(c *conn, a *agent, q req) {
	cl, ok := s.talking(c, a, q, nil)
	if !ok {
		return
	}
	audio, okA := direction(q, "audio", cl.audio)
	video, okV := direction(q, "video", cl.video)
	if !okA || !okV {
		s.fail(c, q, "bad_value", nil)
		return
	}
	s.ok(c, q, nil)
	media := obj{"last_audio": cl.audio, "audio": audio, "last_video": cl.video, "video": video}
	cl.audio, cl.video = audio, video
	m0 := obj{"change_media_flag": 0}
	m1 := obj{"change_media_flag": 1}
	for k, v := range media {
		m0[k], m1[k] = v, v
	}
	s.callback(a, "CHANGE_MEDIA", "INITIATE", true, "success", cl, q.str("req_id"), m0)
	s.callback(a, "CHANGE_MEDIA", "START_CALL", true, "call_start", cl, q.str("req_id"), m1)
	s.rtcOp(a, "change_media", func(ctx context.Context, uuid string) error {
		return s.pbx.ChangeMedia(ctx, uuid, audio, video)
	})
}

func (s *Server) playRecord(c *conn, a *agent, q req) {
	if q.str("file_path") == "" {
		s.fail(c, q, "missing", obj{"uuid": ""})
		return
	}
	id := q.str("uuid")
	if id != "" {
		if cl, _ := s.agentCall(a, id); cl == nil {
			s.fail(c, q, "no_call", obj{"uuid": ""})
			return
		}
	} else {
		id = newID("play_record-")
	}
	a.playing = id
	s.ok(c, q, obj{"uuid": id})
	s.setStatus(a, a.status, "PLAY_RECORD", "")
}

var playActions = map[string]bool{"pause": true, "resume": true, "replay": true, "seek": true, "speed": true, "stop": true, "volume": true}

func (s *Server) playRecordControl(c *conn, a *agent, q req) {
	action := strings.ToLower(q.str("action"))
	if a.playing == "" || q.str("uuid") != a.playing {
		s.fail(c, q, "not_playing", nil)
		return
	}
	if !playActions[action] {
		s.fail(c, q, "bad_value", nil)
		return
	}
	for _, k := range []string{"speed_value", "volume_value", "seek_value"} {
		if _, ok := q.int(k, 0); !ok {
			s.fail(c, q, "bad_value", nil)
			return
		}
	}
	s.ok(c, q, nil)
	if action == "stop" {
		a.playing = ""
		sub := ""
		if a.call != nil {
			sub = s.ownerSub(a.call)
		}
		s.setStatus(a, a.status, sub, "")
	}
}

// ---- transfer, consult, three-way ----

// target finds the internal agent a request names (or, for a skill, the
// first free agent with it), free to take a call.
func (s *Server) target(a *agent, number string, skill bool) (*agent, string) {
	if skill {
		if b := s.pickFree(a.company.Code, number, a); b != nil {
			return b, ""
		}
		return nil, "no_free_agent"
	}
	b := s.agents[number]
	if b == nil || b.company != a.company || b == a {
		return nil, "no_agent"
	}
	if !s.free(b) {
		return nil, "target_busy"
	}
	return b, ""
}

func (s *Server) ringLeg(cl *call, l *leg, channel string) {
	cl.legs = append(cl.legs, l)
	if b := l.agent; b != nil {
		b.call, b.leg = cl, l
		s.setStatus(b, "RINGING", "", "")
		s.sendCallin(b, l.uuid, cl, channel, "", 0)
		if b.isRTC() {
			s.rtcInvite(b, l.uuid, pbx.InviteOptions{Audio: cl.audio, Video: cl.video, Caller: cl.number},
				func() { s.answerBySIP(b, l.uuid) },
				func(key string) {
					if slices.Contains(cl.legs, l) && l.state == "ringing" {
						s.leaveLeg(cl, l, key)
					}
				})
		}
		return
	}
	// An outside number answers after a ring.
	s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.AgentRingMS), func() {
		if slices.Contains(cl.legs, l) && l.state == "ringing" && cl.state == "talking" {
			s.answerLeg(cl, l)
		}
	})
}

func (s *Server) trans(c *conn, a *agent, q req) {
	cl, ok := s.talking(c, a, q, nil)
	if !ok {
		return
	}
	if cl.owner != a {
		s.fail(c, q, "bad_state", nil)
		return
	}
	mode, ttype, number := q.str("type"), q.str("trans_type"), q.str("trans_number")
	if mode == "3" {
		for _, l := range cl.legs {
			if l.role == "TRANS" && l.by == a && l.state == "ringing" {
				s.ok(c, q, nil)
				s.leaveLeg(cl, l, "call_end")
				return
			}
		}
		s.fail(c, q, "no_consult", nil)
		return
	}
	if mode != "1" && mode != "2" {
		s.fail(c, q, "bad_value", nil)
		return
	}
	l := &leg{uuid: newID("call-"), role: "TRANS", state: "ringing", by: a, reqID: q.str("req_id"), blind: mode == "1", number: number}
	switch ttype {
	case "1", "2":
		b, why := s.target(a, number, ttype == "2")
		if b == nil {
			s.fail(c, q, why, nil)
			return
		}
		l.agent = b
	case "3":
		if !s.hasIVR(a.company, number) {
			s.fail(c, q, "bad_value", nil)
			return
		}
	case "4":
		if number == "" {
			s.fail(c, q, "missing", nil)
			return
		}
	case "5":
	default:
		s.fail(c, q, "bad_value", nil)
		return
	}
	s.ok(c, q, nil)
	s.callback(a, "TRANS", "INITIATE", true, "call_init", cl, l.reqID, nil)
	if l.agent == nil { // IVR, outside number, satisfaction survey: the customer leaves the agent now
		cl.legs = append(cl.legs, l)
		s.handOver(cl, l)
		return
	}
	s.ringLeg(cl, l, "TRANS")
	if l.blind {
		cl.owner = nil // the customer waits for the new agent
		s.afterCallLocked(a, text(a.lang(), "transferred"))
		return
	}
	s.setStatus(a, "CALLING", "TRANS", "")
}

func (s *Server) hasIVR(co *Company, id string) bool {
	for _, iv := range co.IVRs {
		if iv.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) consult(c *conn, a *agent, q req) {
	mode := q.str("type")
	if mode == "2" {
		if cl := a.call; cl != nil {
			for _, l := range cl.legs {
				if l.role == "CONSULT" && l.by == a {
					s.ok(c, q, obj{"consult_uuid": l.uuid})
					s.leaveLeg(cl, l, "call_end")
					return
				}
			}
		}
		s.fail(c, q, "no_consult", nil)
		return
	}
	cl, ok := s.talking(c, a, q, nil)
	if !ok {
		return
	}
	if mode != "1" || cl.owner != a {
		s.fail(c, q, "bad_value", nil)
		return
	}
	l := &leg{uuid: newID("call-"), role: "CONSULT", state: "ringing", by: a, reqID: q.str("req_id"), number: q.str("consult_number")}
	switch q.str("consult_type") {
	case "0":
		b, why := s.target(a, l.number, false)
		if b == nil {
			s.fail(c, q, why, nil)
			return
		}
		l.agent = b
	case "1":
		if l.number == "" {
			s.fail(c, q, "missing", nil)
			return
		}
	default:
		s.fail(c, q, "bad_value", nil)
		return
	}
	s.ok(c, q, obj{"consult_uuid": l.uuid})
	s.callback(a, "CONSULT", "INITIATE", true, "call_init", cl, l.reqID, obj{"consult_uuid": l.uuid})
	s.setStatus(a, "CALLING", "CONSULT", "")
	s.ringLeg(cl, l, "CONSULT")
}

func (s *Server) consultToTrans(c *conn, a *agent, q req) {
	id := q.str("consult_uuid")
	cl := a.call
	if cl != nil {
		for _, l := range cl.legs {
			if l.uuid == id && l.role == "CONSULT" && l.by == a {
				s.ok(c, q, nil)
				l.role, l.reqID = "CONSULT_TO_TRANS", q.str("req_id")
				s.callback(a, "CONSULT_TO_TRANS", "INITIATE", true, "call_init", cl, l.reqID, nil)
				if l.state == "talking" || l.agent == nil {
					s.handOver(cl, l)
					return
				}
				// The consulted agent has not answered: it gets the customer when it does.
				cl.owner = nil
				s.afterCallLocked(a, text(a.lang(), "transferred"))
				return
			}
		}
	}
	s.fail(c, q, "no_consult", nil)
}

func (s *Server) threeWay(c *conn, a *agent, q req) {
	cl, ok := s.talking(c, a, q, nil)
	if !ok {
		return
	}
	if cl.owner != a {
		s.fail(c, q, "bad_state", nil)
		return
	}
	l := &leg{uuid: newID("call-"), role: "THREE_WAY", state: "ringing", by: a, reqID: q.str("req_id"), number: q.str("three_way_number")}
	switch q.str("three_way_type") {
	case "0":
		b, why := s.target(a, l.number, false)
		if b == nil {
			s.fail(c, q, why, nil)
			return
		}
		l.agent = b
	case "1":
		if l.number == "" {
			s.fail(c, q, "missing", nil)
			return
		}
	default:
		s.fail(c, q, "bad_value", nil)
		return
	}
	s.ok(c, q, obj{"in_call_numbers": cl.numbersFor(a)})
	s.callback(a, "THREE_WAY", "INITIATE", true, "call_init", cl, l.reqID, nil)
	s.ringLeg(cl, l, "THREE_WAY")
}

// ---- supervisors ----

func (s *Server) supervisorTarget(c *conn, a *agent, q req) (*agent, bool) {
	if !a.conf.Supervisor {
		s.fail(c, q, "no_permission", nil)
		return nil, false
	}
	t := s.agents[q.str("operated_agent_id")]
	if t == nil || t.company != a.company || t == a {
		s.fail(c, q, "no_agent", nil)
		return nil, false
	}
	if a.onCall() {
		s.fail(c, q, "in_call", nil)
		return nil, false
	}
	if !s.rtcReady(a) {
		s.fail(c, q, "rtc_not_registered", nil)
		return nil, false
	}
	return t, true
}

// supervise handles eavesdrop, whisper and force_call: the supervisor joins
// the target's call with a role.
func (s *Server) supervise(c *conn, a *agent, q req) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.call
	if cl == nil || cl.state != "talking" || cl.owner != t {
		s.fail(c, q, "target_no_call", nil)
		return
	}
	role := strings.ToUpper(q.msgType())
	l := &leg{uuid: newID("call-"), agent: a, role: role, state: "talking", by: a, reqID: q.str("req_id")}
	s.ok(c, q, nil)
	s.callback(a, role, "INITIATE", true, "call_init", cl, l.reqID, obj{"operated_agent_id": t.conf.AgentID})
	cl.legs = append(cl.legs, l)
	a.pre = a.status
	a.call, a.leg = cl, l
	s.setStatus(a, "CALLING", role, "")
	if role == "FORCE_CALL" {
		s.setStatus(t, "CALLING", "FORCE_CALL", "")
	}
	start := func() {
		s.callback(a, role, "START_CALL", true, "call_start", cl, l.reqID, obj{"operated_agent_id": t.conf.AgentID})
	}
	if !a.isRTC() {
		start()
		return
	}
	// An RTC supervisor's own leg: auto-answered; eavesdrop only listens.
	audio := pbx.DefaultAudio
	if role == "EAVESDROP" {
		audio = int(pbx.RecvOnly)
	}
	s.rtcInvite(a, l.uuid, pbx.InviteOptions{AutoAnswer: true, Audio: audio, Caller: cl.number},
		func() {
			if slices.Contains(cl.legs, l) {
				start()
			}
		},
		func(key string) {
			if slices.Contains(cl.legs, l) {
				s.leaveLeg(cl, l, key)
			}
		})
}

func (s *Server) substitute(c *conn, a *agent, q req) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.call
	if cl == nil || cl.state != "ringing" || cl.owner != t || cl.kind != "inbound" {
		s.fail(c, q, "target_no_ring", nil)
		return
	}
	s.ok(c, q, nil)
	s.callback(a, "SUBSTITUTE", "INITIATE", true, "call_init", cl, q.str("req_id"), nil)
	t.call = nil
	s.rtcDrop(t)
	s.setStatus(t, cl.pre, "", text(t.lang(), "substituted"))
	cl.owner, cl.state, cl.pre = a, "talking", a.status
	a.call = cl
	s.setStatus(a, "CALLING", "", "")
	if a.isRTC() {
		s.rtcInvite(a, cl.uuid, pbx.InviteOptions{AutoAnswer: true, Audio: cl.audio, Video: cl.video, Caller: cl.number}, nil,
			func(key string) {
				if cl.owner == a && a.call == cl {
					s.endCall(cl, key, true)
				}
			})
	}
	s.callback(a, "SUBSTITUTE", "START_CALL", true, "call_start", cl, q.str("req_id"), nil)
}

func (s *Server) interrupt(c *conn, a *agent, q req) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.call
	if cl == nil || cl.owner != t {
		s.fail(c, q, "target_no_call", nil)
		return
	}
	s.ok(c, q, nil)
	s.callback(a, "INTERRUPT_CALL", "INITIATE", true, "call_init", cl, q.str("req_id"), nil)
	s.endCall(cl, "interrupted", true)
	s.callback(a, "INTERRUPT_CALL", "END_CALL", true, "interrupted", cl, q.str("req_id"), nil)
}
