package agent

import (
	"context"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// RTC mode against ccsim and its PBX, with real media (pion on loopback):
// 090008_6010 has login_type "1"; the PBX plays 1 kHz to the agent and
// analyses what the agent sends.

const (
	rtcID     = "090008_6010"
	pbxToneHz = 1000.0
)

// rtcAgent is a tagent whose SDK events (rtc_*, connectivity) go to their
// own channel, so the CTI helpers (next, cb, status) see the server's.
type rtcAgent struct {
	*tagent
	sdk chan session.Event
	pcm *pcmTap
}

func (e *env) rtcAgent(t *testing.T, mod func(*Config)) *rtcAgent {
	t.Helper()
	ra := &rtcAgent{tagent: &tagent{t: t, evs: make(chan session.Event, 4096), id: rtcID}, sdk: make(chan session.Event, 4096)}
	cfg := Config{WSURL: e.ws, HTTPURL: e.http, CompanyCode: "090008", AgentID: rtcID, ExtID: boundExt(rtcID), Language: "en-US",
		RequestTimeout: 5000 * time.Millisecond, HeartbeatInterval: -1, Reconnect: session.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}, LogLevel: "off"}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg, func(ev session.Event) {
		switch ev.(type) {
		case *RTCRegistrationEvent, *RTCCallEvent, *ConnectivityEvent, *RTCDTMFEvent, *RTCStatsEvent,
			*AudioDevicesChangedEvent, *AudioDeviceFallbackEvent, *AudioDeviceErrorEvent:
			ra.sdk <- ev
		default:
			ra.evs <- ev
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ra.Agent = a
	t.Cleanup(func() { a.Close() })
	return ra
}

func (ra *rtcAgent) checkinRTC(start protocol.AgentStatus) *protocol.CheckinReply {
	ra.t.Helper()
	rep, err := ra.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa.", StartStatus: start})
	if err != nil {
		ra.t.Fatalf("checkin: %v", err)
	}
	if rep.LoginType != protocol.LoginRTC || rep.RTCAddress == "" {
		ra.t.Fatalf("checkin reply %+v", rep)
	}
	if start == "" {
		start = protocol.StatusBusy
	}
	ra.status(start, "")
	return rep
}

// waitSDK returns the first SDK event that pred accepts, dropping others.
func waitSDK[T session.Event](ra *rtcAgent, what string, pred func(T) bool) T {
	ra.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ra.sdk:
			if e, ok := ev.(T); ok && pred(e) {
				return e
			}
		case <-timeout:
			var zero T
			ra.t.Fatalf("no %s within 10s", what)
			return zero
		}
	}
}

func (ra *rtcAgent) registered() *RTCRegistrationEvent {
	ra.t.Helper()
	return waitSDK(ra, "rtc_registration registered", func(e *RTCRegistrationEvent) bool {
		if e.State == "failed" {
			ra.t.Fatalf("registration failed: %+v", e)
		}
		return e.State == "registered"
	})
}

func (ra *rtcAgent) callState(uuid, state string) *RTCCallEvent {
	ra.t.Helper()
	return waitSDK(ra, "rtc_call "+state, func(e *RTCCallEvent) bool { return e.UUID == uuid && e.State == state })
}

// waitMedia polls the PBX's view of the leg until cond holds.
func waitMedia(t *testing.T, e *env, uuid, what string, cond func(sim.RTCCall) bool) sim.RTCCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var c sim.RTCCall
	var err error
	for {
		if c, err = e.srv.RTCCall(uuid); err == nil && cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last %+v (%v)", what, c, err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func hears(hz float64) func(sim.RTCCall) bool {
	return func(c sim.RTCCall) bool {
		return c.AudioRx.Packets > 20 && c.AudioRx.LastMSAgo >= 0 && c.AudioRx.LastMSAgo < 200 &&
			math.Abs(c.Tone.PeakHz-hz) < 5 && c.Tone.PeakRatio > 0.8
	}
}

// pcmTap keeps what a PCM sink received.
type pcmTap struct {
	mu  sync.Mutex
	pcm []int16
	n   int
}

func (p *pcmTap) write(s []int16) {
	p.mu.Lock()
	p.pcm = append(p.pcm, s...)
	if len(p.pcm) > 8000 {
		p.pcm = append([]int16(nil), p.pcm[len(p.pcm)-8000:]...)
	}
	p.n += len(s)
	p.mu.Unlock()
}

