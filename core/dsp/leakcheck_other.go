//go:build !linux

package dsp

// cHeapInUse is not available here; the leak test then checks the count
// of live speexdsp states only.
func cHeapInUse() (int64, bool) { return 0, false }
