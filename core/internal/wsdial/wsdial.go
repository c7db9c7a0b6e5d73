// Package wsdial dials WebSocket links so that cancelling the context also
// aborts a stalled opening handshake.
//
// gorilla/websocket honours the context while it connects (TCP, TLS) but not
// while it waits for the server's answer to the HTTP upgrade: there it only
// has the handshake deadline. A server that accepts the TCP connection and
// never answers would hold a closing client for the whole dial timeout.
package wsdial

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// Dial is d.DialContext, except that when ctx ends during the handshake the
// connection being set up is closed at once, so Dial returns promptly with
// ctx's error. A link that came up is never touched by ctx afterwards.
func Dial(ctx context.Context, d *websocket.Dialer, url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	var (
		mu      sync.Mutex
		conns   []net.Conn
		aborted bool
	)
	dd := *d // a copy: the caller's dialer may be shared by other dials
	base := d.NetDialContext
	dd.NetDialContext = func(dctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		if base != nil {
			c, err = base(dctx, network, addr)
		} else {
			var nd net.Dialer
			c, err = nd.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if aborted {
			_ = c.Close()
			return nil, context.Cause(ctx)
		}
		conns = append(conns, c)
		return c, nil
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		aborted = true
		for _, c := range conns {
			_ = c.Close() // unblocks the handshake's read or write
		}
		mu.Unlock()
	})
	conn, resp, err := dd.DialContext(ctx, url, h)
	if !stop() {
		// ctx ended while dialing: whatever came of it, the caller is gone.
		if conn != nil {
			_ = conn.Close()
		}
		return nil, resp, context.Cause(ctx)
	}
	return conn, resp, err
}
