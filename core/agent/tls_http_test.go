package agent

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/httpapi"
)

// tls_ca_pem and tls_insecure apply to an https:// http_url even when the
// CTI link is plain ws://.
func TestTLSSettingsApplyToHTTPSWithPlainWS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"code":"0","msg":"ok","data":[{"ivr_service_id":"i1","ivr_service_name":"n"}]}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	base := map[string]any{"ws_url": "ws://127.0.0.1:1/ws", "http_url": srv.URL, "company_code": "c", "agent_id": "a"}
	newAgent := func(extra map[string]any) *Agent {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		cfg, err := ParseConfig(b)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		return a
	}
	if _, err := newAgent(nil).GetIVRServiceList(context.Background(), "", ""); !errors.Is(err, httpapi.ErrTLS) {
		t.Fatalf("untrusted certificate: err = %v, want ErrTLS", err)
	}
	for name, extra := range map[string]map[string]any{
		"tls_ca_pem":   {"tls_ca_pem": caPEM},
		"tls_insecure": {"tls_insecure": true},
	} {
		rep, err := newAgent(extra).GetIVRServiceList(context.Background(), "", "")
		if err != nil || len(rep.Data) != 1 {
			t.Errorf("%s: %v %+v", name, err, rep)
		}
	}
}
