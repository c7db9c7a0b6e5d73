package rtc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
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
	local, remote     sip.Uri
	localName         string
	remoteName        string
	localTag          string
	remoteTag         string
	remoteTarget      sip.Uri
	routes            []string // Route set, in order
	localSeq          uint32
	remoteSeq         uint32
	inviteCSeq        uint32 // CSeq of the INVITE (ours) being answered
	localContactCheck bool
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

// CallByUUID finds a live call by the CTI uuid of its INVITE.
func (p *Phone) CallByUUID(uuid string) *Call {
	if uuid == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.uuid == uuid {
			return c
		}
	}
	for _, c := range p.calls {
		c.mu.Lock()
		b := c.bound
		c.mu.Unlock()
		if b == uuid {
			return c
		}
	}
	return nil
}

// CallByID finds a live call by its Call-ID.
func (p *Phone) CallByID(id string) *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}

// Calls lists the live calls.
func (p *Phone) Calls() []*Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		out = append(out, c)
	}
	return out
}

func (p *Phone) newCall(id string, incoming bool) *Call {
	c := &Call{p: p, id: id, incoming: incoming, created: time.Now(), done: make(chan struct{}),
		headers: map[string]string{}, acked: make(chan struct{}), audio: SendRecv, video: -1}
	c.inbox.init()
	c.linkGen = p.reg.linkGenNow()
	return c
}

// addCall registers c and starts its request worker; ErrTooManyCalls
// when the phone has Config.MaxCalls calls already.
func (p *Phone) addCall(c *Call) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.cfg.MaxCalls > 0 && len(p.calls) >= p.cfg.MaxCalls {
		p.mu.Unlock()
		return ErrTooManyCalls
	}
	p.calls[c.id] = c
	p.mu.Unlock()
	p.callWG.Add(1)
	go c.work()
	return nil
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

// ---- incoming INVITE ----

// autoAnswerHint reports whether an INVITE asks to be answered at once.
func autoAnswerHint(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Call-Info") {
		v := strings.ToLower(h.Value())
		if strings.Contains(v, "answer-after=0") || strings.Contains(v, "auto-answer") || strings.Contains(v, "autoanswer") {
			return true
		}
	}
	for _, h := range req.GetHeaders("Alert-Info") {
		v := strings.ToLower(h.Value())
		if strings.Contains(v, "auto-answer") || strings.Contains(v, "autoanswer") || strings.Contains(v, "auto_answer") {
			return true
		}
	}
	return false
}

func (p *Phone) onInvite(req *sip.Request) {
	c := p.newCall(req.CallID().Value(), true)
	c.invite = req
	if h := req.GetHeader("X-CC-UUID"); h != nil {
		c.uuid = strings.TrimSpace(h.Value())
	}
	c.autoAnswer = autoAnswerHint(req) && !p.cfg.IgnoreAutoAnswer
	for _, h := range req.Headers() {
		if n := strings.ToLower(h.Name()); strings.HasPrefix(n, "x-") {
			c.headers[n] = h.Value()
		}
	}
	if v := c.headers["x-cc-pixels"]; v != "" {
		c.pixels, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	from := req.From()
	c.remote = from.Address.String()
	to := req.To()
	c.dlg = dialog{
		local: to.Address, localName: to.DisplayName, localTag: randHex(6),
		remote: from.Address, remoteName: from.DisplayName,
		remoteSeq: req.CSeq().SeqNo,
	}
	c.dlg.remoteTag, _ = from.Params.Get("tag")
	if ct := req.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	} else {
		c.dlg.remoteTarget = from.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		c.dlg.routes = append(c.dlg.routes, splitRoutes(h.Value())...)
	}
	info := parseSDPInfo(string(req.Body()))
	if info.video >= 0 {
		c.video = SendRecv
	}
	c.remoteHold = info.hold
	if err := p.addCall(c); err != nil {
		if errors.Is(err, ErrTooManyCalls) {
			// Refused before anything is made for it (RFC 3261 §21.4.24).
			p.log.Warn("incoming call refused: too many calls", "call_id", c.id, "max_calls", p.cfg.MaxCalls, "from", c.remote)
			res := p.response(req, 486, "Busy Here", c.dlg.localTag)
			res.AppendHeader(sip.NewHeader("Warning", `399 cloudcc "too many calls"`))
			p.send(res)
			return
		}
		p.send(p.response(req, 480, "Temporarily Unavailable", c.dlg.localTag))
		return
	}
	if c.autoAnswer {
		c.mu.Lock()
		c.state = CallRinging
		c.mu.Unlock()
		p.send(p.response(req, 100, "Trying", ""))
		p.log.Info("incoming call, auto-answer", "call_id", c.id, "uuid", c.UUID(), "from", c.remote)
		p.callWG.Add(1)
		go func() {
			defer p.callWG.Done()
			ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AnswerTimeout)
			defer cancel()
			if err := c.Answer(ctx, AnswerOptions{}); err != nil && !errors.Is(err, ErrCallEnded) {
				p.log.Warn("auto-answer failed", "call_id", c.id, "err", err)
			}
		}()
		return
	}
	c.mu.Lock()
	c.state = CallRinging
	if d := p.cfg.RingTimeout; d > 0 {
		c.ringTimer = time.AfterFunc(d, c.ringTimedOut)
	}
	c.mu.Unlock()
	res := p.response(req, 180, "Ringing", c.dlg.localTag)
	res.AppendHeader(c.contactHeader())
	p.send(res)
	p.log.Info("incoming call ringing", "call_id", c.id, "uuid", c.UUID(), "from", c.remote)
	c.emitState(CallRinging, false, c.remoteHold, 0, "")
}

