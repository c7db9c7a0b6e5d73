package main

/*
#include "bridge.h"
*/
import "C"

import (
	"math"
	"unsafe"

	"github.com/cloudcc/agent-sdk/capi/internal/abi"
)

// The conversions between C and the ABI's Go side (capi/internal/abi).

// host is what the ABI asks of bridge.c: which callback of a client the
// calling thread is inside (CC_CB_* are abi.CallbackKind's values).
var host = abi.Host{CallbackKind: func(id uintptr) abi.CallbackKind {
	return abi.CallbackKind(C.cc_bridge_callback_kind(C.uintptr_t(id)))
}}

// handle is the handle table's id a cc_client_t* carries (0 for NULL).
func handle(h *C.cc_client_t) uintptr {
	if h == nil {
		return 0
	}
	return uintptr(C.cc_id_of(h))
}

func str(s *C.char) abi.Str {
	if s == nil {
		return abi.Str{Null: true}
	}
	return abi.Str{S: C.GoString(s)}
}

// result hands r's JSON to the host through out (when not NULL; NULL when
// r has none) and returns r's status.
func result(out **C.char, r abi.Result) C.int {
	if out != nil {
		*out = nil
		if r.JSON != nil {
			*out = cString(r.JSON)
		}
	}
	return C.int(r.Status)
}

// cString copies b into a NUL-terminated C string the host frees with
// cc_string_free (C.free): one copy, where C.CString(string(b)) makes two.
func cString(b []byte) *C.char {
	p := C.malloc(C.size_t(len(b) + 1))
	d := unsafe.Slice((*byte)(p), len(b)+1)
	copy(d, b)
	d[len(b)] = 0
	return (*C.char)(p)
}

// sizeInt is n as an int, or -1 when it does not fit (refused).
func sizeInt(n C.size_t) int {
	if uint64(n) > math.MaxInt {
		return -1
	}
	return int(n)
}

// samplesReader copies the host's samples out (nil for NULL).
func samplesReader(s *C.int16_t) func(dst []int16) {
	if s == nil {
		return nil
	}
	return func(dst []int16) { copy(dst, unsafe.Slice((*int16)(unsafe.Pointer(s)), len(dst))) }
}

// The callbacks into the host go through bridge.c's trampolines (Go cannot
// call a C function pointer), which also mark the thread as inside one of
// client h's callbacks. A NULL function is a nil Go one.

func eventFunc(h *C.cc_client_t, fn C.cc_event_fn, ud C.uintptr_t) abi.EventFunc {
	if fn == nil {
		return nil
	}
	id := C.uintptr_t(handle(h))
	return func(event []byte) {
		cs := cString(event)
		C.cc_bridge_call_event(fn, ud, cs, id)
		C.free(unsafe.Pointer(cs))
	}
}

func replyFunc(h *C.cc_client_t, fn C.cc_reply_fn, ud C.uintptr_t) abi.ReplyFunc {
	if fn == nil {
		return nil
	}
	id := C.uintptr_t(handle(h))
	return func(status int, reply []byte) {
		cs := cString(reply)
		C.cc_bridge_call_reply(fn, ud, C.int(status), cs, id)
		C.free(unsafe.Pointer(cs))
	}
}

func pcmFunc(h *C.cc_client_t, rate C.int, fn C.cc_pcm_fn, ud C.uintptr_t) abi.PCMFunc {
	if fn == nil {
		return nil
	}
	id := C.uintptr_t(handle(h))
	return func(uuid string, pcm []int16) {
		cu := C.CString(uuid)
		C.cc_bridge_call_pcm(fn, ud, cu, (*C.int16_t)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), rate, id)
		C.free(unsafe.Pointer(cu))
	}
}
