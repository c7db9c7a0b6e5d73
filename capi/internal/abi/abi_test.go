package abi

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests, or a
// handle (each test checks its own too: see begin).
func TestMain(m *testing.M) {
	code := m.Run()
	if n := handles(); n != 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "%d handles left in the table\n", n)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// begin starts a test: the table holds no handle, and none is left once
// the test's own cleanups (which free its clients) have run. Every test
// of the package calls it first (TestEveryTestChecksHandles).
func begin(t *testing.T) *testHost {
	t.Helper()
	if n := handles(); n != 0 {
		t.Fatalf("%d handles left by an earlier test", n)
	}
	t.Cleanup(func() {
		if n := handles(); n != 0 {
			t.Errorf("%d handles left in the table", n)
		}
	})
	return &testHost{in: map[uint64]frame{}}
}

// open makes a client through New, freed when the test ends.
func open(t *testing.T, h *testHost, config string) uintptr {
	t.Helper()
	id, r := New(Str{S: config}, true, h.host())
	if r.Status != ccOK || id == 0 || r.JSON != nil {
		t.Fatalf("New(%s) = %#x, %d %s", config, id, r.Status, r.JSON)
	}
	t.Cleanup(func() { Free(id) })
	return id
}

// testHost plays bridge.c's part: it marks the goroutine that runs one of
// a client's callbacks (a thread-local there), so that a Free or a
// SetEventCallback from inside the callback knows it.
type testHost struct {
	mu sync.Mutex
	in map[uint64]frame // by goroutine id
}

type frame struct {
	id   uintptr
	kind CallbackKind
}

func (h *testHost) host() Host { return Host{CallbackKind: h.kind} }

func (h *testHost) kind(id uintptr) CallbackKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.in[goid()]; f.id == id {
		return f.kind
	}
	return NoCallback
}

// run runs f marked as the callback of client id of that kind.
func (h *testHost) run(id uintptr, kind CallbackKind, f func()) {
	g := goid()
	h.mu.Lock()
	prev := h.in[g]
	h.in[g] = frame{id, kind}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.in[g] = prev
		h.mu.Unlock()
	}()
	f()
}

func (h *testHost) event(id uintptr, fn func(event []byte)) EventFunc {
	return func(b []byte) { h.run(id, EventCallback, func() { fn(b) }) }
}

func (h *testHost) reply(id uintptr, fn func(status int, reply []byte)) ReplyFunc {
	return func(st int, b []byte) { h.run(id, ReplyCallback, func() { fn(st, b) }) }
}

// goid is the calling goroutine's id (tests only: bridge.c uses a
// thread-local).
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	n, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return n
}

// decode reads a JSON object the ABI handed out.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return m
}

// ctiServer is a CTI WebSocket for the tests: it answers ping (pong, code
// "0") unless silent, and ignores every other frame.
type ctiServer struct {
	*httptest.Server
	silent bool

	mu     sync.Mutex
	conns  []*websocket.Conn
	closed bool
	wg     sync.WaitGroup
}

func newCTIServer(t *testing.T, silent bool) *ctiServer {
	t.Helper()
	s := &ctiServer{silent: silent}
	up := websocket.Upgrader{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil || !s.track(conn) {
			return
		}
		defer s.wg.Done()
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var req struct {
				MsgType string `json:"msg_type"`
				ReqID   string `json:"req_id"`
			}
			if json.Unmarshal(b, &req) != nil || req.MsgType != "ping" || s.silent {
				continue
			}
			rep, _ := json.Marshal(map[string]string{"msg_type": "pong", "req_id": req.ReqID, "code": "0", "msg": "success"})
			if conn.WriteMessage(websocket.TextMessage, rep) != nil {
				return
			}
		}
	}))
	t.Cleanup(s.close)
	return s
}

// track counts a link's handler in, unless the server is closing.
func (s *ctiServer) track(conn *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return false
	}
	s.conns = append(s.conns, conn)
	s.wg.Add(1)
	return true
}

// close drops every link and waits for their handlers.
func (s *ctiServer) close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.Server.Close()
}

// config is a client's config for the server: a token (requests need one
// before check-in), no heartbeat, no reconnect.
func (s *ctiServer) config(extra string) string {
	c := `{"ws_url":"ws://` + strings.TrimPrefix(s.URL, "http://") + `/ws","company_code":"c","agent_id":"a",` +
		`"token":"t0ken-value","language":"en-US","heartbeat_interval_ms":-1,"reconnect":false`
	if extra != "" {
		c += "," + extra
	}
	return c + "}"
}

// Every test of the package checks the handle table (begin), so that a
// test leaving a handle fails by its own name.
func TestEveryTestChecksHandles(t *testing.T) {
	begin(t)
	files, _ := filepath.Glob("*_test.go")
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Name.Name == "TestMain" {
				continue
			}
			if !startsWithBegin(fn.Body) {
				t.Errorf("%s: %s does not start with begin(t)", name, fn.Name.Name)
			}
		}
	}
}

func startsWithBegin(body *ast.BlockStmt) bool {
	if body == nil || len(body.List) == 0 {
		return false
	}
	var e ast.Expr
	switch s := body.List[0].(type) {
	case *ast.ExprStmt:
		e = s.X
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			e = s.Rhs[0]
		}
	}
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := c.Fun.(*ast.Ident)
	return ok && id.Name == "begin"
}

// The package stays without cgo: its tests run with the race detector and
// none of its files may import "C" (capi/ alone does).
func TestNoCgo(t *testing.T) {
	begin(t)
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			if im.Path.Value == `"C"` {
				t.Errorf("%s imports \"C\"", name)
			}
		}
	}
}
