package agent

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/quality"
	"github.com/cloudcc/agent-sdk/core/rtc"
)

// Call-quality warnings of RTC mode (docs/audio.md, "Call quality").
//
// Once a call is answered, a sampler reads its media statistics once a
// second and makes a quality.Sample of that second: the deltas of bytes
// and packets, the loss of the second (packets lost over packets
// expected), the jitter and RTT as measured now, a MOS of the second
// (E-model on this second's loss), the mute state, and the call's voice
// meter (callAudio.meter: the level and voice activity of the microphone
// when the call's audio passes through the SDK's voice processing). A
// figure not measured in that second is marked so and counts for no rule.
// core/quality decides; each warning raised or cleared is a
// CallQualityWarningEvent. The sampler ends with the call.

// MsgCallQualityWarning is the msg_type of CallQualityWarningEvent.
const MsgCallQualityWarning protocol.MsgType = "call_quality_warning"

// CallQualityWarningEvent is a call-quality warning raised or cleared
// (Config.DisableQualityWarnings turns them off). Name is one of
// quality.Names; Value is the figure that decided and Threshold its limit,
// in the rule's unit (ms for RTT and jitter, a share for loss, MOS, dBFS...
// see docs/audio.md). A warning is cleared no sooner than 5 s after it was
// raised; a call that ends clears nothing (its rtc_call "ended" says it).
type CallQualityWarningEvent struct {
	MsgType   protocol.MsgType `json:"msg_type"`
	UUID      string           `json:"uuid"`
	Name      string           `json:"name"`
	Raised    bool             `json:"raised"`
	Value     float64          `json:"value"`
	Threshold float64          `json:"threshold"`
}

// Type is "call_quality_warning".
func (*CallQualityWarningEvent) Type() protocol.MsgType { return MsgCallQualityWarning }

// qualityState is the agent's part of the sampler and of the pre-call test
// (precall.go).
type qualityState struct {
	// period is the time between two samples, 0 one second. The monitor
	// counts one sample as one second whatever it is: tests shorten it to
	// run the rules (3 of 5 samples, 5 s raised) fast.
	period time.Duration
	// stats reads a call's statistics; nil is MediaCall.Stats. Tests wrap
	// it to stand for a sender that stalled.
	stats func(*rtc.MediaCall) media.Stats

	mu      sync.Mutex
	sampled map[*rtc.Call]bool // calls whose sampler was started
	precall bool               // a pre-call test is running
}

func (q *qualityState) samplePeriod() time.Duration {
	if q.period > 0 {
		return q.period
	}
	return time.Second
}

func (q *qualityState) read(mc *rtc.MediaCall) media.Stats {
	if q.stats != nil {
		return q.stats(mc)
	}
	return mc.Stats()
}

// precallUUIDPrefix marks the pre-call test's own call: it is measured by
// the test, not watched by the sampler.
const precallUUIDPrefix = "precall-"

// startQuality starts the call's sampler once it is answered (rtc.go's
// event hook): one per call, none when warnings are off.
func (a *Agent) startQuality(in *phoneInst, c *rtc.Call, st rtc.CallState) {
	if a.cfg.DisableQualityWarnings || (st != rtc.CallAnswered && st != rtc.CallConfirmed) ||
		strings.HasPrefix(c.UUID(), precallUUIDPrefix) {
		return
	}
	a.q.mu.Lock()
	if a.q.sampled == nil {
		a.q.sampled = map[*rtc.Call]bool{}
	}
	if a.q.sampled[c] {
		a.q.mu.Unlock()
		return
	}
	a.q.sampled[c] = true
	a.q.mu.Unlock()
	a.rmu.Lock()
	closed := a.closed
	if !closed {
		a.wg.Add(1)
	}
	a.rmu.Unlock()
	if closed {
		a.q.mu.Lock()
		delete(a.q.sampled, c)
		a.q.mu.Unlock()
		return
	}
	go a.sampleCall(in, c)
}

