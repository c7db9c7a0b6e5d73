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

// ServerError is a reply whose code is not "0": the server refused the request.
type ServerError struct {
	MsgType MsgType
	Code    string
	Msg     string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("cloudcc: %s refused (code %s): %s", e.MsgType, e.Code, e.Msg)
}
