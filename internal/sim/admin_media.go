package sim

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The admin API's view of the PBX: registrations and media legs.

// RTCRegistration is a live SIP binding (GET /admin/rtc/registrations).
type RTCRegistration struct {
	Ext       string            `json:"ext"`
	AgentID   string            `json:"agent_id,omitempty"` // the checked-in agent at that extension
	Contact   string            `json:"contact"`
	Expires   time.Time         `json:"expires"`
	Headers   map[string]string `json:"headers,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Remote    string            `json:"remote"`
}

// RTCRegistrations lists the PBX's live bindings, sorted by extension.
func (s *Server) RTCRegistrations() []RTCRegistration {
	out := []RTCRegistration{}
	if s.pbx == nil {
		return out
	}
	for _, r := range s.pbx.Registrations() {
		out = append(out, RTCRegistration{Ext: r.Ext, Contact: r.Contact, Expires: r.Expires, Headers: r.Headers,
			UserAgent: r.UserAgent, Remote: r.Remote})
	}
	s.mu.Lock()
	for i := range out {
		for _, a := range s.agents {
			if a.checkedIn && a.ext == out[i].Ext {
				out[i].AgentID = a.conf.AgentID
			}
		}
	}
	s.mu.Unlock()
	sortBy(out, func(r RTCRegistration) string { return r.Ext })
	return out
}

// RTCStream is one direction of one media kind.
type RTCStream struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	// LastMSAgo is how long ago the last packet went (-1: none yet).
	LastMSAgo int64 `json:"last_ms_ago"`
}

// RTCDigit is one DTMF digit the PBX detected.
type RTCDigit struct {
	Digit string    `json:"digit"`
	Mode  string    `json:"mode"` // rfc4733, info, inband
	At    time.Time `json:"at"`
}

// RTCCall is what the PBX saw of a media leg (GET /admin/rtc/calls/{uuid}).
type RTCCall struct {
	UUID       string `json:"uuid"`
	Ext        string `json:"ext"`
	Registered bool   `json:"registered"` // the extension has a live binding now
	State      string `json:"state"`      // calling, ringing, answered, ended
	Answered   bool   `json:"answered"`
	Held       bool   `json:"held"`       // the platform holds the call (CTI hold)
	AgentHeld  bool   `json:"agent_held"` // the agent's SDP holds it (sendonly/inactive)
	// Audio, Video: the agent's declared directions as the spec's ints
	// (0 inactive, 1 sendonly, 2 recvonly, 3 sendrecv; -1 no such m= line).
	Audio      int       `json:"audio"`
	Video      int       `json:"video"`
	AudioDir   string    `json:"audio_dir"`
	VideoDir   string    `json:"video_dir"`
	AudioCodec string    `json:"audio_codec,omitempty"`
	AudioRx    RTCStream `json:"audio_rx"` // from the agent
	AudioTx    RTCStream `json:"audio_tx"` // to the agent
	VideoRx    RTCStream `json:"video_rx"`
	VideoTx    RTCStream `json:"video_tx"`
	// Tone analyses the last 200 ms received from the agent.
	Tone struct {
		PeakHz    float64 `json:"peak_hz"`
		PeakRatio float64 `json:"peak_ratio"`
		RMSdBFS   float64 `json:"rms_dbfs"`
	} `json:"tone"`
	// ToneHz is the tone the PBX plays to the agent.
	ToneHz  float64    `json:"tone_hz"`
	Digits  string     `json:"digits"`
	DTMF    []RTCDigit `json:"dtmf"`
	SetupMS float64    `json:"setup_ms"` // INVITE sent → first audio packet from the agent (0: none yet)
	// Echo: a call of the agent's to the echo extension. Impairment: the
	// knobs in force on the leg (POST /admin/rtc/impair).
	Echo       bool          `json:"echo,omitempty"`
	Impairment RTCImpairment `json:"impairment"`
	EndBy      string        `json:"end_by,omitempty"`
	EndCode    int           `json:"end_code,omitempty"`
	EndReason  string        `json:"end_reason,omitempty"`
}

func dirName(d pbx.Direction) string {
	switch d {
	case pbx.Inactive:
		return "inactive"
	case pbx.SendOnly:
		return "sendonly"
	case pbx.RecvOnly:
		return "recvonly"
	case pbx.SendRecv:
		return "sendrecv"
	}
	return "none"
}

func stream(st pbx.StreamStats, now time.Time) RTCStream {
	r := RTCStream{Packets: st.Packets, Bytes: st.Bytes, LastMSAgo: -1}
	if !st.Last.IsZero() {
		r.LastMSAgo = now.Sub(st.Last).Milliseconds()
	}
	return r
}

// RTCCall reports a media leg by the uuid it was placed with (the CTI
// call's, or the agent's leg's); ended legs stay readable.
func (s *Server) RTCCall(uuid string) (RTCCall, error) {
	if s.pbx == nil {
		return RTCCall{}, errors.New("no PBX")
	}
	sn, err := s.pbx.Snapshot(uuid)
	if err != nil {
		return RTCCall{}, err
	}
	now := time.Now()
	out := RTCCall{UUID: sn.UUID, Ext: sn.Ext, Registered: s.pbx.Registered(sn.Ext), State: sn.State,
		Answered: !sn.AnsweredAt.IsZero(), Held: sn.Held, AgentHeld: sn.AgentHeld,
		Audio: int(sn.Audio), Video: int(sn.Video), AudioDir: dirName(sn.Audio), VideoDir: dirName(sn.Video),
		AudioCodec: sn.AudioCodec, AudioRx: stream(sn.AudioRx, now), AudioTx: stream(sn.AudioTx, now),
		VideoRx: stream(sn.VideoRx, now), VideoTx: stream(sn.VideoTx, now), ToneHz: rtcToneHz,
		Digits: sn.Digits, DTMF: []RTCDigit{}, SetupMS: float64(sn.SetupTime.Microseconds()) / 1000,
		EndBy: sn.EndBy, EndCode: sn.EndCode, EndReason: sn.EndReason, Echo: sn.Echo, Impairment: impairmentView(sn.Impairment)}
	out.Tone.PeakHz, out.Tone.PeakRatio, out.Tone.RMSdBFS = sn.Tone.PeakHz, sn.Tone.PeakRatio, sn.Tone.RMSdBFS
	for _, d := range sn.DTMF {
		out.DTMF = append(out.DTMF, RTCDigit{Digit: d.Digit, Mode: string(d.Mode), At: d.At})
	}
	return out, nil
}

// RTCCalls lists the media legs in progress.
func (s *Server) RTCCalls() []RTCCall {
	out := []RTCCall{}
	if s.pbx == nil {
		return out
	}
	for _, u := range s.pbx.Calls() {
		if c, err := s.RTCCall(u); err == nil {
			out = append(out, c)
		}
	}
	sortBy(out, func(c RTCCall) string { return c.UUID })
	return out
}

func sortBy[T any](xs []T, key func(T) string) {
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
