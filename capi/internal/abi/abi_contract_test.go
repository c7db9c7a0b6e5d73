package abi

// The C ABI as a checked contract. TestABIContract gathers what the ABI
// promises (status codes, config keys, request / HTTP / media names, the
// events and their fields as this package marshals them, the protocol's
// enumerations) from the library's own tables and sources, checks them
// against include/cloudcc.h, and compares the result with
// include/cloudcc.abi.json. The C, Python and C# tests check their own
// tables against that file, so a change on either side fails a test.
//
// Regenerate the file after an intended change:
//
//	go test ./capi/internal/abi -run TestABIContract -update
//
// The test reads sources through abiRoot (the module's root), so its three
// files (this one, abi_contract_events_test.go, abi_contract_source_test.go)
// can move to another package of the module unchanged but for the paths of
// the ABI's own files (abiSources).

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

var updateABI = flag.Bool("update", false, "rewrite include/cloudcc.abi.json from the library's tables")

// abiFile is the contract, relative to the module's root.
const abiFile = "include/cloudcc.abi.json"

// abiSources are the files the contract reads, relative to the module's root.
var abiSources = struct {
	header, bridge, http, media, events, enums string
}{
	header: "include/cloudcc.h",
	bridge: "capi/bridge.c",                // cc_status_str's table
	http:   "capi/internal/abi/request.go", // cc_client_http's names
	media:  "capi/internal/abi/media.go",   // cc_client_media's names
	events: "capi/internal/abi/events.go",  // marshalEvent: the events the ABI delivers
	enums:  "core/protocol/enums.go",       // the protocol's enumerations
}

// abiContract is the file's shape. Every list is in a fixed order, so the
// file changes only when the ABI does.
type abiContract struct {
	Comment           string      `json:"comment"`
	Statuses          []abiStatus `json:"statuses"`
	StatusUnknownText string      `json:"status_unknown_text"`
	Config            []abiConfig `json:"config"`
	Requests          []string    `json:"requests"`
	HTTP              []string    `json:"http"`
	Media             []string    `json:"media"`
	Events            []abiEvent  `json:"events"`
	Enums             []abiEnum   `json:"enums"`
}

type abiStatus struct {
	Name  string `json:"name"`  // the cc_status constant
	Value int    `json:"value"` // its value
	Text  string `json:"text"`  // what cc_status_str returns for it
	Doc   string `json:"doc"`   // the header's comment
}

type abiConfig struct {
	Key    string            `json:"key"`
	Type   string            `json:"type"`            // JSON type: string, integer, boolean, array
	Unit   string            `json:"unit,omitempty"`  // "ms" for durations
	Items  map[string]string `json:"items,omitempty"` // the fields of an array's objects
	Values []string          `json:"values,omitempty"`
	// Default is the library's value when the key is absent; null when
	// there is none or it is derived (the doc says from what).
	Default any `json:"default"`
	// Sample is a valid value other than the default: the bindings set it
	// and check that it reaches the config JSON as is; the library accepts
	// the config made of every sample.
	Sample any    `json:"sample"`
	Doc    string `json:"doc"`
}

type abiEvent struct {
	MsgType string            `json:"msg_type"`
	Source  string            `json:"source"` // server (a push, with raw), session or agent (the SDK's own)
	Fields  map[string]string `json:"fields"` // every field the ABI may deliver, and its JSON type
	// Samples are events as the ABI marshals them, every field set (one
	// per shape for an event of several).
	Samples []map[string]any `json:"samples"`
}

type abiEnum struct {
	Name   string `json:"name"`
	Type   string `json:"type"` // string or integer
	Values []any  `json:"values"`
}

