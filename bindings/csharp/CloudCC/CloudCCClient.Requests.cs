using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace CloudCC
{
    // The spec's 24 requests, get_status and the 3 SDK HTTP calls as typed methods. Each returns the server's reply, or
    // throws: ServerException when the server refuses (code != "0"; a subclass such as BadPasswordException for the
    // codes that have one), a CloudCCException subclass for an SDK-side failure (NotCheckedInException: no token yet,
    // nothing sent), ObjectDisposedException after Dispose, and OperationCanceledException when the token cancels the
    // wait. Empty header fields (req_id, company_code, agent_id, ext_id, os) are filled from ClientOptions; the fields
    // the platform requires (audio, video, out_line) are filled by the SDK when left null, and given values win.
    public sealed partial class CloudCCClient
    {
        private static Dictionary<string, object> Req(string msgType) => new Dictionary<string, object> { { "msg_type", msgType } };

        private async Task<T> Send<T>(Dictionary<string, object> req, CancellationToken ct) where T : Reply
        {
            string type = (string)req["msg_type"];
            return (T)await SendAsync(type, Json.Serialize(req), 0, ct).ConfigureAwait(false);
        }

        private static string Need(string value, string name)
        {
            if (string.IsNullOrEmpty(value)) throw new ArgumentException(name + " is required", name);
            return value;
        }

        private static void Operated(Dictionary<string, object> d, string agentId, string extId)
        {
            if (agentId != null) d["operated_agent_id"] = agentId;
            if (extId != null) d["operated_ext_id"] = extId;
            if (agentId == null && extId == null) throw new ArgumentException("operatedAgentId or operatedExtId is required", nameof(agentId));
        }

        /// <summary>toggle_service_mode: switches the agent between customer-service and outbound mode.</summary>
        public Task<Reply> ToggleServiceModeAsync(ServiceMode mode, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("toggle_service_mode");
            d["service_mode"] = (int)mode;
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>checkin: checks the agent in (the reply's token is then used by the client); <paramref name="reset"/> takes over a session checked in elsewhere.</summary>
        public Task<CheckinReply> CheckinAsync(string agentPassword, AgentStatus? startStatus = null, bool? reset = null, string agentIp = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("checkin");
            d["agent_pwd"] = agentPassword ?? throw new ArgumentNullException(nameof(agentPassword));
            if (startStatus != null) d["start_status"] = Wire.Name(startStatus.Value);
            if (reset != null) d["reset"] = reset.Value;
            if (agentIp != null) d["agent_ip"] = agentIp;
            return Send<CheckinReply>(d, cancellationToken);
        }

        /// <summary>checkout: checks the agent out; the token is void afterwards.</summary>
        public Task<Reply> CheckoutAsync(CancellationToken cancellationToken = default(CancellationToken)) =>
            Send<Reply>(Req("checkout"), cancellationToken);

        /// <summary>get_status (the platform's request, not in the 7.0.0 spec): the agent's status, sub-status, call and the numbers in it; allowed before check-in once a token is known (<see cref="GetTokenAsync"/>). A server without it refuses it.</summary>
        public Task<StatusReply> GetStatusAsync(CancellationToken cancellationToken = default(CancellationToken)) =>
            Send<StatusReply>(Req("get_status"), cancellationToken);

        /// <summary>ping: a heartbeat round trip (the reply's msg_type is "pong"); brings the link up if it is down.</summary>
        public Task<Reply> PingAsync(CancellationToken cancellationToken = default(CancellationToken)) =>
            Send<Reply>(Req("ping"), cancellationToken);

        /// <summary>call: places a call to an outside number, or with <see cref="CallOptions.OutLine"/> = <see cref="OutLine.Internal"/> to the agent <paramref name="calleeNumber"/>; left null, out_line is 1 (outside), audio 3 and video 0 (the SDK's defaults). The reply's <see cref="Reply.Uuid"/> is the new call; callback events follow.</summary>
        public Task<Reply> CallAsync(string calleeNumber, CallOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("call");
            d["callee_number"] = Need(calleeNumber, nameof(calleeNumber));
            if (options != null)
            {
                if (options.OutLine != null) d["out_line"] = (int)options.OutLine.Value;
                if (options.WorkOrderId != null) d["work_order_id"] = options.WorkOrderId;
                options.ApplyMedia(d);
                options.ApplyRecording(d);
                options.ApplyExtra(d);
            }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>change_media: switches a call between audio and video (directions and pixels from <paramref name="media"/>); the reply has the call's media now.</summary>
        public Task<ChangeMediaReply> ChangeMediaAsync(string uuid, CallOptions media, bool? renegotiateOther = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("change_media");
            d["uuid"] = Need(uuid, nameof(uuid));
            if (media != null) { media.ApplyMedia(d); media.ApplyExtra(d); }
            if (renegotiateOther != null) d["reneg_other"] = renegotiateOther.Value;
            return Send<ChangeMediaReply>(d, cancellationToken);
        }

        /// <summary>change_status: changes the agent's status, or with <paramref name="operatedAgentId"/> (supervisors, FORCE_* actions) another agent's; <paramref name="restMinutes"/> goes with MAKE_REST.</summary>
        public Task<ChangeStatusReply> ChangeStatusAsync(StatusAction action, int? restMinutes = null, string operatedAgentId = null, string operatedExtId = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (action == StatusAction.Unknown) throw new ArgumentException("action is Unknown", nameof(action));
            var d = Req("change_status");
            d["action"] = Wire.Name(action);
            if (restMinutes != null) d["rest_min"] = restMinutes.Value.ToString(CultureInfo.InvariantCulture);
            if (operatedAgentId != null) d["operated_agent_id"] = operatedAgentId;
            if (operatedExtId != null) d["operated_ext_id"] = operatedExtId;
            return Send<ChangeStatusReply>(d, cancellationToken);
        }

        /// <summary>hold: holds (<paramref name="hold"/> true) or resumes (false) a call.</summary>
        public Task<HoldReply> HoldAsync(string uuid, bool hold = true, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("hold");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["hold"] = hold ? "1" : "0";
            return Send<HoldReply>(d, cancellationToken);
        }

        /// <summary>mute: mutes or unmutes the agent's side of a call; needs RTC mode, else <see cref="UnsupportedException"/>.</summary>
        public Task<MuteReply> MuteAsync(string uuid, bool mute = true, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("mute");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["mute"] = mute ? "1" : "0";
            return Send<MuteReply>(d, cancellationToken);
        }

        /// <summary>hangup: ends a call (a supervisor's or consulted agent's own leg only).</summary>
        public Task<Reply> HangupAsync(string uuid, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("hangup");
            d["uuid"] = Need(uuid, nameof(uuid));
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>trans: transfers a call to an agent, skill, IVR, outside number or the satisfaction survey (<paramref name="transNumber"/> names it), or cancels a transfer.</summary>
        public Task<Reply> TransAsync(string uuid, TransMode mode, TransTarget target, string transNumber = null, CallOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("trans");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["type"] = Wire.Num(mode);
            d["trans_type"] = Wire.Num(target);
            if (transNumber != null) d["trans_number"] = transNumber;
            if (options != null) { options.ApplyMedia(d); options.ApplyRecording(d); options.ApplyExtra(d); }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>consult: starts (or cancels) a consultation with an agent or outside number; the reply's ConsultUuid is the consulted party's call.</summary>
        public Task<ConsultReply> ConsultAsync(string uuid, ConsultMode mode, PartyType consultType, string consultNumber, CallOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("consult");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["type"] = Wire.Num(mode);
            d["consult_type"] = Wire.Num(consultType);
            d["consult_number"] = consultNumber ?? "";
            if (options != null) { options.ApplyMedia(d); options.ApplyRecording(d); options.ApplyExtra(d); }
            return Send<ConsultReply>(d, cancellationToken);
        }

        /// <summary>consult_to_trans: hands the customer to the consulted party of <paramref name="consultUuid"/>.</summary>
        public Task<Reply> ConsultToTransAsync(string consultUuid, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("consult_to_trans");
            d["consult_uuid"] = Need(consultUuid, nameof(consultUuid));
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>three_way: brings an agent or outside number into the call.</summary>
        public Task<ThreeWayReply> ThreeWayAsync(string uuid, PartyType threeWayType, string threeWayNumber, CallOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("three_way");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["three_way_type"] = Wire.Num(threeWayType);
            d["three_way_number"] = Need(threeWayNumber, nameof(threeWayNumber));
            if (options != null) { options.ApplyMedia(d); options.ApplyRecording(d); options.ApplyExtra(d); }
            return Send<ThreeWayReply>(d, cancellationToken);
        }

        /// <summary>eavesdrop (supervisors): listens to another agent's call; the reply's Uuid is the supervisor's leg.</summary>
        public Task<SupervisorReply> EavesdropAsync(string operatedAgentId, string operatedExtId = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            Supervise<SupervisorReply>("eavesdrop", operatedAgentId, operatedExtId, cancellationToken);

        /// <summary>whisper (supervisors): speaks to an agent unheard by the customer; the reply's Uuid is the supervisor's leg.</summary>
        public Task<SupervisorReply> WhisperAsync(string operatedAgentId, string operatedExtId = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            Supervise<SupervisorReply>("whisper", operatedAgentId, operatedExtId, cancellationToken);

        /// <summary>substitute (supervisors): picks up another agent's ringing inbound call; the reply's Uuid is the picked-up leg.</summary>
        public Task<SupervisorReply> SubstituteAsync(string operatedAgentId, string operatedExtId = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            Supervise<SupervisorReply>("substitute", operatedAgentId, operatedExtId, cancellationToken);

        /// <summary>force_call (supervisors): barges into another agent's call; the reply's Uuid is the supervisor's leg.</summary>
        public Task<SupervisorReply> ForceCallAsync(string operatedAgentId, string operatedExtId = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            Supervise<SupervisorReply>("force_call", operatedAgentId, operatedExtId, cancellationToken);

        /// <summary>interrupt_call (supervisors): ends another agent's call for everyone in it.</summary>
        public Task<Reply> InterruptCallAsync(string operatedAgentId, string operatedExtId = null, CancellationToken cancellationToken = default(CancellationToken)) =>
            Supervise<Reply>("interrupt_call", operatedAgentId, operatedExtId, cancellationToken);

        private Task<T> Supervise<T>(string msgType, string agentId, string extId, CancellationToken ct) where T : Reply
        {
            var d = Req(msgType);
            Operated(d, agentId, extId);
            return Send<T>(d, ct);
        }

        /// <summary>dtmf: sends digits (0-9 * # A-D) into a call.</summary>
        public Task<Reply> DtmfAsync(string uuid, string digits, DtmfType? type = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("dtmf");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["content"] = Need(digits, nameof(digits));
            if (type != null) d["dtmf_type"] = (int)type.Value;
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>answer: answers a ringing call (the <see cref="CallinEventArgs.Uuid"/> of its callin event); media left null is the call's own (from its callin), else audio 3 / video 0.</summary>
        public Task<Reply> AnswerAsync(string uuid, CallOptions media = null, CallinChannel? channel = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("answer");
            d["uuid"] = Need(uuid, nameof(uuid));
            if (channel != null && channel.Value != CallinChannel.Normal && channel.Value != CallinChannel.Unknown) d["callin_channel"] = Wire.Name(channel.Value);
            if (media != null) { media.ApplyMedia(d); media.ApplyExtra(d); }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>play_record: plays a recording into the agent's call (<paramref name="uuid"/> optional; media left null: audio 3 / video 0); the reply's <see cref="Reply.Uuid"/> is the playback.</summary>
        public Task<Reply> PlayRecordAsync(string filePath, string uuid = null, CallOptions media = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("play_record");
            d["file_path"] = Need(filePath, nameof(filePath));
            if (uuid != null) d["uuid"] = uuid;
            if (media != null) { media.ApplyMedia(d); media.ApplyExtra(d); }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>play_record_control: pauses, resumes, replays, seeks (value in ms), sets speed or volume (value), or stops a playback.</summary>
        public Task<Reply> PlayRecordControlAsync(string uuid, PlayAction action, int? value = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("play_record_control");
            d["uuid"] = Need(uuid, nameof(uuid));
            d["action"] = Wire.Name(action, lower: true);
            if (value != null)
            {
                if (action == PlayAction.Seek) d["seek_value"] = value.Value;
                else if (action == PlayAction.Speed) d["speed_value"] = value.Value;
                else if (action == PlayAction.Volume) d["volume_value"] = value.Value;
            }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>preview_out_call: dials a customer of a preview-outbound task (media left null: audio 3 / video 0).</summary>
        public Task<Reply> PreviewOutCallAsync(string taskId, string numberId, string clientNumber, int currentTimes = 0, CallOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            var d = Req("preview_out_call");
            d["task_id"] = Need(taskId, nameof(taskId));
            d["number_id"] = Need(numberId, nameof(numberId));
            d["client_number"] = Need(clientNumber, nameof(clientNumber));
            d["current_times"] = currentTimes;
            if (options != null) { options.ApplyMedia(d); options.ApplyRecording(d); options.ApplyExtra(d); }
            return Send<Reply>(d, cancellationToken);
        }

        /// <summary>get-token (HTTP): gets a token without checking in; the client then uses it for HTTP calls.</summary>
        public Task<TokenReply> GetTokenAsync(string agentPassword, CancellationToken cancellationToken = default(CancellationToken))
        {
            var p = new Dictionary<string, object> { { "agent_pwd", agentPassword ?? throw new ArgumentNullException(nameof(agentPassword)) } };
            return HttpAsync<TokenReply>("get-token", p, cancellationToken);
        }

        /// <summary>get-skill-service-list (HTTP): the company's skills whose name contains <paramref name="serviceName"/> (empty: all).</summary>
        public Task<SkillServiceListReply> GetSkillServiceListAsync(string serviceName = "", CancellationToken cancellationToken = default(CancellationToken)) =>
            HttpAsync<SkillServiceListReply>("get-skill-service-list", new Dictionary<string, object> { { "service_name", serviceName ?? "" } }, cancellationToken);

        /// <summary>get-ivr-service-list (HTTP): the company's IVRs whose name contains <paramref name="serviceName"/> (empty: all).</summary>
        public Task<IvrServiceListReply> GetIvrServiceListAsync(string serviceName = "", CancellationToken cancellationToken = default(CancellationToken)) =>
            HttpAsync<IvrServiceListReply>("get-ivr-service-list", new Dictionary<string, object> { { "service_name", serviceName ?? "" } }, cancellationToken);

        /// <summary>Runs the blocking cc_client_http on the thread pool; cancellation completes the task at once and drops the late answer.</summary>
        private Task<T> HttpAsync<T>(string name, Dictionary<string, object> parameters, CancellationToken ct) where T : Reply
        {
            ThrowIfDisposed();
            var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (ct.IsCancellationRequested) { tcs.SetCanceled(); return tcs.Task; }
            CancellationTokenRegistration reg = ct.Register(() => tcs.TrySetCanceled());
            byte[] nameBytes = Native.Utf8(name), paramBytes = Native.Utf8(Json.Serialize(parameters));
            IntPtr h = _handle.DangerousGetHandle();
            Task.Run(() =>
            {
                try
                {
                    int st = Native.cc_client_http(h, nameBytes, paramBytes, 0, out IntPtr rep);
                    string text = Native.TakeString(rep);
                    GC.KeepAlive(this);
                    tcs.TrySetResult((T)Complete(st, text, name));
                }
                catch (Exception e)
                {
                    tcs.TrySetException(e);
                }
                finally
                {
                    reg.Dispose();
                }
            });
            return tcs.Task;
        }
    }
}
