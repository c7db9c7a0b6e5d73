package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// SIP ↔ CTI correlation and the auto-answer policy of RTC mode.
//
// Nothing shows that the platform's INVITEs carry the CTI uuid (X-CC-UUID)
// or an auto-answer hint: its PBX is FreeSWITCH driven by an API service
// that is not public (docs/platform.md). So a SIP call of the
// agent's phone is tied to a CTI call by what the agent knows, in order:
//
//  1. X-CC-UUID, when the INVITE has it.
//  2. The agent's own leg: call, preview_out_call, play_record without
//     uuid, eavesdrop, whisper, substitute and force_call make the platform
//     ring the agent's own extension first. An INVITE that comes within
//     Config.RTCAutoAnswerWindow of such a request (before or after its
//     reply) is that leg: RTCAutoAnswer "requests" (the default) answers
//     it at once, and it gets the reply's uuid.
//  3. A callin: the agent's one ringing leg around it (its INVITE before
//     or after the callin, within the window) gets the callin's uuid and
//     rings until the app answers.
//  4. A request about a call (answer, mute, dtmf, the audio API) whose
//     uuid no SIP call has: answer takes the one ringing call without a
//     uuid; the others take the phone's only call, if it has no uuid.
//
// Auto-answer hints (Call-Info answer-after=0, Alert-Info auto-answer) are
// honoured under "requests" and "hints"; "off" makes every call ring.

// Auto-answer policies (Config.RTCAutoAnswer).
const (
	AutoAnswerRequests = "requests" // own legs of the agent's requests, and hints (default)
	AutoAnswerHints    = "hints"    // hints only
	AutoAnswerOff      = "off"      // nothing: every call rings
)

// Defaults of the RTC keys.
const (
	defaultAutoAnswerWindow = 15 * time.Second
	mediaFailureHangup      = "hangup"
	mediaFailureFlag        = "flag"
)

// How a call's uuid was learned (RTCCallEvent.UUIDFrom).
const (
	uuidFromHeader   = "x-cc-uuid"
	uuidFromRequest  = "request"
	uuidFromCallin   = "callin"
	uuidFromAnswer   = "answer"
	uuidFromOnlyCall = "only_call"
)

// checkRTCConfig rejects RTC fields with values the SDK does not know.
func checkRTCConfig(c Config) error {
	switch c.RTCAutoAnswer {
	case "", AutoAnswerRequests, AutoAnswerHints, AutoAnswerOff:
	default:
		return &ConfigError{Field: "RTCAutoAnswer", Value: c.RTCAutoAnswer, Want: "requests, hints or off"}
	}
	switch c.RTCMediaFailure {
	case "", mediaFailureHangup, mediaFailureFlag:
	default:
		return &ConfigError{Field: "RTCMediaFailure", Value: c.RTCMediaFailure, Want: "hangup or flag"}
	}
	if c.RTCAutoAnswerWindow < 0 {
		return &ConfigError{Field: "RTCAutoAnswerWindow", Value: c.RTCAutoAnswerWindow, Want: "zero or more"}
	}
	if c.RTCMaxMessageBytes < 0 || (c.RTCMaxMessageBytes > 0 && c.RTCMaxMessageBytes < 1024) {
		return &ConfigError{Field: "RTCMaxMessageBytes", Value: c.RTCMaxMessageBytes, Want: "at least 1024"}
	}
	for i, srv := range c.ICEServers {
		if err := rtc.ICEServer(srv).Check(); err != nil {
			return &ConfigError{Field: "ICEServers", Value: i, Err: err}
		}
	}
	// Checked now, against an address of every part, rather than at the
	// first check-in: the scheme alone, then with the template.
	const probe = "rtc.invalid:5060/p"
	if c.RTCScheme != "" {
		if _, err := resolveRTCAddress(probe, c.WSURL, c.RTCScheme, ""); err != nil {
			return &ConfigError{Field: "RTCScheme", Value: c.RTCScheme, Err: err}
		}
	}
	if c.RTCURLTemplate != "" {
		if _, err := resolveRTCAddress(probe, c.WSURL, c.RTCScheme, c.RTCURLTemplate); err != nil {
			return &ConfigError{Field: "RTCURLTemplate", Value: c.RTCURLTemplate, Err: err}
		}
	}
	return nil
}

