// Command agent is the SDK's agent flow in Go: check in, take an inbound
// call, hold and resume it, hang up, check out. Against ccsim it asks the
// simulator's admin API to place the customer's call; against a real
// platform, run it with -no-admin and call the agent's number.
//
//	go run ./examples/go/agent -addr 127.0.0.1:8090
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "ccsim (or platform) host:port")
	company := flag.String("company", "090008", "company_code")
	agentID := flag.String("agent", "090008_6000", "agent_id")
	ext := flag.String("ext", "090008_5000", "ext_id")
	noAdmin := flag.Bool("no-admin", false, "do not ask ccsim to place the inbound call")
	flag.Parse()
	pwd := os.Getenv("CLOUDCC_AGENT_PWD")
	if pwd == "" {
		pwd = "919191Aa." // the demo agent's password in ccsim
	}

	callin := make(chan *protocol.CallinEvent, 1)
	a, err := agent.New(agent.Config{
		WSURL: "ws://" + *addr + "/ws", HTTPURL: "http://" + *addr,
		CompanyCode: *company, AgentID: *agentID, ExtID: *ext, Language: "en-US",
	}, func(ev session.Event) {
		// Events arrive in order on an SDK goroutine.
		switch e := ev.(type) {
		case *protocol.CallinEvent:
			fmt.Printf("event  callin      uuid=%s caller=%s\n", e.UUID, e.CallerNumber)
			callin <- e
		case *protocol.AgentChangeEvent:
			fmt.Printf("event  agent_change %s -> %s %s\n", e.LastAgentStatus, e.AgentStatus, e.SubAgentStatus)
		case *protocol.CallbackEvent:
			fmt.Printf("event  callback    %s %s success=%v\n", e.Action, e.Phase, e.Success)
		case *session.StateEvent:
			fmt.Printf("event  connection  %s %s\n", e.State, e.Reason)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	s := a.Session()

	step := func(what string, err error) {
		if err != nil {
			log.Fatalf("%s: %v", what, err)
		}
		fmt.Printf("reply  %s ok\n", what)
	}
	_, err = s.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: protocol.Secret(pwd), StartStatus: protocol.StatusFree})
	step("checkin", err)

	if !*noAdmin {
		body, _ := json.Marshal(map[string]string{"company_code": *company, "caller_number": "18888888888",
			"callee_number": "4008001000", "agent_id": *agentID})
		resp, err := http.Post("http://"+*addr+"/admin/inbound", "application/json", bytes.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	var call *protocol.CallinEvent
	select {
	case call = <-callin:
	case <-time.After(60 * time.Second):
		log.Fatal("no inbound call within 60s")
	}
	_, err = s.Answer(ctx, &protocol.AnswerRequest{UUID: call.UUID})
	step("answer", err)
	_, err = s.Hold(ctx, &protocol.HoldRequest{UUID: call.UUID, Hold: true})
	step("hold", err)
	_, err = s.Hold(ctx, &protocol.HoldRequest{UUID: call.UUID, Hold: false})
	step("unhold", err)
	_, err = s.Hangup(ctx, &protocol.HangupRequest{UUID: call.UUID})
	step("hangup", err)
	_, err = s.Checkout(ctx, &protocol.CheckoutRequest{})
	step("checkout", err)
}
