package rtc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"time"

	"go.uber.org/goleak"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/gorilla/websocket"
)

const (
	testDomain = "cc.test"
	testExt    = "1001"
	testPwd    = "secret1001"
)

func testLogger() *slog.Logger {
	if os.Getenv("RTC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// env is a PBX on an httptest server, optionally behind a relay that can
// drop the agent's WebSocket.
type env struct {
	t     *testing.T
	pbx   *pbx.PBX
	srv   *httptest.Server
	relay *relay
	url   string // what the phone dials
	pev   <-chan pbx.Event
}

func newEnv(t *testing.T, withRelay bool, mod func(*pbx.Config)) *env {
	t.Helper()
	// Checked once every cleanup (phones, PBX, relay) has run.
	noLeak := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, noLeak) })
	cfg := pbx.Config{
		Domain: testDomain,
		Users:  map[string]string{testExt: testPwd, "1002": "secret1002"},
		Logger: testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := pbx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sip", p)
	srv := httptest.NewServer(mux)
	e := &env{t: t, pbx: p, srv: srv, url: "ws://" + srv.Listener.Addr().String() + "/sip"}
	if withRelay {
		e.relay = newRelay(t, e.url)
		e.url = e.relay.url
	}
	ev, stop := p.Subscribe()
	e.pev = ev
	t.Cleanup(func() {
		stop()
		_ = p.Close()
		if e.relay != nil {
			e.relay.close()
		}
		srv.Close()
	})
	return e
}

// recorder collects a phone's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
	wake   chan struct{}
	hook   func(Event)
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 1)} }

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		hook(e)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// wait returns the first event from index *from on matching pred, and
// moves *from past it.
func (r *recorder) wait(t *testing.T, from *int, what string, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for i := *from; i < len(r.events); i++ {
			if pred(r.events[i]) {
				*from = i + 1
				e := r.events[i]
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-deadline.C:
			t.Fatalf("no %s event", what)
		}
	}
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

func testMedia(t *testing.T) *MediaEngine {
	t.Helper()
	m, err := NewMediaEngine(MediaEngineConfig{IncludeLoopback: true, IPFilter: loopbackOnly, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// newPhone creates a phone for ext on e with real media and a recorder.
func newPhone(t *testing.T, e *env, mod func(*Config)) (*Phone, *recorder) {
	t.Helper()
	rec := newRecorder()
	cfg := Config{
		URL:       e.url,
		Domain:    testDomain,
		User:      testExt,
		Password:  testPwd,
		Headers:   map[string]string{"X-CC-Company": "acme"},
		Media:     testMedia(t),
		Reconnect: Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond},
		OnEvent:   rec.on,
		Logger:    testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Close()
	})
	return p, rec
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func waitPBX(t *testing.T, ch <-chan pbx.Event, what string, pred func(pbx.Event) bool) pbx.Event {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("pbx event stream closed waiting for %s", what)
			}
			if pred(e) {
				return e
			}
		case <-timeout.C:
			t.Fatalf("no pbx %s event", what)
		}
	}
}

func register(t *testing.T, p *Phone) {
	t.Helper()
	if err := p.Register(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("register: %v", err)
	}
}

// audioTap collects what the phone plays out of a call.
type audioTap struct {
	mu  sync.Mutex
	pcm []int16
	n   int
}

func (a *audioTap) WritePCM(s []int16, rate int) {
	a.mu.Lock()
	a.pcm = append(a.pcm, s...)
	if len(a.pcm) > 16000 {
		a.pcm = append([]int16(nil), a.pcm[len(a.pcm)-8000:]...)
	}
	a.n += len(s)
	a.mu.Unlock()
}

func (a *audioTap) recent(n int) []int16 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n = min(n, len(a.pcm))
	return append([]int16(nil), a.pcm[len(a.pcm)-n:]...)
}