// rtcLimits fills the phone's limits and policies from the agent's keys.
func (a *Agent) rtcLimits(pcfg *rtc.Config) {
	c := a.cfg
	pcfg.MaxCalls = c.RTCMaxCalls // 0: rtc's default; < 0: no limit
	pcfg.RingTimeout = orNever(c.RTCRingTimeout)
	pcfg.MaxMessageSize = c.RTCMaxMessageBytes
	if c.RTCMediaFailure == mediaFailureFlag {
		pcfg.OnMediaFailure = rtc.MediaFailureFlag
	}
	pcfg.IgnoreAutoAnswer = c.RTCAutoAnswer == AutoAnswerOff
}

// orNever passes a limit on: zero the default, negative never (-1).
func orNever(d time.Duration) time.Duration { return max(d, -1) }

// ownLeg is a request of the agent's that makes the platform ring the
// agent's own extension.
type ownLeg struct {
	kind    protocol.MsgType
	sent    time.Time
	uuid    string    // the reply's, once it came
	call    *rtc.Call // the INVITE that took it
	replied bool
}

type pendingCallin struct {
	uuid string
	at   time.Time
}

// corrInfo is what the correlator knows of one SIP call.
type corrInfo struct {
	from     string // how its uuid was learned (uuidFrom*)
	auto     bool   // the SDK answered it by itself (hint or policy)
	seen     bool   // its first event was handled
	reported string // the uuid its last rtc_call event carried
}

// correlator ties one phone's calls to CTI calls. Safe for concurrent use.
type correlator struct {
	policy string
	window time.Duration

	mu      sync.Mutex
	legs    []*ownLeg
	callins []pendingCallin
	info    map[*rtc.Call]*corrInfo
}

func newCorrelator(policy string, window time.Duration) *correlator {
	if policy == "" {
		policy = AutoAnswerRequests
	}
	if window <= 0 {
		window = defaultAutoAnswerWindow
	}
	return &correlator{policy: policy, window: window, info: map[*rtc.Call]*corrInfo{}}
}

// ownLegKind reports whether req makes the platform ring the agent's own
// leg (docs/platform.md: call and preview_out_call originate the agent's
// leg first; play_record without uuid calls the agent; the supervisor
// requests originate the supervisor's leg to its extension).
func ownLegKind(req protocol.Request) bool {
	switch r := req.(type) {
	case *protocol.PlayRecordRequest:
		return r.UUID == ""
	}
	switch req.Type() {
	case protocol.MsgCall, protocol.MsgPreviewOutCall, protocol.MsgEavesdrop, protocol.MsgWhisper,
		protocol.MsgSubstitute, protocol.MsgForceCall:
		return true
	}
	return false
}

func (k *correlator) infoLocked(c *rtc.Call) *corrInfo {
	ci := k.info[c]
	if ci == nil {
		ci = &corrInfo{}
		k.info[c] = ci
	}
	return ci
}

func (k *correlator) pruneLocked(now time.Time) {
	legs := k.legs[:0]
	for _, l := range k.legs {
		// Kept while it may still take an INVITE or bind the one it took.
		if (l.call == nil && now.Sub(l.sent) <= k.window) || (l.call != nil && !l.replied && now.Sub(l.sent) <= k.window) {
			legs = append(legs, l)
		}
	}
	k.legs = legs
	cis := k.callins[:0]
	for _, p := range k.callins {
		if now.Sub(p.at) <= k.window {
			cis = append(cis, p)
		}
	}
	k.callins = cis
	for c := range k.info {
		if c.State() == rtc.CallEnded {
			delete(k.info, c)
		}
	}
}

// expect notes a request whose own leg may ring from now on.
func (k *correlator) expect(kind protocol.MsgType) *ownLeg {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	k.pruneLocked(now)
	l := &ownLeg{kind: kind, sent: now}
	k.legs = append(k.legs, l)
	return l
}

