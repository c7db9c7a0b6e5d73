package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/google/uuid"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// RTC mode (login_type "1"): the agent is a softphone engine.
//
// A successful check-in through Agent.Do whose reply says login_type "1"
// with an rtc_address makes an rtc.Phone (User ext_id, Password ext_pwd,
// X-CC-Company: company code on every REGISTER) and starts it in the
// background: check-in does not wait for SIP; the outcome arrives as
// rtc_registration events. checkout, an agent_change to OFFLINE (forced
// checkout, CHECKOUT_AFTER_CALL_STOP taking effect) and a restore the
// platform refuses un-register and close the phone; Close closes it too. A
// restored session keeps the phone (it reconnects by itself) unless the
// restored reply names another rtc_address or extension.
//
// Requests in RTC mode (protocol decisions of the SDK):
//   - answer: the SIP call with the request's uuid (X-CC-UUID) is answered
//     first (200 OK, media up), waiting a bounded time for its INVITE, which
//     may come just after callin; then the CTI answer is sent and its reply
//     returned.
//   - mute: done by the client (spec 客户端实现): the call's media sends
//     silence; answered locally in the reply shape of the spec.
//   - dtmf: the digits go on the agent's own call leg in the request's
//     dtmf_type (3 RFC 4733, the default; 0 SIP INFO; 1 inband), and the
//     request is answered locally like mute. It is NOT also sent to the CTI
//     server, which would make the platform send the digits a second time.
//     With no RTC call of that uuid (or no call at all for an empty uuid)
//     the request goes to the CTI server as in softphone mode.
//   - everything else (hold, change_media, hangup, trans...) goes to the
//     CTI server; the platform's re-INVITEs and BYEs then drive the phone.

// Errors of the audio API.
var (
	// ErrNoRTC: the agent is not in RTC mode (no phone: not checked in with
	// login_type "1", or rtc disabled by configuration).
	ErrNoRTC = errors.New("cloudcc: the agent is not in RTC mode (login_type 1)")
	// ErrNoCall: the phone has no such call (or no call at all for uuid "").
	ErrNoCall = errors.New("cloudcc: no such call on the agent's phone")
	// ErrNotAnswered: the call has no media yet (it is still ringing). It
	// matches ErrNoCall too (errors.Is).
	ErrNotAnswered = fmt.Errorf("%w: the call is not answered yet", ErrNoCall)
)

// phoneKey is what a phone is made of: a restore that answers the same keeps
// the phone. addr is the check-in's rtc_address as sent, url the URL dialled.
type phoneKey struct{ addr, url, user, pwd, domain string }

// phoneInst is one phone and what lives with it.
type phoneInst struct {
	ph   *rtc.Phone
	eng  *rtc.MediaEngine
	key  phoneKey
	stop chan struct{} // closed when the phone is detached
	done chan struct{} // closed once the phone is closed
	corr *correlator   // SIP ↔ CTI correlation (correlate.go)

	lastView *rtc.Connectivity // the phone's last view, under Agent.connMu
}

// callAudio is the agent's per-call audio state.
type callAudio struct {
	push       *media.PCMPushSource
	pushRate   int
	rec        *media.WAVRecorder
	recRemove  func()
	sinkRemove func()
}

func (a *Agent) rtcEnabled() bool { return a.cfg.RTC == nil || *a.cfg.RTC }

// phoneNow returns the current phone instance (nil when not in RTC mode).
func (a *Agent) cur() *phoneInst {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	return a.inst
}

// Phone returns the agent's SIP phone (nil when not in RTC mode).
func (a *Agent) Phone() *rtc.Phone {
	if in := a.cur(); in != nil {
		return in.ph
	}
	return nil
}