// ringTimedOut ends a call still ringing after Config.RingTimeout.
func (c *Call) ringTimedOut() {
	c.mu.Lock()
	req := c.invite
	ringing := c.state == CallRinging && !c.answering && req != nil
	if ringing {
		c.invite = nil
	}
	c.mu.Unlock()
	if !ringing {
		return
	}
	c.p.log.Info("incoming call not answered in time", "call_id", c.id, "uuid", c.UUID(), "ring_timeout", c.p.cfg.RingTimeout)
	c.p.send(c.p.response(req, 480, "Temporarily Unavailable", c.dlg.localTag))
	c.end(480, "ring timeout")
}

func splitRoutes(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func (c *Call) contactHeader() *sip.ContactHeader { return c.p.contact.Clone() }

// AnswerOptions shape the answer. Zero: audio both ways, video both ways
// when the INVITE offers it.
type AnswerOptions struct {
	Audio, Video Direction
	// SetDirections: use Audio and Video as given (otherwise the zero
	// value means the defaults above).
	SetDirections bool
}

// Answer answers a ringing incoming call: 200 OK with the media answer. It
// returns once the ACK arrived (the call is confirmed).
func (c *Call) Answer(ctx context.Context, opts AnswerOptions) error {
	p := c.p
	c.mu.Lock()
	switch {
	case c.state == CallEnded:
		c.mu.Unlock()
		return ErrCallEnded
	case !c.incoming || c.state != CallRinging:
		c.mu.Unlock()
		return ErrBadState
	case c.answering:
		c.mu.Unlock()
		return ErrBusy
	}
	c.answering = true
	if opts.SetDirections {
		c.audio, c.video = opts.Audio, opts.Video
	}
	req, audio, video := c.invite, c.audio, c.video
	c.mu.Unlock()
	if video < 0 {
		video = Inactive
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.AnswerTimeout)
		defer cancel()
	}
	start := time.Now()
	m, err := p.media.NewMedia(c.mediaOptions(audio, video))
	var sdp string
	offerInAck := len(req.Body()) == 0
	if err == nil {
		if offerInAck {
			sdp, err = m.CreateOffer(ctx, false)
		} else {
			sdp, err = m.AcceptOffer(ctx, string(req.Body()))
		}
		if err != nil {
			_ = m.Close()
		}
	}
	if err != nil {
		p.log.Warn("cannot answer: media", "call_id", c.id, "err", err)
		c.mu.Lock()
		live := c.state == CallRinging
		c.invite = nil
		c.mu.Unlock()
		if live {
			p.send(p.response(req, 488, "Not Acceptable Here", c.dlg.localTag))
		}
		c.end(488, "media: "+err.Error())
		return fmt.Errorf("rtc: answer: %w", err)
	}
	c.mu.Lock()
	if c.state != CallRinging {
		c.mu.Unlock()
		_ = m.Close()
		return ErrCallEnded
	}
	c.media = m
	c.state = CallAnswered
	c.answeredAt = time.Now()
	c.ackOffer = offerInAck
	c.invite = nil
	acked := c.acked
	lh, rh := c.localHold, c.remoteHold
	c.mu.Unlock()
	res := p.response(req, 200, "OK", c.dlg.localTag)
	res.AppendHeader(c.contactHeader())
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	ctype := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ctype)
	res.SetBody([]byte(sdp))
	p.send(res)
	p.log.Info("call answered", "call_id", c.id, "uuid", c.UUID(), "answer_ms", time.Since(start).Milliseconds())
	c.emitState(CallAnswered, lh, rh, 200, "")
	select {
	case <-acked:
		return nil
	case <-c.done:
		return ErrCallEnded
	case <-ctx.Done():
		// No ACK: the 2xx never arrived. Give up on the dialog (RFC 3261 §13.3.1.4).
		p.callWG.Add(1)
		go func() {
			defer p.callWG.Done()
			bctx, cancel := context.WithTimeout(context.Background(), p.cfg.RequestTimeout)
			defer cancel()
			_ = c.bye(bctx, 408, "no ACK")
		}()
		return fmt.Errorf("rtc: answer: no ACK: %w", ctx.Err())
	}
}

