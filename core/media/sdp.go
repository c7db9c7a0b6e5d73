package media

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// mediaSection is what the engine needs to know of one m= line.
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
	out := make([]mediaSection, 0, len(sd.MediaDescriptions))
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
				if sp := strings.IndexByte(a.Value, ' '); sp > 0 {
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

// rewriteSDP sets the direction attribute of each m= line for which dirOf
// says so, and lets extra add attributes to a section. Session-level
// direction attributes are removed (each m= line carries its own).
func rewriteSDP(raw string, dirOf func(mid string) (Direction, bool), extra func(kind string) []sdp.Attribute) (string, error) {
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
		if extra != nil && md.MediaName.Port.Value != 0 {
			md.Attributes = append(md.Attributes, extra(md.MediaName.Media)...)
		}
		d, ok := dirOf(mid)
		if !ok {
			continue
		}
		attrs := make([]sdp.Attribute, 0, len(md.Attributes)+1)
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

// pionView rewrites a remote SDP so that pion sees every live m= line as
// sendrecv; it returns the sections as they really are.
func pionView(raw string) (string, []mediaSection, error) {
	secs, err := parseSDP(raw)
	if err != nil {
		return "", nil, err
	}
	rej := map[string]bool{}
	for _, s := range secs {
		rej[s.Mid] = s.Rejected
	}
	view, err := rewriteSDP(raw, func(mid string) (Direction, bool) { return SendRecv, !rej[mid] }, nil)
	return view, secs, err
}

// sdpValue returns the value of the first a=key: line of raw.
func sdpValue(raw, key string) string {
	prefix := "a=" + key + ":"
	for _, l := range strings.Split(raw, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
			return v
		}
	}
	return ""
}
