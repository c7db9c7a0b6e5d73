package rtc

import (
	"crypto/md5" //nolint:gosec // SIP digest (RFC 2617/3261) is MD5 by default
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Digest authentication as a UAC (RFC 3261 §22, RFC 2617 qop=auth,
// RFC 7616 SHA-256 / MD5). The response value is a secret-derived value: it
// is never logged (see redactSIP).

// challenge is one parsed WWW-Authenticate / Proxy-Authenticate.
type challenge struct {
	realm, nonce, opaque, algorithm string
	qopAuth                         bool // qop offered and "auth" is in it
	stale                           bool
	proxy                           bool // Proxy-Authenticate → Proxy-Authorization
}

// parseChallenge reads a Digest challenge; ok is false for other schemes
// or an algorithm we do not do (e.g. a "-sess" variant or SHA-512-256).
func parseChallenge(v string) (challenge, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 7 || !strings.EqualFold(v[:7], "digest ") {
		return challenge{}, false
	}
	p := authParams(v[7:])
	c := challenge{realm: p["realm"], nonce: p["nonce"], opaque: p["opaque"], algorithm: p["algorithm"]}
	if c.algorithm == "" {
		c.algorithm = "MD5"
	}
	if !strings.EqualFold(c.algorithm, "MD5") && !strings.EqualFold(c.algorithm, "SHA-256") {
		return challenge{}, false
	}
	if q, ok := p["qop"]; ok {
		for _, o := range strings.Split(q, ",") {
			if strings.EqualFold(strings.TrimSpace(o), "auth") {
				c.qopAuth = true
			}
		}
		if !c.qopAuth {
			return challenge{}, false // auth-int only
		}
	}
	c.stale = strings.EqualFold(p["stale"], "true")
	return c, c.nonce != ""
}

// pickChallenge chooses among the challenges of a 401/407: SHA-256 first.
func pickChallenge(values []string, proxy bool) (challenge, bool) {
	var best challenge
	found := false
	for _, v := range values {
		c, ok := parseChallenge(v)
		if !ok {
			continue
		}
		c.proxy = proxy
		if !found || (strings.EqualFold(c.algorithm, "SHA-256") && !strings.EqualFold(best.algorithm, "SHA-256")) {
			best, found = c, true
		}
	}
	return best, found
}

// authParams parses k=v, k="v" pairs (commas inside quotes kept).
func authParams(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t,")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		k := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var v string
		if strings.HasPrefix(s, `"`) {
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			v = strings.ReplaceAll(s[1:min(end, len(s))], `\"`, `"`)
			s = s[min(end+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			v = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		out[k] = v
	}
	return out
}

func digestHash(alg string, parts ...string) string {
	var h hash.Hash
	if strings.EqualFold(alg, "SHA-256") {
		h = sha256.New()
	} else {
		h = md5.New() //nolint:gosec
	}
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// digestResponse computes the request-digest.
func digestResponse(c challenge, user, pwd, method, uri, cnonce string, nc uint32) string {
	ha1 := digestHash(c.algorithm, user, c.realm, pwd)
	ha2 := digestHash(c.algorithm, method, uri)
	if c.qopAuth {
		return digestHash(c.algorithm, ha1, c.nonce, fmt.Sprintf("%08x", nc), cnonce, "auth", ha2)
	}
	return digestHash(c.algorithm, ha1, c.nonce, ha2)
}

// authorization builds the Authorization (or Proxy-Authorization) value.
func authorization(c challenge, user, pwd, method, uri string, nc uint32) string {
	cnonce := randHex(8)
	resp := digestResponse(c, user, pwd, method, uri, cnonce, nc)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%s`,
		quoteEsc(user), quoteEsc(c.realm), quoteEsc(c.nonce), uri, resp, c.algorithm)
	if c.qopAuth {
		fmt.Fprintf(&b, `, qop=auth, nc=%08x, cnonce="%s"`, nc, cnonce)
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque="%s"`, quoteEsc(c.opaque))
	}
	return b.String()
}

func quoteEsc(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redactSIP hides digest responses and credentials in a SIP message
// before it is logged.
func redactSIP(msg string) string {
	lines := strings.Split(msg, "\r\n")
	for i, l := range lines {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "authorization", "proxy-authorization":
			lines[i] = redactParam(l, "response")
		}
	}
	return strings.Join(lines, "\r\n")
}

func redactParam(line, key string) string {
	i := strings.Index(strings.ToLower(line), key+"=")
	if i < 0 {
		return line
	}
	j := i + len(key) + 1
	end := j
	if end < len(line) && line[end] == '"' {
		end++
		for end < len(line) && line[end] != '"' {
			end++
		}
		end++
	} else {
		for end < len(line) && line[end] != ',' {
			end++
		}
	}
	return line[:j] + `"[redacted]"` + line[min(end, len(line)):]
}
