package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

type seen struct {
	method, path, query, lang, token string
	body                             map[string]any
}

func server(t *testing.T, status int, reply string) (*httptest.Server, chan seen) {
	t.Helper()
	ch := make(chan seen, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
			lang: r.Header.Get("LANGUAGE"), token: r.Header.Get("SDK-TOKEN")}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			_ = json.Unmarshal(b, &s.body)
		}
		ch <- s
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestGetTokenSendsBothPasswordKeys(t *testing.T) {
	srv, ch := server(t, 200, `{"req_id":"r1","msg_type":"get_token","code":0,"msg":"ok","token":"T-1"}`)
	c, err := New(Config{BaseURL: srv.URL + "/", Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.GetToken(context.Background(), &protocol.GetTokenRequest{
		CompanyCode: "90001", AgentID: "90001_20000", AgentPwd: "11111", OS: "Windows"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Token.Reveal() != "T-1" || rep.Code != "0" {
		t.Fatalf("reply %+v", rep)
	}
	s := <-ch
	if s.method != "POST" || s.path != protocol.PathGetToken || s.lang != "en-US" || s.token != "" {
		t.Fatalf("request %+v", s)
	}
	if s.body["aagent_pwd"] != "11111" || s.body["agent_pwd"] != "11111" || s.body["msg_type"] != "get_token" {
		t.Fatalf("body %v", s.body)
	}
	if id, _ := s.body["req_id"].(string); id == "" {
		t.Fatal("req_id not filled")
	}
}

func TestListsCarryTokenAndDecode(t *testing.T) {
	srv, ch := server(t, 200, `{"code":"0","msg":"成功!","data":[{"skill_id":1724672524089675778,"skill_name":"默认技能"}],"company_code":"000078"}`)
	c, _ := New(Config{BaseURL: srv.URL, Token: func() string { return "tok" }})
	rep, err := c.GetSkillServiceList(context.Background(), "000078", "默认")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Data) != 1 || rep.Data[0].SkillID != "1724672524089675778" || rep.Data[0].SkillName != "默认技能" {
		t.Fatalf("data %+v", rep.Data)
	}
	s := <-ch
	if s.method != "GET" || s.path != protocol.PathGetSkillServiceList || s.token != "tok" || s.lang != "zh-CN" {
		t.Fatalf("request %+v", s)
	}
	if !strings.Contains(s.query, "company_code=000078") || !strings.Contains(s.query, "service_name=") {
		t.Fatalf("query %q", s.query)
	}
}

func TestServerCodeIsServerError(t *testing.T) {
	srv, _ := server(t, 200, `{"code":401,"msg":"token invalid","data":null}`)
	c, _ := New(Config{BaseURL: srv.URL})
	rep, err := c.GetIVRServiceList(context.Background(), "1", "")
	var se *protocol.ServerError
	if !errors.As(err, &se) || se.Code != "401" || se.Msg != "token invalid" {
		t.Fatalf("err = %v", err)
	}
	if rep == nil || rep.Code != "401" {
		t.Fatalf("reply %+v", rep)
	}
}

func TestHTTPStatusErrorRedacts(t *testing.T) {
	srv, _ := server(t, 500, `{"msg":"boom","token":"leaky"}`)
	c, _ := New(Config{BaseURL: srv.URL})
	_, err := c.GetIVRServiceList(context.Background(), "1", "")
	var he *StatusError
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "leaky") {
		t.Fatalf("secret in error: %v", err)
	}
}

func TestTimeoutAndBadConfig(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	c, _ := New(Config{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	_, err := c.GetIVRServiceList(context.Background(), "1", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	for _, u := range []string{"", "ftp://x", "http://"} {
		if _, err := New(Config{BaseURL: u}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
}
