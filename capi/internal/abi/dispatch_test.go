package abi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	json "github.com/goccy/go-json"
)

// What cc_client_media answers outside RTC mode, for every name and
// kinds of params: status and reply, as the C ABI has always given them.
var mediaReplies = []struct {
	name, params string
	status       int
	reply        string
}{
	{`play_wav`, ``, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_wav needs path"}`},
	{`play_wav`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`play_wav`, `{}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_wav needs path"}`},
	{`play_wav`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`play_wav`, `{"hz":-1}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_wav needs path"}`},
	{`play_tone`, ``, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_tone needs hz \u003e 0"}`},
	{`play_tone`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`play_tone`, `{}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_tone needs hz \u003e 0"}`},
	{`play_tone`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`play_tone`, `{"hz":-1}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: play_tone needs hz \u003e 0"}`},
	{`stop_play`, ``, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_play`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`stop_play`, `{}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_play`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_play`, `{"hz":-1}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`record_wav`, ``, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: record_wav needs path"}`},
	{`record_wav`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`record_wav`, `{}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: record_wav needs path"}`},
	{`record_wav`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`record_wav`, `{"hz":-1}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: record_wav needs path"}`},
	{`stop_record`, ``, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_record`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`stop_record`, `{}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_record`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stop_record`, `{"hz":-1}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stats`, ``, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stats`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`stats`, `{}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stats`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`stats`, `{"hz":-1}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`calls`, ``, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`calls`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`calls`, `{}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`calls`, `{"path":"x.wav","hz":440}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`calls`, `{"hz":-1}`, -8, `{"code":"-8","msg":"not supported in this mode: cloudcc: the agent is not in RTC mode (login_type 1)"}`},
	{`nope`, ``, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: unknown media call \"nope\""}`},
	{`nope`, `x`, -1, `{"code":"-1","msg":"invalid argument: params are not a JSON object"}`},
	{`nope`, `{}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: unknown media call \"nope\""}`},
	{`nope`, `{"path":"x.wav","hz":440}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: unknown media call \"nope\""}`},
	{`nope`, `{"hz":-1}`, -1, `{"code":"-1","msg":"invalid argument: invalid media parameters: unknown media call \"nope\""}`},
}

func TestMediaDispatch(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`)
	for _, c := range mediaReplies {
		r := Media(id, Str{S: c.name}, Str{S: c.params})
		if r.Status != c.status || string(r.JSON) != c.reply {
			t.Errorf("Media(%s, %q) = %d %s\nwant %d %s", c.name, c.params, r.Status, r.JSON, c.status, c.reply)
		}
	}
	if r := Media(id, Str{Null: true}, Str{}); r.Status != ccInvalidArgument || decode(t, r.JSON)["msg"] != "invalid argument: name is NULL" {
		t.Errorf("NULL name: %d %s", r.Status, r.JSON)
	}
	if r := Media(id, Str{S: "stats"}, Str{Null: true}); r.Status != ccUnsupported {
		t.Errorf("NULL params: %d %s", r.Status, r.JSON)
	}
}

