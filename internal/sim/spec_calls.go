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

// specCall is a customer's specCall and the agents in it.
type specCall struct {
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
	legs      []*specLeg
}

// specLeg is another party brought into a call: an agent or an external number.
type specLeg struct {
	uuid   string
	agent  *agent // nil for an external number
	number string
	role   string // TRANS CONSULT CONSULT_TO_TRANS THREE_WAY EAVESDROP WHISPER FORCE_CALL
	state  string // "ringing" or "talking"
	by     *agent // who brought it in
	reqID  string
	blind  bool
}

func (cl *specCall) numbersFor(a *agent) []string {
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

func direction(q specRequest, key string, def int) (int, bool) {
	v, ok := q.int(key, def)
	return v, ok && v >= 0 && v <= 3
}

// ---- outbound ----

func (s *spec) outbound(c *link, a *agent, q specRequest) {
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
	cl := &specCall{uuid: newID("call-"), peer: newID("cust-"), kind: "outbound", action: action,
		reqID: q.str("req_id"), owner: a, number: number, state: "ringing", pre: a.status,
		workOrder: q.str("work_order_id"), audio: audio, video: video}
	s.calls[cl.uuid] = cl
	a.spec.call = cl
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
func (s *spec) dialCustomer(cl *specCall, ring int) {
	switch {
	case s.numberIn(s.cfg.ManualAnswerNumbers, cl.number):
		// rings until POST /admin/customer-answer
	case s.numberIn(s.cfg.NoAnswerNumbers, cl.number):
		s.afterLocked(time.Duration(ring)*time.Millisecond, func() { s.endCall(cl, "no_answer", false) })
	default:
		s.afterLocked(s.cfg.Timings.d(s.cfg.Timings.CustomerAnswerMS), func() { s.customerPicksUp(cl) })
	}
}

// customerPicksUp: the customer answers an outbound call.
func (s *spec) customerPicksUp(cl *specCall) bool {
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
func (s *spec) endCall(cl *specCall, reasonKey string, success bool) {
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
		a.spec.call = nil
		s.rtcDrop(a)
		s.setStatus(a, cl.pre, "", text(a.lang(), reasonKey))
		return
	}
	s.afterCallLocked(a, text(a.lang(), reasonKey))
}

// leaveLeg takes a leg out of its call.
func (s *spec) leaveLeg(cl *specCall, l *specLeg, reasonKey string) {
	i := slices.Index(cl.legs, l)
	if i < 0 {
		return
	}
	cl.legs = slices.Delete(cl.legs, i, i+1)
	by := l.by
	if b := l.agent; b != nil {
		switch {
		case l.state == "ringing":
			b.spec.call, b.spec.leg = nil, nil
			s.rtcDrop(b)
			s.setStatus(b, "FREE", "", text(b.lang(), reasonKey))
		case l.by == b: // a supervisor's own leg
			s.callback(b, l.role, "END_CALL", true, "call_end", cl, l.reqID, nil)
			s.afterCallLocked(b, text(b.lang(), reasonKey))
		default:
			s.afterCallLocked(b, text(b.lang(), reasonKey))
		}
	}
	if by != nil && by != l.agent && by.spec.call == cl && cl.state != "ended" {
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
func (s *spec) ownerSub(cl *specCall) string {
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

// inbound rings the given agent, or the first free agent of the company
// (with the skill if given).
func (s *spec) inbound(in InboundCall) (uuid, agentID string, err error) {
	var a *agent
	if in.AgentID != "" {
		a = s.agents[in.AgentID]
		if a != nil && a.checkedIn && a.spec.conn != nil && a.status == "FREE" && a.spec.call == nil && !s.rtcReady(a) {
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
	cl := &specCall{uuid: newID("call-"), peer: newID("cust-"), kind: "inbound", owner: a, number: in.CallerNumber,
		callee: in.CalleeNumber, state: "ringing", pre: a.status, workOrder: in.WorkOrderID, audio: audio, video: video}
	s.calls[cl.uuid] = cl
	a.spec.call = cl
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

// customerHangup: the customer of the call uuid names (or its customer leg)
// hangs up.
func (s *spec) customerHangup(uuid string) error {
	cl := s.findCall(uuid)
	if cl == nil {
		return ErrNoCall
	}
	s.endCall(cl, "customer_hangup", true)
	return nil
}

// customerAnswer: the customer of an outbound call to a manual-answer
// number answers.
func (s *spec) customerAnswer(uuid string) error {
	cl := s.findCall(uuid)
	if cl == nil || !s.customerPicksUp(cl) {
		return ErrNoCall
	}
	return nil
}

// mediaHungUp: the agent hung up its media leg, as a CTI hangup would.
func (s *spec) mediaHungUp(leg *mediaLeg) {
	a := leg.agent
	cl := a.spec.call
	switch {
	case cl == nil:
	case a.spec.leg != nil:
		s.leaveLeg(cl, a.spec.leg, "agent_hangup")
	case cl.owner == a:
		s.endCall(cl, "agent_hangup", true)
	}
}

// free: the agent can take a call (an RTC agent also needs its extension
// registered).
func (s *spec) free(a *agent) bool {
	return a.checkedIn && a.spec.conn != nil && a.status == "FREE" && a.spec.call == nil && s.rtcReady(a)
}

func (s *spec) pickFree(company, skill string, except *agent) *agent {
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

func (s *spec) sendCallin(a *agent, uuid string, cl *specCall, channel, flowData string, isVideo int) {
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
	s.send(a.spec.conn, o)
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *spec) findCall(uuid string) *specCall {
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
func (s *spec) agentCall(a *agent, uuid string) (*specCall, *specLeg) {
	cl := a.spec.call
	if cl == nil || uuid == "" {
		return nil, nil
	}
	if a.spec.leg != nil && (a.spec.leg.uuid == uuid || cl.uuid == uuid) {
		return cl, a.spec.leg
	}
	if cl.uuid == uuid && cl.owner == a {
		return cl, nil
	}
	return nil, nil
}

// answerable: the agent's call (or leg) rings and an answer takes it.
func answerable(cl *specCall, l *specLeg) bool {
	return (l != nil && l.state == "ringing") || (cl != nil && l == nil && cl.kind == "inbound" && cl.state == "ringing")
}

// doAnswer answers a ringing call or leg (answerable holds).
func (s *spec) doAnswer(a *agent, cl *specCall, l *specLeg) {
	if l != nil {
		s.answerLeg(cl, l)
		return
	}
	cl.state = "talking"
	s.setStatus(a, "CALLING", "", "")
}

func (s *spec) answer(c *link, a *agent, q specRequest) {
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
func legUUID(cl *specCall, l *specLeg) string {
	if l != nil {
		return l.uuid
	}
	return cl.uuid
}

// answerBySIP: the agent answered the SIP leg; a platform sees the media
// leg answered and takes that as the answer.
func (s *spec) answerBySIP(a *agent, uuid string) {
	cl, l := s.agentCall(a, uuid)
	if answerable(cl, l) {
		s.doAnswer(a, cl, l)
	}
}

func (s *spec) answerLeg(cl *specCall, l *specLeg) {
	l.state = "talking"
	b := l.agent
	switch l.role {
	case "TRANS", "CONSULT_TO_TRANS":
		s.handOver(cl, l)
	case "CONSULT", "THREE_WAY":
		if b != nil {
			s.setStatus(b, "CALLING", l.role, "")
		}
		if l.by.spec.call == cl {
			s.setStatus(l.by, "CALLING", l.role, "")
		}
		s.callback(l.by, l.role, "START_CALL", true, "call_start", cl, l.reqID, obj{"consult_uuid": l.uuid})
	}
}

// handOver makes leg l's agent the call's owner: the end of a transfer.
func (s *spec) handOver(cl *specCall, l *specLeg) {
	if i := slices.Index(cl.legs, l); i >= 0 {
		cl.legs = slices.Delete(cl.legs, i, i+1)
	}
	old := cl.owner
	b := l.agent
	cl.owner = b
	cl.action, cl.reqID = "", "" // the new owner did not start this call
	if b != nil {
		b.spec.leg = nil
		b.spec.call = cl
		s.setStatus(b, "CALLING", "", "")
	}
	s.callback(l.by, l.role, "START_CALL", true, "transferred", cl, l.reqID, nil)
	if old != nil && old.spec.call == cl {
		s.afterCallLocked(old, text(old.lang(), "transferred"))
	}
	if b == nil { // handed to an IVR or an outside number: out of the agents' world
		cl.state = "ended"
		delete(s.calls, cl.uuid)
	}
}

func (s *spec) hangup(c *link, a *agent, q specRequest) {
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

func (s *spec) talking(c *link, a *agent, q specRequest, extra obj) (*specCall, bool) {
	cl, l := s.agentCall(a, q.str("uuid"))
	if cl == nil || cl.state != "talking" || (l != nil && l.state != "talking") {
		s.fail(c, q, "no_call", extra)
		return nil, false
	}
	return cl, true
}

func (s *spec) hold(c *link, a *agent, q specRequest) {
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

func (s *spec) mute(c *link, a *agent, q specRequest) {
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

func (s *spec) dtmf(c *link, a *agent, q specRequest) {
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

func (s *spec) changeMedia(c *link, a *agent, q specRequest) {
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

func (s *spec) playRecord(c *link, a *agent, q specRequest) {
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

func (s *spec) playRecordControl(c *link, a *agent, q specRequest) {
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
		if a.spec.call != nil {
			sub = s.ownerSub(a.spec.call)
		}
		s.setStatus(a, a.status, sub, "")
	}
}
