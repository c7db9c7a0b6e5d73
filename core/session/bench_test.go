package session

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// pongServer answers every frame with a pong carrying the frame's req_id. The
// session and the raw gorilla client below talk to the same server, so the
// difference between them is the session's own cost.
func pongServer(b *testing.B) string {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, f, err := ws.ReadMessage()
			if err != nil {
				return
			}
			id := reqIDOf(f)
			reply := append(append([]byte(`{"req_id":"`), id...), `","msg_type":"pong","code":"0","msg":"success"}`...)
			if ws.WriteMessage(websocket.TextMessage, reply) != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

func reqIDOf(f []byte) []byte {
	i := bytes.Index(f, []byte(`"req_id":"`))
	if i < 0 {
		return nil
	}
	f = f[i+10:]
	return f[:bytes.IndexByte(f, '"')]
}

// BenchmarkRoundTrip measures a ping round trip through the session and
// through a bare gorilla client sending the same frame to the same server, in
// the same run, and reports their ratio (target ≤ 1.2). It also reports the
// ratio to a bare client that reads on its own goroutine, the structure any
// client receiving pushed events needs.
func BenchmarkRoundTrip(b *testing.B) {
	url := pongServer(b)
	cfg := Config{URL: url, CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows", HeartbeatInterval: -1, Token: "tok"}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	raw, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	ping := &protocol.PingRequest{}
	s.fill(ping)
	frame, _ := protocol.Encode(ping)

	sessionOnce := func() {
		if _, err := s.Do(ctx, &protocol.PingRequest{}); err != nil {
			b.Fatal(err)
		}
	}
	rawOnce := func() {
		if err := raw.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := raw.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	// The same bare client with the reading moved to its own goroutine, as
	// any client that also receives unsolicited events must do: this isolates
	// the cost of that hand-off from the session's own work.
	rawAsync, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rawAsync.Close()
	replies := make(chan []byte, 1)
	go func() {
		for {
			_, m, err := rawAsync.ReadMessage()
			if err != nil {
				close(replies)
				return
			}
			replies <- m
		}
	}()
	asyncOnce := func() {
		if err := rawAsync.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		<-replies
	}
	for i := 0; i < 200; i++ { // warm every path
		sessionOnce()
		rawOnce()
		asyncOnce()
	}
	b.ReportAllocs()
	b.ResetTimer()
	var tSession, tRaw, tAsync time.Duration
	// Interleave in blocks so both see the same machine conditions.
	const block = 100
	for done := 0; done < b.N; done += block {
		n := min(block, b.N-done)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			sessionOnce()
		}
		t1 := time.Now()
		for i := 0; i < n; i++ {
			rawOnce()
		}
		t2 := time.Now()
		for i := 0; i < n; i++ {
			asyncOnce()
		}
		tSession += t1.Sub(t0)
		tRaw += t2.Sub(t1)
		tAsync += time.Since(t2)
	}
	b.ReportMetric(float64(tSession.Nanoseconds())/float64(b.N), "session-ns/rt")
	b.ReportMetric(float64(tRaw.Nanoseconds())/float64(b.N), "gorilla-ns/rt")
	b.ReportMetric(float64(tAsync.Nanoseconds())/float64(b.N), "gorilla-reader-ns/rt")
	b.ReportMetric(float64(tSession)/float64(tRaw), "ratio")
	b.ReportMetric(float64(tSession)/float64(tAsync), "ratio-vs-reader")
}
