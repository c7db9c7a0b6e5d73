package sim

import "net/http"

// The spec dialect: its state, its endpoints, and what the world asks of
// it (the dialect interface). Its requests are in spec_agent.go,
// spec_calls.go and spec_xfer.go.

// spec is the spec dialect: the toolbar spec's server, quirks included, on
// the shared world. Its state is guarded by world.mu.
type spec struct {
	*world
	tokens map[string]*agent    // an agent's current token
	calls  map[string]*specCall // by uuid
}

func newSpec(w *world) *spec {
	return &spec{world: w, tokens: map[string]*agent{}, calls: map[string]*specCall{}}
}

// mount serves the agent WebSocket at /ws and the SDK HTTP interface.
func (s *spec) mount(mux *http.ServeMux) {
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-token", s.httpGetToken)
	mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-skill-service-list", s.httpSkills)
	mux.HandleFunc("/cloudcc-sdk-interface/openapi/get-ivr-service-list", s.httpIVRs)
}

// agentLink is the agent's bound link.
func (s *spec) agentLink(a *agent) *link { return a.spec.conn }

// snapshot fills in the agent's link, after-call action and call.
func (s *spec) snapshot(a *agent, sn *AgentSnapshot) {
	sn.Connected, sn.AfterCall = a.spec.conn != nil, a.spec.afterCall
	if cl := a.spec.call; cl != nil {
		sn.CallUUID, sn.CallState = cl.uuid, cl.state
		if a.spec.leg != nil {
			sn.CallUUID, sn.CallState = a.spec.leg.uuid, a.spec.leg.state
		}
		sn.Peers = cl.numbersFor(a)
	}
}

// reset forgets the tokens and calls and stops the grace timers.
func (s *spec) reset() {
	for _, a := range s.agents {
		if a.spec.grace != nil {
			a.spec.grace.Stop()
		}
	}
	s.tokens = map[string]*agent{}
	s.calls = map[string]*specCall{}
}