// abiConfigDoc documents every config key: the library's default and one
// line of meaning. Its order is the file's. A key of Config (config.go) or of this
// layer without an entry here fails the test.
var abiConfigDoc = []struct {
	key    string
	def    any
	sample any
	doc    string
}{
	{"ws_url", nil, "ws://127.0.0.1:1/msg/", `CTI WebSocket, "ws://host:port/path" or "wss://..."; one ending in "/" gets the agent's identity appended (required)`},
	{"http_url", nil, "http://127.0.0.1:1/cloudcc-client-server", "SDK HTTP interface: http(s)://host:port, or with the service's root path"},
	{"company_code", nil, "090008", "fills the requests that leave it empty"},
	{"agent_id", nil, "090008_6000", "fills the requests that leave it empty"},
	{"ext_id", nil, "090008_5000", "the agent's bound extension: check-in needs it; later requests use the one check-in answered"},
	{"os", nil, "Linux", "fills the requests that leave it empty (default: the host's OS)"},
	{"language", "zh-CN", "en-US", `"zh-CN" or "en-US": the LANGUAGE header and the language of the SDK's error messages`},
	{"token", nil, "a-token-from-get-token", "a token from get-token, when known before check-in"},
	{"request_timeout_ms", 5000, 1500, "default timeout of a request"},
	{"dial_timeout_ms", 10000, 2500, "WebSocket handshake timeout"},
	{"http_timeout_ms", 10000, 3500, "default timeout of an HTTP call"},
	{"heartbeat_interval_ms", 20000, 15000, "ping period; -1 turns the heartbeat off"},
	{"heartbeat_misses", 3, 5, "unanswered pings before the link is dead"},
	{"reconnect", true, false, "true: reconnect with backoff and restore a checked-in session; false: stay down until the next request"},
	{"reconnect_min_ms", 500, 250, "first reconnect delay; it doubles (+-20% jitter) at each attempt"},
	{"reconnect_max_ms", 30000, 20000, "largest reconnect delay"},
	{"reconnect_stable_ms", 10000, 5000, "a link must stay up this long for the backoff to start over"},
	{"event_queue_max", 100000, 5000, "events waiting for the host (callback or poll queue) before the oldest are dropped"},
	{"event_queue_max_bytes", 16777216, 1048576, "bytes of events waiting for the host before the oldest are dropped"},
	{"tls_ca_file", nil, "", "a PEM file of extra trusted CAs (wss:// ws_url, https:// http_url, wss:// rtc_address)"},
	{"tls_ca_pem", nil, "", "extra trusted CAs, PEM text"},
	{"tls_insecure", false, true, "skip certificate checks (tests only)"},
	{"log_level", "warn", "debug", `lowest level sent as "log" events`},
	{"rtc", true, false, `true: when check-in answers login_type "1" with an rtc_address, the SDK is the agent's phone; false: never`},
	{"rtc_domain", nil, "sip.example", "SIP domain of sip:{ext_id}@{domain} (default: the host of rtc_address)"},
	{"rtc_scheme", nil, "wss", "scheme of an rtc_address that has none (default: wss when ws_url is wss, else ws)"},
	{"rtc_url_template", nil, "wss://{host}:7443/", "the SIP WebSocket URL made of rtc_address's parts ({host}, {port}, {path}, {scheme}) instead"},
	{"ice_servers", nil, []any{map[string]any{"urls": []any{"stun:stun.example:3478"}, "username": "u", "credential": "c"}}, "STUN/TURN servers of the media"},
	{"rtc_stats_interval_ms", 0, 5000, `an "rtc_stats" event per call this often (0: none)`},
	{"rtc_keepalive_ms", 25000, 20000, "SIP link WebSocket ping period; -1 turns it off"},
	{"rtc_default_source", "silence", "tone:440", `what a new call sends: "silence", "tone:HZ" or "wav:PATH" (looped)`},
	{"rtc_include_loopback", false, true, "gather loopback ICE candidates (implied when rtc_address is a loopback address)"},
	{"rtc_auto_answer", "requests", "hints", "which INVITEs the SDK answers itself"},
	{"rtc_auto_answer_window_ms", 15000, 10000, "how long after such a request (and around a callin) an INVITE is taken for it"},
	{"rtc_max_calls", 4, 2, "SIP calls at once (-1: no limit); beyond: 486"},
	{"rtc_ring_timeout_ms", 60000, 30000, "an unanswered ringing call ends (480) after this (-1: never)"},
	{"rtc_max_message_bytes", 65536, 32768, "largest SIP message taken (at least 1024); larger: 513"},
	{"rtc_media_timeout_ms", 15000, 10000, "time ICE/DTLS get to connect (-1: never), then rtc_media_failure"},
	{"rtc_media_failure", "hangup", "flag", `"hangup" (BYE) or "flag" (call kept, rtc_call "media":"failed")`},
	{"rtc_audio", "host", "device", `where a call's audio goes: "host" (the app's, push_pcm / pcm_sink), "device" (the sound devices) or "none"`},
	{"audio_microphone", nil, "cc_mic", `device mode's microphone id ("" or absent: the default communications device)`},
	{"audio_speaker", nil, "cc_speaker", `device mode's speaker id ("" or absent: the default communications device)`},
	{"audio_ringer", nil, "cc_ringer", `the ringtone's device id ("" or absent: the default device)`},
	{"audio_ringtone", "builtin", "off", `what a call ringing for the agent plays in device mode: "builtin", "off" or "wav:PATH" (16-bit PCM)`},
	{"audio_aec", nil, false, "echo cancellation of new calls (default: true in device mode, false otherwise)"},
	{"audio_ns", nil, false, "noise suppression of new calls (default: true in device mode, false otherwise)"},
	{"audio_agc", nil, false, "automatic gain control of new calls (default: true in device mode, false otherwise)"},
	{"audio_vad", nil, false, "voice activity detection of new calls (default: true in device mode, false otherwise)"},
	{"rtc_quality_warnings", true, false, `true: each call is sampled once a second and "call_quality_warning" events say when a warning is raised or cleared; false: no sampler`},
	{"rtc_echo_number", nil, "9196", `the echo extension the pre-call test ("precall_test") calls; empty: its echo step is skipped`},
	{"async_max", 1000, 10, "async requests in flight at once; one more is refused with CC_ERR_BUSY"},
}