// onCheckin makes, keeps or drops the phone after a successful check-in
// (or restore) reply.
func (a *Agent) onCheckin(rep *protocol.CheckinReply) {
	if rep == nil {
		return
	}
	if rep.LoginType != protocol.LoginRTC || rep.RTCAddress == "" || !a.rtcEnabled() {
		a.stopPhone("not in RTC mode")
		return
	}
	ext := rep.ExtID
	if ext == "" {
		ext = a.sess.ExtID() // the extension the check-in asked for
	}
	target, err := resolveRTCAddress(rep.RTCAddress, a.cfg.WSURL, a.cfg.RTCScheme, a.cfg.RTCURLTemplate)
	if err != nil {
		a.stopPhone("unusable rtc_address")
		a.log.Warn("rtc: cannot use the check-in's rtc_address", "err", err)
		a.sess.Emit(&RTCRegistrationEvent{MsgType: MsgRTCRegistration, State: "failed", Reason: err.Error(), RTCAddress: rep.RTCAddress})
		return
	}
	domain := a.cfg.RTCDomain
	if domain == "" {
		domain = target.host
	}
	key := phoneKey{addr: rep.RTCAddress, url: target.url, user: ext, pwd: rep.ExtPwd.Reveal(), domain: domain}
	a.rmu.Lock()
	if a.closed {
		a.rmu.Unlock()
		return
	}
	if a.inst != nil && a.inst.key == key {
		a.rmu.Unlock()
		return
	}
	old := a.detachLocked()
	in, err := a.newPhone(key)
	if err != nil {
		a.rmu.Unlock()
		a.closeInst(old)
		a.log.Warn("rtc: cannot create the phone", "err", err)
		a.sess.Emit(&RTCRegistrationEvent{MsgType: MsgRTCRegistration, State: "failed", Reason: err.Error(),
			RTCAddress: rep.RTCAddress, URL: target.url})
		return
	}
	a.log.Info("rtc: registering the extension", "url", target.url, "rtc_address", rep.RTCAddress, "domain", domain)
	a.inst = in
	prevDone := a.lastDone
	a.lastDone = in.done
	a.wg.Add(1)
	a.rmu.Unlock()
	a.closeInst(old)
	go func() {
		defer a.wg.Done()
		if prevDone != nil {
			// One binding at a time: the previous phone un-registers first.
			select {
			case <-prevDone:
			case <-in.stop:
				return
			}
		}
		select {
		case <-in.stop:
			return
		default:
		}
		if err := in.ph.Start(); err != nil {
			a.log.Warn("rtc: start", "err", err)
			return
		}
		if iv := a.cfg.RTCStatsIntervalMS; iv > 0 {
			a.statsLoop(in, time.Duration(iv)*time.Millisecond)
		}
	}()
}

