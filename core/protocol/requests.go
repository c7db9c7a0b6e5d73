package protocol

// Header holds the fields every request carries. The session fills the empty
// ones (req_id with a UUID; company_code, agent_id, ext_id and os from its
// configuration; token once it has one) before sending.
type Header struct {
	ReqID       string  `json:"req_id"`
	MsgType     MsgType `json:"msg_type"`
	CompanyCode string  `json:"company_code"`
	AgentID     string  `json:"agent_id"`
	ExtID       string  `json:"ext_id,omitempty"`
	OS          string  `json:"os"`
	// Token is the session token. The platform's server reads it from the
	// body of every frame but checkin and get_token, and closes the link
	// when it is missing or wrong (docs/platform.md).
	Token Secret `json:"token,omitempty"`
}

// RequestHeader returns the header, for the session to fill.
func (h *Header) RequestHeader() *Header { return h }

// Request is any of the spec's 24 requests, or get_status.
type Request interface {
	// Type is the request's msg_type.
	Type() MsgType
	// RequestHeader gives access to the common fields.
	RequestHeader() *Header
}

// Media holds the audio/video fields several requests share. Nil means unset
// (the platform's default applies: audio 3, video 0, pixels 480).
type Media struct {
	Audio  *MediaDirection `json:"audio,omitempty"`
	Video  *MediaDirection `json:"video,omitempty"`
	Pixels string          `json:"pixels,omitempty"` // video height: "480", "720" or "1280"
}

// Recording holds the call-setup options shared by call, trans, consult,
// three_way and preview_out_call.
type Recording struct {
	MaxRingTime   string      `json:"max_ring_time,omitempty"` // seconds, default 60
	MaxCallTime   string      `json:"max_call_time,omitempty"` // seconds, default 8 hours
	RecordStart   RecordStart `json:"record_start,omitempty"`
	RecordContact *bool       `json:"record_contact,omitempty"` // record both directions
	IsStereo      *bool       `json:"is_stereo,omitempty"`
	RecordSuffix  string      `json:"record_suffix,omitempty"` // mp3, wav or mp4
}

// Operated names the agent a supervisor acts on.
type Operated struct {
	OperatedExtID   string `json:"operated_ext_id,omitempty"`
	OperatedAgentID string `json:"operated_agent_id,omitempty"`
}

// ToggleServiceModeRequest switches the agent between customer-service and outbound mode.
type ToggleServiceModeRequest struct {
	Header
	ServiceMode ServiceMode `json:"service_mode"`
}

// CheckinRequest checks the agent in. The reply carries the session token.
type CheckinRequest struct {
	Header
	AgentPwd    Secret      `json:"agent_pwd"`
	AgentIP     string      `json:"agent_ip,omitempty"` // comma-separated
	StartStatus AgentStatus `json:"start_status,omitempty"`
	Reset       *bool       `json:"reset,omitempty"`
}

// CheckoutRequest checks the agent out; the token is void afterwards.
type CheckoutRequest struct{ Header }

// PingRequest is the heartbeat; its reply's msg_type is pong.
type PingRequest struct{ Header }

// CallRequest places an outbound call.
type CallRequest struct {
	Header
	CalleeNumber string   `json:"callee_number"`
	OutLine      *OutLine `json:"out_line,omitempty"`
	Media
	Recording
	WorkOrderID string `json:"work_order_id,omitempty"`
}

// ChangeMediaRequest switches a call between audio and video.
type ChangeMediaRequest struct {
	Header
	UUID string `json:"uuid"`
	Media
	RenegOther *bool `json:"reneg_other,omitempty"`
}

// ChangeStatusRequest changes the agent's status, or, for a supervisor's
// FORCE_* actions, another agent's.
type ChangeStatusRequest struct {
	Header
	Operated
	Action  StatusAction `json:"action"`
	RestMin string       `json:"rest_min,omitempty"`
}

