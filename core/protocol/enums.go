package protocol

import (
	"strconv"

	json "github.com/goccy/go-json"
)

// MsgType names a message on the wire ("checkin", "callback", ...).
type MsgType string

// Requests (spec 7.0.0, 主动请求).
const (
	MsgToggleServiceMode MsgType = "toggle_service_mode"
	MsgCheckin           MsgType = "checkin"
	MsgCheckout          MsgType = "checkout"
	MsgPing              MsgType = "ping"
	MsgCall              MsgType = "call"
	MsgChangeMedia       MsgType = "change_media"
	MsgChangeStatus      MsgType = "change_status"
	MsgHold              MsgType = "hold"
	MsgMute              MsgType = "mute"
	MsgHangup            MsgType = "hangup"
	MsgTrans             MsgType = "trans"
	MsgConsult           MsgType = "consult"
	MsgConsultToTrans    MsgType = "consult_to_trans"
	MsgThreeWay          MsgType = "three_way"
	MsgEavesdrop         MsgType = "eavesdrop"
	MsgWhisper           MsgType = "whisper"
	MsgDTMF              MsgType = "dtmf"
	MsgSubstitute        MsgType = "substitute"
	MsgForceCall         MsgType = "force_call"
	MsgInterruptCall     MsgType = "interrupt_call"
	MsgAnswer            MsgType = "answer"
	MsgPlayRecord        MsgType = "play_record"
	MsgPlayRecordControl MsgType = "play_record_control"
	MsgPreviewOutCall    MsgType = "preview_out_call"
)

// Reply-only names: ping is answered by pong; the spec's msg_type table lists
// answer as pickup and its trans example replies with transfer.
const (
	MsgPong     MsgType = "pong"
	MsgPickup   MsgType = "pickup"
	MsgTransfer MsgType = "transfer"
)

// Pushed events (被动接收).
const (
	MsgCallback    MsgType = "callback"
	MsgCallin      MsgType = "callin"
	MsgAgentChange MsgType = "agent_change"
)

// HTTP calls of the SDK interface.
const (
	MsgGetToken MsgType = "get_token"
)

// Messages of the platform's server that the 7.0.0 spec does not list
// (docs/platform.md).
const (
	// MsgGetStatus asks for the agent's status (a request; allowed before
	// check-in, with a token).
	MsgGetStatus MsgType = "get_status"
	// MsgKickOff tells that another device checked in as this agent (a push).
	MsgKickOff MsgType = "kick_off"
	// MsgConnect is the server's greeting once the WebSocket is open (a push).
	MsgConnect MsgType = "connect"
)

// RequestTypes lists every request msg_type of the spec, in the spec's order.
var RequestTypes = []MsgType{
	MsgToggleServiceMode, MsgCheckin, MsgCheckout, MsgPing, MsgCall, MsgChangeMedia,
	MsgChangeStatus, MsgHold, MsgMute, MsgHangup, MsgTrans, MsgConsult, MsgConsultToTrans,
	MsgThreeWay, MsgEavesdrop, MsgWhisper, MsgDTMF, MsgSubstitute, MsgForceCall,
	MsgInterruptCall, MsgAnswer, MsgPlayRecord, MsgPlayRecordControl, MsgPreviewOutCall,
}

// ReplyType is the msg_type a reply to a request of type t normally carries.
func ReplyType(t MsgType) MsgType {
	if t == MsgPing {
		return MsgPong
	}
	return t
}

// IsEvent reports whether t is one of the server's pushed events. A
// change_status frame is a push only when it answers no request (the
// platform's status pushes use the request's msg_type): see IsStatusPush.
func (t MsgType) IsEvent() bool {
	switch t {
	case MsgCallback, MsgCallin, MsgAgentChange, MsgKickOff, MsgConnect:
		return true
	}
	return false
}

