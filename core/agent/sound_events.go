package agent

import (
	"github.com/cloudcc/agent-sdk/core/audio"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// msg_types of the sound-device events of device mode (sound.go). Each
// event is JSON-marshalable as is, msg_type included.
const (
	MsgAudioDevicesChanged protocol.MsgType = "audio_devices_changed"
	MsgAudioDeviceFallback protocol.MsgType = "audio_device_fallback"
	MsgAudioDeviceError    protocol.MsgType = "audio_device_error"
)

// AudioDevicesChangedEvent: sound devices were added or removed, or a
// default (or default communications) device changed. Added and Removed
// are device ids (never null).
type AudioDevicesChangedEvent struct {
	MsgType        protocol.MsgType `json:"msg_type"`
	Added          []string         `json:"added"`
	Removed        []string         `json:"removed"`
	DefaultChanged bool             `json:"default_changed"`
}

// Type is "audio_devices_changed".
func (*AudioDevicesChangedEvent) Type() protocol.MsgType { return MsgAudioDevicesChanged }

// AudioDeviceRef names a device in an event or a reply: its id and the
// name the system shows ("" when it is not known any more).
type AudioDeviceRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AudioDeviceFallbackEvent: the device a role used disappeared (or the one
// chosen does not exist) and the role now runs on New, the default
// (communications) device; the call goes on. UUID names the call ("" for
// the ringer).
type AudioDeviceFallbackEvent struct {
	MsgType protocol.MsgType `json:"msg_type"`
	Role    string           `json:"role"` // microphone, speaker or ringer
	UUID    string           `json:"uuid,omitempty"`
	Old     AudioDeviceRef   `json:"old"`
	New     AudioDeviceRef   `json:"new"`
}

// Type is "audio_device_fallback".
func (*AudioDeviceFallbackEvent) Type() protocol.MsgType { return MsgAudioDeviceFallback }

// AudioDeviceErrorEvent: a device failed (it would not open, it stalled,
// or no sound backend is there). The role is silent until a device can be
// opened again; the call goes on.
type AudioDeviceErrorEvent struct {
	MsgType protocol.MsgType `json:"msg_type"`
	Role    string           `json:"role"`
	ID      string           `json:"id"`
	Error   string           `json:"error"`
	UUID    string           `json:"uuid,omitempty"`
}

// Type is "audio_device_error".
func (*AudioDeviceErrorEvent) Type() protocol.MsgType { return MsgAudioDeviceError }

// deviceEvent turns a device event of an endpoint or the ringtone into
// the agent's event (nil for those the agent does not report).
func (s *sound) deviceEvent(e audio.Event, uuid string) session.Event {
	switch e.Kind {
	case audio.EventFallback:
		return &AudioDeviceFallbackEvent{MsgType: MsgAudioDeviceFallback, Role: e.Role.String(), UUID: uuid,
			Old: s.ref(e.Role, e.Old), New: s.ref(e.Role, e.New)}
	case audio.EventDeviceError:
		msg := "device failed"
		if e.Err != nil {
			msg = e.Err.Error()
		}
		return &AudioDeviceErrorEvent{MsgType: MsgAudioDeviceError, Role: e.Role.String(), ID: e.Old, Error: msg, UUID: uuid}
	case audio.EventDevicesChanged:
		ev := &AudioDevicesChangedEvent{MsgType: MsgAudioDevicesChanged, Added: []string{}, Removed: []string{},
			DefaultChanged: e.DefaultChanged}
		for _, d := range e.Added {
			ev.Added = append(ev.Added, d.ID)
		}
		for _, d := range e.Removed {
			ev.Removed = append(ev.Removed, d.ID)
		}
		return ev
	}
	return nil // EventFollowDefault: logged only
}