func (a *Agent) newPhone(key phoneKey) (*phoneInst, error) {
	u, err := url.Parse(key.url)
	if err != nil {
		return nil, fmt.Errorf("rtc url %q: %v", key.url, err)
	}
	loop := a.cfg.RTCIncludeLoopback || isLoopbackHost(u.Hostname())
	mcfg := rtc.MediaEngineConfig{IncludeLoopback: loop, Logger: a.log, ConnectTimeout: msOrNever(a.cfg.RTCMediaTimeoutMS)}
	if isLoopbackHost(u.Hostname()) {
		mcfg.IPFilter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	for _, s := range a.cfg.ICEServers {
		mcfg.ICEServers = append(mcfg.ICEServers, rtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	eng, err := rtc.NewMediaEngine(mcfg)
	if err != nil {
		return nil, err
	}
	in := &phoneInst{eng: eng, key: key, stop: make(chan struct{}), done: make(chan struct{}),
		corr: newCorrelator(a.cfg.RTCAutoAnswer, ms(a.cfg.RTCAutoAnswerWindowMS))}
	pcfg := rtc.Config{
		URL:                key.url,
		Domain:             key.domain,
		User:               key.user,
		Password:           key.pwd,
		Headers:            map[string]string{"X-CC-Company": a.sess.Config().CompanyCode},
		CAFile:             a.cfg.TLSCAFile,
		CAPEM:              []byte(a.cfg.TLSCAPEM),
		InsecureSkipVerify: a.cfg.TLSInsecure,
		Media:              rtc.MediaFactoryFunc(func(o rtc.MediaOptions) (rtc.Media, error) { return a.newMedia(eng, o) }),
		OnEvent:            func(e rtc.Event) { a.onRTCEvent(in, e) },
		Logger:             a.log,
		DialTimeout:        ms(a.cfg.DialTimeoutMS),
	}
	pcfg.Reconnect.Min = ms(a.cfg.ReconnectMinMS)
	pcfg.Reconnect.Max = ms(a.cfg.ReconnectMaxMS)
	a.rtcLimits(&pcfg)
	if a.cfg.RTCKeepaliveMS > 0 {
		pcfg.Keepalive.Interval = ms(a.cfg.RTCKeepaliveMS)
	} else if a.cfg.RTCKeepaliveMS < 0 {
		pcfg.Keepalive.Mode = rtc.KeepaliveOff
	}
	ph, err := rtc.New(pcfg)
	if err != nil {
		_ = eng.Close()
		return nil, err
	}
	in.ph = ph
	return in, nil
}

// newMedia makes a call's media with the configured default source.
func (a *Agent) newMedia(eng *rtc.MediaEngine, o rtc.MediaOptions) (rtc.Media, error) {
	m, err := eng.NewMedia(o)
	if err != nil {
		return nil, err
	}
	if mc, ok := m.(*rtc.MediaCall); ok {
		src, err := a.defaultSource()
		if err != nil {
			a.log.Warn("rtc: default source", "err", err)
		} else if src != nil {
			mc.SetAudioSource(src)
		}
	}
	return m, nil
}

// defaultSource builds a new source from rtc_default_source (nil: silence).
func (a *Agent) defaultSource() (media.AudioSource, error) {
	s := strings.TrimSpace(a.cfg.RTCDefaultSource)
	switch {
	case s == "" || s == "silence":
		return nil, nil
	case strings.HasPrefix(s, "tone:"):
		hz, err := strconv.ParseFloat(strings.TrimPrefix(s, "tone:"), 64)
		if err != nil || hz <= 0 || hz >= 4000 {
			return nil, fmt.Errorf("%w: rtc_default_source %q (tone:HZ, 0 < HZ < 4000)", session.ErrInvalidArgument, s)
		}
		return media.ToneSource(hz, toneAmplitude), nil
	case strings.HasPrefix(s, "wav:"):
		src, err := media.OpenWAVSource(strings.TrimPrefix(s, "wav:"), true)
		if err != nil {
			return nil, fmt.Errorf("%w: rtc_default_source: %v", session.ErrInvalidArgument, err)
		}
		return src, nil
	}
	return nil, fmt.Errorf("%w: rtc_default_source %q (want silence, tone:HZ or wav:PATH)", session.ErrInvalidArgument, s)
}

// toneAmplitude is the level of PlayTone and tone: sources (about -12 dBFS).
const toneAmplitude = 8000

// detachLocked takes the phone out of service; closeInst then closes it.
// a.rmu held.
func (a *Agent) detachLocked() *phoneInst {
	in := a.inst
	a.inst = nil
	a.lastConn = ""
	if in != nil {
		close(in.stop)
	}
	return in
}

// stopPhone un-registers and closes the phone, in the background.
func (a *Agent) stopPhone(reason string) {
	a.rmu.Lock()
	in := a.detachLocked()
	a.rmu.Unlock()
	if in != nil {
		a.log.Info("rtc: closing the phone", "reason", reason)
	}
	a.closeInst(in)
}

func (a *Agent) closeInst(in *phoneInst) {
	if in == nil {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(in.done)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = in.ph.CloseContext(ctx)
		_ = in.eng.Close()
		a.rmu.Lock()
		var ends []*callAudio
		for c, st := range a.calls {
			if c.State() == rtc.CallEnded {
				ends = append(ends, st)
				delete(a.calls, c)
			}
		}
		a.rmu.Unlock()
		for _, st := range ends {
			st.finish()
		}
	}()
}

// ---- events ----

func (a *Agent) onRTCEvent(in *phoneInst, e rtc.Event) {
	switch e.Type {
	case rtc.EventRegistration:
		if e.Registration == rtc.RegNone {
			return
		}
		ev := &RTCRegistrationEvent{MsgType: MsgRTCRegistration, State: e.Registration.String(), Reason: e.Reason,
			Code: e.Code, AOR: in.ph.AOR(), RTCAddress: in.key.addr, URL: in.key.url}
		if e.Registration == rtc.RegRegistered {
			ev.ExpiresS = int(e.Expires / time.Second)
		}
		a.sess.Emit(ev)
	case rtc.EventCall, rtc.EventUUID:
		c := e.Call
		if e.Type == rtc.EventCall {
			a.onCallEventCorrelate(in, e)
		}
		auto, from, newUUID := in.corr.describe(c)
		if e.Type == rtc.EventUUID && !newUUID {
			return // the call's last rtc_call event carried this uuid already
		}
		if e.CallState == rtc.CallEnded {
			a.rmu.Lock()
			st := a.calls[c]
			delete(a.calls, c)
			a.rmu.Unlock()
			if st != nil {
				st.finish()
			}
		}
		dir := callDirection(c)
		reason := e.Reason
		if e.Type == rtc.EventUUID {
			reason = "uuid from " + from
		}
		a.sess.Emit(&RTCCallEvent{MsgType: MsgRTCCall, UUID: c.UUID(), UUIDFrom: from, CallID: c.ID(), Direction: dir,
			State: e.CallState.String(), AutoAnswer: auto, LocalHold: e.LocalHold, RemoteHold: e.RemoteHold,
			Remote: c.Remote(), Code: e.Code, Reason: reason})
		a.signalCalls()
	case rtc.EventICE:
		if e.ICE == rtc.ICEFailed && e.Reason != "" {
			c := e.Call
			st := c.State()
			a.sess.Emit(&RTCCallEvent{MsgType: MsgRTCCall, UUID: c.UUID(), CallID: c.ID(), Direction: callDirection(c),
				State: st.String(), Media: "failed", Reason: e.Reason})
		}
	case rtc.EventDTMF:
		a.sess.Emit(&RTCDTMFEvent{MsgType: MsgRTCDTMF, UUID: e.Call.UUID(), CallID: e.Call.ID(), Digit: e.Digit, Mode: e.DTMFMode.String()})
	case rtc.EventConnectivity:
		if a.cur() == in && e.Connectivity != nil {
			a.emitConnectivity(e.Connectivity)
		}
	case rtc.EventLink:
		a.log.Info("rtc: SIP link", "state", e.Link.String(), "reason", e.Reason, "attempt", e.Attempt)
	}
}

func callDirection(c *rtc.Call) string {
	if c.Incoming() {
		return "incoming"
	}
	return "outgoing"
}

// signalCalls wakes those waiting for a call to show up.
func (a *Agent) signalCalls() {
	a.rmu.Lock()
	close(a.callSig)
	a.callSig = make(chan struct{})
	a.rmu.Unlock()
}

// emitConnectivity sends the joined view when it changed: rc is the
// phone's view from its event (in order with its other events), nil when
// the CTI link changed (the phone's last reported view is used).
func (a *Agent) emitConnectivity(rc *rtc.Connectivity) {
	a.connMu.Lock()
	defer a.connMu.Unlock()
	in := a.cur()
	if in == nil {
		return
	}
	if rc != nil {
		in.lastView = rc
	} else if rc = in.lastView; rc == nil {
		return // the phone has reported nothing yet
	}
	cv := *rc
	cti := a.sess.State()
	ev := &ConnectivityEvent{MsgType: MsgConnectivity, CTI: cti.String(), SIP: cv.Link.String(),
		Registration: cv.Registration.String(), Calls: []ConnectivityCall{}}
	var why []string
	for _, c := range cv.Calls {
		ev.Calls = append(ev.Calls, ConnectivityCall{UUID: c.UUID, CallID: c.ID, State: c.State.String(), ICE: c.ICE.String()})
		if (c.State == rtc.CallConfirmed || c.State == rtc.CallHeld) && c.ICE != rtc.ICEConnected {
			w := "media of call " + c.UUID + ": " + c.ICE.String()
			if c.MediaFailure != "" {
				w += " (" + c.MediaFailure + ")"
			}
			why = append(why, w)
		}
	}
	switch {
	case cti != session.StateConnected || cv.Link != rtc.LinkConnected:
		ev.State = "down"
		if cti != session.StateConnected {
			why = append([]string{"CTI link " + cti.String()}, why...)
		}
		if cv.Link != rtc.LinkConnected {
			why = append([]string{"SIP link " + cv.Link.String()}, why...)
		}
	case cv.Registration != rtc.RegRegistered:
		ev.State = "degraded"
		why = append([]string{"registration " + cv.Registration.String()}, why...)
	case len(why) > 0:
		ev.State = "degraded"
	default:
		ev.State = "ok"
	}
	ev.Reason = strings.Join(why, "; ")
	b, _ := json.Marshal(ev)
	a.rmu.Lock()
	same := a.lastConn == string(b)
	if a.inst == in {
		a.lastConn = string(b)
	}
	a.rmu.Unlock()
	if !same {
		a.sess.Emit(ev)
	}
}

// statsLoop sends rtc_stats for every call with media until the phone is
// detached.
func (a *Agent) statsLoop(in *phoneInst, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-in.stop:
			return
		case <-t.C:
		}
		for _, c := range in.ph.Calls() {
			mc, ok := c.Media().(*rtc.MediaCall)
			if !ok || c.State() == rtc.CallEnded {
				continue
			}
			a.sess.Emit(statsEvent(c, mc.Stats()))
		}
	}
}

func statsEvent(c *rtc.Call, s media.Stats) *RTCStatsEvent {
	msf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	ev := &RTCStatsEvent{MsgType: MsgRTCStats, UUID: c.UUID(), CallID: c.ID(),
		RTTMs: msf(s.RTT), JitterMs: msf(s.Audio.Jitter), Loss: s.Audio.LossRate, RemoteLoss: s.Audio.RemoteLossRate,
		BitrateKbps: (s.Audio.RecvBitrate + s.Video.RecvBitrate) / 1000, SendKbps: (s.Audio.SendBitrate + s.Video.SendBitrate) / 1000,
		PacketsSent: s.Audio.PacketsSent, PacketsRecv: s.Audio.PacketsReceived, PacketsLost: s.Audio.PacketsLost,
		AudioCodec: s.AudioCodec, JitterBuffer: s.JitterBufferMs, NoData: s.NoAudioData}
	if !s.NoAudioData {
		mos := s.MOS
		ev.MOS = &mos
	}
	return ev
}

// onSessionEvent sees every session event before the application does.
func (a *Agent) onSessionEvent(ev session.Event) {
	switch e := ev.(type) {
	case *checkinDone:
		a.checkins.Add(-1)
		return // internal
	case *session.RestoredEvent:
		if e.Err != nil {
			a.stopPhone("session not restored")
		} else if e.Checkin != nil && a.cur() != nil {
			a.onCheckin(e.Checkin) // same rtc_address/ext: kept; else recreated
		}
	case *protocol.CallinEvent:
		a.onCallin(e) // RTC: tie the ringing leg to the callin's uuid (correlate.go)
	case *protocol.AgentChangeEvent:
		// An OFFLINE queued before a later check-in's reply belongs to the
		// session before it.
		if e.AgentStatus == protocol.StatusOffline && a.checkins.Load() == 0 {
			a.stopPhone("agent offline")
		}
	case *session.StateEvent:
		if a.cur() != nil {
			defer a.emitConnectivity(nil)
		}
	}
	if a.handler != nil {
		a.handler(ev)
	}
}

// ---- requests in RTC mode ----

func (a *Agent) lang() string { return a.sess.Config().Language }

func (a *Agent) text(zh, en string) string {
	if strings.HasPrefix(strings.ToLower(a.lang()), "en") {
		return en
	}
	return zh
}

func fillReqID(h *protocol.Header) string {
	if h.ReqID == "" {
		h.ReqID = uuid.NewString()
	}
	return h.ReqID
}

// localRefusal is a reply the SDK makes itself, code "1".
func localRefusal(t protocol.MsgType, reqID, msg string) (protocol.Reply, error) {
	r := &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: t, Code: "1", Msg: msg}}
	return r, r.Err()
}