// Reject refuses a ringing incoming call with code (486 Busy Here when 0;
// 603 Decline, 480...).
func (c *Call) Reject(ctx context.Context, code int) error {
	_ = ctx
	if code == 0 {
		code = 486
	}
	if code < 300 || code > 699 {
		return fmt.Errorf("%w: reject code %d", ErrInvalidArgument, code)
	}
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return ErrCallEnded
	}
	if !c.incoming || c.state != CallRinging || c.invite == nil {
		c.mu.Unlock()
		return ErrBadState
	}
	req := c.invite
	c.invite = nil
	c.mu.Unlock()
	c.p.send(c.p.response(req, code, reasonPhrase(code), c.dlg.localTag))
	c.end(code, "rejected")
	return nil
}

func reasonPhrase(code int) string {
	switch code {
	case 486:
		return "Busy Here"
	case 603:
		return "Decline"
	case 480:
		return "Temporarily Unavailable"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 600:
		return "Busy Everywhere"
	}
	return "Rejected"
}

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

// ---- re-INVITE (ours) ----

// Hold puts the call on hold (on) or takes it off (off) with a re-INVITE.
func (c *Call) Hold(ctx context.Context, on bool) error {
	err := c.reinvite(ctx, false, func(m Media) error { return m.SetHold(on) })
	if err != nil {
		return err
	}
	c.mu.Lock()
	changed := c.localHold != on
	c.localHold = on
	st, lh, rh := c.state, c.localHold, c.remoteHold
	if st == CallConfirmed || st == CallHeld {
		st = c.activeState()
		c.state = st
	}
	c.mu.Unlock()
	if changed {
		c.emitState(st, lh, rh, 0, "")
	}
	return nil
}

// ChangeMedia re-negotiates the directions the agent wants (the spec's
// change_media: 0 none, 1 send only, 2 receive only, 3 both). A video
// direction above 0 adds video when the call has none.
func (c *Call) ChangeMedia(ctx context.Context, audio, video Direction) error {
	if audio < 0 || audio > 3 || video < 0 || video > 3 {
		return fmt.Errorf("%w: direction out of range", ErrInvalidArgument)
	}
	err := c.reinvite(ctx, false, func(m Media) error { return m.SetDirections(audio, video) })
	if err == nil {
		c.mu.Lock()
		c.audio, c.video = audio, video
		c.mu.Unlock()
	}
	return err
}

