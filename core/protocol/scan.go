package protocol

import "unicode/utf8"

// One pass over a frame, without allocating: is it valid JSON, does the
// strict decoder take it as it is (or must it be normalized first), and
// what are its top-level msg_type, req_id, code and action. Peek answers
// from it for the frames it fully understands, which are nearly all: the
// full decoder (decodeInto) stays the reference for every other frame, and
// a fuzz test holds the two to the same answers.

// frameScan is what scanFrame learns of a frame.
type frameScan struct {
	// The raw contents of the top-level string values; nil when absent.
	msgType, reqID, code, action, msg []byte
	// normalize: a key or string value is padded with white space, or a key
	// the platform misspells is present (see needsNormalizing).
	normalize bool
	// exact: each of the five fields present is a plain string (no escape;
	// printable ASCII but for msg, which is valid UTF-8 without control
	// characters) under exactly its own key, given once, and no top-level
	// key could stand for one of them in another spelling (case, escapes,
	// padding, non-ASCII). The strict decoder then reads exactly the raw
	// contents above.
	exact bool
	// onlyHeader: the frame has no top-level key but these five (a reply
	// with the common fields only, such as a pong).
	onlyHeader bool
}

// maxScanDepth bounds the nesting scanFrame follows; deeper frames go to the
// full decoder.
const maxScanDepth = 64

// scanFrame reads b; ok is false when b is not a JSON object that the
// scanner validated (invalid JSON, another top-level value, trailing data,
// nesting beyond maxScanDepth).
func scanFrame(b []byte) (fs frameScan, ok bool) {
	fs.exact, fs.onlyHeader = true, true
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fs, false
	}
	i++
	i = skipWS(b, i)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return fs, false
			}
			ks, ke, kplain, good := scanString(b, i)
			if !good {
				return fs, false
			}
			key := b[ks:ke]
			fs.noteString(key)
			i = skipWS(b, ke+1)
			if i >= len(b) || b[i] != ':' {
				return fs, false
			}
			i = skipWS(b, i+1)
			var slot *[]byte
			if !kplain {
				// An escaped or non-ASCII key may spell one of the five.
				fs.exact, fs.onlyHeader = false, false
			} else {
				slot = fs.slotFor(key)
			}
			if slot != nil {
				if *slot != nil || i >= len(b) || b[i] != '"' {
					fs.exact = false // given twice, or not a string
				}
			}
			if i < len(b) && b[i] == '"' {
				vs, ve, vplain, good := scanString(b, i)
				if !good {
					return fs, false
				}
				v := b[vs:ve]
				fs.noteString(v)
				if slot != nil && fs.exact {
					if !vplain && (slot != &fs.msg || !plainText(v)) {
						fs.exact = false
					} else {
						*slot = v
					}
				}
				i = ve + 1
			} else {
				var good bool
				if i, good = fs.skipValue(b, i, 1); !good {
					return fs, false
				}
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return fs, false
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] != '}' {
				return fs, false
			}
			i++
			break
		}
	}
	if skipWS(b, i) != len(b) {
		return fs, false
	}
	return fs, true
}

// slotFor returns where the value of a top-level key goes when it is one of
// the four; it clears exact when the key could stand for one of them in
// another spelling.
func (fs *frameScan) slotFor(key []byte) *[]byte {
	switch string(key) {
	case "msg_type":
		return &fs.msgType
	case "req_id":
		return &fs.reqID
	case "code":
		return &fs.code
	case "action":
		return &fs.action
	case "msg":
		return &fs.msg
	}
	fs.onlyHeader = false
	// The decoders match keys case-insensitively, and the normalizer trims
	// padded keys (a non-ASCII key, which may fold to an ASCII one, never
	// comes here).
	if len(key) >= 3 && fs.exact {
		k := trimASCIISpace(key)
		for _, name := range [...]string{"msg_type", "req_id", "code", "action", "msg"} {
			if equalFoldASCII(k, name) {
				fs.exact = false
				return nil
			}
		}
	}
	return nil
}

