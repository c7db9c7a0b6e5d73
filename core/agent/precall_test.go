package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/quality"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
	"github.com/cloudcc/agent-sdk/internal/sim"
)

// The pre-call test against ccsim: its PBX's echo extension (9196) on a
// clean path and with the PBX's impairments, and the steps that fail or
// are skipped when the registrar cannot be reached, there is no echo
// number, a STUN server does not answer.

const echoExt = sim.DefaultEchoNumber

func (ra *rtcAgent) precall(o PrecallOptions) *PrecallResult {
	ra.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := ra.PrecallTest(ctx, o)
	if err != nil {
		ra.t.Fatalf("PrecallTest: %v", err)
	}
	ra.t.Logf("pre-call: grade %v mos %v rtt %v jitter %v loss %v level %v failed %q steps %+v", deref(res.Grade), deref(res.MOS),
		deref(res.RTTMs), deref(res.JitterMs), deref(res.Loss), deref(res.InputLevelDBFS), res.FailedStep, res.Steps)
	if len(res.Steps) != 4 || res.Steps[0].Name != StepRegistrar || res.Steps[1].Name != StepICE ||
		res.Steps[2].Name != StepEchoCall || res.Steps[3].Name != StepMicrophone {
		ra.t.Fatalf("steps %+v", res.Steps)
	}
	return res
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// stepIs checks a step's outcome: "ok", "skipped" or "failed", with an
// error mentioning want.
func stepIs(t *testing.T, s PrecallStep, outcome, want string) {
	t.Helper()
	got := "failed"
	switch {
	case s.OK && !s.Skipped:
		got = "ok"
	case s.Skipped && !s.OK:
		got = "skipped"
	}
	if got != outcome || !strings.Contains(s.Error, want) || (outcome == "ok") != (s.Error == "") {
		t.Fatalf("step %s: %+v, want %s with %q", s.Name, s, outcome, want)
	}
}

func TestPrecallGradedAgainstTheEchoExtension(t *testing.T) {
	e := newEnv(t, nil)
	a, w := e.precallAgent(t, withEcho)

	// A clean path (loopback): excellent.
	res := a.precall(PrecallOptions{Duration: 2 * time.Second})
	for _, s := range res.Steps[:3] {
		stepIs(t, s, "ok", "")
	}
	stepIs(t, res.Steps[3], "skipped", "host mode") // no voice processing on the call
	if res.FailedStep != "" || res.Grade == nil || *res.Grade != quality.Excellent || *res.MOS <= 4.2 ||
		res.RTTMs == nil || *res.RTTMs > 100 || *res.Loss != 0 || *res.JitterMs > 20 || res.InputLevelDBFS != nil {
		t.Fatalf("clean path: %+v", res)
	}
	if echo := res.Steps[2]; echo.MS < 2000 || echo.MS > 10000 {
		t.Fatalf("the echo call took %d ms for 2 s measured", echo.MS)
	}
	if calls := a.RTCCalls(); len(calls) != 0 {
		t.Fatalf("the echo call is left: %v", calls)
	}

	// The agent's network loses 15% and adds 400 ms each way at the PBX:
	// the grade goes down, the figures say why.
	if err := e.srv.Impair(sim.ImpairSpec{AgentID: rtcID, Loss: 0.15, DelayMS: 400}); err != nil {
		t.Fatal(err)
	}
	res = a.precall(PrecallOptions{EchoNumber: echoExt, Duration: 3 * time.Second})
	stepIs(t, res.Steps[2], "ok", "")
	if res.FailedStep != "" || res.Grade == nil || *res.Grade == quality.Excellent || *res.Grade == quality.Great ||
		*res.MOS >= 3.7 || *res.Loss < 0.05 || *res.Loss > 0.3 || res.RTTMs == nil || *res.RTTMs < 400 {
		t.Fatalf("impaired path: %+v", res)
	}
	if err := e.srv.Impair(sim.ImpairSpec{AgentID: rtcID}); err != nil {
		t.Fatal(err)
	}
	// The test's call is measured by the test: no warnings from it.
	if r := w.raisedNow(); len(r) != 0 {
		t.Fatalf("warnings from the pre-call test's call: %v", r)
	}
}

func TestPrecallMicrophoneFromTheVoiceMeter(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.precallAgent(t, withEcho)
	// The call's voice meter, as device mode's processor sets it: here
	// the test's, set as soon as the test's call shows up.
	run := func(level float64) *PrecallResult {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond): // poll for the call
				}
				for _, u := range a.RTCCalls() {
					if strings.HasPrefix(u, precallUUIDPrefix) {
						_ = a.withCall(u, func(_ *rtc.Call, _ *rtc.MediaCall, st *callAudio) error {
							st.meter = func() (float64, bool, bool) { return level, false, true }
							return nil
						})
						return
					}
				}
			}
		}()
		defer func() { close(done); wg.Wait() }()
		return a.precall(PrecallOptions{Duration: 2 * time.Second})
	}
	res := run(-35)
	stepIs(t, res.Steps[3], "ok", "")
	if res.InputLevelDBFS == nil || math.Abs(*res.InputLevelDBFS+35) > 0.01 || res.FailedStep != "" || *res.Grade != quality.Excellent {
		t.Fatalf("a microphone at -35 dBFS: %+v", res)
	}
	// A microphone that gives nothing: the step fails, the grade is degraded.
	res = run(-100)
	stepIs(t, res.Steps[3], "failed", "no signal from the microphone")
	if res.FailedStep != StepMicrophone || *res.Grade != quality.Degraded || *res.MOS <= 4.2 {
		t.Fatalf("a silent microphone: %+v", res)
	}
}

