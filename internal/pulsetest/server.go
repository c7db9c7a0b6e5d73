package pulsetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StartServer starts a PulseAudio of the test's own on the unix socket
// sock, as tests/audio/pulse.sh does (no hardware, no D-Bus, anonymous
// clients; its home, runtime folder and log in dir), with modules loaded
// at start ("module-null-sink sink_name=x": the devices are there the
// moment it answers, as a desktop session's are), and waits until it
// answers. It returns a function that stops it, also called when the
// test ends. The test points PULSE_SERVER at sock itself.
func StartServer(t testing.TB, dir, sock string, modules ...string) (kill func()) {
	t.Helper()
	for _, d := range []string{"run", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--daemonize=no", "--system=false", "--exit-idle-time=-1", "-n", "--disallow-exit",
		"--realtime=no", "--high-priority=no", "--use-pid-file=no", "--disable-shm=yes",
		"--load=module-native-protocol-unix socket=" + sock + " auth-anonymous=1", "--log-target=file:" + filepath.Join(dir, "pulse.log")}
	for _, m := range modules {
		args = append(args, "--load="+m)
	}
	cmd := exec.Command("pulseaudio", args...)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"), "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	kill = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(kill)
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("pactl", "--server=unix:"+sock, "info").Run() != nil {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "pulse.log"))
			t.Fatalf("the test's pulseaudio exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the test's pulseaudio did not start")
		}
		time.Sleep(50 * time.Millisecond) // poll interval: no event says it listens
	}
	return kill
}
