// Package httpapi is the client of the platform's SDK HTTP interface
// (cloudcc-sdk-interface): get-token and the skill and IVR service lists.
package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// Config describes the HTTP interface.
type Config struct {
	// BaseURL is http(s)://host:port; the spec's paths are appended to it.
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

// ErrInvalidArgument: the configuration or a parameter is unusable.
var ErrInvalidArgument = errors.New("cloudcc: invalid argument")

// StatusError is an HTTP answer other than 2xx.
type StatusError struct {
	Call       string
	StatusCode int
	Body       string // at most 512 bytes, for diagnosis
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("cloudcc: %s: HTTP %d: %s", e.Call, e.StatusCode, e.Body)
}

// New makes a client; it does not touch the network.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: HTTP base URL must be http(s)://host[:port], got %q", ErrInvalidArgument, cfg.BaseURL)
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

// GetToken asks for a session token without checking in. The password goes
// under both aagent_pwd (as the spec documents) and agent_pwd.
func (c *Client) GetToken(ctx context.Context, r *protocol.GetTokenRequest) (*protocol.TokenReply, error) {
	if r.ReqID == "" {
		r.ReqID = uuid.NewString()
	}
	r.MsgType = protocol.MsgGetToken
	body, err := r.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("get-token: %w", err)
	}
	b, err := c.do(ctx, "get-token", http.MethodPost, protocol.PathGetToken, nil, body)
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeTokenReply(b)
	if err != nil {
		return nil, fmt.Errorf("get-token: %w", err)
	}
	return rep, rep.Err()
}

// GetSkillServiceList lists the company's skill (人工服务) services whose
// name contains serviceName ("" for all).
func (c *Client) GetSkillServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.SkillServiceList, error) {
	b, err := c.do(ctx, "get-skill-service-list", http.MethodGet, protocol.PathGetSkillServiceList,
		url.Values{"company_code": {companyCode}, "service_name": {serviceName}}, nil)
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeSkillServiceList(b)
	if err != nil {
		return nil, fmt.Errorf("get-skill-service-list: %w", err)
	}
	return rep, rep.Err("get-skill-service-list")
}

// GetIVRServiceList lists the company's IVR services whose name contains
// serviceName ("" for all).
func (c *Client) GetIVRServiceList(ctx context.Context, companyCode, serviceName string) (*protocol.IVRServiceList, error) {
	b, err := c.do(ctx, "get-ivr-service-list", http.MethodGet, protocol.PathGetIVRServiceList,
		url.Values{"company_code": {companyCode}, "service_name": {serviceName}}, nil)
	if err != nil {
		return nil, err
	}
	rep, err := protocol.DecodeIVRServiceList(b)
	if err != nil {
		return nil, fmt.Errorf("get-ivr-service-list: %w", err)
	}
	return rep, rep.Err("get-ivr-service-list")
}

// CloseIdleConnections releases pooled connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, call, method, path string, q url.Values, body []byte) ([]byte, error) {
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
	if c.cfg.Token != nil {
		if t := c.cfg.Token(); t != "" {
			req.Header.Set("SDK-TOKEN", t)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", call, ctx.Err())
		}
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: read body: %w", call, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := string(protocol.Redact(b))
		if len(snippet) > 512 {
			snippet = snippet[:512]
		}
		return nil, &StatusError{Call: call, StatusCode: resp.StatusCode, Body: snippet}
	}
	return b, nil
}