// findCall returns the live call of uuid, or the agent's current call for
// uuid "": the newest answered one, else the newest ringing one.
func (in *phoneInst) findCall(uuid string) *rtc.Call {
	if uuid != "" {
		if c := in.ph.CallByUUID(uuid); c != nil {
			return c
		}
		return in.adoptCall(uuid, false)
	}
	var best *rtc.Call
	var bestT time.Time
	bestAns := false
	for _, c := range in.ph.Calls() {
		st := c.State()
		if st == rtc.CallEnded {
			continue
		}
		ans := c.Media() != nil
		t := c.Timings().Created
		if best == nil || (ans && !bestAns) || (ans == bestAns && t.After(bestT)) {
			best, bestT, bestAns = c, t, ans
		}
	}
	return best
}

func (a *Agent) mute(m *protocol.MuteRequest) (protocol.Reply, error) {
	in := a.cur()
	if in == nil {
		return nil, ErrMuteNeedsRTC
	}
	reqID := fillReqID(&m.Header)
	c := in.findCall(m.UUID)
	if c == nil {
		return localRefusal(protocol.MsgMute, reqID, a.text("话机上没有该通话", "no such call on the agent's phone"))
	}
	mc, ok := c.Media().(*rtc.MediaCall)
	if !ok {
		return localRefusal(protocol.MsgMute, reqID, a.text("通话尚未接通", "the call is not answered yet"))
	}
	mc.SetMuted(bool(m.Mute))
	return &protocol.MuteReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgMute, Code: "0", Msg: "success"}, Mute: m.Mute}, nil
}