// abiLayerKeys are the config keys this layer reads itself (readConfig),
// beside Config's, and their JSON types.
var abiLayerKeys = map[string]string{"async_max": "integer"}

// abiConfigValues are the values an enumerated string key accepts.
var abiConfigValues = map[string][]string{
	"log_level":         {"trace", "debug", "info", "warn", "error", "off"},
	"rtc_scheme":        {"ws", "wss"},
	"rtc_auto_answer":   {agent.AutoAnswerRequests, agent.AutoAnswerHints, agent.AutoAnswerOff},
	"rtc_media_failure": {"hangup", "flag"},
	"rtc_audio":         {agent.AudioHost, agent.AudioDevice, agent.AudioNone},
}

// abiEnumTypes names the protocol's enumerations in the contract.
var abiEnumTypes = []struct {
	name string
	typ  reflect.Type
}{
	{"agent_status", reflect.TypeOf(protocol.StatusFree)},
	{"sub_status", reflect.TypeOf(protocol.SubHold)},
	{"status_action", reflect.TypeOf(protocol.ActionMakeFree)},
	{"callback_action", reflect.TypeOf(protocol.CbCall)},
	{"callback_phase", reflect.TypeOf(protocol.PhaseInitiate)},
	{"callin_channel", reflect.TypeOf(protocol.ChannelNormal)},
	{"media_direction", reflect.TypeOf(protocol.MediaSendRecv)},
	{"trans_mode", reflect.TypeOf(protocol.TransBlind)},
	{"trans_target", reflect.TypeOf(protocol.TransToAgent)},
	{"consult_mode", reflect.TypeOf(protocol.ConsultStart)},
	{"party_type", reflect.TypeOf(protocol.PartyInternal)},
	{"out_line", reflect.TypeOf(protocol.OutLineExternal)},
	{"dtmf_type", reflect.TypeOf(protocol.DTMFRFC2833)},
	{"service_mode", reflect.TypeOf(protocol.ServiceCustomer)},
	{"record_start", reflect.TypeOf(protocol.RecordNone)},
	{"play_action", reflect.TypeOf(protocol.PlayPause)},
}