func (p *pcmTap) recent(n int) ([]int16, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pcm) < n {
		return nil, p.n
	}
	return append([]int16(nil), p.pcm[len(p.pcm)-n:]...), p.n
}

// waitFor polls cond (a condition on live media, no event to wait on).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// agentHears checks that the sink gets the PBX's 1 kHz tone.
func (ra *rtcAgent) agentHears(uuid string) {
	ra.t.Helper()
	if ra.pcm == nil {
		ra.pcm = &pcmTap{}
		if err := ra.SetPCMSink(uuid, 8000, ra.pcm.write); err != nil {
			ra.t.Fatal(err)
		}
	}
	_, start := ra.pcm.recent(0)
	waitFor(ra.t, "the agent hears the PBX's 1 kHz", func() bool {
		pcm, n := ra.pcm.recent(1600)
		if pcm == nil || n-start < 1600 {
			return false
		}
		a := pbx.AnalyseTone(pcm, 8000)
		return math.Abs(a.PeakHz-pbxToneHz) < 5 && a.PeakRatio > 0.8
	})
}

func TestRTCCheckinRegistersAndOutboundCallMedia(t *testing.T) {
	bothPBXModes(t, func(t *testing.T, e *env, plain bool) {
		a := e.rtcAgent(t, func(c *Config) { c.RTCStatsInterval = 200 * time.Millisecond })
		t0 := time.Now()
		rep := a.checkinRTC(protocol.StatusFree)
		reg := a.registered()
		t.Logf("check-in → registered: %v", time.Since(t0))
		if reg.AOR != "sip:"+rtcID+"@127.0.0.1" || (reg.Code != 0 && reg.Code != 200) || reg.ExpiresS <= 0 {
			t.Fatalf("registered event %+v", reg)
		}
		b, _ := json.Marshal(reg)
		if !strings.Contains(string(b), `"msg_type":"rtc_registration"`) || strings.Contains(string(b), rep.ExtPwd.Reveal()) {
			t.Fatalf("registration JSON %s", b)
		}
		regs := e.srv.RTCRegistrations()
		if len(regs) != 1 || regs[0].Ext != rtcID || !strings.Contains(strings.ToLower(strings.Join(flatten(regs[0].Headers), " ")), "x-cc-company") {
			t.Fatalf("PBX registrations %+v", regs)
		}
		waitSDK(a, "connectivity ok", func(c *ConnectivityEvent) bool { return c.State == "ok" && c.CTI == "connected" })

		// call: the platform rings the agent's own leg with auto-answer; the
		// CTI sequence is the softphone one.
		uuid := outboundCall(t, a.tagent, protocol.StatusFree)
		ans := a.callState(uuid, "answered")
		// The agent's own leg is answered by the SDK: by the hint, or (plain)
		// because it rang right after the agent's call request.
		if wantFrom := map[bool]string{false: "x-cc-uuid", true: "request"}[plain]; !ans.AutoAnswer || ans.UUIDFrom != wantFrom {
			t.Fatalf("answered %+v, want auto_answer and uuid_from %s", ans, wantFrom)
		}
		if got := a.RTCCalls(); len(got) != 1 || got[0] != uuid {
			t.Fatalf("RTCCalls %v", got)
		}
		// Agent → PBX: 440 Hz. PBX → agent: 1 kHz.
		if err := a.PlayTone(uuid, 440); err != nil {
			t.Fatal(err)
		}
		sn := waitMedia(t, e, uuid, "the PBX hears 440 Hz", hears(440))
		t.Logf("PBX INVITE → first agent audio: %.1f ms", sn.SetupMS)
		if c := a.Phone().CallByUUID(uuid); c != nil {
			tm := c.Timings()
			t.Logf("agent: INVITE → 200 OK %v, INVITE → first PBX audio %v", tm.Answered.Sub(tm.Created), tm.FirstAudio.Sub(tm.Created))
		}
		a.agentHears("")
		// Recording holds the PBX's tone.
		path := filepath.Join(t.TempDir(), "rx.wav")
		if err := a.RecordWAV(uuid, path); err != nil {
			t.Fatal(err)
		}
		_, n0 := a.pcm.recent(0)
		waitFor(t, "half a second recorded", func() bool { _, n := a.pcm.recent(0); return n-n0 >= 4000 })
		if err := a.StopRecord(uuid); err != nil {
			t.Fatal(err)
		}
		rec := readWAV(t, path)
		if len(rec) < 3000 {
			t.Fatalf("recording has %d samples", len(rec))
		}
		if an := pbx.AnalyseTone(rec[len(rec)-1600:], 8000); math.Abs(an.PeakHz-pbxToneHz) > 5 || an.PeakRatio < 0.8 {
			t.Fatalf("recording: %+v", an)
		}
		st := waitSDK(a, "rtc_stats", func(s *RTCStatsEvent) bool { return s.UUID == uuid && s.PacketsRecv > 50 && s.BitrateKbps > 0 })
		if st.MOS == nil || *st.MOS < 3 || st.NoData || st.BitrateKbps <= 0 {
			t.Fatalf("stats %+v", st)
		}
		if s, err := a.CallStats(""); err != nil || s.Audio.PacketsSent == 0 {
			t.Fatalf("CallStats %v %+v", err, s)
		}
		// The agent's own DTMF, three modes, on its leg; answered locally.
		for _, tc := range []struct {
			digits string
			typ    protocol.DTMFType
		}{{"12", protocol.DTMFRFC2833}, {"34", protocol.DTMFInfo}, {"56", protocol.DTMFInband}} {
			r := do[*protocol.BasicReply](t, a.tagent, &protocol.DTMFRequest{UUID: uuid, Content: tc.digits, DTMFType: protocol.Ptr(tc.typ)})
			if r.Type() != protocol.MsgDTMF || r.Code != "0" || r.ReqID == "" {
				t.Fatalf("dtmf reply %+v", r)
			}
		}
		sn = waitMedia(t, e, uuid, "digits 123456", func(c sim.RTCCall) bool { return c.Digits == "123456" })
		modes := []string{}
		for _, d := range sn.DTMF {
			modes = append(modes, d.Mode)
		}
		if strings.Join(modes, ",") != "rfc4733,rfc4733,info,info,inband,inband" {
			t.Fatalf("dtmf modes %v", modes)
		}
		if snap, _ := e.srv.Agent(rtcID); snap.DTMF != "" {
			t.Fatalf("the CTI server got DTMF %q too", snap.DTMF)
		}
		refusedLocally(t, a, &protocol.DTMFRequest{UUID: uuid, Content: "1x"}, "DTMF")

		// mute: local reply in the spec's shape; the PBX hears silence.
		m := do[*protocol.MuteReply](t, a.tagent, &protocol.MuteRequest{UUID: uuid, Mute: true})
		if m.Type() != protocol.MsgMute || m.Code != "0" || !bool(m.Mute) || m.ReqID == "" || m.Msg == "" {
			t.Fatalf("mute reply %+v", m)
		}
		waitMedia(t, e, uuid, "silence at the PBX", func(c sim.RTCCall) bool { return c.AudioRx.LastMSAgo < 200 && c.Tone.RMSdBFS < -60 })
		do[*protocol.MuteReply](t, a.tagent, &protocol.MuteRequest{UUID: uuid, Mute: false})
		waitMedia(t, e, uuid, "tone again", hears(440))
		refusedLocally(t, a, &protocol.MuteRequest{UUID: "no-such-call", Mute: true}, "no such call")

		// hangup (CTI) → the PBX's BYE → rtc_call ended.
		hangupToFree(t, a.tagent, uuid, protocol.CbCall)
		ended := a.callState(uuid, "ended")
		if ended.Direction != "incoming" || ended.CallID == "" {
			t.Fatalf("ended %+v", ended)
		}
		if err := a.PlayTone(uuid, 440); !errors.Is(err, ErrNoCall) {
			t.Fatalf("PlayTone after the call: %v", err)
		}
		// checkout → un-registered.
		do[*protocol.BasicReply](t, a.tagent, &protocol.CheckoutRequest{})
		a.status(protocol.StatusOffline, "")
		waitSDK(a, "unregistered", func(e *RTCRegistrationEvent) bool { return e.State == "unregistered" })
		if a.Phone() != nil {
			t.Fatal("phone kept after checkout")
		}
		if err := a.PlayTone("", 440); !errors.Is(err, ErrNoRTC) {
			t.Fatalf("PlayTone after checkout: %v", err)
		}
		waitFor(t, "the binding gone at the PBX", func() bool { return len(e.srv.RTCRegistrations()) == 0 })
	})
}