// waitTone waits until the last 200 ms played out is a clean tone at hz.
func (a *audioTap) waitTone(t *testing.T, hz float64, what string) pbx.ToneAnalysis {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last pbx.ToneAnalysis
	for time.Now().Before(deadline) {
		pcm := a.recent(1600)
		if len(pcm) == 1600 {
			last = pbx.AnalyseTone(pcm, 8000)
			if math.Abs(last.PeakHz-hz) < 5 && last.PeakRatio > 0.8 {
				return last
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: no %v Hz tone in the phone's audio (last: %+v)", what, hz, last)
	return last
}

// agentTone makes a call send a tone and taps what it receives; call it
// from the event handler on CallAnswered (before media flows).
func agentTone(c *Call, hz float64) *audioTap {
	tap := &audioTap{}
	if m, ok := c.Media().(*MediaCall); ok {
		m.SetAudioSource(media.ToneSource(hz, 8000))
		m.AddAudioSink(tap)
	}
	return tap
}

// relay stands between the phone and the PBX, as a WebSocket edge proxy
// does: it can drop the phone's side only (the PBX keeps its connection,
// and the next phone connection is bound to it), or both sides.
type relay struct {
	t   *testing.T
	up  string
	srv *httptest.Server
	url string

	mu       sync.Mutex
	upConn   *websocket.Conn
	down     *websocket.Conn
	pending  [][]byte
	upClosed chan struct{}
	conns    int
	deaf     atomic.Bool // pings from the phone go unanswered, as if the path had died
}

// deafen makes the relay stop answering the phone's WebSocket pings.
func (r *relay) deafen() { r.deaf.Store(true) }

func newRelay(t *testing.T, upstream string) *relay {
	r := &relay{t: t, up: upstream}
	upg := websocket.Upgrader{Subprotocols: []string{"sip"}, CheckOrigin: func(*http.Request) bool { return true }}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ws, err := upg.Upgrade(w, req, nil)
		if err != nil {
			return
		}
		ws.SetPingHandler(func(data string) error {
			if r.deaf.Load() {
				return nil
			}
			err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			if errors.Is(err, websocket.ErrCloseSent) {
				return nil
			}
			return err
		})
		if err := r.attach(ws); err != nil {
			_ = ws.Close()
			return
		}
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			r.mu.Lock()
			up := r.upConn
			r.mu.Unlock()
			if up != nil {
				_ = up.WriteMessage(websocket.TextMessage, data)
			}
		}
	}))
	r.url = "ws://" + r.srv.Listener.Addr().String() + "/sip"
	return r
}

// attach binds a new phone connection to the upstream one (dialled on
// first use or after dropAll).
func (r *relay) attach(ws *websocket.Conn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns++
	if r.upConn == nil {
		up, _, err := (&websocket.Dialer{Subprotocols: []string{"sip"}}).Dial(r.up, nil)
		if err != nil {
			return err
		}
		r.upConn = up
		closed := make(chan struct{})
		r.upClosed = closed
		go func() {
			defer close(closed)
			for {
				_, data, err := up.ReadMessage()
				if err != nil {
					return
				}
				r.mu.Lock()
				down := r.down
				if down == nil {
					r.pending = append(r.pending, data)
				}
				r.mu.Unlock()
				if down != nil {
					_ = down.WriteMessage(websocket.TextMessage, data)
				}
			}
		}()
	}
	r.down = ws
	for _, m := range r.pending {
		_ = ws.WriteMessage(websocket.TextMessage, m)
	}
	r.pending = nil
	return nil
}

// dropPhone closes the phone's connection abruptly (no close frame); the
// PBX's connection stays.
func (r *relay) dropPhone() {
	r.mu.Lock()
	down := r.down
	r.down = nil
	r.mu.Unlock()
	if down != nil {
		_ = down.NetConn().Close()
	}
}

// dropAll closes both sides: the PBX sees its transport close.
func (r *relay) dropAll() {
	r.mu.Lock()
	up, closed := r.upConn, r.upClosed
	r.upConn = nil
	r.mu.Unlock()
	if up != nil {
		_ = up.Close()
		<-closed
	}
	r.dropPhone()
}

func (r *relay) connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns
}

func (r *relay) close() {
	r.dropAll()
	r.srv.CloseClientConnections()
	r.srv.Close()
}
