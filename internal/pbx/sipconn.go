package pbx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/gorilla/websocket"
)

// sipConn is one agent's SIP-over-WebSocket connection. WebSocket is a
// reliable transport, so there are no retransmissions: a client
// transaction is a queue of the responses that carry its Via branch.
type sipConn struct {
	p      *PBX
	ws     *websocket.Conn
	host   string // host:port the agent dialled (for our Contact)
	remote string
	via    string // our Via sent-by, a .invalid host as RFC 7118 §5.2 has it

	wmu sync.Mutex

	mu     sync.Mutex
	txs    map[string]*clientTx
	closed bool
	done   chan struct{}
}

type clientTx struct {
	key string
	ch  chan *sip.Response
}

func newSipConn(p *PBX, ws *websocket.Conn, host string) *sipConn {
	return &sipConn{
		p:      p,
		ws:     ws,
		host:   host,
		remote: ws.RemoteAddr().String(),
		via:    randHex(5) + ".invalid",
		txs:    map[string]*clientTx{},
		done:   make(chan struct{}),
	}
}

var errConnClosed = errors.New("pbx: connection closed")

func (c *sipConn) send(m fmt.Stringer) error {
	b := []byte(m.String())
	if tr := c.p.cfg.Trace; tr != nil {
		tr("out", c.remote, b)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return errConnClosed
	}
	return nil
}

func (c *sipConn) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

func txKey(branch, method string) string { return branch + "|" + method }

// startTx registers a client transaction before its request is sent.
func (c *sipConn) startTx(branch, method string) (*clientTx, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errConnClosed
	}
	t := &clientTx{key: txKey(branch, method), ch: make(chan *sip.Response, 16)}
	c.txs[t.key] = t
	return t, nil
}

func (c *sipConn) endTx(t *clientTx) {
	c.mu.Lock()
	delete(c.txs, t.key)
	c.mu.Unlock()
}

// next waits for the transaction's next response.
func (c *sipConn) next(ctx context.Context, t *clientTx) (*sip.Response, error) {
	select {
	case r := <-t.ch:
		return r, nil
	case <-c.done:
		return nil, errConnClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// final waits for the transaction's final response, skipping provisional ones.
func (c *sipConn) final(ctx context.Context, t *clientTx) (*sip.Response, error) {
	for {
		r, err := c.next(ctx, t)
		if err != nil || r.StatusCode >= 200 {
			return r, err
		}
	}
}

func (c *sipConn) readLoop() {
	defer func() {
		c.mu.Lock()
		if !c.closed {
			c.closed = true
			close(c.done)
		}
		c.mu.Unlock()
		_ = c.ws.Close()
	}()
	c.ws.SetReadLimit(1 << 20)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if tr := c.p.cfg.Trace; tr != nil {
			tr("in", c.remote, data)
		}
		msg, err := sip.ParseMessage(data)
		if err != nil {
			c.p.log.Warn("unparsable SIP message", "remote", c.remote, "err", err)
			continue
		}
		switch m := msg.(type) {
		case *sip.Request:
			if m.Via() == nil || m.CallID() == nil || m.CSeq() == nil || m.From() == nil || m.To() == nil {
				c.p.log.Warn("SIP request without mandatory headers", "remote", c.remote)
				continue
			}
			c.p.handleRequest(c, m)
		case *sip.Response:
			c.handleResponse(m)
		}
	}
}

func (c *sipConn) handleResponse(res *sip.Response) {
	cseq := res.CSeq()
	if cseq == nil {
		return
	}
	key := txKey(branchOf(res), string(cseq.MethodName))
	c.mu.Lock()
	t := c.txs[key]
	c.mu.Unlock()
	if t != nil {
		select {
		case t.ch <- res:
		default:
			c.p.log.Warn("dropping SIP response: transaction queue full", "key", key)
		}
		return
	}
	// A 2xx to an INVITE whose transaction is over: the agent did not get
	// our ACK; send it again.
	if cseq.MethodName == sip.INVITE && res.StatusCode/100 == 2 && res.CallID() != nil {
		c.p.mu.Lock()
		call := c.p.byCID[res.CallID().Value()]
		c.p.mu.Unlock()
		if call != nil {
			call.resendAck(cseq.SeqNo)
		}
	}
}
