package protocol

import json "github.com/goccy/go-json"

// Message is any decoded frame: a reply, a pushed event, or a frame of a type
// this package does not know. Every message keeps the JSON it was decoded from.
type Message interface {
	// Type is the message's msg_type, trimmed and with the spec's aliases
	// folded (transfer → trans, pickup → answer).
	Type() MsgType
	// Raw is the frame exactly as received.
	Raw() json.RawMessage
	setRaw(b []byte)
}

// Reply is a decoded reply to a request.
type Reply interface {
	Message
	// Header returns the fields every reply carries.
	Header() *ReplyHeader
}

// Event is a decoded server push: callback, callin, agent_change (also the
// platform's change_status push), kick_off, connect, or an unsolicited frame
// of another type (UnknownMessage).
type Event interface {
	Message
	isEvent()
}

type rawHolder struct{ raw []byte }

func (r *rawHolder) Raw() json.RawMessage { return json.RawMessage(r.raw) }
func (r *rawHolder) setRaw(b []byte)      { r.raw = b }

// ReplyHeader holds the fields every reply carries.
type ReplyHeader struct {
	ReqID   string  `json:"req_id"`
	MsgType MsgType `json:"msg_type"`
	Code    string  `json:"code"`
	Msg     string  `json:"msg"`
	rawHolder
}

// Type is the reply's normalized msg_type.
func (h *ReplyHeader) Type() MsgType { return h.MsgType }

// Header returns h itself.
func (h *ReplyHeader) Header() *ReplyHeader { return h }

// OK reports whether the server accepted the request (code "0").
func (h *ReplyHeader) OK() bool { return h.Code == "0" }

// Err returns a *ServerError when the server refused the request, else nil.
func (h *ReplyHeader) Err() error {
	if h.OK() {
		return nil
	}
	return &ServerError{MsgType: h.MsgType, Code: h.Code, Msg: h.Msg}
}

// BasicReply is the reply of the requests whose reply has only the common
// fields (checkout, pong, hangup, trans, dtmf, the supervisor requests, ...).
type BasicReply struct {
	ReplyHeader
}

// CheckinReply is checkin's reply. Token goes into every later frame (the
// platform reads it from the body), the SDK-TOKEN header of WebSocket
// handshakes, and HTTP calls.
type CheckinReply struct {
	ReplyHeader
	ExtID      string `json:"ext_id"`
	PBX        string `json:"pbx,omitempty"`
	ExtPwd     Secret `json:"ext_pwd,omitempty"`
	RTCAddress string `json:"rtc_address,omitempty"`
	LoginType  string `json:"login_type"` // "1" RTC (the SDK carries media), "2" softphone
	Token      Secret `json:"token"`
	// Sent by the platform's server beyond the spec's table.
	CompanyCode string `json:"company_code,omitempty"`
	OS          string `json:"os,omitempty"`
	ExtCallMode *int   `json:"ext_call_mode,omitempty"` // 1 normal, 2 long call
	ServiceMode *int   `json:"service_mode,omitempty"`  // 1 customer service, 2 outbound
}

// Login types of CheckinReply.LoginType.
const (
	LoginRTC       = "1"
	LoginSoftphone = "2"
)

// CallReply is call's reply; UUID identifies the new call.
type CallReply struct {
	ReplyHeader
	UUID string `json:"uuid"`
}

// ChangeStatusReply is change_status's reply.
type ChangeStatusReply struct {
	ReplyHeader
	Action          StatusAction `json:"action"`
	LastAgentStatus AgentStatus  `json:"last_agent_status,omitempty"`
	AgentStatus     AgentStatus  `json:"agent_status,omitempty"`
}

// HoldReply is hold's reply; Hold is the call's state now.
type HoldReply struct {
	ReplyHeader
	Hold Flag `json:"hold"`
}

// MuteReply is mute's reply; Mute is the state now.
type MuteReply struct {
	ReplyHeader
	Mute Flag `json:"mute"`
}

// ConsultReply is consult's reply; ConsultUUID is the consulted party's call.
type ConsultReply struct {
	ReplyHeader
	ConsultUUID string `json:"consult_uuid,omitempty"`
}

