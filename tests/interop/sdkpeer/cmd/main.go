// Command sdkpeer serves the interop harness's peer protocol (see
// tests/interop/sdkpeer) with the SDK's own phone: core/rtc for SIP over
// WebSocket and core/media (pion) for the media. Nothing of the reference
// phone is used.
//
// Every call plays the tone_hz tone of "register" and keeps the last
// second of what it receives (8 kHz mono, the receive path's decoded
// audio) for the "tone" command. Incoming calls ring (auto-answer hints
// are ignored) until "answer".
//
// Logs go to stderr (warnings and up; SDKPEER_DEBUG=1 adds every SIP
// message).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/tests/interop/sdkpeer"
)

func main() {
	level := slog.LevelWarn
	if os.Getenv("SDKPEER_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("peer", "sdk")
	// pion's warnings at call close ("stream is already closed", "ping
	// without candidate pairs") are noise here; its errors are kept.
	mediaLevel := slog.LevelError
	if level == slog.LevelDebug {
		mediaLevel = slog.LevelDebug
	}
	mediaLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: mediaLevel})).With("peer", "sdk")
	if err := sdkpeer.Serve(os.Stdin, os.Stdout, func(ctx context.Context, a sdkpeer.RegisterArgs) (sdkpeer.Phone, error) {
		return open(ctx, a, log, mediaLog)
	}); err != nil {
		fmt.Fprintln(os.Stderr, "sdkpeer:", err)
		os.Exit(1)
	}
}

// tap keeps the last second of received audio.
type tap struct {
	mu  sync.Mutex
	pcm []int16
}

const tapKeep = 8000

func (t *tap) WritePCM(s []int16, rate int) {
	if rate != 8000 {
		return // core/media's sinks run at 8 kHz
	}
	t.mu.Lock()
	t.pcm = append(t.pcm, s...)
	if len(t.pcm) > 2*tapKeep {
		t.pcm = append(t.pcm[:0], t.pcm[len(t.pcm)-tapKeep:]...)
	}
	t.mu.Unlock()
}

func (t *tap) recent(n int) []int16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n = min(n, len(t.pcm))
	return append([]int16(nil), t.pcm[len(t.pcm)-n:]...)
}

// tappedMedia is a call's core/media session with the harness's tone as
// its source and a tap as a sink, set before any media flows.
type tappedMedia struct {
	*rtc.MediaCall
	tap *tap
}

type phone struct {
	ph       *rtc.Phone
	eng      *rtc.MediaEngine
	incoming chan *rtc.Call
}

func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

func open(ctx context.Context, a sdkpeer.RegisterArgs, log, mediaLog *slog.Logger) (sdkpeer.Phone, error) {
	eng, err := rtc.NewMediaEngine(rtc.MediaEngineConfig{IncludeLoopback: true, IPFilter: loopbackOnly, Logger: mediaLog})
	if err != nil {
		return nil, err
	}
	hz := a.ToneHz
	if hz <= 0 {
		hz = 1000
	}
	factory := rtc.MediaFactoryFunc(func(o rtc.MediaOptions) (rtc.Media, error) {
		m, err := eng.NewMedia(o)
		if err != nil {
			return nil, err
		}
		mc := m.(*rtc.MediaCall)
		t := &tap{}
		mc.SetAudioSource(media.ToneSource(hz, 8000))
		mc.AddAudioSink(t)
		return &tappedMedia{MediaCall: mc, tap: t}, nil
	})
	p := &phone{eng: eng, incoming: make(chan *rtc.Call, 16)}
	p.ph, err = rtc.New(rtc.Config{
		URL:              a.WS,
		Domain:           a.Domain,
		User:             a.User,
		Password:         a.Password,
		UserAgent:        "cloudcc-agent-sdk (interop)",
		Media:            factory,
		IgnoreAutoAnswer: true,
		Reconnect:        rtc.Backoff{Disabled: true},
		Logger:           log,
		OnEvent: func(e rtc.Event) {
			if e.Type == rtc.EventCall && e.CallState == rtc.CallRinging && e.Call.Incoming() {
				select {
				case p.incoming <- e.Call:
				default:
					log.Warn("incoming call dropped: nobody waits", "call", e.Call.ID())
				}
			}
		},
	})
	if err != nil {
		_ = eng.Close()
		return nil, err
	}
	if err := p.ph.Register(ctx); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("register: %w", err)
	}
	return p, nil
}

func (p *phone) WaitIncoming(ctx context.Context) (sdkpeer.Call, error) {
	for {
		select {
		case c := <-p.incoming:
			select {
			case <-c.Done(): // a ringing call that ended (CANCEL) before anyone asked
				continue
			default:
			}
			return &call{c: c}, nil
		case <-ctx.Done():
			return nil, errors.New("no incoming call")
		}
	}
}

func (p *phone) Dial(ctx context.Context, target string) (sdkpeer.Call, error) {
	c, err := p.ph.Dial(ctx, target, rtc.DialOptions{})
	if err != nil {
		return nil, err
	}
	return &call{c: c}, nil
}

func (p *phone) Close() error {
	err := p.ph.Close()
	_ = p.eng.Close()
	return err
}

type call struct{ c *rtc.Call }

func (c *call) ID() string            { return c.c.ID() }
func (c *call) From() string          { return c.c.Remote() }
func (c *call) Done() <-chan struct{} { return c.c.Done() }

func (c *call) Answer(ctx context.Context) error {
	return c.c.Answer(ctx, rtc.AnswerOptions{})
}

func (c *call) Hangup(ctx context.Context) error {
	err := c.c.Hangup(ctx)
	if errors.Is(err, rtc.ErrCallEnded) {
		return nil
	}
	return err
}

func (c *call) RecentAudio(n int) []int16 {
	if m, ok := c.c.Media().(*tappedMedia); ok {
		return m.tap.recent(n)
	}
	return nil
}

// SendDTMF sends digits as "rfc4733" (telephone-event on the audio SSRC)
// or "info" (one SIP INFO application/dtmf-relay per digit).
func (c *call) SendDTMF(ctx context.Context, digits, mode string) error {
	var m rtc.DTMFMode
	switch mode {
	case "", "rfc4733":
		m = rtc.DTMFRFC4733
	case "info":
		m = rtc.DTMFInfo
	case "inband":
		m = rtc.DTMFInband
	default:
		return fmt.Errorf("unknown DTMF mode %q", mode)
	}
	return c.c.SendDTMF(ctx, digits, m)
}