// dtmf sends the digits on the agent's call leg; ok false: no RTC call,
// send the request to the CTI server.
func (a *Agent) dtmf(ctx context.Context, r *protocol.DTMFRequest) (protocol.Reply, bool, error) {
	in := a.cur()
	if in == nil {
		return nil, false, nil
	}
	c := in.findCall(r.UUID)
	if c == nil {
		return nil, false, nil
	}
	reqID := fillReqID(&r.Header)
	t := int(protocol.DTMFRFC2833)
	if r.DTMFType != nil {
		t = int(*r.DTMFType)
	}
	mode, err := rtc.DTMFModeFromSpec(t)
	if err == nil && r.Content == "" {
		err = fmt.Errorf("%w: no digits", rtc.ErrInvalidArgument)
	}
	if err == nil {
		err = c.SendDTMF(ctx, r.Content, mode) // in order across modes (core/rtc)
	}
	if err != nil {
		rep, rerr := localRefusal(protocol.MsgDTMF, reqID, a.text("发送DTMF失败: ", "sending DTMF failed: ")+err.Error())
		return rep, true, rerr
	}
	return &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgDTMF, Code: "0", Msg: "success"}}, true, nil
}

// answer answers the SIP call first, then the CTI call.
func (a *Agent) answer(ctx context.Context, in *phoneInst, r *protocol.AnswerRequest) (protocol.Reply, error) {
	wait := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	c := a.waitCall(ctx, in, r.UUID, wait)
	answered := false
	if c == nil {
		a.log.Warn("rtc: answer: no SIP call for the uuid; answering over CTI only", "uuid", r.UUID)
	} else if c.State() == rtc.CallRinging {
		var opts rtc.AnswerOptions
		if r.Audio != nil || r.Video != nil {
			opts.SetDirections = true
			opts.Audio, opts.Video = rtc.SendRecv, rtc.SendRecv
			if r.Audio != nil {
				opts.Audio = rtc.Direction(*r.Audio)
			}
			if r.Video != nil {
				opts.Video = rtc.Direction(*r.Video)
			}
		}
		err := c.Answer(ctx, opts)
		switch {
		case err == nil:
			answered = true
		case !errors.Is(err, rtc.ErrBusy):
			a.log.Warn("rtc: answer: SIP answer failed", "uuid", r.UUID, "err", err)
		}
	}
	if answered {
		// The phone's 200 OK is the answer: the platform sees the agent's
		// leg answered (its status push follows), as with its own web
		// toolbar. A CTI answer now would find the leg answered and fail
		// ("接听失败!"), so it is not sent.
		reqID := fillReqID(&r.Header)
		return &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgAnswer, Code: "0", Msg: "success"}}, nil
	}
	return a.sess.Do(ctx, r)
}