// ThreeWayReply is three_way's reply.
type ThreeWayReply struct {
	ReplyHeader
	InCallNumbers []string `json:"in_call_numbers,omitempty"`
}

// PlayRecordReply is play_record's reply; UUID is the agent-side call id.
type PlayRecordReply struct {
	ReplyHeader
	UUID string `json:"uuid"`
}

// SupervisorReply is the reply of eavesdrop, whisper, substitute and
// force_call: the platform names the supervisor's new call leg (uuid) and,
// for force_call, the parties in the call.
type SupervisorReply struct {
	ReplyHeader
	UUID          string   `json:"uuid,omitempty"`
	InCallNumbers []string `json:"in_call_numbers,omitempty"`
}

// ChangeMediaReply is change_media's reply: the call's media now.
type ChangeMediaReply struct {
	ReplyHeader
	UUID string `json:"uuid,omitempty"`
	Media
}

// ServiceModeReply is toggle_service_mode's reply.
type ServiceModeReply struct {
	ReplyHeader
	ServiceMode *ServiceMode `json:"service_mode,omitempty"`
}

// GetStatusReply is get_status's reply (the platform server's request, not
// in the 7.0.0 spec): the agent's status, sub-status, current call and the
// numbers in it.
type GetStatusReply struct {
	ReplyHeader
	CompanyCode   string      `json:"company_code,omitempty"`
	Status        AgentStatus `json:"status"`
	SubStatus     SubStatus   `json:"sub_status,omitempty"`
	UUID          string      `json:"uuid,omitempty"`
	InCallNumbers []string    `json:"in_call_numbers,omitempty"`
}

// PreviewOutCallReply is preview_out_call's reply. The spec lists only the
// common fields; UUID is filled when the server sends it.
type PreviewOutCallReply struct {
	ReplyHeader
	UUID string `json:"uuid,omitempty"`
}

// newReply returns an empty reply for a request of type t.
func newReply(t MsgType) Reply {
	switch t {
	case MsgCheckin:
		return &CheckinReply{}
	case MsgCall:
		return &CallReply{}
	case MsgChangeStatus:
		return &ChangeStatusReply{}
	case MsgHold:
		return &HoldReply{}
	case MsgMute:
		return &MuteReply{}
	case MsgConsult:
		return &ConsultReply{}
	case MsgThreeWay:
		return &ThreeWayReply{}
	case MsgPlayRecord:
		return &PlayRecordReply{}
	case MsgPreviewOutCall:
		return &PreviewOutCallReply{}
	case MsgEavesdrop, MsgWhisper, MsgSubstitute, MsgForceCall:
		return &SupervisorReply{}
	case MsgChangeMedia:
		return &ChangeMediaReply{}
	case MsgToggleServiceMode:
		return &ServiceModeReply{}
	case MsgGetStatus:
		return &GetStatusReply{}
	}
	return &BasicReply{}
}

// EventHeader holds the fields every pushed event carries.
type EventHeader struct {
	ReqID       string  `json:"req_id,omitempty"`
	MsgType     MsgType `json:"msg_type"`
	CompanyCode string  `json:"company_code,omitempty"`
	AgentID     string  `json:"agent_id,omitempty"`
	ExtID       string  `json:"ext_id,omitempty"`
	rawHolder
}

// Type is the event's normalized msg_type.
func (h *EventHeader) Type() MsgType { return h.MsgType }
func (h *EventHeader) isEvent()      {}

// CallbackEvent reports a phase of an operation the agent started (回调结果),
// and extension unregistration (EXT_UN_REG).
type CallbackEvent struct {
	EventHeader
	Action          CallbackAction  `json:"action"`
	Phase           Phase           `json:"phase"`
	CurrentTime     string          `json:"curren_time,omitempty"` // the spec's spelling
	Success         bool            `json:"success"`
	Msg             string          `json:"msg"`
	OS              string          `json:"os,omitempty"`
	LastAudio       *MediaDirection `json:"last_audio,omitempty"`
	Audio           *MediaDirection `json:"audio,omitempty"`
	LastVideo       *MediaDirection `json:"last_video,omitempty"`
	Video           *MediaDirection `json:"video,omitempty"`
	ChangeMediaFlag *int            `json:"change_media_flag,omitempty"`
	WorkOrderID     string          `json:"work_order_id,omitempty"`
	PeerUUID        string          `json:"peer_uuid,omitempty"`
	DisplayNumber   string          `json:"display_number,omitempty"`
	InCallNumbers   []string        `json:"in_call_numbers,omitempty"` // three-way, force_call
	// UUID is not in the spec's table and the platform's server never sets
	// it; it is filled when a server sends it.
	UUID string `json:"uuid,omitempty"`
}

