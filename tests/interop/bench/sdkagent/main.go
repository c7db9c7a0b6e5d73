// Command sdkagent is pbxbench's agent built on the SDK's own phone:
// core/rtc (SIP over WebSocket) and core/media (pion). It registers
// extensions first..first+users-1 (one rtc.Phone each, as many agents
// would; one shared media engine), lets core/rtc auto-answer the PBX's
// answer-after=0 INVITEs, sends a G.711 tone and decodes what it receives
// (a sink counts the frames, as aiortc_agent.py does).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/core/media"
	"github.com/cloudcc/agent-sdk/core/rtc"
)

type countSink struct{ frames *atomic.Int64 }

func (s countSink) WritePCM([]int16, int) { s.frames.Add(1) }

func main() {
	ws := flag.String("ws", "", "SIP-over-WebSocket URL")
	domain := flag.String("domain", "", "SIP domain")
	users := flag.Int("users", 1, "extensions")
	first := flag.Int("first", 3000, "first extension")
	prefix := flag.String("password-prefix", "pw", "password = prefix + extension")
	tone := flag.Float64("tone", 440, "tone to play (Hz)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("agent", "sdk")
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})).With("agent", "sdk")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	eng, err := rtc.NewMediaEngine(rtc.MediaEngineConfig{
		IncludeLoopback: true,
		IPFilter:        func(ip net.IP) bool { return ip.IsLoopback() },
		Logger:          quiet,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkagent:", err)
		os.Exit(1)
	}
	var frames atomic.Int64
	factory := rtc.MediaFactoryFunc(func(o rtc.MediaOptions) (rtc.Media, error) {
		m, err := eng.NewMedia(o)
		if err != nil {
			return nil, err
		}
		mc := m.(*rtc.MediaCall)
		mc.SetAudioSource(media.ToneSource(*tone, 8000))
		mc.AddAudioSink(countSink{&frames})
		return mc, nil
	})

	phones := make([]*rtc.Phone, *users)
	errs := make([]error, *users)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range *users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ext := strconv.Itoa(*first + i)
			ph, err := rtc.New(rtc.Config{
				URL: *ws, Domain: *domain, User: ext, Password: *prefix + ext,
				Media: factory, Logger: log,
			})
			if err == nil {
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err = ph.Register(rctx)
				cancel()
			}
			phones[i], errs[i] = ph, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "sdkagent: register %d: %v\n", *first+i, err)
			os.Exit(1)
		}
	}
	<-ctx.Done()
	fmt.Fprintf(os.Stderr, "[sdk] frames received: %d\n", frames.Load())
	for _, ph := range phones {
		wg.Add(1)
		go func() { defer wg.Done(); _ = ph.Close() }()
	}
	wg.Wait()
	_ = eng.Close()
}
