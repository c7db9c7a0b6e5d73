package abi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
)

// cc_client_media "precall_test" (cloudcc.h): the agent's pre-call test.
// It blocks its caller until done (bounded: core/agent precall.go).

type precallParams struct {
	EchoNumber string   `json:"echo_number"`
	Seconds    *float64 `json:"seconds"`
}

func (c *client) precallTest(params []byte) (int, []byte) {
	var p precallParams
	if err := decodeParams("precall_test", params, &p, "echo_number", "seconds"); err != nil {
		if errors.As(err, new(errParamType)) {
			err = fmt.Errorf("%w: precall_test takes {\"echo_number\":string,\"seconds\":number}", errBadMediaParam)
		}
		return ccInvalidArgument, errorJSON(ccInvalidArgument, c.lang, err, nil)
	}
	var d time.Duration
	if p.Seconds != nil {
		s := *p.Seconds
		if math.IsNaN(s) || s <= 0 || s > agent.MaxPrecallDuration.Seconds() {
			return ccInvalidArgument, errorJSON(ccInvalidArgument, c.lang,
				fmt.Errorf("%w: precall_test seconds %v (want more than 0, at most %v)", errBadMediaParam, s, agent.MaxPrecallDuration.Seconds()), nil)
		}
		d = time.Duration(s * float64(time.Second))
	}
	res, err := c.ag.PrecallTest(context.Background(), agent.PrecallOptions{EchoNumber: p.EchoNumber, Duration: d})
	if err != nil {
		st := statusOf(err)
		return st, errorJSON(st, c.lang, err, nil)
	}
	// The reply: "code" and "msg" as every media reply, then the result's
	// fields.
	b, err := json.Marshal(res)
	if err != nil {
		return ccInternal, errorJSON(ccInternal, c.lang, err, nil)
	}
	reply := map[string]json.RawMessage{"code": json.RawMessage(`"0"`), "msg": json.RawMessage(`"success"`)}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return ccInternal, errorJSON(ccInternal, c.lang, err, nil)
	}
	for k, v := range fields {
		reply[k] = v
	}
	out, err := json.Marshal(reply)
	if err != nil {
		return ccInternal, errorJSON(ccInternal, c.lang, err, nil)
	}
	return ccOK, out
}
