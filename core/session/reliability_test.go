package session

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/eventq"
	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Tests of the session's resource bounds: the event queue (count and
// bytes), the reconnect backoff against a server that drops every link, and
// Close while a handshake is stalled.

// sized is an event of a chosen raw size.
type sized struct {
	n   int
	raw []byte
}

func (*sized) Type() protocol.MsgType { return "sized" }
func (e *sized) Raw() json.RawMessage { return e.raw }
func newSized(n, size int) *sized     { return &sized{n: n, raw: make([]byte, size)} }
func (e *sized) is(n int) bool        { return e != nil && e.n == n }

// blockingHandler records events; it is stuck on the first one until
// release is closed, and holding is closed once it is stuck there.
func blockingHandler() (h func(Event), holding, release chan struct{}, rec *recorder) {
	rec = newRecorder()
	holding, release = make(chan struct{}), make(chan struct{})
	first := true
	return func(e Event) {
		if first {
			first = false
			close(holding)
			<-release // the handler is stuck on the first event
		}
		rec.handle(e)
	}, holding, release, rec
}

func testQueue(h func(Event), maxN, maxBytes int) *eventq.Queue[Event] {
	return newEventQueue(h, slog.New(slog.DiscardHandler), maxN, maxBytes)
}

func TestEventQueueDropsOldestPastCount(t *testing.T) {
	h, holding, release, rec := blockingHandler()
	q := testQueue(h, 10, 1<<30)
	defer q.Close()
	q.Push(newSized(0, 0))
	<-holding // the handler holds event 0: the queue is empty
	for i := 1; i <= 100; i++ {
		q.Push(newSized(i, 0))
		if n := q.Len(); n > 10 {
			t.Fatalf("queue holds %d events, bound is 10", n)
		}
	}
	close(release)
	evs := rec.wait(t, "the backlog", func(evs []Event) bool { return len(evs) >= 12 })
	if e, _ := evs[0].(*sized); !e.is(0) {
		t.Fatalf("first event %v", evs[0])
	}
	d, ok := evs[1].(*DroppedEvent)
	if !ok || d.Dropped != 90 || d.Total != 90 || d.Reason != dropReason {
		t.Fatalf("second event %#v, want events_dropped 90/90", evs[1])
	}
	// The note took no room: the 10 newest events all survive.
	for i, e := range evs[2:12] {
		if s, _ := e.(*sized); !s.is(91 + i) {
			t.Fatalf("event %d after the note is %v, want sized %d", i, e, 91+i)
		}
	}
	if len(evs) != 12 {
		t.Fatalf("%d events delivered, want 12", len(evs))
	}
}

func TestEventQueueBoundsBytes(t *testing.T) {
	h, holding, release, rec := blockingHandler()
	const max = 100 << 10
	q := testQueue(h, 1<<20, max)
	defer q.Close()
	q.Push(newSized(0, 0))
	<-holding
	for i := 1; i <= 1000; i++ {
		q.Push(newSized(i, 10<<10)) // 2*10 KiB + overhead each
		if b := q.Bytes(); b > max {
			t.Fatalf("queue holds %d bytes, bound is %d", b, max)
		}
	}
	// An event larger than the whole budget is dropped, not kept.
	q.Push(newSized(1001, max))
	close(release)
	per := eventOverhead + 2*(10<<10)
	keep := max / per
	evs := rec.wait(t, "the backlog", func(evs []Event) bool { return len(evs) >= 2+keep })
	d, ok := evs[1].(*DroppedEvent)
	if !ok || d.Dropped != 1001-keep || int(d.Total) != 1001-keep {
		t.Fatalf("note %#v, want %d dropped", evs[1], 1001-keep)
	}
	if s, _ := evs[len(evs)-1].(*sized); !s.is(1000) {
		t.Fatalf("last event %v, want sized 1000 (the oversized 1001 is dropped)", evs[len(evs)-1])
	}
}

func TestEventQueueReportsLaterDropsAgain(t *testing.T) {
	rec := newRecorder()
	gates := map[int]chan struct{}{0: make(chan struct{}), 10: make(chan struct{})}
	at := make(chan int, 2) // the handler reached a gate
	q := testQueue(func(e Event) {
		if s, ok := e.(*sized); ok && gates[s.n] != nil {
			at <- s.n
			<-gates[s.n]
		}
		rec.handle(e)
	}, 2, 1<<30)
	defer q.Close()
	burst := func(head int, n int) {
		q.Push(newSized(head, 0))
		<-at // the handler holds head: the queue is empty
		for i := head + 1; i <= head+n; i++ {
			q.Push(newSized(i, 0))
		}
		close(gates[head])
	}
	burst(0, 5) // keeps 4 and 5: 3 dropped
	rec.wait(t, "first backlog", func(evs []Event) bool { return len(evs) == 4 })
	burst(10, 4) // keeps 13 and 14: 2 dropped
	evs := rec.wait(t, "second backlog", func(evs []Event) bool { return len(evs) == 8 })
	want := []string{"0", "drop 3/3", "4", "5", "10", "drop 2/5", "13", "14"}
	for i, e := range evs {
		got := ""
		switch v := e.(type) {
		case *sized:
			got = fmt.Sprint(v.n)
		case *DroppedEvent:
			got = fmt.Sprintf("drop %d/%d", v.Dropped, v.Total)
		}
		if got != want[i] {
			t.Fatalf("event %d = %q, want %q (all: %s)", i, got, want[i], describe(evs))
		}
	}
}