// HoldRequest holds (true) or resumes (false) a call.
type HoldRequest struct {
	Header
	Hold Flag   `json:"hold"`
	UUID string `json:"uuid"`
}

// MuteRequest mutes (true) or unmutes (false) the agent's side of a call.
// The spec marks it as done by the client.
type MuteRequest struct {
	Header
	Mute Flag   `json:"mute"`
	UUID string `json:"uuid"`
}

// HangupRequest ends a call.
type HangupRequest struct {
	Header
	UUID string `json:"uuid"`
}

// TransRequest transfers a call.
type TransRequest struct {
	Header
	UUID        string      `json:"uuid"`
	Mode        TransMode   `json:"type"`
	Target      TransTarget `json:"trans_type"`
	TransNumber string      `json:"trans_number,omitempty"` // agent, skill or IVR id; empty = default satisfaction
	Media
	Recording
}

// ConsultRequest starts or cancels a consultation.
type ConsultRequest struct {
	Header
	UUID          string      `json:"uuid"`
	Mode          ConsultMode `json:"type"`
	ConsultType   PartyType   `json:"consult_type"`
	ConsultNumber string      `json:"consult_number"`
	Media
	Recording
}

// ConsultToTransRequest transfers to the consulted party before it answers.
type ConsultToTransRequest struct {
	Header
	ConsultUUID string `json:"consult_uuid"`
}

// ThreeWayRequest brings a third party into a call.
type ThreeWayRequest struct {
	Header
	UUID           string    `json:"uuid"`
	ThreeWayType   PartyType `json:"three_way_type"`
	ThreeWayNumber string    `json:"three_way_number"`
	Media
	Recording
}

// EavesdropRequest lets a supervisor listen to another agent's call.
type EavesdropRequest struct {
	Header
	Operated
}

// WhisperRequest lets a supervisor speak to an agent unheard by the customer.
type WhisperRequest struct {
	Header
	Operated
}

// DTMFRequest sends digits into a call.
type DTMFRequest struct {
	Header
	UUID     string    `json:"uuid"`
	Content  string    `json:"content"`
	DTMFType *DTMFType `json:"dtmf_type,omitempty"`
}

// SubstituteRequest lets a supervisor pick up another agent's ringing call.
type SubstituteRequest struct {
	Header
	Operated
}

// ForceCallRequest lets a supervisor barge into another agent's call.
type ForceCallRequest struct {
	Header
	Operated
}

// InterruptCallRequest lets a supervisor hang up another agent's call.
type InterruptCallRequest struct {
	Header
	Operated
}

// AnswerRequest answers a ringing inbound call (listed as pickup in the spec's table).
type AnswerRequest struct {
	Header
	UUID string `json:"uuid"`
	Media
	CallinChannel CallinChannel `json:"callin_channel,omitempty"`
}

// PlayRecordRequest plays a recording into the agent's call.
type PlayRecordRequest struct {
	Header
	FilePath string `json:"file_path"`
	UUID     string `json:"uuid,omitempty"`
	Media
}

// PlayRecordControlRequest controls a playback started by play_record.
type PlayRecordControlRequest struct {
	Header
	UUID        string     `json:"uuid"`
	Action      PlayAction `json:"action"`
	SpeedValue  *int       `json:"speed_value,omitempty"`
	VolumeValue *int       `json:"volume_value,omitempty"`
	SeekValue   *int       `json:"seek_value,omitempty"` // milliseconds
}

// PreviewOutCallRequest dials a customer of a preview-outbound task.
type PreviewOutCallRequest struct {
	Header
	Media
	Recording
	TaskID       string `json:"task_id"`
	NumberID     string `json:"number_id"`
	ClientNumber string `json:"client_number"`
	CurrentTimes int    `json:"current_times"`
}

// GetStatusRequest asks for the agent's status, call uuid and parties. It is
// the platform server's (not in the 7.0.0 spec) and may be sent before
// check-in when a token is known (HTTP get-token).
type GetStatusRequest struct{ Header }

