package agent

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/session"
)

// A panic in the ringtone goroutine is reported as an error log event
// (the site and the internal error, with the stack) and silences the
// ringtone; the goroutine lives on for the next ring, and Close still
// waits for it and returns.
func TestPanicInRingerIsLoggedAndSurvives(t *testing.T) {
	var hits atomic.Int32
	again := make(chan struct{}, 1)
	t.Cleanup(contain.SetTestHook(func(what string) {
		if what != "agent: ringtone" {
			return
		}
		if hits.Add(1) == 1 {
			panic(errors.New("injected fault"))
		}
		select {
		case again <- struct{}{}:
		default:
		}
	}))
	logged := make(chan *LogEvent, 8)
	handler := func(e session.Event) {
		if l, ok := e.(*LogEvent); ok && l.Level == "error" {
			select {
			case logged <- l:
			default:
			}
		}
	}
	a, err := New(Config{WSURL: "ws://x/ws", RTCAudio: AudioDevice, LogLevel: "error"}, handler)
	if err != nil {
		t.Fatal(err)
	}
	a.syncRing()
	select {
	case l := <-logged:
		if l.Attrs["where"] != "agent: ringtone" || !strings.Contains(l.Attrs["stack"], "ringer") {
			t.Errorf("log event %+v", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error log event for the fault")
	}
	a.syncRing()
	select {
	case <-again:
	case <-time.After(5 * time.Second):
		t.Fatal("the ringer did not run again after the fault")
	}
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked after the fault")
	}
}
