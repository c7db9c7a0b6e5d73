using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace CloudCC
{
    /// <summary>A call's media quality (RTC mode): from <see cref="CloudCCClient.CallStats"/> or <see cref="RtcStatsEventArgs.Stats"/>. Immutable.</summary>
    public sealed class CallStats
    {
        internal CallStats(IDictionary<string, object> f, string rawJson)
        {
            f = f ?? new Dictionary<string, object>();
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            Uuid = JsonFields.Str(f, "uuid");
            CallId = JsonFields.Str(f, "call_id");
            RttMs = JsonFields.Double(f, "rtt_ms") ?? 0;
            JitterMs = JsonFields.Double(f, "jitter_ms") ?? 0;
            Loss = JsonFields.Double(f, "loss") ?? 0;
            RemoteLoss = JsonFields.Double(f, "remote_loss") ?? 0;
            BitrateKbps = JsonFields.Double(f, "bitrate_kbps") ?? 0;
            SendKbps = JsonFields.Double(f, "send_kbps") ?? 0;
            Mos = JsonFields.Double(f, "mos");
            NoData = JsonFields.Bool(f, "no_data") ?? false;
            PacketsSent = JsonFields.Long(f, "packets_sent") ?? 0;
            PacketsReceived = JsonFields.Long(f, "packets_received") ?? 0;
            PacketsLost = JsonFields.Long(f, "packets_lost") ?? 0;
            AudioCodec = JsonFields.Str(f, "audio_codec");
            JitterBufferMs = (int)(JsonFields.Long(f, "jitter_buffer_ms") ?? 0);
        }

        /// <summary>The CTI call uuid, when given.</summary>
        public string Uuid { get; }

        /// <summary>The SIP Call-ID, when given.</summary>
        public string CallId { get; }

        /// <summary>Round-trip time, ms (from RTCP).</summary>
        public double RttMs { get; }

        /// <summary>Interarrival jitter of the received audio, ms (RFC 3550).</summary>
        public double JitterMs { get; }

        /// <summary>Loss rate of the received audio, 0..1.</summary>
        public double Loss { get; }

        /// <summary>Loss rate the peer reports of the audio sent, 0..1.</summary>
        public double RemoteLoss { get; }

        /// <summary>Received bit rate (audio + video), kbit/s.</summary>
        public double BitrateKbps { get; }

        /// <summary>Sent bit rate (audio + video), kbit/s.</summary>
        public double SendKbps { get; }

        /// <summary>Mean opinion score estimate (E-model), 1..4.41; null while no audio was received (nothing measured).</summary>
        public double? Mos { get; }

        /// <summary>True while no audio was received: <see cref="Loss"/>, <see cref="JitterMs"/> and <see cref="Mos"/> measure nothing yet.</summary>
        public bool NoData { get; }

        /// <summary>Audio packets sent.</summary>
        public long PacketsSent { get; }

        /// <summary>Audio packets received.</summary>
        public long PacketsReceived { get; }

        /// <summary>Audio packets lost (RFC 3550 cumulative count; may be negative with duplicates).</summary>
        public long PacketsLost { get; }

        /// <summary>The audio codec in use (e.g. "PCMU", "opus"), when known.</summary>
        public string AudioCodec { get; }

        /// <summary>The jitter buffer's current depth, ms.</summary>
        public int JitterBufferMs { get; }

        /// <summary>Every field as parsed JSON.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The stats object as JSON.</summary>
        public string RawJson { get; }

        /// <summary>Returns the stats JSON.</summary>
        public override string ToString() => RawJson;
    }

    /// <summary>One frame of a call's received audio (what the agent would hear), given to the sink of <see cref="CloudCCClient.SetPcmSink"/>. The samples are a copy the sink owns.</summary>
    public sealed class PcmFrameEventArgs : EventArgs
    {
        /// <summary>Makes a frame.</summary>
        public PcmFrameEventArgs(string uuid, short[] samples, int rate)
        {
            Uuid = uuid ?? "";
            Samples = samples ?? Array.Empty<short>();
            Rate = rate;
        }

        /// <summary>The uuid the sink was set for ("" when it was set for the current call).</summary>
        public string Uuid { get; }

        /// <summary>Mono 16-bit samples, about 20 ms of them (a copy; the sink may keep it).</summary>
        public short[] Samples { get; }

        /// <summary>The sample rate, Hz (the rate given to <see cref="CloudCCClient.SetPcmSink"/>).</summary>
        public int Rate { get; }
    }

    /// <summary>RTC mode: the phone's SIP registration changed (rtc_registration).</summary>
    public sealed class RtcRegistrationChangedEventArgs : CloudCCEventArgs
    {
        internal RtcRegistrationChangedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            State = JsonFields.Str(f, "state") ?? "";
            Reason = JsonFields.Str(f, "reason");
            Code = (int?)JsonFields.Long(f, "code");
            Aor = JsonFields.Str(f, "aor");
            ExpiresSeconds = (int?)JsonFields.Long(f, "expires_s");
            RtcAddress = JsonFields.Str(f, "rtc_address");
            Url = JsonFields.Str(f, "url");
        }

        /// <summary>"registering", "registered", "failed" or "unregistered".</summary>
        public string State { get; }

        /// <summary>Why (failed, unregistered), when said.</summary>
        public string Reason { get; }

        /// <summary>The SIP status (200 when registered, 403 wrong password ...), or null when there is none.</summary>
        public int? Code { get; }

        /// <summary>The address of record, sip:{ext_id}@{domain}.</summary>
        public string Aor { get; }

        /// <summary>The granted registration lifetime in seconds (registered), or null.</summary>
        public int? ExpiresSeconds { get; }

        /// <summary>The rtc_address check-in gave (the platform's is host:port, without a scheme).</summary>
        public string RtcAddress { get; }

        /// <summary>The SIP WebSocket URL the phone dialled for <see cref="RtcAddress"/>.</summary>
        public string Url { get; }
    }

    /// <summary>RTC mode: a call of the phone changed state (rtc_call).</summary>
    public sealed class RtcCallChangedEventArgs : CloudCCEventArgs
    {
        internal RtcCallChangedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            UuidFrom = JsonFields.Str(f, "uuid_from");
            CallId = JsonFields.Str(f, "call_id");
            Direction = JsonFields.Str(f, "direction");
            State = JsonFields.Str(f, "state") ?? "";
            AutoAnswer = JsonFields.Bool(f, "auto_answer") ?? false;
            Media = JsonFields.Str(f, "media");
            LocalHold = JsonFields.Bool(f, "local_hold") ?? false;
            RemoteHold = JsonFields.Bool(f, "remote_hold") ?? false;
            Remote = JsonFields.Str(f, "remote");
            Code = (int?)JsonFields.Long(f, "code");
            Reason = JsonFields.Str(f, "reason");
        }

        /// <summary>The CTI call uuid.</summary>
        public string Uuid { get; }

        /// <summary>How <see cref="Uuid"/> was learned: "x-cc-uuid" (the INVITE's header), "request", "callin", "answer" or "only_call"; null until known. A uuid learned late is reported again, same state, with reason "uuid from ...".</summary>
        public string UuidFrom { get; }

        /// <summary>The SIP Call-ID.</summary>
        public string CallId { get; }

        /// <summary>"incoming" (the platform rings the agent's leg; every CTI call does) or "outgoing".</summary>
        public string Direction { get; }

        /// <summary>"ringing", "answered", "confirmed", "held", "ended", or "calling"/"early" for calls the phone places.</summary>
        public string State { get; }

        /// <summary>Whether the phone answers the call by itself.</summary>
        public bool AutoAnswer { get; }

        /// <summary>"failed" when ICE/DTLS did not connect within <see cref="ClientOptions.RtcMediaTimeout"/> (<see cref="Reason"/> says where it got stuck), else null.</summary>
        public string Media { get; }

        /// <summary>Whether the agent's side holds the call.</summary>
        public bool LocalHold { get; }

        /// <summary>Whether the other side holds the call.</summary>
        public bool RemoteHold { get; }

        /// <summary>The other party's SIP address, when known.</summary>
        public string Remote { get; }

        /// <summary>The SIP status that ended the call, or null when there is none.</summary>
        public int? Code { get; }

        /// <summary>Why the call ended, when said.</summary>
        public string Reason { get; }
    }

    /// <summary>One call's part of <see cref="ConnectivityChangedEventArgs"/>.</summary>
    public sealed class ConnectivityCall
    {
        internal ConnectivityCall(IDictionary<string, object> f)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            CallId = JsonFields.Str(f, "call_id");
            State = JsonFields.Str(f, "state");
            Ice = JsonFields.Str(f, "ice");
        }

        /// <summary>The CTI call uuid.</summary>
        public string Uuid { get; }

        /// <summary>The SIP Call-ID.</summary>
        public string CallId { get; }

        /// <summary>The call's state (as in <see cref="RtcCallChangedEventArgs.State"/>).</summary>
        public string State { get; }

        /// <summary>The media's ICE state: new, checking, connected, disconnected, failed, closed.</summary>
        public string Ice { get; }
    }

    /// <summary>RTC mode: the joined view of the agent's links changed (connectivity).</summary>
    public sealed class ConnectivityChangedEventArgs : CloudCCEventArgs
    {
        internal ConnectivityChangedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            State = JsonFields.Str(f, "state") ?? "";
            Cti = JsonFields.Str(f, "cti");
            Sip = JsonFields.Str(f, "sip");
            Registration = JsonFields.Str(f, "registration");
            Reason = JsonFields.Str(f, "reason");
            var calls = new List<ConnectivityCall>();
            object v;
            if (f.TryGetValue("calls", out v) && v is List<object> list)
                foreach (object item in list)
                    if (item is Dictionary<string, object> d) calls.Add(new ConnectivityCall(d));
            Calls = calls.AsReadOnly();
        }

        /// <summary>"ok" (CTI and SIP up, registered, every answered call's media connected), "degraded" (links up, but not registered or a call's media not connected) or "down" (the CTI or the SIP link is not up).</summary>
        public string State { get; }

        /// <summary>The CTI link's state: connected, reconnecting, ...</summary>
        public string Cti { get; }

        /// <summary>The SIP link's state: connected, reconnecting, ...</summary>
        public string Sip { get; }

        /// <summary>The registration's state: registering, registered, failed, ...</summary>
        public string Registration { get; }

        /// <summary>The phone's calls and their media state.</summary>
        public IReadOnlyList<ConnectivityCall> Calls { get; }

        /// <summary>What is wrong, when not ok.</summary>
        public string Reason { get; }
    }

    /// <summary>RTC mode: the phone received a DTMF digit (rtc_dtmf).</summary>
    public sealed class RtcDtmfReceivedEventArgs : CloudCCEventArgs
    {
        internal RtcDtmfReceivedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            CallId = JsonFields.Str(f, "call_id");
            Digit = JsonFields.Str(f, "digit") ?? "";
            Mode = JsonFields.Str(f, "mode");
        }

        /// <summary>The CTI call uuid.</summary>
        public string Uuid { get; }

        /// <summary>The SIP Call-ID.</summary>
        public string CallId { get; }

        /// <summary>The digit: 0-9, *, #, A-D.</summary>
        public string Digit { get; }

        /// <summary>How it came: "rfc4733", "info" or "inband".</summary>
        public string Mode { get; }
    }

    /// <summary>RTC mode: a call's periodic media quality figures (rtc_stats).</summary>
    public sealed class RtcStatsEventArgs : CloudCCEventArgs
    {
        internal RtcStatsEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid") ?? "";
            CallId = JsonFields.Str(f, "call_id");
            Stats = new CallStats(f, json);
        }

        /// <summary>The CTI call uuid.</summary>
        public string Uuid { get; }

        /// <summary>The SIP Call-ID.</summary>
        public string CallId { get; }

        /// <summary>The figures.</summary>
        public CallStats Stats { get; }
    }
}
