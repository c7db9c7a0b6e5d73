package protocol

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on.
var (
	// ErrMalformed: the frame is not a JSON object, or a field cannot be read.
	ErrMalformed = errors.New("protocol: malformed message")
	// ErrUnknownType: the msg_type is not one of the spec's requests.
	ErrUnknownType = errors.New("protocol: unknown msg_type")
	// ErrMissingField: a request lacks a field the spec requires.
	ErrMissingField = errors.New("protocol: missing required field")
)

// Codes the platform's server answers with (its SdkErrCode; docs/platform.md).
// A code is kept as the string received; these are the ones callers branch on.
const (
	CodeOK                 = "0"
	CodeUUIDNotFound       = "4000" // uuid不存在
	CodeAgentInvalid       = "4001" // also three_way / force_call refusals
	CodeParamError         = "4002" // a required field is missing (no req_id)
	CodeAuthFailed         = "4003" // token refused, or the link is not checked in (then the link is closed)
	CodeBadPassword        = "4004"
	CodeNoBoundExtension   = "4005"
	CodeNotCheckedIn       = "4009"
	CodeCheckedInElsewhere = "4010"
	CodeExtensionOffline   = "4011"
	CodeWrongExtension     = "4012" // ext_id is not the agent's bound extension
	CodeForcedCheckout     = "4013"
	CodeMsgTypeInvalid     = "4014" // the server has no handler (e.g. mute)
	CodeNotInCall          = "4016"
	CodeHTTPAuthFailed     = "403" // HTTP: {"code":403,"message":"鉴权不通过!"}
)

// Kinds of server refusal, for errors.Is on a *ServerError.
var (
	// ErrNotAuthorized: the token was refused or the agent is not checked in
	// (codes 4003, 4009, HTTP 403). A WebSocket link refused with 4003 is
	// closed by the server.
	ErrNotAuthorized = errors.New("cloudcc: not authorized (token refused or not checked in)")
	// ErrBadPassword: wrong agent id or password (4004).
	ErrBadPassword = errors.New("cloudcc: wrong agent id or password")
	// ErrCheckedInElsewhere: the agent is checked in on another device (4010).
	ErrCheckedInElsewhere = errors.New("cloudcc: the agent is checked in elsewhere")
	// ErrWrongExtension: ext_id is not the agent's bound extension (4012), or
	// the agent has none (4005).
	ErrWrongExtension = errors.New("cloudcc: the extension is not the one bound to the agent")
	// ErrUnsupportedMsgType: the server has no handler for the msg_type (4014).
	ErrUnsupportedMsgType = errors.New("cloudcc: the server does not support this msg_type")
)

// ServerError is a reply whose code is not "0": the server refused the request.
type ServerError struct {
	MsgType MsgType
	Code    string
	Msg     string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("cloudcc: %s refused (code %s): %s", e.MsgType, e.Code, e.Msg)
}

// Is matches the refusal kinds above by code, so errors.Is(err,
// ErrBadPassword) works on any error wrapping a *ServerError.
func (e *ServerError) Is(target error) bool {
	switch target {
	case ErrNotAuthorized:
		return e.Code == CodeAuthFailed || e.Code == CodeNotCheckedIn || e.Code == CodeHTTPAuthFailed
	case ErrBadPassword:
		return e.Code == CodeBadPassword
	case ErrCheckedInElsewhere:
		return e.Code == CodeCheckedInElsewhere
	case ErrWrongExtension:
		return e.Code == CodeWrongExtension || e.Code == CodeNoBoundExtension
	case ErrUnsupportedMsgType:
		return e.Code == CodeMsgTypeInvalid
	}
	return false
}