// droppingServer answers every request with success (check-in with a
// token) and closes each link: the first when dropFirst is called (after the
// check-in that gives the session something to restore), the others at once
// after the upgrade, except the links for which keep returns a duration:
// those are served that long.
func droppingServer(t testing.TB, keep func(n int) time.Duration) (url string, dropFirst func()) {
	t.Helper()
	links := &atomic.Int64{}
	first := make(chan struct{})
	var once sync.Once
	dropFirst = func() { once.Do(func() { close(first) }) }
	up := websocket.Upgrader{}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		n := int(links.Add(1))
		d := keep(n)
		if n > 1 && d <= 0 {
			return // drop at once
		}
		if n == 1 {
			go func() {
				select {
				case <-first:
				case <-stop:
				}
				_ = ws.Close()
			}()
		}
		if d > 0 {
			timer := time.AfterFunc(d, func() { _ = ws.Close() }) // the server's own behaviour
			defer timer.Stop()
			go func() {
				select {
				case <-stop:
					_ = ws.Close()
				case <-r.Context().Done():
				}
			}()
		}
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			typ, _ := m["msg_type"].(string)
			if typ == "ping" {
				typ = "pong"
			}
			rep, _ := json.Marshal(map[string]any{"req_id": m["req_id"], "msg_type": typ, "code": "0", "msg": "ok",
				"token": "tok-0123456789", "ext_id": m["ext_id"], "login_type": "2"})
			if ws.WriteMessage(websocket.TextMessage, rep) != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", dropFirst
}

func reconnectAttempts(evs []Event) (attempts []int, delays []time.Duration) {
	for _, e := range evs {
		if s, ok := e.(*StateEvent); ok && s.State == StateReconnecting && s.Attempt > 0 {
			attempts = append(attempts, s.Attempt)
			delays = append(delays, s.Delay)
		}
	}
	return
}

func reliabilityConfig(url string, h func(Event)) Config {
	return Config{URL: url, CompanyCode: "c", AgentID: "a", ExtID: "e", OS: "Linux",
		RequestTimeout: 2 * time.Second, HeartbeatInterval: -1, Handler: h,
		Reconnect: Backoff{Min: 10 * time.Millisecond, Max: 10 * time.Second, Stable: time.Hour}}
}

func TestReconnectBackoffGrowsWhenEveryLinkDrops(t *testing.T) {
	checkNoLeak(t)
	url, dropFirst := droppingServer(t, func(int) time.Duration { return 0 })
	rec := newRecorder()
	s := newSession(t, reliabilityConfig(url, rec.handle))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Checked in (something to restore), then the server drops the link.
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "pw"}); err != nil {
		t.Fatal(err)
	}
	dropFirst()
	evs := rec.wait(t, "6 reconnect attempts", func(evs []Event) bool {
		a, _ := reconnectAttempts(evs)
		return len(a) >= 6
	})
	attempts, delays := reconnectAttempts(evs)
	for i := 0; i < 6; i++ {
		if attempts[i] != i+1 {
			t.Fatalf("attempts %v: the count starts over after links that did not stay up", attempts)
		}
		if i > 0 && delays[i] <= delays[i-1] {
			t.Fatalf("delays %v do not grow", delays)
		}
	}
	_ = s.Close()
}

func TestReconnectBackoffStartsOverAfterStableLink(t *testing.T) {
	url, dropFirst := droppingServer(t, func(n int) time.Duration {
		switch {
		case n == 4:
			return 300 * time.Millisecond // stays up past Stable, then drops
		case n >= 5:
			return time.Minute
		}
		return 0
	})
	rec := newRecorder()
	cfg := reliabilityConfig(url, rec.handle)
	cfg.Reconnect.Stable = 100 * time.Millisecond
	s := newSession(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "pw"}); err != nil {
		t.Fatal(err)
	}
	dropFirst()
	evs := rec.wait(t, "4 reconnect attempts", func(evs []Event) bool {
		a, _ := reconnectAttempts(evs)
		return len(a) >= 4
	})
	attempts, _ := reconnectAttempts(evs)
	if want := []int{1, 2, 3, 1}; !equalInts(attempts[:4], want) {
		t.Fatalf("attempts %v, want %v (the count starts over only after the stable link)", attempts, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stalledListener accepts TCP connections and never answers the upgrade;
// accepted is signalled once per connection.
func stalledListener(t *testing.T) (addr string, accepted chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = make(chan struct{}, 64)
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range held {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String(), accepted
}

func TestCloseDoesNotWaitForStalledHandshake(t *testing.T) {
	checkNoLeak(t)
	addr, accepted := stalledListener(t)
	cfg := reliabilityConfig("ws://"+addr+"/ws", nil)
	cfg.DialTimeout = time.Minute
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqDone := make(chan error, 1)
	go func() {
		_, err := s.Do(context.Background(), &protocol.PingRequest{})
		reqDone <- err
	}()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the session never dialed")
	}
	closed := make(chan struct{})
	go func() { _ = s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still blocked 10 s into a stalled handshake (dial timeout 1 min)")
	}
	if err := <-reqDone; err == nil {
		t.Fatal("request succeeded on a closed session")
	}
}
