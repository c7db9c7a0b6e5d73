package agent

import (
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// msg_types of the agent's RTC events. Each event is JSON-marshalable as is
// (json.Marshal gives the object the C ABI delivers, msg_type included).
// None carries ext_pwd.
const (
	MsgRTCRegistration protocol.MsgType = "rtc_registration"
	MsgRTCCall         protocol.MsgType = "rtc_call"
	MsgConnectivity    protocol.MsgType = "connectivity"
	MsgRTCDTMF         protocol.MsgType = "rtc_dtmf"
	MsgRTCStats        protocol.MsgType = "rtc_stats"
)

// RTCRegistrationEvent reports the SIP registration of the agent's
// extension: registering, registered, failed (Code 403 wrong password...,
// Reason), unregistered (checkout, close).
type RTCRegistrationEvent struct {
	MsgType    protocol.MsgType `json:"msg_type"`
	State      string           `json:"state"`
	Reason     string           `json:"reason,omitempty"`
	Code       int              `json:"code,omitempty"`
	AOR        string           `json:"aor,omitempty"`         // sip:{ext_id}@{domain}
	ExpiresS   int              `json:"expires_s,omitempty"`   // granted lifetime (registered)
	RTCAddress string           `json:"rtc_address,omitempty"` // as the check-in reply gave it
	URL        string           `json:"url,omitempty"`         // the SIP WebSocket URL dialled (docs/platform.md)
}

// Type is "rtc_registration".
func (*RTCRegistrationEvent) Type() protocol.MsgType { return MsgRTCRegistration }

// RTCCallEvent reports a state change of one SIP call of the agent's phone:
// ringing (an INVITE waits for answer), answered, confirmed, held, ended
// (Code, Reason), and calling/early for calls the phone places.
type RTCCallEvent struct {
	MsgType protocol.MsgType `json:"msg_type"`
	UUID    string           `json:"uuid"` // the CTI call uuid ("" until known)
	// UUIDFrom says how the uuid was learned: "x-cc-uuid" (the INVITE's
	// header), "request" (the reply of the request that rang the agent's
	// own leg), "callin", "answer" (the answer request's uuid, the one
	// ringing call), "only_call" (a request's uuid, the phone's only call).
	// A call whose uuid is learned after its first event is reported
	// again, same state, with reason "uuid from ...".
	UUIDFrom string `json:"uuid_from,omitempty"`
	CallID   string `json:"call_id"` // SIP Call-ID
	// Direction of the SIP leg: "incoming" (an INVITE from the platform:
	// every CTI call, outbound ones included, rings the agent's own leg) or
	// "outgoing" (placed with Phone().Dial).
	Direction string `json:"direction"`
	State     string `json:"state"`
	// AutoAnswer: the SDK answered the call by itself (a hint, or the
	// agent's own leg under Config.RTCAutoAnswer "requests").
	AutoAnswer bool `json:"auto_answer,omitempty"`
	// Media "failed": ICE/DTLS did not connect in Config.RTCMediaTimeout
	// (or failed first); Reason says where it got stuck. Under
	// Config.RTCMediaFailure "hangup" an "ended" event follows.
	Media      string `json:"media,omitempty"`
	LocalHold  bool   `json:"local_hold,omitempty"`
	RemoteHold bool   `json:"remote_hold,omitempty"`
	Remote     string `json:"remote,omitempty"`
	Code       int    `json:"code,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Type is "rtc_call".
func (*RTCCallEvent) Type() protocol.MsgType { return MsgRTCCall }

// ConnectivityEvent is the joined view of the agent's links, sent when it
// changes: State "ok" (CTI link up, SIP link up and registered, every
// answered call's media connected), "degraded" (both links up, but the
// registration is not in place or a call's media is not connected), "down"
// (the CTI link or the SIP link is not up). Reason says what is wrong.
type ConnectivityEvent struct {
	MsgType      protocol.MsgType   `json:"msg_type"`
	State        string             `json:"state"`
	CTI          string             `json:"cti"`          // CTI link: connected, reconnecting...
	SIP          string             `json:"sip"`          // SIP link: connected, reconnecting...
	Registration string             `json:"registration"` // registering, registered, failed...
	Calls        []ConnectivityCall `json:"calls"`
	Reason       string             `json:"reason,omitempty"`
}

// ConnectivityCall is one call's part of the connectivity view.
type ConnectivityCall struct {
	UUID   string `json:"uuid"`
	CallID string `json:"call_id"`
	State  string `json:"state"`
	ICE    string `json:"ice"` // new, checking, connected, disconnected, failed, closed
}

// Type is "connectivity".
func (*ConnectivityEvent) Type() protocol.MsgType { return MsgConnectivity }

// RTCDTMFEvent is a digit the agent's phone received (Mode: rfc4733, info,
// inband).
type RTCDTMFEvent struct {
	MsgType protocol.MsgType `json:"msg_type"`
	UUID    string           `json:"uuid"`
	CallID  string           `json:"call_id"`
	Digit   string           `json:"digit"`
	Mode    string           `json:"mode"`
}

// Type is "rtc_dtmf".
func (*RTCDTMFEvent) Type() protocol.MsgType { return MsgRTCDTMF }

// RTCStatsEvent is a call's media quality, every Config.RTCStatsInterval.
type RTCStatsEvent struct {
	MsgType      protocol.MsgType `json:"msg_type,omitempty"`
	UUID         string           `json:"uuid"`
	CallID       string           `json:"call_id"`
	RTTMs        float64          `json:"rtt_ms"`
	JitterMs     float64          `json:"jitter_ms"`         // received audio, RFC 3550
	Loss         float64          `json:"loss"`              // received audio loss rate, 0..1
	RemoteLoss   float64          `json:"remote_loss"`       // what the peer reports of our audio, 0..1
	BitrateKbps  float64          `json:"bitrate_kbps"`      // received, audio + video
	SendKbps     float64          `json:"send_kbps"`         // sent, audio + video
	MOS          *float64         `json:"mos"`               // E-model estimate, 1..4.41; null when no audio was received
	NoData       bool             `json:"no_data,omitempty"` // no audio received yet: loss, jitter and mos measure nothing
	PacketsSent  uint64           `json:"packets_sent"`      // audio
	PacketsRecv  uint64           `json:"packets_received"`
	PacketsLost  int64            `json:"packets_lost"`
	AudioCodec   string           `json:"audio_codec,omitempty"`
	JitterBuffer int              `json:"jitter_buffer_ms"`
}

// Type is "rtc_stats".
func (*RTCStatsEvent) Type() protocol.MsgType { return MsgRTCStats }

// checkinDone is queued (never delivered) after every check-in through
// Agent.Do: an agent_change OFFLINE queued before it belongs to an earlier
// session and must not close the phone the check-in just made.
type checkinDone struct{}

func (*checkinDone) Type() protocol.MsgType { return "checkin_done" }

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
			a.startQuality(in, c, e.CallState) // quality.go
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
		if e.Type == rtc.EventCall {
			a.onCallSound(c, e.CallState, auto) // ringtone, devices, processing (sound_call.go)
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