// abiStatusConsts are this layer's statuses, which must be the header's.
var abiStatusConsts = map[string]int{
	"CC_OK": ccOK, "CC_ERR_INVALID_ARGUMENT": ccInvalidArgument, "CC_ERR_INVALID_HANDLE": ccInvalidHandle,
	"CC_ERR_TIMEOUT": ccTimeout, "CC_ERR_NOT_CONNECTED": ccNotConnected, "CC_ERR_CONNECTION_LOST": ccConnectionLost,
	"CC_ERR_CLOSED": ccClosed, "CC_ERR_HTTP": ccHTTP, "CC_ERR_UNSUPPORTED": ccUnsupported, "CC_ERR_TLS": ccTLS,
	"CC_ERR_NOT_CHECKED_IN": ccNotCheckedIn, "CC_ERR_BUSY": ccBusy, "CC_ERR_INTERNAL": ccInternal,
}

func TestABIContract(t *testing.T) {
	begin(t)
	root := abiRoot(t)
	got := buildABIContract(t, root)
	b, err := stdMarshalIndent(got)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, abiFile)
	if *updateABI {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", abiFile)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./capi/internal/abi -run TestABIContract -update writes it)", err)
	}
	if !bytes.Equal(want, b) {
		t.Fatalf("%s is stale: the ABI changed (%s).\nIf the change is intended: go test ./capi/internal/abi -run TestABIContract -update, then make the C, Python and C# tests pass",
			abiFile, firstDiff(want, b))
	}
}

func buildABIContract(t *testing.T, root string) abiContract {
	t.Helper()
	c := abiContract{
		// The file's first line: it names the command of the test's first
		// home (./capi), kept so that the file stays as it is; the command
		// is the one in this file's opening comment.
		Comment: "The C ABI's contract (include/cloudcc.h), generated by `go test ./capi/internal/abi -run TestABIContract -update`: do not edit. " +
			"The C, Python and C# tests check their own tables against it.",
	}
	c.Statuses, c.StatusUnknownText = abiStatuses(t, root)
	c.Config = abiConfigKeys(t, root)
	c.Requests = abiRequests(t, root)
	c.HTTP = switchCases(t, filepath.Join(root, abiSources.http), "http", "call")
	c.Media = switchCases(t, filepath.Join(root, abiSources.media), "media", "name")
	checkMediaNames(t, c.Media)
	c.Events = abiEvents(t, root)
	c.Enums = abiEnums(t, root)
	checkNamesInHeader(t, root, c)
	return c
}

// checkNamesInHeader checks that cloudcc.h names every HTTP call, media
// call and event type the ABI has.
func checkNamesInHeader(t *testing.T, root string, c abiContract) {
	t.Helper()
	header := readFile(t, root, abiSources.header)
	names := append(append([]string{}, c.HTTP...), c.Media...)
	for _, e := range c.Events {
		names = append(names, e.MsgType)
	}
	for _, n := range names {
		if !regexp.MustCompile(`(^|[^a-z_-])` + regexp.QuoteMeta(n) + `($|[^a-z_-])`).MatchString(header) {
			t.Errorf("cloudcc.h does not name %q", n)
		}
	}
}

// ---- statuses ----

var (
	headerStatusRE = regexp.MustCompile(`^\s*(CC_[A-Z_]+)\s*=\s*(-?\d+),?\s*(?:/\*\s*(.*))?$`)
	bridgeCaseRE   = regexp.MustCompile(`case (-?\d+): return "([A-Z_]+)";`)
	bridgeDefRE    = regexp.MustCompile(`\n    return "([A-Z_]+)";\n}`)
)