// IsRequest reports whether t is a request the SDK can send: one of the
// spec's 24 (RequestTypes) or get_status.
func (t MsgType) IsRequest() bool {
	switch t {
	case MsgPong, MsgTransfer, MsgCallback, MsgCallin, MsgAgentChange, MsgGetToken, MsgKickOff, MsgConnect:
		return false
	}
	_, known := knownTypes[string(t)]
	return known
}

// AgentStatus is an agent's status (坐席状态). Values outside the spec's table
// are kept as sent.
type AgentStatus string

// Agent statuses.
const (
	StatusOffline AgentStatus = "OFFLINE"
	StatusFree    AgentStatus = "FREE"
	StatusBusy    AgentStatus = "BUSY"
	StatusRest    AgentStatus = "REST"
	StatusRinging AgentStatus = "RINGING"
	StatusCalling AgentStatus = "CALLING"
	StatusArrange AgentStatus = "ARRANGE"
)

// Known reports whether s is a status of the spec's table.
func (s AgentStatus) Known() bool {
	switch s {
	case StatusOffline, StatusFree, StatusBusy, StatusRest, StatusRinging, StatusCalling, StatusArrange:
		return true
	}
	return false
}

// SubStatus is an agent's in-call sub-status (坐席通话子状态).
type SubStatus string

// Sub-statuses.
const (
	SubEavesdrop  SubStatus = "EAVESDROP"
	SubWhisper    SubStatus = "WHISPER"
	SubTrans      SubStatus = "TRANS"
	SubThreeWay   SubStatus = "THREE_WAY"
	SubForceCall  SubStatus = "FORCE_CALL"
	SubConsult    SubStatus = "CONSULT"
	SubHold       SubStatus = "HOLD"
	SubPlayRecord SubStatus = "PLAY_RECORD"
)

// Known reports whether s is a sub-status of the spec's table.
func (s SubStatus) Known() bool {
	switch s {
	case SubEavesdrop, SubWhisper, SubTrans, SubThreeWay, SubForceCall, SubConsult, SubHold, SubPlayRecord:
		return true
	}
	return false
}

// StatusAction is a status transition (坐席状态迁移动作), as change_status sends it.
type StatusAction string

// Status actions. The spec's table prints some with stray spaces
// (FORCE_ CHECKOUT); these are the names change_status documents.
const (
	ActionCheckin               StatusAction = "CHECKIN"
	ActionCheckout              StatusAction = "CHECKOUT"
	ActionMakeBusy              StatusAction = "MAKE_BUSY"
	ActionMakeFree              StatusAction = "MAKE_FREE"
	ActionMakeRest              StatusAction = "MAKE_REST"
	ActionMakeArrange           StatusAction = "MAKE_ARRANGE"
	ActionMakeBusyAfterCallStop StatusAction = "MAKE_BUSY_AFTER_CALL_STOP"
	ActionMakeFreeAfterCallStop StatusAction = "MAKE_FREE_AFTER_CALL_STOP"
	ActionMakeRestAfterCallStop StatusAction = "MAKE_REST_AFTER_CALL_STOP"
	ActionCheckoutAfterCallStop StatusAction = "CHECKOUT_AFTER_CALL_STOP"
	ActionForceReset            StatusAction = "FORCE_RESET"
	ActionForceCheckout         StatusAction = "FORCE_CHECKOUT"
	ActionForceMakeFree         StatusAction = "FORCE_MAKE_FREE"
	ActionForceMakeBusy         StatusAction = "FORCE_MAKE_BUSY"
)

// Known reports whether a is an action of the spec's tables.
func (a StatusAction) Known() bool {
	switch a {
	case ActionCheckin, ActionCheckout, ActionMakeBusy, ActionMakeFree, ActionMakeRest, ActionMakeArrange,
		ActionMakeBusyAfterCallStop, ActionMakeFreeAfterCallStop, ActionMakeRestAfterCallStop,
		ActionCheckoutAfterCallStop, ActionForceReset, ActionForceCheckout, ActionForceMakeFree, ActionForceMakeBusy:
		return true
	}
	return false
}

