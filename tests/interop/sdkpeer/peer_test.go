package sdkpeer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/cloudcc/agent-sdk/internal/pbx"
)

type fakeCall struct {
	id   string
	done chan struct{}
	pcm  []int16
}

func (c *fakeCall) ID() string                       { return c.id }
func (c *fakeCall) From() string                     { return "sip:2001@d" }
func (c *fakeCall) Answer(context.Context) error     { return nil }
func (c *fakeCall) Done() <-chan struct{}            { return c.done }
func (c *fakeCall) RecentAudio(n int) []int16        { return c.pcm[len(c.pcm)-n:] }
func (c *fakeCall) Hangup(ctx context.Context) error { close(c.done); return nil }

type fakePhone struct{ c *fakeCall }

func (p *fakePhone) WaitIncoming(context.Context) (Call, error) { return p.c, nil }
func (p *fakePhone) Dial(context.Context, string) (Call, error) { return nil, errors.New("busy") }
func (p *fakePhone) Close() error                               { return nil }

func TestProtocol(t *testing.T) {
	pcm := make([]int16, 4000)
	(&pbx.ToneGen{Freqs: []float64{440}, Amplitude: 8000}).Fill(pcm)
	fc := &fakeCall{id: "c1", done: make(chan struct{}), pcm: pcm}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() {
		_ = Serve(inR, outW, func(ctx context.Context, a RegisterArgs) (Phone, error) {
			if a.User != "1001" || a.ToneHz != 1000 {
				return nil, errors.New("bad args")
			}
			return &fakePhone{c: fc}, nil
		})
		outW.Close()
	}()
	rd := bufio.NewScanner(outR)
	next := func() map[string]any {
		for rd.Scan() {
			var m map[string]any
			if err := json.Unmarshal(rd.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			if _, ev := m["event"]; !ev {
				return m
			}
		}
		t.Fatal("no reply")
		return nil
	}
	send := func(s string) map[string]any { _, _ = io.WriteString(inW, s+"\n"); return next() }

	if r := send(`{"cmd":"answer","call":"x"}`); r["error"] == nil {
		t.Fatalf("answer before register: %v", r)
	}
	if r := send(`{"cmd":"register","user":"1001","tone_hz":1000}`); r["ok"] != true {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"wait_incoming"}`); r["call"] != "c1" {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"tone","call":"c1","freq":440}`); r["ratio"].(float64) < 0.9 || r["peak_hz"].(float64) != 440 {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"dtmf","call":"c1","digits":"12","mode":"rfc4733"}`); r["error"] != "this phone sends no DTMF" {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"call","target":"sip:x@d"}`); r["error"] != "busy" {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"hangup","call":"c1"}`); r["ok"] != true {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"wait_ended","call":"c1"}`); r["ok"] != true {
		t.Fatal(r)
	}
	if r := send(`{"cmd":"quit"}`); r["ok"] != true {
		t.Fatal(r)
	}
}
