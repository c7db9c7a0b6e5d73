// Package quality watches a call's media figures, sampled once a second,
// and raises and clears call-quality warnings by the rules desktop calling
// SDKs publish (Twilio Voice's): high RTT, high jitter, packet loss, low
// MOS, no audio received or sent, a microphone stuck at one level, and
// speech on the microphone while the call is muted. It also grades a
// pre-call test by its MOS. It knows nothing of calls or media: its input
// is one Sample a second, its output the changes of the warnings.
package quality

import (
	"math"
	"time"
)

// The warning names, as events carry them.
const (
	HighRTT            = "high_rtt"
	HighJitter         = "high_jitter"
	HighPacketLoss     = "high_packet_loss"
	LowMOS             = "low_mos"
	NoAudioReceived    = "no_audio_received"
	NoAudioSent        = "no_audio_sent"
	ConstantInputLevel = "constant_audio_input_level"
	SpeakingWhileMuted = "speaking_while_muted"
)

// Names lists every warning, in a stable order.
var Names = []string{HighRTT, HighJitter, HighPacketLoss, LowMOS, NoAudioReceived, NoAudioSent, ConstantInputLevel, SpeakingWhileMuted}

// Sample is one second of a call. A figure that was not measured in that
// second (no RTCP report yet, no audio received) is marked as such and
// counts for no rule.
type Sample struct {
	At time.Time
	// RTT is the round-trip time (RTCP); HasRTT is false until measured.
	RTT    time.Duration
	HasRTT bool
	// Jitter of the received audio; Loss the share of packets lost in
	// this second (0..1); MOS the E-model estimate. HasReceive is false
	// while no audio was received (they measure nothing then).
	Jitter     time.Duration
	Loss       float64
	MOS        float64
	HasReceive bool
	// BytesSent and BytesReceived are the audio payload bytes of this
	// second; HasBytes is false where the call sends or receives nothing
	// by design (on hold, inactive).
	BytesSent, BytesReceived uint64
	HasBytes                 bool
	// InputDBFS is the microphone's level this second (RMS, dB relative
	// to full scale; -120 for digital silence); HasInput is false where
	// the SDK does not read a microphone (the app pushes its own audio
	// without processing).
	InputDBFS float64
	HasInput  bool
	// Muted: the agent's outgoing audio is muted. Speaking: voice activity
	// on the microphone in this second.
	Muted, Speaking bool
}

// Thresholds are the rules' limits; Default has the published values.
type Thresholds struct {
	RTT             time.Duration // high_rtt: over this in 3 of the last 5
	Jitter          time.Duration // high_jitter: over this in 3 of the last 5
	Loss            float64       // high_packet_loss: over this in 3 of the last 5
	MeanLoss        float64       // ... or a mean over this across the last 7
	MOS             float64       // low_mos: under this in 3 of the last 5
	LevelDeviation  float64       // constant level: a standard deviation of the level under this (dB) ...
	ConstantFor     int           // ... across this many samples while not muted
	MinRaised       time.Duration // a warning stays raised at least this long
	SpeakingSamples int           // speaking while muted: voice in this many of the last 3 samples
}

// Default are Twilio Voice's published thresholds. The constant level's
// are the SDK's: the level is in dB, where a live microphone's varies by
// a few tenths of a dB from one reading to the next even in a steady
// room's noise, and a frozen one (digital silence included) not at all
// (docs/audio.md, "Call quality").
var Default = Thresholds{RTT: 400 * time.Millisecond, Jitter: 30 * time.Millisecond, Loss: 0.01, MeanLoss: 0.03, MOS: 3.5,
	LevelDeviation: 0.1, ConstantFor: 10, MinRaised: 5 * time.Second, SpeakingSamples: 2}

// Change is a warning raised or cleared.
type Change struct {
	Name      string
	Raised    bool      // false: cleared
	Value     float64   // the figure that decided (ms, share, MOS, level)
	Threshold float64   // its limit, in the same unit
	At        time.Time // the sample's time
}

// Monitor holds one call's recent samples and its raised warnings. It is
// not safe for concurrent use: one call's sampler owns it.
type Monitor struct {
	th     Thresholds
	hist   []Sample // the last histLen samples, oldest first
	raised map[string]time.Time
}

const histLen = 10

// NewMonitor watches one call with th (Default when zero).
func NewMonitor(th Thresholds) *Monitor {
	if th == (Thresholds{}) {
		th = Default
	}
	return &Monitor{th: th, raised: map[string]time.Time{}}
}

// Raised reports whether the warning name is raised now.
func (m *Monitor) Raised(name string) bool { _, ok := m.raised[name]; return ok }

// Add takes the next second's sample and returns the warnings it raises
// and clears, in Names order. A warning is cleared once its rule is clear
// (see rule), and no sooner than MinRaised after it was raised.
func (m *Monitor) Add(s Sample) []Change {
	m.hist = append(m.hist, s)
	if len(m.hist) > histLen {
		m.hist = m.hist[len(m.hist)-histLen:]
	}
	var out []Change
	for _, name := range Names {
		on, clear, value, limit := m.rule(name)
		since, was := m.raised[name]
		switch {
		case on && !was:
			m.raised[name] = s.At
			out = append(out, Change{Name: name, Raised: true, Value: value, Threshold: limit, At: s.At})
		case !on && was && clear && s.At.Sub(since) >= m.th.MinRaised:
			delete(m.raised, name)
			out = append(out, Change{Name: name, Raised: false, Value: value, Threshold: limit, At: s.At})
		}
	}
	return out
}