// callForAnswer is the call an answer of uuid is about: the call of that
// uuid, or the one ringing call without a uuid (correlate.go).
func (in *phoneInst) callForAnswer(uuid string) *rtc.Call {
	if uuid == "" {
		return in.findCall("")
	}
	if c := in.ph.CallByUUID(uuid); c != nil {
		return c
	}
	return in.adoptCall(uuid, true)
}

// waitCall waits up to d (and ctx) for the call of uuid to show up.
func (a *Agent) waitCall(ctx context.Context, in *phoneInst, uuid string, d time.Duration) *rtc.Call {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		a.rmu.Lock()
		sig := a.callSig
		a.rmu.Unlock()
		if c := in.callForAnswer(uuid); c != nil {
			return c
		}
		select {
		case <-sig:
		case <-t.C:
			return nil
		case <-ctx.Done():
			return nil
		case <-in.stop:
			return nil
		}
	}
}

// stateLocked returns the agent's state of a live call, made on demand
// (nil once the call ended). a.rmu held.
func (a *Agent) stateLocked(c *rtc.Call) *callAudio {
	if c.State() == rtc.CallEnded {
		return nil
	}
	st := a.calls[c]
	if st == nil {
		st = &callAudio{}
		a.calls[c] = st
	}
	return st
}