// abiStatuses reads the header's cc_status enum (names, values, comments)
// and cc_status_str's texts (bridge.c), and checks this layer agrees.
func abiStatuses(t *testing.T, root string) ([]abiStatus, string) {
	t.Helper()
	header := readFile(t, root, abiSources.header)
	start := strings.Index(header, "typedef enum cc_status {")
	end := strings.Index(header, "} cc_status;")
	if start < 0 || end < start {
		t.Fatal("cloudcc.h: no typedef enum cc_status")
	}
	var out []abiStatus
	lines := strings.Split(header[start:end], "\n")[1:]
	for i := 0; i < len(lines); i++ {
		m := headerStatusRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[2])
		doc := m[3]
		for !strings.Contains(doc, "*/") && m[3] != "" && i+1 < len(lines) {
			i++
			doc += " " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "*"))
		}
		doc = strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimSpace(doc), "*/")), " ")
		out = append(out, abiStatus{Name: m[1], Value: v, Doc: doc})
	}
	bridge := readFile(t, root, abiSources.bridge)
	texts := map[int]string{}
	for _, m := range bridgeCaseRE.FindAllStringSubmatch(bridge, -1) {
		v, _ := strconv.Atoi(m[1])
		texts[v] = m[2]
	}
	unknown := ""
	if m := bridgeDefRE.FindStringSubmatch(bridge[strings.Index(bridge, "cc_bridge_status_str"):]); m != nil {
		unknown = m[1]
	}
	if unknown == "" {
		t.Error("bridge.c: cc_bridge_status_str has no text for an unknown status")
	}
	if len(out) != len(abiStatusConsts) || len(texts) != len(out) {
		t.Errorf("cloudcc.h has %d statuses, this layer %d, cc_status_str %d", len(out), len(abiStatusConsts), len(texts))
	}
	for i, s := range out {
		if v, ok := abiStatusConsts[s.Name]; !ok || v != s.Value {
			t.Errorf("cloudcc.h %s = %d; this layer: %d (known %v)", s.Name, s.Value, v, ok)
		}
		out[i].Text = texts[s.Value]
		if out[i].Text == "" {
			t.Errorf("cc_status_str(%d) has no text", s.Value)
		}
		if _, ok := statusText[s.Value]; !ok && s.Value != ccOK {
			t.Errorf("%s has no message (statusText)", s.Name)
		}
		if s.Doc == "" && s.Value != ccOK {
			t.Errorf("cloudcc.h: %s has no comment", s.Name)
		}
	}
	return out, unknown
}

// ---- config ----

func abiConfigKeys(t *testing.T, root string) []abiConfig {
	t.Helper()
	types := map[string]string{}
	var items map[string]string
	var order []string
	ct := reflect.TypeOf(Config{})
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		key := jsonName(f)
		if key == "" {
			continue
		}
		types[key] = jsonTypeOf(f.Type)
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			items = map[string]string{}
			for j := 0; j < f.Type.Elem().NumField(); j++ {
				ef := f.Type.Elem().Field(j)
				items[jsonName(ef)] = jsonTypeOf(ef.Type)
			}
		}
		order = append(order, key)
	}
	for k, typ := range abiLayerKeys {
		types[k] = typ
		order = append(order, k)
	}
	documented := map[string]bool{}
	var out []abiConfig
	for _, d := range abiConfigDoc {
		documented[d.key] = true
		typ, ok := types[d.key]
		if !ok {
			t.Errorf("config key %q is documented but neither Config nor this layer reads it", d.key)
			continue
		}
		k := abiConfig{Key: d.key, Type: typ, Default: d.def, Sample: d.sample, Doc: d.doc, Values: abiConfigValues[d.key]}
		if strings.HasSuffix(d.key, "_ms") {
			k.Unit = "ms"
		}
		if typ == "array" {
			k.Items = items
		}
		for _, v := range []any{d.def, d.sample} {
			if v != nil && jsonTypeOfValue(v) != typ {
				t.Errorf("config %s: %v is not of its type %s", d.key, v, typ)
			}
		}
		out = append(out, k)
	}
	for _, k := range order {
		if !documented[k] {
			t.Errorf("config key %q has no entry in abiConfigDoc (default, sample, doc)", k)
		}
	}
	checkConfigAccepted(t, out)
	checkConfigInHeader(t, root, out)
	return out
}