// last returns the last n samples (fewer at the start), oldest first.
func (m *Monitor) last(n int) []Sample {
	if len(m.hist) < n {
		return m.hist
	}
	return m.hist[len(m.hist)-n:]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// countOver counts the samples of the last n that have the figure and pass
// test; value is the newest figure seen.
func (m *Monitor) countOver(n int, has func(Sample) bool, fig func(Sample) float64, test func(float64) bool) (k int, value float64) {
	for _, s := range m.last(n) {
		if !has(s) {
			continue
		}
		value = fig(s)
		if test(value) {
			k++
		}
	}
	return k, value
}

// rule says whether warning name holds on the samples now, with the
// deciding figure and its limit, and whether it is clear enough to clear
// the warning if raised. The rules counted over the last 5 samples clear
// only when none of them is over the limit any more, and the mean loss
// only once it is back to the 3-of-5 limit (1 %), as Twilio Voice's do: a
// figure that hovers at the limit keeps its warning rather than raising
// and clearing it every 5 s. The others clear as soon as they no longer
// hold (clear is read only then).
func (m *Monitor) rule(name string) (on, clear bool, value, limit float64) {
	th := m.th
	rx := func(s Sample) bool { return s.HasReceive }
	switch name {
	case HighRTT:
		limit = ms(th.RTT)
		k, v := m.countOver(5, func(s Sample) bool { return s.HasRTT }, func(s Sample) float64 { return ms(s.RTT) },
			func(v float64) bool { return v > limit })
		return k >= 3, k == 0, v, limit
	case HighJitter:
		limit = ms(th.Jitter)
		k, v := m.countOver(5, rx, func(s Sample) float64 { return ms(s.Jitter) }, func(v float64) bool { return v > limit })
		return k >= 3, k == 0, v, limit
	case HighPacketLoss:
		k, v := m.countOver(5, rx, func(s Sample) float64 { return s.Loss }, func(v float64) bool { return over(v, th.Loss) })
		mean, meanOK := m.meanLoss()
		clear := k == 0 && !(meanOK && over(mean, th.Loss))
		if k >= 3 {
			return true, clear, v, th.Loss
		}
		if meanOK && over(mean, th.MeanLoss) {
			return true, clear, mean, th.MeanLoss
		}
		return false, clear, v, th.Loss
	case LowMOS:
		k, v := m.countOver(5, rx, func(s Sample) float64 { return s.MOS }, func(v float64) bool { return v < th.MOS })
		return k >= 3, k == 0, v, th.MOS
	case NoAudioReceived, NoAudioSent:
		bytes := func(s Sample) uint64 { return s.BytesReceived }
		if name == NoAudioSent {
			bytes = func(s Sample) uint64 { return s.BytesSent }
		}
		w := m.last(3)
		if len(w) < 3 {
			return false, true, 0, 0
		}
		for _, s := range w {
			if !s.HasBytes || bytes(s) > 0 || (name == NoAudioSent && s.Muted) {
				return false, true, float64(bytes(w[len(w)-1])), 0
			}
		}
		return true, true, 0, 0
	case ConstantInputLevel:
		// In dB: a level's deviation in shares of full scale is tiny for
		// any quiet signal, so a live microphone in a quiet room (an agent
		// listening) would look stuck.
		w := m.last(th.ConstantFor)
		if len(w) < th.ConstantFor {
			return false, true, 0, th.LevelDeviation
		}
		var mean float64
		for _, s := range w {
			if !s.HasInput || s.Muted {
				return false, true, 0, th.LevelDeviation
			}
			mean += s.InputDBFS
		}
		mean /= float64(len(w))
		var dev float64
		for _, s := range w {
			dev += (s.InputDBFS - mean) * (s.InputDBFS - mean)
		}
		dev = math.Sqrt(dev / float64(len(w)))
		return dev < th.LevelDeviation, true, dev, th.LevelDeviation
	case SpeakingWhileMuted:
		k := 0
		for _, s := range m.last(3) {
			if s.Muted && s.HasInput && s.Speaking {
				k++
			}
		}
		return k >= th.SpeakingSamples, true, float64(k), float64(th.SpeakingSamples)
	}
	return false, true, 0, 0
}

// over reports whether v is over limit by more than rounding: a mean of
// shares that is exactly the limit must not pass it by its last bit.
func over(v, limit float64) bool { return v-limit > 1e-9 }

// meanLoss is the mean loss of the last 7 samples, ok only when each of
// them measured it.
func (m *Monitor) meanLoss() (mean float64, ok bool) {
	w := m.last(7)
	if len(w) < 7 {
		return 0, false
	}
	var sum float64
	for _, s := range w {
		if !s.HasReceive {
			return 0, false
		}
		sum += s.Loss
	}
	return sum / 7, true
}

// Grade is a pre-call test's verdict on its MOS.
type Grade string

// The grades, best first.
const (
	Excellent Grade = "excellent" // MOS over 4.2
	Great     Grade = "great"     // 4.1 to 4.2
	Good      Grade = "good"      // 3.7 to 4.1
	Fair      Grade = "fair"      // 3.1 to 3.7
	Degraded  Grade = "degraded"  // under 3.1
)

// GradeMOS grades a MOS (1..4.5).
func GradeMOS(mos float64) Grade {
	switch {
	case mos > 4.2:
		return Excellent
	case mos >= 4.1:
		return Great
	case mos >= 3.7:
		return Good
	case mos >= 3.1:
		return Fair
	}
	return Degraded
}
