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
            if (HeartbeatInterval != null)
            {
                TimeSpan h = HeartbeatInterval.Value;
                d["heartbeat_interval_ms"] = h == Timeout.InfiniteTimeSpan || h <= TimeSpan.Zero ? -1L : (long)Math.Ceiling(h.TotalMilliseconds);
            }
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