// RestartICE sends a re-INVITE with new ICE credentials (done by itself
// when the SIP link returns during a call).
func (c *Call) RestartICE(ctx context.Context) error {
	return c.reinvite(ctx, true, nil)
}

func (c *Call) reinvite(ctx context.Context, iceRestart bool, prepare func(Media) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.p.cfg.RequestTimeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		err := c.reinviteOnce(ctx, iceRestart, prepare)
		var se *StatusError
		if attempt == 0 && errors.As(err, &se) && se.Code == 491 {
			// Glare (RFC 3261 §14.1): wait 2.1-4s (we own no Call-ID
			// priority over a server) and try once more.
			t := time.NewTimer(2100*time.Millisecond + time.Duration(rand.IntN(1900))*time.Millisecond)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return err
			case <-c.done:
				t.Stop()
				return ErrCallEnded
			}
		}
		return err
	}
}

func (c *Call) reinviteOnce(ctx context.Context, iceRestart bool, prepare func(Media) error) error {
	c.mu.Lock()
	switch {
	case c.state == CallEnded:
		c.mu.Unlock()
		return ErrCallEnded
	case c.state != CallConfirmed && c.state != CallHeld:
		c.mu.Unlock()
		return ErrBadState
	case c.offerBusy:
		c.mu.Unlock()
		return ErrBusy
	case c.media == nil:
		c.mu.Unlock()
		return ErrNoMedia
	}
	c.offerBusy = true
	m := c.media
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	if prepare != nil {
		if err := prepare(m); err != nil {
			return err
		}
	}
	offer, err := m.CreateOffer(ctx, iceRestart)
	if err != nil {
		return err
	}
	c.mu.Lock()
	req := c.inDialogLocked(sip.INVITE)
	c.mu.Unlock()
	if c.uuid != "" {
		req.AppendHeader(sip.NewHeader("X-CC-UUID", c.uuid))
	}
	ctype := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ctype)
	req.SetBody([]byte(offer))
	res, err := c.p.roundTrip(ctx, req, nil)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		c.p.send(c.ackNon2xx(req, res))
		if res.StatusCode == 481 || res.StatusCode == 408 {
			c.end(res.StatusCode, "dialog lost")
		}
		return &StatusError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
	}
	c.mu.Lock()
	c.refreshTarget(res)
	ack := c.ackFor2xxLocked(req.CSeq().SeqNo)
	c.mu.Unlock()
	c.p.send(ack)
	if err := m.SetAnswer(string(res.Body())); err != nil {
		return fmt.Errorf("rtc: re-INVITE answer: %w", err)
	}
	return nil
}

// refreshTarget takes the remote target from a 2xx/re-INVITE's Contact. c.mu held.
func (c *Call) refreshTarget(m interface{ Contact() *sip.ContactHeader }) {
	if ct := m.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	}
}

// ackFor2xxLocked builds the ACK of a 2xx to our INVITE with CSeq n. c.mu held.
func (c *Call) ackFor2xxLocked(n uint32) *sip.Request {
	ack := c.inDialogLocked(sip.ACK)
	ack.CSeq().SeqNo = n
	c.p.setVia(ack, newBranch())
	c.lastAck, c.lastAckSeq = ack, n
	return ack
}

// ackNon2xx builds the ACK of a failure response: same branch and
// Request-URI as the INVITE, To of the response (RFC 3261 §17.1.1.3).
func (c *Call) ackNon2xx(inv *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, inv.Recipient)
	ack.AppendHeader(sip.HeaderClone(inv.Via()))
	for _, r := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.HeaderClone(r))
	}
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	return ack
}

func (c *Call) resendAck(seq uint32) {
	c.mu.Lock()
	ack := c.lastAck
	ok := ack != nil && c.lastAckSeq == seq
	c.mu.Unlock()
	if ok {
		c.p.send(ack)
	}
}

// ---- DTMF and INFO ----

