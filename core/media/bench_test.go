package media

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConcurrentCalls runs N G.711 calls between two Engines in this
// process over loopback (both ends here: 2N legs), with tones both ways
// and a sink on every leg, for a fixed time on GOMAXPROCS=2, and reports
// CPU per call (both legs) and per leg, packet loss, concealment and the
// setup time from offer to first received audio. Run it with
// -benchtime=1x; MEDIA_BENCH_CALLS (50) and MEDIA_BENCH_SECONDS (10) tune it.
func BenchmarkConcurrentCalls(b *testing.B) {
	n := envInt("MEDIA_BENCH_CALLS", 50)
	secs := envInt("MEDIA_BENCH_SECONDS", 10)
	procs := envInt("MEDIA_BENCH_PROCS", 2)
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	for range b.N {
		benchCalls(b, n, time.Duration(secs)*time.Second)
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchCalls(b *testing.B, n int, d time.Duration) {
	ea, eb := newTestEngine(b), newTestEngine(b)
	type leg struct {
		a, b    *Call
		offerAt time.Time
		first   chan time.Time
	}
	legs := make([]*leg, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range legs {
		l := &leg{first: make(chan time.Time, 1)}
		legs[i] = l
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if l.a, err = ea.NewCall(CallOptions{Audio: SendRecv}); err != nil {
				errs <- err
				return
			}
			if l.b, err = eb.NewCall(CallOptions{Audio: SendRecv, OnFirstAudio: func(t time.Time) { l.first <- t }}); err != nil {
				errs <- err
				return
			}
			l.a.SetAudioSource(ToneSource(1000, 8000))
			l.b.SetAudioSource(ToneSource(440, 8000))
			l.a.AddAudioSink(PCMCallbackSink(8000, func([]int16) {}))
			l.b.AddAudioSink(PCMCallbackSink(8000, func([]int16) {}))
			ctx := ctxT(b, 30*time.Second)
			l.offerAt = time.Now()
			offer, err := l.a.CreateOffer(ctx, false)
			if err == nil {
				var ans string
				if ans, err = l.b.AcceptOffer(ctx, offer); err == nil {
					err = l.a.SetAnswer(ans)
				}
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var setup []time.Duration
	for _, l := range legs {
		select {
		case t := <-l.first:
			setup = append(setup, t.Sub(l.offerAt))
		case <-time.After(20 * time.Second):
			b.Fatal("a call got no audio")
		}
	}
	// Warm up, then measure.
	time.Sleep(time.Second)
	type snap struct{ rx, lost, conc, late uint64 }
	take := func() (s snap) {
		for _, l := range legs {
			for _, c := range []*Call{l.a, l.b} {
				st := c.Stats()
				s.rx += st.Audio.PacketsReceived
				s.lost += uint64(max(st.Audio.PacketsLost, 0))
				s.conc += st.Concealed
				s.late += st.Late
			}
		}
		return s
	}
	s0 := take()
	c0, t0 := cpuTime(), time.Now()
	time.Sleep(d)
	c1, t1 := cpuTime(), time.Now()
	s1 := take()
	wall := t1.Sub(t0)
	cpu := c1 - c0
	rx := s1.rx - s0.rx
	lost := s1.lost - s0.lost
	conc := s1.conc - s0.conc
	expected := float64(rx + lost)
	frames := float64(2*n) * wall.Seconds() * 50
	var sum, worst time.Duration
	for _, s := range setup {
		sum += s
		worst = max(worst, s)
	}
	cpuPerCall := float64(cpu) / float64(wall) / float64(n) * 100 // % of one core
	b.ReportMetric(cpuPerCall, "%core/call")
	b.ReportMetric(cpuPerCall/2, "%core/leg")
	b.ReportMetric(float64(cpu)/float64(wall)*100, "%core-total")
	b.ReportMetric(float64(lost)/max(expected, 1)*100, "%loss")
	b.ReportMetric(float64(conc)/max(frames, 1)*100, "%concealed")
	b.ReportMetric(float64(s1.late-s0.late), "late-pkts")
	b.ReportMetric(float64(sum/time.Duration(len(setup)))/1e6, "ms-setup-avg")
	b.ReportMetric(float64(worst)/1e6, "ms-setup-max")
	b.Logf("%d calls (%d legs) on GOMAXPROCS=%d for %v: cpu %v (%.1f%% of a core per call), rx %d, lost %d, concealed frames %d",
		n, 2*n, runtime.GOMAXPROCS(0), wall.Round(time.Millisecond), cpu.Round(time.Millisecond), cpuPerCall, rx, lost, conc)
	for _, l := range legs {
		_ = l.a.Close()
		_ = l.b.Close()
	}
}

func BenchmarkEncodeULawFrame(b *testing.B) {
	pcm := tone(SampleRate, 1000, 8000, FrameSamples)
	out := make([]byte, FrameSamples)
	b.ReportAllocs()
	b.SetBytes(FrameSamples * 2)
	for range b.N {
		encodeG711(out, pcm, false)
	}
}

func BenchmarkDecodeALawFrame(b *testing.B) {
	in := make([]byte, FrameSamples)
	encodeG711(in, tone(SampleRate, 1000, 8000, FrameSamples), true)
	out := make([]int16, FrameSamples)
	b.ReportAllocs()
	b.SetBytes(FrameSamples)
	for range b.N {
		decodeG711(out, in, true)
	}
}

// BenchmarkJitterBuffer is one packet in and one frame out, with some
// reordering.
func BenchmarkJitterBuffer(b *testing.B) {
	for _, ms := range []int{0, 60} {
		b.Run(fmt.Sprintf("depth=%d", ms), func(b *testing.B) {
			jb := newJitterBuffer(ms)
			f := tone(SampleRate, 1000, 8000, FrameSamples)
			out := make([]int16, FrameSamples)
			b.ReportAllocs()
			for i := range b.N {
				n := i
				if i%10 == 3 {
					n = i + 1
				} else if i%10 == 4 {
					n = i - 1
				}
				jb.put(uint32(n*FrameSamples), f)
				jb.pull(out)
			}
		})
	}
}

func BenchmarkResample48kTo8k(b *testing.B) {
	r := NewResampler(48000, 8000)
	in := tone(48000, 1000, 8000, 960)
	out := make([]int16, 0, 200)
	b.ReportAllocs()
	for range b.N {
		out = r.Process(out[:0], in)
	}
}

func BenchmarkDTMFDetector(b *testing.B) {
	var d DTMFDetector
	f := tone(SampleRate, 1000, 8000, FrameSamples)
	b.ReportAllocs()
	for range b.N {
		d.Write(f)
	}
}
