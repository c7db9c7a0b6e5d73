package pbx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Outgoing SIP messages are written as text by msgBuilder: the PBX is the
// far end of the SDK's SIP stack and should say exactly what a PBX says,
// nothing a library adds on its own. Incoming ones are parsed with sipgo's
// parser.

type msgBuilder struct {
	start   string
	headers []string
	body    []byte
}

func (b *msgBuilder) h(name, value string) *msgBuilder {
	b.headers = append(b.headers, name+": "+value)
	return b
}

func (b *msgBuilder) String() string {
	var sb strings.Builder
	sb.WriteString(b.start)
	sb.WriteString("\r\n")
	for _, h := range b.headers {
		sb.WriteString(h)
		sb.WriteString("\r\n")
	}
	sb.WriteString("Content-Length: ")
	sb.WriteString(strconv.Itoa(len(b.body)))
	sb.WriteString("\r\n\r\n")
	sb.Write(b.body)
	return sb.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newBranch() string { return "z9hG4bK" + randHex(8) }
func newTag() string    { return randHex(6) }

// response builds a response to req, copying Via, From, To, Call-ID and
// CSeq. toTag, when set and To has none, is added to To.
func response(req *sip.Request, code int, reason, toTag string) *msgBuilder {
	b := &msgBuilder{start: fmt.Sprintf("SIP/2.0 %d %s", code, reason)}
	for _, v := range req.GetHeaders("Via") {
		b.h("Via", v.Value())
	}
	if f := req.From(); f != nil {
		b.h("From", f.Value())
	}
	if t := req.To(); t != nil {
		v := t.Value()
		if _, has := t.Params.Get("tag"); !has && toTag != "" {
			v += ";tag=" + toTag
		}
		b.h("To", v)
	}
	if c := req.CallID(); c != nil {
		b.h("Call-ID", c.Value())
	}
	if c := req.CSeq(); c != nil {
		b.h("CSeq", c.Value())
	}
	b.h("Server", "cloudcc-ccsim-pbx")
	return b
}

func headerValue(m sip.Message, name string) string {
	if h := m.GetHeaders(name); len(h) > 0 {
		return h[0].Value()
	}
	return ""
}

func tagOf(params sip.HeaderParams) string {
	t, _ := params.Get("tag")
	return t
}

func branchOf(m sip.Message) string {
	if v := m.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}

// quoteParams parses the auth-params of a Digest header (RFC 7616: k=v or
// k="v", comma-separated; a backslash in a quoted value escapes the next
// character). Keys are lower-cased. It scans a character at a time, a
// reader of its own (the SDK's digest client has another).
func quoteParams(s string) map[string]string {
	out := map[string]string{}
	var key, val strings.Builder
	inKey, quoted, escaped := true, false, false
	flush := func() {
		if k := strings.ToLower(strings.TrimSpace(key.String())); k != "" {
			out[k] = strings.TrimSpace(val.String())
		}
		key.Reset()
		val.Reset()
		inKey = true
	}
	for _, r := range s {
		switch {
		case inKey && r == '=':
			inKey = false
		case inKey && r == ',':
			key.Reset() // a key without a value
		case inKey:
			key.WriteRune(r)
		case escaped:
			val.WriteRune(r)
			escaped = false
		case quoted && r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case quoted:
			val.WriteRune(r)
		case r == ',':
			flush()
		default:
			val.WriteRune(r)
		}
	}
	if !inKey {
		flush()
	}
	return out
}
