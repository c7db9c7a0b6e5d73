package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// These tests speak raw JSON to the simulator, independently of the SDK.

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// specConfig is the demo world in the spec dialect, whatever the default.
func specConfig() Config {
	cfg := DefaultConfig()
	cfg.Dialect = DialectSpec
	return cfg
}

func start(t *testing.T, cfg Config, opts ...Option) (*Server, string) {
	t.Helper()
	s := New(cfg, opts...)
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs.URL
}

func dial(t *testing.T, base string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", hdr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func roundTrip(t *testing.T, ws *websocket.Conn, frame string) map[string]any {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	return read(t, ws)
}

func read(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("server sent non-JSON %q", b)
	}
	return m
}

const checkin6000 = `{"req_id":"r1","msg_type":"checkin","company_code":"090008","agent_id":"090008_6000","ext_id":"090008_5000","agent_pwd":"919191Aa.","os":"Windows"}`

func TestFrameLogRedactsSecrets(t *testing.T) {
	var log lockedBuf
	cfg := specConfig()
	cfg.Timings = Timings{}
	_, base := start(t, cfg, WithFrameLog(&log))
	ws := dial(t, base, http.Header{"LANGUAGE": {"en-US"}})
	rep := roundTrip(t, ws, checkin6000)
	tok, _ := rep["token"].(string)
	if rep["code"] != "0" || tok == "" || rep["msg_type"] != " checkin" {
		t.Fatalf("checkin reply %v", rep)
	}
	read(t, ws) // agent_change
	out := log.String()
	if !strings.Contains(out, "checkin") || !strings.Contains(out, `"***"`) {
		t.Fatalf("frame log:\n%s", out)
	}
	for _, secret := range []string{"919191Aa.", tok, "Aa123321."} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in the frame log:\n%s", secret, out)
		}
	}
}

func TestTokenGuardsHTTPAndReconnect(t *testing.T) {
	cfg := specConfig()
	cfg.Timings = Timings{}
	s, base := start(t, cfg)
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", base+"/cloudcc-sdk-interface/openapi/get-skill-service-list?company_code=090008", nil)
		if tok != "" {
			req.Header.Set("SDK-TOKEN", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(""); code != http.StatusUnauthorized {
		t.Fatalf("no token: HTTP %d", code)
	}
	ws := dial(t, base, nil)
	tok := roundTrip(t, ws, checkin6000)["token"].(string)
	read(t, ws)
	if code := get(tok); code != http.StatusOK {
		t.Fatalf("with token: HTTP %d", code)
	}
	// A new link carrying the token takes the session over.
	ws2 := dial(t, base, http.Header{"SDK-TOKEN": {tok}})
	rep := roundTrip(t, ws2, `{"req_id":"p","msg_type":"ping","company_code":"090008","agent_id":"090008_6000"}`)
	if rep["msg_type"] != "pong" || rep["code"] != "0" {
		t.Fatalf("ping on the new link %v", rep)
	}
	rep = roundTrip(t, ws2, `{"req_id":"s","msg_type":"change_status","company_code":"090008","agent_id":"090008_6000","action":"MAKE_FREE"}`)
	if rep["code"] != "0" {
		t.Fatalf("change_status on the restored link %v", rep)
	}
	if ch := read(t, ws2); ch[" agent_status"] != "FREE" {
		t.Fatalf("agent_change %v", ch)
	}
	rep = roundTrip(t, dial(t, base, nil), checkin6000)
	if rep["code"] == "0" {
		t.Fatal("a second check-in without reset took over a live session")
	}
	if rep := roundTrip(t, ws2, `{"req_id":"o","msg_type":"checkout","company_code":"090008","agent_id":"090008_6000"}`); rep["req_id"] != "o" || rep["code"] != "0" {
		t.Fatalf("checkout %v", rep)
	}
	if code := get(tok); code != http.StatusUnauthorized {
		t.Fatalf("token after checkout: HTTP %d", code)
	}
	if sn, _ := s.Agent("090008_6000"); sn.Status != "OFFLINE" || sn.CheckedIn {
		t.Fatalf("after checkout %+v", sn)
	}
}

func TestMalformedRequestAndQuirksOff(t *testing.T) {
	cfg := specConfig()
	cfg.Timings = Timings{}
	off := false
	cfg.Quirks = &off
	_, base := start(t, cfg)
	ws := dial(t, base, http.Header{"LANGUAGE": {"en-US"}})
	if rep := roundTrip(t, ws, `{"msg_type": "checkin", broken`); rep["code"] != "1" || rep["msg"] != "malformed request" {
		t.Fatalf("malformed: %v", rep)
	}
	if rep := roundTrip(t, ws, `{"req_id":"x","msg_type":"teleport"}`); rep["code"] != "1" || rep["req_id"] != "x" {
		t.Fatalf("unknown type: %v", rep)
	}
	rep := roundTrip(t, ws, checkin6000)
	if rep["msg_type"] != "checkin" {
		t.Fatalf("quirks off still pads msg_type: %q", rep["msg_type"])
	}
	ch := read(t, ws)
	if ch["agent_status"] != "BUSY" || ch["last_agent_status"] != "OFFLINE" {
		t.Fatalf("agent_change %v", ch)
	}
}
