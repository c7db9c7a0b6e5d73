package media

// The receive jitter buffer works in the RTP timestamp domain of an 8 kHz
// stream: decoded samples are written at their timestamp into a ring, and
// playout reads one 20 ms frame per tick from a play cursor that trails the
// newest audio by the target depth. Reordered packets land in place, lost
// ones are concealed (the last frame repeated, fading out over 60 ms),
// packets behind the cursor are late. Packet size (ptime) does not matter.
//
// Depth is fixed (Config.JitterBufferMs > 0) or adaptive: the target
// follows the measured interarrival jitter (2 frames + 4 × jitter), grows by
// a frame at each late packet (the cursor steps back so that packet still
// plays) and shrinks again by dropping a frame when more than the target
// plus two frames stays buffered for half a second. After a gap in the
// stream (hold, DTX, a new talkspurt) the cursor re-anchors on the first
// new packet.

const (
	jbSize     = 8192 // samples (1.024 s); a power of two
	jbMask     = jbSize - 1
	jbMinDepth = 2 * FrameSamples  // 40 ms: the two ends' 20 ms clocks are not in phase
	jbMaxDepth = 15 * FrameSamples // 300 ms
)

type jbStatus int

const (
	jbNotStarted jbStatus = iota // no audio yet
	jbOK                         // all samples real
	jbConcealed                  // some or all samples concealed
	jbEmpty                      // starved: silence
)

type jitterBuffer struct {
	fixed    bool
	target   int // samples
	lateGrow int // extra depth from late packets (adaptive)
	lateAge  int // pulls since the last late packet
	jitter   float64

	ring  [jbSize]int16
	valid [jbSize]bool

	started   bool
	anchorTS  uint32 // first timestamp after (re)anchoring: nothing to conceal before it
	playTS    uint32
	highTS    uint32 // end of the newest audio written
	starved   int
	excessRun int

	last    [FrameSamples]int16
	lossRun int

	late, concealed, dropped, resyncs uint64
}

// newJitterBuffer makes a buffer of fixed depth ms, or adaptive when ms <= 0.
func newJitterBuffer(ms int) *jitterBuffer {
	jb := &jitterBuffer{}
	if ms > 0 {
		jb.fixed = true
		jb.target = min(max(ms*SampleRate/1000, FrameSamples), jbSize/2)
	} else {
		jb.target = jbMinDepth
	}
	return jb
}

// depthMs is the current target depth.
func (jb *jitterBuffer) depthMs() int { return jb.target * 1000 / SampleRate }

// setJitter feeds the interarrival jitter estimate (in samples).
func (jb *jitterBuffer) setJitter(j float64) { jb.jitter = j }

func (jb *jitterBuffer) adapt() {
	if jb.fixed {
		return
	}
	t := 2*FrameSamples + int(4*jb.jitter) + jb.lateGrow
	jb.target = min(max(t, jbMinDepth), jbMaxDepth)
}

func (jb *jitterBuffer) clear() {
	clear(jb.valid[:])
	jb.starved, jb.excessRun = 0, 0
}

func (jb *jitterBuffer) anchor(ts uint32) {
	jb.playTS = ts - uint32(jb.target)
	jb.anchorTS = ts
	jb.highTS = ts
	jb.started = true
	jb.starved = 0
}

// reset forgets the stream (new SSRC).
func (jb *jitterBuffer) reset() {
	jb.clear()
	jb.started = false
}

