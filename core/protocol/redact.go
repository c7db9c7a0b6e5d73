package protocol

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	json "github.com/goccy/go-json"
)

// Secrets (passwords, tokens) must never leave the process except on the
// wire itself. Two nets catch them:
//
//   - by key: the value of any key that names a secret (agent_pwd, ext_pwd,
//     token, SDK-TOKEN, password, ...; any capitalisation, escaped or not,
//     whatever the value's JSON type) becomes "***";
//   - by value: a Redactor also knows the secret values themselves (the
//     passwords and tokens it was shown) and replaces them wherever they
//     appear in a string, whatever the key.

// Redacted is what a secret is replaced with.
const Redacted = "***"

// MinSecretLen is the shortest secret value a Redactor looks for: shorter
// values would match ordinary data (codes, digits of a phone number).
const MinSecretLen = 4

// How a known secret is looked for depends on its length, so that a short
// password does not eat ordinary text ("wrong password", a phone number):
// from anywhereLen characters it is replaced wherever it appears; from
// wordLen, where it stands as a word of its own (not inside a longer run of
// letters and digits); shorter, only as a whole string value.
const (
	anywhereLen = 8
	wordLen     = 6
)

// maxKnown bounds how many secret values a Redactor remembers (tokens are
// replaced over a long session); the oldest are forgotten first.
const maxKnown = 32

// secretSuffixes: a key whose letters and digits, lowercased, end with one
// of these names a secret (agent_pwd, ext_pwd, token, SDK-TOKEN, sdk_token,
// password, ...).
var secretSuffixes = []string{"pwd", "password", "passwd", "token", "secret", "credential"}

// IsSecretKey reports whether a JSON key names a secret.
func IsSecretKey(key string) bool {
	// The key's letters and digits, lowercased, read backwards against each
	// suffix: no allocation (it runs for every key of every string handed out).
	for _, suf := range secretSuffixes {
		j := len(suf) - 1
		for i := len(key) - 1; i >= 0 && j >= 0; i-- {
			c := key[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			} else if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				continue
			}
			if c != suf[j] {
				break
			}
			j--
		}
		if j < 0 {
			return true
		}
	}
	return false
}

// Redact returns a frame with the values of secret-named keys replaced by
// "***", for logs (the frame itself when it holds none). It works on broken
// JSON too.
func Redact(frame []byte) []byte {
	var r *Redactor
	return r.JSON(frame, nil)
}

// Redactor redacts by key and by the secret values it has learned. The zero
// value (and a nil *Redactor) redacts by key only. Safe for concurrent use.
type Redactor struct {
	mu    sync.RWMutex
	known []string // most recently learned last
}

// Learn adds a secret value (a password or token the library was given or
// received). Values shorter than MinSecretLen are ignored.
func (r *Redactor) Learn(secret string) {
	if r == nil || utf8.RuneCountInString(secret) < MinSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, k := range r.known {
		if k == secret {
			// A new slice: snapshots handed out keep the old one intact.
			r.known = append(append(append([]string(nil), r.known[:i]...), r.known[i+1:]...), k)
			return
		}
	}
	if len(r.known) == maxKnown {
		r.known = append([]string(nil), r.known[1:]...)
	}
	r.known = append(r.known, secret)
}

func (r *Redactor) snapshot() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.known[:len(r.known):len(r.known)]
}

// Text returns s with every known secret replaced by "***" (for free text:
// log messages, error messages).
func (r *Redactor) Text(s string) string {
	known := r.snapshot()
	if len(known) == 0 {
		return s
	}
	return replaceKnown(s, known)
}