// replied records the reply of an own-leg request: ok with its uuid, or a
// refusal (the leg will not come). It returns the call that took the leg
// and still needs the uuid.
func (k *correlator) replied(l *ownLeg, uuid string, ok bool) *rtc.Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	l.replied = true
	if !ok {
		for i, x := range k.legs {
			if x == l {
				k.legs = append(k.legs[:i], k.legs[i+1:]...)
				break
			}
		}
		return nil
	}
	l.uuid = uuid
	if l.call != nil && l.call.UUID() == "" && uuid != "" {
		k.infoLocked(l.call).from = uuidFromRequest
		return l.call
	}
	return nil
}

// incoming decides for an incoming call at its first event: whether the
// SDK answers it (auto) and the uuid to bind (with how it was learned).
func (k *correlator) incoming(c *rtc.Call) (auto bool, bind, from string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ci := k.infoLocked(c)
	if ci.seen {
		return false, "", ""
	}
	ci.seen = true
	now := time.Now()
	k.pruneLocked(now)
	if c.HeaderUUID() != "" {
		ci.from = uuidFromHeader
	}
	hinted := c.AutoAnswer() // rtc answers it already
	ci.auto = hinted
	for _, l := range k.legs {
		if l.call != nil || now.Sub(l.sent) > k.window {
			continue
		}
		// The agent's own leg (even when a hint answered it already: the
		// request is used up either way).
		l.call = c
		if k.policy == AutoAnswerRequests && !hinted {
			ci.auto, auto = true, true
		}
		if c.UUID() == "" && l.uuid != "" {
			ci.from = uuidFromRequest
			bind, from = l.uuid, uuidFromRequest
		}
		return auto, bind, from
	}
	if c.UUID() == "" && len(k.callins) > 0 {
		p := k.callins[0]
		k.callins = k.callins[1:]
		ci.from = uuidFromCallin
		return false, p.uuid, uuidFromCallin
	}
	return false, "", ""
}

// callin matches a callin to the oldest ringing call without a uuid, or
// keeps it for an INVITE to come. It returns the call to bind.
func (k *correlator) callin(uuid string, calls []*rtc.Call) *rtc.Call {
	if uuid == "" {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	k.pruneLocked(now)
	var best *rtc.Call
	for _, c := range calls {
		u := c.UUID()
		if u == uuid {
			return nil // known already (X-CC-UUID)
		}
		ci := k.info[c]
		if u != "" || !c.Incoming() || c.State() != rtc.CallRinging || (ci != nil && ci.auto) {
			continue
		}
		if now.Sub(c.Timings().Created) > k.window {
			continue
		}
		if best == nil || c.Timings().Created.Before(best.Timings().Created) {
			best = c
		}
	}
	if best != nil {
		k.infoLocked(best).from = uuidFromCallin
		return best
	}
	for _, p := range k.callins {
		if p.uuid == uuid {
			return nil
		}
	}
	k.callins = append(k.callins, pendingCallin{uuid: uuid, at: now})
	return nil
}

// adopt picks the call a request with an unknown uuid is about: for
// answer the one ringing call without a uuid, for the others the phone's
// only call if it has no uuid.
func (k *correlator) adopt(calls []*rtc.Call, forAnswer bool) *rtc.Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	var pick *rtc.Call
	n, live := 0, 0
	for _, c := range calls {
		st := c.State()
		if st == rtc.CallEnded {
			continue
		}
		live++
		if c.UUID() != "" {
			continue
		}
		if forAnswer && (!c.Incoming() || st != rtc.CallRinging) {
			continue
		}
		pick = c
		n++
	}
	if n != 1 || (!forAnswer && live != 1) {
		return nil
	}
	from := uuidFromOnlyCall
	if forAnswer {
		from = uuidFromAnswer
	}
	k.infoLocked(pick).from = from
	return pick
}

// describe returns what the rtc_call event of c carries beyond rtc's
// facts, and notes the uuid it reports.
func (k *correlator) describe(c *rtc.Call) (auto bool, from string, newUUID bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ci := k.infoLocked(c)
	if ci.from == "" && c.HeaderUUID() != "" {
		ci.from = uuidFromHeader
	}
	u := c.UUID()
	newUUID = u != ci.reported
	ci.reported = u
	return ci.auto || c.AutoAnswer(), ci.from, newUUID
}

// ---- the agent's side ----

