// Package main is the C ABI of the CloudCC Agent SDK (include/cloudcc.h),
// built with -buildmode=c-shared. Every export resolves its handle through
// the handle table, recovers panics into CC_ERR_INTERNAL, and hands strings
// out with C.CString, released only by cc_string_free.
package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"
	"unsafe"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

func main() {}

// guard turns a panic into CC_ERR_INTERNAL: a Go panic must never reach the
// host process. It is deferred first in every export.
func guard(status *C.int, out **C.char) {
	if r := recover(); r != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("cloudcc: internal error contained",
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*status = ccInternal
		if out != nil {
			var none *client
			*out = C.CString(string(none.out(errorJSON(ccInternal, "", fmt.Errorf("%v", r), nil), nil)))
		}
	}
}

// setOut hands b to the host through out (when not NULL), prepared by
// c.out (c may be nil before the handle is resolved).
func setOut(c *client, out **C.char, b []byte, keep map[string]bool) {
	if out != nil {
		*out = C.CString(string(c.out(b, keep)))
	}
}

func clearOut(out **C.char) {
	if out != nil {
		*out = nil
	}
}

func goString(s *C.char) (string, bool) {
	if s == nil {
		return "", false
	}
	return C.GoString(s), true
}

//export cc_version
func cc_version() *C.char { return (*C.char)(unsafe.Pointer(C.cc_bridge_version())) }

//export cc_status_str
func cc_status_str(status C.int) *C.char {
	return (*C.char)(unsafe.Pointer(C.cc_bridge_status_str(status)))
}

//export cc_client_new
func cc_client_new(config *C.char, out **C.cc_client_t, errJSON **C.char) (status C.int) {
	defer guard(&status, errJSON)
	clearOut(errJSON)
	if out == nil {
		setOut(nil, errJSON, errorJSON(ccInvalidArgument, "", errors.New("out is NULL"), nil), nil)
		return ccInvalidArgument
	}
	*out = nil
	cfg, ok := goString(config)
	if !ok {
		setOut(nil, errJSON, errorJSON(ccInvalidArgument, "", errors.New("config_json is NULL"), nil), nil)
		return ccInvalidArgument
	}
	c, err := newClient([]byte(cfg))
	if err != nil {
		st := statusOf(err)
		setOut(nil, errJSON, errorJSON(st, "", err, nil), nil)
		return C.int(st)
	}
	*out = C.cc_handle_of(C.uintptr_t(register(c)))
	return ccOK
}

//export cc_client_free
func cc_client_free(h *C.cc_client_t) {
	var status C.int
	defer guard(&status, nil)
	if c := unregister(h); c != nil {
		c.close()
	}
}

//export cc_client_set_event_callback
func cc_client_set_event_callback(h *C.cc_client_t, fn C.cc_event_fn, ud C.uintptr_t) (status C.int) {
	defer guard(&status, nil)
	c := lookup(h)
	if c == nil {
		return ccInvalidHandle
	}
	c.setCallback(fn, ud)
	return ccOK
}

//export cc_client_poll_event
func cc_client_poll_event(h *C.cc_client_t, timeoutMS C.int, eventJSON **C.char) (status C.int) {
	defer guard(&status, nil)
	clearOut(eventJSON)
	c := lookup(h)
	if c == nil {
		return ccInvalidHandle
	}
	if eventJSON == nil {
		return ccInvalidArgument
	}
	timeout := time.Duration(timeoutMS) * time.Millisecond
	if timeoutMS < 0 {
		timeout = -1
	}
	b, err := c.poll(timeout)
	if err != nil {
		return C.int(statusOf(err))
	}
	*eventJSON = C.CString(string(b)) // prepared by client.out when queued
	return ccOK
}

// request runs one request and returns the status and the reply (or
// error) JSON, ready for the host; blocking is set for cc_client_request,
// whose caller is a host thread parked inside cgo (see session.WithSpinWait).
func (c *client) request(reqJSON string, timeoutMS int, blocking bool) (int, []byte) {
	req, err := protocol.DecodeRequest([]byte(reqJSON))
	if err != nil {
		return ccInvalidArgument, c.out(errorJSON(ccInvalidArgument, c.lang, err, nil), nil)
	}
	ctx := context.Background()
	if blocking {
		ctx = session.WithSpinWait(ctx)
	}
	if timeoutMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeoutMS)*time.Millisecond)
		defer cancel()
	}
	rep, err := c.ag.Do(ctx, req)
	if rep != nil { // the server answered, whatever its code
		b, merr := protocol.MarshalMessage(rep)
		if merr != nil {
			return ccInternal, c.out(errorJSON(ccInternal, c.lang, merr, nil), nil)
		}
		return ccOK, c.out(b, keepFor(rep))
	}
	st := statusOf(err)
	h := req.RequestHeader()
	return st, c.out(errorJSON(st, c.lang, err, map[string]any{"msg_type": string(req.Type()), "req_id": h.ReqID}), nil)
}

