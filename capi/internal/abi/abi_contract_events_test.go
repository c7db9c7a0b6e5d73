package abi

// The events of the ABI contract (abi_contract_test.go): a fully set sample
// of each, marshalled as the ABI delivers it.

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// abiEventSamples are the events the ABI delivers, one value per shape,
// every field set by fill. marshalEvent's every case must be among them.
func abiEventSamples(t *testing.T, enums map[string][]any) []session.Event {
	t.Helper()
	var evs []session.Event
	for _, e := range []protocol.Event{&protocol.CallbackEvent{}, &protocol.CallinEvent{}, &protocol.AgentChangeEvent{},
		&protocol.KickOffEvent{}, &protocol.ConnectEvent{}} {
		// Through the decoder, as a server's frame arrives: raw is the frame.
		fill(reflect.ValueOf(e).Elem(), enums)
		m := map[string]any{}
		b, _ := json.Marshal(e)
		_ = json.Unmarshal(b, &m)
		m["msg_type"] = string(eventTypeOf(t, e))
		frame, _ := json.Marshal(m)
		d, err := protocol.DecodeEvent(frame)
		if err != nil || d.Type() != eventTypeOf(t, e) {
			t.Fatalf("decode %s: %v %T", frame, err, d)
		}
		evs = append(evs, d)
	}
	restoredLost := &session.RestoredEvent{Err: fmt.Errorf("restore: %w",
		&protocol.ServerError{MsgType: protocol.MsgCheckin, Code: "4004", Msg: "wrong password"})}
	for _, e := range []session.Event{&session.StateEvent{}, &session.RestoredEvent{}, restoredLost, &session.RefusalEvent{},
		&session.DroppedEvent{}, &agent.LogEvent{}, &agent.RTCRegistrationEvent{}, &agent.RTCCallEvent{},
		&agent.ConnectivityEvent{}, &agent.RTCDTMFEvent{}, &agent.RTCStatsEvent{}, &agent.CallQualityWarningEvent{},
		&agent.AudioDevicesChangedEvent{}, &agent.AudioDeviceFallbackEvent{}, &agent.AudioDeviceErrorEvent{}} {
		if e != restoredLost {
			fill(reflect.ValueOf(e).Elem(), enums)
		}
		if f := reflect.ValueOf(e).Elem().FieldByName("MsgType"); f.IsValid() {
			f.SetString(string(e.Type()))
		}
		switch x := e.(type) {
		case *session.RefusalEvent:
			x.Raw = json.RawMessage(`{"code":"4002","msg":"[uuid]不能为空!"}`)
		case *agent.LogEvent:
			x.Level = "warn" // one of log_level's values, as the SDK writes it
		}
		evs = append(evs, e)
	}
	// Every type marshalEvent takes has a sample.
	have := map[string]bool{}
	for _, e := range evs {
		have[reflect.TypeOf(e).String()] = true
		if _, ok := e.(protocol.Message); ok {
			have["protocol.Message"] = true
		}
	}
	for _, c := range typeSwitchCases(t, filepath.Join(abiRoot(t), abiSources.events), "marshalEvent") {
		if !have[c] {
			t.Errorf("marshalEvent takes %s: the contract has no sample of it (abiEventSamples)", c)
		}
	}
	return evs
}

func eventTypeOf(t *testing.T, e protocol.Event) protocol.MsgType {
	switch e.(type) {
	case *protocol.CallbackEvent:
		return protocol.MsgCallback
	case *protocol.CallinEvent:
		return protocol.MsgCallin
	case *protocol.AgentChangeEvent:
		return protocol.MsgAgentChange
	case *protocol.KickOffEvent:
		return protocol.MsgKickOff
	case *protocol.ConnectEvent:
		return protocol.MsgConnect
	}
	t.Fatalf("no msg_type for %T", e)
	return ""
}

func abiEvents(t *testing.T, root string) []abiEvent {
	t.Helper()
	enums := goConsts(t, filepath.Join(root, abiSources.enums))
	byType := map[string]*abiEvent{}
	var out []*abiEvent
	for _, ev := range abiEventSamples(t, enums) {
		b, err := marshalEvent(ev)
		if err != nil {
			t.Fatalf("marshal %T: %v", ev, err)
		}
		m := decodeNumbers(t, b)
		mt, _ := m["msg_type"].(string)
		if mt != string(ev.Type()) {
			t.Errorf("%T marshals msg_type %q, its Type is %q", ev, mt, ev.Type())
		}
		e := byType[mt]
		if e == nil {
			src := "session"
			switch {
			case strings.HasPrefix(reflect.TypeOf(ev).String(), "*protocol."):
				src = "server"
			case strings.HasPrefix(reflect.TypeOf(ev).String(), "*agent."):
				src = "agent"
			}
			e = &abiEvent{MsgType: mt, Source: src, Fields: map[string]string{}}
			byType[mt] = e
			out = append(out, e)
		}
		e.Samples = append(e.Samples, m)
		for k, v := range m {
			if k == "msg_type" {
				continue
			}
			typ := jsonTypeOfValue(v)
			if old, ok := e.Fields[k]; ok && old != typ {
				t.Errorf("%s.%s is %s in one shape, %s in another", mt, k, old, typ)
			}
			e.Fields[k] = typ
		}
	}
	// Every server push protocol knows is in the contract.
	for _, v := range enums["MsgType"] {
		if s := v.(string); protocol.MsgType(s).IsEvent() && byType[s] == nil {
			t.Errorf("push %q has no sample in the contract", s)
		}
	}
	// The poll queue's note is the callback queue's events_dropped.
	note := decodeNumbers(t, dropNote(1, 1))
	if d := byType[string(session.MsgEventsDropped)]; d == nil || len(note) != len(d.Fields)+1 {
		t.Errorf("the poll queue's events_dropped %v differs from the callback queue's", note)
	} else {
		for k := range note {
			if _, ok := d.Fields[k]; !ok && k != "msg_type" {
				t.Errorf("the poll queue's events_dropped has %q, the callback queue's not", k)
			}
		}
	}
	res := make([]abiEvent, len(out))
	for i, e := range out {
		res[i] = *e
	}
	return res
}

// fill sets every exported, marshalled field of v to a value that is not
// its zero: enumerations their first non-empty value, others a sample.
func fill(v reflect.Value, enums map[string][]any) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			if f.Type == reflect.TypeOf(json.RawMessage{}) {
				continue
			}
			if f.Type.Kind() == reflect.String && !f.Anonymous && enumValue(f.Type, enums) == nil {
				v.Field(i).SetString(jsonName(f))
				continue
			}
			fill(v.Field(i), enums)
		}
	case reflect.String:
		if e := enumValue(v.Type(), enums); e != nil {
			v.SetString(e.(string))
		} else {
			v.SetString("text")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch {
		case v.Type() == reflect.TypeOf(time.Duration(0)):
			v.SetInt(int64(1500 * time.Millisecond))
		case enumValue(v.Type(), enums) != nil:
			v.SetInt(int64(enumValue(v.Type(), enums).(int)))
		default:
			v.SetInt(2)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(2)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Ptr:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), enums)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), enums)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		k.SetString("key")
		fill(e, enums)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// enumValue is the first non-empty value of t when t is one of the
// protocol's enumerations, else nil.
func enumValue(t reflect.Type, enums map[string][]any) any {
	if t.PkgPath() != reflect.TypeOf(protocol.MsgType("")).PkgPath() || t.Name() == "MsgType" {
		return nil
	}
	for _, v := range enums[t.Name()] {
		if v != "" && v != 0 {
			return v
		}
	}
	return nil
}
