package rtc

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

// Phone is one agent's SIP user agent over WebSocket: it keeps the link up,
// the registration fresh, and the calls' dialogs. Create it with New, start
// it with Start (or Register), end it with Close.
type Phone struct {
	cfg    Config
	log    *slog.Logger
	events *eventq.Queue[Event] // nil without a handler
	media  MediaFactory
	// ownMedia is the default engine, closed with the phone.
	ownMedia *MediaEngine

	transport string // "WS" or "WSS" (Via)
	viaHost   string // random .invalid host (RFC 7118 §5.2)
	contact   sip.ContactHeader
	aor       sip.Uri

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	started   bool
	linkUp    chan struct{} // pulsed (closed and replaced) when a link comes up

	mu        sync.Mutex
	closed    bool
	cur       *link
	linkState LinkState
	calls     map[string]*Call // by Call-ID

	connMu   sync.Mutex // orders connectivity reports
	lastConn *Connectivity

	callWG sync.WaitGroup // call workers and their helpers

	txMu sync.Mutex
	txs  map[string]*clientTx

	reg registrar
}

// New checks cfg and creates a phone; nothing is sent before Start.
func New(cfg Config) (*Phone, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.URL)
	p := &Phone{
		cfg:       c,
		log:       c.Logger.With("component", "rtc", "ext", c.User),
		events:    newEventQueue(c.OnEvent, c.Logger),
		media:     c.Media,
		transport: strings.ToUpper(u.Scheme),
		viaHost:   randHex(5) + ".invalid",
		closing:   make(chan struct{}),
		linkUp:    make(chan struct{}),
		calls:     map[string]*Call{},
		txs:       map[string]*clientTx{},
	}
	if p.media == nil {
		f, err := NewMediaEngine(MediaEngineConfig{ICEServers: c.ICEServers, IncludeLoopback: c.IncludeLoopback, Logger: c.Logger,
			ConnectTimeout: c.MediaConnectTimeout})
		if err != nil {
			return nil, err
		}
		p.media = f
		p.ownMedia = f
	}
	params := sip.NewParams()
	params.Add("transport", strings.ToLower(p.transport))
	p.contact = sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: c.User, Host: randHex(6) + ".invalid", UriParams: params},
		Params:  sip.NewParams(),
	}
	p.aor = sip.Uri{Scheme: "sip", User: c.User, Host: c.Domain}
	p.reg.init(p)
	return p, nil
}

// Config returns the configuration in use (defaults filled in; Password
// included: do not log it).
func (p *Phone) Config() Config { return p.cfg }

// AOR is the address of record, sip:{User}@{Domain}.
func (p *Phone) AOR() string { return p.aor.String() }

// Start brings the link up and registers, in the background; follow it
// with events or WaitRegistered. Calling it again is a no-op.
func (p *Phone) Start() error {
	_, err := p.start()
	return err
}

// start is Start; first reports whether this call started the phone.
func (p *Phone) start() (first bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false, ErrClosed
	}
	if p.started {
		return false, nil
	}
	p.started = true
	p.reg.want = true
	p.wg.Add(2)
	go p.runLink()
	go p.reg.loop()
	return true, nil
}

// Register starts the phone if needed (re-enabling the registration after
// Unregister or a failure) and waits for the outcome: nil once registered,
// a *StatusError (e.g. 403) or ErrAuthLoop if refused, ctx's error on timeout.
func (p *Phone) Register(ctx context.Context) error {
	first, err := p.start()
	if err != nil {
		return err
	}
	if first {
		// The start registers by itself: its outcome is the answer. A
		// second attempt of our own would send credentials the
		// registrar may have just refused once more.
		return p.reg.waitOutcome(ctx, 0)
	}
	return p.reg.enableAndWait(ctx)
}

// WaitRegistered waits for the registration to be in place.
func (p *Phone) WaitRegistered(ctx context.Context) error {
	return p.reg.wait(ctx, false)
}

// Unregister removes the binding (REGISTER with Expires: 0) and stops
// refreshing it; the link stays up for calls in progress. Register again
// to come back.
func (p *Phone) Unregister(ctx context.Context) error {
	return p.reg.unregister(ctx)
}

// Registration reports the registration's state.
func (p *Phone) Registration() RegState { return p.reg.stateNow() }

// Close hangs up every call, removes the binding, closes the link and
// stops. It waits at most ctx's deadline (or 3s) for the goodbyes.
func (p *Phone) Close() error {
	return p.CloseContext(context.Background())
}

// CloseContext is Close with a bound on the goodbyes (BYE, un-REGISTER).
func (p *Phone) CloseContext(ctx context.Context) error {
	first := false
	p.closeOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
	}
	p.mu.Lock()
	started := p.started
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer contain.Recover(p.log, "rtc: hangup at close", func(err error) { c.end(0, err.Error()) })
			_ = c.Hangup(ctx)
		}()
	}
	wg.Wait()
	if started {
		_ = p.reg.unregister(ctx)
	}
	p.mu.Lock()
	p.closed = true
	l := p.cur
	p.mu.Unlock()
	close(p.closing)
	if l != nil {
		l.close("closed")
	}
	p.wg.Wait()
	p.callWG.Wait()
	if p.ownMedia != nil {
		_ = p.ownMedia.Close()
	}
	p.setLink(LinkClosed, "closed", 0, 0)
	// The events queued so far (the calls' ends, the link closed) are
	// still delivered; Close waits for them unless called from the handler.
	p.events.Seal()
	_ = p.events.Wait(context.Background())
	return nil
}

func (p *Phone) isClosing() bool {
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}

// ---- messages out ----

// ---- connectivity ----
