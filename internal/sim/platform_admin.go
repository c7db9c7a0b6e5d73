package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// The platform dialect's admin API (docs/ccsim.md): push any frame to an
// agent's link (the real /netty/sendMsgToClient), per-agent configuration,
// the links and their routes.

// ErrNoLink: the agent's company_agent_os has no link to push to.
var ErrNoLink = errors.New("no link routed for the agent")

// snapshot fills in the agent's platform state: the link routed for its
// company_agent_os, its token, extension, legs and configuration.
func (s *platform) snapshot(a *agent, sn *AgentSnapshot) {
	sn.OS = a.plat.os
	sn.Connected = s.routes[linkKey(a.company.Code, a.conf.AgentID, a.plat.os)] != nil
	_, sn.HasToken = s.tokenOf[a.company.Code+":"+a.plat.os+":"+a.conf.AgentID]
	sn.ExtStatus = s.extStatus(a)
	pp := a.plat.postProcess
	sn.PostProcess = &pp
	sn.AfterCall = a.plat.afterAction
	sn.ServiceMode = a.plat.serviceMode
	sn.AutoCheckoutChecks = a.plat.autoChecks
	if l := a.plat.leg; l != nil && l.state != legEnded {
		sn.CallUUID, sn.CallState = l.uuid, l.state
		for _, o := range l.call.legs {
			if o.state != legEnded {
				sn.CallUUIDs = append(sn.CallUUIDs, o.uuid)
			}
		}
		sn.Peers = s.inCallNumbers(a)
	}
}

// PushSpec is a frame to push to an agent's link (POST /admin/push).
type PushSpec struct {
	AgentID string `json:"agent_id"`
	// OS picks the link by company_agent_os; "" means the os of the agent's
	// last check-in.
	OS    string          `json:"os,omitempty"`
	Frame json.RawMessage `json:"frame"`
}

// Push writes the frame, as given, to the link routed for the agent
// (platform dialect): how tests deliver kick_off or anything else.
func (s *Server) Push(p PushSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[p.AgentID]
	if a == nil {
		return fmt.Errorf("no agent %q", p.AgentID)
	}
	plat := s.platform()
	if plat == nil {
		return errors.New("push is a platform-dialect call")
	}
	if !json.Valid(p.Frame) {
		return errors.New("frame is not JSON")
	}
	os := p.OS
	if os == "" {
		os = a.plat.os
	}
	c := plat.routes[linkKey(a.company.Code, a.conf.AgentID, os)]
	if c == nil {
		return ErrNoLink
	}
	s.sendRaw(c, p.Frame)
	return nil
}

// AgentConfigSpec changes an agent's platform configuration at run time
// (POST /admin/agent-config); unset fields stay.
type AgentConfigSpec struct {
	AgentID      string `json:"agent_id"`
	PostProcess  *bool  `json:"post_process,omitempty"`
	AutoShowBusy *bool  `json:"auto_show_busy,omitempty"`
	ExtOffline   *bool  `json:"ext_offline,omitempty"`
	Disabled     *bool  `json:"disabled,omitempty"`
}

// SetAgentConfig applies spec.
func (s *Server) SetAgentConfig(spec AgentConfigSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[spec.AgentID]
	if a == nil {
		return fmt.Errorf("no agent %q", spec.AgentID)
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.plat.postProcess, spec.PostProcess)
	set(&a.plat.autoShowBusy, spec.AutoShowBusy)
	set(&a.plat.extOffline, spec.ExtOffline)
	set(&a.plat.disabled, spec.Disabled)
	s.notifyLocked()
	return nil
}

// LinkInfo is one platform link (GET /admin/links).
type LinkInfo struct {
	Identity string `json:"identity"`         // company_agent_os of its handshake
	Bound    string `json:"bound,omitempty"`  // company_agent_os of its last successful check-in
	Routed   bool   `json:"routed"`           // pushes for its identity go to it
	Remote   string `json:"remote,omitempty"` // the client's IP
}

// Links lists the open platform links, sorted by identity.
func (s *Server) Links() []LinkInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []LinkInfo{}
	plat := s.platform()
	if plat == nil {
		return out
	}
	for c := range s.conns {
		out = append(out, LinkInfo{Identity: c.ident, Bound: c.bound, Routed: plat.routes[c.ident] == c, Remote: c.remote})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Identity != out[j].Identity {
			return out[i].Identity < out[j].Identity
		}
		return out[i].Routed && !out[j].Routed
	})
	return out
}

func (s *Server) servePlatformAdmin(w http.ResponseWriter, r *http.Request, path string, body func(any) bool, fail func(error)) bool {
	switch {
	case path == "push" && r.Method == http.MethodPost:
		var p PushSpec
		if !body(&p) {
			return true
		}
		if err := s.Push(p); err != nil {
			fail(err)
			return true
		}
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "agent-config" && r.Method == http.MethodPost:
		var sp AgentConfigSpec
		if !body(&sp) {
			return true
		}
		if err := s.SetAgentConfig(sp); err != nil {
			fail(err)
			return true
		}
		writeJSON(w, http.StatusOK, obj{"ok": true})
	case path == "links" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Links())
	default:
		return false
	}
	return true
}
