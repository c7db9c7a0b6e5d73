package pbx

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

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
	switch d & 3 {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case SendRecv:
		return "sendrecv"
	}
	return "inactive"
}

// Sends reports whether the side that declared d sends media.
func (d Direction) Sends() bool { return d&1 != 0 }

// Receives reports whether the side that declared d receives media.
func (d Direction) Receives() bool { return d&2 != 0 }

// Mirror is the same flow seen from the other end.
func (d Direction) Mirror() Direction { return (d&1)<<1 | (d&2)>>1 }

func parseDirection(s string) (Direction, bool) {
	switch s {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return 0, false
}

// mediaSection is what the PBX needs to know of one m= line.
type mediaSection struct {
	Mid      string
	Kind     string // "audio" or "video"
	Dir      Direction
	Rejected bool // port 0
	Codecs   map[uint8]string
}

func parseSDP(raw string) ([]mediaSection, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, err
	}
	sessDir := SendRecv
	for _, a := range sd.Attributes {
		if d, ok := parseDirection(a.Key); ok {
			sessDir = d
		}
	}
	var out []mediaSection
	for i, md := range sd.MediaDescriptions {
		ms := mediaSection{
			Mid:      strconv.Itoa(i),
			Kind:     md.MediaName.Media,
			Dir:      sessDir,
			Rejected: md.MediaName.Port.Value == 0,
			Codecs:   map[uint8]string{},
		}
		for _, a := range md.Attributes {
			if d, ok := parseDirection(a.Key); ok {
				ms.Dir = d
			}
			switch a.Key {
			case "mid":
				ms.Mid = a.Value
			case "rtpmap":
				sp := strings.IndexByte(a.Value, ' ')
				if sp > 0 {
					if pt, err := strconv.Atoi(a.Value[:sp]); err == nil {
						ms.Codecs[uint8(pt)] = strings.ToLower(a.Value[sp+1:])
					}
				}
			}
		}
		for _, f := range md.MediaName.Formats {
			if pt, err := strconv.Atoi(f); err == nil {
				if _, ok := ms.Codecs[uint8(pt)]; !ok {
					switch pt {
					case 0:
						ms.Codecs[0] = "pcmu/8000"
					case 8:
						ms.Codecs[8] = "pcma/8000"
					}
				}
			}
		}
		out = append(out, ms)
	}
	return out, nil
}

// setDirections rewrites the direction attribute of each m= line whose mid
// is in dirs; dirOf picks the direction for a mid (ok=false leaves it).
func setDirections(raw string, dirOf func(mid string) (Direction, bool)) (string, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return "", err
	}
	kept := sd.Attributes[:0]
	for _, a := range sd.Attributes {
		if _, isDir := parseDirection(a.Key); !isDir {
			kept = append(kept, a)
		}
	}
	sd.Attributes = kept
	for i, md := range sd.MediaDescriptions {
		mid := strconv.Itoa(i)
		for _, a := range md.Attributes {
			if a.Key == "mid" {
				mid = a.Value
			}
		}
		d, ok := dirOf(mid)
		if !ok {
			continue
		}
		attrs := make([]sdp.Attribute, 0, len(md.Attributes))
		placed := false
		for _, a := range md.Attributes {
			if _, isDir := parseDirection(a.Key); isDir {
				if !placed {
					attrs = append(attrs, sdp.NewPropertyAttribute(d.String()))
					placed = true
				}
				continue
			}
			attrs = append(attrs, a)
		}
		if !placed {
			attrs = append(attrs, sdp.NewPropertyAttribute(d.String()))
		}
		md.Attributes = attrs
	}
	b, err := sd.Marshal()
	return string(b), err
}
