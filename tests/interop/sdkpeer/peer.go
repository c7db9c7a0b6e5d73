// Package sdkpeer is the Go side of the interop harness (tests/interop):
// it drives one SIP phone — the SDK's own core/rtc phone — from
// harness.mjs over stdin/stdout, one JSON object per line.
//
// The phone itself is behind the Phone interface; the command in
// ./cmd adapts core/rtc to it (see tests/interop/README.md). This package
// holds the protocol and the receive-side tone analysis, so that the
// adapter is all that depends on core/rtc's API.
//
// Commands (request → reply; a reply with "error" is a failure):
//
//	{"cmd":"register","ws":"ws://127.0.0.1:N","domain":"d","user":"1001","password":"pw","tone_hz":1000}
//	                                   → {"ok":true}
//	{"cmd":"wait_incoming","timeout_ms":15000} → {"ok":true,"call":"ID","from":"sip:..."}
//	{"cmd":"answer","call":"ID"}        → {"ok":true}
//	{"cmd":"call","target":"sip:2001@d","timeout_ms":20000} → {"ok":true,"call":"ID"} once answered
//	{"cmd":"tone","call":"ID","freq":440} → {"ok":true,"ratio":0.98,"peak_hz":440,"rms_dbfs":-12,"samples":1600}
//	{"cmd":"dtmf","call":"ID","digits":"12","mode":"rfc4733"} → {"ok":true} once sent
//	                                   (mode "rfc4733" or "info"; a phone without DTMF answers an error)
//	{"cmd":"hangup","call":"ID"}        → {"ok":true}
//	{"cmd":"wait_ended","call":"ID","timeout_ms":10000} → {"ok":true}
//	{"cmd":"reset"}                     → {"ok":true}  (hang up whatever is up)
//	{"cmd":"quit"}                      → {"ok":true}, then exit
//
// A request's "id", if any, comes back in its reply. Unsolicited lines
// carry "event" (e.g. {"event":"ended","call":"ID"}).
package sdkpeer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

// RegisterArgs is what "register" carries.
type RegisterArgs struct {
	WS       string  `json:"ws"`
	Domain   string  `json:"domain"`
	User     string  `json:"user"`
	Password string  `json:"password"`
	ToneHz   float64 `json:"tone_hz"` // what the phone must play into every call
}

// Phone is a registered SIP phone.
type Phone interface {
	// WaitIncoming returns the next call that rings.
	WaitIncoming(ctx context.Context) (Call, error)
	// Dial calls target and returns once it is answered.
	Dial(ctx context.Context, target string) (Call, error)
	Close() error
}

// Call is one call of the phone.
type Call interface {
	ID() string
	From() string
	Answer(ctx context.Context) error
	Hangup(ctx context.Context) error
	Done() <-chan struct{}
	// RecentAudio returns the last n samples received (8 kHz, mono).
	RecentAudio(n int) []int16
}

// DTMFCall is a Call that can send DTMF ("dtmf" command): mode is
// "rfc4733" (telephone-event RTP) or "info" (SIP INFO application/dtmf-relay).
type DTMFCall interface {
	SendDTMF(ctx context.Context, digits, mode string) error
}

type request struct {
	ID        any     `json:"id,omitempty"` // echoed in the reply
	Cmd       string  `json:"cmd"`
	Call      string  `json:"call"`
	Target    string  `json:"target"`
	Freq      float64 `json:"freq"`
	Digits    string  `json:"digits"`
	Mode      string  `json:"mode"`
	TimeoutMs int     `json:"timeout_ms"`
	RegisterArgs
}

// Serve runs the protocol until "quit" or the end of in.
func Serve(in io.Reader, out io.Writer, open func(context.Context, RegisterArgs) (Phone, error)) error {
	var wmu sync.Mutex
	enc := json.NewEncoder(out)
	write := func(v any) {
		wmu.Lock()
		defer wmu.Unlock()
		_ = enc.Encode(v)
	}
	var phone Phone
	calls := map[string]Call{}
	defer func() {
		if phone != nil {
			_ = phone.Close()
		}
	}()
	track := func(c Call) {
		calls[c.ID()] = c
		go func() {
			<-c.Done()
			write(map[string]any{"event": "ended", "call": c.ID()})
		}()
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r request
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			write(map[string]any{"error": "bad request: " + err.Error()})
			continue
		}
		timeout := time.Duration(r.TimeoutMs) * time.Millisecond
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		reply, err := func() (map[string]any, error) {
			if r.Cmd != "register" && r.Cmd != "quit" && r.Cmd != "reset" && phone == nil {
				return nil, fmt.Errorf("not registered")
			}
			call := calls[r.Call]
			needCall := map[string]bool{"answer": true, "tone": true, "dtmf": true, "hangup": true, "wait_ended": true}
			if needCall[r.Cmd] && call == nil {
				return nil, fmt.Errorf("no call %q", r.Call)
			}
			switch r.Cmd {
			case "register":
				p, err := open(ctx, r.RegisterArgs)
				if err != nil {
					return nil, err
				}
				phone = p
				return map[string]any{"ok": true}, nil
			case "wait_incoming":
				c, err := phone.WaitIncoming(ctx)
				if err != nil {
					return nil, err
				}
				track(c)
				return map[string]any{"ok": true, "call": c.ID(), "from": c.From()}, nil
			case "answer":
				return map[string]any{"ok": true}, call.Answer(ctx)
			case "call":
				c, err := phone.Dial(ctx, r.Target)
				if err != nil {
					return nil, err
				}
				track(c)
				return map[string]any{"ok": true, "call": c.ID()}, nil
			case "tone":
				pcm := call.RecentAudio(pbx.SampleRate / 5)
				a := pbx.AnalyseTone(pcm, pbx.SampleRate)
				return map[string]any{"ok": true, "ratio": pbx.ToneRatio(pcm, pbx.SampleRate, r.Freq),
					"peak_hz": a.PeakHz, "rms_dbfs": a.RMSdBFS, "samples": len(pcm)}, nil
			case "dtmf":
				d, ok := call.(DTMFCall)
				if !ok {
					return nil, fmt.Errorf("this phone sends no DTMF")
				}
				return map[string]any{"ok": true}, d.SendDTMF(ctx, r.Digits, r.Mode)
			case "hangup":
				return map[string]any{"ok": true}, call.Hangup(ctx)
			case "wait_ended":
				select {
				case <-call.Done():
					return map[string]any{"ok": true}, nil
				case <-ctx.Done():
					return nil, fmt.Errorf("call %s did not end", r.Call)
				}
			case "reset":
				for id, c := range calls {
					select {
					case <-c.Done():
					default:
						_ = c.Hangup(ctx)
					}
					delete(calls, id)
				}
				return map[string]any{"ok": true}, nil
			case "quit":
				return map[string]any{"ok": true}, nil
			}
			return nil, fmt.Errorf("unknown command %q", r.Cmd)
		}()
		cancel()
		if err != nil {
			reply = map[string]any{"error": err.Error()}
		}
		if r.ID != nil {
			reply["id"] = r.ID
		}
		write(reply)
		if r.Cmd == "quit" {
			return nil
		}
	}
	return sc.Err()
}
