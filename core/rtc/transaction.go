package rtc

import (
	"context"

	"github.com/emiago/sipgo/sip"
)

// clientTx waits for the responses to one request. Over WebSocket (a
// reliable transport) there are no retransmissions to do.
type clientTx struct {
	key  string
	ch   chan *sip.Response
	l    *link
	lost chan struct{} // closed when l went down
}

func txKey(branch string, method sip.RequestMethod) string { return branch + "|" + string(method) }

func branchOf(m sip.Message) string {
	if v := m.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}

// setVia puts a fresh top Via with a new branch on req.
func (p *Phone) setVia(req *sip.Request, branch string) {
	req.RemoveHeader("Via")
	params := sip.NewParams()
	params.Add("branch", branch)
	params.Add("rport", "")
	req.PrependHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: p.transport, Host: p.viaHost, Params: params})
}

func newBranch() string { return sip.RFC3261BranchMagicCookie + randHex(8) }

// startTx registers a transaction for req's branch and sends req.
func (p *Phone) startTx(req *sip.Request) (*clientTx, error) {
	l := p.current()
	if l == nil {
		return nil, ErrNotConnected
	}
	t := &clientTx{key: txKey(branchOf(req), req.CSeq().MethodName), ch: make(chan *sip.Response, 16), l: l, lost: make(chan struct{})}
	p.txMu.Lock()
	p.txs[t.key] = t
	p.txMu.Unlock()
	if err := p.sendOn(l, req); err != nil {
		p.endTx(t)
		return nil, ErrNotConnected
	}
	return t, nil
}

func (p *Phone) endTx(t *clientTx) {
	p.txMu.Lock()
	if p.txs[t.key] == t {
		delete(p.txs, t.key)
	}
	p.txMu.Unlock()
}

// failTxs ends the transactions sent on l (it went down).
func (p *Phone) failTxs(l *link) {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	for k, t := range p.txs {
		if t.l == l {
			close(t.lost)
			delete(p.txs, k)
		}
	}
}

func (p *Phone) onResponse(res *sip.Response) {
	cseq := res.CSeq()
	if cseq == nil {
		return
	}
	key := txKey(branchOf(res), cseq.MethodName)
	p.txMu.Lock()
	t := p.txs[key]
	p.txMu.Unlock()
	if t != nil {
		select {
		case t.ch <- res:
		default:
			p.log.Warn("SIP response dropped: transaction queue full", "status", res.StatusCode)
		}
		return
	}
	// A 2xx to an INVITE whose transaction is over: our ACK was lost; the
	// call answers it again.
	if cseq.MethodName == sip.INVITE && res.StatusCode/100 == 2 && res.CallID() != nil {
		p.mu.Lock()
		c := p.calls[res.CallID().Value()]
		p.mu.Unlock()
		if c != nil {
			c.resendAck(cseq.SeqNo)
		}
	}
}

// next waits for t's next response.
func (p *Phone) next(ctx context.Context, t *clientTx) (*sip.Response, error) {
	select {
	case r := <-t.ch:
		return r, nil
	case <-t.lost:
		return nil, ErrLinkLost
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// roundTrip sends req with a fresh branch and returns its final response;
// provisional responses go to onProv. Without a deadline on ctx the
// request times out after RequestTimeout.
func (p *Phone) roundTrip(ctx context.Context, req *sip.Request, onProv func(*sip.Response)) (*sip.Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.RequestTimeout)
		defer cancel()
	}
	p.setVia(req, newBranch())
	t, err := p.startTx(req)
	if err != nil {
		return nil, err
	}
	defer p.endTx(t)
	for {
		res, err := p.next(ctx, t)
		if err != nil {
			return nil, err
		}
		if res.StatusCode >= 200 {
			return res, nil
		}
		if onProv != nil {
			onProv(res)
		}
	}
}

// challengeOf reads the digest challenge of a 401/407.
func challengeOf(res *sip.Response) (challenge, bool) {
	name, proxy := "WWW-Authenticate", false
	if res.StatusCode == 407 {
		name, proxy = "Proxy-Authenticate", true
	}
	var vals []string
	for _, h := range res.GetHeaders(name) {
		vals = append(vals, h.Value())
	}
	return pickChallenge(vals, proxy)
}

// setAuth puts the credentials for c on req (CSeq already bumped).
func (p *Phone) setAuth(req *sip.Request, c challenge, nc uint32) {
	name := "Authorization"
	if c.proxy {
		name = "Proxy-Authorization"
	}
	req.RemoveHeader(name)
	req.AppendHeader(sip.NewHeader(name, authorization(c, p.cfg.AuthUser, p.cfg.Password, string(req.Method), req.Recipient.String(), nc)))
}

func bumpCSeq(req *sip.Request) uint32 {
	cs := req.CSeq()
	cs.SeqNo++
	return cs.SeqNo
}