// SendDTMF sends digits (0-9 * # A-D) in mode: RFC 4733 or inband on the
// media, or one SIP INFO (application/dtmf-relay) per digit.
func (c *Call) SendDTMF(ctx context.Context, digits string, mode DTMFMode) error {
	for _, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCDabcd", d) {
			return fmt.Errorf("%w: DTMF digit %q", ErrInvalidArgument, d)
		}
	}
	c.mu.Lock()
	st, m := c.state, c.media
	c.mu.Unlock()
	if st == CallEnded {
		return ErrCallEnded
	}
	if st != CallConfirmed && st != CallHeld {
		return ErrBadState
	}
	switch mode {
	case DTMFInfo:
		// Digits queued on the media before these play out first, so that
		// "12" by RFC 4733 then "34" by INFO reach the far end as 1234.
		if w, ok := m.(interface{ WaitDTMF(context.Context) error }); ok {
			if err := w.WaitDTMF(ctx); err != nil && ctx.Err() != nil {
				return err
			}
		}
		for _, d := range strings.ToUpper(digits) {
			code, err := c.SendInfo(ctx, "application/dtmf-relay", []byte("Signal="+string(d)+"\r\nDuration=160\r\n"))
			if err != nil {
				return err
			}
			if code/100 != 2 {
				return &StatusError{Method: "INFO", Code: code}
			}
		}
		return nil
	case DTMFRFC4733, DTMFInband:
		if m == nil {
			return ErrNoMedia
		}
		return m.SendDTMF(strings.ToUpper(digits), mode)
	}
	return fmt.Errorf("%w: DTMF mode %d", ErrInvalidArgument, mode)
}

// SendInfo sends a SIP INFO in the dialog and returns the response code.
func (c *Call) SendInfo(ctx context.Context, contentType string, body []byte) (int, error) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return 0, ErrCallEnded
	}
	if c.state != CallConfirmed && c.state != CallHeld && c.state != CallAnswered {
		c.mu.Unlock()
		return 0, ErrBadState
	}
	req := c.inDialogLocked(sip.INFO)
	c.mu.Unlock()
	if contentType != "" {
		ct := sip.ContentTypeHeader(contentType)
		req.AppendHeader(&ct)
	}
	req.SetBody(body)
	res, err := c.p.roundTrip(ctx, req, nil)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 481 || res.StatusCode == 408 {
		c.end(res.StatusCode, "dialog lost")
	}
	return res.StatusCode, nil
}

// parseInfoDTMF reads the digit of an INFO body (application/dtmf-relay
// "Signal=5", or application/dtmf "5").
func parseInfoDTMF(ctype, body string) (string, bool) {
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	var d string
	switch {
	case strings.HasPrefix(ctype, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				d = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(ctype, "application/dtmf"):
		d = strings.TrimSpace(body)
	default:
		return "", false
	}
	if n, err := strconv.Atoi(d); err == nil && n >= 10 && n <= 15 {
		d = string("*#ABCD"[n-10])
	}
	d = strings.ToUpper(d)
	if len(d) != 1 || !strings.Contains("0123456789*#ABCD", d) {
		return "", false
	}
	return d, true
}

// ---- media callbacks ----

func (c *Call) mediaOptions(audio, video Direction) MediaOptions {
	return MediaOptions{
		Audio: audio, Video: video, VideoHeight: c.pixels,
		OnICEState:   c.onICE,
		OnFirstAudio: c.onFirstAudio,
		OnDTMF: func(d string, mode DTMFMode) {
			c.p.emit(Event{Type: EventDTMF, Call: c, Digit: d, DTMFMode: mode})
		},
		OnConnectFailed: c.onMediaFailed,
	}
}

// onMediaFailed applies Config.OnMediaFailure to a call whose media did
// not connect.
func (c *Call) onMediaFailed(reason string) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	c.mediaFail = reason
	c.ice = ICEFailed
	c.mu.Unlock()
	p := c.p
	policy := p.cfg.OnMediaFailure
	p.log.Warn("call media did not connect", "call_id", c.id, "uuid", c.UUID(), "reason", reason, "policy", policy.String())
	p.emit(Event{Type: EventICE, Call: c, ICE: ICEFailed, Reason: "media: " + reason})
	p.emitConnectivity()
	if policy != MediaFailureHangup {
		return
	}
	p.callWG.Add(1)
	go func() {
		defer p.callWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.RequestTimeout)
		defer cancel()
		var err error
		switch c.State() {
		case CallAnswered, CallConfirmed, CallHeld:
			err = c.bye(ctx, 0, "media: "+reason)
		default:
			err = c.Hangup(ctx)
		}
		if err != nil {
			p.log.Debug("BYE after media failure", "call_id", c.id, "err", err)
		}
	}()
}

