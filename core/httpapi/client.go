// Package httpapi is the client of the platform's SDK HTTP interface: get-token
// and the skill and IVR service lists.
//
// The platform serves them twice: SI, /cloudcc-sdk-interface/openapi/...
// (the spec's paths), and CS, /cloudcc-client-server/openapi/... (the agent
// front end's httpUrl). The base URL names the service root: a base with no
// path ("http://host:5002") means SI; a base with one
// ("http://host:5001/cloudcc-client-server") is used as that service's root,
// and "/openapi/<call>" is appended to it.
package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/google/uuid"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
)

// Config describes the HTTP interface.
type Config struct {
	// BaseURL is http(s)://host:port, optionally with the service root
	// path (see the package doc); default root /cloudcc-sdk-interface.
	BaseURL string
	// Language goes into the LANGUAGE header: "zh-CN" (default) or "en-US".
	Language string
	// Token returns the current session token for the SDK-TOKEN header ("" = none).
	Token func() string
	// Timeout bounds a call whose context has no deadline. Default 10s.
	Timeout time.Duration
	// TLSConfig verifies https servers; nil uses the system roots.
	TLSConfig *tls.Config
	// HTTPClient, when set, is used as is (TLSConfig is then ignored).
	HTTPClient *http.Client
}

// Client calls the SDK HTTP interface. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	cfg     Config
	http    *http.Client
	timeout time.Duration
}

// Sentinel errors callers branch on.
var (
	// ErrInvalidArgument: the configuration or a parameter is unusable. It
	// is sdkerr.ErrInvalidArgument, the one error kind of a bad argument
	// across the SDK's packages.
	ErrInvalidArgument = sdkerr.ErrInvalidArgument
	// ErrNotConnected: the server could not be reached (refused, unknown
	// host, unreachable).
	ErrNotConnected = errors.New("cloudcc: HTTP server not reachable")
	// ErrTLS: the TLS handshake failed, typically because the server's
	// certificate could not be verified (see tls_ca_file, tls_ca_pem).
	ErrTLS = errors.New("cloudcc: TLS handshake failed")
)

// DefaultServiceRoot is the service root used when the base URL has no path:
// the spec's SDK interface (SI).
const DefaultServiceRoot = "/cloudcc-sdk-interface"

// StatusError is an HTTP answer other than 2xx. Its message never copies the
// server's body (an error page may echo what it was sent, the password
// included): it gives the status, and the "msg"/"message" of a JSON body
// with the secrets the call knows redacted.
type StatusError struct {
	Call       string
	StatusCode int
	Msg        string // the JSON body's msg or message, redacted, at most 200 bytes
	Body       string // at most 512 bytes of the body, redacted, for diagnosis
}

func (e *StatusError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("cloudcc: %s: HTTP %d: %s", e.Call, e.StatusCode, e.Msg)
	}
	return fmt.Sprintf("cloudcc: %s: HTTP %d %s", e.Call, e.StatusCode, http.StatusText(e.StatusCode))
}

// New makes a client; it does not touch the network.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: HTTP base URL must be http(s)://host[:port][/service-root], got %q", ErrInvalidArgument, cfg.BaseURL)
	}
	if u.Path == "" {
		u.Path = DefaultServiceRoot
	}
	if cfg.Language == "" {
		cfg.Language = "zh-CN"
	}
	c := &Client{base: u, cfg: cfg, timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	c.http = cfg.HTTPClient
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.TLSConfig != nil {
			tr.TLSClientConfig = cfg.TLSConfig
		}
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

// GetToken asks for a session token without checking in. The body carries
// req_id and msg_type (the SI service validates both), and the password under
// agent_pwd (the field the server reads) and aagent_pwd (the spec's name).
// A refusal (an HTTP 200 whose code is not 0, e.g. {"code":403,"message":...})
// is returned with a *protocol.ServerError.
func (c *Client) GetToken(ctx context.Context, r *protocol.GetTokenRequest) (*protocol.TokenReply, error) {
	if r.ReqID == "" {
		r.ReqID = uuid.NewString()
	}
	r.MsgType = protocol.MsgGetToken
	body, err := r.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("get-token: %w", err)
	}
	b, err := c.do(ctx, "get-token", http.MethodPost, openAPI(protocol.PathGetToken), nil, body, r.AgentPwd.Reveal())
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeTokenReply(b)
	if err != nil {
		return nil, fmt.Errorf("get-token: %w", err)
	}
	if rep.MsgType == "" {
		rep.MsgType = protocol.MsgGetToken
	}
	if rep.ReqID == "" {
		rep.ReqID = r.ReqID
	}
	if rep.Msg == "" {
		rep.Msg = messageOf(b)
	}
	return rep, rep.Err()
}

