// Command ccsim runs the CloudCC CTI simulator: the agent WebSocket (at
// /msg/<identity> in the platform dialect, /ws in the spec dialect), the SDK
// HTTP interfaces at /cloudcc-sdk-interface/openapi/... (and, platform,
// /cloudcc-client-server/openapi/...), the simulated PBX for RTC agents (SIP
// over WebSocket) at / and /sip, and the admin API tests drive it with at
// /admin/... (see docs/ccsim.md).
//
//	ccsim -addr 127.0.0.1:8090 [-dialect platform|spec] [-push-order reply_first|push_first|random]
//	      [-rtc-address TEMPLATE] [-config world.json] [-log] [-tls-cert c.pem -tls-key k.pem]
//	ccsim [FLAGS] -- CMD [ARGS...]
//
// It prints "ccsim listening on http://ADDR" once it accepts connections.
//
// Run mode (a command after "--"): ccsim listens (on a free loopback port
// unless -addr says otherwise), runs CMD with its address in the
// environment (see runEnv), stops when CMD exits and exits with CMD's
// status. SIGINT and SIGTERM go on to CMD. This is how every test harness
// and script of the repository starts a ccsim: none waits for the
// listening line, and none leaves a ccsim behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudcc/agent-sdk/internal/sim"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccsim:", err)
	}
	os.Exit(code)
}

// run serves until a signal (or, in run mode, until the command exits) and
// returns the process's exit status.
func run(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("ccsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address (port 0 picks a free one)")
	config := fs.String("config", "", "world config JSON (default: the built-in demo world)")
	frames := fs.Bool("log", false, "log every frame and SIP message (secrets redacted) to stderr")
	logFile := fs.String("log-file", "", "with -log: write the log to this file instead of stderr")
	cert := fs.String("tls-cert", "", "serve wss/https with this certificate (PEM)")
	key := fs.String("tls-key", "", "... and this key (PEM)")
	fast := fs.Bool("fast", false, "make every call timing zero (tests); the link timings keep their values")
	dialect := fs.String("dialect", "", "platform (the real server's behaviour) or spec (the toolbar spec's); default "+sim.DefaultDialect)
	readIdle := fs.Int("read-idle-ms", 0, "platform: close a link idle this long (0: the config's, or the real 30000; -1: never)")
	reconnect := fs.Int("reconnect-ms", 0, "platform: auto check-out this long after a link drops (0: the config's, or the real 30000)")
	idleCheck := fs.Int("idle-check-ms", 0, "platform: auto check-out check this long after an idle close (0: the config's, or the real 2000)")
	pushOrder := fs.String("push-order", "", "platform: a request's reply and its pushes: reply_first (default, as the real server was seen), push_first or random")
	rtcAddress := fs.String("rtc-address", "", "rtc_address check-in gives RTC agents, a template of {scheme} {host} {hostname} (default: platform \"{host}\", spec \"{scheme}://{host}/sip\")")
	loadN := fs.Int("load-agents", 0, "add a company \"load\" with this many agents load_00001... (password: -load-password)")
	loadPwd := fs.String("load-password", "load", "password of the generated load agents")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ccsim [FLAGS] [-- CMD [ARGS...]]\n\nWith a command: run it against this ccsim (CCSIM_ADDR, CCSIM_URL, CCSIM_WS, CCSIM_DIALECT,\nCCSIM_PUSH_ORDER, CCSIM_SIMS in its environment), stop when it exits, exit with its status.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	command := fs.Args()
	if len(command) > 0 && (len(args) < len(command)+1 || args[len(args)-len(command)-1] != "--") {
		return 2, fmt.Errorf("unexpected argument %q (a command to run goes after --)", command[0])
	}
	addrSet := false
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if len(command) > 0 && !addrSet {
		*addr = "127.0.0.1:0" // run mode: a free port unless told otherwise
	}
	cfg := sim.DefaultConfig()
	if *config != "" {
		c, err := sim.LoadConfig(*config)
		if err != nil {
			return 2, err
		}
		cfg = c
	}
	if *fast {
		cfg.Timings = cfg.Timings.KeepRealTimings()
	}
	if *dialect != "" {
		cfg.Dialect = *dialect
	}
	if !sim.ValidDialect(cfg.Dialect) {
		return 2, fmt.Errorf("unknown dialect %q (platform or spec)", cfg.Dialect)
	}
	if *pushOrder != "" {
		cfg.PushOrder = *pushOrder
	}
	if !sim.ValidPushOrder(cfg.PushOrder) {
		return 2, fmt.Errorf("unknown push order %q (reply_first, push_first or random)", cfg.PushOrder)
	}
	if *rtcAddress != "" {
		cfg.RTCAddress = *rtcAddress
	}
	for _, f := range []struct {
		v   int
		dst *int
	}{{*readIdle, &cfg.Timings.ReadIdleMS}, {*reconnect, &cfg.Timings.ReconnectMS}, {*idleCheck, &cfg.Timings.IdleCheckMS}} {
		if f.v != 0 {
			*f.dst = f.v
		}
	}
	if *loadN > 0 {
		cfg.GenerateLoad("load", "load_", 5, *loadN, *loadPwd)
	}
	// PBX warnings (bad SDP, unparsable SIP) go to stderr.
	opts := []sim.Option{sim.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))}
	if *frames {
		w := stderr
		if *logFile != "" {
			f, err := os.Create(*logFile)
			if err != nil {
				return 2, err
			}
			defer f.Close()
			w = f
		}
		opts = append(opts, sim.WithFrameLog(w))
	}
	srv := sim.New(cfg, opts...)
	defer srv.Close()

	// Signals are caught before the listening line says ccsim is ready: a
	// SIGTERM right after it stops ccsim cleanly.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return 1, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	// In run mode stdout is the command's: the listening line goes to stderr.
	if len(command) > 0 {
		fmt.Fprintf(stderr, "ccsim listening on %s://%s, dialect %s\n", scheme, ln.Addr(), srv.Dialect())
	} else {
		fmt.Fprintf(stdout, "ccsim listening on %s://%s\n", scheme, ln.Addr())
		fmt.Fprintf(stderr, "ccsim: dialect %s\n", srv.Dialect())
	}
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- hs.ServeTLS(ln, *cert, *key)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		srv.Close() // hijacked WebSocket connections are not closed by Shutdown
		_ = hs.Shutdown(ctx)
	}
	if len(command) > 0 {
		env := runEnv(os.Environ(), scheme, ln.Addr().String(), srv.Dialect(), cfg.PushOrder)
		code, err := runCommand(command, env, stdout, stderr, sig, errc)
		shutdown()
		return code, err
	}
	select {
	case s := <-sig:
		fmt.Fprintf(stderr, "ccsim: %v, shutting down\n", s)
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return 1, err
		}
	}
	shutdown()
	return 0, nil
}
