package agent

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// rtcTarget is where the phone registers: the URL it dials and the host of
// the check-in's rtc_address (the SIP domain's default).
type rtcTarget struct {
	url  string // ws:// or wss:// URL actually dialled
	host string // host of rtc_address, without port or brackets
}

// resolveRTCAddress turns the check-in's rtc_address into the URL the phone
// dials (docs/platform.md, "RTC address"). The platform copies FreeSWITCH's
// registration address into it as "host:port" with no scheme, while a
// SIP-over-WebSocket registrar needs a ws:// or wss:// URL, so every form is
// taken:
//
//   - a full URL (ws:// or wss://) is dialled as given;
//   - "host", "host:port" and "host:port/path" get a scheme: scheme when set
//     (Config.RTCScheme), else wss when the CTI link (ctiURL) is wss and ws
//     otherwise;
//   - a template (Config.RTCURLTemplate, e.g. "wss://{host}:7443/"), when set,
//     replaces all of that: {host}, {port}, {path} and {scheme} are the
//     parts of rtc_address (a deployment may publish its SIP WebSocket on
//     another port than the one the platform hands out).
func resolveRTCAddress(addr, ctiURL, scheme, tmpl string) (rtcTarget, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return rtcTarget{}, fmt.Errorf("rtc_address is empty")
	}
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	if scheme != "" && scheme != "ws" && scheme != "wss" {
		return rtcTarget{}, fmt.Errorf("rtc_scheme %q: want ws or wss", scheme)
	}
	given := ""
	rest := addr
	if i := strings.Index(addr, "://"); i >= 0 {
		given, rest = strings.ToLower(addr[:i]), addr[i+3:]
		if given != "ws" && given != "wss" {
			return rtcTarget{}, fmt.Errorf("rtc_address %q: scheme %q is not a SIP WebSocket (ws or wss)", addr, given)
		}
	}
	switch {
	case given != "":
		scheme = given // a full URL keeps its own scheme
	case scheme == "":
		scheme = "ws"
		if u, err := url.Parse(ctiURL); err == nil && strings.EqualFold(u.Scheme, "wss") {
			scheme = "wss"
		}
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil {
		return rtcTarget{}, fmt.Errorf("rtc_address %q: %v", addr, err)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || u.User != nil || (strings.Contains(host, ":") && !strings.HasPrefix(u.Host, "[")) {
		return rtcTarget{}, fmt.Errorf("rtc_address %q: want host, host:port, host:port/path or a ws(s):// URL", addr)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return rtcTarget{}, fmt.Errorf("rtc_address %q: bad port %q", addr, port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return rtcTarget{}, fmt.Errorf("rtc_address %q: empty port", addr)
	}
	if tmpl == "" {
		return rtcTarget{url: u.String(), host: host}, nil
	}
	if strings.Contains(tmpl, "{port}") && port == "" {
		return rtcTarget{}, fmt.Errorf("rtc_url_template uses {port} but rtc_address %q has none", addr)
	}
	hostPart := host
	if strings.Contains(host, ":") {
		hostPart = "[" + host + "]" // an IPv6 literal
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	out := strings.NewReplacer("{host}", hostPart, "{port}", port, "{path}", path, "{scheme}", scheme).Replace(tmpl)
	tu, err := url.Parse(out)
	if err != nil || (tu.Scheme != "ws" && tu.Scheme != "wss") || tu.Hostname() == "" {
		return rtcTarget{}, fmt.Errorf("rtc_url_template %q gives %q: want a ws:// or wss:// URL", tmpl, out)
	}
	return rtcTarget{url: tu.String(), host: host}, nil
}

// isLoopbackHost reports whether h names this machine.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
