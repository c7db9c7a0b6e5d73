package rtc

import (
	"runtime"
	"strconv"
	"strings"
)

// goid returns the current goroutine's id. It is used only to let Close know
// it runs inside the event handler (where waiting for the handler would
// deadlock); it is not on any hot path.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		id, _ := strconv.ParseUint(s[:i], 10, 64)
		return id
	}
	return 0
}
