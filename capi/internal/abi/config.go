package abi

import (
	"errors"
	"fmt"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
	"github.com/cloudcc/agent-sdk/core/session"
)

// Config is the C ABI's config document (cloudcc.h, cc_client_new) but
// for this layer's own key (async_max, see readConfig): the agent's
// settings as JSON keys, every one optional but ws_url. It is read into an
// agent.Config (agentConfig). Its field types are the types the keys take, and its name
// and field names are in the decoder's messages ("Go struct field
// Config.request_timeout_ms of type int"): both are part of the ABI.
type Config struct {
	WSURL       string `json:"ws_url"`
	HTTPURL     string `json:"http_url"`
	CompanyCode string `json:"company_code"`
	AgentID     string `json:"agent_id"`
	ExtID       string `json:"ext_id"`
	OS          string `json:"os"`
	Language    string `json:"language"`
	Token       string `json:"token"`

	RequestTimeoutMS    int   `json:"request_timeout_ms"`
	DialTimeoutMS       int   `json:"dial_timeout_ms"`
	HTTPTimeoutMS       int   `json:"http_timeout_ms"`
	HeartbeatIntervalMS int   `json:"heartbeat_interval_ms"` // -1 turns it off
	HeartbeatMisses     int   `json:"heartbeat_misses"`
	Reconnect           *bool `json:"reconnect"` // absent: true
	ReconnectMinMS      int   `json:"reconnect_min_ms"`
	ReconnectMaxMS      int   `json:"reconnect_max_ms"`
	ReconnectStableMS   int   `json:"reconnect_stable_ms"`
	EventQueueMax       int   `json:"event_queue_max"`
	EventQueueMaxBytes  int   `json:"event_queue_max_bytes"`

	TLSCAFile   string `json:"tls_ca_file"`
	TLSCAPEM    string `json:"tls_ca_pem"`
	TLSInsecure bool   `json:"tls_insecure"`

	LogLevel string `json:"log_level"`

	RTC                   *bool             `json:"rtc"` // absent: true
	RTCDomain             string            `json:"rtc_domain"`
	RTCScheme             string            `json:"rtc_scheme"`
	RTCURLTemplate        string            `json:"rtc_url_template"`
	ICEServers            []agent.ICEServer `json:"ice_servers"`
	RTCStatsIntervalMS    int               `json:"rtc_stats_interval_ms"`
	RTCKeepaliveMS        int               `json:"rtc_keepalive_ms"` // -1 turns it off
	RTCDefaultSource      string            `json:"rtc_default_source"`
	RTCIncludeLoopback    bool              `json:"rtc_include_loopback"`
	RTCAutoAnswer         string            `json:"rtc_auto_answer"`
	RTCAutoAnswerWindowMS int               `json:"rtc_auto_answer_window_ms"`
	RTCMaxCalls           int               `json:"rtc_max_calls"`
	RTCRingTimeoutMS      int               `json:"rtc_ring_timeout_ms"` // -1: never
	RTCMaxMessageBytes    int               `json:"rtc_max_message_bytes"`
	RTCMediaTimeoutMS     int               `json:"rtc_media_timeout_ms"` // -1: never
	RTCMediaFailure       string            `json:"rtc_media_failure"`

	RTCAudio           string `json:"rtc_audio"`
	AudioMicrophone    string `json:"audio_microphone"`
	AudioSpeaker       string `json:"audio_speaker"`
	AudioRinger        string `json:"audio_ringer"`
	AudioRingtone      string `json:"audio_ringtone"`
	AudioAEC           *bool  `json:"audio_aec"` // absent: true in device mode, false otherwise
	AudioNS            *bool  `json:"audio_ns"`
	AudioAGC           *bool  `json:"audio_agc"`
	AudioVAD           *bool  `json:"audio_vad"`
	RTCQualityWarnings *bool  `json:"rtc_quality_warnings"` // absent: true
	RTCEchoNumber      string `json:"rtc_echo_number"`
}

// defaultAsyncMax is the default of config "async_max".
const defaultAsyncMax = 1000

// settings are what a config document gives: the agent's keys (doc) and
// this layer's.
type settings struct {
	doc Config
	// asyncMax bounds the async requests in flight (async_max).
	asyncMax int
	// queueMax and queueMaxBytes bound the poll queue as the session's
	// event queue (event_queue_max, event_queue_max_bytes).
	queueMax, queueMaxBytes int
}

// readConfig reads cc_client_new's config: this layer's keys first
// (async_max is its alone; the queue bounds it shares with the session),
// then the rest as a Config.
func readConfig(b []byte) (settings, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return settings{}, fmt.Errorf("%w: config is not a JSON object", sdkerr.ErrInvalidArgument)
	}
	var s settings
	var err error
	if s.queueMax, err = positiveInt(raw, "event_queue_max", session.DefaultEventQueueMax); err != nil {
		return s, err
	}
	if s.queueMaxBytes, err = positiveInt(raw, "event_queue_max_bytes", session.DefaultEventQueueMaxBytes); err != nil {
		return s, err
	}
	if s.asyncMax, err = positiveInt(raw, "async_max", defaultAsyncMax); err != nil {
		return s, err
	}
	delete(raw, "async_max") // Config refuses a key it does not have
	rest, _ := json.Marshal(raw)
	s.doc, err = parseConfig(rest)
	return s, err
}

// positiveInt reads an optional key that must be an integer >= 1.
func positiveInt(raw map[string]json.RawMessage, key string, def int) (int, error) {
	v, ok := raw[key]
	if !ok {
		return def, nil
	}
	n := 0
	if err := json.Unmarshal(v, &n); err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %s must be a positive integer", sdkerr.ErrInvalidArgument, key)
	}
	return n, nil
}