func (c *Call) onICE(s ICEState) {
	c.mu.Lock()
	if c.ice == s || c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	if c.mediaFail != "" && s != ICEConnected {
		c.mu.Unlock()
		return // reported failed; only a late connection changes that
	}
	c.ice = s
	if s == ICEConnected {
		c.mediaFail = ""
	}
	c.mu.Unlock()
	c.p.emit(Event{Type: EventICE, Call: c, ICE: s})
	c.p.emitConnectivity()
}

// ---- the request worker ----

// reqQueue is an unbounded FIFO of in-dialog requests for one call.
type reqQueue struct {
	mu     sync.Mutex
	items  []*sip.Request
	wake   chan struct{}
	closed bool
}

func (q *reqQueue) init() { q.wake = make(chan struct{}, 1) }

// push queues req; false once the call is over.
func (q *reqQueue) push(r *sip.Request) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *reqQueue) pop() (*sip.Request, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, false
	}
	r := q.items[0]
	q.items = q.items[1:]
	return r, true
}

func (q *reqQueue) close() []*sip.Request {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	rest := q.items
	q.items = nil
	return rest
}

// work handles the call's in-dialog requests in order until it ends.
func (c *Call) work() {
	defer c.p.callWG.Done()
	for {
		for {
			r, ok := c.inbox.pop()
			if !ok {
				break
			}
			c.handle(r)
		}
		select {
		case <-c.inbox.wake:
		case <-c.done:
			for _, r := range c.inbox.close() {
				if r.Method != sip.ACK {
					c.p.send(c.p.response(r, 481, "Call/Transaction Does Not Exist", ""))
				}
			}
			return
		}
	}
}

func (c *Call) handle(req *sip.Request) {
	p := c.p
	switch req.Method {
	case sip.ACK:
		c.onAck(req)
	case sip.CANCEL:
		c.onCancel(req)
	case sip.BYE:
		p.send(p.response(req, 200, "OK", ""))
		c.end(0, "remote hangup")
	case sip.INVITE, sip.UPDATE:
		if _, has := req.To().Params.Get("tag"); !has {
			// A second initial INVITE with our Call-ID: a loop or a fork.
			p.send(p.response(req, 482, "Loop Detected", randHex(6)))
			return
		}
		c.onOffer(req)
	case sip.INFO:
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = h.Value()
		}
		if d, ok := parseInfoDTMF(ct, string(req.Body())); ok {
			p.send(p.response(req, 200, "OK", ""))
			p.emit(Event{Type: EventDTMF, Call: c, Digit: d, DTMFMode: DTMFInfo})
			return
		}
		p.send(p.response(req, 200, "OK", ""))
		p.emit(Event{Type: EventInfo, Call: c, ContentType: ct, Body: append([]byte(nil), req.Body()...)})
	case sip.OPTIONS:
		res := p.response(req, 200, "OK", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		p.send(res)
	default:
		res := p.response(req, 405, "Method Not Allowed", "")
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
		p.send(res)
	}
}

func (c *Call) onAck(req *sip.Request) {
	c.mu.Lock()
	if c.state != CallAnswered && !c.ackOffer {
		c.mu.Unlock()
		return // ACK of a re-INVITE's 2xx, or of a failure response
	}
	m := c.media
	needAnswer := c.ackOffer
	c.ackOffer = false
	first := c.state == CallAnswered
	if first {
		c.state = c.activeState()
		c.confirmedAt = time.Now()
		close(c.acked)
	}
	st, lh, rh := c.state, c.localHold, c.remoteHold
	c.mu.Unlock()
	if needAnswer && m != nil {
		if len(req.Body()) == 0 {
			c.p.log.Warn("ACK without the answer to our offer", "call_id", c.id)
		} else if err := m.SetAnswer(string(req.Body())); err != nil {
			c.p.log.Warn("bad SDP answer in ACK", "call_id", c.id, "err", err)
		}
	}
	if first {
		c.emitState(st, lh, rh, 0, "")
	}
}

