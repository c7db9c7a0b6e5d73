package media

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func testLogger() *slog.Logger {
	if os.Getenv("MEDIA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testConfig() Config {
	return Config{
		IncludeLoopback: true,
		IPFilter:        func(ip net.IP) bool { return ip.IsLoopback() },
		Logger:          testLogger(),
		StatsInterval:   200 * time.Millisecond,
	}
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stateWatch records connection states.
type stateWatch struct {
	mu sync.Mutex
	st []State
}

func (w *stateWatch) on(s State) { w.mu.Lock(); w.st = append(w.st, s); w.mu.Unlock() }
func (w *stateWatch) all() []State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]State(nil), w.st...)
}

func (w *stateWatch) last() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.st) == 0 {
		return StateNew
	}
	return w.st[len(w.st)-1]
}

// capSink keeps the last few seconds of played-out audio.
type capSink struct {
	mu    sync.Mutex
	rate  int
	buf   []int16
	total int
}

func newCapSink() *capSink { return &capSink{buf: make([]int16, 0, 8000*4)} }

func (c *capSink) WritePCM(s []int16, rate int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rate = rate
	c.total += len(s)
	c.buf = append(c.buf, s...)
	if len(c.buf) > 8000*3 {
		c.buf = append(c.buf[:0], c.buf[len(c.buf)-8000*2:]...)
	}
}

func (c *capSink) samples() int { c.mu.Lock(); defer c.mu.Unlock(); return c.total }

// recent returns the last n samples.
func (c *capSink) recent(n int) []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n = min(n, len(c.buf))
	return append([]int16(nil), c.buf[len(c.buf)-n:]...)
}

// pair wires two calls together: a offers, b answers; both connect.
type pair struct {
	a, b   *Call
	aw, bw *stateWatch
}

func newPair(t testing.TB, ea, eb *Engine, ao, bo CallOptions) *pair {
	t.Helper()
	p := &pair{aw: &stateWatch{}, bw: &stateWatch{}}
	chain := func(w *stateWatch, f func(State)) func(State) {
		return func(s State) {
			w.on(s)
			if f != nil {
				f(s)
			}
		}
	}
	ao.OnState = chain(p.aw, ao.OnState)
	bo.OnState = chain(p.bw, bo.OnState)
	var err error
	if p.a, err = ea.NewCall(ao); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.a.Close() })
	if p.b, err = eb.NewCall(bo); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.b.Close() })
	p.negotiate(t, p.a, p.b, false)
	deadline := time.Now().Add(10 * time.Second)
	for p.aw.last() != StateConnected || p.bw.last() != StateConnected {
		if time.Now().After(deadline) {
			// Say how far each side got, so a rare failure can be told apart.
			t.Fatalf("not both connected after 10s: offerer states %v, answerer states %v", p.aw.all(), p.bw.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// negotiate runs one offer/answer from offerer to answerer and returns both SDPs.
func (p *pair) negotiate(t testing.TB, offerer, answerer *Call, restart bool) (string, string) {
	t.Helper()
	ctx := ctxT(t, 15*time.Second)
	offer, err := offerer.CreateOffer(ctx, restart)
	if err != nil {
		t.Fatal("offer:", err)
	}
	answer, err := answerer.AcceptOffer(ctx, offer)
	if err != nil {
		t.Fatal("answer:", err)
	}
	if err := offerer.SetAnswer(answer); err != nil {
		t.Fatal("set answer:", err)
	}
	return offer, answer
}

// sdpDirs returns the direction attribute of each m= line, by kind.
func sdpDirs(t testing.TB, raw string) map[string]Direction {
	t.Helper()
	secs, err := parseSDP(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Direction{}
	for _, s := range secs {
		out[s.Kind] = s.Dir
	}
	return out
}

func hasLine(raw, prefix string) bool {
	for _, l := range strings.Split(raw, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return true
		}
	}
	return false
}

func writeStereoWAV(t testing.TB, path string, rate int, interleaved []int16) {
	t.Helper()
	h := wavHeader(rate, uint32(len(interleaved)*2))
	// patch channels=2, byte rate, block align
	h[22] = 2
	br := rate * 4
	h[28], h[29], h[30], h[31] = byte(br), byte(br>>8), byte(br>>16), byte(br>>24)
	h[32] = 4
	b := make([]byte, 0, len(h)+2*len(interleaved))
	b = append(b, h...)
	for _, s := range interleaved {
		b = append(b, byte(uint16(s)), byte(uint16(s)>>8))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readWAV(f)
}
