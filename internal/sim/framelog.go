package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The frame log (-log): every frame in and out, HTTP calls and SIP
// messages, secrets redacted.

func (s *world) logFrame(dir string, c *link, b []byte) {
	if s.frameLog == nil {
		return
	}
	who := "-"
	if w := c.who.Load(); w != nil {
		who = *w // not c.agent: frames are logged with s.mu held
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s %-3s %s %s\n", time.Now().Format("15:04:05.000"), dir, who, redact(b))
}

func (s *world) logHTTP(r *http.Request) {
	if s.frameLog == nil {
		return
	}
	tok := ""
	if r.Header.Get("SDK-TOKEN") != "" {
		tok = " SDK-TOKEN: ***"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s http %s %s%s\n", time.Now().Format("15:04:05.000"), r.Method, r.URL.Path, tok)
}

func (s *world) logLine(line string) {
	if s.frameLog == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s %s\n", time.Now().Format("15:04:05.000"), line)
}

var secretRE = regexp.MustCompile(`("\s*(?:agent_pwd|aagent_pwd|ext_pwd|token)\s*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)`)

// redact hides passwords and tokens in a frame for the frame log.
func redact(b []byte) string { return secretRE.ReplaceAllString(string(b), `$1"***"`) }

// ---- the SIP frame log ----

var sipLogHeaders = map[string]bool{"from": true, "to": true, "call-id": true, "cseq": true, "x-cc-uuid": true,
	"call-info": true, "expires": true, "contact": true, "reason": true, "x-cc-pixels": true}

// logSIP logs one SIP message: its first line, key headers, the SDP's media
// directions; Authorization and challenges redacted.
func (s *world) logSIP(dir, remote string, msg []byte) {
	text := string(msg)
	head, body, _ := strings.Cut(text, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var sb strings.Builder
	sb.WriteString(lines[0])
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n := strings.ToLower(strings.TrimSpace(name))
		switch {
		case n == "authorization" || n == "proxy-authorization" || n == "www-authenticate" || n == "proxy-authenticate":
			sb.WriteString(" | " + strings.TrimSpace(name) + ": ***")
		case sipLogHeaders[n]:
			sb.WriteString(" | " + strings.TrimSpace(l))
		}
	}
	if sdp := sdpSummary(body); sdp != "" {
		sb.WriteString(" | sdp: " + sdp)
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.frameLog, "%s sip-%-3s %s %s\n", time.Now().Format("15:04:05.000"), dir, remote, sb.String())
}

// sdpSummary is "audio sendrecv, video inactive" for an SDP body.
func sdpSummary(body string) string {
	var parts []string
	media, dir := "", ""
	flush := func() {
		if media != "" {
			if dir == "" {
				dir = "sendrecv"
			}
			parts = append(parts, media+" "+dir)
		}
	}
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "m="):
			flush()
			media, dir = strings.Fields(l[2:] + " ")[0], ""
			if f := strings.Fields(l[2:]); len(f) > 1 && f[1] == "0" {
				dir = "rejected"
			}
		case l == "a=sendrecv" || l == "a=sendonly" || l == "a=recvonly" || l == "a=inactive":
			if dir != "rejected" {
				dir = l[2:]
			}
		}
	}
	flush()
	return strings.Join(parts, ", ")
}
