package wsdial

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// stalledServer accepts TCP connections and never answers the upgrade.
func stalledServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		close(held)
		for c := range held {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

func TestCancelAbortsStalledHandshake(t *testing.T) {
	addr := stalledServer(t)
	d := &websocket.Dialer{HandshakeTimeout: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := Dial(ctx, d, "ws://"+addr+"/ws", nil)
		done <- err
	}()
	time.AfterFunc(50*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Dial still blocked 10 s after its context was cancelled (handshake timeout is 1 min)")
	}
}

func TestCancelledBeforeDial(t *testing.T) {
	addr := stalledServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Dial(ctx, &websocket.Dialer{HandshakeTimeout: time.Minute}, "ws://"+addr+"/ws", nil)
	if err == nil {
		t.Fatal("dial with a cancelled context succeeded")
	}
}

func TestLinkSurvivesLaterCancel(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			_ = c.WriteMessage(mt, b)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	conn, _, err := Dial(ctx, &websocket.Dialer{}, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel() // the dial is over: this must not close the link
	if err := conn.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := conn.ReadMessage(); err != nil || string(b) != "hi" {
		t.Fatalf("echo after cancel: %q %v", b, err)
	}
}
