package rtc

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Call is one call (one INVITE dialog) of the phone.
type Call struct {
	p          *Phone
	id         string // Call-ID
	uuid       string // X-CC-UUID (the CTI call uuid), "" if none; never changes
	incoming   bool
	autoAnswer bool
	remote     string // the other party: From of an incoming INVITE, target of an outgoing one
	headers    map[string]string
	pixels     int
	created    time.Time

	inbox reqQueue
	done  chan struct{}

	mu          sync.Mutex
	state       CallState
	localHold   bool
	remoteHold  bool
	ice         ICEState
	media       Media
	audio       Direction // what the agent wants
	video       Direction
	dlg         dialog
	invite      *sip.Request // incoming INVITE until its final response
	answering   bool
	acked       chan struct{} // closed on the ACK of our 2xx
	ackOffer    bool          // our 2xx carried an offer: the answer comes in the ACK
	offerBusy   bool
	lastAck     *sip.Request // the ACK we sent for the last 2xx we got
	lastAckSeq  uint32
	ourInvite   *sip.Request // outgoing INVITE, for CANCEL
	cancelled   bool
	linkGen     int
	endCode     int
	endReason   string
	answeredAt  time.Time
	confirmedAt time.Time
	firstAudio  time.Time
	bound       string // CTI uuid bound by BindUUID (no X-CC-UUID)
	mediaFail   string // why the media did not connect ("" while fine)
	ringTimer   *time.Timer
}

// Timings are the moments of a call's setup.
type Timings struct {
	Created    time.Time // INVITE received (incoming) or about to be sent (outgoing)
	Answered   time.Time // 200 OK sent or received
	Confirmed  time.Time // ACK received (incoming) or sent (outgoing)
	FirstAudio time.Time // first audio packet received
}

// Timings reports the call's setup moments (zero when not reached).
func (c *Call) Timings() Timings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Timings{Created: c.created, Answered: c.answeredAt, Confirmed: c.confirmedAt, FirstAudio: c.firstAudio}
}

// dialog is the RFC 3261 §12 dialog state.
type dialog struct {
	local, remote sip.Uri
	localName     string
	remoteName    string
	localTag      string
	remoteTag     string
	remoteTarget  sip.Uri
	routes        []string // Route set, in order
	localSeq      uint32
	remoteSeq     uint32
}

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// UUID is the CTI call uuid: the one the INVITE carried in X-CC-UUID,
// else the one bound with BindUUID ("" if neither).
func (c *Call) UUID() string {
	if c.uuid != "" {
		return c.uuid
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bound
}

// HeaderUUID is the X-CC-UUID of the INVITE ("" if none).
func (c *Call) HeaderUUID() string { return c.uuid }

// BindUUID ties a call whose INVITE carried no X-CC-UUID to the CTI uuid
// the caller worked out (the agent layer, from its CTI state). It reports
// whether uuid is the call's uuid now: false when the call has another
// (its header's, or one bound before) or uuid is empty. A new binding is
// reported as EventUUID, in order with the call's other events.
func (c *Call) BindUUID(uuid string) bool {
	if uuid == "" {
		return false
	}
	if c.uuid != "" {
		return c.uuid == uuid
	}
	c.mu.Lock()
	if c.bound != "" {
		c.mu.Unlock()
		return c.bound == uuid
	}
	c.bound = uuid
	// Pushed under c.mu: no state change of the call slips between the
	// state read here and the event.
	c.p.emit(Event{Type: EventUUID, Call: c, CallState: c.state, LocalHold: c.localHold, RemoteHold: c.remoteHold})
	c.mu.Unlock()
	c.p.emitConnectivity()
	return true
}

// MediaFailure says why the call's media did not connect ("" when it did,
// or has not been given its time yet). See Config.OnMediaFailure.
func (c *Call) MediaFailure() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mediaFail
}

// Incoming reports whether the other side sent the INVITE.
func (c *Call) Incoming() bool { return c.incoming }

// AutoAnswer reports whether the INVITE asked to be answered at once.
func (c *Call) AutoAnswer() bool { return c.autoAnswer }

// Remote is the other party's address (From of an incoming INVITE).
func (c *Call) Remote() string { return c.remote }

// Header returns an X- header of the INVITE (case-insensitive name).
func (c *Call) Header(name string) string { return c.headers[strings.ToLower(name)] }

