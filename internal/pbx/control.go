package pbx

import (
	"context"
	"errors"
	"time"
)

// The control API the simulator's CTI flows drive the calls with.

// InviteOptions shape a call the PBX places to an agent.
type InviteOptions struct {
	// AutoAnswer adds Call-Info: <sip:domain>;answer-after=0 (the agent
	// answers at once, as for the platform's own `call` leg).
	AutoAnswer bool
	// Audio and Video are the spec's media ints from the agent's side:
	// 0 none, 1 agent sends only, 2 agent receives only, 3 both. Audio 0
	// offers audio inactive; Video 0 offers no video m= line.
	// The zero value of InviteOptions is audio sendrecv and no video only
	// if Audio is set; use DefaultAudio (3) for plain calls.
	Audio, Video int
	// Pixels is the video height asked for (480/720/1280), sent as
	// X-CC-Pixels.
	Pixels int
	// Caller and CallerName form the From (default "pbx").
	Caller, CallerName string
	// ToneHz overrides the PBX tone for this call.
	ToneHz float64
	// Headers are extra headers for the INVITE.
	Headers map[string]string
	// Plain leaves out what only this PBX puts on its INVITEs and
	// re-INVITEs: X-CC-UUID and the auto-answer hint (AutoAnswer still
	// says how the leg is meant to be answered). Nothing shows the real
	// platform's FreeSWITCH sends either (docs/pbx.md).
	Plain bool
}

// DefaultAudio is audio both ways.
const DefaultAudio = 3

// Invite places a call to ext's registered contact: it builds a complete
// offer (ICE gathered), sends the INVITE with X-CC-UUID: uuid and returns.
// The call goes on in the background; follow it with events, WaitAnswered
// or Snapshot.
func (p *PBX) Invite(ctx context.Context, ext, uuid string, opts InviteOptions) error {
	if uuid == "" {
		return errors.New("pbx: empty uuid")
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	reg := p.liveReg(ext)
	if reg == nil {
		p.mu.Unlock()
		return ErrNotRegistered
	}
	if _, dup := p.calls[uuid]; dup {
		p.mu.Unlock()
		return ErrCallExists
	}
	call := p.newCall(uuid, ext, reg.conn, true)
	call.opts = opts
	call.remoteTarget = reg.contact
	call.cid = randHex(12) + "@" + p.cfg.Domain
	p.calls[uuid] = call
	p.byCID[call.cid] = call
	p.mu.Unlock()
	if err := call.startOutbound(ctx); err != nil {
		call.end("pbx", 0, err.Error())
		return err
	}
	return nil
}

// call finds a call in progress, or else one that ended lately.
func (p *PBX) call(uuid string) (*Call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.calls[uuid]; c != nil {
		return c, nil
	}
	if c := p.ended[uuid]; c != nil {
		return c, nil
	}
	return nil, ErrNoCall
}

// WaitAnswered blocks until the call is answered (nil), ends unanswered
// (ErrCallEnded, or a *RequestError for a failure response) or ctx ends.
func (p *PBX) WaitAnswered(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	select {
	case <-c.answered:
		return nil
	case <-c.done:
		select {
		case <-c.answered:
			return nil
		default:
		}
		return c.endError()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitEnded blocks until the call is over or ctx ends.
func (p *PBX) WaitEnded(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return nil // already gone
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Answer answers an agent-originated call left ringing (Config.AcceptAgentCalls
// without AutoAnswerAgentCalls).
func (p *PBX) Answer(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.answerIncoming()
}

// Hold puts the agent's leg on hold (on) or takes it off (off) with a
// re-INVITE: on offers every m= line inactive, so media stops both ways;
// off offers the call's media again. It returns once the re-INVITE is
// answered.
func (p *PBX) Hold(ctx context.Context, uuid string, on bool) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.reinvite(ctx, func(m *mediaLeg) { m.held = on })
}

// ChangeMedia re-INVITEs with new media (the spec's ints, agent's side;
// video > 0 adds a video m= line if there is none, 0 makes it inactive).
func (p *PBX) ChangeMedia(ctx context.Context, uuid string, audio, video int) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.reinvite(ctx, func(m *mediaLeg) {
		m.want = [2]Direction{Direction(audio & 3).Mirror(), Direction(video & 3).Mirror()}
	})
}

// Hangup ends a call from the PBX side: BYE once answered, CANCEL while
// ringing, a 487 to an agent INVITE still ringing. It returns once the
// call is over (or ctx ends, in which case the call is torn down anyway).
func (p *PBX) Hangup(ctx context.Context, uuid string) error {
	c, err := p.call(uuid)
	if err != nil {
		return err
	}
	return c.hangup(ctx)
}

// SendInfo sends a SIP INFO in the call's dialog (e.g. to test the agent's
// handling of one); it returns the response code.
func (p *PBX) SendInfo(ctx context.Context, uuid, contentType string, body []byte) (int, error) {
	c, err := p.call(uuid)
	if err != nil {
		return 0, err
	}
	res, err := c.inDialog(ctx, "INFO", contentType, body, nil)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Calls lists the uuids of the calls in progress.
func (p *PBX) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.calls))
	for u := range p.calls {
		out = append(out, u)
	}
	return out
}

// WaitSnapshot polls the call's snapshot every 10 ms until cond holds, the
// call ends (the last snapshot and ErrCallEnded) or ctx ends.
func (p *PBX) WaitSnapshot(ctx context.Context, uuid string, cond func(Snapshot) bool) (Snapshot, error) {
	c, err := p.call(uuid)
	if err != nil {
		return Snapshot{}, err
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s := c.snapshot()
		if cond(s) {
			return s, nil
		}
		select {
		case <-c.done:
			s = c.snapshot()
			if cond(s) {
				return s, nil
			}
			return s, ErrCallEnded
		case <-ctx.Done():
			return s, ctx.Err()
		case <-t.C:
		}
	}
}

// Snapshot reports a call's state and media: packet counts each way, the
// analysis of the last 200 ms of received audio, DTMF digits received.
func (p *PBX) Snapshot(uuid string) (Snapshot, error) {
	c, err := p.call(uuid)
	if err != nil {
		return Snapshot{}, err
	}
	return c.snapshot(), nil
}
