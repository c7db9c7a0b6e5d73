//go:build linux

package dsp

/*
#include <malloc.h>
static long long cc_heap_in_use(void) { struct mallinfo2 m = mallinfo2(); return (long long)m.uordblks; }
*/
import "C"

// cHeapInUse is the C heap in use (glibc's mallinfo2), for the leak test.
func cHeapInUse() (int64, bool) { return int64(C.cc_heap_in_use()), true }
