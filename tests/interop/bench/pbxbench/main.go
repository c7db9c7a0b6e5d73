// Command pbxbench runs the simulated PBX (internal/pbx) and measures an
// agent implementation against it, the same way for every implementation:
//
//   - call setup time: the PBX sends an auto-answer INVITE; the time until
//     the first RTP audio packet from the agent arrives (Snapshot.SetupTime),
//     over sequential calls;
//   - CPU per concurrent G.711 call: C calls at once, each both ways at
//     50 packets/s; the agent process's CPU (utime+stime from /proc) over a
//     window, and the loss of the agent→PBX stream measured at the PBX.
//
// The agent is a separate process that pbxbench starts itself (-agent, a
// command line with {ws}, {domain}, {users}, {first}, {password_prefix}
// filled in), so that its CPU is its own. It must register extensions
// first..first+users-1 (password = prefix+ext), answer INVITEs carrying
// answer-after=0 at once, and send a G.711 tone.
//
// Prints a human summary and, last, one JSON line with the figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

type result struct {
	Label          string    `json:"label"`
	SetupCalls     int       `json:"setup_calls"`
	SetupOK        int       `json:"setup_ok"`
	SetupMedianMs  float64   `json:"setup_median_ms"`
	SetupP90Ms     float64   `json:"setup_p90_ms"`
	SetupMeanMs    float64   `json:"setup_mean_ms"`
	SetupAllMs     []float64 `json:"setup_all_ms"`
	Concurrent     int       `json:"concurrent"`
	ConcurrentOK   int       `json:"concurrent_ok"`
	RampSeconds    float64   `json:"ramp_s"`
	WindowSeconds  float64   `json:"window_s"`
	AgentCPUPct    float64   `json:"agent_cpu_pct"`      // of one core
	AgentCPUPerCal float64   `json:"agent_cpu_pct_call"` // per concurrent call, of one core
	PBXCPUPct      float64   `json:"pbx_cpu_pct"`
	LossMeanPct    float64   `json:"loss_mean_pct"` // agent→PBX, measured at the PBX
	LossMaxPct     float64   `json:"loss_max_pct"`
	ToneOK         int       `json:"tone_ok"` // calls whose received audio is the agent's tone
	Error          string    `json:"error,omitempty"`
}

