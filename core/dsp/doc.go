// Package dsp is the voice processing of one call of the SDK's desktop
// phone: acoustic echo cancellation with the played-out audio as the
// reference, residual echo suppression, noise suppression, automatic gain
// control and voice activity detection, in pure Go (no cgo; see
// docs/audio.md for the engine, why it is ours, and the measured figures).
//
// # Threads
//
// A [Processor] has two sides. The playout thread hands it what it plays
// with [Processor.Playback] (any length; it only copies into a FIFO). The
// capture thread hands it each microphone frame (10 or 20 ms, 8000 or
// 16000 Hz, mono int16) with [Processor.Capture] and gets it back cleaned,
// 10 ms later. [Processor.SetFeatures], [Processor.Features] and
// [Processor.State] may be called from any goroutine; [Processor.Close]
// waits for a Capture in progress.
//
// # Reference path
//
// Between the two sides the reference is resampled from the playout clock
// to the capture clock (a controller holds the FIFO's level steady, so
// clocks a few hundred ppm apart keep the echo where the canceller expects
// it) and delayed by the bulk delay a GCC-PHAT estimator finds, so that the
// canceller's 200 ms tail covers the room rather than the device buffers.
package dsp
