package audio

import (
	"slices"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/dsp"
)

// dspTap is core/dsp's processor in the endpoint's Processor shape, as
// core/agent plugs it in a device-mode call.
type dspTap struct{ p *dsp.Processor }

func (d dspTap) Playback(far []int16) { _ = d.p.Playback(far) }
func (d dspTap) Capture(near, out []int16) {
	if _, err := d.p.Capture(near, out); err != nil {
		copy(out, near)
	}
}

// BenchmarkEndpointLatency measures the delay the SDK adds between the
// sound devices and the call, on the fake backend (10 ms device periods,
// 48 kHz stereo devices, an 8 kHz call on a 20 ms clock, as pion's sender
// reads it): from the capture callback that delivers a sample to the
// ReadPCM that hands it to the call (the RTP packetizer), and from the
// WritePCM of a decoded frame (after the jitter buffer) to the playback
// callback that takes it. The capture path goes through core/dsp's
// processor as in a device-mode call (its stages off but running: its
// 10 ms block delay is part of the figure, the audio passes unchanged).
// The device drivers' own buffers are the OS's and are not counted.
//
//	go test -run '^$' -bench EndpointLatency -benchtime 300x ./core/audio
func BenchmarkEndpointLatency(b *testing.B) {
	const rate = 8000
	s, f := fakeSystem(b)
	f.set(KindCapture, "mic")
	f.set(KindPlayback, "spk")
	p, err := dsp.New(dsp.Config{SampleRate: rate})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ep, err := s.OpenEndpoint(EndpointConfig{Rate: rate, Processor: dspTap{p}})
	if err != nil {
		b.Fatal(err)
	}
	defer ep.Close()
	frames := max(b.N, 150)
	type read struct {
		at  time.Time
		val int16
	}
	var reads []read
	writes := make([]time.Time, frames)
	buf := make([]int16, rate/50)
	out := make([]int16, rate/50)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for k := range frames {
		<-tick.C
		for i := range out {
			out[i] = int16(1000 + k)
		}
		writes[k] = time.Now()
		ep.WritePCM(out, rate)
		if n, _ := ep.ReadPCM(buf); n > rate/100 {
			// The middle of the frame: clear of the ramp's wrap and of the
			// processor's first (silent) block.
			reads = append(reads, read{time.Now(), buf[n/2]})
		}
	}
	b.StopTimer()
	mic, spk := f.device("mic"), f.device("spk")
	mic.mu.Lock()
	capCalls := slices.Clone(mic.calls)
	mic.mu.Unlock()
	spk.mu.Lock()
	playCalls, played := slices.Clone(spk.calls), slices.Clone(spk.played)
	spk.mu.Unlock()

	// Capture: the latest callback (before the read) whose ramp range
	// holds the value read. The ramp wraps every 0.68 s, far above any
	// latency here.
	perCall := mic.rate / 100 * mic.channels
	var capMs []float64
	for _, r := range reads[len(reads)/3:] {
		for i := len(capCalls) - 1; i >= 0; i-- {
			c := capCalls[i]
			if c.at.After(r.at) {
				continue
			}
			if d := int16(int(r.val) - c.start); d > 0 && int(d) <= perCall {
				capMs = append(capMs, float64(r.at.Sub(c.at))/float64(time.Millisecond))
				break
			}
		}
	}
	// Playback: the callback that played the middle of frame k.
	perPlay := spk.rate / 100 * spk.channels
	var playMs []float64
	firstAt := map[int16]int{}
	for i, v := range played {
		if _, ok := firstAt[v]; !ok && v >= 1000 {
			firstAt[v] = i
		}
	}
	for k := frames / 3; k < frames-10; k++ {
		i, ok := firstAt[int16(1000+k)]
		if !ok {
			continue
		}
		i += perPlay / 4 // past the interpolated edge
		for _, c := range playCalls {
			if i >= c.start && i < c.start+perPlay {
				playMs = append(playMs, float64(c.at.Sub(writes[k]))/float64(time.Millisecond))
				break
			}
		}
	}
	if len(capMs) < frames/3 || len(playMs) < frames/3 {
		b.Fatalf("matched %d capture and %d playback frames of %d", len(capMs), len(playMs), frames)
	}
	slices.Sort(capMs)
	slices.Sort(playMs)
	b.ReportMetric(capMs[len(capMs)/2], "capture-ms")
	b.ReportMetric(capMs[len(capMs)*95/100], "capture-p95-ms")
	b.ReportMetric(playMs[len(playMs)/2], "playback-ms")
	b.ReportMetric(playMs[len(playMs)*95/100], "playback-p95-ms")
	b.ReportMetric(0, "ns/op")
}
