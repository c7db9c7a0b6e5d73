package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The world both dialects share: agents, their links, timers and the
// wait for a change (see docs/ccsim.md, "Code map").

// link is one agent WebSocket.
type link struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	dialled dialled                // how the agent reached us: its rtc_address is made of it
	who     atomic.Pointer[string] // whose link it is, for the frame log

	// Spec dialect, guarded by world.mu: the LANGUAGE header, and the agent
	// bound at check-in or by a valid SDK-TOKEN.
	lang  string
	agent *agent

	// Platform dialect, guarded by world.mu: the handshake's identity
	// (company_agent_os, the real server's loginMap), the identity of the
	// link's last successful check-in (clientMap) and the bound ext.
	ident, bound, boundExt string
	closing                bool // the server closes it (no auto check-out twice)
	remote                 string
}

// dialled is how an agent reached the simulator: the scheme of the SIP
// WebSocket it would use (ws, or wss over TLS) and the host:port it dialled.
type dialled struct{ scheme, host string }

func dialledBy(r *http.Request) dialled {
	d := dialled{scheme: "ws", host: r.Host}
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		d.scheme = "wss"
	}
	return d
}

// rtcAddress is the rtc_address check-in gives an RTC agent on link c
// (Config.RTCAddress filled in).
func (s *world) rtcAddress(c *link) string {
	var d dialled
	if c != nil {
		d = c.dialled
	}
	hostname := d.host
	if h, _, err := net.SplitHostPort(d.host); err == nil {
		hostname = h
		if strings.Contains(h, ":") {
			hostname = "[" + h + "]"
		}
	}
	return strings.NewReplacer("{scheme}", d.scheme, "{host}", d.host, "{hostname}", hostname).Replace(s.cfg.rtcAddressTemplate())
}

// send writes one frame to c (nil c: the agent is not connected; dropped).
func (s *world) send(c *link, o obj) {
	if c == nil {
		return
	}
	b, _ := json.Marshal(o)
	s.sendRaw(c, b)
}

func (s *world) sendRaw(c *link, b []byte) {
	if c == nil {
		return
	}
	s.logFrame("out", c, b)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

// afterLocked runs fn under the lock after d; zero runs it now (the caller holds
// the lock), keeping event order deterministic in tests.
func (s *world) afterLocked(d time.Duration, fn func()) {
	if d <= 0 {
		fn()
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.timers[t]; !ok || s.closed {
			return
		}
		delete(s.timers, t)
		fn()
	})
	s.timers[t] = struct{}{}
}

// notifyLocked wakes whoever waits for a change (WaitAgent). s.mu held.
func (s *world) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// agent is one agent as the simulated server sees it: its configuration
// and the state both dialects keep, with each dialect's own part.
type agent struct {
	conf      AgentConfig
	company   *Company
	status    string
	sub       string
	ext       string // the extension the agent checked in at
	checkedIn bool
	dtmf      string // digits received from this agent
	lastReq   string
	mode      int
	playing   string // play_record uuid
	fault     fault
	rtc       *mediaLeg // RTC agents: the media leg of the call it is in

	spec specAgent     // the spec dialect's state
	plat platformAgent // the platform dialect's state
}

func (a *agent) isRTC() bool { return a.conf.LoginType == "1" }

// obj is an outgoing frame; key order does not matter to JSON readers.
type obj map[string]any

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// company is the configured company with that code, or nil.
func (s *world) company(code string) *Company {
	for i := range s.cfg.Companies {
		if s.cfg.Companies[i].Code == code {
			return &s.cfg.Companies[i]
		}
	}
	return nil
}

// numberIn reports whether n is one of the configured numbers in list.
func (s *world) numberIn(list []string, n string) bool { return slices.Contains(list, n) }