// bothPBXModes runs fn against ccsim's PBX as it is (X-CC-UUID and
// auto-answer hints on its INVITEs) and in rtc_plain_invites mode (neither:
// the SDK ties calls to CTI calls and answers the agent's own legs from
// its CTI state alone, as on the real platform).
func bothPBXModes(t *testing.T, fn func(t *testing.T, e *env, plain bool)) {
	for _, m := range []struct {
		name  string
		plain bool
	}{{"x-cc-uuid+hints", false}, {"plain", true}} {
		t.Run(m.name, func(t *testing.T) {
			fn(t, newEnv(t, func(c *sim.Config) { c.RTCPlainInvites = sim.BoolPtr(m.plain) }), m.plain)
		})
	}
}

func flatten(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	return out
}

func refusedLocally(t *testing.T, a *rtcAgent, req protocol.Request, msgPart string) {
	t.Helper()
	rep, err := a.Do(context.Background(), req)
	var se *protocol.ServerError
	if !errors.As(err, &se) || rep == nil || rep.Header().Code != "1" || rep.Header().ReqID == "" {
		t.Fatalf("%s: %v %+v, want a local refusal", req.Type(), err, rep)
	}
	if !strings.Contains(se.Msg, msgPart) {
		t.Fatalf("%s refusal %q, want %q", req.Type(), se.Msg, msgPart)
	}
}