// Forced reports whether a is a supervisor's forced action on another agent.
func (a StatusAction) Forced() bool {
	return a == ActionForceCheckout || a == ActionForceMakeFree || a == ActionForceMakeBusy || a == ActionForceReset
}

// CallbackAction is the operation a callback reports on.
type CallbackAction string

// Callback actions.
const (
	CbCall           CallbackAction = "CALL"
	CbConsult        CallbackAction = "CONSULT"
	CbTrans          CallbackAction = "TRANS"
	CbConsultToTrans CallbackAction = "CONSULT_TO_TRANS"
	CbThreeWay       CallbackAction = "THREE_WAY"
	CbEavesdrop      CallbackAction = "EAVESDROP"
	CbWhisper        CallbackAction = "WHISPER"
	CbSubstitute     CallbackAction = "SUBSTITUTE"
	CbForceCall      CallbackAction = "FORCE_CALL"
	CbInterruptCall  CallbackAction = "INTERRUPT_CALL"
	CbChangeMedia    CallbackAction = "CHANGE_MEDIA"
	CbExtUnReg       CallbackAction = "EXT_UN_REG"
	CbPreviewOutCall CallbackAction = "PREVIEW_OUT_CALL"
)

// Known reports whether a is a callback action of the spec's table.
func (a CallbackAction) Known() bool {
	switch a {
	case CbCall, CbConsult, CbTrans, CbConsultToTrans, CbThreeWay, CbEavesdrop, CbWhisper, CbSubstitute,
		CbForceCall, CbInterruptCall, CbChangeMedia, CbExtUnReg, CbPreviewOutCall:
		return true
	}
	return false
}

// Phase is the stage a callback reports.
type Phase string

// Callback phases.
const (
	PhaseInitiate  Phase = "INITIATE"
	PhaseStartCall Phase = "START_CALL"
	PhaseEndCall   Phase = "END_CALL"
)

// Known reports whether p is a phase of the spec's table.
func (p Phase) Known() bool {
	return p == PhaseInitiate || p == PhaseStartCall || p == PhaseEndCall
}

// CallinChannel says how an inbound call reached the agent. The spec sends
// "" for a normal call; the platform's server always names the channel
// (CALL_IN for a customer's call, CALL for the agent's own leg of an
// outbound call, ...).
type CallinChannel string

// Inbound channels.
const (
	ChannelNormal         CallinChannel = ""
	ChannelTrans          CallinChannel = "TRANS"
	ChannelConsult        CallinChannel = "CONSULT"
	ChannelThreeWay       CallinChannel = "THREE_WAY"
	ChannelPredictOutCall CallinChannel = "PREDICT_OUT_CALL"
	// Sent by the platform's server beyond the spec's table.
	ChannelCallIn         CallinChannel = "CALL_IN"
	ChannelCall           CallinChannel = "CALL"
	ChannelPreviewOutCall CallinChannel = "PREVIEW_OUT_CALL"
	ChannelEavesdrop      CallinChannel = "EAVESDROP"
	ChannelWhisper        CallinChannel = "WHISPER"
	ChannelConsultToTrans CallinChannel = "CONSULT_TO_TRANS"
	ChannelSubstitute     CallinChannel = "SUBSTITUTE"
)

// MediaDirection is the spec's 0/1/2/3 audio or video int.
type MediaDirection int

// Media directions, as the spec numbers them.
const (
	MediaNone     MediaDirection = 0 // no stream
	MediaSendOnly MediaDirection = 1 // send, do not receive
	MediaRecvOnly MediaDirection = 2 // receive, do not send
	MediaSendRecv MediaDirection = 3 // send and receive
)

// Known reports whether d is one of the spec's four values.
func (d MediaDirection) Known() bool { return d >= MediaNone && d <= MediaSendRecv }

