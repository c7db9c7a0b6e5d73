using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace CloudCC
{
    /// <summary>Base of every event's arguments: the event's msg_type, its parsed fields and its JSON. Immutable; handlers may keep it.</summary>
    public abstract class CloudCCEventArgs : EventArgs
    {
        private static readonly IReadOnlyDictionary<string, object> s_empty = new ReadOnlyDictionary<string, object>(new Dictionary<string, object>());

        /// <summary>Builds the arguments from the parsed event and its JSON text.</summary>
        protected CloudCCEventArgs(IDictionary<string, object> fields, string rawJson)
        {
            Fields = new ReadOnlyDictionary<string, object>(fields);
            RawJson = rawJson;
            MsgType = JsonFields.Str(fields, "msg_type") ?? "";
            var raw = JsonFields.Obj(fields, "raw");
            Raw = raw == null ? s_empty : new ReadOnlyDictionary<string, object>(raw);
        }

        /// <summary>The event's msg_type ("callback", "connection_state", ...).</summary>
        public string MsgType { get; }

        /// <summary>Every field of the event as parsed JSON (see <see cref="Json.Parse"/> for the value types).</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>For server events, the frame exactly as received (the "raw" object), parsed; empty otherwise.</summary>
        public IReadOnlyDictionary<string, object> Raw { get; }

        /// <summary>The event JSON exactly as the library delivered it.</summary>
        public string RawJson { get; }

        /// <summary>Returns the event JSON.</summary>
        public override string ToString() => RawJson;

        /// <summary>Parses an event JSON into its typed arguments (UnknownEventArgs for a msg_type this binding does not know).</summary>
        internal static CloudCCEventArgs Create(string json)
        {
            var f = Json.ParseObject(json);
            switch (JsonFields.Str(f, "msg_type"))
            {
                case "callback": return new CallbackEventArgs(f, json);
                case "callin": return new CallinEventArgs(f, json);
                case "agent_change": return new AgentChangeEventArgs(f, json);
                case "kick_off": return new KickOffEventArgs(f, json);
                case "connect": return new ConnectedEventArgs(f, json);
                case "server_refusal": return new ServerRefusalEventArgs(f, json);
                case "connection_state": return new ConnectionStateChangedEventArgs(f, json);
                case "session_restored": return new SessionRestoredEventArgs(f, json);
                case "events_dropped": return new EventsDroppedEventArgs(f, json);
                case "log": return new LogEventArgs(f, json);
                case "rtc_registration": return new RtcRegistrationChangedEventArgs(f, json);
                case "rtc_call": return new RtcCallChangedEventArgs(f, json);
                case "connectivity": return new ConnectivityChangedEventArgs(f, json);
                case "rtc_dtmf": return new RtcDtmfReceivedEventArgs(f, json);
                case "rtc_stats": return new RtcStatsEventArgs(f, json);
                case "audio_devices_changed": return new AudioDevicesChangedEventArgs(f, json);
                case "audio_device_fallback": return new AudioDeviceFallbackEventArgs(f, json);
                case "audio_device_error": return new AudioDeviceErrorEventArgs(f, json);
                case "call_quality_warning": return new CallQualityWarningEventArgs(f, json);
            }
            return new UnknownEventArgs(f, json);
        }

        internal static MediaDirection? MediaOf(IDictionary<string, object> f, string key)
        {
            long? v = JsonFields.Long(f, key);
            return v == null ? (MediaDirection?)null : (MediaDirection)v.Value;
        }
    }

    /// <summary>Base of the platform's pushed events (callback, callin, agent_change, kick_off, connect): the fields every one carries.</summary>
    public abstract class ServerEventArgs : CloudCCEventArgs
    {
        /// <summary>Reads the common fields.</summary>
        protected ServerEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            ReqId = JsonFields.Str(f, "req_id");
            CompanyCode = JsonFields.Str(f, "company_code");
            AgentId = JsonFields.Str(f, "agent_id");
            ExtId = JsonFields.Str(f, "ext_id");
        }

        /// <summary>The req_id of the request that caused the event, when the server says.</summary>
        public string ReqId { get; }

        /// <summary>The company code.</summary>
        public string CompanyCode { get; }

        /// <summary>The agent the event is about.</summary>
        public string AgentId { get; }

        /// <summary>The agent's extension.</summary>
        public string ExtId { get; }
    }

    /// <summary>A phase of an operation the agent started (回调结果): action, phase, success and the call's details. The platform's server sends every callback with a req_id of its own (not the request's) and without uuid or curren_time.</summary>
    public sealed class CallbackEventArgs : ServerEventArgs
    {
        internal CallbackEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            ActionName = JsonFields.Str(f, "action") ?? "";
            Action = Wire.Parse<CallbackAction>(ActionName);
            PhaseName = JsonFields.Present(f, "phase");
            Phase = Wire.ParseOptional<CallPhase>(PhaseName);
            Success = JsonFields.Bool(f, "success") ?? false;
            Msg = JsonFields.Str(f, "msg");
            Os = JsonFields.Str(f, "os");
            CurrentTime = JsonFields.Str(f, "curren_time");
            Uuid = JsonFields.Str(f, "uuid");
            PeerUuid = JsonFields.Str(f, "peer_uuid");
            DisplayNumber = JsonFields.Str(f, "display_number");
            WorkOrderId = JsonFields.Str(f, "work_order_id");
            Audio = MediaOf(f, "audio");
            Video = MediaOf(f, "video");
            LastAudio = MediaOf(f, "last_audio");
            LastVideo = MediaOf(f, "last_video");
            long? flag = JsonFields.Long(f, "change_media_flag");
            ChangeMediaFlag = flag == null ? (int?)null : (int)flag.Value;
            InCallNumbers = JsonFields.StrList(f, "in_call_numbers");
        }

        /// <summary>The operation (<see cref="CallbackAction.Unknown"/> for a value outside the spec; see <see cref="ActionName"/>).</summary>
        public CallbackAction Action { get; }

        /// <summary>The action as sent.</summary>
        public string ActionName { get; }

        /// <summary>The stage (<see cref="CallPhase.Unknown"/> for a value outside the spec; see <see cref="PhaseName"/>), or null when the server sent none (EXT_UN_REG has none).</summary>
        public CallPhase? Phase { get; }

        /// <summary>The phase as sent, or null.</summary>
        public string PhaseName { get; }

        /// <summary>Whether the stage succeeded.</summary>
        public bool Success { get; }

        /// <summary>The server's message.</summary>
        public string Msg { get; }

        /// <summary>The os of the originating request.</summary>
        public string Os { get; }

        /// <summary>The server's time of the event (the spec's "curren_time").</summary>
        public string CurrentTime { get; }

        /// <summary>The call's uuid, when the server sends it.</summary>
        public string Uuid { get; }

        /// <summary>The other leg's uuid.</summary>
        public string PeerUuid { get; }

        /// <summary>The number shown to the other party.</summary>
        public string DisplayNumber { get; }

        /// <summary>The work order id.</summary>
        public string WorkOrderId { get; }

        /// <summary>The audio direction now, when sent.</summary>
        public MediaDirection? Audio { get; }

        /// <summary>The video direction now, when sent.</summary>
        public MediaDirection? Video { get; }

        /// <summary>The audio direction before a media change, when sent.</summary>
        public MediaDirection? LastAudio { get; }

        /// <summary>The video direction before a media change, when sent.</summary>
        public MediaDirection? LastVideo { get; }

        /// <summary>change_media's flag (0 started, 1 done), when sent.</summary>
        public int? ChangeMediaFlag { get; }

        /// <summary>The numbers in the call (three-way, force_call); empty when not sent.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }
    }

    /// <summary>A call ringing at the agent (呼入); answer it with <see cref="CloudCCClient.AnswerAsync"/> and <see cref="Uuid"/> (the SDK answers with the call's own <see cref="Audio"/>/<see cref="Video"/>).</summary>
    public sealed class CallinEventArgs : ServerEventArgs
    {
        internal CallinEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Uuid = JsonFields.Str(f, "uuid");
            CallerNumber = JsonFields.Str(f, "caller_number");
            CalleeNumber = JsonFields.Str(f, "callee_number");
            FlowData = JsonFields.Str(f, "flow_data");
            ChannelName = JsonFields.Str(f, "callin_channel") ?? "";
            Channel = ChannelName.Trim().Length == 0 ? CallinChannel.Normal : Wire.Parse<CallinChannel>(ChannelName);
            long? v = JsonFields.Long(f, "is_video");
            IsVideo = v == null ? (bool?)null : v.Value != 0;
            Audio = MediaOf(f, "audio");
            Video = MediaOf(f, "video");
            Pixels = JsonFields.Str(f, "pixels");
            WorkOrderId = JsonFields.Str(f, "work_order_id");
            ClientUuid = JsonFields.Str(f, "client_uuid");
            Os = JsonFields.Str(f, "os");
            TaskId = JsonFields.Str(f, "task_id");
        }

        /// <summary>The call's uuid (to answer, hold, hang up ...).</summary>
        public string Uuid { get; }

        /// <summary>The caller's number.</summary>
        public string CallerNumber { get; }

        /// <summary>The number called.</summary>
        public string CalleeNumber { get; }

        /// <summary>Call-attached data, as sent.</summary>
        public string FlowData { get; }

        /// <summary>How the call arrived (<see cref="CallinChannel.Normal"/> for the spec's empty value; the platform says <see cref="CallinChannel.CallIn"/>).</summary>
        public CallinChannel Channel { get; }

        /// <summary>The channel as sent ("" for an ordinary call).</summary>
        public string ChannelName { get; }

        /// <summary>Whether it is a video call, when sent.</summary>
        public bool? IsVideo { get; }

        /// <summary>The offered audio direction, when sent.</summary>
        public MediaDirection? Audio { get; }

        /// <summary>The offered video direction, when sent.</summary>
        public MediaDirection? Video { get; }

        /// <summary>The video height, when sent.</summary>
        public string Pixels { get; }

        /// <summary>The work order id.</summary>
        public string WorkOrderId { get; }

        /// <summary>The customer's leg of the call (platform), or null.</summary>
        public string ClientUuid { get; }

        /// <summary>The os of the agent's session, or null.</summary>
        public string Os { get; }

        /// <summary>The outbound task of a predictive call (platform), or null.</summary>
        public string TaskId { get; }
    }

    /// <summary>An agent status change (状态变化): one event for the spec's agent_change push and the platform's change_status push (<see cref="CloudCCEventArgs.MsgType"/> is "agent_change" for both; <see cref="CloudCCEventArgs.Raw"/> keeps the frame as sent, msg_type "change_status" from the platform).</summary>
    public sealed class AgentChangeEventArgs : ServerEventArgs
    {
        internal AgentChangeEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            StatusName = JsonFields.Str(f, "agent_status") ?? "";
            Status = Wire.Parse<AgentStatus>(StatusName);
            SubStatusName = JsonFields.Present(f, "sub_agent_status");
            SubStatus = Wire.ParseOptional<SubStatus>(SubStatusName);
            LastStatusName = JsonFields.Present(f, "last_agent_status");
            LastStatus = Wire.ParseOptional<AgentStatus>(LastStatusName);
            InCallNumbers = JsonFields.StrList(f, "in_call_numbers");
            Reason = JsonFields.Str(f, "reason");
            string uuid = JsonFields.Str(f, "uuid");
            Uuid = string.IsNullOrEmpty(uuid) ? null : uuid;
            Os = JsonFields.Str(f, "os");
        }

        /// <summary>The status now.</summary>
        public AgentStatus Status { get; }

        /// <summary>The status now, as sent.</summary>
        public string StatusName { get; }

        /// <summary>The in-call sub-status, or null when the server sent none.</summary>
        public SubStatus? SubStatus { get; }

        /// <summary>The sub-status as sent, or null when the server sent none.</summary>
        public string SubStatusName { get; }

        /// <summary>The status before, or null when the server sent none (the platform's check-in push has none).</summary>
        public AgentStatus? LastStatus { get; }

        /// <summary>The status before, as sent, or null.</summary>
        public string LastStatusName { get; }

        /// <summary>The numbers in the agent's call.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }

        /// <summary>Why the status changed, when the server says.</summary>
        public string Reason { get; }

        /// <summary>The call the change is about (platform), or null.</summary>
        public string Uuid { get; }

        /// <summary>The os of the agent's session (platform), or null.</summary>
        public string Os { get; }
    }

    /// <summary>Another device checked in as this agent (kick_off, 坐席互顶下线通知): this session is no longer the agent's.</summary>
    public sealed class KickOffEventArgs : ServerEventArgs
    {
        internal KickOffEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Code = JsonFields.Str(f, "code");
            Msg = JsonFields.Str(f, "msg");
            Os = JsonFields.Str(f, "os");
            AgentIp = JsonFields.Str(f, "agent_ip");
        }

        /// <summary>The server's code ("0").</summary>
        public string Code { get; }

        /// <summary>The server's message, naming the other device's IP.</summary>
        public string Msg { get; }

        /// <summary>The os of the session, or null.</summary>
        public string Os { get; }

        /// <summary>The IP of the device that checked in (sent as "agentIp"), or null.</summary>
        public string AgentIp { get; }
    }

    /// <summary>The platform server's greeting on a new link (connect, "连接成功"); informational: the link's state is <see cref="CloudCCClient.ConnectionStateChanged"/>.</summary>
    public sealed class ConnectedEventArgs : ServerEventArgs
    {
        internal ConnectedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Code = JsonFields.Str(f, "code");
            Msg = JsonFields.Str(f, "msg");
        }

        /// <summary>The server's code ("0").</summary>
        public string Code { get; }

        /// <summary>The server's message.</summary>
        public string Msg { get; }
    }

    /// <summary>A server refusal that names no request (no req_id) and that no request in flight could take (server_refusal, an SDK event): the platform answers a frame it cannot validate with only code and msg. When a request was waiting, it gets the refusal instead.</summary>
    public sealed class ServerRefusalEventArgs : CloudCCEventArgs
    {
        internal ServerRefusalEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Code = JsonFields.Str(f, "code") ?? "";
            Msg = JsonFields.Str(f, "msg") ?? "";
        }

        /// <summary>The server's code as received.</summary>
        public string Code { get; }

        /// <summary>The server's message.</summary>
        public string Msg { get; }

        /// <summary>The refusal as the exception a request would have thrown (a <see cref="ServerException"/> subclass chosen by <see cref="Code"/>); the caller owns it.</summary>
        public ServerException ToException()
        {
            var d = new Dictionary<string, object> { { "code", Code }, { "msg", Msg } };
            return Errors.FromRefusal(new Reply(d, RawJson));
        }
    }

    /// <summary>The link to the CTI server changed state (an SDK event); while reconnecting, <see cref="Attempt"/> and <see cref="Delay"/> say when the next try is.</summary>
    public sealed class ConnectionStateChangedEventArgs : CloudCCEventArgs
    {
        internal ConnectionStateChangedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            StateName = JsonFields.Str(f, "state") ?? "";
            State = Wire.Parse<ConnectionState>(StateName);
            Reason = JsonFields.Str(f, "reason");
            Attempt = (int)(JsonFields.Long(f, "attempt") ?? 0);
            Delay = TimeSpan.FromMilliseconds(JsonFields.Long(f, "delay_ms") ?? 0);
        }

        /// <summary>The state now.</summary>
        public ConnectionState State { get; }

        /// <summary>The state as sent.</summary>
        public string StateName { get; }

        /// <summary>Why, when the link went down.</summary>
        public string Reason { get; }

        /// <summary>The reconnect attempt number (0 when not reconnecting).</summary>
        public int Attempt { get; }

        /// <summary>The wait before that attempt.</summary>
        public TimeSpan Delay { get; }
    }

    /// <summary>After a reconnect the SDK checked the session back in (an SDK event): restored in the state the server reports, or lost (<see cref="Error"/>): then check in again. A restore checks in without reset (a call in progress carries on) and with the status the agent had, then reads the state back with get_status; the event never carries the token or ext_pwd.</summary>
    public sealed class SessionRestoredEventArgs : CloudCCEventArgs
    {
        internal SessionRestoredEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            StatusName = JsonFields.Present(f, "status");
            Status = Wire.ParseOptional<AgentStatus>(StatusName);
            SubStatusName = JsonFields.Present(f, "sub_status");
            SubStatus = Wire.ParseOptional<SubStatus>(SubStatusName);
            Uuid = JsonFields.Str(f, "uuid");
            InCallNumbers = JsonFields.StrList(f, "in_call_numbers");
            Resynced = JsonFields.Bool(f, "resynced") ?? false;
            Error = JsonFields.Str(f, "error");
            Code = JsonFields.Str(f, "code");
            Msg = JsonFields.Str(f, "msg");
        }

        /// <summary>The agent's status once restored, or null when the session is lost.</summary>
        public AgentStatus? Status { get; }

        /// <summary>The status as sent, or null.</summary>
        public string StatusName { get; }

        /// <summary>The in-call sub-status, or null when there is none.</summary>
        public SubStatus? SubStatus { get; }

        /// <summary>The sub-status as sent, or null.</summary>
        public string SubStatusName { get; }

        /// <summary>The call the agent is in, or null.</summary>
        public string Uuid { get; }

        /// <summary>The numbers in the agent's call.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }

        /// <summary>True when the state was read back from the server (get_status); false: the last status the SDK saw.</summary>
        public bool Resynced { get; }

        /// <summary>Why the session is lost, or null.</summary>
        public string Error { get; }

        /// <summary>The server's code when it refused the session (e.g. "4004", "4003"), or null.</summary>
        public string Code { get; }

        /// <summary>The server's message when it refused the session, or null.</summary>
        public string Msg { get; }

        /// <summary>True when the session was restored.</summary>
        public bool Succeeded => Error == null;
    }

    /// <summary>The event handlers (or the library's poll queue) fell behind and the oldest events were dropped (events_dropped, an SDK event); it comes before the first event after the gap. <see cref="ClientOptions.EventQueueMax"/> and <see cref="ClientOptions.EventQueueMaxBytes"/> bound the queues.</summary>
    public sealed class EventsDroppedEventArgs : CloudCCEventArgs
    {
        internal EventsDroppedEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            Dropped = JsonFields.Long(f, "dropped") ?? 0;
            DroppedTotal = JsonFields.Long(f, "dropped_total") ?? 0;
            Queue = JsonFields.Str(f, "queue");
            Reason = JsonFields.Str(f, "reason");
        }

        /// <summary>Events dropped since the previous note.</summary>
        public long Dropped { get; }

        /// <summary>Events dropped since the client was made.</summary>
        public long DroppedTotal { get; }

        /// <summary>The queue that dropped them: "callback" or "poll".</summary>
        public string Queue { get; }

        /// <summary>Why, in words.</summary>
        public string Reason { get; }
    }

    /// <summary>A log line of the SDK (an SDK event, at or above <see cref="ClientOptions.LogLevel"/>); it never holds a secret.</summary>
    public sealed class LogEventArgs : CloudCCEventArgs
    {
        internal LogEventArgs(IDictionary<string, object> f, string json) : base(f, json)
        {
            LevelName = JsonFields.Str(f, "level") ?? "";
            Level = Wire.Parse<LogLevel>(LevelName);
            Message = JsonFields.Str(f, "message");
            string t = JsonFields.Str(f, "time");
            DateTimeOffset when;
            Time = t != null && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.RoundtripKind, out when) ? when : (DateTimeOffset?)null;
            var attrs = JsonFields.Obj(f, "attrs");
            Attrs = new ReadOnlyDictionary<string, object>(attrs ?? new Dictionary<string, object>());
        }

        /// <summary>The level.</summary>
        public LogLevel Level { get; }

        /// <summary>The level as sent.</summary>
        public string LevelName { get; }

        /// <summary>The message.</summary>
        public string Message { get; }

        /// <summary>When it was logged, when parseable.</summary>
        public DateTimeOffset? Time { get; }

        /// <summary>The structured attributes.</summary>
        public IReadOnlyDictionary<string, object> Attrs { get; }
    }

    /// <summary>An event whose msg_type this binding does not know; <see cref="CloudCCEventArgs.RawJson"/> has all of it.</summary>
    public sealed class UnknownEventArgs : CloudCCEventArgs
    {
        internal UnknownEventArgs(IDictionary<string, object> f, string json) : base(f, json) { }
    }

    /// <summary>An event handler threw; the exception was caught so delivery goes on. <see cref="Event"/> is what was being delivered.</summary>
    public sealed class HandlerErrorEventArgs : EventArgs
    {
        /// <summary>Makes the arguments.</summary>
        public HandlerErrorEventArgs(Exception exception, CloudCCEventArgs ev)
        {
            Exception = exception;
            Event = ev;
        }

        /// <summary>What the handler threw (or, for a JSON the binding could not parse, the parse error).</summary>
        public Exception Exception { get; }

        /// <summary>The event being delivered, or null when it could not be parsed.</summary>
        public CloudCCEventArgs Event { get; }
    }
}