// Host mode with voice processing and an app that pushes no microphone
// audio during the test: the call has a meter, which reads nothing; the
// microphone step fails (it is not skipped as if there were no meter,
// and not judged on the processor's level before any frame).
func TestPrecallMicrophoneWithoutMicrophoneAudio(t *testing.T) {
	e := newEnv(t, nil)
	on := true
	a, _ := e.precallAgent(t, func(c *Config) { c.RTCEchoNumber = echoExt; c.AudioAEC = &on })
	res := a.precall(PrecallOptions{Duration: time.Second})
	stepIs(t, res.Steps[2], "ok", "")
	stepIs(t, res.Steps[3], "failed", "no audio from the microphone")
	if res.FailedStep != StepMicrophone || res.InputLevelDBFS != nil {
		t.Fatalf("no microphone audio: %+v", res)
	}
}

func TestPrecallWithoutEchoNumber(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.precallAgent(t, nil)
	res := a.precall(PrecallOptions{Duration: time.Second})
	stepIs(t, res.Steps[0], "ok", "")
	stepIs(t, res.Steps[1], "ok", "")
	stepIs(t, res.Steps[2], "skipped", "no echo number")
	stepIs(t, res.Steps[3], "skipped", "no echo call")
	if res.FailedStep != "" || res.Grade != nil || res.MOS != nil || res.RTTMs != nil || res.JitterMs != nil || res.Loss != nil {
		t.Fatalf("nothing measured: %+v", res)
	}
	// A number the PBX does not have: the echo call fails (403: agent
	// calls are refused but to the echo extension).
	res = a.precall(PrecallOptions{EchoNumber: "9999", Duration: time.Second})
	stepIs(t, res.Steps[2], "failed", "9999")
	if res.FailedStep != StepEchoCall || *res.Grade != quality.Degraded || res.MOS != nil {
		t.Fatalf("no such echo number: %+v", res)
	}
}

func TestPrecallRegistrarUnreachable(t *testing.T) {
	// Check-in names a registrar nobody listens at.
	e := newEnv(t, func(c *sim.Config) { c.RTCAddress = "ws://127.0.0.1:1/sip" })
	a, _ := e.qualityAgent(t, func(c *Config) { c.RTCEchoNumber = echoExt })
	a.checkinRTC(protocol.StatusFree)
	t0 := time.Now()
	res := a.precall(PrecallOptions{Duration: time.Second})
	stepIs(t, res.Steps[0], "failed", "not reachable")
	stepIs(t, res.Steps[1], "ok", "") // gathering needs no registrar
	stepIs(t, res.Steps[2], "skipped", "registrar")
	stepIs(t, res.Steps[3], "skipped", "no echo call")
	if res.FailedStep != StepRegistrar || res.Grade == nil || *res.Grade != quality.Degraded || res.MOS != nil {
		t.Fatalf("registrar unreachable: %+v", res)
	}
	if d := time.Since(t0); d > precallRegisterWait+precallICEWait {
		t.Fatalf("the test took %v", d)
	}
}

// stunServer answers STUN binding requests on the loopback with the
// sender's address (RFC 5389: XOR-MAPPED-ADDRESS), or not at all.
func stunServer(t *testing.T) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			const cookie = 0x2112A442
			if n < 20 || binary.BigEndian.Uint16(buf) != 0x0001 || binary.BigEndian.Uint32(buf[4:]) != cookie {
				continue
			}
			res := make([]byte, 32)
			binary.BigEndian.PutUint16(res, 0x0101) // binding success
			binary.BigEndian.PutUint16(res[2:], 12)
			copy(res[4:20], buf[4:20]) // cookie, transaction id
			binary.BigEndian.PutUint16(res[20:], 0x0020)
			binary.BigEndian.PutUint16(res[22:], 8)
			res[25] = 0x01 // IPv4
			binary.BigEndian.PutUint16(res[26:], uint16(from.Port)^uint16(cookie>>16))
			binary.BigEndian.PutUint32(res[28:], binary.BigEndian.Uint32(from.IP.To4())^cookie)
			_, _ = conn.WriteToUDP(res, from)
		}
	}()
	return conn.LocalAddr().String()
}

