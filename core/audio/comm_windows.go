//go:build windows

package audio

/*
#include <stdint.h>
int cc_audio_default_comm(int capture, uint16_t *out, int cap);
*/
import "C"

import (
	"unicode/utf16"
	"unsafe"
)

// defaultCommID asks Windows for the default communications endpoint
// (IMMDeviceEnumerator::GetDefaultAudioEndpoint with eCommunications, in
// comm_windows.c): miniaudio only knows the console role. "" when there is
// none or COM fails.
func defaultCommID(capture bool) string {
	var buf [256]uint16
	c := C.int(0)
	if capture {
		c = 1
	}
	n := C.cc_audio_default_comm(c, (*C.uint16_t)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
	if n <= 0 {
		return ""
	}
	return string(utf16.Decode(buf[:int(n)]))
}
