package session

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"time"

	"go.uber.org/goleak"

	"github.com/gorilla/websocket"
)

// fakeServer is a scripted CTI end for the session's unit tests: each test
// decides what the server does with each frame. The full platform behaviour
// is ccsim's; this is for link mechanics (timeouts, drops, malformed frames).
type fakeServer struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	conns  []*fakeConn
	accept chan *fakeConn
	// onFrame handles one incoming request; nil replies success to everything.
	onFrame func(c *fakeConn, m map[string]any)
}

type fakeConn struct {
	ws     *websocket.Conn
	path   string
	header http.Header
	wmu    sync.Mutex
	frames chan map[string]any
}

func newFakeServer(t *testing.T, tlsOn bool) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, accept: make(chan *fakeConn, 1024)}
	up := websocket.Upgrader{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &fakeConn{ws: ws, path: r.URL.Path, header: r.Header.Clone(), frames: make(chan map[string]any, 1024)}
		fs.mu.Lock()
		fs.conns = append(fs.conns, c)
		fs.mu.Unlock()
		fs.accept <- c
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				close(c.frames)
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			c.frames <- m
			fs.mu.Lock()
			on := fs.onFrame
			fs.mu.Unlock()
			if on != nil {
				on(c, m)
			} else {
				c.reply(m, nil)
			}
		}
	})
	if tlsOn {
		fs.srv = httptest.NewTLSServer(h)
	} else {
		fs.srv = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		fs.mu.Lock()
		for _, c := range fs.conns {
			_ = c.ws.Close()
		}
		fs.mu.Unlock()
		fs.srv.Close()
	})
	return fs
}

func (fs *fakeServer) url() string {
	return "ws" + strings.TrimPrefix(fs.srv.URL, "http") + "/ws"
}

func (fs *fakeServer) handle(f func(c *fakeConn, m map[string]any)) {
	fs.mu.Lock()
	fs.onFrame = f
	fs.mu.Unlock()
}

// nextConn waits for the next accepted connection.
func (fs *fakeServer) nextConn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-fs.accept:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

func (c *fakeConn) send(v any) {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		b, _ = json.Marshal(v)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

// reply answers request m with code "0" plus extra fields.
func (c *fakeConn) reply(m map[string]any, extra map[string]any) {
	typ, _ := m["msg_type"].(string)
	if typ == "ping" {
		typ = "pong"
	}
	r := map[string]any{"req_id": m["req_id"], "msg_type": typ, "code": "0", "msg": "success"}
	if typ == "checkin" {
		r["token"] = "tok-secret-1"
		r["ext_id"] = m["ext_id"]
		r["login_type"] = "2"
	}
	for k, v := range extra {
		r[k] = v
	}
	c.send(r)
}

// nextFrame waits for the next frame the client sent on c.
func (c *fakeConn) nextFrame(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m, ok := <-c.frames:
		if !ok {
			t.Fatal("connection closed while waiting for a frame")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no frame received")
		return nil
	}
}

// checkNoLeak fails the test if goroutines started during it outlive it.
func checkNoLeak(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// recorder collects events; wait blocks until pred holds over them.
type recorder struct {
	mu     sync.Mutex
	events []Event
	cond   *sync.Cond
}

func newRecorder() *recorder {
	r := &recorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *recorder) handle(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.cond.Broadcast()
	r.mu.Unlock()
}

func (r *recorder) wait(t *testing.T, what string, pred func([]Event) bool) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !pred(r.events) {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s; got %d events: %s", what, len(r.events), describe(r.events))
		}
		r.cond.Wait()
	}
	return append([]Event(nil), r.events...)
}

func describe(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(string(e.Type()))
		if s, ok := e.(*StateEvent); ok {
			b.WriteString("(" + s.State.String() + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

func states(evs []Event) []State {
	var out []State
	for _, e := range evs {
		if s, ok := e.(*StateEvent); ok {
			out = append(out, s.State)
		}
	}
	return out
}

func hasState(st State) func([]Event) bool {
	return func(evs []Event) bool {
		for _, s := range states(evs) {
			if s == st {
				return true
			}
		}
		return false
	}
}
