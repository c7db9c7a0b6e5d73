//go:build linux

// Command ccload checks in many agents from one process and reports what
// they cost: memory per session and the CPU the heartbeats take. It is the
// SDK's scale benchmark, and a load-test tool against a CTI server.
//
//	ccload -ws ws://127.0.0.1:8090/ws -company load -prefix load_ -n 10000 -password pw
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

func main() {
	ws := flag.String("ws", "ws://127.0.0.1:8090/ws", "CTI WebSocket URL")
	company := flag.String("company", "load", "company_code")
	prefix := flag.String("prefix", "load_", "agent ids are prefix + zero-padded index from 1")
	width := flag.Int("width", 5, "digits of the agent index")
	n := flag.Int("n", 1000, "agents to check in")
	password := flag.String("password", "", "agents' password (or CCLOAD_PASSWORD)")
	parallel := flag.Int("parallel", 200, "check-ins in flight at once")
	hb := flag.Duration("heartbeat", 20*time.Second, "heartbeat interval")
	measure := flag.Duration("measure", 30*time.Second, "how long to measure heartbeat CPU")
	jsonOut := flag.Bool("json", false, "print the result as JSON")
	flag.Parse()
	if *password == "" {
		*password = os.Getenv("CCLOAD_PASSWORD")
	}
	res, err := run(*ws, *company, *prefix, *width, *n, *password, *parallel, *hb, *measure)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccload:", err)
		os.Exit(1)
	}
	if *jsonOut {
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("sessions checked in:   %d (in %.1fs)\n", res.Sessions, res.CheckinSeconds)
	fmt.Printf("RSS:                   %.1f MiB before, %.1f MiB after\n", res.RSSBeforeMiB, res.RSSAfterMiB)
	fmt.Printf("RSS per session:       %.1f KiB (target <= 30)\n", res.RSSPerSessionKiB)
	fmt.Printf("goroutines:            %d\n", res.Goroutines)
	fmt.Printf("heartbeat CPU:         %.2f%% of one core over %.0fs, %d pings/s (target <= 5%%)\n",
		res.HeartbeatCPUPercent, res.MeasureSeconds, res.PingsPerSecond)
}

// Result is what one run measured.
type Result struct {
	Sessions            int     `json:"sessions"`
	CheckinSeconds      float64 `json:"checkin_seconds"`
	RSSBeforeMiB        float64 `json:"rss_before_mib"`
	RSSAfterMiB         float64 `json:"rss_after_mib"`
	RSSPerSessionKiB    float64 `json:"rss_per_session_kib"`
	Goroutines          int     `json:"goroutines"`
	HeartbeatCPUPercent float64 `json:"heartbeat_cpu_percent"`
	MeasureSeconds      float64 `json:"measure_seconds"`
	PingsPerSecond      int     `json:"pings_per_second"`
}

func run(ws, company, prefix string, width, n int, password string, parallel int, hb, measure time.Duration) (Result, error) {
	var res Result
	runtime.GC()
	debug.FreeOSMemory()
	before := rssKiB()
	sessions := make([]*session.Session, n)
	var failed atomic.Int32
	var firstErr atomic.Value
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		id := prefix + fmt.Sprintf("%0*d", width, i+1)
		s, err := session.New(session.Config{
			URL: ws, CompanyCode: company, AgentID: id, ExtID: id, OS: "Linux", // ccsim binds a load agent to an extension of its id
			HeartbeatInterval: hb, RequestTimeout: 30 * time.Second,
		})
		if err != nil {
			return res, err
		}
		sessions[i] = s
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := s.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: protocol.Secret(password)}); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	res.CheckinSeconds = time.Since(start).Seconds()
	defer func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}()
	if f := failed.Load(); f > 0 {
		return res, fmt.Errorf("%d of %d check-ins failed, first: %v", f, n, firstErr.Load())
	}
	res.Sessions = n
	runtime.GC()
	debug.FreeOSMemory()
	after := rssKiB()
	res.RSSBeforeMiB = float64(before) / 1024
	res.RSSAfterMiB = float64(after) / 1024
	res.RSSPerSessionKiB = float64(after-before) / float64(n)
	res.Goroutines = runtime.NumGoroutine()

	// Heartbeat cost: CPU time of this process while the sessions only ping.
	u0 := cpuTime()
	t0 := time.Now()
	time.Sleep(measure) // the measurement window itself, not a wait for a condition
	wall := time.Since(t0)
	res.HeartbeatCPUPercent = 100 * float64(cpuTime()-u0) / float64(wall)
	res.MeasureSeconds = wall.Seconds()
	res.PingsPerSecond = int(float64(n) / hb.Seconds())
	return res, nil
}

func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
