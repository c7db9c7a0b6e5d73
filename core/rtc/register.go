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

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// registrar keeps the binding: REGISTER with digest, refresh before
// expiry, again after the link returns, Expires 0 on Unregister/Close.
type registrar struct {
	p      *Phone
	kickCh chan struct{}

	txMu sync.Mutex // one REGISTER transaction at a time

	mu         sync.Mutex
	want       bool
	hardFail   error // 403 / auth loop: wait for Register
	state      RegState
	err        error // last failure
	outcomes   int   // completed attempts (success or failure)
	changed    chan struct{}
	callID     string
	fromTag    string
	cseq       uint32
	chal       *challenge
	nc         uint32
	granted    time.Duration
	retries    int
	linkGen    int // links seen up
	regLinkGen int // link of the last successful REGISTER
}

func (r *registrar) init(p *Phone) {
	r.p = p
	r.kickCh = make(chan struct{}, 1)
	r.changed = make(chan struct{})
	r.callID = randHex(12)
	r.fromTag = randHex(6)
}

func (r *registrar) linkGenNow() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.linkGen
}

func (r *registrar) stateNow() RegState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// kick asks the loop to register now; linkUp marks a new link.
func (r *registrar) kick(linkUp bool) {
	if linkUp {
		r.mu.Lock()
		r.linkGen++
		r.mu.Unlock()
	}
	select {
	case r.kickCh <- struct{}{}:
	default:
	}
}

// setState records a state and reports it. Called without r.mu.
func (r *registrar) setState(s RegState, code int, reason string, err error, outcome bool) {
	r.mu.Lock()
	prev := r.state
	r.state = s
	r.err = err
	if outcome {
		r.outcomes++
	}
	granted := r.granted
	ch := r.changed
	r.changed = make(chan struct{})
	r.mu.Unlock()
	close(ch)
	if s == prev && s != RegRegistered && s != RegFailed {
		return
	}
	ev := Event{Type: EventRegistration, Registration: s, Code: code, Reason: reason}
	if s == RegRegistered {
		ev.Expires = granted
		if prev == RegRegistered && reason == "" {
			ev.Reason = "refreshed"
		}
	}
	r.p.emit(ev)
	r.p.emitConnectivity()
}

func (r *registrar) loop() {
	defer r.p.wg.Done()
	// A fault outside one REGISTER (contained in registerContained) ends
	// the loop: the registration is reported failed so that its waiters return.
	defer contain.Recover(r.p.log, "rtc: registration loop", func(err error) {
		r.mu.Lock()
		r.hardFail = err
		r.mu.Unlock()
		r.setState(RegFailed, 0, err.Error(), err, true)
	})
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-r.p.closing:
			return
		case <-r.kickCh:
		case <-timer.C:
		}
		r.mu.Lock()
		want := r.want && r.hardFail == nil
		r.mu.Unlock()
		if !want || r.p.current() == nil {
			continue
		}
		next := r.registerContained()
		timer.Stop()
		if next > 0 {
			timer.Reset(next)
		}
	}
}

// maxRegisterLinkLosses is how many REGISTERs in a row may lose the link
// (a registrar that drops the link on every REGISTER) before the
// registration is reported failed. The phone keeps trying after that, at
// the link's backoff.
const maxRegisterLinkLosses = 3

// refreshDelay is when to refresh a binding granted for d: at 90% or 30s
// before expiry, whichever is earlier, but not before half of it.
func refreshDelay(d time.Duration) time.Duration {
	return max(min(d*9/10, d-30*time.Second), d/2)
}

// registerContained is register; a panic in it is a failed REGISTER,
// retried at the backoff like any other failure.
func (r *registrar) registerContained() (next time.Duration) {
	contain.Do(r.p.log, "rtc: REGISTER", func() { next = r.register() }, func(err error) {
		next = r.retryLater(err)
	})
	return next
}