// String names the direction as SDP does.
func (d MediaDirection) String() string {
	switch d {
	case MediaNone:
		return "inactive"
	case MediaSendOnly:
		return "sendonly"
	case MediaRecvOnly:
		return "recvonly"
	case MediaSendRecv:
		return "sendrecv"
	}
	return "MediaDirection(" + strconv.Itoa(int(d)) + ")"
}

// Sends reports whether d sends media.
func (d MediaDirection) Sends() bool { return d == MediaSendOnly || d == MediaSendRecv }

// Receives reports whether d receives media.
func (d MediaDirection) Receives() bool { return d == MediaRecvOnly || d == MediaSendRecv }

// TransMode is trans's `type`: blind, consultative, or cancel.
type TransMode string

// Transfer modes.
const (
	TransBlind   TransMode = "1"
	TransConsult TransMode = "2"
	TransCancel  TransMode = "3"
)

// TransTarget is trans's `trans_type`: who receives the transfer.
type TransTarget string

// Transfer targets.
const (
	TransToAgent        TransTarget = "1"
	TransToSkill        TransTarget = "2"
	TransToIVR          TransTarget = "3"
	TransToExternal     TransTarget = "4"
	TransToSatisfaction TransTarget = "5"
)

// ConsultMode is consult's `type`: start or cancel.
type ConsultMode string

// Consult modes.
const (
	ConsultStart  ConsultMode = "1"
	ConsultCancel ConsultMode = "2"
)

// PartyType says whether a number is an internal agent or an external line
// (consult_type, three_way_type).
type PartyType string

// Party types.
const (
	PartyInternal PartyType = "0"
	PartyExternal PartyType = "1"
)

// OutLine is call's out_line.
type OutLine int

// Out lines.
const (
	OutLineInternal   OutLine = 0
	OutLineExternal   OutLine = 1
	OutLineConference OutLine = 2
)

// DTMFType is dtmf's dtmf_type.
type DTMFType int

// DTMF types, as the spec numbers them (there is no 2).
const (
	DTMFInfo    DTMFType = 0 // SIP INFO
	DTMFInband  DTMFType = 1 // in-band tones
	DTMFRFC2833 DTMFType = 3 // RFC 4733 / 2833 telephone-event (default)
)

// ServiceMode is toggle_service_mode's service_mode.
type ServiceMode int

// Service modes.
const (
	ServiceCustomer ServiceMode = 1 // 客服型
	ServiceOutbound ServiceMode = 2 // 外呼型
)

// RecordStart is when the platform starts recording.
type RecordStart string

// Recording start points.
const (
	RecordNone   RecordStart = "NONE"
	RecordRing   RecordStart = "RING"
	RecordAnswer RecordStart = "ANSWER"
)

// PlayAction is play_record_control's action.
type PlayAction string

// Playback actions.
const (
	PlayPause  PlayAction = "pause"
	PlayResume PlayAction = "resume"
	PlayReplay PlayAction = "replay"
	PlaySeek   PlayAction = "seek"
	PlaySpeed  PlayAction = "speed"
	PlayStop   PlayAction = "stop"
	PlayVolume PlayAction = "volume"
)

// Flag is one of the spec's "1"/"0" string switches (hold, mute). It is sent
// as the string "1" or "0" and read from any of "1"/"0", 1/0, true/false.
type Flag bool

// MarshalJSON writes "1" or "0".
func (f Flag) MarshalJSON() ([]byte, error) {
	if f {
		return []byte(`"1"`), nil
	}
	return []byte(`"0"`), nil
}

// UnmarshalJSON accepts "1"/"0", 1/0, true/false and their string forms.
func (f *Flag) UnmarshalJSON(b []byte) error {
	v, ok, err := parseBool(b)
	if err != nil {
		return err
	}
	if ok {
		*f = Flag(v)
	}
	return nil
}

// Secret holds a password or token. It marshals to JSON as itself but prints
// as *** so it cannot leak through a log line or an error message.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Reveal returns the secret's value; call it only to put it on the wire.
func (s Secret) Reveal() string { return string(s) }

var _ json.Marshaler = Flag(false)
