package rtc

import (
	"strings"

	"github.com/cloudcc/agent-sdk/core/media"
)

// sdpInfo is what signalling needs to know of an SDP body: the direction
// each live m= line declares (as written by its author) and whether it
// asks for hold.
type sdpInfo struct {
	audio, video Direction // -1 when there is no live m= line of that kind
	hold         bool      // audio sendonly/inactive, or c= 0.0.0.0 without ICE (RFC 2543 hold)
}

func parseSDPInfo(body string) sdpInfo {
	info := sdpInfo{audio: -1, video: -1}
	sessDir := SendRecv
	sessZero := false
	kind := "" // current m= kind; "" at session level
	port0 := false
	var dir Direction
	var zero, zeroHold, hasICE bool
	flush := func() {
		if kind == "" || port0 {
			return
		}
		switch kind {
		case "audio":
			info.audio = dir
			if dir == SendOnly || dir == Inactive {
				info.hold = true
			}
			zeroHold = zeroHold || zero
		case "video":
			info.video = dir
		}
	}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "m="):
			flush()
			f := strings.Fields(line[2:])
			kind, port0 = "", false
			if len(f) >= 2 {
				kind = f[0]
				port0 = f[1] == "0"
			}
			dir, zero = sessDir, sessZero
		case strings.HasPrefix(line, "c="):
			z := strings.HasSuffix(strings.TrimSpace(line), " 0.0.0.0")
			if kind == "" {
				sessZero = z
			} else {
				zero = z
			}
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			hasICE = true
		case strings.HasPrefix(line, "a="):
			if d, ok := media.ParseDirection(strings.TrimSpace(line[2:])); ok {
				if kind == "" {
					sessDir = d
				} else {
					dir = d
				}
			}
		}
	}
	flush()
	// With ICE (WebRTC), c=0.0.0.0 is the usual placeholder, not hold.
	if zeroHold && !hasICE {
		info.hold = true
	}
	return info
}