func (c *Call) onCancel(req *sip.Request) {
	p := c.p
	c.mu.Lock()
	inv := c.invite
	match := inv != nil && branchOf(inv) == branchOf(req) && c.state == CallRinging
	if match {
		c.invite = nil
	}
	c.mu.Unlock()
	if !match {
		// Too late (answered) or unknown: the INVITE goes on.
		if inv == nil && c.incoming {
			p.send(p.response(req, 200, "OK", c.dlg.localTag))
			return
		}
		p.send(p.response(req, 481, "Call/Transaction Does Not Exist", ""))
		return
	}
	p.send(p.response(req, 200, "OK", c.dlg.localTag))
	p.send(p.response(inv, 487, "Request Terminated", c.dlg.localTag))
	c.end(487, "cancelled")
}

// onOffer answers a re-INVITE or UPDATE from the other side.
func (c *Call) onOffer(req *sip.Request) {
	p := c.p
	c.mu.Lock()
	st, busy, m := c.state, c.offerBusy, c.media
	ok := (st == CallConfirmed || st == CallHeld || (st == CallAnswered && req.Method == sip.UPDATE)) && !busy && m != nil
	if ok {
		c.offerBusy = true
	}
	if seq := req.CSeq().SeqNo; seq > c.dlg.remoteSeq {
		c.dlg.remoteSeq = seq
	}
	c.mu.Unlock()
	if !ok {
		res := p.response(req, 491, "Request Pending", "")
		if st == CallEnded {
			res = p.response(req, 481, "Call/Transaction Does Not Exist", "")
		}
		p.send(res)
		return
	}
	defer func() {
		c.mu.Lock()
		c.offerBusy = false
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.AnswerTimeout)
	defer cancel()
	body := string(req.Body())
	var sdp string
	var err error
	offerless := len(body) == 0
	if offerless {
		if req.Method == sip.UPDATE {
			p.send(p.response(req, 200, "OK", ""))
			return
		}
		sdp, err = m.CreateOffer(ctx, false)
	} else {
		// Video follows the peer: added when it offers video, dropped
		// when it makes it inactive (the platform's change_media). Audio
		// stays as the agent wants it (the answer is the intersection).
		if info := parseSDPInfo(body); info.video >= 0 {
			c.mu.Lock()
			nv, audio := info.video.Mirror(), c.audio
			changed := nv != c.video
			c.video = nv
			c.mu.Unlock()
			if changed {
				if err := m.SetDirections(audio, nv); err != nil {
					p.log.Warn("cannot follow the offer's video", "call_id", c.id, "err", err)
				}
			}
		}
		sdp, err = m.AcceptOffer(ctx, body)
	}
	if err != nil {
		p.log.Warn("cannot answer re-INVITE", "call_id", c.id, "err", err)
		p.send(p.response(req, 488, "Not Acceptable Here", ""))
		return
	}
	info := parseSDPInfo(body)
	c.mu.Lock()
	c.refreshTarget(req)
	changed := false
	if !offerless && info.hold != c.remoteHold {
		c.remoteHold = info.hold
		changed = true
	}
	if offerless && req.Method == sip.INVITE {
		c.ackOffer = true
	}
	if c.state == CallConfirmed || c.state == CallHeld {
		c.state = c.activeState()
	}
	st, lh, rh := c.state, c.localHold, c.remoteHold
	c.mu.Unlock()
	res := p.response(req, 200, "OK", "")
	res.AppendHeader(c.contactHeader())
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	ctype := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ctype)
	res.SetBody([]byte(sdp))
	p.send(res)
	if changed {
		reason := "remote unhold"
		if rh {
			reason = "remote hold"
		}
		c.emitState(st, lh, rh, 0, reason)
	}
}