// put stores the decoded samples of a packet with RTP timestamp ts.
func (jb *jitterBuffer) put(ts uint32, pcm []int16) {
	if len(pcm) == 0 {
		return
	}
	if !jb.started {
		jb.anchor(ts)
	} else if jb.starved >= 3 {
		// A new talkspurt after a gap: re-anchor at the target depth.
		jb.clear()
		jb.anchor(ts)
	}
	d := int32(ts - jb.playTS)
	end := d + int32(len(pcm))
	switch {
	case end <= 0:
		jb.late++
		if jb.fixed || -d > 3*FrameSamples {
			return
		}
		// Adaptive: deepen by stepping the cursor back so this packet plays.
		jb.lateGrow = min(jb.lateGrow+FrameSamples, jbMaxDepth)
		jb.lateAge = 0
		jb.playTS = ts
	case d < 0:
		jb.late++
		pcm = pcm[-d:]
		ts -= uint32(d)
	case end > jbSize-FrameSamples:
		// Far ahead of the cursor: a jump in the stream; start over.
		jb.resyncs++
		jb.clear()
		jb.anchor(ts)
	}
	for i, s := range pcm {
		p := (ts + uint32(i)) & jbMask
		jb.ring[p] = s
		jb.valid[p] = true
	}
	if e := ts + uint32(len(pcm)); int32(e-jb.highTS) > 0 {
		jb.highTS = e
	}
}

// buffered is how many samples lie between the cursor and the newest audio.
func (jb *jitterBuffer) buffered() int {
	if d := int32(jb.highTS - jb.playTS); d > 0 {
		return int(d)
	}
	return 0
}

// pull fills out (FrameSamples long) with the next frame of playout.
func (jb *jitterBuffer) pull(out []int16) jbStatus {
	out = out[:FrameSamples]
	if !jb.started {
		clear(out)
		return jbNotStarted
	}
	jb.lateAge++
	if jb.lateAge >= 250 && jb.lateGrow > 0 { // 5 s without a late packet
		jb.lateGrow -= FrameSamples
		jb.lateAge = 0
	}
	jb.adapt()
	if int32(jb.playTS+FrameSamples-jb.anchorTS) <= 0 {
		// Pre-buffering after an anchor: silence, nothing lost.
		clear(out)
		jb.playTS += FrameSamples
		return jbOK
	}
	have := 0
	for i := range out {
		p := (jb.playTS + uint32(i)) & jbMask
		if jb.valid[p] {
			have++
		}
	}
	status := jbOK
	switch {
	case have == FrameSamples:
		for i := range out {
			p := (jb.playTS + uint32(i)) & jbMask
			out[i] = jb.ring[p]
			jb.valid[p] = false
		}
		jb.lossRun = 0
		jb.starved = 0
	case have == 0 && jb.buffered() <= FrameSamples:
		// Nothing here and nothing ahead: the stream stopped or is late.
		jb.starved++
		if jb.starved >= 3 {
			clear(out)
			status = jbEmpty
			break
		}
		jb.conceal(out)
		status = jbConcealed
	default:
		jb.starved = 0
		jb.lossRun++
		gain := concealGain(jb.lossRun)
		for i := range out {
			p := (jb.playTS + uint32(i)) & jbMask
			if jb.valid[p] {
				out[i] = jb.ring[p]
				jb.valid[p] = false
			} else {
				out[i] = int16(float64(jb.last[i]) * gain)
			}
		}
		jb.concealed++
		status = jbConcealed
	}
	copy(jb.last[:], out)
	jb.playTS += FrameSamples
	// Too much buffered for too long (clock drift, or the target shrank):
	// drop a frame.
	if jb.buffered() > jb.target+2*FrameSamples {
		jb.excessRun++
		if jb.excessRun >= 25 {
			for i := range FrameSamples {
				jb.valid[(jb.playTS+uint32(i))&jbMask] = false
			}
			jb.playTS += FrameSamples
			jb.dropped++
			jb.excessRun = 0
		}
	} else {
		jb.excessRun = 0
	}
	return status
}

func (jb *jitterBuffer) conceal(out []int16) {
	jb.lossRun++
	gain := concealGain(jb.lossRun)
	for i := range out {
		out[i] = int16(float64(jb.last[i]) * gain)
	}
	jb.concealed++
}

// concealGain fades a repeated frame out over three frames.
func concealGain(run int) float64 {
	switch run {
	case 1:
		return 0.8
	case 2:
		return 0.5
	case 3:
		return 0.2
	}
	return 0
}
