package httpapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// An error page that echoes what it was sent must not bring the password
// (or the token) into the error message.
func TestStatusErrorDoesNotCopyTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		_, _ = io.WriteString(w, "<html><body><h1>Internal error</h1><pre>request: "+string(b)+
			" header: "+r.Header.Get("SDK-TOKEN")+"</pre></body></html>")
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Token: func() string { return "tok-0123456789abcdef" }})
	_, err := c.GetToken(context.Background(), &protocol.GetTokenRequest{CompanyCode: "c", AgentID: "a", AgentPwd: "919191Aa."})
	var he *StatusError
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{err.Error(), he.Msg, he.Body} {
		if strings.Contains(s, "919191Aa.") || strings.Contains(s, "tok-0123456789abcdef") {
			t.Fatalf("a secret escaped: %q", s)
		}
	}
	if !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("message %q does not say what happened", err)
	}
}

// A JSON error body's message is kept (with the password redacted).
func TestStatusErrorKeepsJSONMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"code":400,"message":"[agent_pwd] 919191Aa. rejected && [req_id]不能为空"}`)
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL})
	_, err := c.GetToken(context.Background(), &protocol.GetTokenRequest{CompanyCode: "c", AgentID: "a", AgentPwd: "919191Aa."})
	if err == nil || !strings.Contains(err.Error(), "[req_id]不能为空") || strings.Contains(err.Error(), "919191Aa.") {
		t.Fatalf("err = %v", err)
	}
}

// The server's auth failure is an HTTP 200 with an int code and "message".
func TestForbiddenIsARefusalWithItsMessage(t *testing.T) {
	srv, _ := server(t, 200, `{"code":403,"message":"鉴权不通过!"}`)
	c, _ := New(Config{BaseURL: srv.URL})
	for name, call := range map[string]func() (string, string, error){
		"get-token": func() (string, string, error) {
			r, err := c.GetToken(context.Background(), &protocol.GetTokenRequest{CompanyCode: "c", AgentID: "a", AgentPwd: "p"})
			if r == nil {
				return "", "", err
			}
			return r.Code, r.Msg, err
		},
		"skills": func() (string, string, error) {
			r, err := c.GetSkillServiceList(context.Background(), "c", "")
			if r == nil {
				return "", "", err
			}
			return r.Code, r.Msg, err
		},
		"ivrs": func() (string, string, error) {
			r, err := c.GetIVRServiceList(context.Background(), "c", "")
			if r == nil {
				return "", "", err
			}
			return r.Code, r.Msg, err
		},
	} {
		code, msg, err := call()
		var se *protocol.ServerError
		if !errors.As(err, &se) || se.Code != "403" || se.Msg != "鉴权不通过!" || code != "403" || msg != "鉴权不通过!" {
			t.Errorf("%s: code %q msg %q err %v", name, code, msg, err)
		}
	}
}

func TestGetTokenBodyAndServiceRoot(t *testing.T) {
	for _, c := range []struct{ base, path string }{
		{"", "/cloudcc-sdk-interface/openapi/get-token"}, // no path: SI, the spec's
		{"/", "/cloudcc-sdk-interface/openapi/get-token"},
		{"/cloudcc-client-server", "/cloudcc-client-server/openapi/get-token"}, // CS
		{"/cloudcc-sdk-interface/", "/cloudcc-sdk-interface/openapi/get-token"},
		{"/gw/cloudcc-client-server", "/gw/cloudcc-client-server/openapi/get-token"},
	} {
		srv, ch := server(t, 200, `{"code":"0","msg":"成功!","token":"T"}`)
		cl, err := New(Config{BaseURL: srv.URL + c.base})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.GetToken(context.Background(), &protocol.GetTokenRequest{CompanyCode: "c", AgentID: "a", AgentPwd: "pw", OS: "Linux"}); err != nil {
			t.Fatalf("%q: %v", c.base, err)
		}
		s := <-ch
		if s.path != c.path {
			t.Errorf("base %q: path %q, want %q", c.base, s.path, c.path)
		}
		for _, k := range []string{"agent_pwd", "aagent_pwd", "msg_type", "req_id", "company_code", "agent_id", "os"} {
			if v, _ := s.body[k].(string); v == "" {
				t.Errorf("base %q: body lacks %s: %v", c.base, k, s.body)
			}
		}
		if s.body["msg_type"] != "get_token" {
			t.Errorf("msg_type %v", s.body["msg_type"])
		}
	}
	if _, err := New(Config{BaseURL: "http://h/x?y=1"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a base URL with a query: %v", err)
	}
}

func TestRefusedIsNotConnected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	c, _ := New(Config{BaseURL: "http://" + addr})
	_, err = c.GetSkillServiceList(context.Background(), "c", "")
	if !errors.Is(err, ErrNotConnected) || errors.Is(err, ErrTLS) {
		t.Fatalf("err = %v, want ErrNotConnected", err)
	}
}

func TestUntrustedCertificateIsTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"code":"0","msg":"ok","data":[]}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL}) // system roots only
	_, err := c.GetSkillServiceList(context.Background(), "c", "")
	if !errors.Is(err, ErrTLS) || !IsTLSFailure(err) {
		t.Fatalf("err = %v, want ErrTLS", err)
	}
	// Trusting the server's CA makes it work.
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c, _ = New(Config{BaseURL: srv.URL, TLSConfig: &tls.Config{RootCAs: pool}})
	if _, err := c.GetSkillServiceList(context.Background(), "c", ""); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
}
