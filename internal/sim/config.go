// Package sim is ccsim: a simulator of the CloudCC platform's CTI server. It
// speaks two dialects: "platform" behaves like the platform's real server
// (docs/ccsim.md, docs/platform.md), "spec" follows the
// agent-toolbar spec (7.0.0) and its examples. It is the other end of every
// SDK test and of the demo. It shares no code with the SDK's client side (it
// parses requests with its own readers), so a test catches a bug in either
// end.
package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// The dialects ccsim speaks.
const (
	// DialectPlatform behaves like the platform's real server: identity in
	// the handshake path, the token in every frame, change_status pushes,
	// refusals without req_id, the real codes and timings.
	DialectPlatform = "platform"
	// DialectSpec follows the toolbar spec and its examples (quirks
	// included): the simulator as it was before the platform dialect.
	DialectSpec = "spec"
)

// DefaultDialect is the dialect of a Config that names none, and of ccsim
// without -dialect. The one place it is set.
const DefaultDialect = DialectPlatform

// Config is the simulator's world: companies, agents, services, timings.
type Config struct {
	// Dialect is DialectPlatform or DialectSpec; "" means DefaultDialect.
	Dialect   string    `json:"dialect,omitempty"`
	Companies []Company `json:"companies"`
	// Quirks makes replies and events look like the spec's own examples
	// (padded msg_types, "transfer", string is_video, caller_channel, padded
	// keys). Default true.
	Quirks *bool `json:"quirks,omitempty"`
	// PBX is the pbx address check-in returns.
	PBX string `json:"pbx,omitempty"`
	// RTCAddress is the rtc_address (and, platform, pbx) check-in returns
	// to login_type "1" agents, a template: {scheme} is ws or wss, {host}
	// the host:port the agent dialled, {hostname} its host alone. ""
	// means the dialect's own: "{host}" in the platform dialect (the real
	// server copies FreeSWITCH's registration address, host:port with no
	// scheme), "{scheme}://{host}/sip" in the spec dialect. The PBX
	// answers SIP over WebSocket at / and at /sip.
	RTCAddress string `json:"rtc_address,omitempty"`
	// PushOrder is the order of a request's reply and the status pushes it
	// causes on the requesting link (check-in's FREE, checkout's OFFLINE,
	// hold...), platform dialect: "reply_first" (the default: what the
	// real server was seen to do), "push_first", or "random" (either, per
	// request). The real server hands them to the link on different paths.
	PushOrder string `json:"push_order,omitempty"`
	// SIPDomain is the PBX's SIP domain and digest realm (default
	// "cloudcc.local"); registrations for any domain are accepted.
	SIPDomain string `json:"sip_domain,omitempty"`
	// RTCPlainInvites makes the PBX's INVITEs to RTC agents carry neither
	// X-CC-UUID nor the auto-answer hint, as nothing shows the real
	// platform's do (docs/platform.md): the SDK must tie SIP calls to CTI
	// calls and answer the agent's own legs from its CTI state alone.
	// Unset: plain in the platform dialect, with the headers in the spec's.
	RTCPlainInvites *bool `json:"rtc_plain_invites,omitempty"`
	// EchoNumber is the PBX's echo extension: a registered RTC agent's
	// call to it is answered at once and hears its own audio back (the
	// SDK's pre-call test). "" means DefaultEchoNumber (9196), "off" none.
	EchoNumber string  `json:"echo_number,omitempty"`
	Timings    Timings `json:"timings"`
	// NoAnswerNumbers ring until max_ring_time and are never answered.
	NoAnswerNumbers []string `json:"no_answer_numbers,omitempty"`
	// ManualAnswerNumbers ring until POST /admin/customer-answer.
	ManualAnswerNumbers []string `json:"manual_answer_numbers,omitempty"`
}

// Company is one tenant.
type Company struct {
	Code   string         `json:"company_code"`
	Agents []AgentConfig  `json:"agents"`
	Skills []SkillService `json:"skills,omitempty"`
	IVRs   []IVRService   `json:"ivrs,omitempty"`
	// Platform dialect: a disabled company refuses check-in (1000);
	// ForbidKick is agentAccountKick 0 (check-in from other IPs refused 4010).
	Disabled   bool `json:"disabled,omitempty"`
	ForbidKick bool `json:"forbid_kick,omitempty"`
}

