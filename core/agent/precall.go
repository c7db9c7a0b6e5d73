package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/quality"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/session"
)

// The pre-call test of RTC mode (docs/audio.md, "Pre-call test"): what an
// app runs before the agent takes calls. Step by step: the registrar can
// be reached, ICE gathers with the configured STUN/TURN servers, a short
// call to an echo extension measures RTT, jitter, loss and MOS, and the
// microphone's level is read on that call. Each step is bounded; the
// whole test takes at most about 40 s plus the echo call's duration.

// The steps' names, in their order.
const (
	StepRegistrar  = "registrar"
	StepICE        = "ice"
	StepEchoCall   = "echo_call"
	StepMicrophone = "microphone"
)

// Bounds of the pre-call test.
const (
	DefaultPrecallDuration = 5 * time.Second  // the echo call's measurement
	MaxPrecallDuration     = 30 * time.Second // longest measurement asked for
	precallRegisterWait    = 5 * time.Second  // a REGISTER round trip
	precallICEWait         = 12 * time.Second // gathering (pion waits 5 s per STUN server)
	precallDialWait        = 10 * time.Second // the echo call answered
	precallAudioWait       = 10 * time.Second // its first audio back
	precallHangupWait      = 3 * time.Second
	// silentMicDBFS: a microphone whose loudest second is below this
	// gives no signal at all (a room's noise is around -60 dBFS).
	silentMicDBFS = -80.0
)

// ErrPrecallBusy: a pre-call test is already running, or the phone has a
// call (the test's own call would compete with it for the microphone).
var ErrPrecallBusy = errors.New("cloudcc: a pre-call test or a call is in progress on the agent's phone")

// PrecallOptions shape a pre-call test.
type PrecallOptions struct {
	// EchoNumber is the echo extension to call; "" takes
	// Config.RTCEchoNumber, and when that is "" too the echo step (and
	// with it the microphone's) is skipped.
	EchoNumber string
	// Duration is how long the echo call is measured: 0 is
	// DefaultPrecallDuration, at most MaxPrecallDuration.
	Duration time.Duration
}

// PrecallStep is one step's outcome: OK, or Skipped (with why in Error),
// or failed (Error); MS is how long it took.
type PrecallStep struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"`
	MS      int64  `json:"ms"`
	Error   string `json:"error,omitempty"`
}

// PrecallResult is a pre-call test's outcome. Grade is the echo call's MOS
// graded (quality.GradeMOS), or "degraded" when a step failed; the figures
// are the echo call's (RTT in ms from RTCP, jitter in ms, loss a share,
// MOS by the E-model). A figure the test did not measure is nil (JSON
// null): all of them when the echo call was skipped. FailedStep names the
// first step that failed, if one did.
type PrecallResult struct {
	Grade          *quality.Grade `json:"grade"`
	MOS            *float64       `json:"mos"`
	RTTMs          *float64       `json:"rtt_ms"`
	JitterMs       *float64       `json:"jitter_ms"`
	Loss           *float64       `json:"loss"`
	InputLevelDBFS *float64       `json:"input_level_dbfs,omitempty"`
	Steps          []PrecallStep  `json:"steps"`
	FailedStep     string         `json:"failed_step,omitempty"`
}

// PrecallTest runs the pre-call test and returns its result; it blocks
// until done. It needs RTC mode (a check-in that answered login_type "1":
// else ErrNoRTC), no call on the phone and no other test running (else
// ErrPrecallBusy). A step that fails is in the result, not an error. ctx
// ends it early (each step then fails with ctx's error).
func (a *Agent) PrecallTest(ctx context.Context, o PrecallOptions) (*PrecallResult, error) {
	in := a.cur()
	if in == nil {
		return nil, fmt.Errorf("%w: the pre-call test needs the SDK's phone", ErrNoRTC)
	}
	dur := o.Duration
	switch {
	case dur == 0:
		dur = DefaultPrecallDuration
	case dur < 0 || dur > MaxPrecallDuration:
		return nil, fmt.Errorf("%w: pre-call duration %v (want more than 0, at most %v)", session.ErrInvalidArgument, dur, MaxPrecallDuration)
	}
	number := strings.TrimSpace(o.EchoNumber)
	if number == "" {
		number = strings.TrimSpace(a.cfg.RTCEchoNumber)
	}
	if err := checkEchoNumber(number); err != nil {
		return nil, fmt.Errorf("%w: %v", session.ErrInvalidArgument, err)
	}
	a.q.mu.Lock()
	busy := a.q.precall
	for _, c := range in.ph.Calls() {
		busy = busy || c.State() != rtc.CallEnded
	}
	if !busy {
		a.q.precall = true
	}
	a.q.mu.Unlock()
	if busy {
		return nil, ErrPrecallBusy
	}
	defer func() {
		a.q.mu.Lock()
		a.q.precall = false
		a.q.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // the phone going away (checkout, Close) ends the test
		select {
		case <-in.stop:
			cancel()
		case <-ctx.Done():
		}
	}()

	res := &PrecallResult{}
	reg := a.precallRegistrar(ctx, in)
	ice := a.precallICE(ctx, in)
	echo, fig := a.precallEcho(ctx, in, number, dur, reg)
	mic := precallMicrophone(echo, fig)
	a.rmu.Lock()
	closed := a.closed
	a.rmu.Unlock()
	if closed {
		// Close cut the test short: its steps would read as a network
		// that failed them.
		return nil, fmt.Errorf("pre-call test: %w", session.ErrClosed)
	}
	res.Steps = []PrecallStep{reg, ice, echo, mic}
	for _, s := range res.Steps {
		if !s.OK && !s.Skipped {
			res.FailedStep = s.Name
			break
		}
	}
	res.setFigures(fig)
	return res, nil
}

