package session

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// BenchmarkReconnectStormThreads runs a checked-in session against a
// server that accepts and drops every link, reconnecting as fast as the
// backoff allows (1-3 ms), for 3 s a round, and reports the OS threads
// (/proc/self/status), the threads the runtime created (the threadcreate
// profile) and the goroutines at the middle and at the end of the storm:
// they must stay flat (go test -run '^$' -bench ReconnectStormThreads
// ./core/session). The session itself holds no thread: dialling an IP
// address blocks in no syscall, and its timers run on the runtime's own.
func BenchmarkReconnectStormThreads(b *testing.B) {
	url, dropFirst := droppingServer(b, func(int) time.Duration { return 0 })
	cfg := testConfig(url)
	cfg.Reconnect = Backoff{Min: time.Millisecond, Max: 3 * time.Millisecond, Stable: time.Hour}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Do(context.Background(), &protocol.CheckinRequest{AgentPwd: "pw-storm"}); err != nil {
		b.Fatal(err)
	}
	dropFirst()
	sample := func() (threads, created, goroutines int) {
		return procThreads(), pprof.Lookup("threadcreate").Count(), runtime.NumGoroutine()
	}
	for range b.N {
		time.Sleep(1500 * time.Millisecond) // the storm runs: figures sampled at fixed times
		t1, c1, g1 := sample()
		time.Sleep(1500 * time.Millisecond)
		t2, c2, g2 := sample()
		b.ReportMetric(float64(t1), "threads_mid")
		b.ReportMetric(float64(t2), "threads_end")
		b.ReportMetric(float64(c2-c1), "threads_created_2nd_half")
		b.ReportMetric(float64(g2-g1), "goroutines_growth")
	}
}

// procThreads reads the process's thread count (Linux; -1 elsewhere).
func procThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}
