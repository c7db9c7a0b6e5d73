package abi

import (
	"errors"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// eventJSON writes an event as the ABI promises: "msg_type" plus the
// normalized fields; server events also carry "raw". Secrets are redacted
// (an event never carries one on purpose) and the text is valid UTF-8.
func (c *client) eventJSON(ev session.Event) ([]byte, error) {
	b, err := marshalEvent(ev)
	if err != nil {
		return nil, err
	}
	return c.out(b, nil), nil
}

func marshalEvent(ev session.Event) ([]byte, error) {
	switch e := ev.(type) {
	case protocol.Message:
		return protocol.MarshalMessage(e)
	case *session.StateEvent:
		m := map[string]any{"msg_type": string(e.Type()), "state": e.State.String()}
		if e.Reason != "" {
			m["reason"] = e.Reason
		}
		if e.Attempt > 0 {
			m["attempt"] = e.Attempt
			m["delay_ms"] = e.Delay.Milliseconds()
		}
		return json.Marshal(m)
	case *session.RestoredEvent:
		// The check-in reply (token, ext_pwd) stays inside the library.
		m := map[string]any{"msg_type": string(e.Type())}
		if e.Err != nil {
			m["error"] = e.Err.Error()
			var se *protocol.ServerError
			if errors.As(e.Err, &se) {
				m["code"], m["msg"] = se.Code, se.Msg
			}
			return json.Marshal(m)
		}
		m["status"], m["resynced"] = string(e.Status), e.Resynced
		if e.SubStatus != "" {
			m["sub_status"] = string(e.SubStatus)
		}
		if e.UUID != "" {
			m["uuid"] = e.UUID
		}
		if len(e.InCallNumbers) > 0 {
			m["in_call_numbers"] = e.InCallNumbers
		}
		return json.Marshal(m)
	case *session.DroppedEvent:
		return json.Marshal(map[string]any{"msg_type": string(e.Type()), "dropped": e.Dropped,
			"dropped_total": e.Total, "queue": "callback", "reason": e.Reason})
	case *session.RefusalEvent:
		return json.Marshal(e)
	case *agent.LogEvent:
		return json.Marshal(map[string]any{"msg_type": string(e.Type()), "time": e.Time, "level": e.Level,
			"message": e.Message, "attrs": e.Attrs})
	case *agent.RTCRegistrationEvent, *agent.RTCCallEvent, *agent.ConnectivityEvent, *agent.RTCDTMFEvent, *agent.RTCStatsEvent,
		*agent.CallQualityWarningEvent:
		// RTC events marshal as they are, msg_type included.
		return json.Marshal(e)
	case *agent.AudioDevicesChangedEvent, *agent.AudioDeviceFallbackEvent, *agent.AudioDeviceErrorEvent:
		// Sound device events too.
		// RTC events marshal as they are, msg_type included.
		return json.Marshal(e)
	}
	return nil, fmt.Errorf("unknown event %T", ev)
}
