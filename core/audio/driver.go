package audio

// driver is what the package needs of a sound backend; malgoDriver is the
// real one, tests plug a fake one in. Every method but a device's data
// callback is called with System.drvMu held, so a driver needs no lock of
// its own for its context.
type driver interface {
	// backend names the backend in use ("pulseaudio", "wasapi", ...).
	backend() string
	// list enumerates the devices of a kind (id, name, default flag)
	// without opening them.
	list(k Kind) ([]rawDevice, error)
	// info returns a device's native channel count and rate.
	info(k Kind, id string) (channels, rate int, err error)
	// defaultComm is the id of the default communications device of a
	// kind, or "" where the backend has no such role.
	defaultComm(k Kind) string
	// open initializes a device (not started) exchanging signed 16-bit
	// interleaved samples at rate with channels channels.
	open(k Kind, id string, rate, channels int, cb deviceCallbacks) (hwDevice, error)
	// close releases the backend's context.
	close()
}

type rawDevice struct {
	id, name  string
	isDefault bool
}

// deviceCallbacks run on the device's own thread. data gets out (playback:
// to fill) or in (capture: what was recorded), interleaved int16; stopped
// reports that the backend stopped the device.
type deviceCallbacks struct {
	data    func(out, in []int16)
	stopped func()
}

type hwDevice interface {
	start() error
	// close stops and releases the device; its callbacks have returned
	// when it returns.
	close()
}
