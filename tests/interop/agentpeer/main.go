// Command agentpeer is the interop harness's SDK agent behind a real
// WebRTC gateway: the whole agent (core/agent: CTI session + RTC phone +
// media), checked in at a stand-in of the platform's CTI server
// (cti.go) whose check-in sends it to register at Kamailio. Calls come
// through Kamailio + rtpengine from a plain SIP phone (baresip), with no
// X-CC-UUID and no auto-answer hint: the SDK ties them to CTI calls and
// answers the agent's own legs by itself (core/agent/correlate.go).
//
// It speaks JSON lines on stdin/stdout (one request per line, one reply
// per request, with the request's "id"; commands run concurrently):
//
//	{"cmd":"start","ws":"ws://kamailio","domain":"d","ext":"1001","ext_pwd":"pw","tone_hz":1000[,"rtc_address":"host:port"]
//	 [,"audio":"device","microphone":"src","speaker":"sink","ringer":"sink"]}
//	                                         → {"ok":true,"aor":"sip:1001@d","rtc_address":"…","url":"ws://…"} once registered
//	                                           (audio "device": the SDK opens those PulseAudio devices, PULSE_SERVER
//	                                           from the environment; no default source and no PCM tap: the call's
//	                                           audio is the microphone's, what it receives goes to the speaker)
//	{"cmd":"processing","uuid":"call-…"}     → {"ok":true,"state":{AudioProcessingState}}: the call's voice processing
//	{"cmd":"callin","uuid":"call-…","caller":"3001"} → {"ok":true}: the CTI server pushes a callin
//	{"cmd":"request","req":{...}}            → {"ok":true,"reply":{...}} or {"error":...}: Agent.Do
//	{"cmd":"wait_call","state":"ringing","uuid":"","auto":true,"timeout_ms":15000}
//	                                         → {"ok":true,"call":{rtc_call}}: the first rtc_call event
//	                                           not returned before with that state (and uuid, when
//	                                           given; "" matches a call without uuid; omitted: any)
//	{"cmd":"tone","freq":440}                → {"ok":true,"peak_hz","ratio","rms_dbfs","samples"}: the
//	                                           last 200 ms the current call received
//	{"cmd":"timings","call_id":"…"}          → {"ok":true,"created_ms","answered_ms","confirmed_ms",
//	                                           "first_audio_ms"} (unix ms; 0: not yet)
//	{"cmd":"stats"}                          → {"ok":true,"stats":{rtc_stats of the current call}}
//	{"cmd":"hangup_sip","call_id":"…"}       → {"ok":true}: the SDK's phone hangs up (BYE)
//	{"cmd":"dial","target":"sip:…"}          → {"ok":true,"call_id"} once answered
//	{"cmd":"cti_requests"}                   → {"ok":true,"requests":["checkin","answer",…]}
//	{"cmd":"quit"}                           → {"ok":true}, then exit
//
// Logs (warnings and up; AGENTPEER_DEBUG=1: everything, SIP included) go
// to stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/pbx"
)

type request struct {
	ID  any    `json:"id,omitempty"`
	Cmd string `json:"cmd"`
	WS  string `json:"ws"`
	// RTCAddress is what the stand-in CTI's check-in hands out as
	// rtc_address (default: WS without its scheme, the platform's
	// host:port form).
	RTCAddress string          `json:"rtc_address"`
	Domain     string          `json:"domain"`
	Ext        string          `json:"ext"`
	ExtPwd     string          `json:"ext_pwd"`
	ToneHz     float64         `json:"tone_hz"`
	UUID       *string         `json:"uuid"`
	Caller     string          `json:"caller"`
	Req        json.RawMessage `json:"req"`
	State      string          `json:"state"`
	Auto       *bool           `json:"auto"`
	Freq       float64         `json:"freq"`
	CallID     string          `json:"call_id"`
	Target     string          `json:"target"`
	TimeoutMs  int             `json:"timeout_ms"`
	// Audio is the agent's rtc_audio ("" host, "device"); Microphone,
	// Speaker and Ringer its device ids in device mode.
	Audio      string `json:"audio"`
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
	Ringer     string `json:"ringer"`
}

// peer is the agent and what the harness asks about it.
type peer struct {
	log *slog.Logger

	mu      sync.Mutex
	cti     *platformCTI
	ag      *agent.Agent
	calls   []*agent.RTCCallEvent
	used    map[int]bool
	wake    chan struct{}
	regs    chan *agent.RTCRegistrationEvent
	pcm     []int16
	pcmCall string // the call the PCM tap is on
	// device: the agent runs in device mode (set before it starts): its
	// received audio is checked on the speaker, not through a tap.
	device bool
}