// onCallEventCorrelate runs before an incoming call's first rtc_call
// event: the uuid is bound (so the event carries it) and the SDK answers
// the agent's own leg.
func (a *Agent) onCallEventCorrelate(in *phoneInst, e rtc.Event) {
	c := e.Call
	if !c.Incoming() || e.CallState == rtc.CallEnded {
		return
	}
	auto, bind, from := in.corr.incoming(c)
	if bind != "" && c.BindUUID(bind) {
		a.log.Info("rtc: call tied to its CTI uuid", "call_id", c.ID(), "uuid", bind, "from", from)
	}
	if !auto || e.CallState != rtc.CallRinging {
		return
	}
	a.log.Info("rtc: answering the agent's own leg", "call_id", c.ID(), "uuid", c.UUID())
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer contain.Recover(a.log, "agent: own-leg auto-answer", func(error) {
			// The leg's state is unknown: hang it up rather than leave it ringing.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.Hangup(ctx)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := c.Answer(ctx, rtc.AnswerOptions{}); err != nil && !errors.Is(err, rtc.ErrCallEnded) && !errors.Is(err, rtc.ErrBusy) {
			a.log.Warn("rtc: auto-answer failed", "call_id", c.ID(), "err", err)
		}
	}()
}

// expectOwnLeg notes an own-leg request about to be sent (nil when not
// in RTC mode or not such a request).
func (a *Agent) expectOwnLeg(req protocol.Request) (*phoneInst, *ownLeg) {
	if !ownLegKind(req) {
		return nil, nil
	}
	in := a.cur()
	if in == nil {
		return nil, nil
	}
	return in, in.corr.expect(req.Type())
}

// ownLegReplied binds the leg that rang before the reply, or forgets the
// request when the platform refused it.
func (a *Agent) ownLegReplied(in *phoneInst, l *ownLeg, rep protocol.Reply, err error) {
	if in == nil || l == nil {
		return
	}
	var se *protocol.ServerError
	refused := errors.As(err, &se) || (err == nil && rep != nil && !rep.Header().OK())
	if err != nil && !refused && !errors.Is(err, session.ErrTimeout) {
		refused = true // never left (not connected, closed, bad input)
	}
	if err != nil && !refused {
		return // no reply: the leg may still come, with no uuid to give it
	}
	uuid := ""
	if rep != nil {
		uuid = replyUUID(rep)
	}
	if c := in.corr.replied(l, uuid, !refused); c != nil && c.BindUUID(uuid) {
		a.log.Info("rtc: call tied to its CTI uuid", "call_id", c.ID(), "uuid", uuid, "from", uuidFromRequest)
	}
}

// replyUUID reads the uuid of a reply (typed field or raw JSON).
func replyUUID(rep protocol.Reply) string {
	switch r := rep.(type) {
	case *protocol.CallReply:
		if r.UUID != "" {
			return r.UUID
		}
	case *protocol.PlayRecordReply:
		if r.UUID != "" {
			return r.UUID
		}
	}
	var v struct {
		UUID string `json:"uuid"`
	}
	if raw := rep.Header().Raw(); len(raw) > 0 && json.Unmarshal(raw, &v) == nil {
		return strings.TrimSpace(v.UUID)
	}
	return ""
}

// onCallin ties a callin to the agent's ringing leg (or keeps it for the
// INVITE to come).
func (a *Agent) onCallin(e *protocol.CallinEvent) {
	in := a.cur()
	if in == nil {
		return
	}
	if c := in.corr.callin(e.UUID, in.ph.Calls()); c != nil && c.BindUUID(e.UUID) {
		a.log.Info("rtc: call tied to its CTI uuid", "call_id", c.ID(), "uuid", e.UUID, "from", uuidFromCallin)
	}
}

// adoptCall ties the call a request with an unknown uuid is about (see
// correlator.adopt) and returns it, or nil.
func (in *phoneInst) adoptCall(uuid string, forAnswer bool) *rtc.Call {
	if uuid == "" {
		return nil
	}
	c := in.corr.adopt(in.ph.Calls(), forAnswer)
	if c == nil || !c.BindUUID(uuid) {
		return nil
	}
	return c
}