// noteString records what needsNormalizing looks for in a string's raw
// contents: white space at either end, or a misspelled key.
func (fs *frameScan) noteString(s []byte) {
	if len(s) > 0 && (isSpace(s[0]) || isSpace(s[len(s)-1])) {
		fs.normalize = true
		return
	}
	switch string(s) {
	case "caller_channel", "aagent_pwd", "agentIp":
		fs.normalize = true
	}
}

// skipValue validates the value at b[i] (not a top-level string) and
// returns the index after it.
func (fs *frameScan) skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		s, e, _, ok := scanString(b, i)
		if !ok {
			return i, false
		}
		fs.noteString(b[s:e])
		return e + 1, true
	case c == '{' || c == '[':
		if depth >= maxScanDepth {
			return i, false
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, false
				}
				s, e, _, ok := scanString(b, i)
				if !ok {
					return i, false
				}
				fs.noteString(b[s:e])
				i = skipWS(b, e+1)
				if i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = skipWS(b, i+1)
			}
			var ok bool
			if i, ok = fs.skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] != closer {
				return i, false
			}
			return i + 1, true
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	default:
		return number(b, i)
	}
}

// scanString validates the string starting at the quote b[i]: its contents
// are b[s:e] (raw, escapes undecoded) and b[e] is the closing quote; plain
// tells that it holds printable ASCII only (no escape, no byte above 0x7e).
func scanString(b []byte, i int) (s, e int, plain, ok bool) {
	s = i + 1
	plain = true
	for j := s; j < len(b); j++ {
		c := b[j]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			continue
		}
		switch {
		case c == '"':
			return s, j, plain, true
		case c == '\\':
			plain = false
			j++
			if j >= len(b) {
				return s, j, plain, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return s, j, plain, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return s, j, plain, false
					}
				}
				j += 4
			default:
				return s, j, plain, false
			}
		case c < 0x20:
			return s, j, plain, false
		default: // 0x7f and above
			plain = false
		}
	}
	return s, len(b), plain, false
}

// number validates a JSON number at b[i].
func number(b []byte, i int) (int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return j, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return j, false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return j, false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, true
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// plainText reports whether a string's raw contents are read by the
// decoder as they are: valid UTF-8 without escapes or control characters.
func plainText(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '\\' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(s)
}

func trimASCIISpace(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func equalFoldASCII(s []byte, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// knownTypes interns the msg_types the SDK knows, so that a frame's
// msg_type costs no allocation.
var knownTypes = func() map[string]MsgType {
	m := map[string]MsgType{}
	for _, t := range []MsgType{
		MsgToggleServiceMode, MsgCheckin, MsgCheckout, MsgPing, MsgCall, MsgChangeMedia, MsgChangeStatus,
		MsgHold, MsgMute, MsgHangup, MsgTrans, MsgConsult, MsgConsultToTrans, MsgThreeWay, MsgEavesdrop,
		MsgWhisper, MsgDTMF, MsgSubstitute, MsgForceCall, MsgInterruptCall, MsgAnswer, MsgPlayRecord,
		MsgPlayRecordControl, MsgPreviewOutCall, MsgPong, MsgPickup, MsgTransfer, MsgCallback, MsgCallin,
		MsgAgentChange, MsgGetToken, MsgGetStatus, MsgKickOff, MsgConnect,
	} {
		m[string(t)] = t
	}
	return m
}()

// internType returns raw as a MsgType, without allocating when it is known.
func internType(raw []byte) MsgType {
	if t, ok := knownTypes[string(raw)]; ok {
		return t
	}
	return MsgType(raw)
}

// internMsg returns a reply's msg, without allocating for the usual ones.
func internMsg(raw []byte) string {
	switch string(raw) {
	case "success":
		return "success"
	case "成功":
		return "成功"
	case "":
		return ""
	}
	return string(raw)
}

// internCode returns raw as a string, without allocating for "0".
func internCode(raw []byte) string {
	if string(raw) == CodeOK {
		return CodeOK
	}
	return string(raw)
}