func TestPrecallICEWithSTUN(t *testing.T) {
	stun := stunServer(t)
	e := newEnv(t, nil)
	ok, _ := e.precallAgent(t, func(c *Config) { c.ICEServers = []ICEServer{{URLs: []string{"stun:" + stun}}} })
	res := ok.precall(PrecallOptions{Duration: time.Second})
	stepIs(t, res.Steps[1], "ok", "")

	// A STUN server that never answers: no reflexive candidate.
	dead, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // bound, silent
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	do[*protocol.BasicReply](t, ok.tagent, &protocol.CheckoutRequest{})
	ok.status(protocol.StatusOffline, "")
	bad, _ := e.precallAgent(t, func(c *Config) { c.ICEServers = []ICEServer{{URLs: []string{"stun:" + dead.LocalAddr().String()}}} })
	res = bad.precall(PrecallOptions{Duration: time.Second})
	stepIs(t, res.Steps[1], "failed", "no server-reflexive candidate from the STUN server(s) stun:"+dead.LocalAddr().String())
	if res.FailedStep != StepICE || *res.Grade != quality.Degraded {
		t.Fatalf("silent STUN server: %+v", res)
	}
}

func TestPrecallRefusals(t *testing.T) {
	e := newEnv(t, nil)
	// Not in RTC mode: a softphone agent.
	soft := e.agent(t, "090008", "090008_6000", "en-US")
	if _, err := soft.PrecallTest(context.Background(), PrecallOptions{}); !errors.Is(err, ErrNoRTC) {
		t.Fatalf("softphone: %v", err)
	}
	a, _ := e.precallAgent(t, withEcho)
	var ce *ConfigError
	if _, err := New(Config{WSURL: e.ws, RTCEchoNumber: "91 96"}, nil); !errors.As(err, &ce) || ce.Field != "RTCEchoNumber" ||
		!errors.Is(err, session.ErrInvalidArgument) {
		t.Fatalf("config echo number with a space: %v", err)
	}
	for _, o := range []PrecallOptions{{Duration: -time.Second}, {Duration: 31 * time.Second}, {EchoNumber: "91 96"}, {EchoNumber: "<sip:x>"}} {
		if _, err := a.PrecallTest(context.Background(), o); !errors.Is(err, session.ErrInvalidArgument) {
			t.Fatalf("%+v: %v", o, err)
		}
	}
	// One test at a time.
	first := make(chan error, 1)
	go func() {
		_, err := a.PrecallTest(context.Background(), PrecallOptions{Duration: time.Second})
		first <- err
	}()
	waitFor(t, "the first test running", func() bool { a.q.mu.Lock(); defer a.q.mu.Unlock(); return a.q.precall })
	if _, err := a.PrecallTest(context.Background(), PrecallOptions{}); !errors.Is(err, ErrPrecallBusy) {
		t.Fatalf("a second test at once: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// Not during a call.
	uuid := outboundCall(t, a.tagent, protocol.StatusFree)
	a.callState(uuid, "confirmed")
	if _, err := a.PrecallTest(context.Background(), PrecallOptions{}); !errors.Is(err, ErrPrecallBusy) {
		t.Fatalf("during a call: %v", err)
	}
	// Cancelled: the steps fail with the context's error, at once.
	hangupToFree(t, a.tagent, uuid, protocol.CbCall)
	a.callState(uuid, "ended")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := a.PrecallTest(ctx, PrecallOptions{})
	if err != nil || res.FailedStep == "" {
		t.Fatalf("cancelled: %+v %v", res, err)
	}
}

// The grade is the reported MOS's, at the grades' edges too: an app that
// reads "mos":4.2 must not see "excellent" (over 4.2), nor 4.1 "good".
func TestPrecallGradeMatchesTheReportedMOS(t *testing.T) {
	for _, c := range []struct {
		mos  float64
		want quality.Grade
	}{{4.2004, quality.Great}, {4.2006, quality.Excellent}, {4.0996, quality.Great}, {3.6996, quality.Good},
		{3.0996, quality.Fair}, {3.0994, quality.Degraded}} {
		var res PrecallResult
		res.setFigures(echoFigures{measured: true, mos: c.mos})
		if *res.Grade != c.want || quality.GradeMOS(*res.MOS) != *res.Grade {
			t.Errorf("MOS %v: reported %v graded %s, want %s", c.mos, *res.MOS, *res.Grade, c.want)
		}
	}
	res := PrecallResult{FailedStep: StepEchoCall}
	res.setFigures(echoFigures{measured: true, mos: 4.4})
	if *res.Grade != quality.Degraded {
		t.Errorf("a failed step: %s", *res.Grade)
	}
}

// precallAgent is a quality agent (mod changes its config) checked in free
// and registered: ready for a pre-call test.
func (e *env) precallAgent(t *testing.T, mod func(*Config)) (*rtcAgent, *warnLog) {
	t.Helper()
	a, w := e.qualityAgent(t, mod)
	a.checkinRTC(protocol.StatusFree)
	a.registered()
	return a, w
}

// withEcho offers ccsim's echo extension for the pre-call test's call.
func withEcho(c *Config) { c.RTCEchoNumber = echoExt }
