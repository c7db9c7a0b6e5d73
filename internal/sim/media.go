package sim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// RTC mode (login_type "1"): the platform's media side. ccsim mounts the
// simulated PBX (internal/pbx) at /sip; the CTI flows drive it. Each agent
// taking part in a call has at most one media leg (agent.rtc), placed by the
// PBX with X-CC-UUID = the uuid the agent knows the call by.

// mediaLeg is an RTC agent's media leg in a call. Guarded by world.mu.
type mediaLeg struct {
	uuid  string
	ext   string
	agent *agent
	auto  bool   // auto-answer INVITE (the agent's own leg of a call it starts)
	state string // "inviting", "answered", "ended"
	// dropped: the platform hung the leg up itself; its end is no news.
	dropped bool
	// onAnswer runs (under world.mu) when the agent answers the INVITE;
	// onFail when the leg ends before that (refused, no answer, transport).
	onAnswer func()
	onFail   func(reasonKey string)
	pending  []*pendingAnswer // CTI answers waiting for the SIP answer
}

// pendingAnswer is a CTI answer waiting for the SIP answer: ok answers it
// once the leg is answered, fail refuses it.
type pendingAnswer struct {
	ok, fail func()
}

// serial runs one call's PBX operations in order, off world.mu.
type serial struct {
	mu      sync.Mutex
	q       []func(context.Context)
	running bool
}

const (
	defaultRTCRing   = 10 * time.Second // an auto-answer leg must answer within
	defaultRTCAnswer = 10 * time.Second // a CTI answer waits this long for the SIP answer
	rtcOpTimeout     = 10 * time.Second
	rtcToneHz        = 1000 // the tone the PBX plays to agents
)

func (s *world) rtcRingTimeout() time.Duration {
	if ms := s.cfg.Timings.RTCRingMS; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return defaultRTCRing
}

func (s *world) rtcAnswerWait() time.Duration {
	if ms := s.cfg.Timings.RTCAnswerWaitMS; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return defaultRTCAnswer
}

// startPBX creates the PBX, mounts it at /sip and follows its events.
func (s *world) startPBX() {
	logger := s.logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dom := s.cfg.SIPDomain
	if dom == "" {
		dom = "cloudcc.local"
	}
	cfg := pbx.Config{Domain: dom, Password: s.extPassword, Logger: logger, ToneHz: rtcToneHz, EchoNumber: s.cfg.echoNumber()}
	if s.frameLog != nil {
		cfg.Trace = s.logSIP
	}
	p, err := pbx.New(cfg)
	if err != nil {
		s.pbxErr = err // RTC agents then cannot register: calls to them fail "not registered"
		logger.Error("ccsim: the PBX did not start", "err", err)
		return
	}
	s.pbx = p
	s.rtcCtx, s.rtcCancel = context.WithCancel(context.Background())
	s.mux.Handle("/sip", p)
	// FreeSWITCH takes SIP over WebSocket on any path: an rtc_address
	// without one (the platform's host:port) is dialled at /.
	s.mux.Handle("/{$}", p)
	ev, stop := p.Subscribe()
	s.stopEvents = stop
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for e := range ev {
			s.rtcEvent(e)
		}
	}()
}

// PBX is the simulated PBX mounted at /sip (nil if it could not start).
func (s *Server) PBX() *pbx.PBX { return s.pbx }

// extPassword is the PBX's user list: every extension of the world (the
// configured one, or the one an agent checked in at) with its ext_pwd.
func (s *world) extPassword(ext string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.agents {
		if a.checkedIn && a.ext == ext && a.conf.ExtPwd != "" {
			return a.conf.ExtPwd, true
		}
	}
	for _, a := range s.agents {
		if a.conf.ExtID == ext && a.conf.ExtPwd != "" {
			return a.conf.ExtPwd, true
		}
	}
	return "", false
}

// rtcReady: the agent's media side can take a call (RTC agents only).
func (s *world) rtcReady(a *agent) bool {
	return !a.isRTC() || (s.pbx != nil && s.pbx.Registered(a.ext))
}

// enqueue runs fn after the earlier operations on the same uuid, off the lock.
// s.mu held.
func (s *world) enqueue(uuid string, fn func(ctx context.Context)) {
	if s.closed || s.pbx == nil {
		return
	}
	x := s.serials[uuid]
	if x == nil {
		x = &serial{}
		s.serials[uuid] = x
	}
	x.mu.Lock()
	x.q = append(x.q, fn)
	if x.running {
		x.mu.Unlock()
		return
	}
	x.running = true
	x.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			s.mu.Lock()
			x.mu.Lock()
			if len(x.q) == 0 {
				x.running = false
				if s.serials[uuid] == x {
					delete(s.serials, uuid)
				}
				x.mu.Unlock()
				s.mu.Unlock()
				return
			}
			fn := x.q[0]
			x.q = x.q[1:]
			x.mu.Unlock()
			s.mu.Unlock()
			ctx, cancel := context.WithTimeout(s.rtcCtx, rtcOpTimeout)
			fn(ctx)
			cancel()
		}
	}()
}