// register runs one REGISTER (with its digest round) and returns when to
// run the next: the refresh, a retry, or 0 for none.
func (r *registrar) register() time.Duration {
	p := r.p
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.RequestTimeout)
	defer cancel()
	go func() {
		select {
		case <-p.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	var (
		gen int
		res *sip.Response
		err error
	)
	func() {
		r.txMu.Lock()
		defer r.txMu.Unlock() // released on a panic too: the next REGISTER must not block
		r.mu.Lock()
		first := r.state != RegRegistered
		gen = r.linkGen
		r.mu.Unlock()
		if first {
			r.setState(RegRegistering, 0, "", nil, false)
		}
		res, err = r.do(ctx, p.cfg.Expires)
	}()
	switch {
	case err == nil:
		r.mu.Lock()
		r.retries = 0
		restart := r.regLinkGen != 0 && r.regLinkGen != gen
		r.regLinkGen = gen
		granted := r.granted
		r.mu.Unlock()
		reason := ""
		if restart {
			reason = "link restored"
		}
		p.log.Info("registered", "aor", p.AOR(), "expires", granted)
		r.setState(RegRegistered, res.StatusCode, reason, nil, true)
		if restart {
			p.linkRestored()
		}
		return refreshDelay(granted)
	case errors.Is(err, ErrAuthLoop) || isStatus(err, 403) || isStatus(err, 404):
		code, reason := statusOf(err)
		p.log.Warn("registration refused", "code", code, "reason", reason)
		r.mu.Lock()
		r.hardFail = err
		r.mu.Unlock()
		r.setState(RegFailed, code, reason, err, true)
		return 0
	case p.isClosing():
		return 0
	default:
		return r.retryLater(err)
	}
}

// retryLater reports a failed REGISTER and returns when to try again (0:
// when the link's return will).
func (r *registrar) retryLater(err error) time.Duration {
	p := r.p
	code, reason := statusOf(err)
	r.mu.Lock()
	r.retries++
	n := r.retries
	r.mu.Unlock()
	delay := p.cfg.Reconnect.Delay(n+2, rand.Float64)
	p.log.Warn("registration failed; retrying", "code", code, "reason", reason, "retry_in", delay)
	if errors.Is(err, ErrLinkLost) || errors.Is(err, ErrNotConnected) {
		// The link's return kicks the next attempt (at the link's
		// backoff). A registrar that drops the link on every REGISTER
		// would leave the state "registering" forever: past a few
		// losses in a row it is reported failed, and the attempts go on.
		if n >= maxRegisterLinkLosses {
			reason := fmt.Sprintf("the link was lost during REGISTER %d times in a row: %v", n, err)
			r.setState(RegFailed, 0, reason, fmt.Errorf("rtc: REGISTER: %w (%d attempts)", err, n), true)
			return 0
		}
		r.setState(RegRegistering, 0, "link lost", err, true)
		return 0
	}
	r.setState(RegFailed, code, reason, err, true)
	return delay
}

func isStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

func statusOf(err error) (int, string) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code, se.Reason
	}
	if err == nil {
		return 0, ""
	}
	return 0, err.Error()
}

