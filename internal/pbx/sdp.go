package pbx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The PBX reads and rewrites SDP line by line, with code of its own (the
// SDK goes through pion/sdp's object model): all it needs of a body is
// each m= line's kind, mid, direction, port and payload types.

// Direction is an SDP media direction. Its value is the spec's media int
// (0 none/inactive, 1 sendonly, 2 recvonly, 3 sendrecv): bit 0 is "sends",
// bit 1 is "receives".
type Direction int

// The four SDP directions.
const (
	Inactive Direction = 0
	SendOnly Direction = 1
	RecvOnly Direction = 2
	SendRecv Direction = 3
)

func (d Direction) String() string {
	if d < 0 {
		return "none"
	}
	return [...]string{"inactive", "sendonly", "recvonly", "sendrecv"}[d&3]
}

// Sends reports whether the side that declared d sends media.
func (d Direction) Sends() bool { return d&1 != 0 }

// Receives reports whether the side that declared d receives media.
func (d Direction) Receives() bool { return d&2 != 0 }

// Mirror is the same flow seen from the other end.
func (d Direction) Mirror() Direction { return (d&1)<<1 | (d&2)>>1 }

var directions = map[string]Direction{"sendrecv": SendRecv, "sendonly": SendOnly, "recvonly": RecvOnly, "inactive": Inactive}

// mediaSection is what the PBX needs to know of one m= line.
type mediaSection struct {
	Mid      string
	Kind     string // "audio" or "video"
	Dir      Direction
	Rejected bool // port 0
	Codecs   map[uint8]string
}

// sdpLines is an SDP body as lines (without their CRLF): the session part,
// then one block per m= line, each starting with it.
type sdpLines struct {
	session []string
	media   [][]string
}

var errNotSDP = errors.New("sdp: not a session description")

func splitSDP(raw string) (sdpLines, error) {
	var b sdpLines
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "":
			continue
		case len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z':
			return sdpLines{}, fmt.Errorf("%w: line %q", errNotSDP, line)
		case line[0] == 'm':
			b.media = append(b.media, []string{line})
		case len(b.media) > 0:
			b.media[len(b.media)-1] = append(b.media[len(b.media)-1], line)
		default:
			b.session = append(b.session, line)
		}
	}
	if len(b.session) == 0 || b.session[0] != "v=0" {
		return sdpLines{}, fmt.Errorf("%w: no v=0 first", errNotSDP)
	}
	return b, nil
}

func (b sdpLines) String() string {
	var sb strings.Builder
	for _, block := range append([][]string{b.session}, b.media...) {
		for _, line := range block {
			sb.WriteString(line)
			sb.WriteString("\r\n")
		}
	}
	return sb.String()
}

// attribute splits an a= line into its name and value ("a=mid:0" → "mid",
// "0"); ok is false for other lines.
func attribute(line string) (name, value string, ok bool) {
	rest, ok := strings.CutPrefix(line, "a=")
	if !ok {
		return "", "", false
	}
	name, value, _ = strings.Cut(rest, ":")
	return name, value, true
}

// isDirection reports whether line is a direction attribute.
func isDirection(line string) bool {
	name, _, ok := attribute(line)
	_, dir := directions[name]
	return ok && dir
}

// midOf is block i's mid: its a=mid, else its index.
func midOf(block []string, i int) string {
	for _, line := range block {
		if name, value, ok := attribute(line); ok && name == "mid" {
			return value
		}
	}
	return strconv.Itoa(i)
}

func parseSDP(raw string) ([]mediaSection, error) {
	b, err := splitSDP(raw)
	if err != nil {
		return nil, err
	}
	sessionDir := SendRecv
	for _, line := range b.session {
		if name, _, ok := attribute(line); ok {
			if d, ok := directions[name]; ok {
				sessionDir = d
			}
		}
	}
	out := make([]mediaSection, 0, len(b.media))
	for i, block := range b.media {
		// m=<media> <port>[/<count>] <proto> <fmt> ...
		f := strings.Fields(strings.TrimPrefix(block[0], "m="))
		if len(f) < 3 {
			return nil, fmt.Errorf("%w: %q", errNotSDP, block[0])
		}
		port, _, _ := strings.Cut(f[1], "/")
		ms := mediaSection{Mid: midOf(block, i), Kind: f[0], Dir: sessionDir, Rejected: port == "0", Codecs: map[uint8]string{}}
		for _, line := range block[1:] {
			name, value, ok := attribute(line)
			if !ok {
				continue
			}
			if d, ok := directions[name]; ok {
				ms.Dir = d
			}
			if name == "rtpmap" { // "96 VP8/90000"
				pt, codec, _ := strings.Cut(value, " ")
				if n, err := strconv.ParseUint(pt, 10, 8); err == nil && codec != "" {
					ms.Codecs[uint8(n)] = strings.ToLower(codec)
				}
			}
		}
		// The static payload types need no rtpmap.
		for _, pt := range f[3:] {
			if _, mapped := ms.Codecs[0]; pt == "0" && !mapped {
				ms.Codecs[0] = "pcmu/8000"
			}
			if _, mapped := ms.Codecs[8]; pt == "8" && !mapped {
				ms.Codecs[8] = "pcma/8000"
			}
		}
		out = append(out, ms)
	}
	return out, nil
}

// setDirections drops the session-level direction and gives each m= line
// for whose mid dirOf answers ok that direction, in place of its own (or
// last, if it had none).
func setDirections(raw string, dirOf func(mid string) (Direction, bool)) (string, error) {
	b, err := splitSDP(raw)
	if err != nil {
		return "", err
	}
	kept := b.session[:0]
	for _, line := range b.session {
		if !isDirection(line) {
			kept = append(kept, line)
		}
	}
	b.session = kept
	for i, block := range b.media {
		d, ok := dirOf(midOf(block, i))
		if !ok {
			continue
		}
		attr := "a=" + d.String()
		lines := make([]string, 0, len(block)+1)
		placed := false
		for _, line := range block {
			switch {
			case !isDirection(line):
				lines = append(lines, line)
			case !placed:
				lines = append(lines, attr)
				placed = true
			}
		}
		if !placed {
			lines = append(lines, attr)
		}
		b.media[i] = lines
	}
	return b.String(), nil
}
