// Command ccbench measures the Go API's request round trip and
// event-to-handler latency against a running ccsim, the reference for the
// same measurement through C, Python and C# (build.sh bench-abi runs them
// all against one ccsim and prints one table).
//
//	ccbench -addr 127.0.0.1:8090 -n 5000 [-run R]
//
// It prints three JSON lines, {"client":"go-session",...},
// {"client":"go-reader",...} and {"client":"go-bare",...}, each with
// "rtt_p50_us", "rtt_mean_us" and "rtt_p99_us"; go-session also has
// "event_p50_us" (and the older "lang", "rtt_us", "event_us" means).
//
// rtt: a ping and its pong, one at a time, through the agent API
// (go-session), through a gorilla client that reads on a goroutine of its
// own (go-reader, the structure a client receiving pushed events needs) and
// through a bare synchronous gorilla client (go-bare), all sending the same
// frame to the same server, alternated in blocks of 100 so that all see the
// same machine. event: a change_status request until its
// agent_change reaches the event handler (MAKE_BUSY and MAKE_FREE
// alternately), so it holds one round trip plus the event path.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/gorilla/websocket"

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
	flag.IntVar(&runNo, "run", 1, "the run number written into each line")
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
	bare, err := dialBare(addr, company, agentID)
	if err != nil {
		return err
	}
	defer bare.Close()
	reader, err := dialBare(addr, company, agentID)
	if err != nil {
		return err
	}
	defer reader.Close()
	replies := reader.readOn()
	clients := []struct {
		name string
		once func() error
		rtt  []time.Duration
	}{
		{"go-session", func() error { _, err := a.Do(ctx, &protocol.PingRequest{}); return err }, nil},
		{"go-reader", func() error { return reader.pingVia(replies) }, nil},
		{"go-bare", bare.ping, nil},
	}
	for i := 0; i < 500; i++ {
		for _, c := range clients {
			if err := c.once(); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
		}
	}
	for done := 0; done < n; done += block {
		m := min(block, n-done)
		for k := range clients {
			c := &clients[k]
			for i := 0; i < m; i++ {
				t0 := time.Now()
				if err := c.once(); err != nil {
					return fmt.Errorf("%s: %w", c.name, err)
				}
				c.rtt = append(c.rtt, time.Since(t0))
			}
		}
	}
	rtt := clients[0].rtt
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
	out := map[string]any{"client": "go-session", "lang": "go", "run": runNo, "n": n}
	stats(out, "rtt", rtt)
	stats(out, "event", ev)
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return err
	}
	for _, c := range clients[1:] {
		out = map[string]any{"client": c.name, "run": runNo, "n": n}
		stats(out, "rtt", c.rtt)
		if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
			return err
		}
	}
	return nil
}

// block is how many round trips one client makes before the other's turn.
const block = 100

var runNo = 1

// bareClient is what a Go program without the SDK would do: a gorilla
// connection, one ping frame written and its reply read on the same
// goroutine (ccsim answers a ping before check-in).
type bareClient struct {
	*websocket.Conn
	frame []byte
}

func dialBare(addr, company, agentID string) (*bareClient, error) {
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("bare client: %w", err)
	}
	frame, _ := json.Marshal(map[string]string{"req_id": "bench-bare", "msg_type": "ping", "company_code": company,
		"agent_id": agentID, "os": "Linux"})
	return &bareClient{c, frame}, nil
}

// readOn reads the connection on a goroutine of its own, as any client
// that also receives pushed events must ("go-reader"), and hands each frame
// over through the channel it returns.
func (c *bareClient) readOn() <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		defer close(ch)
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			ch <- b
		}
	}()
	return ch
}

func (c *bareClient) pingVia(replies <-chan []byte) error {
	if err := c.WriteMessage(websocket.TextMessage, c.frame); err != nil {
		return err
	}
	for b := range replies {
		if bytes.Contains(b, []byte(`"bench-bare"`)) {
			return nil
		}
	}
	return errors.New("link closed")
}

func (c *bareClient) ping() error {
	if err := c.WriteMessage(websocket.TextMessage, c.frame); err != nil {
		return err
	}
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(`"bench-bare"`)) {
			return nil
		}
	}
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
	us := func(x time.Duration) float64 { return float64(x.Nanoseconds()/10) / 100 }
	out[name+"_us"] = us(sum / time.Duration(len(d)))
	out[name+"_mean_us"] = out[name+"_us"]
	out[name+"_p50_us"] = us(d[len(d)/2])
	out[name+"_p99_us"] = us(d[len(d)*99/100])
}
