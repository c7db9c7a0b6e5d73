package sim

import (
	"slices"
	"strings"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The spec dialect's transfers, consultations, three-way calls and
// supervisor actions.

// ---- transfer, consult, three-way ----

// target finds the internal agent a request names (or, for a skill, the
// first free agent with it), free to take a call.
func (s *spec) target(a *agent, number string, skill bool) (*agent, string) {
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

func (s *spec) ringLeg(cl *specCall, l *specLeg, channel string) {
	cl.legs = append(cl.legs, l)
	if b := l.agent; b != nil {
		b.spec.call, b.spec.leg = cl, l
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

func (s *spec) trans(c *link, a *agent, q specRequest) {
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
	l := &specLeg{uuid: newID("call-"), role: "TRANS", state: "ringing", by: a, reqID: q.str("req_id"), blind: mode == "1", number: number}
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

func (s *spec) hasIVR(co *Company, id string) bool {
	for _, iv := range co.IVRs {
		if iv.ID == id {
			return true
		}
	}
	return false
}

func (s *spec) consult(c *link, a *agent, q specRequest) {
	mode := q.str("type")
	if mode == "2" {
		if cl := a.spec.call; cl != nil {
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
	l := &specLeg{uuid: newID("call-"), role: "CONSULT", state: "ringing", by: a, reqID: q.str("req_id"), number: q.str("consult_number")}
	if !s.legTarget(c, a, q, l, q.str("consult_type")) {
		return
	}
	s.ok(c, q, obj{"consult_uuid": l.uuid})
	s.callback(a, "CONSULT", "INITIATE", true, "call_init", cl, l.reqID, obj{"consult_uuid": l.uuid})
	s.setStatus(a, "CALLING", "CONSULT", "")
	s.ringLeg(cl, l, "CONSULT")
}

// legTarget sets who a consult or three-way leg rings: typ "0" an agent
// (l.number is its id or extension), "1" an outside number. A bad request
// is answered with its failure and false.
func (s *spec) legTarget(c *link, a *agent, q specRequest, l *specLeg, typ string) bool {
	switch typ {
	case "0":
		b, why := s.target(a, l.number, false)
		if b == nil {
			s.fail(c, q, why, nil)
			return false
		}
		l.agent = b
	case "1":
		if l.number == "" {
			s.fail(c, q, "missing", nil)
			return false
		}
	default:
		s.fail(c, q, "bad_value", nil)
		return false
	}
	return true
}

func (s *spec) consultToTrans(c *link, a *agent, q specRequest) {
	id := q.str("consult_uuid")
	cl := a.spec.call
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

func (s *spec) threeWay(c *link, a *agent, q specRequest) {
	cl, ok := s.talking(c, a, q, nil)
	if !ok {
		return
	}
	if cl.owner != a {
		s.fail(c, q, "bad_state", nil)
		return
	}
	l := &specLeg{uuid: newID("call-"), role: "THREE_WAY", state: "ringing", by: a, reqID: q.str("req_id"), number: q.str("three_way_number")}
	if !s.legTarget(c, a, q, l, q.str("three_way_type")) {
		return
	}
	s.ok(c, q, obj{"in_call_numbers": cl.numbersFor(a)})
	s.callback(a, "THREE_WAY", "INITIATE", true, "call_init", cl, l.reqID, nil)
	s.ringLeg(cl, l, "THREE_WAY")
}

// ---- supervisors ----

func (s *spec) supervisorTarget(c *link, a *agent, q specRequest) (*agent, bool) {
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
func (s *spec) supervise(c *link, a *agent, q specRequest) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.spec.call
	if cl == nil || cl.state != "talking" || cl.owner != t {
		s.fail(c, q, "target_no_call", nil)
		return
	}
	role := strings.ToUpper(q.msgType())
	l := &specLeg{uuid: newID("call-"), agent: a, role: role, state: "talking", by: a, reqID: q.str("req_id")}
	s.ok(c, q, nil)
	s.callback(a, role, "INITIATE", true, "call_init", cl, l.reqID, obj{"operated_agent_id": t.conf.AgentID})
	cl.legs = append(cl.legs, l)
	a.spec.pre = a.status
	a.spec.call, a.spec.leg = cl, l
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

func (s *spec) substitute(c *link, a *agent, q specRequest) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.spec.call
	if cl == nil || cl.state != "ringing" || cl.owner != t || cl.kind != "inbound" {
		s.fail(c, q, "target_no_ring", nil)
		return
	}
	s.ok(c, q, nil)
	s.callback(a, "SUBSTITUTE", "INITIATE", true, "call_init", cl, q.str("req_id"), nil)
	t.spec.call = nil
	s.rtcDrop(t)
	s.setStatus(t, cl.pre, "", text(t.lang(), "substituted"))
	cl.owner, cl.state, cl.pre = a, "talking", a.status
	a.spec.call = cl
	s.setStatus(a, "CALLING", "", "")
	if a.isRTC() {
		s.rtcInvite(a, cl.uuid, pbx.InviteOptions{AutoAnswer: true, Audio: cl.audio, Video: cl.video, Caller: cl.number}, nil,
			func(key string) {
				if cl.owner == a && a.spec.call == cl {
					s.endCall(cl, key, true)
				}
			})
	}
	s.callback(a, "SUBSTITUTE", "START_CALL", true, "call_start", cl, q.str("req_id"), nil)
}

func (s *spec) interrupt(c *link, a *agent, q specRequest) {
	t, ok := s.supervisorTarget(c, a, q)
	if !ok {
		return
	}
	cl := t.spec.call
	if cl == nil || cl.owner != t {
		s.fail(c, q, "target_no_call", nil)
		return
	}
	s.ok(c, q, nil)
	s.callback(a, "INTERRUPT_CALL", "INITIATE", true, "call_init", cl, q.str("req_id"), nil)
	s.endCall(cl, "interrupted", true)
	s.callback(a, "INTERRUPT_CALL", "END_CALL", true, "interrupted", cl, q.str("req_id"), nil)
}