// Type implementations: one line each, so a request's msg_type is never wrong.

func (*ToggleServiceModeRequest) Type() MsgType { return MsgToggleServiceMode }
func (*CheckinRequest) Type() MsgType           { return MsgCheckin }
func (*CheckoutRequest) Type() MsgType          { return MsgCheckout }
func (*PingRequest) Type() MsgType              { return MsgPing }
func (*CallRequest) Type() MsgType              { return MsgCall }
func (*ChangeMediaRequest) Type() MsgType       { return MsgChangeMedia }
func (*ChangeStatusRequest) Type() MsgType      { return MsgChangeStatus }
func (*HoldRequest) Type() MsgType              { return MsgHold }
func (*MuteRequest) Type() MsgType              { return MsgMute }
func (*HangupRequest) Type() MsgType            { return MsgHangup }
func (*TransRequest) Type() MsgType             { return MsgTrans }
func (*ConsultRequest) Type() MsgType           { return MsgConsult }
func (*ConsultToTransRequest) Type() MsgType    { return MsgConsultToTrans }
func (*ThreeWayRequest) Type() MsgType          { return MsgThreeWay }
func (*EavesdropRequest) Type() MsgType         { return MsgEavesdrop }
func (*WhisperRequest) Type() MsgType           { return MsgWhisper }
func (*DTMFRequest) Type() MsgType              { return MsgDTMF }
func (*SubstituteRequest) Type() MsgType        { return MsgSubstitute }
func (*ForceCallRequest) Type() MsgType         { return MsgForceCall }
func (*InterruptCallRequest) Type() MsgType     { return MsgInterruptCall }
func (*AnswerRequest) Type() MsgType            { return MsgAnswer }
func (*PlayRecordRequest) Type() MsgType        { return MsgPlayRecord }
func (*PlayRecordControlRequest) Type() MsgType { return MsgPlayRecordControl }
func (*PreviewOutCallRequest) Type() MsgType    { return MsgPreviewOutCall }
func (*GetStatusRequest) Type() MsgType         { return MsgGetStatus }

// newRequest returns an empty request of type t, or nil for an unknown type.
func newRequest(t MsgType) Request {
	switch t {
	case MsgToggleServiceMode:
		return &ToggleServiceModeRequest{}
	case MsgCheckin:
		return &CheckinRequest{}
	case MsgCheckout:
		return &CheckoutRequest{}
	case MsgPing:
		return &PingRequest{}
	case MsgCall:
		return &CallRequest{}
	case MsgChangeMedia:
		return &ChangeMediaRequest{}
	case MsgChangeStatus:
		return &ChangeStatusRequest{}
	case MsgHold:
		return &HoldRequest{}
	case MsgMute:
		return &MuteRequest{}
	case MsgHangup:
		return &HangupRequest{}
	case MsgTrans:
		return &TransRequest{}
	case MsgConsult:
		return &ConsultRequest{}
	case MsgConsultToTrans:
		return &ConsultToTransRequest{}
	case MsgThreeWay:
		return &ThreeWayRequest{}
	case MsgEavesdrop:
		return &EavesdropRequest{}
	case MsgWhisper:
		return &WhisperRequest{}
	case MsgDTMF:
		return &DTMFRequest{}
	case MsgSubstitute:
		return &SubstituteRequest{}
	case MsgForceCall:
		return &ForceCallRequest{}
	case MsgInterruptCall:
		return &InterruptCallRequest{}
	case MsgAnswer, MsgPickup:
		return &AnswerRequest{}
	case MsgPlayRecord:
		return &PlayRecordRequest{}
	case MsgPlayRecordControl:
		return &PlayRecordControlRequest{}
	case MsgPreviewOutCall:
		return &PreviewOutCallRequest{}
	case MsgGetStatus:
		return &GetStatusRequest{}
	}
	return nil
}

// Ptr returns a pointer to v, for the optional fields of a request.
func Ptr[T any](v T) *T { return &v }
