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
)

// TestListensAndStops builds ccsim, starts it on a free port, reads the line
// tools wait for, calls its HTTP interface, and stops it with SIGTERM.
func TestListensAndStops(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ccsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-fast")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
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
	resp, err := http.Get(addr + "/admin/agents/090008_6000")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"OFFLINE"`) {
		t.Fatalf("admin: %d %s", resp.StatusCode, b)
	}
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
