package main

import (
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
	b, err := marshalEvent(c, ev)
	if err != nil {
		return nil, err
	}
	return c.out(b, nil), nil
}

func marshalEvent(c *client, ev session.Event) ([]byte, error) {
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
		m := map[string]any{"msg_type": string(e.Type())}
		if e.Reply != nil {
			// The new link's token and ext_pwd are the client's business:
			// learned here, redacted from the event.
			c.learn(e.Reply)
			r, err := protocol.MarshalMessage(e.Reply)
			if err != nil {
				return nil, err
			}
			m["reply"] = json.RawMessage(r)
		}
		if e.Err != nil {
			m["error"] = e.Err.Error()
		}
		return json.Marshal(m)
	case *session.DroppedEvent:
		return json.Marshal(map[string]any{"msg_type": string(e.Type()), "dropped": e.Dropped,
			"dropped_total": e.Total, "queue": "callback", "reason": e.Reason})
	case *agent.LogEvent:
		return json.Marshal(map[string]any{"msg_type": string(e.Type()), "time": e.Time, "level": e.Level,
			"message": e.Message, "attrs": e.Attrs})
	case *agent.RTCRegistrationEvent, *agent.RTCCallEvent, *agent.ConnectivityEvent, *agent.RTCDTMFEvent, *agent.RTCStatsEvent:
		// RTC events marshal as they are, msg_type included.
		return json.Marshal(e)
	}
	return nil, fmt.Errorf("unknown event %T", ev)
}
