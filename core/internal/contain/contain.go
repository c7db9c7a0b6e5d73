// Package contain holds what keeps a Go panic inside the SDK: the SDK runs
// inside a host application (a softphone in C, C++, Python or .NET) and a
// panic on any goroutine, or in a callback from C, would end the host.
//
// Each goroutine top and each callback from C defers Recover (or runs its
// body through Go or Do). A contained panic is logged with its stack and
// handed to the site's onPanic as an error wrapping sdkerr.ErrInternal, so
// that the object that owns the goroutine reports it the way it reports its
// other failures (a dropped link, a failed call's media, a device error).
// docs/reliability.md lists what each layer does.
package contain

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// Recover, deferred at the top of a goroutine or a callback (directly:
// `defer contain.Recover(...)`, so that its recover sees the panic), stops
// a panic there. It logs the panic and its stack at error level through
// log (nil: slog.Default) and calls onPanic (when not nil) with an error
// wrapping sdkerr.ErrInternal. Defer it after the goroutine's other
// defers (a WaitGroup's Done, a channel's close) so that onPanic runs
// before the waiters are released, as the normal exit path's report does.
//
// Secrets: the log carries the panic value only through the SDK's logger
// (which replaces the known passwords and tokens) and after the values of
// secret-named JSON keys are replaced; the error carries no panic value
// except a runtime error's own text (fixed text: an index, a nil map, a
// nil pointer), never a string or an error the value held.
func Recover(log *slog.Logger, what string, onPanic func(error)) {
	p := recover()
	if p == nil {
		return
	}
	err := Report(log, what, p)
	if onPanic != nil {
		// A panic in the report itself must not escape either.
		defer func() {
			if p2 := recover(); p2 != nil {
				Report(log, what+" (onPanic)", p2)
			}
		}()
		onPanic(err)
	}
}

// Go runs fn on a new goroutine under Recover.
func Go(log *slog.Logger, what string, fn func(), onPanic func(error)) {
	go func() {
		defer Recover(log, what, onPanic)
		point(what)
		fn()
	}()
}

// Do runs fn under Recover on the calling goroutine: for a goroutine's
// unit of work (one iteration, one callback) that must not take the
// goroutine down with it.
func Do(log *slog.Logger, what string, fn func(), onPanic func(error)) {
	defer Recover(log, what, onPanic)
	point(what)
	fn()
}

// Point is where SetTestHook's function runs for a unit of work that a
// Recover further up contains (a reader loop's frame, where a panic ends
// the loop anyway): one atomic load, no defer per frame.
func Point(what string) { point(what) }

// Report logs a panic p recovered at site what (with its stack, secrets
// redacted; nil log: slog.Default) and returns the error it is reported
// with: for a site that recovers by itself, such as an event queue's
// handler.
func Report(log *slog.Logger, what string, p any) error {
	if log == nil {
		log = slog.Default()
	}
	log.Error("internal error contained",
		"where", what,
		"panic", string(protocol.Redact([]byte(fmt.Sprint(p)))),
		"stack", string(debug.Stack()))
	var re runtime.Error
	if e, ok := p.(error); ok && errors.As(e, &re) {
		return fmt.Errorf("%w in %s: %s", sdkerr.ErrInternal, what, re.Error())
	}
	return fmt.Errorf("%w in %s: panic (%T)", sdkerr.ErrInternal, what, p)
}

// hook is the test hook: see SetTestHook.
var hook atomic.Pointer[func(what string)]

// SetTestHook makes Go, Do and Point call f with the site's name before running
// the site's function, inside the containment: a test panics there to
// prove that the site is contained and that its owner reports the failure.
// It returns the function that removes the hook. For tests only; never set
// in production (the check costs one atomic load per site run).
func SetTestHook(f func(what string)) (restore func()) {
	prev := hook.Swap(&f)
	return func() { hook.Store(prev) }
}

// PanicOnce sets a test hook that makes the site named what panic the
// first time it runs (a malformed input hitting a bug). It returns the
// count of that site's runs, the first included, and the function that
// removes the hook. For tests only.
func PanicOnce(what string) (runs *atomic.Int32, restore func()) {
	runs = new(atomic.Int32)
	restore = SetTestHook(func(w string) {
		if w == what && runs.Add(1) == 1 {
			panic(errors.New("injected fault in " + w))
		}
	})
	return runs, restore
}

func point(what string) {
	if f := hook.Load(); f != nil && *f != nil {
		(*f)(what)
	}
}