// parseConfig reads the document, refusing unknown keys (a typo in a key
// must not silently fall back to a default).
func parseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: config: %v", sdkerr.ErrInvalidArgument, err)
	}
	return c, nil
}

// agentConfig is the agent's Config the document describes. A key's zero
// is the field's (the default); a negative _ms key keeps its sign, which
// the agent reads as off, never or refused as each field says.
func (d *Config) agentConfig() agent.Config {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	return agent.Config{
		WSURL:             d.WSURL,
		HTTPURL:           d.HTTPURL,
		CompanyCode:       d.CompanyCode,
		AgentID:           d.AgentID,
		ExtID:             d.ExtID,
		OS:                d.OS,
		Language:          d.Language,
		Token:             d.Token,
		RequestTimeout:    ms(d.RequestTimeoutMS),
		DialTimeout:       ms(d.DialTimeoutMS),
		HTTPTimeout:       ms(d.HTTPTimeoutMS),
		HeartbeatInterval: ms(d.HeartbeatIntervalMS),
		HeartbeatMisses:   d.HeartbeatMisses,
		Reconnect: session.Backoff{
			Disabled: d.Reconnect != nil && !*d.Reconnect,
			Min:      ms(d.ReconnectMinMS),
			Max:      ms(d.ReconnectMaxMS),
			Stable:   ms(d.ReconnectStableMS),
		},
		EventQueueMax:       d.EventQueueMax,
		EventQueueMaxBytes:  d.EventQueueMaxBytes,
		TLSCAFile:           d.TLSCAFile,
		TLSCAPEM:            []byte(d.TLSCAPEM),
		TLSInsecure:         d.TLSInsecure,
		LogLevel:            d.LogLevel,
		DisableRTC:          d.RTC != nil && !*d.RTC,
		RTCDomain:           d.RTCDomain,
		RTCScheme:           d.RTCScheme,
		RTCURLTemplate:      d.RTCURLTemplate,
		ICEServers:          d.ICEServers,
		RTCStatsInterval:    ms(d.RTCStatsIntervalMS),
		RTCKeepalive:        ms(d.RTCKeepaliveMS),
		RTCDefaultSource:    d.RTCDefaultSource,
		RTCIncludeLoopback:  d.RTCIncludeLoopback,
		RTCAutoAnswer:       d.RTCAutoAnswer,
		RTCAutoAnswerWindow: ms(d.RTCAutoAnswerWindowMS),
		RTCMaxCalls:         d.RTCMaxCalls,
		RTCRingTimeout:      ms(d.RTCRingTimeoutMS),
		RTCMaxMessageBytes:  d.RTCMaxMessageBytes,
		RTCMediaTimeout:     ms(d.RTCMediaTimeoutMS),
		RTCMediaFailure:     d.RTCMediaFailure,
		RTCAudio:            d.RTCAudio,
		AudioMicrophone:     d.AudioMicrophone,
		AudioSpeaker:        d.AudioSpeaker,
		AudioRinger:         d.AudioRinger,
		AudioRingtone:       d.AudioRingtone,
		AudioAEC:            d.AudioAEC,
		AudioNS:             d.AudioNS,
		AudioAGC:            d.AudioAGC,
		AudioVAD:            d.AudioVAD,
		// The sampler runs unless the key says false.
		DisableQualityWarnings: d.RTCQualityWarnings != nil && !*d.RTCQualityWarnings,
		RTCEchoNumber:          d.RTCEchoNumber,
	}
}

// explain words an *agent.ConfigError as the C ABI always has: by the
// document's key, with the value as the document gave it. Other errors
// pass as they are.
func (d *Config) explain(err error) error {
	var ce *agent.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{sdkerr.ErrInvalidArgument}, a...)...)
	}
	s, _ := ce.Value.(string)
	switch ce.Field {
	case "LogLevel":
		return bad("log_level %q (want trace, debug, info, warn, error or off)", s)
	case "RTCDefaultSource":
		switch {
		case ce.Err != nil:
			return bad("rtc_default_source: %v", ce.Err)
		case strings.HasPrefix(s, "tone:"):
			return bad("rtc_default_source %q (tone:HZ, 0 < HZ < 4000)", s)
		}
		return bad("rtc_default_source %q (want silence, tone:HZ or wav:PATH)", s)
	case "RTCStatsInterval":
		return bad("rtc_stats_interval_ms %d", d.RTCStatsIntervalMS)
	case "RTCAutoAnswer":
		return bad("rtc_auto_answer %q (want requests, hints or off)", s)
	case "RTCMediaFailure":
		return bad("rtc_media_failure %q (want hangup or flag)", s)
	case "RTCAutoAnswerWindow":
		return bad("rtc_auto_answer_window_ms %d", d.RTCAutoAnswerWindowMS)
	case "RTCMaxMessageBytes":
		return bad("rtc_max_message_bytes %d (at least 1024)", d.RTCMaxMessageBytes)
	case "RTCEchoNumber":
		return bad("rtc_echo_number: %v", ce.Err)
	case "RTCScheme", "RTCURLTemplate":
		return bad("%v", ce.Err) // rtcaddr.go's words, as at check-in
	case "ICEServers":
		i, _ := ce.Value.(int)
		return bad("ice_servers[%d]: %v", i, ce.Err)
	case "RTCAudio":
		return bad("rtc_audio %q (want host, device or none)", s)
	case "AudioRingtone":
		if ce.Err != nil {
			return bad("audio_ringtone %q: %v", s, ce.Err)
		}
		return bad("audio_ringtone %q (want builtin, off or wav:PATH)", s)
	case "EventQueueMax", "EventQueueMaxBytes", "Reconnect.Stable":
		return bad("event_queue_max, event_queue_max_bytes and reconnect_stable_ms must not be negative")
	}
	return err
}
