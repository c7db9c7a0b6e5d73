package contain_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

// A runtime error on a goroutine is stopped, logged with its stack and
// reported with its text; the goroutine's waiter is released after the report.
func TestGoReportsRuntimeError(t *testing.T) {
	var buf bytes.Buffer
	got := make(chan error, 1)
	contain.Go(logTo(&buf), "test: index", func() {
		var s []int
		_ = s[3]
	}, func(err error) { got <- err })
	err := <-got
	if !errors.Is(err, sdkerr.ErrInternal) {
		t.Fatalf("err = %v, want ErrInternal", err)
	}
	if !strings.Contains(err.Error(), "test: index") || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("err = %q, want the site and the runtime error", err)
	}
	if !strings.Contains(buf.String(), "goroutine") || !strings.Contains(buf.String(), "contain_test.TestGoReportsRuntimeError") {
		t.Errorf("log has no stack: %s", buf.String())
	}
}

// A panic value that is a string or an error may carry a secret: the
// error handed on names its type only, and the log redacts secret keys.
func TestSecretsStayOut(t *testing.T) {
	var buf bytes.Buffer
	var got error
	contain.Do(logTo(&buf), "test: secret", func() {
		panic(`bad frame {"agent_pwd":"hunter2-secret","token":"tok-123456"}`)
	}, func(err error) { got = err })
	if !errors.Is(got, sdkerr.ErrInternal) || strings.Contains(got.Error(), "hunter2") || !strings.Contains(got.Error(), "panic (string)") {
		t.Errorf("err = %q", got)
	}
	for _, s := range []string{"hunter2-secret", "tok-123456"} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("log carries %q: %s", s, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "bad frame") {
		t.Errorf("log lost the panic's text: %s", buf.String())
	}
}

// Deferred after a WaitGroup's Done, Recover reports before the waiter
// returns; a panic in onPanic is contained too.
func TestRecoverOrderAndPanickyReport(t *testing.T) {
	var wg sync.WaitGroup
	var reported bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer contain.Recover(logTo(new(bytes.Buffer)), "test: order", func(error) {
			reported = true
			panic("the report fails too")
		})
		panic(errors.New("boom"))
	}()
	wg.Wait()
	if !reported {
		t.Fatal("waiter released before onPanic ran")
	}
}

// No panic: Do runs fn and onPanic is not called; the test hook runs
// inside the containment (Do's and a Point's under a Recover) and is
// removed by its restore.
func TestDoAndHook(t *testing.T) {
	calls := 0
	ran := false
	if contain.Do(nil, "test: ok", func() { ran = true }, func(error) { calls++ }); !ran || calls != 0 {
		t.Fatalf("Do without panic: ran=%v calls=%d", ran, calls)
	}
	restore := contain.SetTestHook(func(what string) {
		if what == "test: hooked" {
			panic("injected")
		}
	})
	ran = false
	if contain.Do(logTo(new(bytes.Buffer)), "test: hooked", func() { ran = true }, func(error) { calls++ }); ran || calls != 1 {
		t.Fatalf("hooked Do: ran=%v calls=%d", ran, calls)
	}
	func() {
		defer contain.Recover(logTo(new(bytes.Buffer)), "test: loop", func(error) { calls++ })
		contain.Point("test: hooked")
		ran = true
	}()
	if ran || calls != 2 {
		t.Fatalf("hooked Point: ran=%v calls=%d", ran, calls)
	}
	restore()
	if contain.Do(nil, "test: hooked", func() { ran = true }, nil); !ran {
		t.Fatal("hook still set after restore")
	}
}
