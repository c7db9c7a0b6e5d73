package audio

import (
	"log/slog"
	"sync/atomic"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// containedDriver keeps a Go panic from crossing into the sound library:
// a device's callbacks run on its own thread, called from C, where a panic
// would end the host application. See docs/reliability.md.
type containedDriver struct {
	driver
	log *slog.Logger
}

func (d containedDriver) open(k Kind, id string, rate, channels int, cb deviceCallbacks) (hwDevice, error) {
	return d.driver.open(k, id, rate, channels, containCallbacks(d.log, cb))
}

// containCallbacks wraps a device's callbacks. A fault in data is the
// device failing: the buffer is silence from then on (data is not called
// again: a fault at every period would flood the log from the audio
// thread) and the device reports itself stopped, so that the watcher
// reports the usual EventDeviceError and reopens it; the call goes on.
func containCallbacks(log *slog.Logger, cb deviceCallbacks) deviceCallbacks {
	var faulted atomic.Bool
	return deviceCallbacks{
		data: func(out, in []int16) {
			if faulted.Load() {
				clear(out)
				return
			}
			contain.Do(log, "audio: device data", func() { cb.data(out, in) }, func(error) {
				clear(out)
				if faulted.CompareAndSwap(false, true) {
					cb.stopped()
				}
			})
		},
		stopped: func() {
			contain.Do(log, "audio: device stopped", cb.stopped, nil)
		},
	}
}