// sampleCall samples the call every period until it ends or the phone goes.
func (a *Agent) sampleCall(in *phoneInst, c *rtc.Call) {
	defer a.wg.Done()
	defer contain.Recover(a.log, "agent: quality sampler", nil) // the sampling stops; the call goes on
	defer func() {
		a.q.mu.Lock()
		delete(a.q.sampled, c)
		a.q.mu.Unlock()
	}()
	t := time.NewTicker(a.q.samplePeriod())
	defer t.Stop()
	mon := quality.NewMonitor(quality.Thresholds{})
	limits := map[string]float64{} // the threshold each raised warning was raised on
	var prev media.Stats
	have := false
	clock := time.Now() // the monitor's clock: one second a sample
	for {
		select {
		case <-c.Done():
			return
		case <-in.stop:
			return
		case <-t.C:
		}
		mc, ok := c.Media().(*rtc.MediaCall)
		if !ok || c.State() == rtc.CallEnded {
			continue
		}
		cur := a.q.read(mc)
		if !have {
			prev, have = cur, true
			continue
		}
		s := secondOf(prev, cur)
		prev = cur
		clock = clock.Add(time.Second)
		s.At = clock
		s.HasBytes = flowsBothWays(c, mc)
		s.Muted = mc.Muted()
		if meter := a.callMeter(c); meter != nil {
			if level, speaking, ok := meter(); ok {
				s.InputDBFS, s.Speaking, s.HasInput = level, speaking, true
			}
		}
		for _, ch := range mon.Add(s) {
			// A warning raised by one of its rules (packet loss: 3 of 5, or
			// the mean of 7) is cleared with that rule's threshold, so
			// that the two events of a warning agree.
			if ch.Raised {
				limits[ch.Name] = ch.Threshold
			} else if th, ok := limits[ch.Name]; ok {
				ch.Threshold = th
				delete(limits, ch.Name)
			}
			a.sess.Emit(warningEvent(c.UUID(), ch))
		}
	}
}

// secondOf is the sample of what happened between two readings of a call's
// statistics: At, HasBytes, Muted and the input are the caller's.
func secondOf(prev, cur media.Stats) quality.Sample {
	var s quality.Sample
	if cur.RTT > 0 {
		s.RTT, s.HasRTT = cur.RTT, true
	}
	s.BytesSent = delta(cur.Audio.BytesSent, prev.Audio.BytesSent)
	s.BytesReceived = delta(cur.Audio.BytesReceived, prev.Audio.BytesReceived)
	rx := delta(cur.Audio.PacketsReceived, prev.Audio.PacketsReceived)
	if rx == 0 || cur.NoAudioData {
		return s // nothing received: loss, jitter and MOS measure nothing
	}
	lost := max(cur.Audio.PacketsLost-prev.Audio.PacketsLost, 0)
	expected := float64(rx) + float64(lost)
	s.HasReceive = true
	s.Jitter = cur.Audio.Jitter
	s.Loss = float64(lost) / expected
	late := float64(delta(cur.Late, prev.Late)) / expected
	_, s.MOS = media.EModelFor(cur.AudioCodec, oneWayDelay(cur), s.Loss+late)
	return s
}

// oneWayDelay is the mouth-to-ear delay media.Stats scores its MOS with:
// the network's (RTT/2), the jitter buffer's, one packet and a little
// processing.
func oneWayDelay(st media.Stats) time.Duration {
	return st.RTT/2 + time.Duration(st.JitterBufferMs)*time.Millisecond + 25*time.Millisecond
}

func delta(cur, prev uint64) uint64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}

// flowsBothWays says whether audio should go both ways now: the call is
// up, its media connected, not on hold, and both SDPs say sendrecv. Where
// it should not (hold, a listen-only leg), the byte counts decide nothing.
func flowsBothWays(c *rtc.Call, mc *rtc.MediaCall) bool {
	st, ice := c.State(), c.ICE()
	local, remote := c.HoldState()
	audio, _ := mc.NegotiatedDirections()
	return (st == rtc.CallAnswered || st == rtc.CallConfirmed) && ice == rtc.ICEConnected && !local && !remote &&
		audio == media.SendRecv
}

// callMeter is the call's voice meter (nil: its audio passes none); a
// reading's ok is false while it has nothing to say.
func (a *Agent) callMeter(c *rtc.Call) func() (levelDBFS float64, speaking, ok bool) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	if st := a.calls[c]; st != nil {
		return st.meter
	}
	return nil
}

// warningEvent words a change of the monitor as the event, in
// core/quality's units: ms for RTT and jitter, a share for loss, the MOS,
// bytes for no audio, the level's deviation in dB, the
// samples with speech while muted.
func warningEvent(uuid string, ch quality.Change) *CallQualityWarningEvent {
	return &CallQualityWarningEvent{MsgType: MsgCallQualityWarning, UUID: uuid, Name: ch.Name, Raised: ch.Raised,
		Value: round3(ch.Value), Threshold: round3(ch.Threshold)}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