func main() {
	level := slog.LevelWarn
	if os.Getenv("AGENTPEER_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("peer", "agent")
	p := &peer{log: log, used: map[int]bool{}, wake: make(chan struct{}), regs: make(chan *agent.RTCRegistrationEvent, 64)}
	var wmu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	write := func(v any) {
		wmu.Lock()
		defer wmu.Unlock()
		_ = enc.Encode(v)
	}
	var wg sync.WaitGroup
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r request
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			write(map[string]any{"error": "bad request: " + err.Error()})
			continue
		}
		if r.Cmd == "quit" {
			wg.Wait()
			p.close()
			write(map[string]any{"ok": true, "id": r.ID})
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := p.do(r)
			if err != nil {
				rep = map[string]any{"error": err.Error()}
			}
			if r.ID != nil {
				rep["id"] = r.ID
			}
			write(rep)
		}()
	}
	wg.Wait()
	p.close()
}

func (p *peer) close() {
	p.mu.Lock()
	ag, cti := p.ag, p.cti
	p.mu.Unlock()
	if ag != nil {
		ag.Close()
	}
	if cti != nil {
		cti.close()
	}
}

// onEvent keeps the SDK's RTC events; the rest is logged.
func (p *peer) onEvent(ev session.Event) {
	switch e := ev.(type) {
	case *agent.RTCCallEvent:
		p.mu.Lock()
		p.calls = append(p.calls, e)
		close(p.wake)
		p.wake = make(chan struct{})
		p.mu.Unlock()
		if (e.State == "answered" || e.State == "confirmed") && !p.device {
			p.tap(e)
		}
	case *agent.RTCRegistrationEvent:
		select {
		case p.regs <- e:
		default:
		}
	case *agent.LogEvent:
		p.log.Debug("sdk", "level", e.Level, "msg", e.Message, "attrs", e.Attrs)
	}
}

// tap puts the PCM tap on the call that just got media.
func (p *peer) tap(e *agent.RTCCallEvent) {
	p.mu.Lock()
	if p.pcmCall == e.CallID {
		p.mu.Unlock()
		return
	}
	p.pcmCall, p.pcm = e.CallID, nil
	ag := p.ag
	p.mu.Unlock()
	err := ag.SetPCMSink(e.UUID, 8000, func(s []int16) {
		p.mu.Lock()
		p.pcm = append(p.pcm, s...)
		if len(p.pcm) > 16000 {
			p.pcm = append(p.pcm[:0], p.pcm[len(p.pcm)-8000:]...)
		}
		p.mu.Unlock()
	})
	if err != nil {
		p.log.Warn("PCM tap", "call_id", e.CallID, "err", err)
	}
}

func (p *peer) agentNow() (*agent.Agent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ag == nil {
		return nil, errors.New("not started")
	}
	return p.ag, nil
}

func (p *peer) callByID(id string) (*rtc.Call, error) {
	ag, err := p.agentNow()
	if err != nil {
		return nil, err
	}
	ph := ag.Phone()
	if ph == nil {
		return nil, errors.New("no phone")
	}
	c := ph.CallByID(id)
	if c == nil {
		return nil, fmt.Errorf("no call %q", id)
	}
	return c, nil
}

func unixMS(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMicro()) / 1000
}

