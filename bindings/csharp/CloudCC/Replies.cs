using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace CloudCC
{
    /// <summary>A server's answer to a request: the spec's normalized fields, with the frame as received under "raw". Immutable; owned by the caller.</summary>
    public class Reply
    {
        private readonly IDictionary<string, object> _fields;
        private static readonly IReadOnlyDictionary<string, object> s_empty = new ReadOnlyDictionary<string, object>(new Dictionary<string, object>());

        /// <summary>Builds a reply from its parsed JSON object and the JSON text it came from.</summary>
        protected internal Reply(IDictionary<string, object> fields, string rawJson)
        {
            var f = fields ?? new Dictionary<string, object>();
            _fields = f;
            Fields = new ReadOnlyDictionary<string, object>(f);
            RawJson = rawJson;
            MsgType = JsonFields.Str(f, "msg_type") ?? "";
            Code = JsonFields.Str(f, "code") ?? "";
            Msg = JsonFields.Str(f, "msg") ?? "";
            ReqId = JsonFields.Str(f, "req_id");
            Uuid = JsonFields.Str(f, "uuid");
            var raw = JsonFields.Obj(f, "raw");
            Raw = raw == null ? s_empty : new ReadOnlyDictionary<string, object>(raw);
        }

        /// <summary>The reply's msg_type, normalized ("pong" for ping, "trans" for the spec's "transfer").</summary>
        public string MsgType { get; }

        /// <summary>The server's code: "0" is success.</summary>
        public string Code { get; }

        /// <summary>The server's message, in the link's language.</summary>
        public string Msg { get; }

        /// <summary>The request's req_id, echoed by the server.</summary>
        public string ReqId { get; }

        /// <summary>The reply's uuid (the new call for call, the playback for play_record, the supervisor's leg, the agent's call for get_status), or null.</summary>
        public string Uuid { get; }

        /// <summary>True when the server accepted the request (code "0"). Replies that the typed methods return always are.</summary>
        public bool IsSuccess => Code == "0";

        /// <summary>Every normalized field, as parsed JSON (see <see cref="Json.Parse"/> for the value types).</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        /// <summary>The frame exactly as the server sent it (the "raw" object), parsed; empty when absent.</summary>
        public IReadOnlyDictionary<string, object> Raw { get; }

        /// <summary>The whole reply JSON as the library returned it.</summary>
        public string RawJson { get; }

        /// <summary>A field as a string (numbers and booleans in their JSON text), or null when absent.</summary>
        public string GetString(string key) => JsonFields.Str(_fields, key);

        /// <summary>Returns "msg_type code msg".</summary>
        public override string ToString() => MsgType + " " + Code + " " + Msg;

        /// <summary>Parses a reply JSON into the typed reply for a request of type <paramref name="requestType"/>.</summary>
        internal static Reply Create(string json, string requestType) => Create(json, Json.ParseObject(json), requestType);

        /// <summary>As <see cref="Create(string, string)"/> for a reply already parsed into <paramref name="f"/> (the type then defaults to its msg_type).</summary>
        internal static Reply Create(string json, IDictionary<string, object> f, string requestType)
        {
            switch (requestType ?? JsonFields.Str(f, "msg_type"))
            {
                case "checkin": return new CheckinReply(f, json);
                case "change_status": return new ChangeStatusReply(f, json);
                case "hold": return new HoldReply(f, json);
                case "mute": return new MuteReply(f, json);
                case "consult": return new ConsultReply(f, json);
                case "three_way": return new ThreeWayReply(f, json);
                case "get_status": return new StatusReply(f, json);
                case "eavesdrop":
                case "whisper":
                case "substitute":
                case "force_call": return new SupervisorReply(f, json);
                case "change_media": return new ChangeMediaReply(f, json);
                case "get-token": return new TokenReply(f, json);
                case "get-skill-service-list": return new SkillServiceListReply(f, json);
                case "get-ivr-service-list": return new IvrServiceListReply(f, json);
            }
            return new Reply(f, json);
        }
    }

    /// <summary>checkin's reply: the extension, its registration details and the session token.</summary>
    public sealed class CheckinReply : Reply
    {
        internal CheckinReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            ExtId = JsonFields.Str(f, "ext_id");
            Pbx = JsonFields.Str(f, "pbx");
            ExtPassword = JsonFields.Str(f, "ext_pwd");
            RtcAddress = JsonFields.Str(f, "rtc_address");
            LoginType = JsonFields.Str(f, "login_type");
            Token = JsonFields.Str(f, "token");
            CompanyCode = JsonFields.Str(f, "company_code");
            Os = JsonFields.Str(f, "os");
            long? v = JsonFields.Long(f, "ext_call_mode");
            ExtCallMode = v == null ? (int?)null : (int)v.Value;
            v = JsonFields.Long(f, "service_mode");
            ServiceMode = v == null ? (ServiceMode?)null : (ServiceMode)v.Value;
        }

        /// <summary>The extension the agent checked in at.</summary>
        public string ExtId { get; }

        /// <summary>The PBX address a softphone registers with.</summary>
        public string Pbx { get; }

        /// <summary>The extension's SIP password (a secret: do not log it).</summary>
        public string ExtPassword { get; }

        /// <summary>The RTC gateway address (login type "1" only).</summary>
        public string RtcAddress { get; }

        /// <summary>"1" RTC (the SDK carries media) or "2" softphone.</summary>
        public string LoginType { get; }

        /// <summary>The session token (a secret: do not log it); the client uses it by itself.</summary>
        public string Token { get; }

        /// <summary>The company (platform), or null.</summary>
        public string CompanyCode { get; }

        /// <summary>The os the server keys this session by (platform), or null.</summary>
        public string Os { get; }

        /// <summary>The extension's call mode (platform: 1 normal, 2 long call), or null.</summary>
        public int? ExtCallMode { get; }

        /// <summary>The agent's service mode (platform), or null.</summary>
        public ServiceMode? ServiceMode { get; }
    }

    /// <summary>get_status's reply (the platform's request, not in the 7.0.0 spec): the agent's status as the server holds it, its call (<see cref="Reply.Uuid"/>) and the numbers in it.</summary>
    public sealed class StatusReply : Reply
    {
        internal StatusReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            StatusName = JsonFields.Str(f, "status") ?? "";
            Status = Wire.Parse<AgentStatus>(StatusName);
            SubStatusName = JsonFields.Present(f, "sub_status");
            SubStatus = Wire.ParseOptional<SubStatus>(SubStatusName);
            InCallNumbers = JsonFields.StrList(f, "in_call_numbers");
            CompanyCode = JsonFields.Str(f, "company_code");
        }

        /// <summary>The agent's status (<see cref="AgentStatus.Unknown"/> for a value outside the spec; see <see cref="StatusName"/>).</summary>
        public AgentStatus Status { get; }

        /// <summary>The status as sent.</summary>
        public string StatusName { get; }

        /// <summary>The in-call sub-status, or null when the server sent none.</summary>
        public SubStatus? SubStatus { get; }

        /// <summary>The sub-status as sent, or null.</summary>
        public string SubStatusName { get; }

        /// <summary>The numbers in the agent's call.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }

        /// <summary>The company, as the server sent it.</summary>
        public string CompanyCode { get; }
    }

    /// <summary>The reply of eavesdrop, whisper, substitute and force_call: <see cref="Reply.Uuid"/> is the supervisor's new call leg.</summary>
    public sealed class SupervisorReply : Reply
    {
        internal SupervisorReply(IDictionary<string, object> f, string json) : base(f, json) { InCallNumbers = JsonFields.StrList(f, "in_call_numbers"); }

        /// <summary>The numbers in the call (force_call), when the server sends them.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }
    }

    /// <summary>change_media's reply: the call (<see cref="Reply.Uuid"/>) and its media now, when the server says.</summary>
    public sealed class ChangeMediaReply : Reply
    {
        internal ChangeMediaReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            Audio = CloudCCEventArgs.MediaOf(f, "audio");
            Video = CloudCCEventArgs.MediaOf(f, "video");
            Pixels = JsonFields.Str(f, "pixels");
        }

        /// <summary>The audio direction now, when sent.</summary>
        public MediaDirection? Audio { get; }

        /// <summary>The video direction now, when sent.</summary>
        public MediaDirection? Video { get; }

        /// <summary>The video height, when sent.</summary>
        public string Pixels { get; }
    }

    /// <summary>change_status's reply: the action and the statuses before and after.</summary>
    public sealed class ChangeStatusReply : Reply
    {
        internal ChangeStatusReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            ActionName = JsonFields.Str(f, "action");
            Action = Wire.Parse<StatusAction>(ActionName);
            AgentStatusName = JsonFields.Str(f, "agent_status");
            AgentStatus = Wire.Parse<AgentStatus>(AgentStatusName);
            LastAgentStatusName = JsonFields.Str(f, "last_agent_status");
            LastAgentStatus = Wire.Parse<AgentStatus>(LastAgentStatusName);
        }

        /// <summary>The action applied.</summary>
        public StatusAction Action { get; }

        /// <summary>The action as sent by the server.</summary>
        public string ActionName { get; }

        /// <summary>The status now.</summary>
        public AgentStatus AgentStatus { get; }

        /// <summary>The status now, as sent.</summary>
        public string AgentStatusName { get; }

        /// <summary>The status before.</summary>
        public AgentStatus LastAgentStatus { get; }

        /// <summary>The status before, as sent.</summary>
        public string LastAgentStatusName { get; }
    }

    /// <summary>hold's reply: whether the call is on hold now.</summary>
    public sealed class HoldReply : Reply
    {
        internal HoldReply(IDictionary<string, object> f, string json) : base(f, json) { Hold = JsonFields.Bool(f, "hold") ?? false; }

        /// <summary>True when the call is on hold now.</summary>
        public bool Hold { get; }
    }

    /// <summary>mute's reply: whether the agent's side is muted now.</summary>
    public sealed class MuteReply : Reply
    {
        internal MuteReply(IDictionary<string, object> f, string json) : base(f, json) { Mute = JsonFields.Bool(f, "mute") ?? false; }

        /// <summary>True when muted now.</summary>
        public bool Mute { get; }
    }

    /// <summary>consult's reply: the consulted party's call.</summary>
    public sealed class ConsultReply : Reply
    {
        internal ConsultReply(IDictionary<string, object> f, string json) : base(f, json) { ConsultUuid = JsonFields.Str(f, "consult_uuid"); }

        /// <summary>The consulted party's call uuid (for consult_to_trans and cancel).</summary>
        public string ConsultUuid { get; }
    }

    /// <summary>three_way's reply: the numbers in the call.</summary>
    public sealed class ThreeWayReply : Reply
    {
        internal ThreeWayReply(IDictionary<string, object> f, string json) : base(f, json) { InCallNumbers = JsonFields.StrList(f, "in_call_numbers"); }

        /// <summary>The numbers in the call.</summary>
        public IReadOnlyList<string> InCallNumbers { get; }
    }

    /// <summary>get-token's reply: a token for the SDK HTTP interface, which the client then uses.</summary>
    public sealed class TokenReply : Reply
    {
        internal TokenReply(IDictionary<string, object> f, string json) : base(f, json) { Token = JsonFields.Str(f, "token"); }

        /// <summary>The token (a secret: do not log it).</summary>
        public string Token { get; }
    }

    /// <summary>One entry of the skill (人工服务) list.</summary>
    public sealed class SkillService
    {
        /// <summary>Makes an entry.</summary>
        public SkillService(string id, string name) { Id = id; Name = name; }

        /// <summary>skill_id.</summary>
        public string Id { get; }

        /// <summary>skill_name.</summary>
        public string Name { get; }
    }

    /// <summary>One entry of the IVR service list.</summary>
    public sealed class IvrService
    {
        /// <summary>Makes an entry.</summary>
        public IvrService(string id, string name) { Id = id; Name = name; }

        /// <summary>ivr_service_id.</summary>
        public string Id { get; }

        /// <summary>ivr_service_name.</summary>
        public string Name { get; }
    }

    /// <summary>get-skill-service-list's reply.</summary>
    public sealed class SkillServiceListReply : Reply
    {
        internal SkillServiceListReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            var list = new List<SkillService>();
            if (f.TryGetValue("data", out object d) && d is List<object> items)
                foreach (object o in items)
                    if (o is Dictionary<string, object> e) list.Add(new SkillService(JsonFields.Str(e, "skill_id"), JsonFields.Str(e, "skill_name")));
            Services = list;
        }

        /// <summary>The skills that matched.</summary>
        public IReadOnlyList<SkillService> Services { get; }
    }

    /// <summary>get-ivr-service-list's reply.</summary>
    public sealed class IvrServiceListReply : Reply
    {
        internal IvrServiceListReply(IDictionary<string, object> f, string json) : base(f, json)
        {
            var list = new List<IvrService>();
            if (f.TryGetValue("data", out object d) && d is List<object> items)
                foreach (object o in items)
                    if (o is Dictionary<string, object> e) list.Add(new IvrService(JsonFields.Str(e, "ivr_service_id"), JsonFields.Str(e, "ivr_service_name")));
            Services = list;
        }

        /// <summary>The IVR services that matched.</summary>
        public IReadOnlyList<IvrService> Services { get; }
    }
}
