package rtc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/internal/wsdial"
)

// link is one SIP-over-WebSocket connection (RFC 7118): one SIP message per
// text frame. One reader goroutine; writes are serialized by wmu.
type link struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	done chan struct{} // closed when the reader has stopped

	closeOnce sync.Once
	reason    atomic.Value // string: why it went down
	lastRx    atomic.Int64 // unix nanos of the last frame (or pong) received
	crlfPong  atomic.Bool  // the server answered a CRLF keepalive
}

var errLinkClosed = errors.New("link closed")

func dialLink(ctx context.Context, cfg *Config) (*link, *http.Response, error) {
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: cfg.DialTimeout,
		Subprotocols:     []string{"sip"},
		TLSClientConfig:  cfg.TLSConfig,
		ReadBufferSize:   16384,
		WriteBufferSize:  16384,
	}
	h := http.Header{}
	for k, v := range cfg.WSHeaders {
		h[k] = append([]string(nil), v...)
	}
	ws, res, err := wsdial.Dial(ctx, &d, cfg.URL, h) // cancellable during the upgrade too
	if err != nil {
		if res != nil {
			return nil, res, fmt.Errorf("websocket handshake: %s: %w", res.Status, err)
		}
		return nil, nil, err
	}
	if ws.Subprotocol() != "sip" {
		cfg.Logger.Warn("server did not select the sip subprotocol (RFC 7118); going on", "subprotocol", ws.Subprotocol())
	}
	l := &link{ws: ws, done: make(chan struct{})}
	l.lastRx.Store(time.Now().UnixNano())
	ws.SetReadLimit(maxFrameBytes)
	ws.SetPongHandler(func(string) error {
		l.lastRx.Store(time.Now().UnixNano())
		return nil
	})
	return l, res, nil
}

// maxFrameBytes is the WebSocket frame size past which the link is
// dropped (gorilla's read limit). Frames between Config.MaxMessageSize
// and this are read and thrown away (see readLoop): memory stays bounded
// by MaxMessageSize either way.
const maxFrameBytes = 16 << 20

// readLoop delivers each frame to onFrame until the link fails. A frame
// longer than maxMsg goes to onOversize with its first maxMsg bytes and
// its size; the rest of it is read and dropped, never kept. A frame whose
// handling panics (a malformed message hitting a bug) drops the link, as
// a broken connection does (logged through log): the reason is set
// before done closes.
func (l *link) readLoop(log *slog.Logger, maxMsg int, onFrame func([]byte), onOversize func(head []byte, size int64)) {
	defer close(l.done)
	defer contain.Recover(log, "rtc: SIP reader", func(err error) { l.close(err.Error()) })
	for {
		_, r, err := l.ws.NextReader()
		if err != nil {
			l.close(fmt.Sprintf("read: %v", err))
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(maxMsg)+1))
		if err == nil && len(data) > maxMsg {
			var rest int64
			rest, err = io.Copy(io.Discard, r)
			if err == nil {
				l.lastRx.Store(time.Now().UnixNano())
				contain.Point("rtc: SIP frame")
				onOversize(data[:maxMsg], int64(len(data))+rest)
				continue
			}
		}
		if err != nil {
			l.close(fmt.Sprintf("read: %v", err))
			return
		}
		l.lastRx.Store(time.Now().UnixNano())
		// RFC 5626 keepalive over a stream: "\r\n\r\n" ping, "\r\n" pong.
		if len(bytes.TrimSpace(data)) == 0 {
			if bytes.Equal(data, []byte("\r\n\r\n")) {
				_ = l.write([]byte("\r\n"))
			} else {
				l.crlfPong.Store(true)
			}
			continue
		}
		contain.Point("rtc: SIP frame")
		onFrame(data)
	}
}

func (l *link) write(b []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	select {
	case <-l.done:
		return errLinkClosed
	default:
	}
	_ = l.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := l.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		go l.close(fmt.Sprintf("write: %v", err))
		return errLinkClosed
	}
	return nil
}

func (l *link) ping() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
}

// close drops the connection (the reader then stops); the first reason wins.
func (l *link) close(reason string) {
	l.closeOnce.Do(func() {
		l.reason.Store(reason)
		l.wmu.Lock()
		_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(500*time.Millisecond))
		l.wmu.Unlock()
		_ = l.ws.Close()
	})
}

func (l *link) downReason() string {
	if r, ok := l.reason.Load().(string); ok {
		return r
	}
	return "closed"
}
