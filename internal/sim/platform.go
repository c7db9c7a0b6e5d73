package sim

import (
	"net/http"
	"strings"
)

// The platform dialect: its state, its endpoints, and what the world asks
// of it (the dialect interface). Its requests are in platform_agent.go
// (the SDK-interface module) and platform_calls.go, platform_xfer.go
// (call-control); its links in platform_links.go.

// platform is the platform dialect: the real server's behaviour on the
// shared world. Its state is guarded by world.mu.
type platform struct {
	*world

	// routes is the real server's redis netty:client:{company}_{agent}_{os}:
	// the link pushes for that identity go to. The newest handshake wins.
	routes map[string]*link
	// Tokens: one per company+os+agent (owner key), a later check-in or
	// get_token with the same os replaces it; check-out keeps it.
	tokens  map[string]string       // token → owner
	tokenOf map[string]string       // owner → token
	legs    map[string]*platformLeg // live call legs by uuid
	ended   map[string]bool         // uuids of legs that ended (hangup → "当前通话已挂断!")
	// scope is the frame being handled, if any (handleFrame).
	scope *frameScope
}

func newPlatform(w *world) *platform {
	p := &platform{world: w}
	p.clear()
	return p
}

// clear empties the dialect's state (at start and on reset).
func (s *platform) clear() {
	s.routes, s.tokens, s.tokenOf = map[string]*link{}, map[string]string{}, map[string]string{}
	s.legs, s.ended, s.scope = map[string]*platformLeg{}, map[string]bool{}, nil
}

func (s *platform) mount(mux *http.ServeMux) {
	mux.HandleFunc(pathMsg, s.serveMsg)
	mux.HandleFunc(strings.TrimSuffix(pathMsg, "/"), s.serveMsg) // no segment: refused, not redirected
	for _, base := range []string{"/cloudcc-sdk-interface/openapi/", "/cloudcc-client-server/openapi/"} {
		cs := strings.HasPrefix(base, "/cloudcc-client-server")
		mux.HandleFunc(base+"get-token", func(w http.ResponseWriter, r *http.Request) { s.httpGetToken(w, r, cs) })
		mux.HandleFunc(base+"get-skill-service-list", func(w http.ResponseWriter, r *http.Request) { s.httpList(w, r, cs, true) })
		mux.HandleFunc(base+"get-ivr-service-list", func(w http.ResponseWriter, r *http.Request) { s.httpList(w, r, cs, false) })
	}
}

// agentLink is the link routed for the agent's company_agent_os.
func (s *platform) agentLink(a *agent) *link {
	return s.routes[linkKey(a.company.Code, a.conf.AgentID, a.plat.os)]
}

// reset forgets the routes, tokens and legs; the open links are closed
// without an auto check-out.
func (s *platform) reset() {
	s.clear()
	for c := range s.conns {
		c.closing = true
		delete(s.conns, c)
	}
}