func legKey(uuid, ext string) string { return uuid + "|" + ext }

// rtcInvite places the agent's media leg: an INVITE to its extension with
// X-CC-UUID uuid. auto adds the auto-answer hint. s.mu held.
func (s *world) rtcInvite(a *agent, uuid string, opts pbx.InviteOptions, onAnswer func(), onFail func(string)) *mediaLeg {
	opts.Plain = s.cfg.plainInvites()
	s.rtcDrop(a)
	leg := &mediaLeg{uuid: uuid, ext: a.ext, agent: a, auto: opts.AutoAnswer, state: "inviting", onAnswer: onAnswer, onFail: onFail}
	a.rtc = leg
	s.rtcLegs[legKey(uuid, leg.ext)] = leg
	s.notifyLocked()
	s.enqueue(uuid, func(ctx context.Context) {
		err := s.pbx.Invite(ctx, leg.ext, uuid, opts)
		if err == nil {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		key := "rtc_failed"
		if errors.Is(err, pbx.ErrNotRegistered) {
			key = "rtc_not_registered"
		}
		s.rtcEnded(leg, key)
	})
	if opts.AutoAnswer {
		s.afterLocked(s.rtcRingTimeout(), func() {
			if leg.state == "inviting" && !leg.dropped {
				s.rtcDrop(a)
				if leg.onFail != nil {
					leg.onFail("rtc_no_answer")
				}
			}
		})
	}
	return leg
}

// rtcDrop hangs up the agent's media leg (BYE, or CANCEL while it rings):
// the agent's part in a call is over. s.mu held.
func (s *world) rtcDrop(a *agent) {
	leg := a.rtc
	if leg == nil {
		return
	}
	a.rtc = nil
	leg.dropped = true
	s.failPending(leg)
	s.notifyLocked()
	if leg.state == "ended" {
		return
	}
	s.enqueue(leg.uuid, func(ctx context.Context) {
		_ = s.pbx.Hangup(ctx, leg.uuid)
		s.mu.Lock()
		if leg.state != "ended" {
			leg.state = "ended"
			if s.rtcLegs[legKey(leg.uuid, leg.ext)] == leg {
				delete(s.rtcLegs, legKey(leg.uuid, leg.ext))
			}
		}
		s.mu.Unlock()
	})
}

func (s *world) failPending(leg *mediaLeg) {
	for _, p := range leg.pending {
		p.fail()
	}
	leg.pending = nil
}

// rtcOp runs a PBX operation on the agent's answered media leg, after the
// CTI reply. s.mu held.
func (s *world) rtcOp(a *agent, what string, op func(ctx context.Context, uuid string) error) {
	leg := a.rtc
	if leg == nil || leg.state != "answered" {
		return
	}
	s.enqueue(leg.uuid, func(ctx context.Context) {
		if err := op(ctx, leg.uuid); err != nil && s.logger != nil {
			s.logger.Warn("rtc "+what+" failed", "uuid", leg.uuid, "err", err)
		}
	})
}

// rtcEvent follows the PBX.
func (s *world) rtcEvent(e pbx.Event) {
	switch e.Type {
	case pbx.EvAnswered, pbx.EvHungup:
	default:
		s.mu.Lock()
		s.notifyLocked() // registrations and media show in agent snapshots
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	leg := s.rtcLegs[legKey(e.UUID, e.Ext)]
	if leg == nil {
		return
	}
	switch e.Type {
	case pbx.EvAnswered:
		if leg.state != "inviting" {
			return
		}
		leg.state = "answered"
		s.notifyLocked()
		if leg.dropped {
			return
		}
		// CTI answers that waited for the media leg are answered now,
		// before the events the answer causes.
		for _, p := range leg.pending {
			p.ok()
		}
		leg.pending = nil
		if fn := leg.onAnswer; fn != nil {
			leg.onAnswer = nil
			fn()
		}
	case pbx.EvHungup:
		key := "rtc_failed"
		switch {
		case e.By == "agent" && e.Code >= 300:
			key = "rtc_refused"
		case e.By == "agent":
			key = "agent_hangup"
		}
		s.rtcEnded(leg, key)
	}
}

// rtcEnded: the leg is over, not by the platform's doing. Before the
// answer it is a failure (refused, transport lost); after it, the agent
// hung up. s.mu held.
func (s *world) rtcEnded(leg *mediaLeg, key string) {
	if leg.state == "ended" {
		return
	}
	answered := leg.state == "answered"
	leg.state = "ended"
	if s.rtcLegs[legKey(leg.uuid, leg.ext)] == leg {
		delete(s.rtcLegs, legKey(leg.uuid, leg.ext))
	}
	s.notifyLocked()
	if leg.dropped {
		return
	}
	a := leg.agent
	if a.rtc == leg {
		a.rtc = nil
	}
	s.failPending(leg)
	if !answered {
		if leg.onFail != nil {
			leg.onFail(key)
		}
		return
	}
	// The agent hung up on its media leg: the same as a CTI hangup.
	s.dialect.mediaHungUp(leg)
}
