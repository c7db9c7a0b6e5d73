// Command pbxpeer serves ccsim's simulated PBX (internal/pbx) to the interop
// harness, so that a third-party client — JsSIP in Chromium — registers to
// it and takes its calls. Driven over stdin/stdout, one JSON object a line:
//
//	(at start)                                   → {"event":"listening","ws":"ws://127.0.0.1:N/sip","domain":"pbx.test"}
//	{"cmd":"user","ext":"3001","password":"pw"}  → {"ok":true}
//	{"cmd":"wait_registered","ext":"3001"}       → {"ok":true,"contact":"...","user_agent":"..."}
//	{"cmd":"invite","ext":"3001","uuid":"u1","auto_answer":true,"audio":3,"video":0}
//	                                             → {"ok":true}
//	{"cmd":"wait_answered","uuid":"u1"}          → {"ok":true}
//	{"cmd":"snapshot","uuid":"u1"}               → {"ok":true,"snapshot":{...}}
//	{"cmd":"hold","uuid":"u1","on":true}         → {"ok":true}
//	{"cmd":"change_media","uuid":"u1","audio":3,"video":0} → {"ok":true}
//	{"cmd":"hangup","uuid":"u1"}                 → {"ok":true}
//	{"cmd":"quit"}                               → {"ok":true}
//
// Every PBX event is also written as {"event":"pbx", ...}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

type request struct {
	ID         any    `json:"id,omitempty"` // echoed in the reply
	Cmd        string `json:"cmd"`
	Ext        string `json:"ext"`
	Password   string `json:"password"`
	UUID       string `json:"uuid"`
	AutoAnswer bool   `json:"auto_answer"`
	Audio      int    `json:"audio"`
	Video      int    `json:"video"`
	On         bool   `json:"on"`
	TimeoutMs  int    `json:"timeout_ms"`
}

func main() {
	const domain = "pbx.test"
	p, err := pbx.New(pbx.Config{Domain: domain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("/sip", p)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()

	var wmu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	write := func(v any) {
		wmu.Lock()
		defer wmu.Unlock()
		_ = enc.Encode(v)
	}
	ev, stop := p.Subscribe()
	go func() {
		for e := range ev {
			write(map[string]any{"event": "pbx", "type": e.Type, "uuid": e.UUID, "ext": e.Ext, "by": e.By,
				"code": e.Code, "digit": e.Digit, "mode": e.Mode, "held": e.Held, "reason": e.Reason})
		}
	}()
	write(map[string]any{"event": "listening", "ws": "ws://" + ln.Addr().String() + "/sip", "domain": domain})

	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var r request
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			write(map[string]any{"error": err.Error()})
			continue
		}
		timeout := time.Duration(r.TimeoutMs) * time.Millisecond
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		reply := map[string]any{"ok": true}
		switch r.Cmd {
		case "user":
			p.SetUser(r.Ext, r.Password)
		case "wait_registered":
			err = p.WaitRegistered(ctx, r.Ext)
			if reg, ok := p.Registration(r.Ext); ok {
				reply["contact"], reply["user_agent"] = reg.Contact, reg.UserAgent
			}
		case "invite":
			err = p.Invite(ctx, r.Ext, r.UUID, pbx.InviteOptions{AutoAnswer: r.AutoAnswer, Audio: r.Audio, Video: r.Video})
		case "wait_answered":
			err = p.WaitAnswered(ctx, r.UUID)
		case "snapshot":
			var s pbx.Snapshot
			s, err = p.Snapshot(r.UUID)
			reply["snapshot"] = map[string]any{
				"state": s.State, "held": s.Held, "agent_held": s.AgentHeld, "audio": int(s.Audio), "video": int(s.Video),
				"codec": s.AudioCodec, "rx": s.AudioRx.Packets, "tx": s.AudioTx.Packets,
				"rx_idle_ms": idle(s.AudioRx.Last), "tx_idle_ms": idle(s.AudioTx.Last),
				"peak_hz": s.Tone.PeakHz, "peak_ratio": s.Tone.PeakRatio, "rms_dbfs": s.Tone.RMSdBFS,
				"digits": s.Digits, "dtmf": s.DTMF, "setup_ms": float64(s.SetupTime.Microseconds()) / 1000,
				"end_by": s.EndBy, "end_code": s.EndCode,
			}
		case "hold":
			err = p.Hold(ctx, r.UUID, r.On)
		case "change_media":
			err = p.ChangeMedia(ctx, r.UUID, r.Audio, r.Video)
		case "hangup":
			err = p.Hangup(ctx, r.UUID)
		case "quit":
		default:
			err = fmt.Errorf("unknown command %q", r.Cmd)
		}
		cancel()
		if err != nil {
			reply = map[string]any{"error": err.Error()}
		}
		if r.ID != nil {
			reply["id"] = r.ID
		}
		write(reply)
		err = nil
		if r.Cmd == "quit" {
			break
		}
	}
	stop()
	_ = p.Close()
	_ = srv.Close()
}

func idle(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return time.Since(t).Milliseconds()
}