// AgentConfig is one agent and its extension.
type AgentConfig struct {
	AgentID    string   `json:"agent_id"`
	Password   string   `json:"password"`
	ExtID      string   `json:"ext_id,omitempty"` // default agent_id
	ExtPwd     string   `json:"ext_pwd,omitempty"`
	Supervisor bool     `json:"supervisor,omitempty"`
	Skills     []string `json:"skills,omitempty"`
	LoginType  string   `json:"login_type,omitempty"` // "1" RTC, "2" softphone (default)

	// Platform dialect only (settable at run time: POST /admin/agent-config).
	// PostProcess: after an answered call the agent is ARRANGE for
	// Timings.ArrangeMS, then back to its status before the call (default
	// true); false: straight back to that status.
	PostProcess *bool `json:"post_process,omitempty"`
	// AutoShowBusy: an inbound call the agent did not answer leaves it BUSY.
	AutoShowBusy bool `json:"auto_show_busy,omitempty"`
	// ExtOffline: the (login_type 2) extension is not registered: check-in
	// 4011, calls refused. RTC extensions follow their SIP registration.
	ExtOffline bool `json:"ext_offline,omitempty"`
	// Disabled: check-in 1001, get-token 4015. Unbound: no bound extension
	// (check-in 4005).
	Disabled bool `json:"disabled,omitempty"`
	Unbound  bool `json:"unbound,omitempty"`
	// ServiceMode is the agent's service_mode at check-in (default 1).
	ServiceMode int `json:"service_mode,omitempty"`
}

// SkillService is an entry of get-skill-service-list.
type SkillService struct {
	ID   string `json:"skill_id"`
	Name string `json:"skill_name"`
}

// IVRService is an entry of get-ivr-service-list.
type IVRService struct {
	ID   string `json:"ivr_service_id"`
	Name string `json:"ivr_service_name"`
}

// Timings are in milliseconds; zero makes a step immediate (tests).
type Timings struct {
	CustomerAnswerMS int `json:"customer_answer_ms"` // outbound: ring before the customer answers
	AgentRingMS      int `json:"agent_ring_ms"`      // internal parties (consult, three-way) ring before answering when external
	ArrangeMS        int `json:"arrange_ms"`         // after-call work before the agent is free again
	RestMinuteMS     int `json:"rest_minute_ms"`     // length of one rest_min minute (60000 in real life)
	MaxRingMS        int `json:"max_ring_ms"`        // no-answer numbers give up after this; < 0: the request's max_ring_time
	GraceMS          int `json:"grace_ms"`           // a dropped agent stays checked in this long (default 60000)
	RTCRingMS        int `json:"rtc_ring_ms"`        // an RTC agent's auto-answer leg must answer within this (0: 10000)
	RTCAnswerWaitMS  int `json:"rtc_answer_wait_ms"` // a CTI answer waits this long for the SIP answer (0: 10000)

	// Platform dialect.
	ConnectMS        int `json:"connect_ms"`          // the connect frame follows the handshake after this (real: 200)
	AgentLegAnswerMS int `json:"agent_leg_answer_ms"` // an originated login_type 2 agent leg (call, supervisor legs) answers after this
	// ReadIdleMS: a link with no inbound frame for this long is closed (0:
	// 30000, the real readOutTime; < 0: never). Any frame counts, WebSocket
	// pings included.
	ReadIdleMS int `json:"read_idle_ms"`
	// IdleCheckMS: after a read-idle close the auto check-out check runs
	// this much later (0: 2000, as the real server).
	IdleCheckMS int `json:"idle_check_ms"`
	// ReconnectMS: after a link drops, the auto check-out check runs this
	// much later and then every ReconnectMS while the agent is in a call
	// (0: 30000, the real reconnectionTime).
	ReconnectMS int `json:"reconnect_ms"`
}

// Real values of the platform's WebSocket timings (the zero value of the
// corresponding Timings field means these).
const (
	realReadIdle  = 30 * time.Second
	realIdleCheck = 2 * time.Second
	realReconnect = 30 * time.Second
)

func orDefault(ms int, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(ms) * time.Millisecond
}

