// Package abi is the logic of the C ABI (include/cloudcc.h) without cgo:
// the handle table, the client behind a handle (event callback or poll
// queue, async requests and their bound, PCM callbacks), the config
// document, the request / HTTP / media dispatch, events as JSON, statuses,
// and the redaction of every string handed out.
//
// capi/ holds the exports: each converts its C arguments, calls the one
// function of this package named after it, and converts the Result back.
// Every such function reaches its client through call, which resolves the
// handle and contains panics. The callbacks into C are function values
// capi gives (EventFunc, ReplyFunc, PCMFunc), and Host asks bridge.c
// which callback the calling thread is inside.
package abi

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
)

// Str is a C string argument: Null for NULL, else S.
type Str struct {
	S    string
	Null bool
}

// Result is what an export returns: its status, and the JSON its out
// parameter gets (nil: NULL). Exports without a JSON out parameter use the
// status alone.
type Result struct {
	Status int
	JSON   []byte
}

// CallbackKind is the kind of a client's callback the calling thread is
// running. Its values are bridge.h's CC_CB_*.
type CallbackKind int

// Kinds of callback.
const (
	// NoCallback: the thread runs none of the client's callbacks.
	NoCallback CallbackKind = iota
	// EventCallback: the client's event callback.
	EventCallback
	// CountedCallback: a PCM callback, which cc_client_free waits for
	// (counted in flight).
	CountedCallback
	// ReplyCallback: an async request's reply callback, counted in flight
	// too; they run one at a time per client (replies.go).
	ReplyCallback
)

// Host is what the ABI asks of the C side.
type Host struct {
	// CallbackKind says which callback of client id the calling thread is
	// inside (bridge.c keeps it in a thread-local), so that a call back
	// into the library from a callback (cc_client_free,
	// cc_client_set_event_callback) does not wait for that callback. Nil:
	// never inside one.
	CallbackKind func(id uintptr) CallbackKind
}

func (h Host) kind(id uintptr) CallbackKind {
	if h.CallbackKind == nil {
		return NoCallback
	}
	return h.CallbackKind(id)
}

// EventFunc hands an event (JSON, redacted, valid UTF-8) to the host's
// event callback.
type EventFunc func(event []byte)

// ReplyFunc hands an async request's status and reply (or error) JSON to
// the host's reply callback.
type ReplyFunc func(status int, reply []byte)

// PCMFunc hands a frame of a call's received audio to the host's PCM
// callback; pcm is only lent for the call.
type PCMFunc func(uuid string, pcm []int16)

// call is the one way from an export to its client: it resolves the
// handle (an unknown one is CC_ERR_INVALID_HANDLE, with its error JSON),
// runs op, and turns a panic into CC_ERR_INTERNAL: a Go panic must never
// reach the host.
func call(id uintptr, op func(*client) Result) (r Result) {
	defer contain(&r)
	c := lookup(id)
	if c == nil {
		return fail(nil, ccInvalidHandle, nil, nil)
	}
	return op(c)
}

// contain, deferred, turns a panic into CC_ERR_INTERNAL and logs it with
// its stack to stderr (the host's, the only place sure to exist).
func contain(r *Result) {
	if p := recover(); p != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("cloudcc: internal error contained",
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*r = fail(nil, ccInternal, fmt.Errorf("%v", p), nil)
	}
}

// fail is the Result of an SDK-side failure: the status and its error
// JSON in c's language (nil c: before the handle is resolved), redacted.
func fail(c *client, status int, err error, extra map[string]any) Result {
	lang := ""
	if c != nil {
		lang = c.lang
	}
	return Result{status, c.out(errorJSON(status, lang, err, extra), nil)}
}
