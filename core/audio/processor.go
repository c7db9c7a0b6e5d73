package audio

// Processor is the voice-processing hook of an endpoint (echo canceller,
// noise suppression, AGC: core/dsp). Both methods get frames of exactly
// one call frame: Rate/50 samples (20 ms; 160 at 8 kHz, 320 at 16 kHz),
// mono.
//
// Playback receives the far end as it was handed to the speaker device,
// frame by frame, silence included, on the playback device's thread at
// the moment the device takes it: the echo canceller's reference, as
// close to the device as the backend allows. Capture receives each
// microphone frame (near) on the capture device's thread and writes the
// processed frame to out (len(out) == len(near)); what it writes is what
// the call sends.
//
// The two run on different threads, possibly at the same time; each is
// never called concurrently with itself. Neither may block or keep the
// slices. Drift between the two devices' clocks is visible in
// Endpoint.Stats (device frame counts and effective rates).
type Processor interface {
	Playback(far []int16)
	Capture(near, out []int16)
}

// NopProcessor passes the microphone through unchanged.
type NopProcessor struct{}

// Playback implements Processor.
func (NopProcessor) Playback([]int16) {}

// Capture implements Processor.
func (NopProcessor) Capture(near, out []int16) { copy(out, near) }
