package audio

import "errors"

// Sentinel errors; callers branch on them with errors.Is. The error
// returned wraps one of them with the details (device id, backend reason).
var (
	// ErrNoAudioBackend: no sound backend could be opened (no sound
	// server, no sound card). The wrapped text says why for each backend.
	ErrNoAudioBackend = errors.New("audio: no sound backend")
	// ErrUnknownDevice: no device of that kind has that id (or there is
	// no default device to fall back to).
	ErrUnknownDevice = errors.New("audio: unknown device")
	// ErrDeviceOpen: the backend failed to open or start the device.
	ErrDeviceOpen = errors.New("audio: device failed to open")
	// ErrDeviceStalled: an open device stopped delivering or taking audio
	// (it was unplugged, its server dropped it, or it failed).
	ErrDeviceStalled = errors.New("audio: device stalled")
	// ErrInvalidRate: a sample rate outside 8000..48000 Hz or not a
	// multiple of 50 (a call frame is 20 ms).
	ErrInvalidRate = errors.New("audio: invalid sample rate")
	// ErrUnsupportedWAV: a WAV file that is not 16-bit PCM (or not a WAV).
	ErrUnsupportedWAV = errors.New("audio: unsupported WAV")
	// ErrProcessorFailed: the endpoint's Processor panicked on a device
	// thread; the endpoint goes on without it (the microphone unprocessed).
	ErrProcessorFailed = errors.New("audio: voice processor failed")
	// ErrClosed: the System, endpoint or ringtone was closed.
	ErrClosed = errors.New("audio: closed")
)