// setFigures puts the echo call's figures in the result and grades it
// (once FailedStep is set). The grade is the reported MOS's: a MOS of
// 4.2004 reads 4.2 and so is great, not excellent ("over 4.2").
func (res *PrecallResult) setFigures(fig echoFigures) {
	if fig.measured {
		res.MOS, res.JitterMs, res.Loss = ptr(round3(fig.mos)), ptr(round3(fig.jitterMs)), ptr(round3(fig.loss))
		if fig.hasRTT {
			res.RTTMs = ptr(round3(fig.rttMs))
		}
		res.Grade = ptr(quality.GradeMOS(*res.MOS))
	}
	if fig.hasLevel && fig.measured { // an echo call ended early worked no level out
		res.InputLevelDBFS = ptr(round3(fig.levelDBFS))
	}
	if res.FailedStep != "" {
		res.Grade = ptr(quality.Degraded)
	}
}

// checkEchoNumber refuses what cannot be a number or a SIP URI to dial.
func checkEchoNumber(number string) error {
	number = strings.TrimSpace(number)
	if strings.IndexFunc(number, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>"`, r) }) >= 0 {
		return fmt.Errorf("echo number %q: want a number or a SIP URI, without spaces or <>\"", number)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// step times one step.
func step(name string, fn func() (skipped bool, err error)) PrecallStep {
	t0 := time.Now()
	skipped, err := fn()
	s := PrecallStep{Name: name, OK: err == nil && !skipped, Skipped: skipped, MS: time.Since(t0).Milliseconds()}
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// precallRegistrar: the phone is registered, or a REGISTER round trip
// succeeds now.
func (a *Agent) precallRegistrar(ctx context.Context, in *phoneInst) PrecallStep {
	return step(StepRegistrar, func() (bool, error) {
		if in.ph.Registration() == rtc.RegRegistered {
			return false, nil
		}
		rctx, cancel := context.WithTimeout(ctx, precallRegisterWait)
		defer cancel()
		if err := in.ph.Register(rctx); err != nil {
			return false, fmt.Errorf("the registrar (%s) is not reachable: %w", in.key.url, err)
		}
		return false, nil
	})
}

// precallICE gathers candidates as a call would, with the configured
// STUN/TURN servers, and checks that each kind of server gave its kind of
// candidate.
func (a *Agent) precallICE(ctx context.Context, in *phoneInst) PrecallStep {
	return step(StepICE, func() (bool, error) {
		c, err := in.eng.Engine().NewCall(media.CallOptions{Audio: media.SendRecv})
		if err != nil {
			return false, fmt.Errorf("ICE: %w", err)
		}
		defer c.Close()
		ictx, cancel := context.WithTimeout(ctx, precallICEWait)
		defer cancel()
		offer, err := c.CreateOffer(ictx, false)
		if err != nil {
			return false, fmt.Errorf("ICE gathering: %w", err)
		}
		kinds := map[string]int{} // host, srflx, prflx, relay
		for _, line := range strings.Split(offer, "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "a=candidate:") {
				for i := 0; i+1 < len(f); i++ {
					if f[i] == "typ" {
						kinds[f[i+1]]++
					}
				}
			}
		}
		var stun, turn []string
		for _, s := range a.cfg.ICEServers {
			for _, u := range s.URLs {
				switch {
				case strings.HasPrefix(u, "stun:") || strings.HasPrefix(u, "stuns:"):
					stun = append(stun, u)
				case strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:"):
					turn = append(turn, u)
				}
			}
		}
		switch {
		case len(kinds) == 0:
			return false, errors.New("ICE gathering found no candidate (no usable network interface)")
		case len(turn) > 0 && kinds["relay"] == 0:
			return false, fmt.Errorf("no relayed candidate from the TURN server(s) %s", strings.Join(turn, ", "))
		case len(stun) > 0 && kinds["srflx"] == 0 && kinds["relay"] == 0:
			return false, fmt.Errorf("no server-reflexive candidate from the STUN server(s) %s", strings.Join(stun, ", "))
		}
		return false, nil
	})
}

// echoFigures are what the echo call measured.
type echoFigures struct {
	measured                   bool
	mos, rttMs, jitterMs, loss float64
	hasRTT                     bool
	// metered: the call had a voice meter; the meter's readings during
	// the call: their mean, the loudest, how many (none while no
	// microphone audio reached the processor)
	metered                bool
	hasLevel               bool
	levelDBFS, loudestDBFS float64
	levelReadings          int
}

// precallEcho calls the echo extension and measures the call for dur.
func (a *Agent) precallEcho(ctx context.Context, in *phoneInst, number string, dur time.Duration, reg PrecallStep) (PrecallStep, echoFigures) {
	var fig echoFigures
	s := step(StepEchoCall, func() (bool, error) {
		switch {
		case number == "":
			return true, errors.New("no echo number (config rtc_echo_number, or the test's echo_number)")
		case !reg.OK:
			return true, errors.New("the registrar step failed")
		}
		dctx, cancel := context.WithTimeout(ctx, precallDialWait)
		defer cancel()
		var id [4]byte
		_, _ = rand.Read(id[:])
		c, err := in.ph.Dial(dctx, number, rtc.DialOptions{UUID: precallUUIDPrefix + hex.EncodeToString(id[:])})
		if err != nil {
			return false, fmt.Errorf("the echo call to %s failed: %w", number, err)
		}
		defer func() {
			hctx, cancel := context.WithTimeout(context.Background(), precallHangupWait)
			defer cancel()
			_ = c.Hangup(hctx)
		}()
		mc, ok := c.Media().(*rtc.MediaCall)
		if !ok {
			return false, errors.New("the echo call has no media")
		}
		return false, a.measureEcho(ctx, c, mc, dur, &fig)
	})
	return s, fig
}

// measureEcho waits for the echo's first audio, then reads the call's
// statistics (and voice meter) for dur.
func (a *Agent) measureEcho(ctx context.Context, c *rtc.Call, mc *rtc.MediaCall, dur time.Duration, fig *echoFigures) error {
	const every = 200 * time.Millisecond
	t := time.NewTicker(every)
	defer t.Stop()
	wait := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.Done():
			code, reason := c.EndReason()
			return fmt.Errorf("the echo call ended: %d %s", code, reason)
		case <-t.C:
			return nil
		}
	}
	deadline := time.Now().Add(precallAudioWait)
	for a.q.read(mc).Audio.PacketsReceived == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("no audio came back from the echo extension within %v", precallAudioWait)
		}
		if err := wait(); err != nil {
			return err
		}
	}
	first := a.q.read(mc)
	var rtts, jitters []float64
	var levelSum float64
	fig.loudestDBFS = math.Inf(-1)
	last := first
	for end := time.Now().Add(dur); time.Now().Before(end); {
		if err := wait(); err != nil {
			return err
		}
		cur := a.q.read(mc)
		if cur.RTT > 0 {
			rtts = append(rtts, ms(cur.RTT))
		}
		if cur.Audio.PacketsReceived > last.Audio.PacketsReceived {
			jitters = append(jitters, ms(cur.Audio.Jitter))
		}
		last = cur
		if meter := a.callMeter(c); meter != nil {
			fig.metered = true
			if level, _, ok := meter(); ok {
				fig.hasLevel = true
				fig.levelReadings++
				levelSum += math.Pow(10, level/10) // a power mean: a silent second does not outweigh a spoken one
				fig.loudestDBFS = max(fig.loudestDBFS, level)
			}
		}
	}
	rx := delta(last.Audio.PacketsReceived, first.Audio.PacketsReceived)
	if rx == 0 {
		return errors.New("the echo stopped: no audio came back during the measurement")
	}
	lost := max(last.Audio.PacketsLost-first.Audio.PacketsLost, 0)
	expected := float64(rx) + float64(lost)
	fig.loss = float64(lost) / expected
	fig.jitterMs = mean(jitters)
	oneWay := oneWayDelay(last)
	if len(rtts) > 0 {
		fig.hasRTT, fig.rttMs = true, mean(rtts)
		oneWay += time.Duration(fig.rttMs/2*float64(time.Millisecond)) - last.RTT/2
	}
	late := float64(delta(last.Late, first.Late)) / expected
	_, fig.mos = media.EModelFor(last.AudioCodec, oneWay, fig.loss+late)
	fig.measured = true
	if fig.hasLevel {
		fig.levelDBFS = 10 * math.Log10(max(levelSum/float64(fig.levelReadings), 1e-12))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// precallMicrophone judges the microphone by the levels the echo call's
// voice meter read.
func precallMicrophone(echo PrecallStep, fig echoFigures) PrecallStep {
	s := PrecallStep{Name: StepMicrophone}
	switch {
	case !echo.OK:
		s.Skipped, s.Error = true, "no echo call to read the microphone's level on"
	case !fig.metered:
		s.Skipped, s.Error = true, "the call's audio does not pass through the SDK's voice processing (host mode): no level to read"
	case !fig.hasLevel:
		s.Error = "no audio from the microphone reached the voice processing"
	case fig.loudestDBFS < silentMicDBFS:
		s.Error = fmt.Sprintf("no signal from the microphone (loudest %.1f dBFS)", fig.loudestDBFS)
	default:
		s.OK = true
	}
	return s
}
