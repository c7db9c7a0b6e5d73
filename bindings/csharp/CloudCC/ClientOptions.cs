using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace CloudCC
{
    /// <summary>How to build a <see cref="CloudCCClient"/>: each property maps to a key of cloudcc.h's config JSON; null leaves the library's default.</summary>
    public sealed class ClientOptions
    {
        /// <summary>ws_url (required): the CTI WebSocket. The platform's form ends in "/" ("ws://host:25001/msg/"): the SDK appends the agent's identity, so <see cref="CompanyCode"/> and <see cref="AgentId"/> are then required; the spec's is "ws://host:port/ws". wss:// for TLS.</summary>
        public string WsUrl { get; set; }

        /// <summary>http_url: the SDK HTTP interface base, "http://host:port" (needed for the HTTP calls).</summary>
        public string HttpUrl { get; set; }

        /// <summary>company_code: fills the requests that leave it empty.</summary>
        public string CompanyCode { get; set; }

        /// <summary>agent_id: fills the requests that leave it empty.</summary>
        public string AgentId { get; set; }

        /// <summary>ext_id: the agent's bound extension; check-in needs it (here or in the request), the SDK never invents one.</summary>
        public string ExtId { get; set; }

        /// <summary>os: the os field of requests (the library's default is the host's).</summary>
        public string Os { get; set; }

        /// <summary>language: "zh-CN" (default) or "en-US"; the LANGUAGE header and the language of the SDK's error messages.</summary>
        public string Language { get; set; }

        /// <summary>token: a token from get-token, when known before check-in (a secret; never logged).</summary>
        public string Token { get; set; }

        /// <summary>request_timeout_ms: default timeout of a request (library default 5 s).</summary>
        public TimeSpan? RequestTimeout { get; set; }

        /// <summary>dial_timeout_ms: WebSocket handshake timeout (library default 10 s).</summary>
        public TimeSpan? DialTimeout { get; set; }

        /// <summary>http_timeout_ms: default timeout of an HTTP call (library default 10 s).</summary>
        public TimeSpan? HttpTimeout { get; set; }

        /// <summary>heartbeat_interval_ms: ping period (library default 20 s); <see cref="Timeout.InfiniteTimeSpan"/> or zero turns the heartbeat off.</summary>
        public TimeSpan? HeartbeatInterval { get; set; }

        /// <summary>heartbeat_misses: unanswered pings before the link counts as dead (library default 3).</summary>
        public int? HeartbeatMisses { get; set; }

        /// <summary>reconnect: true (default) reconnects with backoff and restores a checked-in session; false stays down until the next request.</summary>
        public bool? Reconnect { get; set; }

        /// <summary>reconnect_min_ms: the first backoff (library default 0.5 s).</summary>
        public TimeSpan? ReconnectMin { get; set; }

        /// <summary>reconnect_max_ms: the largest backoff (library default 30 s).</summary>
        public TimeSpan? ReconnectMax { get; set; }

        /// <summary>reconnect_stable_ms: how long a link must stay up for the backoff to start over (library default 10 s).</summary>
        public TimeSpan? ReconnectStable { get; set; }

        /// <summary>event_queue_max: events kept for a slow handler before the oldest are dropped (library default 100000).</summary>
        public int? EventQueueMax { get; set; }

        /// <summary>event_queue_max_bytes: bytes of events kept for a slow handler before the oldest are dropped (library default 16 MiB).</summary>
        public long? EventQueueMaxBytes { get; set; }

        /// <summary>async_max: async requests in flight at once; one more fails with <see cref="BusyException"/> (library default 1000).</summary>
        public int? AsyncMax { get; set; }

        /// <summary>tls_ca_file: a PEM file of extra trusted CAs.</summary>
        public string TlsCaFile { get; set; }

        /// <summary>tls_ca_pem: extra trusted CAs, PEM text.</summary>
        public string TlsCaPem { get; set; }

        /// <summary>tls_insecure: true skips certificate checks (tests only).</summary>
        public bool? TlsInsecure { get; set; }

        /// <summary>log_level: the lowest level delivered as <see cref="CloudCCClient.Log"/> events (library default warn; <see cref="CloudCC.LogLevel.Off"/> for none).</summary>
        public LogLevel? LogLevel { get; set; }

        /// <summary>rtc: true (default) makes the client the agent's phone when check-in answers login_type "1" with an rtc_address (SIP over WebSocket, the calls' media carried by the SDK); false never does (the app's own phone does).</summary>
        public bool? Rtc { get; set; }

        /// <summary>rtc_domain: the SIP domain of sip:{ext_id}@{domain} (library default: the host of rtc_address).</summary>
        public string RtcDomain { get; set; }

        /// <summary>rtc_scheme: "ws" or "wss", the scheme of an rtc_address that has none (library default: wss when <see cref="WsUrl"/> is wss://, else ws).</summary>
        public string RtcScheme { get; set; }

        /// <summary>rtc_url_template: the SIP WebSocket URL made of rtc_address's parts instead, e.g. "wss://{host}:7443/" ({host}, {port}, {path}, {scheme}).</summary>
        public string RtcUrlTemplate { get; set; }

        /// <summary>ice_servers: the STUN/TURN servers of the media (the caller keeps the list).</summary>
        public IList<IceServer> IceServers { get; set; }

        /// <summary>rtc_stats_interval_ms: an <see cref="CloudCCClient.RtcStats"/> event per call this often (library default: none).</summary>
        public TimeSpan? RtcStatsInterval { get; set; }

        /// <summary>rtc_keepalive_ms: the SIP link's WebSocket ping period (library default 25 s); <see cref="Timeout.InfiniteTimeSpan"/> or zero turns it off.</summary>
        public TimeSpan? RtcKeepalive { get; set; }

        /// <summary>rtc_default_source: what a new call sends: "silence" (default), "tone:HZ" or "wav:PATH" (looped).</summary>
        public string RtcDefaultSource { get; set; }

        /// <summary>rtc_include_loopback: gather loopback ICE candidates (a PBX on this host; implied when rtc_address is a loopback address).</summary>
        public bool? RtcIncludeLoopback { get; set; }

        /// <summary>rtc_auto_answer: which INVITEs the SDK answers itself (library default <see cref="RtcAutoAnswerMode.Requests"/>).</summary>
        public RtcAutoAnswerMode? RtcAutoAnswer { get; set; }

        /// <summary>rtc_auto_answer_window_ms: how long after such a request (and around a callin) an INVITE is taken for it (library default 15 s).</summary>
        public TimeSpan? RtcAutoAnswerWindow { get; set; }

        /// <summary>rtc_max_calls: SIP calls at once (library default 4; -1 no limit); beyond, the phone answers 486.</summary>
        public int? RtcMaxCalls { get; set; }

        /// <summary>rtc_ring_timeout_ms: an unanswered ringing call ends (480) after this (library default 60 s); <see cref="Timeout.InfiniteTimeSpan"/>: never.</summary>
        public TimeSpan? RtcRingTimeout { get; set; }

        /// <summary>rtc_max_message_bytes: the largest SIP message taken (library default 65536, at least 1024); larger ones are answered 513.</summary>
        public int? RtcMaxMessageBytes { get; set; }

        /// <summary>rtc_media_timeout_ms: the time ICE/DTLS get to connect (library default 15 s); <see cref="Timeout.InfiniteTimeSpan"/>: never. Then <see cref="RtcMediaFailure"/> applies.</summary>
        public TimeSpan? RtcMediaTimeout { get; set; }

        /// <summary>rtc_media_failure: what happens to a call whose media does not connect (library default <see cref="RtcMediaFailureAction.Hangup"/>).</summary>
        public RtcMediaFailureAction? RtcMediaFailure { get; set; }

        /// <summary>rtc_audio: where a call's audio goes (library default <see cref="RtcAudioMode.Host"/>: <see cref="CloudCCClient.PushPcm(short[], int, string)"/> and <see cref="CloudCCClient.SetPcmSink"/>; <see cref="RtcAudioMode.Device"/>: the sound devices, see <see cref="CloudCCClient.Audio"/>).</summary>
        public RtcAudioMode? RtcAudio { get; set; }

        /// <summary>audio_microphone: the microphone's <see cref="AudioDevice.Id"/> (null or "": the default communications input).</summary>
        public string AudioMicrophone { get; set; }

        /// <summary>audio_speaker: the speaker's <see cref="AudioDevice.Id"/> (null or "": the default communications output).</summary>
        public string AudioSpeaker { get; set; }

        /// <summary>audio_ringer: the ringtone's <see cref="AudioDevice.Id"/> (null or "": the default output).</summary>
        public string AudioRinger { get; set; }

        /// <summary>audio_ringtone: <see cref="Ringtones.Builtin"/> (library default), <see cref="Ringtones.Off"/> or <see cref="Ringtones.Wav"/> (16-bit PCM).</summary>
        public string AudioRingtone { get; set; }

        /// <summary>audio_aec: acoustic echo cancellation (library default: on in device mode, off in host mode).</summary>
        public bool? AudioAec { get; set; }

        /// <summary>audio_ns: noise suppression (library default: on in device mode, off in host mode).</summary>
        public bool? AudioNs { get; set; }

        /// <summary>audio_agc: automatic gain control (library default: on in device mode, off in host mode).</summary>
        public bool? AudioAgc { get; set; }

        /// <summary>audio_vad: voice activity detection (library default: on in device mode, off in host mode).</summary>
        public bool? AudioVad { get; set; }

        /// <summary>rtc_quality_warnings: sample each call every second and raise <see cref="CloudCCClient.CallQualityWarning"/> (library default true).</summary>
        public bool? RtcQualityWarnings { get; set; }

        /// <summary>rtc_echo_number: the number <see cref="CloudCCClient.PrecallTestAsync"/> calls for its echo step (null or "": the step is skipped).</summary>
        public string RtcEchoNumber { get; set; }

        /// <summary>Where events are raised: null (default) raises them on the SDK's event thread, in order; a context (e.g. <c>SynchronizationContext.Current</c> of a WinForms/WPF UI thread) gets each event through <see cref="SynchronizationContext.Post"/>, in order. Not part of the config JSON.</summary>
        public SynchronizationContext EventContext { get; set; }

        /// <summary>Returns the config JSON for cc_client_new (secrets included: do not log it).</summary>
        public string ToConfigJson()
        {
            var d = new Dictionary<string, object>();
            Put(d, "ws_url", WsUrl);
            Put(d, "http_url", HttpUrl);
            Put(d, "company_code", CompanyCode);
            Put(d, "agent_id", AgentId);
            Put(d, "ext_id", ExtId);
            Put(d, "os", Os);
            Put(d, "language", Language);
            Put(d, "token", Token);
            PutMs(d, "request_timeout_ms", RequestTimeout);
            PutMs(d, "dial_timeout_ms", DialTimeout);
            PutMs(d, "http_timeout_ms", HttpTimeout);
            PutMsOrOff(d, "heartbeat_interval_ms", HeartbeatInterval, zeroIsOff: true);
            if (HeartbeatMisses != null) d["heartbeat_misses"] = HeartbeatMisses.Value;
            if (Reconnect != null) d["reconnect"] = Reconnect.Value;
            PutMs(d, "reconnect_min_ms", ReconnectMin);
            PutMs(d, "reconnect_max_ms", ReconnectMax);
            PutMs(d, "reconnect_stable_ms", ReconnectStable);
            if (EventQueueMax != null) d["event_queue_max"] = EventQueueMax.Value;
            if (EventQueueMaxBytes != null) d["event_queue_max_bytes"] = EventQueueMaxBytes.Value;
            if (AsyncMax != null) d["async_max"] = AsyncMax.Value;
            Put(d, "tls_ca_file", TlsCaFile);
            Put(d, "tls_ca_pem", TlsCaPem);
            if (TlsInsecure != null) d["tls_insecure"] = TlsInsecure.Value;
            if (LogLevel != null) d["log_level"] = Wire.Name(LogLevel.Value, lower: true);
            if (Rtc != null) d["rtc"] = Rtc.Value;
            Put(d, "rtc_domain", RtcDomain);
            Put(d, "rtc_scheme", RtcScheme);
            Put(d, "rtc_url_template", RtcUrlTemplate);
            if (IceServers != null)
            {
                var list = new List<object>(IceServers.Count);
                foreach (IceServer s in IceServers) list.Add((s ?? throw new ArgumentException("IceServers holds a null", nameof(IceServers))).ToJson());
                d["ice_servers"] = list;
            }
            PutMs(d, "rtc_stats_interval_ms", RtcStatsInterval);
            PutMsOrOff(d, "rtc_keepalive_ms", RtcKeepalive, zeroIsOff: true);
            Put(d, "rtc_default_source", RtcDefaultSource);
            if (RtcIncludeLoopback != null) d["rtc_include_loopback"] = RtcIncludeLoopback.Value;
            if (RtcAutoAnswer != null) d["rtc_auto_answer"] = Wire.Name(RtcAutoAnswer.Value, lower: true);
            PutMs(d, "rtc_auto_answer_window_ms", RtcAutoAnswerWindow);
            if (RtcMaxCalls != null) d["rtc_max_calls"] = RtcMaxCalls.Value;
            PutMsOrOff(d, "rtc_ring_timeout_ms", RtcRingTimeout, zeroIsOff: false);
            if (RtcMaxMessageBytes != null) d["rtc_max_message_bytes"] = RtcMaxMessageBytes.Value;
            PutMsOrOff(d, "rtc_media_timeout_ms", RtcMediaTimeout, zeroIsOff: false);
            if (RtcMediaFailure != null) d["rtc_media_failure"] = Wire.Name(RtcMediaFailure.Value, lower: true);
            if (RtcAudio != null) d["rtc_audio"] = Wire.Name(RtcAudio.Value, lower: true);
            Put(d, "audio_microphone", AudioMicrophone);
            Put(d, "audio_speaker", AudioSpeaker);
            Put(d, "audio_ringer", AudioRinger);
            Put(d, "audio_ringtone", AudioRingtone);
            if (AudioAec != null) d["audio_aec"] = AudioAec.Value;
            if (AudioNs != null) d["audio_ns"] = AudioNs.Value;
            if (AudioAgc != null) d["audio_agc"] = AudioAgc.Value;
            if (AudioVad != null) d["audio_vad"] = AudioVad.Value;
            if (RtcQualityWarnings != null) d["rtc_quality_warnings"] = RtcQualityWarnings.Value;
            Put(d, "rtc_echo_number", RtcEchoNumber);
            return Json.Serialize(d);
        }

        private static void Put(Dictionary<string, object> d, string key, string value)
        {
            if (value != null) d[key] = value;
        }

        private static void PutMs(Dictionary<string, object> d, string key, TimeSpan? value)
        {
            if (value != null) d[key] = (long)Math.Ceiling(value.Value.TotalMilliseconds);
        }

        /// <summary>A duration whose -1 means off or never: <see cref="Timeout.InfiniteTimeSpan"/> and other negatives (and zero, when <paramref name="zeroIsOff"/>) are sent as -1.</summary>
        private static void PutMsOrOff(Dictionary<string, object> d, string key, TimeSpan? value, bool zeroIsOff)
        {
            if (value == null) return;
            TimeSpan v = value.Value;
            d[key] = v < TimeSpan.Zero || (zeroIsOff && v == TimeSpan.Zero) ? -1L : (long)Math.Ceiling(v.TotalMilliseconds);
        }
    }

    /// <summary>A STUN or TURN server of the media (<see cref="ClientOptions.IceServers"/>).</summary>
    public sealed class IceServer
    {
        /// <summary>Makes a server of one or more URLs, e.g. "stun:host:3478" or "turn:host:3478?transport=udp".</summary>
        public IceServer(params string[] urls)
        {
            Urls = urls ?? Array.Empty<string>();
        }

        /// <summary>The server's URLs (the caller keeps the list).</summary>
        public IList<string> Urls { get; set; }

        /// <summary>The TURN user name (null or empty for STUN).</summary>
        public string Username { get; set; }

        /// <summary>The TURN password (null or empty for STUN); a secret, never logged.</summary>
        public string Credential { get; set; }

        internal Dictionary<string, object> ToJson() => new Dictionary<string, object>
        {
            { "urls", new List<object>(Urls ?? Array.Empty<string>()) },
            { "username", Username ?? "" },
            { "credential", Credential ?? "" },
        };
    }

    /// <summary>Optional call-setup fields shared by call, trans, consult, three_way, preview_out_call, answer, change_media and play_record; null leaves the default (the SDK fills the fields the platform requires, the platform the others). A request uses the fields that belong to it.</summary>
    public sealed class CallOptions
    {
        /// <summary>audio: the audio direction (null: the SDK sends 3, send and receive; answer: the ringing call's own).</summary>
        public MediaDirection? Audio { get; set; }

        /// <summary>video: the video direction (null: the SDK sends 0, none; answer: the ringing call's own).</summary>
        public MediaDirection? Video { get; set; }

        /// <summary>pixels: video height, "480", "720" or "1280".</summary>
        public string Pixels { get; set; }

        /// <summary>max_ring_time: how long to ring (whole seconds; default 60 s).</summary>
        public TimeSpan? MaxRingTime { get; set; }

        /// <summary>max_call_time: the longest call (whole seconds; default 8 hours).</summary>
        public TimeSpan? MaxCallTime { get; set; }

        /// <summary>record_start: when recording starts.</summary>
        public RecordStart? RecordStart { get; set; }

        /// <summary>record_contact: record both directions.</summary>
        public bool? RecordContact { get; set; }

        /// <summary>is_stereo: record in stereo.</summary>
        public bool? IsStereo { get; set; }

        /// <summary>record_suffix: mp3, wav or mp4.</summary>
        public string RecordSuffix { get; set; }

        /// <summary>out_line (call only): null sends <see cref="CloudCC.OutLine.External"/>; <see cref="CloudCC.OutLine.Internal"/> calls another agent by its agent id.</summary>
        public OutLine? OutLine { get; set; }

        /// <summary>work_order_id (call only).</summary>
        public string WorkOrderId { get; set; }

        /// <summary>Further fields sent as given (they override the ones above); the caller keeps ownership.</summary>
        public IDictionary<string, object> Extra { get; set; }

        internal void ApplyMedia(Dictionary<string, object> d)
        {
            if (Audio != null) d["audio"] = (int)Audio.Value;
            if (Video != null) d["video"] = (int)Video.Value;
            if (Pixels != null) d["pixels"] = Pixels;
        }

        internal void ApplyRecording(Dictionary<string, object> d)
        {
            if (MaxRingTime != null) d["max_ring_time"] = ((long)MaxRingTime.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            if (MaxCallTime != null) d["max_call_time"] = ((long)MaxCallTime.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            if (RecordStart != null) d["record_start"] = Wire.Name(RecordStart.Value);
            if (RecordContact != null) d["record_contact"] = RecordContact.Value;
            if (IsStereo != null) d["is_stereo"] = IsStereo.Value;
            if (RecordSuffix != null) d["record_suffix"] = RecordSuffix;
        }

        internal void ApplyExtra(Dictionary<string, object> d)
        {
            if (Extra == null) return;
            foreach (var kv in Extra) d[kv.Key] = kv.Value;
        }
    }
}
