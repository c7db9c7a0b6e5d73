package abi

import (
	"context"
	"errors"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Statuses of cloudcc.h.
const (
	ccOK              = 0
	ccInvalidArgument = -1
	ccInvalidHandle   = -2
	ccTimeout         = -3
	ccNotConnected    = -4
	ccConnectionLost  = -5
	ccClosed          = -6
	ccHTTP            = -7
	ccUnsupported     = -8
	ccTLS             = -9
	ccNotCheckedIn    = -10
	ccBusy            = -11
	ccInternal        = -99
)

// statusOf maps an SDK-side error to its status, in one place.
func statusOf(err error) int {
	var he *httpapi.StatusError
	switch {
	case err == nil:
		return ccOK
	case errors.As(err, &he):
		return ccHTTP
	case errors.Is(err, session.ErrClosed):
		return ccClosed
	case errors.Is(err, errBusy), errors.Is(err, agent.ErrPrecallBusy):
		return ccBusy
	case httpapi.IsTLSFailure(err): // before NOT_CONNECTED: a dial that failed on TLS is both
		return ccTLS
	case errors.Is(err, session.ErrNotConnected), errors.Is(err, httpapi.ErrNotConnected):
		return ccNotConnected
	case errors.Is(err, session.ErrNotCheckedIn):
		return ccNotCheckedIn
	case errors.Is(err, session.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ccTimeout
	case errors.Is(err, session.ErrConnectionLost):
		return ccConnectionLost
	case errors.Is(err, agent.ErrMuteNeedsRTC), errors.Is(err, agent.ErrNoRTC),
		errors.Is(err, audio.ErrNoAudioBackend), errors.Is(err, agent.ErrNoSoundMode):
		return ccUnsupported
	case errors.Is(err, agent.ErrNoCall), errors.Is(err, errBadMediaParam):
		return ccInvalidArgument
	case errors.Is(err, sdkerr.ErrInvalidArgument), // session's, rtc's and httpapi's
		errors.Is(err, protocol.ErrMalformed), errors.Is(err, protocol.ErrUnknownType),
		errors.Is(err, protocol.ErrMissingField), errors.Is(err, agent.ErrNoHTTP):
		return ccInvalidArgument
	}
	// sdkerr.ErrInternal (a contained panic) and anything unknown: an
	// operation's own status above wins (a link lost to a panic is lost).
	return ccInternal
}

// What each status says, in the client's language.
var statusText = map[int][2]string{
	ccInvalidArgument: {"参数无效", "invalid argument"},
	ccInvalidHandle:   {"无效的客户端句柄", "invalid client handle"},
	ccTimeout:         {"请求超时", "request timed out"},
	ccNotConnected:    {"无法连接服务器", "not connected to the server"},
	ccConnectionLost:  {"连接在收到响应前断开，结果未知", "connection lost before the reply; outcome unknown"},
	ccClosed:          {"客户端已关闭", "client closed"},
	ccHTTP:            {"HTTP请求失败", "HTTP call failed"},
	ccUnsupported:     {"当前模式不支持该操作", "not supported in this mode"},
	ccTLS:             {"TLS握手失败（证书无法验证）", "TLS handshake failed (certificate not verified)"},
	ccNotCheckedIn:    {"未签入：没有会话token", "not checked in: no session token"},
	ccBusy:            {"繁忙", "busy"},
	ccInternal:        {"SDK内部错误", "internal SDK error"},
}

// errorJSON is the reply of an SDK-side failure: {"code","msg"} with code
// the status as a string (never "0" or a server code: they are negative).
// The detail comes from the error chain; the caller passes the result
// through client.out, which redacts any secret a server put in it.
func errorJSON(status int, lang string, err error, extra map[string]any) []byte {
	t := statusText[status]
	msg := t[0]
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		msg = t[1]
	}
	if err != nil {
		msg += ": " + err.Error()
	}
	m := map[string]any{"code": strconv.Itoa(status), "msg": msg}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}
