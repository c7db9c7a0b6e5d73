package audio

import "fmt"

// EventKind says what an Event reports.
type EventKind int

// Event kinds; the zero value is unknown.
const (
	EventUnknown EventKind = iota
	// EventDevicesChanged: devices were added or removed, or a default
	// changed (System.Watch).
	EventDevicesChanged
	// EventFallback: the device in use disappeared or failed, or the
	// stream had none (no sound backend when it started, a device that
	// would not open); the stream now runs on New (the default
	// communications device; the same device when it was reopened after a
	// stall, or when the one chosen is there once a backend answers). Old
	// is the device that went away. From then on the stream follows the
	// default.
	EventFallback
	// EventFollowDefault: a stream that follows the default moved to the
	// new default device.
	EventFollowDefault
	// EventDeviceError: a device failed (Err says how). The stream goes
	// on in silence until a device can be opened again; the call is not
	// ended.
	EventDeviceError
)

func (k EventKind) String() string {
	switch k {
	case EventDevicesChanged:
		return "devices_changed"
	case EventFallback:
		return "fallback"
	case EventFollowDefault:
		return "follow_default"
	case EventDeviceError:
		return "device_error"
	}
	return "unknown"
}

// Event reports a device change to a System watcher, an endpoint or a
// ringtone. Callbacks run on the package's watcher goroutine (or on the
// caller's, for a failure while opening), never on a device thread and
// never with a lock of this package held: they may call back into it.
type Event struct {
	Kind EventKind
	// Role is the stream concerned (fallback, follow, error).
	Role Role
	// Old and New are device ids: the device left and the one now in use
	// ("" when none).
	Old, New string
	// Added and Removed list the changed devices (EventDevicesChanged).
	Added, Removed []Device
	// DefaultChanged: a default (or default communications) device
	// changed (EventDevicesChanged).
	DefaultChanged bool
	// Err is why a device failed (EventDeviceError).
	Err error
}

func (e Event) String() string {
	switch e.Kind {
	case EventDevicesChanged:
		return fmt.Sprintf("devices_changed: +%d -%d default_changed=%v", len(e.Added), len(e.Removed), e.DefaultChanged)
	case EventDeviceError:
		return fmt.Sprintf("device_error: %s %q: %v", e.Role, e.Old, e.Err)
	}
	return fmt.Sprintf("%s: %s %q -> %q", e.Kind, e.Role, e.Old, e.New)
}
