package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// RTC mode (login_type "1"): the platform's media side. ccsim mounts the
// simulated PBX (internal/pbx) at /sip; the CTI flows drive it. Each agent
// taking part in a call has at most one media leg (agent.rtc), placed by the
// PBX with X-CC-UUID = the uuid the agent knows the call by.

// rtcLeg is an RTC agent's media leg in a call. Guarded by Server.mu.
type rtcLeg struct {
	uuid  string
	ext   string
	agent *agent
	auto  bool   // auto-answer INVITE (the agent's own leg of a call it starts)
	state string // "inviting", "answered", "ended"
	// dropped: the platform hung the leg up itself; its end is no news.
	dropped bool
	// onAnswer runs (under Server.mu) when the agent answers the INVITE;
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

// serial runs one call's PBX operations in order, off Server.mu.
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

func (s *Server) rtcRingTimeout() time.Duration {
	if ms := s.cfg.Timings.RTCRingMS; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return defaultRTCRing
}

func (s *Server) rtcAnswerWait() time.Duration {
	if ms := s.cfg.Timings.RTCAnswerWaitMS; ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return defaultRTCAnswer
}

// startPBX creates the PBX, mounts it at /sip and follows its events.
func (s *Server) startPBX() {
	logger := s.logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dom := s.cfg.SIPDomain
	if dom == "" {
		dom = "cloudcc.local"
	}
	cfg := pbx.Config{Domain: dom, Password: s.extPassword, Logger: logger, ToneHz: rtcToneHz}
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
func (s *Server) extPassword(ext string) (string, bool) {
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

func (a *agent) isRTC() bool { return a.conf.LoginType == "1" }

// rtcReady: the agent's media side can take a call (RTC agents only).
func (s *Server) rtcReady(a *agent) bool {
	return !a.isRTC() || (s.pbx != nil && s.pbx.Registered(a.ext))
}

// enqueue runs fn after the earlier operations on the same uuid, off the lock.
// s.mu held.
func (s *Server) enqueue(uuid string, fn func(ctx context.Context)) {
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
func (s *Server) rtcInvite(a *agent, uuid string, opts pbx.InviteOptions, onAnswer func(), onFail func(string)) *rtcLeg {
	opts.Plain = s.cfg.plainInvites()
	s.rtcDrop(a)
	leg := &rtcLeg{uuid: uuid, ext: a.ext, agent: a, auto: opts.AutoAnswer, state: "inviting", onAnswer: onAnswer, onFail: onFail}
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
func (s *Server) rtcDrop(a *agent) {
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

func (s *Server) failPending(leg *rtcLeg) {
	for _, p := range leg.pending {
		p.fail()
	}
	leg.pending = nil
}

// rtcOp runs a PBX operation on the agent's answered media leg, after the
// CTI reply. s.mu held.
func (s *Server) rtcOp(a *agent, what string, op func(ctx context.Context, uuid string) error) {
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
func (s *Server) rtcEvent(e pbx.Event) {
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
func (s *Server) rtcEnded(leg *rtcLeg, key string) {
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
	if s.platform() {
		if l := s.plat.legs[leg.uuid]; l != nil && l.agent == a {
			s.pEnd(l)
		}
		return
	}
	cl := a.call
	switch {
	case cl == nil:
	case a.leg != nil:
		s.leaveLeg(cl, a.leg, "agent_hangup")
	case cl.owner == a:
		s.endCall(cl, "agent_hangup", true)
	}
}

// ---- the SIP frame log ----

var sipLogHeaders = map[string]bool{"from": true, "to": true, "call-id": true, "cseq": true, "x-cc-uuid": true,
	"call-info": true, "expires": true, "contact": true, "reason": true, "x-cc-pixels": true}

// logSIP logs one SIP message: its first line, key headers, the SDP's media
// directions; Authorization and challenges redacted.
func (s *Server) logSIP(dir, remote string, msg []byte) {
	text := string(msg)
	head, body, _ := strings.Cut(text, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var sb strings.Builder
	sb.WriteString(lines[0])
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n := strings.ToLower(strings.TrimSpace(name))
		switch {
		case n == "authorization" || n == "proxy-authorization" || n == "www-authenticate" || n == "proxy-authenticate":
			sb.WriteString(" | " + strings.TrimSpace(name) + ": ***")
		case sipLogHeaders[n]:
			sb.WriteString(" | " + strings.TrimSpace(l))
		}
	}
	if sdp := sdpSummary(body); sdp != "" {
		sb.WriteString(" | sdp: " + sdp)
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s sip-%-3s %s %s\n", time.Now().Format("15:04:05.000"), dir, remote, sb.String())
}

// sdpSummary is "audio sendrecv, video inactive" for an SDP body.
func sdpSummary(body string) string {
	var parts []string
	media, dir := "", ""
	flush := func() {
		if media != "" {
			if dir == "" {
				dir = "sendrecv"
			}
			parts = append(parts, media+" "+dir)
		}
	}
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "m="):
			flush()
			media, dir = strings.Fields(l[2:] + " ")[0], ""
			if f := strings.Fields(l[2:]); len(f) > 1 && f[1] == "0" {
				dir = "rejected"
			}
		case l == "a=sendrecv" || l == "a=sendonly" || l == "a=recvonly" || l == "a=inactive":
			if dir != "rejected" {
				dir = l[2:]
			}
		}
	}
	flush()
	return strings.Join(parts, ", ")
}

// ---- admin: what the PBX saw ----

// RTCRegistration is a live SIP binding (GET /admin/rtc/registrations).
type RTCRegistration struct {
	Ext       string            `json:"ext"`
	AgentID   string            `json:"agent_id,omitempty"` // the checked-in agent at that extension
	Contact   string            `json:"contact"`
	Expires   time.Time         `json:"expires"`
	Headers   map[string]string `json:"headers,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Remote    string            `json:"remote"`
}

// RTCRegistrations lists the PBX's live bindings, sorted by extension.
func (s *Server) RTCRegistrations() []RTCRegistration {
	out := []RTCRegistration{}
	if s.pbx == nil {
		return out
	}
	for _, r := range s.pbx.Registrations() {
		out = append(out, RTCRegistration{Ext: r.Ext, Contact: r.Contact, Expires: r.Expires, Headers: r.Headers,
			UserAgent: r.UserAgent, Remote: r.Remote})
	}
	s.mu.Lock()
	for i := range out {
		for _, a := range s.agents {
			if a.checkedIn && a.ext == out[i].Ext {
				out[i].AgentID = a.conf.AgentID
			}
		}
	}
	s.mu.Unlock()
	sortBy(out, func(r RTCRegistration) string { return r.Ext })
	return out
}

// RTCStream is one direction of one media kind.
type RTCStream struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// LastMSAgo is how long ago the last packet went (-1: none yet).
	LastMSAgo int64 `json:"last_ms_ago"`
}

// RTCDigit is one DTMF digit the PBX detected.
type RTCDigit struct {
	Digit string    `json:"digit"`
	Mode  string    `json:"mode"` // rfc4733, info, inband
	At    time.Time `json:"at"`
}

// RTCCall is what the PBX saw of a media leg (GET /admin/rtc/calls/{uuid}).
type RTCCall struct {
	UUID       string `json:"uuid"`
	Ext        string `json:"ext"`
	Registered bool   `json:"registered"` // the extension has a live binding now
	State      string `json:"state"`      // calling, ringing, answered, ended
	Answered   bool   `json:"answered"`
	Held       bool   `json:"held"`       // the platform holds the call (CTI hold)
	AgentHeld  bool   `json:"agent_held"` // the agent's SDP holds it (sendonly/inactive)
	// Audio, Video: the agent's declared directions as the spec's ints
	// (0 inactive, 1 sendonly, 2 recvonly, 3 sendrecv; -1 no such m= line).
	Audio      int       `json:"audio"`
	Video      int       `json:"video"`
	AudioDir   string    `json:"audio_dir"`
	VideoDir   string    `json:"video_dir"`
	AudioCodec string    `json:"audio_codec,omitempty"`
	AudioRx    RTCStream `json:"audio_rx"` // from the agent
	AudioTx    RTCStream `json:"audio_tx"` // to the agent
	VideoRx    RTCStream `json:"video_rx"`
	VideoTx    RTCStream `json:"video_tx"`
	// Tone analyses the last 200 ms received from the agent.
	Tone struct {
		PeakHz    float64 `json:"peak_hz"`
		PeakRatio float64 `json:"peak_ratio"`
		RMSdBFS   float64 `json:"rms_dbfs"`
	} `json:"tone"`
	// ToneHz is the tone the PBX plays to the agent.
	ToneHz    float64    `json:"tone_hz"`
	Digits    string     `json:"digits"`
	DTMF      []RTCDigit `json:"dtmf"`
	SetupMS   float64    `json:"setup_ms"` // INVITE sent → first audio packet from the agent (0: none yet)
	EndBy     string     `json:"end_by,omitempty"`
	EndCode   int        `json:"end_code,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
}

func dirName(d pbx.Direction) string {
	switch d {
	case pbx.Inactive:
		return "inactive"
	case pbx.SendOnly:
		return "sendonly"
	case pbx.RecvOnly:
		return "recvonly"
	case pbx.SendRecv:
		return "sendrecv"
	}
	return "none"
}

func stream(st pbx.StreamStats, now time.Time) RTCStream {
	r := RTCStream{Packets: st.Packets, Bytes: st.Bytes, LastMSAgo: -1}
	if !st.Last.IsZero() {
		r.LastMSAgo = now.Sub(st.Last).Milliseconds()
	}
	return r
}

// RTCCall reports a media leg by the uuid it was placed with (the CTI
// call's, or the agent's leg's); ended legs stay readable.
func (s *Server) RTCCall(uuid string) (RTCCall, error) {
	if s.pbx == nil {
		return RTCCall{}, errors.New("no PBX")
	}
	sn, err := s.pbx.Snapshot(uuid)
	if err != nil {
		return RTCCall{}, err
	}
	now := time.Now()
	out := RTCCall{UUID: sn.UUID, Ext: sn.Ext, Registered: s.pbx.Registered(sn.Ext), State: sn.State,
		Answered: !sn.AnsweredAt.IsZero(), Held: sn.Held, AgentHeld: sn.AgentHeld,
		Audio: int(sn.Audio), Video: int(sn.Video), AudioDir: dirName(sn.Audio), VideoDir: dirName(sn.Video),
		AudioCodec: sn.AudioCodec, AudioRx: stream(sn.AudioRx, now), AudioTx: stream(sn.AudioTx, now),
		VideoRx: stream(sn.VideoRx, now), VideoTx: stream(sn.VideoTx, now), ToneHz: rtcToneHz,
		Digits: sn.Digits, DTMF: []RTCDigit{}, SetupMS: float64(sn.SetupTime.Microseconds()) / 1000,
		EndBy: sn.EndBy, EndCode: sn.EndCode, EndReason: sn.EndReason}
	out.Tone.PeakHz, out.Tone.PeakRatio, out.Tone.RMSdBFS = sn.Tone.PeakHz, sn.Tone.PeakRatio, sn.Tone.RMSdBFS
	for _, d := range sn.DTMF {
		out.DTMF = append(out.DTMF, RTCDigit{Digit: d.Digit, Mode: string(d.Mode), At: d.At})
	}
	return out, nil
}

// RTCCalls lists the media legs in progress.
func (s *Server) RTCCalls() []RTCCall {
	out := []RTCCall{}
	if s.pbx == nil {
		return out
	}
	for _, u := range s.pbx.Calls() {
		if c, err := s.RTCCall(u); err == nil {
			out = append(out, c)
		}
	}
	sortBy(out, func(c RTCCall) string { return c.UUID })
	return out
}

func sortBy[T any](xs []T, key func(T) string) {
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