// CallinEvent announces an inbound call ringing at the agent (呼入).
type CallinEvent struct {
	EventHeader
	UUID          string          `json:"uuid"`
	CallerNumber  string          `json:"caller_number"`
	CalleeNumber  string          `json:"callee_number,omitempty"`
	FlowData      string          `json:"flow_data,omitempty"` // call-attached data, as sent
	CallinChannel CallinChannel   `json:"callin_channel,omitempty"`
	IsVideo       *int            `json:"is_video,omitempty"` // 0 no, 1 yes
	Audio         *MediaDirection `json:"audio,omitempty"`
	Video         *MediaDirection `json:"video,omitempty"`
	Pixels        string          `json:"pixels,omitempty"`
	WorkOrderID   string          `json:"work_order_id,omitempty"`
	// Sent by the platform's server beyond the spec's table.
	ClientUUID string `json:"client_uuid,omitempty"` // the customer's leg
	OS         string `json:"os,omitempty"`
	TaskID     string `json:"task_id,omitempty"` // predictive outbound
}

// AgentChangeEvent reports an agent status change (状态变化). It is one event
// for both shapes a server sends: the spec's agent_change push and the
// platform server's change_status push (msg_type "change_status" with a
// req_id of its own, answering no request). Its msg_type is always
// "agent_change"; Raw keeps the frame as sent.
type AgentChangeEvent struct {
	EventHeader
	AgentStatus     AgentStatus `json:"agent_status"`
	SubAgentStatus  SubStatus   `json:"sub_agent_status,omitempty"`
	LastAgentStatus AgentStatus `json:"last_agent_status,omitempty"` // the platform omits it on a first check-in
	InCallNumbers   []string    `json:"in_call_numbers,omitempty"`
	Reason          string      `json:"reason,omitempty"`
	// Sent by the platform's server beyond the spec's table.
	UUID string `json:"uuid,omitempty"` // the call the status is about
	OS   string `json:"os,omitempty"`
}

// KickOffEvent tells that another device checked in as this agent (坐席互顶
// 下线通知). The platform's server builds it but, as of its public source,
// never delivers it (docs/platform.md); the SDK types it for when it does.
type KickOffEvent struct {
	EventHeader
	Code    string `json:"code,omitempty"`
	Msg     string `json:"msg,omitempty"`
	OS      string `json:"os,omitempty"`
	AgentIP string `json:"agent_ip,omitempty"` // sent as "agentIp"
}

// ConnectEvent is the platform server's greeting, sent about 200 ms after
// the WebSocket opens ({"msg_type":"connect","code":"0","msg":"连接成功"}).
type ConnectEvent struct {
	EventHeader
	Code string `json:"code"`
	Msg  string `json:"msg"`
}

// UnknownMessage is a frame whose msg_type this package does not know, or an
// unsolicited frame that is not an event. Raw holds all of it.
type UnknownMessage struct {
	ReqID   string  `json:"req_id,omitempty"`
	MsgType MsgType `json:"msg_type"`
	rawHolder
}

// Type is the frame's msg_type, trimmed.
func (m *UnknownMessage) Type() MsgType { return m.MsgType }
func (m *UnknownMessage) isEvent()      {}

func newEvent(t MsgType) Event {
	switch t {
	case MsgCallback:
		return &CallbackEvent{}
	case MsgCallin:
		return &CallinEvent{}
	case MsgAgentChange:
		return &AgentChangeEvent{}
	case MsgKickOff:
		return &KickOffEvent{}
	case MsgConnect:
		return &ConnectEvent{}
	}
	return nil
}