// checkConfigAccepted makes clients of the samples: all of them at once,
// each value of an enumerated key; an unknown key or value is refused.
func checkConfigAccepted(t *testing.T, keys []abiConfig) {
	t.Helper()
	all := map[string]any{}
	for _, k := range keys {
		all[k.Key] = k.Sample
	}
	tryConfig := func(cfg map[string]any) error {
		b, _ := json.Marshal(cfg)
		c, err := newClient(b, Host{})
		if err == nil {
			c.close()
		}
		return err
	}
	if err := tryConfig(all); err != nil {
		t.Errorf("the config of every sample is refused: %v", err)
	}
	for _, k := range keys {
		for _, v := range k.Values {
			if err := tryConfig(map[string]any{"ws_url": "ws://127.0.0.1:1/ws", k.Key: v}); err != nil {
				t.Errorf("config %s %q refused: %v", k.Key, v, err)
			}
		}
		if len(k.Values) > 0 {
			if err := tryConfig(map[string]any{"ws_url": "ws://127.0.0.1:1/ws", k.Key: "no-such-value"}); err == nil {
				t.Errorf("config %s accepts a value outside %v", k.Key, k.Values)
			}
		}
	}
	if err := tryConfig(map[string]any{"ws_url": "ws://127.0.0.1:1/ws", "no_such_key": 1}); statusOf(err) != ccInvalidArgument {
		t.Errorf("an unknown config key: %v, want CC_ERR_INVALID_ARGUMENT", err)
	}
}

// checkConfigInHeader checks that cc_client_new's comment documents every
// key, and gives its default in the key's paragraph.
func checkConfigInHeader(t *testing.T, root string, keys []abiConfig) {
	t.Helper()
	header := readFile(t, root, abiSources.header)
	start := strings.Index(header, "Config keys (all optional but ws_url):")
	end := strings.Index(header, "Unknown keys are an error.")
	if start < 0 || end < start {
		t.Fatal("cloudcc.h: cc_client_new's config comment not found")
	}
	// Paragraphs: a line " *   key ..." (three spaces) starts one, deeper lines continue it.
	var paras []string
	for _, l := range strings.Split(header[start:end], "\n")[1:] {
		l = strings.TrimPrefix(strings.TrimSpace(l), "*")
		if strings.HasPrefix(l, "   ") && !strings.HasPrefix(l, "    ") {
			paras = append(paras, "")
		}
		if len(paras) > 0 {
			paras[len(paras)-1] += " " + strings.TrimSpace(l)
		}
	}
	for _, k := range keys {
		word := regexp.MustCompile(`(^|[^a-z_])` + regexp.QuoteMeta(k.Key) + `($|[^a-z_])`)
		para, alone := "", false
		for _, p := range paras { // the paragraph the key heads, else the first that names it
			head := strings.Fields(strings.SplitN(strings.TrimSpace(p), "  ", 2)[0])
			for _, h := range head {
				if strings.Trim(h, ",") == k.Key {
					para, alone = p, len(head) == 1
				}
			}
			if para != "" {
				break
			}
		}
		for _, p := range paras {
			if para == "" && word.MatchString(p) {
				para = p
			}
		}
		if para == "" {
			t.Errorf("cloudcc.h does not document config key %q", k.Key)
			continue
		}
		switch d := k.Default.(type) {
		case nil:
			// No default, or a derived one: the header and the contract's doc
			// both name it, or neither does ("ext_id (default agent_id)" was stale).
			if alone && strings.Contains(para, "default") != strings.Contains(k.Doc, "default") {
				t.Errorf("cloudcc.h and the contract disagree on whether %s has a default: %q / %q", k.Key, para, k.Doc)
			}
		case bool:
			if d && !strings.Contains(para, "true (default)") {
				t.Errorf("cloudcc.h: %s's default is true, its paragraph does not say so: %s", k.Key, para)
			}
		default:
			if s := fmt.Sprint(d); !strings.Contains(para, s) {
				t.Errorf("cloudcc.h: %s's default is %s, its paragraph does not say so: %s", k.Key, s, para)
			}
		}
		for _, v := range k.Values {
			if !strings.Contains(para, v) {
				t.Errorf("cloudcc.h: %s's paragraph does not name its value %q: %s", k.Key, v, para)
			}
		}
	}
}

