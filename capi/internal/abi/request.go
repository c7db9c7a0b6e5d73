package abi

import (
	"context"
	"errors"
	"fmt"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Request is cc_client_request: one request, its reply (or error) JSON.
func Request(id uintptr, req Str, timeoutMS int) Result {
	return call(id, func(c *client) Result {
		if req.Null {
			return fail(c, ccInvalidArgument, errors.New("request_json is NULL"), nil)
		}
		return c.request(req.S, timeoutMS, true)
	})
}

// RequestAsync is cc_client_request_async: the request runs on its own
// goroutine and fn gets its outcome, exactly once, unless the request is
// refused here (a status other than CC_OK).
func RequestAsync(id uintptr, req Str, timeoutMS int, fn ReplyFunc) int {
	return call(id, func(c *client) Result {
		if req.Null || fn == nil {
			return Result{Status: ccInvalidArgument}
		}
		r, err := protocol.DecodeRequest([]byte(req.S))
		if err != nil {
			return Result{Status: ccInvalidArgument}
		}
		// Counted before the goroutine exists: a Free from now on waits for
		// this callback (it used to miss a goroutine not yet started and
		// return while the callback was still to come).
		if err := c.startAsync(); err != nil {
			return Result{Status: statusOf(err)}
		}
		go c.requestAsync(r, timeoutMS, fn) // decoded once, here
		return Result{Status: ccOK}
	}).Status
}

// requestAsync runs an async request on its own goroutine and queues its
// outcome for the client's deliverer (replies.go), which calls fn.
func (c *client) requestAsync(req protocol.Request, timeoutMS int, fn ReplyFunc) {
	var r Result
	func() {
		defer func() {
			if p := recover(); p != nil {
				r = fail(c, ccInternal, fmt.Errorf("%v", p), nil)
			}
		}()
		r = c.do(req, timeoutMS, false)
	}()
	c.replies.Push(reply{fn: fn, r: r})
}

// request runs one request and returns the status and the reply (or
// error) JSON, ready for the host; blocking is set for cc_client_request,
// whose caller is a host thread parked inside cgo (see session.WithSpinWait).
func (c *client) request(reqJSON string, timeoutMS int, blocking bool) Result {
	req, err := protocol.DecodeRequest([]byte(reqJSON))
	if err != nil {
		return fail(c, ccInvalidArgument, err, nil)
	}
	return c.do(req, timeoutMS, blocking)
}

// spinCtx marks the requests of host threads parked inside cgo: made once.
var spinCtx = session.WithSpinWait(context.Background())

// do runs a decoded request (see request).
func (c *client) do(req protocol.Request, timeoutMS int, blocking bool) Result {
	ctx := context.Background()
	if blocking {
		ctx = spinCtx
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
			return fail(c, ccInternal, merr, nil)
		}
		return Result{ccOK, c.out(b, keepFor(rep))}
	}
	st := statusOf(err)
	h := req.RequestHeader()
	return fail(c, st, err, map[string]any{"msg_type": string(req.Type()), "req_id": h.ReqID})
}

// HTTP is cc_client_http: one call of the SDK HTTP interface by name.
func HTTP(id uintptr, name, params Str, timeoutMS int) Result {
	return call(id, func(c *client) Result {
		if name.Null {
			return fail(c, ccInvalidArgument, errors.New("name is NULL"), nil)
		}
		p := map[string]any{}
		if !params.Null && params.S != "" {
			if err := json.Unmarshal([]byte(params.S), &p); err != nil || p == nil {
				return fail(c, ccInvalidArgument, errors.New("params_json is not a JSON object"), nil)
			}
		}
		return c.http(name.S, p, timeoutMS)
	})
}

// http dispatches an HTTP call by name; params are its JSON object.
func (c *client) http(call string, params map[string]any, timeoutMS int) Result {
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
		return fail(c, ccInvalidArgument, fmt.Errorf("unknown HTTP call %q (want get-token, get-skill-service-list or get-ivr-service-list)", call), nil)
	}
	if rep != nil {
		b, merr := protocol.MarshalMessage(rep)
		if merr != nil {
			return fail(c, ccInternal, merr, nil)
		}
		return Result{ccOK, c.out(b, keepFor(rep))}
	}
	var extra map[string]any
	var he *httpapi.StatusError
	if errors.As(err, &he) {
		extra = map[string]any{"http_status": he.StatusCode}
	}
	return fail(c, statusOf(err), err, extra)
}