func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	src, err := media.OpenWAVSource(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	buf := make([]int16, 160)
	for {
		n, err := src.ReadPCM(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF || n == 0 {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRTCInboundAnswerHoldChangeMedia(t *testing.T) {
	bothPBXModes(t, func(t *testing.T, e *env, plain bool) {
		a := e.rtcAgent(t, func(c *Config) { c.RTCDefaultSource = "tone:440" })
		a.checkinRTC(protocol.StatusFree)
		a.registered()
		uuid, who, err := e.srv.Inbound(sim.InboundCall{CompanyCode: "090008", CallerNumber: "18888888888", AgentID: rtcID})
		if err != nil || who != rtcID {
			t.Fatalf("inbound: %v %s", err, who)
		}
		a.status(protocol.StatusRinging, "")
		if ci := a.callin(protocol.ChannelNormal); ci.UUID != uuid {
			t.Fatalf("callin %+v", ci)
		}
		ring := a.callState(uuid, "ringing")
		if wantFrom := map[bool]string{false: "x-cc-uuid", true: "callin"}[plain]; ring.AutoAnswer || ring.Direction != "incoming" || ring.UUIDFrom != wantFrom {
			t.Fatalf("ringing %+v, want uuid_from %s", ring, wantFrom)
		}
		if err := a.PlayTone(uuid, 440); !errors.Is(err, ErrNotAnswered) {
			t.Fatalf("PlayTone while ringing: %v", err)
		}
		do[*protocol.BasicReply](t, a.tagent, &protocol.AnswerRequest{UUID: uuid})
		a.status(protocol.StatusCalling, "")
		a.callState(uuid, "answered")
		waitMedia(t, e, uuid, "default tone at the PBX", hears(440))
		a.agentHears(uuid)

		// hold: the platform's re-INVITE (inactive) stops media both ways.
		do[*protocol.HoldReply](t, a.tagent, &protocol.HoldRequest{UUID: uuid, Hold: true})
		a.status(protocol.StatusCalling, protocol.SubHold)
		waitSDK(a, "rtc_call held", func(e *RTCCallEvent) bool { return e.UUID == uuid && e.State == "held" && e.RemoteHold })
		waitMedia(t, e, uuid, "media stopped", func(c sim.RTCCall) bool {
			return c.Held && c.AudioRx.LastMSAgo > 300 && c.AudioTx.LastMSAgo > 300
		})
		do[*protocol.HoldReply](t, a.tagent, &protocol.HoldRequest{UUID: uuid, Hold: false})
		a.status(protocol.StatusCalling, "")
		waitSDK(a, "rtc_call confirmed", func(e *RTCCallEvent) bool { return e.UUID == uuid && e.State == "confirmed" && !e.RemoteHold })
		waitMedia(t, e, uuid, "media back", hears(440))
		a.agentHears(uuid)

		// change_media adds video (PBX side) without breaking audio.
		do[*protocol.ChangeMediaReply](t, a.tagent, &protocol.ChangeMediaRequest{UUID: uuid,
			Media: protocol.Media{Audio: protocol.Ptr(protocol.MediaSendRecv), Video: protocol.Ptr(protocol.MediaSendRecv), Pixels: "720"}})
		a.cb(protocol.CbChangeMedia, protocol.PhaseInitiate)
		a.cb(protocol.CbChangeMedia, protocol.PhaseStartCall)
		sn := waitMedia(t, e, uuid, "video added", func(c sim.RTCCall) bool { return c.Video == 3 })
		p0 := sn.AudioRx.Packets
		waitMedia(t, e, uuid, "audio after change_media", func(c sim.RTCCall) bool { return hears(440)(c) && c.AudioRx.Packets > p0+25 })
		a.agentHears(uuid)

		// The customer hangs up: BYE from the PBX.
		if err := e.srv.CustomerHangup(uuid); err != nil {
			t.Fatal(err)
		}
		a.status(protocol.StatusArrange, "")
		a.status(protocol.StatusFree, "")
		ended := a.callState(uuid, "ended")
		t.Logf("ended: %+v", ended)
		if len(a.RTCCalls()) != 0 {
			t.Fatalf("calls left %v", a.RTCCalls())
		}
	})
}

func TestRTCLinkDropMidCallKeepsPhone(t *testing.T) {
	bothPBXModes(t, func(t *testing.T, e *env, plain bool) {
		a := e.rtcAgent(t, nil)
		a.checkinRTC(protocol.StatusFree)
		a.registered()
		uuid := outboundCall(t, a.tagent, protocol.StatusFree)
		a.callState(uuid, "answered")
		if err := a.PlayTone(uuid, 440); err != nil {
			t.Fatal(err)
		}
		waitMedia(t, e, uuid, "tone", hears(440))
		ph := a.Phone()
		if err := e.srv.Fault(sim.FaultSpec{AgentID: rtcID, Kind: "drop"}); err != nil {
			t.Fatal(err)
		}
		waitSDK(a, "connectivity down (CTI)", func(c *ConnectivityEvent) bool { return c.State == "down" && c.CTI != "connected" })
		deadline := time.After(10 * time.Second)
		for restored := false; !restored; {
			select {
			case ev := <-a.evs:
				if r, ok := ev.(*session.RestoredEvent); ok {
					if r.Err != nil {
						t.Fatal(r.Err)
					}
					restored = true
				}
			case <-deadline:
				t.Fatal("session not restored")
			}
		}
		waitSDK(a, "connectivity ok again", func(c *ConnectivityEvent) bool {
			return c.State == "ok" && len(c.Calls) == 1 && c.Calls[0].ICE == "connected"
		})
		if a.Phone() != ph || ph.Registration() != rtc.RegRegistered {
			t.Fatalf("phone replaced or not registered (%v)", ph.Registration())
		}
		sn, _ := e.srv.RTCCall(uuid)
		waitMedia(t, e, uuid, "audio still flowing", func(c sim.RTCCall) bool { return hears(440)(c) && c.AudioRx.Packets > sn.AudioRx.Packets+25 })
		a.agentHears(uuid)
		hangupToFree(t, a.tagent, uuid, protocol.CbCall)
		a.callState(uuid, "ended")
	})
}

func TestRTCForcedCheckoutClosesPhone(t *testing.T) {
	e := newEnv(t, nil)
	a := e.rtcAgent(t, nil)
	sup := e.agent(t, "090008", "090008_6001", "")
	sup.checkin("919191Aa.", protocol.StatusFree)
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	do[*protocol.ChangeStatusReply](t, sup, &protocol.ChangeStatusRequest{Action: protocol.ActionForceCheckout,
		Operated: protocol.Operated{OperatedAgentID: rtcID}})
	a.status(protocol.StatusOffline, "")
	waitSDK(a, "unregistered", func(e *RTCRegistrationEvent) bool { return e.State == "unregistered" })
	// Checking in again right away makes a new phone that the old OFFLINE
	// does not touch.
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	ph := a.Phone()
	if ph == nil {
		t.Fatal("no phone after checking in again")
	}
	// checkout and check-in back to back: the checkout's OFFLINE, handled
	// after the check-in's reply, must not close the new phone.
	do[*protocol.BasicReply](t, a.tagent, &protocol.CheckoutRequest{})
	if _, err := a.Checkin(context.Background(), &protocol.CheckinRequest{AgentPwd: "919191Aa.", StartStatus: protocol.StatusFree}); err != nil {
		t.Fatal(err)
	}
	a.status(protocol.StatusOffline, "")
	a.status(protocol.StatusFree, "")
	a.quiet()
	a.registered()
	if p := a.Phone(); p == nil || p == ph {
		t.Fatalf("phone after checkout + checkin: %p (old %p)", p, ph)
	}
	waitFor(t, "one binding at the PBX", func() bool {
		r := e.srv.RTCRegistrations()
		return len(r) == 1 && a.Phone().Registration() == rtc.RegRegistered
	})
}

func TestRTCEventsMarshal(t *testing.T) {
	for _, ev := range []session.Event{
		&RTCRegistrationEvent{MsgType: MsgRTCRegistration, State: "registered"},
		&RTCCallEvent{MsgType: MsgRTCCall, UUID: "u", State: "ringing"},
		&ConnectivityEvent{MsgType: MsgConnectivity, State: "ok", Calls: []ConnectivityCall{{UUID: "u", ICE: "connected"}}},
		&RTCDTMFEvent{MsgType: MsgRTCDTMF, UUID: "u", Digit: "5", Mode: "info"},
		&RTCStatsEvent{MsgType: MsgRTCStats, UUID: "u", MOS: protocol.Ptr(4.4)},
	} {
		b, err := json.Marshal(ev)
		if err != nil || !strings.Contains(string(b), `"msg_type":"`+string(ev.Type())+`"`) {
			t.Fatalf("%T: %s %v", ev, b, err)
		}
		if _, isProto := ev.(protocol.Event); isProto {
			t.Fatalf("%T passes for a server event", ev)
		}
	}
}

func TestRTCDisabledByConfig(t *testing.T) {
	e := newEnv(t, nil)
	a := e.rtcAgent(t, func(c *Config) { c.DisableRTC = true })
	a.checkinRTC(protocol.StatusFree)
	if a.Phone() != nil {
		t.Fatal("phone made with DisableRTC")
	}
	if _, err := a.Do(context.Background(), &protocol.MuteRequest{UUID: "u", Mute: true}); !errors.Is(err, ErrMuteNeedsRTC) {
		t.Fatalf("mute: %v", err)
	}
	if err := a.PlayTone("", 440); !errors.Is(err, ErrNoRTC) {
		t.Fatalf("PlayTone: %v", err)
	}
	a.quiet()
	select {
	case ev := <-a.sdk:
		t.Fatalf("RTC event with DisableRTC: %+v", ev)
	default:
	}
	if regs := e.srv.RTCRegistrations(); len(regs) != 0 {
		t.Fatalf("registrations %+v", regs)
	}
}

func TestRTCConfigKeys(t *testing.T) {
	a, err := New(Config{WSURL: "ws://127.0.0.1:1/ws", DisableRTC: true, RTCDomain: "d",
		ICEServers:       []ICEServer{{URLs: []string{"stun:s:3478"}, Username: "u", Credential: "p"}},
		RTCStatsInterval: time.Second, RTCKeepalive: 5 * time.Second, RTCDefaultSource: "tone:440", RTCIncludeLoopback: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for _, src := range []string{"tone:x", "beep", "wav:/no/such/file.wav"} {
		if a, err := New(Config{WSURL: "ws://127.0.0.1:1/ws", RTCDefaultSource: src}, nil); !errors.Is(err, session.ErrInvalidArgument) {
			if a != nil {
				a.Close()
			}
			t.Errorf("rtc_default_source %q: %v", src, err)
		}
	}
}

func TestRTCCheckoutAfterCallStopClosesPhone(t *testing.T) {
	bothPBXModes(t, func(t *testing.T, e *env, plain bool) {
		a := e.rtcAgent(t, nil)
		a.checkinRTC(protocol.StatusFree)
		a.registered()
		uuid := outboundCall(t, a.tagent, protocol.StatusFree)
		a.callState(uuid, "answered")
		do[*protocol.ChangeStatusReply](t, a.tagent, &protocol.ChangeStatusRequest{Action: protocol.ActionCheckoutAfterCallStop})
		if a.Phone() == nil {
			t.Fatal("phone closed before the call ended")
		}
		do[*protocol.BasicReply](t, a.tagent, &protocol.HangupRequest{UUID: uuid})
		a.cb(protocol.CbCall, protocol.PhaseEndCall)
		a.status(protocol.StatusArrange, "")
		a.status(protocol.StatusOffline, "")
		// The OFFLINE may close the phone before the PBX's BYE ends the call, so
		// "ended" and "unregistered" come in either order.
		var ended, unregistered bool
		waitSDK(a, "call ended and unregistered", func(e session.Event) bool {
			switch e := e.(type) {
			case *RTCCallEvent:
				ended = ended || (e.UUID == uuid && e.State == "ended")
			case *RTCRegistrationEvent:
				unregistered = unregistered || e.State == "unregistered"
			}
			return ended && unregistered
		})
		if a.Phone() != nil {
			t.Fatal("phone kept after CHECKOUT_AFTER_CALL_STOP")
		}
	})
}