func main() {
	label := flag.String("label", "agent", "name of the implementation measured")
	agentCmd := flag.String("agent", "", "agent command line ({ws} {domain} {users} {first} {password_prefix})")
	users := flag.Int("users", 60, "extensions the agent registers")
	first := flag.Int("first", 3000, "first extension")
	setupCalls := flag.Int("setup-calls", 20, "sequential calls for the setup time")
	concurrent := flag.Int("concurrent", 50, "concurrent calls for the CPU / loss figure")
	window := flag.Duration("window", 10*time.Second, "measurement window with all calls up")
	toneHz := flag.Float64("agent-tone", 0, "tone the agent plays (0: don't check)")
	flag.Parse()
	if *agentCmd == "" {
		fmt.Fprintln(os.Stderr, "pbxbench: -agent is required")
		os.Exit(2)
	}
	if *concurrent > *users {
		*users = *concurrent
	}
	res := result{Label: *label, SetupCalls: *setupCalls, Concurrent: *concurrent}
	err := run(&res, *agentCmd, *users, *first, *setupCalls, *concurrent, *window, *toneHz)
	if err != nil {
		res.Error = err.Error()
		fmt.Fprintf(os.Stderr, "pbxbench %s: %v\n", *label, err)
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	if err != nil {
		os.Exit(1)
	}
}

const domain = "bench.test"
const pwdPrefix = "pw"

func run(res *result, agentCmd string, users, first, setupCalls, concurrent int, window time.Duration, toneHz float64) error {
	p, err := pbx.New(pbx.Config{
		Domain: domain,
		Password: func(ext string) (string, bool) {
			n, err := strconv.Atoi(ext)
			if err != nil || n < first || n >= first+users {
				return "", false
			}
			return pwdPrefix + ext, true
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/sip", p)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ws := "ws://" + ln.Addr().String() + "/sip"

	line := strings.NewReplacer("{ws}", ws, "{domain}", domain, "{users}", strconv.Itoa(users),
		"{first}", strconv.Itoa(first), "{password_prefix}", pwdPrefix).Replace(agentCmd)
	cmd := exec.Command("/bin/sh", "-c", "exec "+line)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	pid := cmd.Process.Pid

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range users {
		if err := p.WaitRegistered(ctx, strconv.Itoa(first+i)); err != nil {
			return fmt.Errorf("agent did not register %d: %w", first+i, err)
		}
	}
	fmt.Fprintf(os.Stderr, "[%s] %d extensions registered\n", res.Label, users)

	ev, stop := p.Subscribe()
	defer stop()
	started := map[string]time.Duration{}
	var evMu sync.Mutex
	evCond := make(chan struct{}, 1)
	go func() {
		for e := range ev {
			if e.Type == pbx.EvMediaStarted {
				evMu.Lock()
				started[e.UUID] = e.SetupTime
				evMu.Unlock()
				select {
				case evCond <- struct{}{}:
				default:
				}
			}
		}
	}()
	waitStarted := func(ctx context.Context, uuids []string) (int, error) {
		for {
			evMu.Lock()
			n := 0
			for _, u := range uuids {
				if _, ok := started[u]; ok {
					n++
				}
			}
			evMu.Unlock()
			if n == len(uuids) {
				return n, nil
			}
			select {
			case <-evCond:
			case <-ctx.Done():
				return n, ctx.Err()
			}
		}
	}

	// 1. Setup time, one call at a time.
	for i := range setupCalls {
		uuid := fmt.Sprintf("setup-%d", i)
		ext := strconv.Itoa(first + i%users)
		cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := p.Invite(cctx, ext, uuid, pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio})
		if err == nil {
			_, err = waitStarted(cctx, []string{uuid})
		}
		if err == nil {
			evMu.Lock()
			res.SetupAllMs = append(res.SetupAllMs, float64(started[uuid].Microseconds())/1000)
			evMu.Unlock()
			res.SetupOK++
		} else {
			fmt.Fprintf(os.Stderr, "[%s] setup call %d: %v\n", res.Label, i, err)
		}
		_ = p.Hangup(cctx, uuid)
		ccancel()
	}
	if len(res.SetupAllMs) > 0 {
		s := append([]float64(nil), res.SetupAllMs...)
		sort.Float64s(s)
		res.SetupMedianMs = s[len(s)/2]
		res.SetupP90Ms = s[min(len(s)-1, len(s)*9/10)]
		var sum float64
		for _, v := range s {
			sum += v
		}
		res.SetupMeanMs = sum / float64(len(s))
	}
	fmt.Fprintf(os.Stderr, "[%s] setup: %d/%d ok, median %.1f ms, p90 %.1f ms\n", res.Label, res.SetupOK, setupCalls, res.SetupMedianMs, res.SetupP90Ms)

	// 2. Concurrent calls.
	rampStart := time.Now()
	uuids := make([]string, concurrent)
	for i := range concurrent {
		uuids[i] = fmt.Sprintf("conc-%d", i)
		if err := p.Invite(ctx, strconv.Itoa(first+i), uuids[i], pbx.InviteOptions{AutoAnswer: true, Audio: pbx.DefaultAudio}); err != nil {
			return fmt.Errorf("invite %d: %w", i, err)
		}
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 90*time.Second)
	n, err := waitStarted(rctx, uuids)
	rcancel()
	res.RampSeconds = time.Since(rampStart).Seconds()
	if err != nil {
		return fmt.Errorf("only %d of %d calls got media: %w", n, concurrent, err)
	}
	fmt.Fprintf(os.Stderr, "[%s] %d calls up in %.1f s; settling 2 s, measuring %v\n", res.Label, concurrent, res.RampSeconds, window)
	settle := time.NewTimer(2 * time.Second)
	<-settle.C

	before := make([]uint64, concurrent)
	for i, u := range uuids {
		s, _ := p.Snapshot(u)
		before[i] = s.AudioRx.Packets
	}
	cpu0, err := procCPU(pid)
	if err != nil {
		return err
	}
	self0, _ := procCPU(os.Getpid())
	t0 := time.Now()
	w := time.NewTimer(window)
	<-w.C
	cpu1, _ := procCPU(pid)
	self1, _ := procCPU(os.Getpid())
	elapsed := time.Since(t0)
	expected := elapsed.Seconds() * 50
	var lossSum, lossMax float64
	for i, u := range uuids {
		s, err := p.Snapshot(u)
		if err != nil || s.State != "answered" {
			continue
		}
		res.ConcurrentOK++
		got := float64(s.AudioRx.Packets - before[i])
		loss := max(0, 1-got/expected) * 100
		lossSum += loss
		lossMax = max(lossMax, loss)
		if toneHz > 0 && s.Tone.PeakRatio > 0.5 && s.Tone.PeakHz > toneHz-5 && s.Tone.PeakHz < toneHz+5 {
			res.ToneOK++
		}
	}
	res.WindowSeconds = elapsed.Seconds()
	res.AgentCPUPct = (cpu1 - cpu0).Seconds() / elapsed.Seconds() * 100
	res.AgentCPUPerCal = res.AgentCPUPct / float64(concurrent)
	res.PBXCPUPct = (self1 - self0).Seconds() / elapsed.Seconds() * 100
	if res.ConcurrentOK > 0 {
		res.LossMeanPct = lossSum / float64(res.ConcurrentOK)
	}
	res.LossMaxPct = lossMax
	fmt.Fprintf(os.Stderr, "[%s] %d/%d calls: agent CPU %.1f%% of a core (%.2f%%/call), loss mean %.2f%% max %.2f%%, pbx CPU %.1f%%\n",
		res.Label, res.ConcurrentOK, concurrent, res.AgentCPUPct, res.AgentCPUPerCal, res.LossMeanPct, res.LossMaxPct, res.PBXCPUPct)
	hctx, hcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer hcancel()
	var wg sync.WaitGroup
	for _, u := range uuids {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Hangup(hctx, u) }()
	}
	wg.Wait()
	if res.ConcurrentOK < concurrent {
		return errors.New("some calls dropped during the window")
	}
	return nil
}

var clkTck = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
}()

// procCPU is a process's user+system CPU time, with its waited-for children.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	s = s[strings.LastIndexByte(s, ')')+2:]
	f := strings.Fields(s)
	// fields after ")": state(0) ... utime(11) stime(12) cutime(13) cstime(14)
	var ticks float64
	for _, i := range []int{11, 12, 13, 14} {
		v, _ := strconv.ParseFloat(f[i], 64)
		ticks += v
	}
	return time.Duration(ticks / clkTck * float64(time.Second)), nil
}
