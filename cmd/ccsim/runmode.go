package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/cloudcc/agent-sdk/internal/sim"
)

// runEnv is the environment of a run-mode command: base with
//
//	CCSIM_ADDR        host:port of this ccsim
//	CCSIM_URL         http://host:port (https with -tls-cert): the SDK HTTP interfaces and /admin/
//	CCSIM_WS          the ws_url agents use: ws://host:port/msg/ (platform) or ws://host:port/ws (spec)
//	CCSIM_DIALECT     platform or spec
//	CCSIM_PUSH_ORDER  reply_first, push_first or random
//	CCSIM_SIMS        every ccsim the command runs under, "DIALECT/ORDER=HOST:PORT" separated by
//	                  spaces: a run-mode ccsim adds itself to the list it inherits, so that
//	                  "ccsim -dialect spec -- ccsim -dialect platform -- CMD" gives CMD both
//
// set (replacing inherited values; CCSIM_SIMS is extended).
func runEnv(base []string, scheme, addr, dialect, pushOrder string) []string {
	if pushOrder == "" {
		pushOrder = sim.PushReplyFirst
	}
	wsScheme := "ws"
	if scheme == "https" {
		wsScheme = "wss"
	}
	sims := dialect + "/" + pushOrder + "=" + addr
	set := map[string]string{
		"CCSIM_ADDR":       addr,
		"CCSIM_URL":        scheme + "://" + addr,
		"CCSIM_WS":         wsScheme + "://" + addr + sim.AgentPath(dialect),
		"CCSIM_DIALECT":    dialect,
		"CCSIM_PUSH_ORDER": pushOrder,
	}
	env := make([]string, 0, len(base)+len(set)+1)
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if k == "CCSIM_SIMS" {
			if v = strings.TrimSpace(v); v != "" {
				sims = v + " " + sims
			}
			continue
		}
		if _, ours := set[k]; !ours {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return append(env, "CCSIM_SIMS="+sims)
}

// runCommand runs command with env until it exits, passing on the signals
// that reach ccsim, and returns its exit status (128+N when signal N ended
// it, as a shell reports it; 127 when it could not start). A server error
// ends the command with SIGTERM.
func runCommand(command, env []string, stdout, stderr io.Writer, sig <-chan os.Signal, serveErr <-chan error) (int, error) {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		return 127, fmt.Errorf("run %s: %w", command[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var failed error
	for {
		select {
		case s := <-sig:
			_ = cmd.Process.Signal(s)
		case err := <-serveErr:
			failed = fmt.Errorf("serve: %w", err)
			_ = cmd.Process.Signal(syscall.SIGTERM)
		case err := <-done:
			code := exitCode(err)
			if failed != nil {
				return max(code, 1), failed
			}
			return code, nil
		}
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}
