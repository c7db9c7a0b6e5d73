package audio

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pulsetest"
)

// A steady 440 Hz written on the call's 20 ms clock comes out of the
// speaker (a 48 kHz null sink, as on a desktop) without phase jumps: no
// sample dropped or inserted between WritePCM and the device. With 10 ms
// periods the server buffered 7.5-8.5 ms of the stream and underran on
// any late wake-up of the device thread: 1-3 jumps in 8-12 s unloaded,
// 18-31 with two busy loops (docs/audio.md). CC_GLITCH_SECONDS sets the
// length (default 8 s).
func TestPulseSpeakerToneHasNoPhaseJumps(t *testing.T) {
	requirePulse(t)
	nullSink(t, "cc_glitch_spk", "cc_glitch_spk", 48000, 2)
	micSetup(t, "cc_glitch_feed", "cc_glitch_mic")
	rec := record(t, "cc_glitch_spk.monitor", callRate)
	c := openPulseCall(t, "cc_glitch_spk", "cc_glitch_mic")
	stop := toneWriter(c.ep, 440, 8000)
	defer stop()
	rec.waitFor(t, 10*time.Second, "440 Hz on the speaker's monitor", toneFrom(440, callRate, 0, 500*time.Millisecond))
	// The server holds enough of the speaker's audio to ride out a late
	// device thread (what it holds is the stream's buffer latency). The
	// fill saw-tooths between refills (13.5-19.75 ms with 25 ms periods,
	// 2.5-8.5 ms with 10 ms ones): it must reach 15 ms.
	var lat time.Duration
	waitUntil(t, 2*time.Second, "the server buffering 15 ms of the speaker's stream", func() bool {
		lat = max(lat, pulsetest.BufferLatency(t, "cc_glitch_spk"))
		return lat >= 15*time.Millisecond
	})
	secs := 8
	if v, err := strconv.Atoi(os.Getenv("CC_GLITCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	before := c.ep.Stats()
	// The window starts 200 ms into what is recorded from now on: the
	// audio the ring gives now reaches the monitor's recording tens of ms
	// later (the server's buffer, the recording's fragments), so a gap
	// the ring counted just before this reading would land in the window
	// without its count.
	from := rec.len() + callRate/5
	rec.waitFor(t, time.Duration(secs+10)*time.Second, "the call's tone recorded", func(s []int16) bool {
		return len(s) >= from+secs*callRate
	})
	jumps, clean := pulsetest.PhaseJumps(rec.slice(from, from+secs*callRate), 440, callRate)
	st := c.ep.Stats()
	// A late writer (the test's Go ticker on a busy machine) runs the
	// endpoint's ring dry: a gap the ring counts, two jumps at most (its
	// start and its end). What this test hunts is a jump nobody counted:
	// audio lost between the endpoint and the device (the server's
	// buffer running dry).
	ringEvents := int(st.Speaker.Underruns - before.Speaker.Underruns + st.Speaker.Overruns - before.Speaker.Overruns)
	t.Logf("glitch: %d phase jumps in %d s (%d clean 10 ms blocks); speaker %.1f Hz, %d callbacks (%.1f frames each), underruns %d, overruns %d, dropped %d, buffered %d",
		jumps, secs, clean, st.Speaker.EffectiveRate, st.Speaker.Callbacks, float64(st.Speaker.Frames)/float64(max(st.Speaker.Callbacks, 1)),
		st.Speaker.Underruns, st.Speaker.Overruns, st.Speaker.Dropped, st.Speaker.Buffered)
	if clean < secs*90 {
		t.Fatalf("only %d clean blocks of the tone in %d s", clean, secs)
	}
	if jumps > 2*ringEvents {
		t.Errorf("%d phase jumps in %d s of a steady tone, %d of them not from the ring's %d underruns and overruns", jumps, secs, jumps-2*ringEvents, ringEvents)
	} else if jumps > 0 {
		t.Logf("%d phase jumps, all at the ring's %d underruns and overruns in the window (a late writer)", jumps, ringEvents)
	}
}