// ---- requests, HTTP and media names ----

// abiRequests lists the requests cc_client_request takes: the spec's, in
// its order, then the platform's get_status; every other request-capable
// msg_type of enums.go fails the test.
func abiRequests(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, m := range append(append([]protocol.MsgType{}, protocol.RequestTypes...), protocol.MsgGetStatus) {
		if !m.IsRequest() {
			t.Errorf("%s is listed as a request but protocol does not take it", m)
		}
		out = append(out, string(m))
		seen[string(m)] = true
	}
	for _, v := range goConsts(t, filepath.Join(root, abiSources.enums))["MsgType"] {
		s := v.(string)
		if !protocol.MsgType(s).IsRequest() || seen[s] {
			continue
		}
		// An alias (the spec's pickup for answer) is taken as the request it names.
		r, err := protocol.DecodeRequest([]byte(`{"msg_type":"` + s + `"}`))
		if err != nil || !seen[string(r.Type())] {
			t.Errorf("msg_type %q is a request the contract does not list", s)
		}
	}
	return out
}

// checkMediaNames runs each media name on a client outside RTC mode: none
// is refused as unknown, and a name outside the list is; those about a call
// fail (no phone), the sound controls may answer (they work before
// check-in).
func checkMediaNames(t *testing.T, names []string) {
	t.Helper()
	c, err := newClient([]byte(`{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`), Host{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, n := range append(names, "no_such_call") {
		st, b := c.media(n, []byte(`{"path":"x.wav","hz":440}`))
		unknown := strings.Contains(string(b), "unknown media call")
		if (st == ccOK && !strings.HasPrefix(n, "audio_")) || unknown != (n == "no_such_call") {
			t.Errorf("media %q: %d %s", n, st, b)
		}
	}
}

// ---- enumerations ----

func abiEnums(t *testing.T, root string) []abiEnum {
	t.Helper()
	consts := goConsts(t, filepath.Join(root, abiSources.enums))
	named := map[string]bool{"MsgType": true} // requests and events have their own lists
	var out []abiEnum
	for _, e := range abiEnumTypes {
		named[e.typ.Name()] = true
		vals := consts[e.typ.Name()]
		if len(vals) == 0 {
			t.Errorf("enums.go has no constant of %s", e.typ.Name())
		}
		typ := "string"
		if e.typ.Kind() != reflect.String {
			typ = "integer"
		}
		for _, v := range vals {
			k, ok := reflect.ValueOf(v).Convert(e.typ).Interface().(interface{ Known() bool })
			if ok && !k.Known() {
				t.Errorf("%s %v is a constant but not Known()", e.typ.Name(), v)
			}
		}
		out = append(out, abiEnum{Name: e.name, Type: typ, Values: vals})
	}
	for typ := range consts {
		if !named[typ] {
			t.Errorf("enums.go: enumeration %s is not in the contract (abiEnumTypes)", typ)
		}
	}
	var states []any
	for s := session.State(0); s.String() != "unknown"; s++ {
		states = append(states, s.String())
	}
	out = append(out, abiEnum{Name: "connection_state", Type: "string", Values: states})
	levels := []any{}
	for _, l := range abiConfigValues["log_level"] {
		levels = append(levels, l)
	}
	out = append(out, abiEnum{Name: "log_level", Type: "string", Values: levels})
	return out
}
