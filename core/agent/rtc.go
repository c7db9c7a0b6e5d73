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

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
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

func (a *Agent) rtcEnabled() bool { return !a.cfg.DisableRTC }

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
		defer contain.Recover(a.log, "agent: phone start", nil)
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
		if iv := a.cfg.RTCStatsInterval; iv > 0 {
			a.statsLoop(in, iv)
		}
	}()
}

func (a *Agent) newPhone(key phoneKey) (*phoneInst, error) {
	u, err := url.Parse(key.url)
	if err != nil {
		return nil, fmt.Errorf("rtc url %q: %v", key.url, err)
	}
	loop := a.cfg.RTCIncludeLoopback || isLoopbackHost(u.Hostname())
	mcfg := rtc.MediaEngineConfig{IncludeLoopback: loop, Logger: a.log, ConnectTimeout: orNever(a.cfg.RTCMediaTimeout)}
	if isLoopbackHost(u.Hostname()) {
		mcfg.IPFilter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	for _, s := range a.cfg.ICEServers {
		mcfg.ICEServers = append(mcfg.ICEServers, rtc.ICEServer(s))
	}
	eng, err := rtc.NewMediaEngine(mcfg)
	if err != nil {
		return nil, err
	}
	in := &phoneInst{eng: eng, key: key, stop: make(chan struct{}), done: make(chan struct{}),
		corr: newCorrelator(a.cfg.RTCAutoAnswer, a.cfg.RTCAutoAnswerWindow)}
	pcfg := rtc.Config{
		URL:                key.url,
		Domain:             key.domain,
		User:               key.user,
		Password:           key.pwd,
		Headers:            map[string]string{"X-CC-Company": a.sess.Config().CompanyCode},
		CAFile:             a.cfg.TLSCAFile,
		CAPEM:              a.cfg.TLSCAPEM,
		InsecureSkipVerify: a.cfg.TLSInsecure,
		Media:              rtc.MediaFactoryFunc(func(o rtc.MediaOptions) (rtc.Media, error) { return a.newMedia(eng, o) }),
		OnEvent:            func(e rtc.Event) { a.onRTCEvent(in, e) },
		Logger:             a.log,
		DialTimeout:        a.cfg.DialTimeout,
	}
	pcfg.Reconnect.Min = a.cfg.Reconnect.Min
	pcfg.Reconnect.Max = a.cfg.Reconnect.Max
	a.rtcLimits(&pcfg)
	if a.cfg.RTCKeepalive > 0 {
		pcfg.Keepalive.Interval = a.cfg.RTCKeepalive
	} else if a.cfg.RTCKeepalive < 0 {
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
	if mc, ok := m.(*rtc.MediaCall); ok && a.snd.mode == AudioHost { // device mode: the microphone
		src, err := a.defaultSource()
		if err != nil {
			a.log.Warn("rtc: default source", "err", err)
		} else if src != nil {
			mc.SetAudioSource(src)
		}
	}
	return m, nil
}

// defaultSource builds a new source from RTCDefaultSource (nil: silence).
func (a *Agent) defaultSource() (media.AudioSource, error) {
	s := strings.TrimSpace(a.cfg.RTCDefaultSource)
	switch {
	case s == "" || s == "silence":
		return nil, nil
	case strings.HasPrefix(s, "tone:"):
		hz, err := strconv.ParseFloat(strings.TrimPrefix(s, "tone:"), 64)
		if err != nil || hz <= 0 || hz >= 4000 {
			return nil, &ConfigError{Field: "RTCDefaultSource", Value: s, Want: "tone:HZ with 0 < HZ < 4000"}
		}
		return media.ToneSource(hz, toneAmplitude), nil
	case strings.HasPrefix(s, "wav:"):
		src, err := media.OpenWAVSource(strings.TrimPrefix(s, "wav:"), true)
		if err != nil {
			return nil, &ConfigError{Field: "RTCDefaultSource", Value: s, Err: err}
		}
		return src, nil
	}
	return nil, &ConfigError{Field: "RTCDefaultSource", Value: s, Want: "silence, tone:HZ or wav:PATH"}
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
		defer close(in.done) // after the report below: the next phone waits for it
		defer contain.Recover(a.log, "agent: phone close", nil)
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
		a.forgetEndedRings()
	}()
}

// ---- requests in RTC mode ----