// JSON returns b (JSON, possibly broken) with secrets redacted: the values
// of secret-named keys at any depth, and the known secret values inside any
// string. keep, when not nil, names the keys of the top-level object whose
// values are left as they are: the documented fields that carry a secret to
// the application on purpose (check-in's token and ext_pwd). When nothing
// is redacted it returns b itself (most frames): a caller that keeps the
// result must not change b, and the other way round.
func (r *Redactor) JSON(b []byte, keep map[string]bool) []byte {
	known := r.snapshot()
	// out is nil while the output equals the input; once a value is
	// replaced it holds the output up to b[done:], which is still to copy.
	var out []byte
	done := 0
	replace := func(from, to int, with []byte) {
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[done:from]...)
		out = append(out, with...)
		done = to
	}
	depth := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch c {
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
			continue
		case '"':
		default:
			i++
			continue
		}
		end, closed := stringEnd(b, i)
		j := skipSpace(b, end)
		if j < len(b) && b[j] == ':' {
			// A key: decide about its value.
			key := jsonKey(b[i+1 : end-1])
			k := skipSpace(b, j+1)
			vend := valueEnd(b, k)
			switch {
			case depth == 1 && keep[key]:
				i = vend
			case IsSecretKey(key) && vend > k:
				replace(k, vend, redactedJSON)
				i = vend
			default:
				i = k // the value is scanned like any other
			}
			continue
		}
		// A string value: known secrets are looked for in its decoded text,
		// so every escaped spelling counts; it is re-encoded only if one was
		// found.
		if len(known) > 0 && end-i >= 2+MinSecretLen && closed {
			inner := b[i+1 : end-1]
			if bytes.IndexByte(inner, '\\') >= 0 || containsAny(inner, known) {
				text := decodeJSONString(inner)
				if red := replaceKnown(text, known); red != text {
					replace(i, end, appendJSONString(nil, red))
				}
			}
		}
		i = end
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

var redactedJSON = []byte(`"` + Redacted + `"`)

// jsonKey is a key's text: decoded only when it has escapes (the common,
// plain key costs no allocation: the compiler does not copy for a lookup).
func jsonKey(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return unsafeString(b)
	}
	return decodeJSONString(b)
}

// containsAny reports whether b holds one of the known secrets as is.
func containsAny(b []byte, known []string) bool {
	for _, k := range known {
		if bytes.Contains(b, unsafeBytes(k)) {
			return true
		}
	}
	return false
}

// replaceKnown replaces the known secrets in s (a whole string value, or a
// whole text).
func replaceKnown(s string, known []string) string {
	for _, k := range known {
		switch n := utf8.RuneCountInString(k); {
		case s == k:
			return Redacted
		case n >= wordLen:
			s = replaceSecret(s, k, n >= anywhereLen)
		}
	}
	return s
}

// appendJSONString appends s as a JSON string (HTML characters as is).
func appendJSONString(out []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return append(out, `"`+Redacted+`"`...)
	}
	return append(out, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// replaceSecret replaces f in s: anywhere, or only where f is not part of a
// longer run of letters and digits.
func replaceSecret(s, f string, anywhere bool) string {
	if f == "" || !strings.Contains(s, f) {
		return s
	}
	if anywhere {
		return strings.ReplaceAll(s, f, Redacted)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, f)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(f):])
		if (i == 0 || !isWordRune(before)) && (i+len(f) == len(s) || !isWordRune(after)) {
			b.WriteString(s[:i])
			b.WriteString(Redacted)
		} else {
			b.WriteString(s[:i+len(f)])
		}
		s = s[i+len(f):]
	}
}

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != utf8.RuneError
}

// stringEnd returns the index just past the JSON string starting at b[i]
// (a quote), or len(b) when it is cut short (closed false).
func stringEnd(b []byte, i int) (end int, closed bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(b), false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i]: a
// string, an object or array (matched, strings skipped), or a bare scalar up
// to the next delimiter. A value cut short ends at len(b).
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	return j
}

// decodeJSONString decodes the inside of a JSON string leniently: escapes
// are resolved where valid and kept verbatim where not.
func decodeJSONString(s []byte) string {
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if v, err := strconv.ParseUint(string(s[i+1:i+5]), 16, 16); err == nil {
					r := rune(v)
					i += 4
					if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
						if v2, err := strconv.ParseUint(string(s[i+3:i+7]), 16, 16); err == nil {
							r = utf16.DecodeRune(r, rune(v2))
							i += 6
						}
					}
					b.WriteRune(r)
					continue
				}
			}
			b.WriteString(`\u`)
		default: // \" \\ \/ and anything else: the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// unsafeString views b as a string for a lookup that does not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unsafeBytes views s as bytes that are only read.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
