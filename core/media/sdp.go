package media

import (
	"fmt"
	"net"
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
	return sections(&sd, nil), nil
}

// sections reads the m= lines of sd. mids, when given, names the m= lines
// that carry no a=mid (see peerView); otherwise such a line is named by
// its index.
func sections(sd *sdp.SessionDescription, mids []string) []mediaSection {
	sessDir := SendRecv
	for _, a := range sd.Attributes {
		if d, ok := ParseDirection(a.Key); ok {
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
		if i < len(mids) && mids[i] != "" {
			ms.Mid = mids[i]
		}
		for _, a := range md.Attributes {
			if d, ok := ParseDirection(a.Key); ok {
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
	return out
}

// peerShape is what the peer's SDP says about the transport, which our
// answer must mirror (a gateway such as rtpengine offers no BUNDLE group,
// no a=mid and may offer no rtcp-mux; an answer that adds them is not
// one its offer allows: RFC 8843 §7.3, RFC 5888 §9.1, RFC 5761 §5.1.1).
type peerShape struct {
	bundled bool     // a=group:BUNDLE present
	hadMid  []bool   // per m= line: the peer named it with a=mid
	mids    []string // per m= line: its mid as pion sees it (the peer's, or one we gave it)
	mux     []bool   // per m= line: a=rtcp-mux
	rsize   []bool   // per m= line: a=rtcp-rsize
	live    []bool   // per m= line: port not 0
	kinds   []string
	// tag is the m= line whose transport the call runs on when the peer
	// offered no BUNDLE group (-1: none live). pion runs one ICE/DTLS
	// transport per call, so without BUNDLE only that line can carry
	// media; the others are answered rejected (port 0) with a logged
	// reason.
	tag     int
	iceLite bool
}

// peerView rewrites the peer's SDP into what pion accepts: every live m=
// line sendrecv (the directions in force are this package's business),
// every m= line with an a=mid (pion refuses a section without one; ours
// are given to the lines that have none: ourMids by index when the SDP
// answers our offer, else the index), and a BUNDLE group (the one the peer
// sent, else one holding only the tag line: see peerShape.tag). It returns
// the sections as they really are (directions as written) and the shape.
func peerView(raw string, ourMids []string) (string, []mediaSection, peerShape, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return "", nil, peerShape{}, err
	}
	n := len(sd.MediaDescriptions)
	sh := peerShape{hadMid: make([]bool, n), mids: make([]string, n), mux: make([]bool, n), rsize: make([]bool, n),
		live: make([]bool, n), kinds: make([]string, n), tag: -1}
	if g, ok := sd.Attribute("group"); ok && strings.HasPrefix(strings.TrimSpace(g), "BUNDLE") {
		sh.bundled = true
	}
	_, sh.iceLite = sd.Attribute("ice-lite")
	used := map[string]bool{}
	for i, md := range sd.MediaDescriptions {
		if m := getAttr(md.Attributes, "mid"); m != "" {
			sh.hadMid[i], sh.mids[i] = true, m
			used[m] = true
		}
		_, sh.mux[i] = md.Attribute("rtcp-mux")
		_, sh.rsize[i] = md.Attribute("rtcp-rsize")
		sh.live[i] = md.MediaName.Port.Value != 0
		sh.kinds[i] = md.MediaName.Media
	}
	for i, md := range sd.MediaDescriptions {
		if sh.hadMid[i] {
			continue
		}
		m := strconv.Itoa(i)
		if i < len(ourMids) && ourMids[i] != "" {
			m = ourMids[i]
		}
		for used[m] {
			m += "x"
		}
		used[m] = true
		sh.mids[i] = m
		md.Attributes = append(md.Attributes, sdp.NewAttribute("mid", m))
	}
	secs := sections(&sd, sh.mids)
	if !sh.bundled {
		for i := range n {
			if sh.live[i] && sh.kinds[i] == "audio" {
				sh.tag = i
				break
			}
		}
		if sh.tag < 0 {
			for i := range n {
				if sh.live[i] && (sh.kinds[i] == "audio" || sh.kinds[i] == "video") {
					sh.tag = i
					break
				}
			}
		}
		if sh.tag >= 0 {
			sd.Attributes = append(sd.Attributes, sdp.NewAttribute("group", "BUNDLE "+sh.mids[sh.tag]))
		}
	}
	setDirections(&sd, func(i int, _ string) (Direction, bool) { return SendRecv, sh.live[i] })
	b, err := sd.Marshal()
	if err != nil {
		return "", nil, peerShape{}, err
	}
	return string(b), secs, sh, nil
}

// wireOpts says how our SDP (pion's, ICE gathered) is made into what goes
// on the wire.
type wireOpts struct {
	// dirOf gives the direction of each m= line (by mid); lines for which
	// it says false keep theirs.
	dirOf func(mid string) (Direction, bool)
	// extra adds attributes to a live section of a kind.
	extra func(kind string) []sdp.Attribute
	// peer is the shape of the offer we answer (nil for our own offers).
	peer *peerShape
}

// toWire makes our SDP fit to send: directions per m= line (session-level
// ones removed), extra attributes, the transport details mirrored from
// the peer's offer, and the connection address and port of every live m=
// line set to the default ICE candidate (RFC 8839 §4.2.1.2, JSEP §5.2.1:
// pion writes c=IN IP4 0.0.0.0 and port 9, which gateways read as hold).
func toWire(raw string, o wireOpts) (string, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return "", err
	}
	kept := sd.Attributes[:0]
	for _, a := range sd.Attributes {
		_, isDir := ParseDirection(a.Key)
		if isDir || (a.Key == "group" && o.peer != nil && !o.peer.bundled) {
			continue // the peer offered no BUNDLE: our answer has none either
		}
		kept = append(kept, a)
	}
	sd.Attributes = kept
	if o.extra != nil {
		for _, md := range sd.MediaDescriptions {
			if md.MediaName.Port.Value != 0 {
				md.Attributes = append(md.Attributes, o.extra(md.MediaName.Media)...)
			}
		}
	}
	setDirections(&sd, func(_ int, mid string) (Direction, bool) {
		if o.dirOf == nil {
			return 0, false
		}
		return o.dirOf(mid)
	})
	if o.peer != nil {
		mirrorPeer(&sd, o.peer)
	}
	setDefaultAddress(&sd)
	b, err := sd.Marshal()
	return string(b), err
}

// setDirections puts the direction dirOf gives (by index and mid) on each
// m= line in place of its direction attribute.
func setDirections(sd *sdp.SessionDescription, dirOf func(i int, mid string) (Direction, bool)) {
	for i, md := range sd.MediaDescriptions {
		mid := getAttr(md.Attributes, "mid")
		if mid == "" {
			mid = strconv.Itoa(i)
		}
		d, ok := dirOf(i, mid)
		if !ok {
			continue
		}
		attrs := make([]sdp.Attribute, 0, len(md.Attributes)+1)
		placed := false
		for _, a := range md.Attributes {
			if _, isDir := ParseDirection(a.Key); isDir {
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
}

// mirrorPeer makes our answer match what the offer (sh) allows: no a=mid
// on a line the peer did not name, no rtcp-mux or rtcp-rsize the peer did
// not offer, and, without BUNDLE, the ICE candidates on the tag line.
func mirrorPeer(sd *sdp.SessionDescription, sh *peerShape) {
	var cands []sdp.Attribute
	if !sh.bundled {
		// pion puts the candidates on the first m= line; without BUNDLE
		// they belong to the line the transport runs on.
		for _, md := range sd.MediaDescriptions {
			if len(cands) == 0 {
				cands = takeCandidates(md)
			}
		}
	}
	for i, md := range sd.MediaDescriptions {
		if i >= len(sh.mids) {
			break
		}
		drop := map[string]bool{}
		if !sh.hadMid[i] {
			drop["mid"] = true
		}
		if !sh.mux[i] {
			drop["rtcp-mux"] = true
		}
		if !sh.rsize[i] {
			drop["rtcp-rsize"] = true
		}
		attrs := md.Attributes[:0]
		for _, a := range md.Attributes {
			if !drop[a.Key] {
				attrs = append(attrs, a)
			}
		}
		md.Attributes = attrs
		if !sh.bundled && i == sh.tag {
			md.Attributes = append(md.Attributes, cands...)
		}
	}
}

// takeCandidates removes the a=candidate and a=end-of-candidates lines of
// md and returns them.
func takeCandidates(md *sdp.MediaDescription) []sdp.Attribute {
	var out []sdp.Attribute
	kept := md.Attributes[:0]
	for _, a := range md.Attributes {
		if a.Key == "candidate" || a.Key == "end-of-candidates" {
			out = append(out, a)
			continue
		}
		kept = append(kept, a)
	}
	md.Attributes = kept
	return out
}

// iceCandidate is the part of an a=candidate line the default choice needs.
type iceCandidate struct {
	component int
	udp       bool
	priority  uint64
	ip        net.IP
	port      int
	typ       string
}

func parseCandidate(v string) (iceCandidate, bool) {
	f := strings.Fields(v)
	if len(f) < 8 || !strings.EqualFold(f[6], "typ") {
		return iceCandidate{}, false
	}
	comp, err1 := strconv.Atoi(f[1])
	prio, err2 := strconv.ParseUint(f[3], 10, 32)
	port, err3 := strconv.Atoi(f[5])
	ip := net.ParseIP(f[4])
	if err1 != nil || err2 != nil || err3 != nil || ip == nil || port <= 0 || port > 65535 {
		return iceCandidate{}, false
	}
	return iceCandidate{component: comp, udp: strings.EqualFold(f[2], "udp"), priority: prio, ip: ip, port: port, typ: strings.ToLower(f[7])}, true
}

// typeRank orders candidate types by how likely they are to work with a
// peer that does not do ICE (RFC 8839 §4.2.1.2: relayed first).
func typeRank(t string) int {
	switch t {
	case "relay":
		return 3
	case "srflx":
		return 2
	case "prflx":
		return 1
	}
	return 0
}

// better reports whether a is a better default candidate than b: type
// (relay, srflx, prflx, host), then IPv4 (SIP gateways and phones that
// read c= may not speak IPv6), then priority.
func (a iceCandidate) better(b iceCandidate) bool {
	if ra, rb := typeRank(a.typ), typeRank(b.typ); ra != rb {
		return ra > rb
	}
	if a4, b4 := a.ip.To4() != nil, b.ip.To4() != nil; a4 != b4 {
		return a4
	}
	return a.priority > b.priority
}

// defaultCandidate picks the RTP (component 1, UDP) default candidate of
// the candidates in attrs.
func defaultCandidate(attrs []sdp.Attribute) (iceCandidate, bool) {
	var best iceCandidate
	found := false
	for _, a := range attrs {
		if a.Key != "candidate" {
			continue
		}
		c, ok := parseCandidate(a.Value)
		if !ok || c.component != 1 || !c.udp {
			continue
		}
		if !found || c.better(best) {
			best, found = c, true
		}
	}
	return best, found
}

// setDefaultAddress puts the default candidate's address and port in the
// c= and m= lines of every live m= line that runs on it: the line that
// carries the candidates and the lines bundled with it (one transport).
// An a=rtcp line is set to the same address (RTCP is muxed on it or, for
// a peer that did not offer rtcp-mux, sent from and taken on the same
// port, which pion's single socket demultiplexes). Without candidates
// (gathering found none) the SDP is left as pion wrote it.
func setDefaultAddress(sd *sdp.SessionDescription) {
	var def iceCandidate
	found := false
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value == 0 {
			continue
		}
		if c, ok := defaultCandidate(md.Attributes); ok {
			def, found = c, true
			break
		}
	}
	if !found {
		return
	}
	addrType, addr := "IP4", def.ip.String()
	if def.ip.To4() == nil {
		addrType = "IP6"
	} else {
		addr = def.ip.To4().String()
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value == 0 {
			continue
		}
		md.MediaName.Port = sdp.RangedPort{Value: def.port}
		md.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: addr}}
		_, mux := md.Attribute("rtcp-mux")
		rtcp := fmt.Sprintf("%d IN %s %s", def.port, addrType, addr)
		placed := false
		for i := range md.Attributes {
			if md.Attributes[i].Key == "rtcp" {
				md.Attributes[i].Value = rtcp
				placed = true
			}
		}
		if !placed && !mux {
			// RFC 8839 §5.1.1.3: an RTCP candidate not at port+1 is named
			// by a=rtcp.
			md.Attributes = append(md.Attributes, sdp.NewAttribute("rtcp", rtcp))
		}
	}
	if sd.ConnectionInformation != nil {
		sd.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: addr}}
	}
}