// do sends REGISTER asking for expires (0: remove the binding) and handles
// the digest challenge. r.txMu held.
func (r *registrar) do(ctx context.Context, expires time.Duration) (*sip.Response, error) {
	p := r.p
	secs := int(expires / time.Second)
	minExpiresTried := false
	sentFor := "" // nonce our last credentials answered
	challenged := false
	for range 5 {
		r.mu.Lock()
		r.cseq++
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.cfg.Domain})
		from := sip.FromHeader{DisplayName: p.cfg.DisplayName, Address: p.aor, Params: sip.NewParams()}
		from.Params.Add("tag", r.fromTag)
		req.AppendHeader(&from)
		req.AppendHeader(&sip.ToHeader{Address: p.aor, Params: sip.NewParams()})
		cid := sip.CallIDHeader(r.callID)
		req.AppendHeader(&cid)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
		mf := sip.MaxForwardsHeader(70)
		req.AppendHeader(&mf)
		ct := p.contact.Clone()
		ct.Params = sip.NewParams()
		ct.Params.Add("expires", strconv.Itoa(secs))
		req.AppendHeader(ct)
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(secs)))
		req.AppendHeader(sip.NewHeader("Allow", allowMethods))
		req.AppendHeader(sip.NewHeader("User-Agent", p.cfg.UserAgent))
		for k, v := range p.cfg.Headers {
			req.AppendHeader(sip.NewHeader(k, v))
		}
		if r.chal != nil {
			r.nc++
			p.setAuth(req, *r.chal, r.nc)
			sentFor = r.chal.nonce
		}
		r.mu.Unlock()

		res, err := p.roundTrip(ctx, req, nil)
		if err != nil {
			return nil, err
		}
		switch {
		case res.StatusCode/100 == 2:
			r.mu.Lock()
			r.granted = grantedExpires(res, p.contact.Address, expires)
			r.mu.Unlock()
			return res, nil
		case res.StatusCode == 401 || res.StatusCode == 407:
			c, ok := challengeOf(res)
			if !ok {
				return nil, &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason + " (no usable digest challenge)"}
			}
			if challenged && sentFor != "" && !c.stale {
				// Challenged again right after answering a challenge of
				// this very request: the server refused the credentials.
				r.mu.Lock()
				r.chal = nil
				r.mu.Unlock()
				return nil, ErrAuthLoop
			}
			challenged = true
			r.mu.Lock()
			r.chal, r.nc = &c, 0
			r.mu.Unlock()
			sentFor = ""
			continue
		case res.StatusCode == 423 && !minExpiresTried:
			if h := res.GetHeader("Min-Expires"); h != nil {
				if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > secs {
					secs = n
					minExpiresTried = true
					continue
				}
			}
			return nil, &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason}
		default:
			return nil, &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason}
		}
	}
	return nil, ErrAuthLoop
}

// grantedExpires reads the lifetime the registrar granted our contact.
func grantedExpires(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		ct, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if ct.Address.Host != ours.Host || ct.Address.User != ours.User {
			continue
		}
		if v, ok := ct.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// linkLost notes that the link went down: the binding is presumed gone
// with it (RFC 7118 servers drop it), and the next link registers again.
func (r *registrar) linkLost() {
	r.mu.Lock()
	want := r.want && r.hardFail == nil
	st := r.state
	r.mu.Unlock()
	if want && (st == RegRegistered || st == RegRegistering) && !r.p.isClosing() {
		r.setState(RegRegistering, 0, "link lost", nil, false)
	}
}

// enableAndWait (re-)enables the registration and waits for its outcome.
func (r *registrar) enableAndWait(ctx context.Context) error {
	r.mu.Lock()
	if r.want && r.state == RegRegistered {
		r.mu.Unlock()
		return nil
	}
	r.want = true
	r.hardFail = nil
	start := r.outcomes
	r.mu.Unlock()
	r.kick(false)
	return r.waitOutcome(ctx, start)
}

// waitOutcome waits until the registration is in place, or an attempt
// after the first start outcomes failed.
func (r *registrar) waitOutcome(ctx context.Context, start int) error {
	for {
		r.mu.Lock()
		st, err, n, ch := r.state, r.err, r.outcomes, r.changed
		r.mu.Unlock()
		if st == RegRegistered {
			return nil
		}
		if n > start && st == RegFailed && err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.p.closing:
			return ErrClosed
		}
	}
}

// wait waits for the registration to be in place (or refused for good).
func (r *registrar) wait(ctx context.Context, _ bool) error {
	for {
		r.mu.Lock()
		st, hard, ch := r.state, r.hardFail, r.changed
		r.mu.Unlock()
		if st == RegRegistered {
			return nil
		}
		if hard != nil {
			return hard
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.p.closing:
			return ErrClosed
		}
	}
}

// unregister removes the binding and stops refreshing.
func (r *registrar) unregister(ctx context.Context) error {
	r.mu.Lock()
	r.want = false
	st := r.state
	r.mu.Unlock()
	if st == RegNone || st == RegUnregistered {
		return nil
	}
	r.txMu.Lock()
	var err error
	if r.p.current() != nil && (st == RegRegistered || st == RegRegistering) {
		_, err = r.do(ctx, 0)
	}
	r.txMu.Unlock()
	reason := "unregistered"
	if err != nil {
		reason = "un-REGISTER failed: " + err.Error()
	}
	r.setState(RegUnregistered, 0, reason, nil, false)
	return err
}
