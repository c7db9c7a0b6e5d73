package dsp

import "errors"

// Sentinel errors; the errors returned wrap them with the offending value.
var (
	// ErrConfig: a Config field is out of range (the message names it).
	ErrConfig = errors.New("dsp: bad config")
	// ErrFrame: a capture frame is not 10 or 20 ms at the processor's rate,
	// or the output buffer is shorter than the input.
	ErrFrame = errors.New("dsp: bad frame size")
	// ErrClosed: the processor was closed.
	ErrClosed = errors.New("dsp: processor closed")
)