//export cc_client_request
func cc_client_request(h *C.cc_client_t, reqJSON *C.char, timeoutMS C.int, replyJSON **C.char) (status C.int) {
	defer guard(&status, replyJSON)
	clearOut(replyJSON)
	c := lookup(h)
	if c == nil {
		setOut(nil, replyJSON, errorJSON(ccInvalidHandle, "", nil, nil), nil)
		return ccInvalidHandle
	}
	js, ok := goString(reqJSON)
	if !ok {
		setOut(c, replyJSON, errorJSON(ccInvalidArgument, c.lang, errors.New("request_json is NULL"), nil), nil)
		return ccInvalidArgument
	}
	st, b := c.request(js, int(timeoutMS), true)
	if replyJSON != nil {
		*replyJSON = C.CString(string(b))
	}
	return C.int(st)
}

//export cc_client_request_async
func cc_client_request_async(h *C.cc_client_t, reqJSON *C.char, timeoutMS C.int, fn C.cc_reply_fn, ud C.uintptr_t) (status C.int) {
	defer guard(&status, nil)
	c := lookup(h)
	if c == nil {
		return ccInvalidHandle
	}
	js, ok := goString(reqJSON)
	if !ok || fn == nil {
		return ccInvalidArgument
	}
	if _, err := protocol.DecodeRequest([]byte(js)); err != nil {
		return ccInvalidArgument
	}
	// Counted before the goroutine exists: a cc_client_free from now on
	// waits for this callback (it used to miss a goroutine not yet started
	// and return while the callback was still to come).
	if err := c.startAsync(); err != nil {
		return C.int(statusOf(err))
	}
	go func() {
		defer c.endAsync()
		var st int
		var b []byte
		func() {
			defer func() {
				if r := recover(); r != nil {
					st, b = ccInternal, c.out(errorJSON(ccInternal, c.lang, fmt.Errorf("%v", r), nil), nil)
				}
			}()
			st, b = c.request(js, int(timeoutMS), false)
		}()
		cs := C.CString(string(b))
		defer C.free(unsafe.Pointer(cs))
		C.cc_bridge_call_reply(fn, ud, C.int(st), cs, C.uintptr_t(c.id))
	}()
	return ccOK
}

//export cc_client_http
func cc_client_http(h *C.cc_client_t, name *C.char, paramsJSON *C.char, timeoutMS C.int, replyJSON **C.char) (status C.int) {
	defer guard(&status, replyJSON)
	clearOut(replyJSON)
	c := lookup(h)
	if c == nil {
		setOut(nil, replyJSON, errorJSON(ccInvalidHandle, "", nil, nil), nil)
		return ccInvalidHandle
	}
	call, ok := goString(name)
	if !ok {
		setOut(c, replyJSON, errorJSON(ccInvalidArgument, c.lang, errors.New("name is NULL"), nil), nil)
		return ccInvalidArgument
	}
	params := map[string]any{}
	if js, ok := goString(paramsJSON); ok && js != "" {
		if err := json.Unmarshal([]byte(js), &params); err != nil || params == nil {
			setOut(c, replyJSON, errorJSON(ccInvalidArgument, c.lang, errors.New("params_json is not a JSON object"), nil), nil)
			return ccInvalidArgument
		}
	}
	str := func(k string) string {
		switch v := params[k].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(v)
		}
		return ""
	}
	ctx := context.Background()
	if timeoutMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeoutMS)*time.Millisecond)
		defer cancel()
	}
	var rep protocol.Message
	var err error
	switch call {
	case "get-token":
		pwd := str("agent_pwd")
		if pwd == "" {
			pwd = str("aagent_pwd")
		}
		var r *protocol.TokenReply
		r, err = c.ag.GetToken(ctx, &protocol.GetTokenRequest{ReqID: str("req_id"), CompanyCode: str("company_code"),
			AgentID: str("agent_id"), AgentPwd: protocol.Secret(pwd), OS: str("os")})
		if r != nil {
			rep = r
		}
	case "get-skill-service-list":
		var r *protocol.SkillServiceList
		r, err = c.ag.GetSkillServiceList(ctx, str("company_code"), str("service_name"))
		if r != nil {
			rep = r
		}
	case "get-ivr-service-list":
		var r *protocol.IVRServiceList
		r, err = c.ag.GetIVRServiceList(ctx, str("company_code"), str("service_name"))
		if r != nil {
			rep = r
		}
	default:
		setOut(c, replyJSON, errorJSON(ccInvalidArgument, c.lang, fmt.Errorf("unknown HTTP call %q (want get-token, get-skill-service-list or get-ivr-service-list)", call), nil), nil)
		return ccInvalidArgument
	}
	if rep != nil {
		b, merr := protocol.MarshalMessage(rep)
		if merr != nil {
			setOut(c, replyJSON, errorJSON(ccInternal, c.lang, merr, nil), nil)
			return ccInternal
		}
		setOut(c, replyJSON, b, keepFor(rep))
		return ccOK
	}
	st := statusOf(err)
	var extra map[string]any
	var he *httpapi.StatusError
	if errors.As(err, &he) {
		extra = map[string]any{"http_status": he.StatusCode}
	}
	setOut(c, replyJSON, errorJSON(st, c.lang, err, extra), nil)
	return C.int(st)
}

//export cc_string_free
func cc_string_free(s *C.char) {
	if s != nil {
		C.free(unsafe.Pointer(s))
	}
}
