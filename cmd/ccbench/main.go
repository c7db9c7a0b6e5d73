// Command ccbench measures the Go API's request round trip and
// event-to-handler latency against a running ccsim, the reference for the
// same measurement through C, Python and C# (build.sh bench runs them all
// against one ccsim and prints ratios).
//
//	ccbench -addr 127.0.0.1:8090 -n 5000
//
// It prints one JSON line: {"lang":"go","rtt_us":..,"rtt_p50_us":..,
// "rtt_p99_us":..,"event_us":..,"event_p50_us":..,"event_p99_us":..}.
//
// rtt: a ping and its pong, one at a time. event: a change_status request
// until its agent_change reaches the event handler (MAKE_BUSY and MAKE_FREE
// alternately), so it holds one round trip plus the event path.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "ccsim host:port")
	n := flag.Int("n", 5000, "iterations per measurement")
	company := flag.String("company", "090008", "company_code")
	agentID := flag.String("agent", "090008_6000", "agent_id")
	extID := flag.String("ext", "090008_5000", "ext_id: the extension bound to the agent")
	pwd := flag.String("pwd", "919191Aa.", "agent password")
	locked := flag.Bool("locked", false, "wait on an OS-thread-locked goroutine, as a C caller's thread does")
	flag.Parse()
	if *locked {
		runtime.LockOSThread()
	}
	if err := run(*addr, *company, *agentID, *extID, *pwd, *n); err != nil {
		fmt.Fprintln(os.Stderr, "ccbench:", err)
		os.Exit(1)
	}
}

func run(addr, company, agentID, extID, pwd string, n int) error {
	changes := make(chan protocol.AgentStatus, 16)
	a, err := agent.New(agent.Config{
		WSURL: "ws://" + addr + "/ws", CompanyCode: company, AgentID: agentID, ExtID: extID,
		HeartbeatInterval: -1,
	}, func(ev session.Event) {
		if e, ok := ev.(*protocol.AgentChangeEvent); ok {
			changes <- e.AgentStatus
		}
	})
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	reset := true
	if _, err := a.Do(ctx, &protocol.CheckinRequest{AgentPwd: protocol.Secret(pwd), StartStatus: protocol.StatusFree, Reset: &reset}); err != nil {
		return fmt.Errorf("checkin: %w", err)
	}
	drain(changes)
	for i := 0; i < 500; i++ { // warm up
		if _, err := a.Do(ctx, &protocol.PingRequest{}); err != nil {
			return err
		}
	}
	rtt := make([]time.Duration, n)
	for i := range rtt {
		t0 := time.Now()
		if _, err := a.Do(ctx, &protocol.PingRequest{}); err != nil {
			return err
		}
		rtt[i] = time.Since(t0)
	}
	ev := make([]time.Duration, n/2)
	for i := range ev {
		action, want := protocol.ActionMakeBusy, protocol.StatusBusy
		if i%2 == 1 {
			action, want = protocol.ActionMakeFree, protocol.StatusFree
		}
		t0 := time.Now()
		if _, err := a.Do(ctx, &protocol.ChangeStatusRequest{Action: action}); err != nil {
			return err
		}
		for got := <-changes; got != want; got = <-changes {
		}
		ev[i] = time.Since(t0)
	}
	out := map[string]any{"lang": "go", "n": n}
	stats(out, "rtt", rtt)
	stats(out, "event", ev)
	return json.NewEncoder(os.Stdout).Encode(out)
}

func drain(ch chan protocol.AgentStatus) {
	for {
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func stats(out map[string]any, name string, d []time.Duration) {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	us := func(x time.Duration) float64 { return float64(x.Nanoseconds()) / 1e3 }
	out[name+"_us"] = us(sum / time.Duration(len(d)))
	out[name+"_p50_us"] = us(d[len(d)/2])
	out[name+"_p99_us"] = us(d[len(d)*99/100])
}
