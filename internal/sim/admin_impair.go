package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// The PBX's impairment knobs on the admin API (POST /admin/rtc/impair):
// a bad network between the platform and an RTC agent, per media leg or
// per extension, set and cleared while the calls run (internal/pbx
// impair.go says what each knob does).

// DefaultEchoNumber is the PBX's echo extension unless Config.EchoNumber
// says otherwise: FreeSWITCH's default dialplan echoes calls to 9196.
const DefaultEchoNumber = "9196"

// echoNumber is the echo extension in use ("" none).
func (c *Config) echoNumber() string {
	switch c.EchoNumber {
	case "":
		return DefaultEchoNumber
	case "off":
		return ""
	}
	return c.EchoNumber
}

// ImpairSpec is an impairment of one media leg (UUID), or of every leg of
// an extension (Ext, or the extension of AgentID), now and later. The
// knobs replace the leg's (or extension's) previous ones: a spec with none
// set clears them.
type ImpairSpec struct {
	UUID    string `json:"uuid,omitempty"`
	Ext     string `json:"ext,omitempty"`
	AgentID string `json:"agent_id,omitempty"`
	// Loss is the share (0..1) of audio packets to the agent dropped;
	// JitterMS the interarrival jitter it sees (about); DelayMS a delay
	// added to everything sent to it (its RTT grows by as much); Silence
	// stops the audio to it; InLoss is the share of its audio packets
	// dropped on arrival at the PBX.
	Loss     float64 `json:"loss,omitempty"`
	JitterMS int     `json:"jitter_ms,omitempty"`
	DelayMS  int     `json:"delay_ms,omitempty"`
	Silence  bool    `json:"silence,omitempty"`
	InLoss   float64 `json:"in_loss,omitempty"`
}

// RTCImpairment is a leg's impairment as the admin API shows it.
type RTCImpairment struct {
	Loss     float64 `json:"loss"`
	JitterMS int64   `json:"jitter_ms"`
	DelayMS  int64   `json:"delay_ms"`
	Silence  bool    `json:"silence"`
	InLoss   float64 `json:"in_loss"`
}

func impairmentView(imp pbx.Impairment) RTCImpairment {
	return RTCImpairment{Loss: imp.Loss, JitterMS: imp.Jitter.Milliseconds(), DelayMS: imp.Delay.Milliseconds(),
		Silence: imp.Silence, InLoss: imp.InLoss}
}

// Errors of Impair.
var (
	// ErrBadImpairment: a spec naming no leg or extension (or more than
	// one), or knobs out of range.
	ErrBadImpairment = errors.New("bad impairment")
)

// Impair sets (or, with no knob set, clears) an impairment: on a media
// leg in progress (ErrNoCall if none has the uuid), or on every leg of an
// extension.
func (s *Server) Impair(sp ImpairSpec) error {
	if s.pbx == nil {
		return errors.New("no PBX")
	}
	named := 0
	for _, v := range []string{sp.UUID, sp.Ext, sp.AgentID} {
		if v != "" {
			named++
		}
	}
	if named != 1 {
		return fmt.Errorf("%w: name one of uuid, ext or agent_id", ErrBadImpairment)
	}
	if sp.JitterMS < 0 || sp.DelayMS < 0 {
		return fmt.Errorf("%w: jitter_ms and delay_ms must not be negative", ErrBadImpairment)
	}
	imp := pbx.Impairment{Loss: sp.Loss, Jitter: time.Duration(sp.JitterMS) * time.Millisecond,
		Delay: time.Duration(sp.DelayMS) * time.Millisecond, Silence: sp.Silence, InLoss: sp.InLoss}
	ext := sp.Ext
	if sp.AgentID != "" {
		s.mu.Lock()
		a := s.agents[sp.AgentID]
		if a != nil {
			ext = a.ext
			if ext == "" {
				ext = a.conf.ExtID
			}
		}
		s.mu.Unlock()
		if a == nil {
			return fmt.Errorf("%w: no agent %q", ErrBadImpairment, sp.AgentID)
		}
	}
	var err error
	if sp.UUID != "" {
		err = s.pbx.Impair(sp.UUID, imp)
	} else {
		err = s.pbx.ImpairExt(ext, imp)
	}
	switch {
	case errors.Is(err, pbx.ErrNoCall):
		return fmt.Errorf("%w: no media leg %q in progress", ErrNoCall, sp.UUID)
	case errors.Is(err, pbx.ErrBadImpairment):
		return fmt.Errorf("%w: %v", ErrBadImpairment, err)
	}
	return err
}
