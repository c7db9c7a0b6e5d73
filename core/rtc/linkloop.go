package rtc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
)

func (p *Phone) setLink(s LinkState, reason string, attempt int, delay time.Duration) {
	p.mu.Lock()
	changed := p.linkState != s
	p.linkState = s
	p.mu.Unlock()
	if !changed && s != LinkReconnecting {
		return
	}
	p.emit(Event{Type: EventLink, Link: s, Reason: reason, Attempt: attempt, Delay: delay})
	p.emitConnectivity()
}

// LinkState reports the link's state.
func (p *Phone) LinkState() LinkState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.linkState
}

// runLink dials, serves the link until it drops, and dials again with
// backoff until Close.
func (p *Phone) runLink() {
	defer p.wg.Done()
	// A fault outside serveLink's per-frame containment ends the loop:
	// reported like a link that may not reconnect.
	defer contain.Recover(p.log, "rtc: link loop", func(err error) {
		p.setLink(LinkDisconnected, err.Error(), 0, 0)
	})
	attempt := 0
	everUp := false
	p.setLink(LinkConnecting, "", 0, 0)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
		go func() {
			select {
			case <-p.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		l, _, err := dialLink(ctx, &p.cfg)
		cancel()
		if err == nil {
			everUp = true
			upAt := time.Now()
			p.serveLink(l)
			err = fmt.Errorf("%s", l.downReason())
			if time.Since(upAt) >= p.cfg.Reconnect.Stable {
				attempt = 0 // only a link that stayed up resets the backoff
			}
		}
		if p.isClosing() {
			return
		}
		attempt++
		if p.cfg.Reconnect.Disabled && everUp {
			p.setLink(LinkDisconnected, err.Error(), 0, 0)
			return
		}
		delay := p.cfg.Reconnect.Delay(attempt, rand.Float64)
		p.log.Info("SIP link down", "err", err, "attempt", attempt, "retry_in", delay)
		p.setLink(LinkReconnecting, err.Error(), attempt, delay)
		t := time.NewTimer(delay)
		select {
		case <-p.closing:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// serveLink runs one connection until it drops.
func (p *Phone) serveLink(l *link) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.close("closed")
		return
	}
	p.cur = l
	pulse := p.linkUp
	p.linkUp = make(chan struct{})
	p.mu.Unlock()
	p.log.Info("SIP link up", "url", p.cfg.URL)
	close(pulse)
	p.setLink(LinkConnected, "", 0, 0)
	p.reg.kick(true)

	kaDone := make(chan struct{})
	go func() {
		defer close(kaDone)
		contain.Do(p.log, "rtc: keepalive", func() { p.keepalive(l) }, func(err error) { l.close(err.Error()) })
	}()
	// A panic handling a frame drops the link (readLoop): the loop
	// reconnects and re-registers, the calls restart ICE.
	l.readLoop(p.log, p.cfg.MaxMessageSize, p.onFrame, p.onOversize)
	<-kaDone

	p.mu.Lock()
	if p.cur == l {
		p.cur = nil
	}
	p.mu.Unlock()
	p.failTxs(l)
	p.reg.linkLost()
	p.linkLostCalls()
}

// current returns the link in use, or nil.
func (p *Phone) current() *link {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

func (p *Phone) keepalive(l *link) {
	ka := p.cfg.Keepalive
	if ka.Mode == KeepaliveOff {
		<-l.done
		return
	}
	t := time.NewTicker(ka.Interval)
	defer t.Stop()
	var pingAt time.Time
	check := time.NewTicker(max(ka.Timeout/4, 50*time.Millisecond))
	defer check.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-check.C:
			if pingAt.IsZero() {
				continue
			}
			if time.Unix(0, l.lastRx.Load()).After(pingAt) {
				pingAt = time.Time{}
				continue
			}
			if time.Since(pingAt) > ka.Timeout {
				p.log.Warn("SIP link dead: no answer to keepalive", "mode", ka.Mode.String(), "timeout", ka.Timeout)
				l.close("keepalive timeout")
				return
			}
		case <-t.C:
			switch ka.Mode {
			case KeepaliveWSPing:
				if err := l.ping(); err != nil {
					l.close("ping: " + err.Error())
					return
				}
				if pingAt.IsZero() {
					pingAt = time.Now()
				}
			case KeepaliveCRLF:
				if err := l.write([]byte("\r\n\r\n")); err != nil {
					return
				}
				if l.crlfPong.Load() && pingAt.IsZero() {
					pingAt = time.Now()
				}
			case KeepaliveOptions:
				if pingAt.IsZero() {
					pingAt = time.Now()
				}
				go func() {
					// A lost OPTIONS is what the keepalive timeout catches.
					defer contain.Recover(p.log, "rtc: keepalive OPTIONS", nil)
					ctx, cancel := context.WithTimeout(context.Background(), ka.Timeout)
					defer cancel()
					req := p.outOfDialog(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: p.cfg.Domain})
					_, _ = p.roundTrip(ctx, req, nil)
				}()
			}
		}
	}
}
