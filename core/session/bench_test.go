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
// session and the raw gorilla clients below talk to the same server, so the
// difference between them is the session's own cost. It reuses its buffers:
// the allocations a benchmark reports are the client's (plus gorilla's two
// small reader/writer structs per frame on the server side).
func pongServer(b *testing.B) string {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var in, reply bytes.Buffer
		for {
			_, rd, err := ws.NextReader()
			if err != nil {
				return
			}
			in.Reset()
			if _, err := in.ReadFrom(rd); err != nil {
				return
			}
			reply.Reset()
			reply.WriteString(`{"req_id":"`)
			reply.Write(reqIDOf(in.Bytes()))
			reply.WriteString(`","msg_type":"pong","code":"0","msg":"success"}`)
			if ws.WriteMessage(websocket.TextMessage, reply.Bytes()) != nil {
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

// roundTrippers are the three clients BenchmarkRoundTrip compares, each
// connected to the same pong server: the session; a bare gorilla client
// that reads on its own goroutine, the structure any client receiving
// pushed events needs; a bare synchronous gorilla client (write, then read
// on the same goroutine), the floor.
type roundTrippers struct {
	session, reader, bare func()
	// abi is the session's part of a C ABI request (capi's request path):
	// the request from its JSON, the reply to JSON, secrets redacted.
	abi func()
}

func newRoundTrippers(b *testing.B) roundTrippers {
	url := pongServer(b)
	cfg := Config{URL: url, CompanyCode: "090008", AgentID: "090008_6000", OS: "Windows", HeartbeatInterval: -1, Token: "tok"}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	ping := &protocol.PingRequest{}
	s.fill(ping)
	ping.Token = "tok"
	frame, _ := protocol.Encode(ping)

	raw, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	rawAsync, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	replies := make(chan []byte, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, m, err := rawAsync.ReadMessage()
			if err != nil {
				return
			}
			replies <- m
		}
	}()
	b.Cleanup(func() { rawAsync.Close(); <-readerDone })
	rt := roundTrippers{
		session: func() {
			if _, err := s.Do(ctx, &protocol.PingRequest{}); err != nil {
				b.Fatal(err)
			}
		},
		bare: func() {
			if err := raw.WriteMessage(websocket.TextMessage, frame); err != nil {
				b.Fatal(err)
			}
			if _, _, err := raw.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		},
		abi: func() {
			req, err := protocol.DecodeRequest([]byte(`{"msg_type":"ping"}`))
			if err != nil {
				b.Fatal(err)
			}
			rep, err := s.Do(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			out, err := protocol.MarshalMessage(rep)
			if err != nil {
				b.Fatal(err)
			}
			_ = protocol.ValidUTF8(s.Secrets().JSON(out, nil))
		},
		reader: func() {
			if err := rawAsync.WriteMessage(websocket.TextMessage, frame); err != nil {
				b.Fatal(err)
			}
			<-replies
		},
	}
	for i := 0; i < 200; i++ { // warm every path
		rt.session()
		rt.bare()
		rt.reader()
	}
	return rt
}

// BenchmarkRoundTrip measures a ping round trip through the session and
// through two bare gorilla clients sending the same frame to the same
// server (go test -run '^$' -bench RoundTrip -benchmem ./core/session).
//
// "interleaved" runs the three in alternating blocks of 100, so that all
// see the same machine conditions, and reports each one's ns per round trip
// and the session's ratios: ratio-vs-reader (goal ≤ 1.2: the hand-off to a
// reader goroutine is the price of receiving pushed events, the rest is the
// session's own work) and ratio-vs-bare. The other three run one client
// alone, for its allocations per round trip (allocs/op, B/op: they include
// the pong server's, which are the same for all three). "abi-path" is the
// session's share of a C ABI request: "session" plus the request's JSON
// decoded and the reply's JSON made and redacted, as capi does.
func BenchmarkRoundTrip(b *testing.B) {
	rt := newRoundTrippers(b)
	b.Run("interleaved", func(b *testing.B) {
		var tSession, tReader, tBare time.Duration
		const block = 100
		for done := 0; done < b.N; done += block {
			n := min(block, b.N-done)
			t0 := time.Now()
			for i := 0; i < n; i++ {
				rt.session()
			}
			t1 := time.Now()
			for i := 0; i < n; i++ {
				rt.reader()
			}
			t2 := time.Now()
			for i := 0; i < n; i++ {
				rt.bare()
			}
			tSession += t1.Sub(t0)
			tReader += t2.Sub(t1)
			tBare += time.Since(t2)
		}
		b.ReportMetric(float64(tSession.Nanoseconds())/float64(b.N), "session-ns/rt")
		b.ReportMetric(float64(tReader.Nanoseconds())/float64(b.N), "reader-ns/rt")
		b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/rt")
		b.ReportMetric(float64(tSession)/float64(tReader), "ratio-vs-reader")
		b.ReportMetric(float64(tSession)/float64(tBare), "ratio-vs-bare")
	})
	for _, c := range []struct {
		name string
		fn   func()
	}{{"session", rt.session}, {"reader", rt.reader}, {"bare", rt.bare}, {"abi-path", rt.abi}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.fn()
			}
		})
	}
}
