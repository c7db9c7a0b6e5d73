package pbx

import "time"

// Snapshot is a call's state and what its media leg has seen.
type Snapshot struct {
	UUID, Ext, CallID string
	State             string // calling, ringing, answered, ended
	Outbound          bool   // placed by the PBX
	Held              bool   // the PBX has the call on hold
	AgentHeld         bool   // the agent's SDP puts audio sendonly/inactive
	Audio, Video      Direction
	AudioCodec        string

	AudioRx, AudioTx StreamStats
	VideoRx, VideoTx StreamStats

	// Tone analyses the last 200 ms of audio received from the agent.
	Tone   ToneAnalysis
	Digits string
	DTMF   []DTMFDigit

	// Echo: a call to the echo extension (the agent hears itself).
	// Impairment is what the test's knobs do to the call's media now;
	// Delayed counts the packets (RTP and RTCP) it holds back now.
	Echo       bool
	Impairment Impairment
	Delayed    int

	SetupTime  time.Duration // INVITE to first audio packet from the agent (0: none yet)
	AnsweredAt time.Time
	EndedAt    time.Time
	EndBy      string
	EndCode    int
	EndReason  string
}

func (c *Call) snapshot() Snapshot {
	c.mu.Lock()
	s := Snapshot{UUID: c.uuid, Ext: c.ext, CallID: c.cid, State: c.state.String(), Outbound: c.outbound,
		AnsweredAt: c.answeredAt, EndedAt: c.endedAt, EndBy: c.endBy, EndCode: c.endCode, EndReason: c.endReason,
		Echo: c.echo, Impairment: c.imp}
	if !c.firstAudio.IsZero() {
		s.SetupTime = c.firstAudio.Sub(c.setupStart)
	}
	c.mu.Unlock()
	m := c.media
	if m == nil {
		s.Audio, s.Video = -1, -1
		return s
	}
	m.mu.Lock()
	s.Held = m.held
	s.Audio, s.Video = m.agentDir(0), m.agentDir(1)
	s.AgentHeld = s.Audio == SendOnly || s.Audio == Inactive
	s.AudioRx, s.AudioTx, s.VideoRx, s.VideoTx = m.rx[0], m.tx[0], m.rx[1], m.tx[1]
	s.DTMF = append([]DTMFDigit(nil), m.digits...)
	m.mu.Unlock()
	s.Delayed = m.late.held()
	for _, d := range s.DTMF {
		s.Digits += d.Digit
	}
	if _, _, mime, _, _ := m.audio.codec(); mime != "" {
		s.AudioCodec = mime
	}
	s.Tone = AnalyseTone(m.recent(SampleRate/5), SampleRate)
	return s
}

// RecentAudio returns up to d (at most 1 s) of the audio last received
// from the agent on a call, as 8 kHz linear samples.
func (p *PBX) RecentAudio(uuid string, d time.Duration) ([]int16, error) {
	c, err := p.call(uuid)
	if err != nil {
		return nil, err
	}
	if c.media == nil {
		return nil, nil
	}
	return c.media.recent(int(d.Seconds() * SampleRate)), nil
}

const keepEndedCalls = 512

// keepEnded remembers an ended call for Snapshot. p.mu held.
func (p *PBX) keepEnded(c *Call) {
	if p.ended == nil {
		p.ended = map[string]*Call{}
	}
	p.ended[c.uuid] = c
	p.endedOrder = append(p.endedOrder, c)
	for len(p.endedOrder) > keepEndedCalls {
		old := p.endedOrder[0]
		p.endedOrder = p.endedOrder[1:]
		if p.ended[old.uuid] == old {
			delete(p.ended, old.uuid)
		}
	}
}
