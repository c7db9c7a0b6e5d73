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

	"github.com/cloudcc/agent-sdk/core/httpapi"
)

// TLSCAPEM and TLSInsecure apply to an https:// http_url even when the
// CTI link is plain ws://.
func TestTLSSettingsApplyToHTTPSWithPlainWS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"code":"0","msg":"ok","data":[{"ivr_service_id":"i1","ivr_service_name":"n"}]}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	newAgent := func(mod func(*Config)) *Agent {
		cfg := Config{WSURL: "ws://127.0.0.1:1/ws", HTTPURL: srv.URL, CompanyCode: "c", AgentID: "a"}
		if mod != nil {
			mod(&cfg)
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
	for name, mod := range map[string]func(*Config){
		"TLSCAPEM":    func(c *Config) { c.TLSCAPEM = caPEM },
		"TLSInsecure": func(c *Config) { c.TLSInsecure = true },
	} {
		rep, err := newAgent(mod).GetIVRServiceList(context.Background(), "", "")
		if err != nil || len(rep.Data) != 1 {
			t.Errorf("%s: %v %+v", name, err, rep)
		}
	}
}
