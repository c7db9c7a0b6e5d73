package abi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Each error the SDK returns has its status, wrapped or not; TLS wins
// over NOT_CONNECTED (a dial that failed on TLS is both).
func TestStatusOf(t *testing.T) {
	begin(t)
	wrap := func(err error) error { return fmt.Errorf("checkin: %w", err) }
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, ccOK},
		{&httpapi.StatusError{Call: "get-token", StatusCode: 502}, ccHTTP},
		{session.ErrClosed, ccClosed},
		{errBusy, ccBusy},
		{fmt.Errorf("%w: %w", httpapi.ErrNotConnected, httpapi.ErrTLS), ccTLS},
		{session.ErrNotConnected, ccNotConnected},
		{httpapi.ErrNotConnected, ccNotConnected},
		{session.ErrNotCheckedIn, ccNotCheckedIn},
		{session.ErrTimeout, ccTimeout},
		{context.DeadlineExceeded, ccTimeout},
		{session.ErrConnectionLost, ccConnectionLost},
		{agent.ErrMuteNeedsRTC, ccUnsupported},
		{agent.ErrNoRTC, ccUnsupported},
		{agent.ErrNoCall, ccInvalidArgument},
		{agent.ErrNotAnswered, ccInvalidArgument},
		{errBadMediaParam, ccInvalidArgument},
		{sdkerr.ErrInvalidArgument, ccInvalidArgument},
		{rtc.ErrInvalidArgument, ccInvalidArgument},
		{&agent.ConfigError{Field: "LogLevel"}, ccInvalidArgument},
		{protocol.ErrMalformed, ccInvalidArgument},
		{protocol.ErrUnknownType, ccInvalidArgument},
		{protocol.ErrMissingField, ccInvalidArgument},
		{agent.ErrNoHTTP, ccInvalidArgument},
		{fmt.Errorf("%w: rtc: register: index out of range", sdkerr.ErrInternal), ccInternal},
		{fmt.Errorf("%w (%w)", session.ErrConnectionLost, sdkerr.ErrInternal), ccConnectionLost},
		{errors.New("something else"), ccInternal},
	} {
		if got := statusOf(c.err); got != c.want {
			t.Errorf("statusOf(%v) = %d, want %d", c.err, got, c.want)
		}
		if c.err != nil {
			if got := statusOf(wrap(c.err)); got != c.want {
				t.Errorf("statusOf(wrapped %v) = %d, want %d", c.err, got, c.want)
			}
		}
	}
}

// The error JSON: code is the status as a string, msg the status's text
// in the client's language (Chinese unless it starts with "en") and the
// error's detail; extra fields join it.
func TestErrorJSON(t *testing.T) {
	begin(t)
	err := errors.New("detail")
	for _, c := range []struct {
		lang, want string
	}{
		{"", `{"code":"-3","msg":"请求超时: detail","req_id":"r1"}`},
		{"zh-CN", `{"code":"-3","msg":"请求超时: detail","req_id":"r1"}`},
		{"en-US", `{"code":"-3","msg":"request timed out: detail","req_id":"r1"}`},
		{"EN", `{"code":"-3","msg":"request timed out: detail","req_id":"r1"}`},
	} {
		if got := string(errorJSON(ccTimeout, c.lang, err, map[string]any{"req_id": "r1"})); got != c.want {
			t.Errorf("%q: %s, want %s", c.lang, got, c.want)
		}
	}
	if got := string(errorJSON(ccInvalidHandle, "en", nil, nil)); got != `{"code":"-2","msg":"invalid client handle"}` {
		t.Errorf("no error: %s", got)
	}
	for st := range statusText {
		if st >= 0 || st < -99 {
			t.Errorf("status %d: an SDK-side code must be negative (server codes are not)", st)
		}
	}
}

// Everything handed out goes through out: secrets by key and by the
// values the client learned are redacted, except the fields that carry one
// on purpose (check-in's ext_pwd and token, get-token's token); the text is
// valid UTF-8.
func TestOutRedacts(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`)
	c := lookup(id)
	c.secrets.Learn("s3cret-pass")
	got := string(c.out([]byte(`{"agent_pwd":"x","msg":"bad s3cret-pass","token":"t0ken-value"}`), nil))
	if want := `{"agent_pwd":"***","msg":"bad ***","token":"***"}`; got != want {
		t.Errorf("out: %s, want %s", got, want)
	}
	checkin := []byte(`{"msg_type":"checkin","ext_pwd":"e-pass","token":"t0ken-value","agent_pwd":"x"}`)
	if got, want := string(c.out(checkin, keepFor(&protocol.CheckinReply{}))),
		`{"msg_type":"checkin","ext_pwd":"e-pass","token":"t0ken-value","agent_pwd":"***"}`; got != want {
		t.Errorf("check-in reply: %s, want %s", got, want)
	}
	if got := string(c.out([]byte("{\"msg\":\"\xff\"}"), nil)); got != `{"msg":"`+"\ufffd"+`"}` {
		t.Errorf("invalid UTF-8 handed out: %q", got)
	}
	// An error whose detail carries a learned secret (a server echoing it).
	r := fail(c, ccHTTP, errors.New("refused s3cret-pass"), nil)
	if m := decode(t, r.JSON); m["msg"] != "HTTP call failed: refused ***" {
		t.Errorf("error JSON: %s", r.JSON)
	}
	// Before a handle resolves (nil client): by key only.
	if got := string((*client)(nil).out([]byte(`{"token":"t0ken-value","msg":"s3cret-pass"}`), nil)); got != `{"token":"***","msg":"s3cret-pass"}` {
		t.Errorf("nil client: %s", got)
	}
}
