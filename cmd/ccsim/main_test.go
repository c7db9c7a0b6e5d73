package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/internal/sim"
	"github.com/gorilla/websocket"
)

// TestListensAndStops builds ccsim, starts it on a free port, reads the line
// tools wait for, calls its HTTP interface, and stops it with SIGTERM.
func TestListensAndStops(t *testing.T) {
	bin := buildCcsim(t)
	cmd, addr := startCcsim(t, bin, "-fast", "-dialect", "spec")
	resp, err := http.Get(addr + "/admin/agents/090008_6000")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"OFFLINE"`) {
		t.Fatalf("admin: %d %s", resp.StatusCode, b)
	}
	// RTC: the PBX answers at /sip, and check-in of a login_type 1 agent
	// points there.
	resp, err = http.Get(addr + "/sip")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("GET /sip: %d", resp.StatusCode)
	}
	host := strings.TrimPrefix(addr, "http://")
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"req_id":"1","msg_type":"checkin","company_code":"090008","agent_id":"090008_6010","agent_pwd":"919191Aa.","os":"Linux"}`))
	var rep map[string]any
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&rep); err != nil || rep["rtc_address"] != "ws://"+host+"/sip" || rep["login_type"] != "1" {
		t.Fatalf("checkin: %v %v", rep, err)
	}
	ws.Close()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ccsim did not stop on SIGTERM")
	}
}

// TestPlatformDialectFlag starts ccsim -dialect platform: the WebSocket is
// at /msg/<identity>, /ws is gone, and the connect frame comes first.
func TestPlatformDialectFlag(t *testing.T) {
	bin := buildCcsim(t)
	if err := exec.Command(bin, "-dialect", "nope").Run(); err == nil {
		t.Fatal("an unknown dialect was accepted")
	}
	_, addr := startCcsim(t, bin, "-fast", "-dialect", "platform", "-read-idle-ms", "60000")
	host := strings.TrimPrefix(addr, "http://")
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+host+"/ws", nil); err == nil || (resp != nil && resp.StatusCode != http.StatusNotFound) {
		t.Fatalf("/ws in the platform dialect: %v %v", resp, err)
	}
	ws := dialAgent(t, host, "090008_6000")
	var m map[string]any
	// The reply comes before its push by default, as the real server was seen.
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"req_id":"1","msg_type":"checkin","company_code":"090008","agent_id":"090008_6000","ext_id":"090008_5000","agent_pwd":"919191Aa.","os":"Windows"}`))
	if err := ws.ReadJSON(&m); err != nil || m["req_id"] != "1" || m["code"] != "0" {
		t.Fatalf("check-in reply: %v %v", m, err)
	}
	if err := ws.ReadJSON(&m); err != nil || m["msg_type"] != "change_status" || m["agent_status"] != "FREE" {
		t.Fatalf("check-in push: %v %v", m, err)
	}
}

// TestPushOrderAndRTCAddressFlags: -push-order puts the push first, and
// -rtc-address makes the check-in's rtc_address of a template.
func TestPushOrderAndRTCAddressFlags(t *testing.T) {
	bin := buildCcsim(t)
	if err := exec.Command(bin, "-push-order", "sideways").Run(); err == nil {
		t.Fatal("an unknown push order was accepted")
	}
	_, addr := startCcsim(t, bin, "-fast", "-push-order", "push_first", "-rtc-address", "wss://{hostname}:7443/x")
	host := strings.TrimPrefix(addr, "http://")
	ws := dialAgent(t, host, "090008_6010")
	var m map[string]any
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"req_id":"1","msg_type":"checkin","company_code":"090008","agent_id":"090008_6010","ext_id":"090008_6010","agent_pwd":"919191Aa.","os":"Windows"}`))
	if err := ws.ReadJSON(&m); err != nil || m["msg_type"] != "change_status" || m["agent_status"] != "FREE" {
		t.Fatalf("check-in push first: %v %v", m, err)
	}
	m = nil
	if err := ws.ReadJSON(&m); err != nil || m["req_id"] != "1" || m["rtc_address"] != "wss://127.0.0.1:7443/x" {
		t.Fatalf("check-in reply: %v %v", m, err)
	}
}

// dialAgent opens agentID's platform link (os Windows) and reads the connect
// frame; the link closes with the test.
func dialAgent(t *testing.T, host, agentID string) *websocket.Conn {
	t.Helper()
	seg := sim.IdentitySegment(sim.Identity{AgentID: agentID, CompanyCode: "090008", OS: "Windows"})
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+host+"/msg/"+seg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	var m map[string]any
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&m); err != nil || m["msg_type"] != "connect" {
		t.Fatalf("connect frame: %v %v", m, err)
	}
	return ws
}

func buildCcsim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ccsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startCcsim runs bin on a free port and reads the line tools wait for; the
// process is killed at the end of the test.
func startCcsim(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line")
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ccsim listening on ")
	if !ok || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening line %q", line)
	}
	return cmd, addr
}