// The HTTP calls by name: the SDK-side refusals, a reply (get-token's
// token handed out on purpose), and an HTTP error with its status.
func TestHTTPDispatch(t *testing.T) {
	h := begin(t)
	var mu sync.Mutex
	var lastBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		lastBody = string(b)
		mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "token"):
			_, _ = io.WriteString(w, `{"code":"0","msg":"ok","token":"fresh-t0ken"}`)
		case r.URL.Query().Get("service_name") == "broken":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"msg":"upstream down"}`)
		default:
			_, _ = io.WriteString(w, `{"code":"0","msg":"ok","data":[{"ivr_service_id":"i1","ivr_service_name":"n"}]}`)
		}
	}))
	defer srv.Close()

	noHTTP := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`)
	for _, name := range []string{"get-token", "get-skill-service-list", "get-ivr-service-list"} {
		r := HTTP(noHTTP, Str{S: name}, Str{}, 1000)
		if r.Status != ccInvalidArgument || !strings.Contains(decode(t, r.JSON)["msg"].(string), "http_url is not configured") {
			t.Errorf("%s without http_url: %d %s", name, r.Status, r.JSON)
		}
	}
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","http_url":"`+srv.URL+`","company_code":"c","agent_id":"a","language":"en-US"}`)
	for _, c := range []struct {
		name, params Str
		msg          string
	}{
		{Str{Null: true}, Str{}, "invalid argument: name is NULL"},
		{Str{S: "get-tokens"}, Str{}, `invalid argument: unknown HTTP call "get-tokens" (want get-token, get-skill-service-list or get-ivr-service-list)`},
		{Str{S: "get-token"}, Str{S: "[1]"}, "invalid argument: params_json is not a JSON object"},
		{Str{S: "get-token"}, Str{S: "null"}, "invalid argument: params_json is not a JSON object"},
	} {
		r := HTTP(id, c.name, c.params, 1000)
		if r.Status != ccInvalidArgument || decode(t, r.JSON)["msg"] != c.msg {
			t.Errorf("HTTP(%+v, %+v) = %d %s, want %q", c.name, c.params, r.Status, r.JSON, c.msg)
		}
	}
	r := HTTP(id, Str{S: "get-token"}, Str{S: `{"agent_pwd":"pa55word-x","req_id":7}`}, 5000)
	if m := decode(t, r.JSON); r.Status != ccOK || m["token"] != "fresh-t0ken" || strings.Contains(string(r.JSON), "pa55word-x") {
		t.Fatalf("get-token: %d %s", r.Status, r.JSON)
	}
	var sent map[string]any
	mu.Lock()
	body := lastBody
	mu.Unlock()
	if err := json.Unmarshal([]byte(body), &sent); err != nil || sent["req_id"] != "7" || sent["company_code"] != "c" {
		t.Fatalf("get-token sent %s", body)
	}
	r = HTTP(id, Str{S: "get-ivr-service-list"}, Str{}, 5000)
	if r.Status != ccOK || !strings.Contains(string(r.JSON), `"ivr_service_id":"i1"`) {
		t.Fatalf("ivr list: %d %s", r.Status, r.JSON)
	}
	r = HTTP(id, Str{S: "get-skill-service-list"}, Str{S: `{"service_name":"broken"}`}, 5000)
	if m := decode(t, r.JSON); r.Status != ccHTTP || m["http_status"] != 502.0 {
		t.Fatalf("HTTP 502: %d %s", r.Status, r.JSON)
	}
}

// PushPCM and SetPCMSink check their arguments before anything else, and
// never read the host's buffer when they are bad; outside RTC mode the
// agent refuses (not supported).
func TestPCMArguments(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
	read := func(dst []int16) {
		for i := range dst {
			dst[i] = int16(i)
		}
	}
	for _, c := range []struct {
		name  string
		count int
		rate  int
		read  func([]int16)
		want  int
	}{
		{"NULL samples", 160, 8000, nil, ccInvalidArgument},
		{"rate 0", 160, 0, read, ccInvalidArgument},
		{"count that did not fit an int", -1, 8000, read, ccInvalidArgument},
		{"count over the bound", maxPCM + 1, 8000, read, ccInvalidArgument},
		{"NULL and no samples", 0, 8000, nil, ccUnsupported},
		{"good, no call", 160, 8000, read, ccUnsupported},
	} {
		reads := 0
		r := c.read
		if r != nil {
			r = func(dst []int16) { reads++; c.read(dst) }
		}
		if st := PushPCM(id, Str{}, c.count, c.rate, r); st != c.want || (c.want == ccInvalidArgument && reads != 0) {
			t.Errorf("PushPCM %s: %d (read %d times), want %d", c.name, st, reads, c.want)
		}
	}
	sink := func(string, []int16) {}
	if st := SetPCMSink(id, Str{}, 0, sink); st != ccInvalidArgument {
		t.Errorf("SetPCMSink rate 0: %d", st)
	}
	if st := SetPCMSink(id, Str{}, 16000, sink); st != ccUnsupported {
		t.Errorf("SetPCMSink outside RTC mode: %d", st)
	}
	if st := SetPCMSink(id, Str{Null: true}, 0, nil); st != ccUnsupported {
		t.Errorf("SetPCMSink(nil) outside RTC mode: %d", st)
	}
}