// GetSkillServiceList lists the company's skill (人工服务) services whose
// name contains serviceName ("" for all).
func (c *Client) GetSkillServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.SkillServiceList, error) {
	b, err := c.do(ctx, "get-skill-service-list", http.MethodGet, openAPI(protocol.PathGetSkillServiceList),
		url.Values{"company_code": {companyCode}, "service_name": {serviceName}}, nil, "")
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeSkillServiceList(b)
	if err != nil {
		return nil, fmt.Errorf("get-skill-service-list: %w", err)
	}
	if rep.Msg == "" {
		rep.Msg = messageOf(b)
	}
	return rep, rep.Err("get-skill-service-list")
}

// GetIVRServiceList lists the company's IVR services whose name contains
// serviceName ("" for all).
func (c *Client) GetIVRServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.IVRServiceList, error) {
	b, err := c.do(ctx, "get-ivr-service-list", http.MethodGet, openAPI(protocol.PathGetIVRServiceList),
		url.Values{"company_code": {companyCode}, "service_name": {serviceName}}, nil, "")
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeIVRServiceList(b)
	if err != nil {
		return nil, fmt.Errorf("get-ivr-service-list: %w", err)
	}
	if rep.Msg == "" {
		rep.Msg = messageOf(b)
	}
	return rep, rep.Err("get-ivr-service-list")
}

// messageOf reads the reason of a JSON body that has no "msg": the
// platform's Spring handlers answer {"code":403,"message":"鉴权不通过!"}.
func messageOf(b []byte) string {
	var m struct {
		Message any `json:"message"`
		Error   any `json:"error"`
	}
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	for _, v := range []any{m.Message, m.Error} {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// openAPI is a spec path (/cloudcc-sdk-interface/openapi/x) relative to the
// service root (/openapi/x).
func openAPI(specPath string) string { return strings.TrimPrefix(specPath, DefaultServiceRoot) }

// CloseIdleConnections releases pooled connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// do runs one call; secret is a value the call sends (the password) that an
// error message must not repeat, whatever the server echoes.
func (c *Client) do(ctx context.Context, call, method, path string, q url.Values, body []byte, secret string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("LANGUAGE", c.cfg.Language)
	var red protocol.Redactor
	red.Learn(secret)
	if c.cfg.Token != nil {
		if t := c.cfg.Token(); t != "" {
			req.Header.Set("SDK-TOKEN", t)
			red.Learn(t)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, classify(ctx, call, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: read body: %w", call, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{Call: call, StatusCode: resp.StatusCode,
			Msg:  truncate(red.Text(messageOf(b)), 200),
			Body: truncate(red.Text(string(red.JSON(protocol.ValidUTF8(b), nil))), 512)}
	}
	return b, nil
}

// classify wraps a transport failure with the sentinel callers branch on.
// The net/http error names the URL, never the body or headers.
func classify(ctx context.Context, call string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", call, ctx.Err())
	case IsTLSFailure(err):
		return fmt.Errorf("%s: %w: %w", call, ErrTLS, err)
	case isDialFailure(err):
		return fmt.Errorf("%s: %w: %w", call, ErrNotConnected, err)
	}
	return fmt.Errorf("%s: %w", call, err)
}

// IsTLSFailure reports whether err comes from a failed TLS handshake: an
// unverifiable certificate (unknown authority, wrong host, expired), an
// alert from the peer, or a peer that does not speak TLS.
func IsTLSFailure(err error) bool {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verify     *tls.CertificateVerificationError
		record     tls.RecordHeaderError
		alert      tls.AlertError
		systemRoot x509.SystemRootsError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &systemRoot) || errors.Is(err, ErrTLS)
}

// isDialFailure reports whether err is a failure to reach the server at all.
func isDialFailure(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1] // do not cut a character in half
	}
	return s
}
