package agent

import (
	"github.com/cloudcc/agent-sdk/core/protocol"
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
	// agent's own leg under rtc_auto_answer "requests").
	AutoAnswer bool `json:"auto_answer,omitempty"`
	// Media "failed": ICE/DTLS did not connect in rtc_media_timeout_ms (or
	// failed first); Reason says where it got stuck. Under
	// rtc_media_failure "hangup" an "ended" event follows.
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

// RTCStatsEvent is a call's media quality, every rtc_stats_interval_ms.
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
