package protocol

import json "github.com/goccy/go-json"

// HTTP paths of the SDK interface, relative to its base URL.
const (
	PathGetToken            = "/cloudcc-sdk-interface/openapi/get-token"
	PathGetSkillServiceList = "/cloudcc-sdk-interface/openapi/get-skill-service-list"
	PathGetIVRServiceList   = "/cloudcc-sdk-interface/openapi/get-ivr-service-list"
)

// GetTokenRequest asks for a token without checking in (quality-inspection tools).
type GetTokenRequest struct {
	ReqID       string  `json:"req_id"`
	MsgType     MsgType `json:"msg_type"`
	CompanyCode string  `json:"company_code"`
	AgentID     string  `json:"agent_id"`
	AgentPwd    Secret  `json:"agent_pwd"`
	OS          string  `json:"os"`
}

// MarshalJSON sends the password under both the spec's documented key
// (aagent_pwd) and its evident intent (agent_pwd).
func (r GetTokenRequest) MarshalJSON() ([]byte, error) {
	type plain GetTokenRequest
	return json.Marshal(struct {
		plain
		AAgentPwd Secret `json:"aagent_pwd"`
	}{plain(r), r.AgentPwd})
}

// TokenReply is get_token's reply.
type TokenReply struct {
	ReplyHeader
	Token Secret `json:"token"`
}

// SkillService is one entry of the skill (人工服务) list.
type SkillService struct {
	SkillID   string `json:"skill_id"`
	SkillName string `json:"skill_name"`
}

// IVRService is one entry of the IVR service list.
type IVRService struct {
	IVRServiceID   string `json:"ivr_service_id"`
	IVRServiceName string `json:"ivr_service_name"`
}

// ListHeader holds the fields of the list calls' replies.
type ListHeader struct {
	Code        string `json:"code"`
	Msg         string `json:"msg"`
	CompanyCode string `json:"company_code,omitempty"`
	rawHolder
}

// OK reports whether the server answered with code "0".
func (h *ListHeader) OK() bool { return h.Code == "0" }

// Err returns a *ServerError when the server refused the call, else nil.
func (h *ListHeader) Err(call string) error {
	if h.OK() {
		return nil
	}
	return &ServerError{MsgType: MsgType(call), Code: h.Code, Msg: h.Msg}
}

// SkillServiceList is get-skill-service-list's reply.
type SkillServiceList struct {
	ListHeader
	Data []SkillService `json:"data"`
}

// IVRServiceList is get-ivr-service-list's reply.
type IVRServiceList struct {
	ListHeader
	Data []IVRService `json:"data"`
}

// DecodeTokenReply decodes get_token's reply body tolerantly.
func DecodeTokenReply(b []byte) (*TokenReply, error) {
	r := &TokenReply{}
	if err := decodeInto(b, r); err != nil {
		return nil, err
	}
	r.MsgType = normalizeType(r.MsgType)
	r.setRaw(b)
	return r, nil
}

// DecodeSkillServiceList decodes get-skill-service-list's reply body tolerantly.
func DecodeSkillServiceList(b []byte) (*SkillServiceList, error) {
	r := &SkillServiceList{}
	if err := decodeInto(b, r); err != nil {
		return nil, err
	}
	r.setRaw(b)
	return r, nil
}

// DecodeIVRServiceList decodes get-ivr-service-list's reply body tolerantly.
func DecodeIVRServiceList(b []byte) (*IVRServiceList, error) {
	r := &IVRServiceList{}
	if err := decodeInto(b, r); err != nil {
		return nil, err
	}
	r.setRaw(b)
	return r, nil
}

// Type names the HTTP call the list answers.
func (*SkillServiceList) Type() MsgType { return "get_skill_service_list" }

// Type names the HTTP call the list answers.
func (*IVRServiceList) Type() MsgType { return "get_ivr_service_list" }
