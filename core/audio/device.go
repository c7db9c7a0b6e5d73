package audio

import "fmt"

// Kind says which way a device carries sound.
type Kind int

// Device kinds; the zero value is unknown.
const (
	KindUnknown Kind = iota
	// KindCapture is a microphone (an input).
	KindCapture
	// KindPlayback is a speaker or headset output.
	KindPlayback
)

func (k Kind) String() string {
	switch k {
	case KindCapture:
		return "capture"
	case KindPlayback:
		return "playback"
	}
	return "unknown"
}

// Role is what the SDK uses a device for.
type Role int

// Roles; the zero value is unknown.
const (
	RoleUnknown Role = iota
	// RoleMicrophone is the call's input (capture).
	RoleMicrophone
	// RoleSpeaker is the call's output (playback).
	RoleSpeaker
	// RoleRinger plays the ringtone (playback).
	RoleRinger
)

func (r Role) String() string {
	switch r {
	case RoleMicrophone:
		return "microphone"
	case RoleSpeaker:
		return "speaker"
	case RoleRinger:
		return "ringer"
	}
	return "unknown"
}

// Kind is the kind of device the role uses.
func (r Role) Kind() Kind {
	if r == RoleMicrophone {
		return KindCapture
	}
	return KindPlayback
}

// Device describes one input or output.
type Device struct {
	// ID is stable while the device exists and across runs: the backend's
	// own id (the PulseAudio sink or source name, the ALSA device name,
	// the WASAPI endpoint id string).
	ID string `json:"id"`
	// Name is the human-readable name the system shows.
	Name string `json:"name"`
	// Kind is capture or playback. An id is unique within its kind.
	Kind Kind `json:"-"`
	// IsDefault: the system's default device of its kind (Windows: the
	// console role).
	IsDefault bool `json:"is_default"`
	// IsDefaultComm: the default communications device (Windows: the
	// eCommunications role, usually the headset); elsewhere IsDefault.
	IsDefaultComm bool `json:"is_default_comm"`
	// Channels and Rate are the device's native format (0 when the
	// backend does not say).
	Channels int `json:"channels"`
	Rate     int `json:"rate"`
}

func (d Device) String() string {
	return fmt.Sprintf("%s %q (%s)", d.Kind, d.ID, d.Name)
}
