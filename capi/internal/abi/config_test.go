package abi

import (
	"reflect"
	"testing"
	"time"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// What cc_client_new answers to bad configs: status and error JSON, byte
// for byte as the C ABI has always given them (captured before the config
// document left core/agent). Pairs of errors check which one wins.
var configRefusals = []struct{ config, reply string }{
	{`not json`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config is not a JSON object"}`},
	{`[]`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config is not a JSON object"}`},
	{`null`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config is not a JSON object"}`},
	{`{}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: URL is required"}`},
	{`{"event_queue_max":0}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max must be a positive integer"}`},
	{`{"event_queue_max":"x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max must be a positive integer"}`},
	{`{"event_queue_max_bytes":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max_bytes must be a positive integer"}`},
	{`{"async_max":0}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: async_max must be a positive integer"}`},
	{`{"async_max":1.5}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: async_max must be a positive integer"}`},
	{`{"ws_url":"ws://x/ws","no_such_key":1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: unknown field \"no_such_key\""}`},
	{`{"ws_url":"ws://x/ws","request_timeout_ms":"x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal string into Go struct field Config.request_timeout_ms of type int"}`},
	{`{"ws_url":"ws://x/ws","reconnect":"yes"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal string into Go struct field Config.reconnect of type bool"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":{}}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal object into Go struct field Config.ice_servers of type []agent.ICEServer"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[{"urls":"stun:x"}]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal string into Go struct field Config.ice_servers.0.urls of type []string"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[{"url":["stun:x"]}]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: unknown field \"url\""}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[{"urls":["stun:x:3478"]},{"urls":["http://x"]}]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: ice_servers[1]: \"http://x\": unknown scheme type"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[null]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: ice_servers[0]: no urls"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[{}]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: ice_servers[0]: no urls"}`},
	{`{"ws_url":"ws://x/ws","ice_servers":[{"urls":["turn:x:3478"],"username":"u"}]}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: ice_servers[0]: \"turn:x:3478\": a TURN server needs a username and a credential"}`},
	{`{"ws_url":"ws://x/ws","log_level":"loud"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: log_level \"loud\" (want trace, debug, info, warn, error or off)"}`},
	{`{"ws_url":"ws://x/ws","log_level":" LOUD "}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: log_level \" LOUD \" (want trace, debug, info, warn, error or off)"}`},
	{`{"ws_url":"ws://x/ws","rtc_default_source":"tone:9000"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_default_source \"tone:9000\" (tone:HZ, 0 \u003c HZ \u003c 4000)"}`},
	{`{"ws_url":"ws://x/ws","rtc_default_source":" tone:x "}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_default_source \"tone:x\" (tone:HZ, 0 \u003c HZ \u003c 4000)"}`},
	{`{"ws_url":"ws://x/ws","rtc_default_source":"wav:/nonexistent/x.wav"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_default_source: open /nonexistent/x.wav: no such file or directory"}`},
	{`{"ws_url":"ws://x/ws","rtc_default_source":"beep"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_default_source \"beep\" (want silence, tone:HZ or wav:PATH)"}`},
	{`{"ws_url":"ws://x/ws","rtc_stats_interval_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_stats_interval_ms -1"}`},
	{`{"ws_url":"ws://x/ws","rtc_auto_answer":"always"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_auto_answer \"always\" (want requests, hints or off)"}`},
	{`{"ws_url":"ws://x/ws","rtc_media_failure":"ignore"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_media_failure \"ignore\" (want hangup or flag)"}`},
	{`{"ws_url":"ws://x/ws","rtc_auto_answer_window_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_auto_answer_window_ms -1"}`},
	{`{"ws_url":"ws://x/ws","rtc_max_message_bytes":100}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_max_message_bytes 100 (at least 1024)"}`},
	{`{"ws_url":"ws://x/ws","rtc_max_message_bytes":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_max_message_bytes -1 (at least 1024)"}`},
	{`{"ws_url":"ws://x/ws","rtc_scheme":"http"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_scheme \"http\": want ws or wss"}`},
	{`{"ws_url":"ws://x/ws","rtc_url_template":"http://{host}/"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_url_template \"http://{host}/\" gives \"http://rtc.invalid/\": want a ws:// or wss:// URL"}`},
	{`{"ws_url":"ws://x/ws","rtc_scheme":"tls","rtc_url_template":"http://{host}/"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_scheme \"tls\": want ws or wss"}`},
	{`{"ws_url":"ws://x/ws","reconnect_stable_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative"}`},
	{`{"ws_url":"http://x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: URL must be ws:// or wss://host/path, got \"http://x\""}`},
	{`{"ws_url":"ws://x/msg/"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: a URL ending in \"/\" gets the agent's identity appended: company_code and agent_id are required"}`},
	{`{"ws_url":"ws://x/ws","http_url":"ftp://x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: HTTP base URL must be http(s)://host[:port][/service-root], got \"ftp://x\""}`},
	{`{"ws_url":"ws://x/ws","tls_ca_file":"/nonexistent/ca.pem"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: read CA file: open /nonexistent/ca.pem: no such file or directory"}`},
	{`{"ws_url":"ws://x/ws","tls_ca_pem":"junk"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: no certificate found in the CA PEM"}`},
	{`{"log_level":"x","rtc_stats_interval_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: log_level \"x\" (want trace, debug, info, warn, error or off)"}`},
	{`{"rtc_stats_interval_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_stats_interval_ms -1"}`},
	{`{"reconnect_stable_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative"}`},
	{`{"rtc_auto_answer_window_ms":-1,"rtc_max_message_bytes":5}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_auto_answer_window_ms -1"}`},
	{`{"ws_url":"ws://x/ws","rtc_auto_answer_window_ms":-1,"rtc_max_message_bytes":5}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_auto_answer_window_ms -1"}`},
	{`{"ws_url":"ws://x/ws","rtc_max_message_bytes":5,"reconnect_stable_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_max_message_bytes 5 (at least 1024)"}`},
	{`{"ws_url":"ws://x/ws","rtc_stats_interval_ms":-1,"rtc_auto_answer":"x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_stats_interval_ms -1"}`},
	{`{"ws_url":"ws://x/ws","rtc_scheme":"x","reconnect_stable_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_scheme \"x\": want ws or wss"}`},
	{`{"ws_url":"ws://x/ws","rtc_default_source":"beep","rtc_stats_interval_ms":-1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_default_source \"beep\" (want silence, tone:HZ or wav:PATH)"}`},
	{`{"reconnect_stable_ms":-1,"http_url":"ftp://x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative"}`},
	{`{"ws_url":"ws://x/ws","reconnect_stable_ms":-1,"http_url":"ftp://x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative"}`},
	{`{"ws_url":"ws://x/ws","async_max":3,"no_such":1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: unknown field \"no_such\""}`},
	{`{"ws_url":"ws://x/ws","request_timeout_ms":1.5}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal number 1.5 into Go struct field Config.request_timeout_ms of type int"}`},
	{`{"ws_url":"ws://x/ws","rtc_echo_number":"91 96"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_echo_number: echo number \"91 96\": want a number or a SIP URI, without spaces or \u003c\u003e\""}`},
	{`{"ws_url":"ws://x/ws","rtc":1}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal number into Go struct field Config.rtc of type bool"}`},
	{`{"ws_url":"ws://x/ws","rtc_audio":"speakers"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: rtc_audio \"speakers\" (want host, device or none)"}`},
	{`{"ws_url":"ws://x/ws","audio_ringtone":"loud"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: audio_ringtone \"loud\": ringtone \"loud\" (want builtin, off or wav:PATH)"}`},
	{`{"ws_url":"ws://x/ws","audio_ringtone":"wav:/nonexistent/ring.wav"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: audio_ringtone \"wav:/nonexistent/ring.wav\": audio: ringtone: open /nonexistent/ring.wav: no such file or directory"}`},
	{`{"ws_url":"ws://x/ws","audio_aec":"on"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: config: json: cannot unmarshal string into Go struct field Config.audio_aec of type bool"}`},
	{`{"ws_url":"ws://x/ws","language":"en-US","log_level":"x"}`, `{"code":"-1","msg":"参数无效: cloudcc: invalid argument: log_level \"x\" (want trace, debug, info, warn, error or off)"}`},
}

func TestConfigRefusals(t *testing.T) {
	h := begin(t)
	for _, c := range configRefusals {
		id, r := New(Str{S: c.config}, true, h.host())
		if id != 0 || r.Status != ccInvalidArgument || string(r.JSON) != c.reply {
			t.Errorf("New(%s) = %#x, %d\n%s\nwant\n%s", c.config, id, r.Status, r.JSON, c.reply)
		}
	}
}

// Every key of the document reaches its agent.Config field: _ms keys as
// durations (a negative one keeps its sign: off or never), "reconnect",
// "rtc" and "rtc_quality_warnings" as switches whose zero is on.
func TestConfigMapsOntoAgentConfig(t *testing.T) {
	begin(t)
	s, err := readConfig([]byte(`{"ws_url":"ws://h/ws","http_url":"http://h","company_code":"c","agent_id":"a","ext_id":"e",
		"os":"Linux","language":"en-US","token":"tok","request_timeout_ms":1500,"dial_timeout_ms":2500,"http_timeout_ms":3500,
		"heartbeat_interval_ms":-1,"heartbeat_misses":5,"reconnect":false,"reconnect_min_ms":250,"reconnect_max_ms":20000,
		"reconnect_stable_ms":5000,"event_queue_max":5000,"event_queue_max_bytes":1048576,"tls_ca_file":"ca.pem",
		"tls_ca_pem":"PEM","tls_insecure":true,"log_level":"debug","rtc":false,"rtc_domain":"d","rtc_scheme":"wss",
		"rtc_url_template":"wss://{host}:7443/","ice_servers":[{"urls":["stun:s:3478"],"username":"u","credential":"p"}],
		"rtc_stats_interval_ms":5000,"rtc_keepalive_ms":-1,"rtc_default_source":"tone:440","rtc_include_loopback":true,
		"rtc_auto_answer":"hints","rtc_auto_answer_window_ms":10000,"rtc_max_calls":2,"rtc_ring_timeout_ms":-1,
		"rtc_max_message_bytes":32768,"rtc_media_timeout_ms":10000,"rtc_media_failure":"flag","async_max":10,
		"rtc_audio":"device","audio_microphone":"m","audio_speaker":"s","audio_ringer":"r","audio_ringtone":"off",
		"audio_aec":false,"audio_ns":true,"audio_agc":false,"audio_vad":true,"rtc_quality_warnings":false,"rtc_echo_number":"9196"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.asyncMax != 10 || s.queueMax != 5000 || s.queueMaxBytes != 1048576 {
		t.Errorf("layer keys: %+v", s)
	}
	ms := time.Millisecond
	got := s.doc.agentConfig()
	want := agent.Config{WSURL: "ws://h/ws", HTTPURL: "http://h", CompanyCode: "c", AgentID: "a", ExtID: "e", OS: "Linux",
		Language: "en-US", Token: "tok", RequestTimeout: 1500 * ms, DialTimeout: 2500 * ms, HTTPTimeout: 3500 * ms,
		HeartbeatInterval: -ms, HeartbeatMisses: 5,
		Reconnect:     session.Backoff{Disabled: true, Min: 250 * ms, Max: 20 * time.Second, Stable: 5 * time.Second},
		EventQueueMax: 5000, EventQueueMaxBytes: 1048576, TLSCAFile: "ca.pem", TLSCAPEM: []byte("PEM"), TLSInsecure: true,
		LogLevel: "debug", DisableRTC: true, RTCDomain: "d", RTCScheme: "wss", RTCURLTemplate: "wss://{host}:7443/",
		ICEServers:       []agent.ICEServer{{URLs: []string{"stun:s:3478"}, Username: "u", Credential: "p"}},
		RTCStatsInterval: 5 * time.Second, RTCKeepalive: -ms, RTCDefaultSource: "tone:440", RTCIncludeLoopback: true,
		RTCAutoAnswer: "hints", RTCAutoAnswerWindow: 10 * time.Second, RTCMaxCalls: 2, RTCRingTimeout: -ms,
		RTCMaxMessageBytes: 32768, RTCMediaTimeout: 10 * time.Second, RTCMediaFailure: "flag",
		RTCAudio: "device", AudioMicrophone: "m", AudioSpeaker: "s", AudioRinger: "r", AudioRingtone: "off",
		AudioAEC: protocol.Ptr(false), AudioNS: protocol.Ptr(true), AudioAGC: protocol.Ptr(false), AudioVAD: protocol.Ptr(true),
		DisableQualityWarnings: true, RTCEchoNumber: "9196"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("agentConfig:\n got %+v\nwant %+v", got, want)
	}
	// Absent keys: the zero Config (the agent's defaults) and this layer's.
	s, err = readConfig([]byte(`{"ws_url":"ws://h/ws","reconnect":true,"rtc":true,"rtc_quality_warnings":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.doc.agentConfig(); !reflect.DeepEqual(got, agent.Config{WSURL: "ws://h/ws", TLSCAPEM: []byte{}}) {
		t.Errorf("defaults: %+v", got)
	}
	if s.asyncMax != defaultAsyncMax || s.queueMax != session.DefaultEventQueueMax || s.queueMaxBytes != session.DefaultEventQueueMaxBytes {
		t.Errorf("layer defaults: %+v", s)
	}
}
