// Package main is the C ABI of the CloudCC Agent SDK (include/cloudcc.h),
// built with -buildmode=c-shared. It holds the exports and the cgo bridge
// only: each export converts its C arguments, calls the function of
// capi/internal/abi named after it (which resolves the handle, contains
// panics and maps errors to statuses), and converts the result back.
// Strings go out as C.CString, released only by cc_string_free.
package main

/*
#include "bridge.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudcc/agent-sdk/capi/internal/abi"
)

func main() {}

//export cc_version
func cc_version() *C.char { return (*C.char)(unsafe.Pointer(C.cc_bridge_version())) }

//export cc_status_str
func cc_status_str(status C.int) *C.char {
	return (*C.char)(unsafe.Pointer(C.cc_bridge_status_str(status)))
}

//export cc_client_new
func cc_client_new(config *C.char, out **C.cc_client_t, errJSON **C.char) C.int {
	id, r := abi.New(str(config), out != nil, host)
	if out != nil {
		*out = C.cc_handle_of(C.uintptr_t(id))
	}
	return result(errJSON, r)
}

//export cc_client_free
func cc_client_free(h *C.cc_client_t) { abi.Free(handle(h)) }

//export cc_client_set_event_callback
func cc_client_set_event_callback(h *C.cc_client_t, fn C.cc_event_fn, ud C.uintptr_t) C.int {
	return C.int(abi.SetEventCallback(handle(h), eventFunc(h, fn, ud)))
}

//export cc_client_poll_event
func cc_client_poll_event(h *C.cc_client_t, timeoutMS C.int, eventJSON **C.char) C.int {
	return result(eventJSON, abi.PollEvent(handle(h), int(timeoutMS), eventJSON != nil))
}

//export cc_client_request
func cc_client_request(h *C.cc_client_t, reqJSON *C.char, timeoutMS C.int, replyJSON **C.char) C.int {
	return result(replyJSON, abi.Request(handle(h), str(reqJSON), int(timeoutMS)))
}

//export cc_client_request_async
func cc_client_request_async(h *C.cc_client_t, reqJSON *C.char, timeoutMS C.int, fn C.cc_reply_fn, ud C.uintptr_t) C.int {
	return C.int(abi.RequestAsync(handle(h), str(reqJSON), int(timeoutMS), replyFunc(h, fn, ud)))
}

//export cc_client_http
func cc_client_http(h *C.cc_client_t, name *C.char, paramsJSON *C.char, timeoutMS C.int, replyJSON **C.char) C.int {
	return result(replyJSON, abi.HTTP(handle(h), str(name), str(paramsJSON), int(timeoutMS)))
}

//export cc_client_media
func cc_client_media(h *C.cc_client_t, name *C.char, paramsJSON *C.char, replyJSON **C.char) C.int {
	return result(replyJSON, abi.Media(handle(h), str(name), str(paramsJSON)))
}

//export cc_client_push_pcm
func cc_client_push_pcm(h *C.cc_client_t, uuid *C.char, samples *C.int16_t, count C.size_t, rate C.int) C.int {
	return C.int(abi.PushPCM(handle(h), str(uuid), sizeInt(count), int(rate), samplesReader(samples)))
}

//export cc_client_set_pcm_sink
func cc_client_set_pcm_sink(h *C.cc_client_t, uuid *C.char, rate C.int, fn C.cc_pcm_fn, ud C.uintptr_t) C.int {
	return C.int(abi.SetPCMSink(handle(h), str(uuid), int(rate), pcmFunc(h, rate, fn, ud)))
}

//export cc_string_free
func cc_string_free(s *C.char) {
	if s != nil {
		C.free(unsafe.Pointer(s))
	}
}