// VideoHeight is the X-CC-Pixels of the INVITE, 0 if none.
func (c *Call) VideoHeight() int { return c.pixels }

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// State reports the call's state.
func (c *Call) State() CallState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Hold reports the local and remote hold flags.
func (c *Call) HoldState() (local, remote bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localHold, c.remoteHold
}

// ICE reports the media connection's state.
func (c *Call) ICE() ICEState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ice
}

// EndReason is why the call ended, with the SIP code behind it (0 if none).
func (c *Call) EndReason() (code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endCode, c.endReason
}

// Media returns the call's media session (nil before it is answered).
// With the default engine it is a *MediaCall.
func (c *Call) Media() Media {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.media
}

func (c *Call) stateAndICE() (CallState, ICEState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.ice
}

// emitState reports the call's state (read under c.mu by the caller).
func (c *Call) emitState(s CallState, lh, rh bool, code int, reason string) {
	c.p.emit(Event{Type: EventCall, Call: c, CallState: s, LocalHold: lh, RemoteHold: rh, Code: code, Reason: reason})
	c.p.emitConnectivity()
}

// setConfirmedLocked moves an answered call to confirmed/held. c.mu held.
func (c *Call) activeState() CallState {
	if c.localHold || c.remoteHold {
		return CallHeld
	}
	return CallConfirmed
}

// end tears the call down once.
func (c *Call) end(code int, reason string) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	c.state = CallEnded
	c.endCode, c.endReason = code, reason
	if c.ringTimer != nil {
		c.ringTimer.Stop()
	}
	m := c.media
	lh, rh := c.localHold, c.remoteHold
	c.mu.Unlock()
	close(c.done)
	if m != nil {
		_ = m.Close()
	}
	p := c.p
	p.mu.Lock()
	if p.calls[c.id] == c {
		delete(p.calls, c.id)
	}
	p.mu.Unlock()
	p.log.Info("call ended", "call_id", c.id, "uuid", c.UUID(), "code", code, "reason", reason)
	c.emitState(CallEnded, lh, rh, code, reason)
}

func (c *Call) contactHeader() *sip.ContactHeader { return c.p.contact.Clone() }

// Hangup ends the call whatever its state: BYE once answered, CANCEL while
// an outgoing INVITE is pending, 486 to a ringing incoming INVITE.
func (c *Call) Hangup(ctx context.Context) error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	switch st {
	case CallEnded:
		return nil
	case CallRinging:
		if err := c.Reject(ctx, 486); !errors.Is(err, ErrBadState) {
			return err
		}
		// Being answered right now: wait for the answer, then BYE.
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		select {
		case <-acked:
		case <-c.done:
			return nil
		case <-ctx.Done():
		}
		return c.bye(ctx, 0, "local hangup")
	case CallCalling, CallEarly:
		return c.cancel()
	default:
		return c.bye(ctx, 0, "local hangup")
	}
}

// bye ends the call and sends BYE.
func (c *Call) bye(ctx context.Context, code int, reason string) error {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return nil
	}
	req := c.inDialogLocked(sip.BYE)
	c.mu.Unlock()
	c.end(code, reason)
	res, err := c.p.roundTrip(ctx, req, nil)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 && res.StatusCode != 481 {
		return &StatusError{Method: "BYE", Code: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// inDialogLocked builds an in-dialog request (new CSeq, Route set). c.mu held.
func (c *Call) inDialogLocked(method sip.RequestMethod) *sip.Request {
	d := &c.dlg
	req := sip.NewRequest(method, d.remoteTarget)
	for _, r := range d.routes {
		req.AppendHeader(sip.NewHeader("Route", r))
	}
	from := sip.FromHeader{DisplayName: d.localName, Address: d.local, Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	req.AppendHeader(&from)
	to := sip.ToHeader{DisplayName: d.remoteName, Address: d.remote, Params: sip.NewParams()}
	if d.remoteTag != "" {
		to.Params.Add("tag", d.remoteTag)
	}
	req.AppendHeader(&to)
	cid := sip.CallIDHeader(c.id)
	req.AppendHeader(&cid)
	if method != sip.ACK {
		if d.localSeq == 0 {
			d.localSeq = uint32(rand.IntN(1<<20)) + 1
		}
		d.localSeq++
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.localSeq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(c.contactHeader())
		req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	}
	req.AppendHeader(sip.NewHeader("User-Agent", c.p.cfg.UserAgent))
	return req
}

// ---- DTMF and INFO ----

// ---- the request worker ----
