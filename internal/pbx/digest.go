package pbx

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"time"
)

// Digest authentication of REGISTER (RFC 3261 §22.4, RFC 2617 with
// qop=auth, RFC 7616's SHA-256 when the client asks for it). Nonces are
// remembered for a while so that a stale or invented one is refused.

type nonceStore struct {
	mu     sync.Mutex
	nonces map[string]time.Time
}

const nonceLife = 5 * time.Minute

func (s *nonceStore) issue() string {
	n := randHex(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces == nil {
		s.nonces = map[string]time.Time{}
	}
	now := time.Now()
	for k, t := range s.nonces {
		if now.Sub(t) > nonceLife {
			delete(s.nonces, k)
		}
	}
	s.nonces[n] = now
	return n
}

func (s *nonceStore) valid(n string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.nonces[n]
	return ok && time.Since(t) <= nonceLife
}

func digestHex(alg string, parts ...string) string {
	var h hash.Hash
	if strings.EqualFold(alg, "SHA-256") {
		h = sha256.New()
	} else {
		h = md5.New()
	}
	h.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(h.Sum(nil))
}

// challenge is the WWW-Authenticate value for a new nonce.
func challenge(realm, nonce string) string {
	return `Digest realm="` + realm + `", nonce="` + nonce + `", algorithm=MD5, qop="auth"`
}

// challenge with stale=true: the credentials may be right, the nonce is not
// (expired, or from before a restart).
func staleChallenge(realm, nonce string) string {
	return challenge(realm, nonce) + ", stale=true"
}

// checkDigest verifies an Authorization header value. It returns the user
// name it claims, whether the response is right for password, and whether
// the nonce was the only problem (unknown or expired: challenge again).
func checkDigest(authz, method, realm string, nonces *nonceStore, password func(user string) (string, bool)) (user string, ok bool) {
	user, ok, _ = checkDigestStale(authz, method, realm, nonces, password)
	return user, ok
}

func checkDigestStale(authz, method, realm string, nonces *nonceStore, password func(user string) (string, bool)) (user string, ok, stale bool) {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(authz)), "digest ") {
		return "", false, false
	}
	p := quoteParams(strings.TrimSpace(authz)[len("digest "):])
	user = p["username"]
	if p["realm"] != realm {
		return user, false, false
	}
	if !nonces.valid(p["nonce"]) {
		return user, false, true
	}
	pwd, known := password(user)
	if !known {
		return user, false, false
	}
	alg := p["algorithm"]
	if alg == "" {
		alg = "MD5"
	}
	if !strings.EqualFold(alg, "MD5") && !strings.EqualFold(alg, "SHA-256") {
		return user, false, false
	}
	ha1 := digestHex(alg, user, realm, pwd)
	ha2 := digestHex(alg, method, p["uri"])
	var want string
	switch p["qop"] {
	case "":
		want = digestHex(alg, ha1, p["nonce"], ha2)
	case "auth":
		want = digestHex(alg, ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2)
	default:
		return user, false, false
	}
	return user, strings.EqualFold(want, p["response"]), false
}
