package audio

import (
	"testing"
	"time"
)

// BenchmarkPulseSwitchGap switches the speaker, then the microphone, back
// and forth mid-call against PulseAudio (tests/audio/run.sh bench) and
// reports the longest silence each switch leaves: for the speaker in one
// recording of a sink both speakers play into (one clock for both), for
// the microphone in what ReadPCM gave the call (both microphones hear the
// same tone). Target: under 100 ms.
func BenchmarkPulseSwitchGap(b *testing.B) {
	requirePulse(b)
	a, bb, mix := twoSpeakers(b, "cc_bench")
	nullSink(b, "cc_bench_feed", "cc_bench_feed", 16000, 1)
	loadModule(b, "module-remap-source", "source_name=cc_bench_mic_a", "master=cc_bench_feed.monitor")
	loadModule(b, "module-remap-source", "source_name=cc_bench_mic_b", "master=cc_bench_feed.monitor")
	feedTone(b, "cc_bench_feed", 700, 16000)
	recMix := record(b, mix+".monitor", 16000)
	s := testSystem(b)
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: callRate, Speaker: a, Microphone: "cc_bench_mic_a"})
	if err != nil {
		b.Fatal(err)
	}
	defer ep.Close()
	stop := toneWriter(ep, 1000, 8000)
	defer stop()
	r := readEndpoint(ep)
	defer r.stop()
	recMix.waitFor(b, 10*time.Second, "the tone in the mix", toneFrom(1000, 16000, 0, 500*time.Millisecond))
	r.waitFor(b, 10*time.Second, "the microphone's tone", func(s []int16) bool {
		return tonePresent(s, 700, callRate, 500*time.Millisecond)
	})
	// The devices' clocks against the host's (the drift figures core/dsp
	// reads), once a second of callbacks is in.
	r.waitFor(b, 10*time.Second, "measured device rates", func([]int16) bool {
		st := ep.Stats()
		return st.Microphone.EffectiveRate > 0 && st.Speaker.EffectiveRate > 0
	})
	rates := ep.Stats()
	var spkMax, spkSum, micMax, micSum float64
	b.ResetTimer()
	for i := range b.N {
		gap := switchSpeaker(b, ep, []string{bb, a}[i%2], recMix)
		spkSum += gap
		spkMax = max(spkMax, gap)

		before := r.len()
		if err := ep.SetMicrophone([]string{"cc_bench_mic_b", "cc_bench_mic_a"}[i%2]); err != nil {
			b.Fatal(err)
		}
		r.waitFor(b, 5*time.Second, "a second of microphone after the switch", func(s []int16) bool {
			return len(s) >= before+callRate
		})
		r.mu.Lock()
		g := longestSilence(r.samples[max(0, before-callRate/5):before+callRate], callRate)
		r.mu.Unlock()
		micSum += g
		micMax = max(micMax, g)
	}
	b.StopTimer()
	b.ReportMetric(spkMax, "spk_gap_max_ms")
	b.ReportMetric(spkSum/float64(b.N), "spk_gap_mean_ms")
	b.ReportMetric(micMax, "mic_gap_max_ms")
	b.ReportMetric(micSum/float64(b.N), "mic_gap_mean_ms")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(rates.Microphone.EffectiveRate, "mic_rate_hz")
	b.ReportMetric(rates.Speaker.EffectiveRate, "spk_rate_hz")
}
