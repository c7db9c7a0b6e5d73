package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The run mode's command is this test binary again, in the role that
// CCSIM_RUN_HELPER names (TestRunHelper): it reports what it saw as one
// JSON line and exits with the status it is told.

// TestRunHelper is not a test: it is the command of the run-mode tests.
func TestRunHelper(t *testing.T) {
	switch os.Getenv("CCSIM_RUN_HELPER") {
	case "":
		t.Skip("the run-mode tests' command, not a test of its own")
	case "report":
		out := map[string]string{}
		for _, k := range []string{"CCSIM_ADDR", "CCSIM_URL", "CCSIM_WS", "CCSIM_DIALECT", "CCSIM_PUSH_ORDER", "CCSIM_SIMS"} {
			out[k] = os.Getenv(k)
		}
		// The ccsim is up before the command starts.
		if resp, err := http.Get(os.Getenv("CCSIM_URL") + "/admin/agents/090008_6000"); err == nil {
			out["admin_status"] = strconv.Itoa(resp.StatusCode)
			resp.Body.Close()
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
		code, _ := strconv.Atoi(os.Getenv("CCSIM_RUN_EXIT"))
		os.Exit(code)
	case "wait-term":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		fmt.Println("ready")
		<-sig
		os.Exit(7)
	}
}

// runCcsim runs bin with args (the command is this binary as helper role)
// and returns its stdout, its exit status and how long it took.
func runCcsim(t *testing.T, bin, role string, exit int, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--", os.Args[0], "-test.run=^TestRunHelper$")...)
	cmd.Env = append(os.Environ(), "CCSIM_RUN_HELPER="+role, "CCSIM_RUN_EXIT="+strconv.Itoa(exit))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// TestRunModePassesTheStatusAndTheAddress: the command sees the ccsim's
// address, URLs, dialect and push order, ccsim exits with the command's
// status, and the ccsim is gone once it has.
func TestRunModePassesTheStatusAndTheAddress(t *testing.T) {
	bin := buildCcsim(t)
	for _, exit := range []int{0, 3} {
		out, code := runCcsim(t, bin, "report", exit, "-fast", "-dialect", "spec", "-push-order", "push_first")
		if code != exit {
			t.Fatalf("exit status %d, the command's was %d", code, exit)
		}
		var env map[string]string
		if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &env); err != nil {
			t.Fatalf("command output %q: %v", out, err)
		}
		addr := env["CCSIM_ADDR"]
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" {
			t.Fatalf("CCSIM_ADDR %q", addr)
		}
		want := map[string]string{"CCSIM_URL": "http://" + addr, "CCSIM_WS": "ws://" + addr + "/ws", "CCSIM_DIALECT": "spec",
			"CCSIM_PUSH_ORDER": "push_first", "CCSIM_SIMS": "spec/push_first=" + addr, "admin_status": "200"}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %q, want %q", k, env[k], v)
			}
		}
		// Gone: nothing listens at its address any more.
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("ccsim still listens at %s after its command exited", addr)
		}
	}
}

// TestRunModeNests: a ccsim under another adds itself to CCSIM_SIMS; the
// platform dialect's ws_url is /msg/.
func TestRunModeNests(t *testing.T) {
	bin := buildCcsim(t)
	out, code := runCcsim(t, bin, "report", 0, "-fast", "--", bin, "-fast", "-dialect", "spec")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &env); err != nil {
		t.Fatalf("command output %q: %v", out, err)
	}
	sims := strings.Fields(env["CCSIM_SIMS"])
	if len(sims) != 2 || !strings.HasPrefix(sims[0], "platform/reply_first=") || sims[1] != "spec/reply_first="+env["CCSIM_ADDR"] {
		t.Fatalf("CCSIM_SIMS %q (inner at %s)", env["CCSIM_SIMS"], env["CCSIM_ADDR"])
	}
	outer := strings.TrimPrefix(sims[0], "platform/reply_first=")
	resp, err := http.Get("http://" + outer + "/admin/agents")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the outer ccsim at %s still serves", outer)
	}
}

// TestRunModeForwardsSIGTERM: a SIGTERM to ccsim reaches the command,
// whose status ccsim then exits with.
func TestRunModeForwardsSIGTERM(t *testing.T) {
	bin := buildCcsim(t)
	cmd := exec.Command(bin, "-fast", "--", os.Args[0], "-test.run=^TestRunHelper$")
	cmd.Env = append(os.Environ(), "CCSIM_RUN_HELPER=wait-term")
	cmd.Stderr = os.Stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("command: %q %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ccsim did not stop after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("exit status %d, the command's was 7", code)
	}
}

// TestRunModeRefusesAStrayArgument: a command must follow "--".
func TestRunModeRefusesAStrayArgument(t *testing.T) {
	bin := buildCcsim(t)
	out, err := exec.Command(bin, "-fast", "true").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "after --") {
		t.Fatalf("ccsim -fast true: %v %s", err, out)
	}
}