func (t Timings) d(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

// DefaultConfig is the demo world: the spec examples' own identities.
func DefaultConfig() Config {
	skills := []SkillService{{"1724672524089675778", "默认技能"}, {"1724672524089675779", "售后服务"}, {"1724672524089675780", "VIP服务"}}
	ivrs := []IVRService{{"ivr-1001", "主菜单"}, {"ivr-1002", "满意度调查"}, {"ivr-1003", "English menu"}}
	return Config{
		PBX: "127.0.0.1:5060",
		Companies: []Company{
			{Code: "090008", Skills: skills, IVRs: ivrs, Agents: []AgentConfig{
				{AgentID: "090008_6000", Password: "919191Aa.", ExtID: "090008_5000", ExtPwd: "Aa123321.", Skills: []string{"1724672524089675778"}},
				{AgentID: "090008_6004", Password: "919191Aa.", ExtPwd: "Aa123321.", Skills: []string{"1724672524089675778"}},
				{AgentID: "090008_6001", Password: "919191Aa.", ExtPwd: "Aa123321.", Supervisor: true},
				{AgentID: "090008_6010", Password: "919191Aa.", ExtPwd: "Aa123321.", LoginType: "1"},
			}},
			{Code: "90001", Skills: skills[:1], IVRs: ivrs[:2], Agents: []AgentConfig{
				{AgentID: "90001_20000", Password: "11111", ExtPwd: "11111", Skills: []string{"1724672524089675778"}},
				{AgentID: "90001_20004", Password: "11111", ExtPwd: "11111", Supervisor: true},
			}},
		},
		NoAnswerNumbers:     []string{"10000000000"},
		ManualAnswerNumbers: []string{"10000000001"},
		Timings: Timings{CustomerAnswerMS: 1000, AgentRingMS: 500, ArrangeMS: 3000, RestMinuteMS: 60000, MaxRingMS: -1, GraceMS: 60000,
			ConnectMS: 200, AgentLegAnswerMS: 300},
	}
}

// LoadConfig reads a JSON config file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// GenerateLoad adds a company with n agents (prefix + zero-padded index),
// for load tests.
func (c *Config) GenerateLoad(company, prefix string, width, n int, password string) {
	co := Company{Code: company}
	for i := 1; i <= n; i++ {
		co.Agents = append(co.Agents, AgentConfig{AgentID: fmt.Sprintf("%s%0*d", prefix, width, i), Password: password})
	}
	c.Companies = append(c.Companies, co)
}

func (c *Config) quirks() bool { return c.Quirks == nil || *c.Quirks }

// dialect is the configured dialect, DefaultDialect when unset.
func (c *Config) dialect() string {
	if c.Dialect == "" {
		return DefaultDialect
	}
	return c.Dialect
}

// ValidDialect reports whether d names a dialect ("" counts: the default).
func ValidDialect(d string) bool { return d == "" || d == DialectPlatform || d == DialectSpec }

// KeepRealTimings returns zero timings (every step immediate) except the
// link timings that keep their configured or real values: what -fast uses.
func (t Timings) KeepRealTimings() Timings {
	return Timings{GraceMS: t.GraceMS, ReadIdleMS: t.ReadIdleMS, IdleCheckMS: t.IdleCheckMS, ReconnectMS: t.ReconnectMS,
		RTCRingMS: t.RTCRingMS, RTCAnswerWaitMS: t.RTCAnswerWaitMS}
}

// plainInvites says whether the PBX's INVITEs leave out X-CC-UUID and the
// auto-answer hint (RTCPlainInvites, else the dialect's default).
func (c *Config) plainInvites() bool {
	if c.RTCPlainInvites != nil {
		return *c.RTCPlainInvites
	}
	return c.dialect() == DialectPlatform
}

// The push orders of Config.PushOrder.
const (
	PushReplyFirst = "reply_first"
	PushFirst      = "push_first"
	PushRandom     = "random"
)

// ValidPushOrder reports whether o names a push order ("" counts: the default).
func ValidPushOrder(o string) bool {
	return o == "" || o == PushReplyFirst || o == PushFirst || o == PushRandom
}

// rtcAddressTemplate is RTCAddress, else the dialect's default.
func (c *Config) rtcAddressTemplate() string {
	switch {
	case c.RTCAddress != "":
		return c.RTCAddress
	case c.dialect() == DialectPlatform:
		return "{host}"
	}
	return "{scheme}://{host}/sip"
}

// BoolPtr returns a pointer to v, for the optional switches of Config.
func BoolPtr(v bool) *bool { return &v }

// AgentPath is where a dialect serves the agent WebSocket: the platform's
// "/msg/" (the agent's identity segment follows) or the spec's "/ws".
func AgentPath(dialect string) string {
	if dialect == DialectSpec {
		return "/ws"
	}
	return pathMsg
}