func getAttr(attrs []sdp.Attribute, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// midsOf returns the mid of each m= line of raw ("" where none).
func midsOf(raw string) []string {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil
	}
	out := make([]string, len(sd.MediaDescriptions))
	for i, md := range sd.MediaDescriptions {
		out[i] = getAttr(md.Attributes, "mid")
	}
	return out
}

// rejectedStreams explains each m= line the peer offered live that our
// answer (pion's view, before toWire) rejects with port 0.
func rejectedStreams(sh peerShape, answer string) []string {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		return nil
	}
	var out []string
	for i, md := range sd.MediaDescriptions {
		if i >= len(sh.live) || !sh.live[i] || md.MediaName.Port.Value != 0 {
			continue
		}
		why := "no codec or direction in common"
		switch {
		case sh.kinds[i] != "audio" && sh.kinds[i] != "video":
			why = "media kind not supported"
		case !sh.bundled && i != sh.tag:
			why = "the offer has no BUNDLE group and a call runs one ICE/DTLS transport (on m= line " + strconv.Itoa(sh.tag) + ")"
		case sh.bundled:
			why = "not in the offer's BUNDLE group, and a call runs one ICE/DTLS transport"
		}
		out = append(out, fmt.Sprintf("m= line %d (%s, mid %s): %s", i, sh.kinds[i], sh.mids[i], why))
	}
	return out
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