func (p *peer) do(r request) (map[string]any, error) {
	timeout := time.Duration(r.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 15 * time.Second // under the harness's 20 s wait for a reply
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch r.Cmd {
	case "start":
		return p.start(ctx, r)
	case "callin":
		p.mu.Lock()
		cti := p.cti
		p.mu.Unlock()
		if cti == nil || r.UUID == nil || !cti.callin(*r.UUID, r.Caller) {
			return nil, errors.New("no CTI link or no uuid")
		}
		return map[string]any{"ok": true}, nil
	case "request":
		ag, err := p.agentNow()
		if err != nil {
			return nil, err
		}
		req, err := protocol.DecodeRequest(r.Req)
		if err != nil {
			return nil, err
		}
		rep, err := ag.Do(ctx, req)
		if rep == nil {
			return nil, err
		}
		b, merr := protocol.MarshalMessage(rep)
		if merr != nil {
			return nil, merr
		}
		out := map[string]any{"ok": err == nil, "reply": json.RawMessage(b)}
		if err != nil {
			out["refused"] = err.Error()
		}
		return out, nil
	case "wait_call":
		e, err := p.waitCall(ctx, r)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ok": true, "call": e}, nil
	case "tone":
		p.mu.Lock()
		pcm := append([]int16(nil), p.pcm[max(0, len(p.pcm)-pbx.SampleRate/5):]...)
		p.mu.Unlock()
		a := pbx.AnalyseTone(pcm, pbx.SampleRate)
		return map[string]any{"ok": true, "peak_hz": a.PeakHz, "ratio": nan0(pbx.ToneRatio(pcm, pbx.SampleRate, r.Freq)),
			"rms_dbfs": a.RMSdBFS, "samples": len(pcm)}, nil
	case "timings":
		c, err := p.callByID(r.CallID)
		if err != nil {
			return nil, err
		}
		tm := c.Timings()
		return map[string]any{"ok": true, "created_ms": unixMS(tm.Created), "answered_ms": unixMS(tm.Answered),
			"confirmed_ms": unixMS(tm.Confirmed), "first_audio_ms": unixMS(tm.FirstAudio)}, nil
	case "stats":
		ag, err := p.agentNow()
		if err != nil {
			return nil, err
		}
		q, err := ag.CallQuality("")
		if err != nil {
			return nil, err
		}
		return map[string]any{"ok": true, "stats": q}, nil
	case "hangup_sip":
		c, err := p.callByID(r.CallID)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ok": true}, c.Hangup(ctx)
	case "dial":
		ag, err := p.agentNow()
		if err != nil {
			return nil, err
		}
		ph := ag.Phone()
		if ph == nil {
			return nil, errors.New("no phone")
		}
		c, err := ph.Dial(ctx, r.Target, rtc.DialOptions{})
		if err != nil {
			return nil, err
		}
		return map[string]any{"ok": true, "call_id": c.ID()}, nil
	case "processing":
		ag, err := p.agentNow()
		if err != nil {
			return nil, err
		}
		if r.UUID == nil {
			return nil, errors.New("no uuid")
		}
		st, err := ag.SetAudioProcessing(*r.UUID, agent.AudioSwitchChange{})
		if err != nil {
			return nil, err
		}
		return map[string]any{"ok": true, "state": st}, nil
	case "cti_requests":
		p.mu.Lock()
		cti := p.cti
		p.mu.Unlock()
		if cti == nil {
			return nil, errors.New("not started")
		}
		return map[string]any{"ok": true, "requests": cti.received()}, nil
	}
	return nil, fmt.Errorf("unknown command %q", r.Cmd)
}

func nan0(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}

func (p *peer) start(ctx context.Context, r request) (map[string]any, error) {
	addr := r.RTCAddress
	if addr == "" {
		_, addr, _ = strings.Cut(r.WS, "://") // the platform's form: host:port, no scheme
	}
	cti, err := newPlatformCTI(addr, r.Ext, r.ExtPwd)
	if err != nil {
		return nil, err
	}
	hz := r.ToneHz
	if hz <= 0 {
		hz = 1000
	}
	logLevel := "warn"
	if os.Getenv("AGENTPEER_DEBUG") != "" {
		logLevel = "debug"
	}
	cfg := agent.Config{
		WSURL: cti.url(), CompanyCode: "090008", AgentID: "090008_" + r.Ext, ExtID: r.Ext, OS: "Linux",
		HeartbeatInterval: -1, RTCDomain: r.Domain, RTCDefaultSource: fmt.Sprintf("tone:%g", hz),
		RTCIncludeLoopback: true, LogLevel: logLevel,
	}
	switch r.Audio {
	case "", agent.AudioHost:
	case agent.AudioDevice:
		// What the call sends must be the microphone's: no default
		// source that could stand in for it.
		cfg.RTCAudio, cfg.RTCDefaultSource = agent.AudioDevice, ""
		cfg.AudioMicrophone, cfg.AudioSpeaker, cfg.AudioRinger = r.Microphone, r.Speaker, r.Ringer
	default:
		cti.close()
		return nil, fmt.Errorf("audio %q: want host or device", r.Audio)
	}
	p.mu.Lock()
	p.device = cfg.RTCAudio == agent.AudioDevice
	p.mu.Unlock()
	ag, err := agent.New(cfg, p.onEvent)
	if err != nil {
		cti.close()
		return nil, err
	}
	p.mu.Lock()
	p.cti, p.ag = cti, ag
	p.mu.Unlock()
	rep, err := ag.Checkin(ctx, &protocol.CheckinRequest{AgentPwd: "pw", StartStatus: protocol.StatusFree})
	if err != nil {
		return nil, fmt.Errorf("checkin: %w", err)
	}
	if rep.LoginType != protocol.LoginRTC {
		return nil, fmt.Errorf("checkin: login_type %q", rep.LoginType)
	}
	for {
		select {
		case e := <-p.regs:
			switch e.State {
			case "registered":
				return map[string]any{"ok": true, "aor": e.AOR, "rtc_address": e.RTCAddress, "url": e.URL}, nil
			case "failed":
				return nil, fmt.Errorf("registration failed: %d %s", e.Code, e.Reason)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("not registered: %w", ctx.Err())
		}
	}
}

// waitCall returns the first rtc_call event not returned before that
// matches r.
func (p *peer) waitCall(ctx context.Context, r request) (*agent.RTCCallEvent, error) {
	for {
		p.mu.Lock()
		wake := p.wake
		for i, e := range p.calls {
			if p.used[i] || e.State != r.State || (r.UUID != nil && e.UUID != *r.UUID) || (r.Auto != nil && e.AutoAnswer != *r.Auto) {
				continue
			}
			p.used[i] = true
			p.mu.Unlock()
			return e, nil
		}
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, fmt.Errorf("no rtc_call %q (uuid %v): %w", r.State, r.UUID, ctx.Err())
		}
	}
}
