package dsp

import (
	"fmt"
	"strings"
)

// Features is a set of processing stages; each can be switched at run time
// ([Processor.SetFeatures]) without reallocating anything.
type Features uint8

const (
	// EchoCancel is the linear echo canceller (a partitioned-block
	// frequency-domain adaptive filter) with the reference alignment and
	// drift compensation in front of it.
	EchoCancel Features = 1 << iota
	// EchoSuppress removes the echo the linear filter leaves (residual echo
	// suppression in the spectral stage). It acts only with EchoCancel.
	EchoSuppress
	// NoiseSuppress attenuates background noise, stationary or not.
	NoiseSuppress
	// AGC (automatic gain control) brings speech towards [Config.AGCLevelDBFS].
	AGC
	// VAD reports whether the agent is speaking ([Result.Speaking],
	// [State.Speaking]); it never changes the audio.
	VAD

	// AllFeatures is every stage: what device mode starts with.
	AllFeatures = EchoCancel | EchoSuppress | NoiseSuppress | AGC | VAD
)

// Has reports whether every stage of g is in f.
func (f Features) Has(g Features) bool { return f&g == g }

// String lists the stages, e.g. "aec+res+ns+agc+vad", or "none".
func (f Features) String() string {
	var parts []string
	for _, x := range []struct {
		f    Features
		name string
	}{{EchoCancel, "aec"}, {EchoSuppress, "res"}, {NoiseSuppress, "ns"}, {AGC, "agc"}, {VAD, "vad"}} {
		if f.Has(x.f) {
			parts = append(parts, x.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Config sets up a [Processor]. Zero numeric fields take the defaults
// below; [DefaultConfig] also turns every feature on.
type Config struct {
	// SampleRate of both directions: 8000 or 16000 Hz.
	SampleRate int
	// Features running from the start (see [Features]).
	Features Features
	// TailMs is the echo canceller's filter length: the echo it can model
	// after the reference is aligned. Default 200 ms (PJSIP's default;
	// liblinphone uses 250); 20 to 500.
	TailMs int
	// MaxDelayMs bounds the bulk delay between playout and capture that
	// the alignment looks for. Default 500 ms; 50 to 1000.
	MaxDelayMs int
	// NoAlign turns the delay estimator off: the reference is used as it
	// arrives (for tests and for apps that align it themselves).
	NoAlign bool
	// NoiseSuppressDB is the most the noise suppressor attenuates noise,
	// negative dB. Default -25.
	NoiseSuppressDB int
	// EchoSuppressDB is the most residual echo is attenuated while the agent
	// is silent, negative dB. Default -40.
	EchoSuppressDB int
	// EchoSuppressActiveDB is the same while the agent speaks (double
	// talk): less, to keep the agent's voice. Default -15.
	EchoSuppressActiveDB int
	// AGCLevelDBFS is the speech level the AGC aims at. Default -18 dBFS.
	AGCLevelDBFS int
	// AGCMaxGainDB is the most the AGC amplifies. Default 20 dB.
	AGCMaxGainDB int
}

// DefaultConfig is the device-mode configuration at rate: every feature on,
// every tuning at its default.
func DefaultConfig(rate int) Config {
	return Config{SampleRate: rate, Features: AllFeatures}
}

const (
	blockMs       = 10 // the internal processing block
	defaultTailMs = 200
	defaultMaxDel = 500
	minMaxDelayMs = 50
	maxMaxDelayMs = 1000
)

// withDefaults returns c with zero fields set to their defaults, or an
// error naming the first field out of range.
func (c Config) withDefaults() (Config, error) {
	if c.SampleRate != 8000 && c.SampleRate != 16000 {
		return c, fmt.Errorf("%w: SampleRate %d (want 8000 or 16000)", ErrConfig, c.SampleRate)
	}
	if c.Features&^AllFeatures != 0 {
		return c, fmt.Errorf("%w: unknown Features bits %#x", ErrConfig, uint8(c.Features&^AllFeatures))
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.TailMs, defaultTailMs)
	def(&c.MaxDelayMs, defaultMaxDel)
	def(&c.NoiseSuppressDB, -25)
	def(&c.EchoSuppressDB, -40)
	def(&c.EchoSuppressActiveDB, -15)
	def(&c.AGCLevelDBFS, -18)
	def(&c.AGCMaxGainDB, 20)
	switch {
	case c.TailMs < 20 || c.TailMs > 500:
		return c, fmt.Errorf("%w: TailMs %d (want 20 to 500)", ErrConfig, c.TailMs)
	case c.MaxDelayMs < minMaxDelayMs || c.MaxDelayMs > maxMaxDelayMs:
		return c, fmt.Errorf("%w: MaxDelayMs %d (want %d to %d)", ErrConfig, c.MaxDelayMs, minMaxDelayMs, maxMaxDelayMs)
	case c.NoiseSuppressDB > 0 || c.NoiseSuppressDB < -60:
		return c, fmt.Errorf("%w: NoiseSuppressDB %d (want -60 to 0)", ErrConfig, c.NoiseSuppressDB)
	case c.EchoSuppressDB > 0 || c.EchoSuppressDB < -90:
		return c, fmt.Errorf("%w: EchoSuppressDB %d (want -90 to 0)", ErrConfig, c.EchoSuppressDB)
	case c.EchoSuppressActiveDB > 0 || c.EchoSuppressActiveDB < -90:
		return c, fmt.Errorf("%w: EchoSuppressActiveDB %d (want -90 to 0)", ErrConfig, c.EchoSuppressActiveDB)
	case c.AGCLevelDBFS >= 0 || c.AGCLevelDBFS < -40:
		return c, fmt.Errorf("%w: AGCLevelDBFS %d (want -40 to -1)", ErrConfig, c.AGCLevelDBFS)
	case c.AGCMaxGainDB < 0 || c.AGCMaxGainDB > 40:
		return c, fmt.Errorf("%w: AGCMaxGainDB %d (want 0 to 40)", ErrConfig, c.AGCMaxGainDB)
	}
	return c, nil
}
