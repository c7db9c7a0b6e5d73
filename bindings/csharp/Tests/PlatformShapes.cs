using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    /// <summary>The platform server's shapes through the C# binding: typed events, replies and exceptions, and get_status.
    /// Spec dialect: ccsim cannot send these, so each test injects the frame the platform's server sends (docs/platform.md)
    /// through ccsim's admin API. Platform dialect (addPlatform): the same for real.</summary>
    internal static class PlatformShapes
    {
        public static void Register(Action<string, Func<Task>> add, Action<string, Func<Task>> addPlatform)
        {
            add("GetStatusTypedReply", GetStatusTypedReply);
            add("GetStatusRefusedOrNotSent", GetStatusRefusedOrNotSent);
            add("CheckinWithoutExtId", CheckinWithoutExtId);
            add("ServerCodesThrowTypedExceptions", ServerCodesThrowTypedExceptions);
            add("ServerRefusalEvent", ServerRefusalEvent);
            add("ChangeStatusPushIsAgentChange", ChangeStatusPushIsAgentChange);
            add("KickOffAndConnectedEvents", KickOffAndConnectedEvents);
            add("CallinAndCallbackPlatformFields", CallinAndCallbackPlatformFields);
            add("SupervisorAndChangeMediaReplies", SupervisorAndChangeMediaReplies);
            add("CallLeavesRequiredFieldsToTheSdk", CallLeavesRequiredFieldsToTheSdk);
            add("AbsentFieldsReadNull", AbsentFieldsReadNull);
            addPlatform("PlatformStatusPushesCallinGetStatus", PlatformStatusPushesCallinGetStatus);
            addPlatform("PlatformCheckinRefusals", PlatformCheckinRefusals);
            addPlatform("PlatformConnectedAndBareRefusals", PlatformConnectedAndBareRefusals);
            addPlatform("PlatformCallsWithSdkDefaults", PlatformCallsWithSdkDefaults);
            addPlatform("PlatformRestoreReadsStatusBack", PlatformRestoreReadsStatusBack);
            addPlatform("PlatformDropDuringCallKeepsCall", PlatformDropDuringCallKeepsCall);
        }

        /// <summary>A JSON object from key, value pairs.</summary>
        private static string J(params object[] kv)
        {
            var d = new Dictionary<string, object>();
            for (int i = 0; i < kv.Length; i += 2) d[(string)kv[i]] = kv[i + 1];
            return Json.Serialize(d);
        }

        private static async Task GetStatusTypedReply()
        {
            using (var a = Agent.A().In())
            {
                var r = await a.ReplyWith("get_status", () => a.C.GetStatusAsync(),
                    J("msg_type", "get_status", "code", "0", "msg", "获取成功!", "company_code", "090008", "status", "CALLING", "sub_status", "HOLD",
                      "uuid", "call-1", "in_call_numbers", new List<object> { "13900000000" }));
                T.Equal(AgentStatus.Calling, r.Status, "status");
                T.Equal(SubStatus.Hold, r.SubStatus, "sub_status");
                T.Equal("call-1", r.Uuid, "uuid");
                T.Check(r.InCallNumbers.SequenceEqual(new[] { "13900000000" }), "in_call_numbers");
                T.Equal("090008", r.CompanyCode, "company_code");
                // A status this SDK does not know keeps its text; an idle agent has no call.
                r = await a.ReplyWith("get_status", () => a.C.GetStatusAsync(), J("msg_type", "get_status", "code", "0", "status", "MEETING"));
                T.Check(r.Status == AgentStatus.Unknown && r.StatusName == "MEETING" && r.SubStatus == null && r.Uuid == null
                    && r.InCallNumbers.Count == 0, "unknown status kept: " + r.RawJson);
            }
        }

        private static Task GetStatusRefusedOrNotSent()
        {
            using (var a = Agent.A())
            {
                var n = T.Throws<NotCheckedInException>(() => a.C.GetStatusAsync(), "get_status before any token");
                T.Check(n != null && n.Status == Status.NotCheckedIn && n.Code == "-10" && !string.IsNullOrEmpty(n.Msg), "not checked in: " + n?.RawJson);
                T.Throws<NotCheckedInException>(() => a.C.ChangeStatusAsync(StatusAction.MakeBusy), "change_status before check-in");
                T.Equal(null, Sim.LastRequest(a.Id), "nothing reached ccsim");
                a.In();
                // The spec's server has no get_status: a plain refusal.
                var e = T.Throws<ServerException>(() => a.C.GetStatusAsync(), "spec server refuses get_status");
                T.Check(e != null && e.GetType() == typeof(ServerException) && e.Code == "1" && e.MsgType == "get_status", "plain refusal " + e?.RawJson);
            }
            return Task.CompletedTask;
        }

        private static Task CheckinWithoutExtId()
        {
            using (var a = new Agent("090008", "090008_6000", "919191Aa.", null, o => o.ExtId = null))
            {
                var e = T.Throws<CloudCCArgumentException>(() => a.C.CheckinAsync(a.Password), "check-in without ext_id");
                T.Check(e != null && e.Msg.IndexOf("ext", StringComparison.OrdinalIgnoreCase) >= 0, "says the extension is needed: " + e?.Msg);
                T.Check(!(bool)Sim.AgentInfo(a.Id)["checked_in"], "not checked in");
            }
            return Task.CompletedTask;
        }

        private static async Task ServerCodesThrowTypedExceptions()
        {
            var cases = new[]
            {
                Tuple.Create("4004", typeof(BadPasswordException)),
                Tuple.Create("4010", typeof(CheckedInElsewhereException)),
                Tuple.Create("4012", typeof(WrongExtensionException)),
                Tuple.Create("4005", typeof(WrongExtensionException)),
                Tuple.Create("4003", typeof(NotAuthorizedException)),
                Tuple.Create("4009", typeof(NotAuthorizedException)),
                Tuple.Create("403", typeof(NotAuthorizedException)),
                Tuple.Create("4014", typeof(UnsupportedMsgTypeException)),
                Tuple.Create("4002", typeof(ServerException)),
                Tuple.Create("9999", typeof(ServerException)),
            };
            using (var a = Agent.A().In())
            {
                foreach (var c in cases)
                {
                    ServerException got = null;
                    try
                    {
                        await a.ReplyWith("checkin", () => a.C.CheckinAsync(a.Password), J("msg_type", "checkin", "code", c.Item1, "msg", "签入失败"));
                    }
                    catch (ServerException e)
                    {
                        got = e;
                    }
                    T.Check(got != null && got.GetType() == c.Item2, c.Item1 + ": " + got?.GetType().Name + ", want " + c.Item2.Name);
                    T.Check(got != null && got.Code == c.Item1 && got.Msg == "签入失败" && got.Status == Status.Ok && got.MsgType == "checkin"
                        && got.Message.Contains(c.Item1), c.Item1 + " fields: " + got?.Message);
                }
            }
        }

        private static async Task ServerRefusalEvent()
        {
            using (var a = Agent.A().In())
            {
                var typed = new ConcurrentQueue<ServerRefusalEventArgs>();
                a.C.ServerRefusal += (s, e) => typed.Enqueue(e);
                Sim.Inject(a.Id, J("code", "4002", "msg", "[uuid]不能为空!"));
                var ev = a.R.Wait<ServerRefusalEventArgs>(x => true, ref a.From);
                T.Check(ev != null && ev.MsgType == "server_refusal" && ev.Code == "4002" && ev.Msg == "[uuid]不能为空!", "refusal event " + ev?.RawJson);
                T.Check(ev != null && ev.Raw.Count == 2 && (string)ev.Raw["code"] == "4002", "raw is the frame: " + ev?.RawJson);
                var ex = ev?.ToException();
                T.Check(ex != null && ex.GetType() == typeof(ServerException) && ex.Code == "4002" && ex.Message.Contains("不能为空"), "as exception: " + ex?.Message);
                Sim.Inject(a.Id, J("code", "4014", "msg", "msg_type非法"));
                ev = a.R.Wait<ServerRefusalEventArgs>(x => x.Code == "4014", ref a.From);
                T.Check(ev?.ToException() is UnsupportedMsgTypeException, "4014 as exception");
                T.Check(System.Threading.SpinWait.SpinUntil(() => typed.Count == 2, 5000), "typed ServerRefusal raised twice");
                await a.C.PingAsync(); // the session carries on
            }
        }

        private static string StatusPush(string agent, string status, string last, string uuid) =>
            J("req_id", "4c1d6a4e-push", "msg_type", "change_status", "code", "0", "msg", "success", "company_code", "090008", "agent_id", agent,
              "ext_id", "090008_5000", "agent_status", status, "sub_agent_status", "", "last_agent_status", last, "reason", "CONSULT", "os", "windows", "uuid", uuid);

        private static async Task ChangeStatusPushIsAgentChange()
        {
            using (var a = Agent.A().In())
            {
                var typed = new ConcurrentQueue<AgentChangeEventArgs>();
                a.C.AgentChange += (s, e) => typed.Enqueue(e);
                Sim.Inject(a.Id, StatusPush(a.Id, "RINGING", "FREE", "call-9"));
                var ev = a.Status(AgentStatus.Ringing);
                T.Check(ev != null && ev.MsgType == "agent_change" && ev.LastStatus == AgentStatus.Free && ev.Uuid == "call-9" && ev.Os == "windows"
                    && ev.Reason == "CONSULT", "push as agent_change: " + ev?.RawJson);
                T.Check(ev != null && (string)ev.Raw["msg_type"] == "change_status", "raw keeps the frame");
                T.Check(System.Threading.SpinWait.SpinUntil(() => typed.Any(x => x.Uuid == "call-9"), 5000), "typed AgentChange raised");
                await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                ev = a.Status(AgentStatus.Busy);
                T.Check(ev != null && ev.Uuid == null && ev.Os == null, "spec agent_change: no uuid/os " + ev?.RawJson);
            }
        }

        /// <summary>The public properties of <paramref name="o"/> that read a value though the frame left them out: every string or
        /// nullable property not named in <paramref name="present"/> must be null ("" or 0 would read as a value).</summary>
        private static List<string> NotNull(object o, params string[] present)
        {
            var bad = new List<string>();
            foreach (var p in o.GetType().GetProperties())
            {
                bool optional = p.PropertyType == typeof(string) || Nullable.GetUnderlyingType(p.PropertyType) != null;
                if (!optional || present.Contains(p.Name)) continue;
                object v = p.GetValue(o);
                if (v != null) bad.Add(p.Name + "=" + v);
            }
            return bad;
        }

        /// <summary>Absent, not empty: the platform's server leaves out what it has no value for (the check-in push has no
        /// reason, sub_agent_status or last_agent_status; EXT_UN_REG has no phase); the typed events read those as null.</summary>
        private static Task AbsentFieldsReadNull()
        {
            using (var a = Agent.A().In())
            {
                Sim.Inject(a.Id, J("req_id", "4c1d6a4e-bare", "msg_type", "change_status", "code", "0", "msg", "success", "company_code", "090008",
                    "agent_id", a.Id, "ext_id", "090008_5000", "agent_status", "REST", "os", "Windows"));
                var ev = a.Status(AgentStatus.Rest);
                var bad = ev == null ? new List<string> { "no event" } : NotNull(ev, "MsgType", "RawJson", "StatusName", "ReqId", "CompanyCode", "AgentId", "ExtId", "Os");
                T.Check(bad.Count == 0, "agent_change: absent fields read " + string.Join(", ", bad));
                Sim.Inject(a.Id, J("req_id", "4c1d6a4e-unreg", "msg_type", "callback", "company_code", "090008", "agent_id", a.Id,
                    "ext_id", "090008_5000", "action", "EXT_UN_REG", "success", true, "msg", "分机已注销", "os", "Windows"));
                var cb = a.R.Wait<CallbackEventArgs>(x => x.Action == CallbackAction.ExtUnReg, ref a.From);
                bad = cb == null ? new List<string> { "no event" } : NotNull(cb, "MsgType", "RawJson", "ActionName", "ReqId", "CompanyCode", "AgentId", "ExtId", "Msg", "Os");
                T.Check(bad.Count == 0, "callback EXT_UN_REG: absent fields read " + string.Join(", ", bad));
            }
            return Task.CompletedTask;
        }

        private static Task KickOffAndConnectedEvents()
        {
            using (var a = Agent.A().In())
            {
                var kicks = new ConcurrentQueue<KickOffEventArgs>();
                var hellos = new ConcurrentQueue<ConnectedEventArgs>();
                a.C.KickOff += (s, e) => kicks.Enqueue(e);
                a.C.Connected += (s, e) => hellos.Enqueue(e);
                Sim.Inject(a.Id, J("req_id", "65f0c0ffee", "msg_type", "kick_off", "code", "0", "reply", true, "os", "windows", "agentIp", "127.0.0.2",
                    "msg", "当前坐席已在其他设备签入，设备IP：127.0.0.2"));
                var k = a.R.Wait<KickOffEventArgs>(x => true, ref a.From);
                T.Check(k != null && k.Code == "0" && k.Os == "windows" && k.AgentIp == "127.0.0.2" && k.ReqId == "65f0c0ffee"
                    && k.Msg.EndsWith("127.0.0.2"), "kick_off " + k?.RawJson);
                Sim.Inject(a.Id, J("code", "0", "msg", "连接成功", "msg_type", "connect"));
                var c = a.R.Wait<ConnectedEventArgs>(x => true, ref a.From);
                T.Check(c != null && c.MsgType == "connect" && c.Code == "0" && c.Msg == "连接成功", "connect " + c?.RawJson);
                T.Check(System.Threading.SpinWait.SpinUntil(() => kicks.Count == 1 && hellos.Count == 1, 5000), "typed KickOff and Connected raised");
            }
            return Task.CompletedTask;
        }

        private static Task CallinAndCallbackPlatformFields()
        {
            using (var a = Agent.A().In())
            {
                Sim.Inject(a.Id, J("req_id", "call-7", "msg_type", "callin", "company_code", "090008", "agent_id", a.Id, "ext_id", "090008_5000",
                    "uuid", "call-7", "client_uuid", "cust-7", "caller_number", "13900000000", "callee_number", "task-3",
                    "callin_channel", "PREDICT_OUT_CALL", "audio", 3, "video", 0, "os", "windows", "task_id", "task-3"));
                var ci = a.Callin(CallinChannel.PredictOutCall);
                T.Check(ci != null && ci.Uuid == "call-7" && ci.ClientUuid == "cust-7" && ci.Os == "windows" && ci.TaskId == "task-3"
                    && ci.Audio == MediaDirection.SendReceive && ci.Video == MediaDirection.None && ci.IsVideo == null, "callin " + ci?.RawJson);
                var channels = new[] { CallinChannel.CallIn, CallinChannel.Call, CallinChannel.PreviewOutCall, CallinChannel.Eavesdrop,
                    CallinChannel.Whisper, CallinChannel.ConsultToTrans, CallinChannel.Substitute };
                foreach (var ch in channels)
                {
                    Sim.Inject(a.Id, J("msg_type", "callin", "uuid", "c-" + ch, "caller_number", "1", "callin_channel", Wire.Name(ch)));
                    var e = a.Callin(ch);
                    T.Check(e != null && e.Uuid == "c-" + ch && e.ChannelName == Wire.Name(ch), "channel " + ch);
                }
                Sim.Inject(a.Id, J("req_id", "fresh", "msg_type", "callback", "action", "THREE_WAY", "phase", "START_CALL", "success", true,
                    "msg", "三方通话成功", "os", "windows", "in_call_numbers", new List<object> { "13900000000", "090008_6004" }));
                var cb = a.Cb(CallbackAction.ThreeWay, CallPhase.StartCall);
                T.Check(cb != null && cb.InCallNumbers.SequenceEqual(new[] { "13900000000", "090008_6004" }) && cb.Os == "windows" && cb.Uuid == null,
                    "callback " + cb?.RawJson);
            }
            return Task.CompletedTask;
        }

        private static async Task SupervisorAndChangeMediaReplies()
        {
            using (var a = Agent.Sup().In())
            {
                var calls = new Dictionary<string, Func<Task<SupervisorReply>>>
                {
                    { "eavesdrop", () => a.C.EavesdropAsync("090008_6000") },
                    { "whisper", () => a.C.WhisperAsync("090008_6000") },
                    { "substitute", () => a.C.SubstituteAsync("090008_6000") },
                    { "force_call", () => a.C.ForceCallAsync("090008_6000") },
                };
                foreach (var kv in calls)
                {
                    SupervisorReply r = await a.ReplyWith(kv.Key, kv.Value,
                        J("msg_type", kv.Key, "code", "0", "msg", "ok", "uuid", "leg-" + kv.Key, "in_call_numbers", new List<object> { "1", "2" }));
                    T.Check(r.Uuid == "leg-" + kv.Key && r.InCallNumbers.SequenceEqual(new[] { "1", "2" }), kv.Key + " reply " + r.RawJson);
                }
                ChangeMediaReply m = await a.ReplyWith("change_media",
                    () => a.C.ChangeMediaAsync("call-1", new CallOptions { Audio = MediaDirection.SendReceive, Video = MediaDirection.ReceiveOnly }),
                    J("msg_type", "change_media", "code", "0", "uuid", "call-1", "audio", 3, "video", 2, "pixels", "720"));
                T.Check(m.Uuid == "call-1" && m.Audio == MediaDirection.SendReceive && m.Video == MediaDirection.ReceiveOnly && m.Pixels == "720",
                    "change_media reply " + m.RawJson);
            }
        }

        private static Task CallLeavesRequiredFieldsToTheSdk()
        {
            using (var a = new Agent("090008", "090008_6000", "919191Aa.", "090008_5000", o => o.LogLevel = CloudCC.LogLevel.Trace))
            {
                var frames = new BlockingCollection<Dictionary<string, object>>();
                a.C.Log += (s, e) =>
                {
                    object f;
                    if (e.Message == "frame out" && e.Attrs.TryGetValue("frame", out f) && ((string)f).Contains("\"call\""))
                        frames.Add(Json.ParseObject((string)f));
                };
                a.In();
                Sim.Fault(a.Id, "withhold", "call"); // only the frame matters here: the waits are cancelled
                using (var cts = new System.Threading.CancellationTokenSource(300))
                    T.Throws<OperationCanceledException>(() => a.C.CallAsync("13800000000", null, cts.Token), "withheld call");
                Dictionary<string, object> sent;
                T.Check(frames.TryTake(out sent, 5000), "call frame logged");
                // The binding sent nothing of its own: the SDK filled the platform's required fields.
                T.Check(sent != null && (long)sent["out_line"] == 1 && (long)sent["audio"] == 3 && (long)sent["video"] == 0
                    && !sent.ContainsKey("pixels") && !sent.ContainsKey("work_order_id"), "SDK defaults: " + Json.Serialize(sent));
                var opts = new CallOptions { OutLine = OutLine.Internal, Audio = MediaDirection.SendOnly, Video = MediaDirection.SendReceive };
                using (var cts = new System.Threading.CancellationTokenSource(300))
                    T.Throws<OperationCanceledException>(() => a.C.CallAsync("090008_6004", opts, cts.Token), "withheld internal call");
                T.Check(frames.TryTake(out sent, 5000), "internal call frame logged");
                T.Check(sent != null && (string)sent["callee_number"] == "090008_6004" && (long)sent["out_line"] == 0 && (long)sent["audio"] == 1
                    && (long)sent["video"] == 3, "the app's values win: " + Json.Serialize(sent));
            }
            return Task.CompletedTask;
        }

        // --- against the platform dialect -------------------------------------------------------------------------

        private static async Task PlatformStatusPushesCallinGetStatus()
        {
            T.Check(Sim.WsUrl.EndsWith("/msg/"), "platform ws_url form");
            using (var a = Agent.A())
            {
                await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                var free = a.Status(AgentStatus.Free); // the push, before or after the reply
                T.Check(free != null && (string)free.Raw["msg_type"] == "change_status" && !string.IsNullOrEmpty(free.Os), "FREE push " + free?.RawJson);
                // Absent, not empty: the check-in push has no last status, sub-status or reason.
                T.Check(free != null && free.LastStatus == null && free.LastStatusName == null && free.SubStatus == null && free.SubStatusName == null
                    && free.Reason == null, "FREE push: absent fields read null " + free?.RawJson);
                StatusReply st = await a.C.GetStatusAsync();
                T.Check(st.Status == AgentStatus.Free && st.SubStatus == null && st.SubStatusName == null && st.Uuid == null, "get_status FREE " + st.RawJson);
                string uuid = (string)Json.ParseObject(Sim.Post("/admin/inbound", J("company_code", "090008", "agent_id", a.Id, "caller_number", "13900000001",
                    "callee_number", "4008001000")))["uuid"];
                var ci = a.Callin(CallinChannel.CallIn);
                T.Check(ci != null && ci.Uuid == uuid && !string.IsNullOrEmpty(ci.ClientUuid) && ci.ClientUuid != uuid && !string.IsNullOrEmpty(ci.Os),
                    "callin " + ci?.RawJson);
                var ringing = a.Status(AgentStatus.Ringing);
                T.Check(ringing != null && ringing.Uuid == uuid, "RINGING with the call's uuid");
                await a.C.AnswerAsync(uuid); // audio/video: the SDK takes the callin's own
                var calling = a.Status(AgentStatus.Calling);
                T.Check(calling != null && calling.InCallNumbers.SequenceEqual(new[] { "13900000001" }), "CALLING parties " + calling?.RawJson);
                st = await a.C.GetStatusAsync();
                T.Check(st.Status == AgentStatus.Calling && st.Uuid == uuid, "get_status CALLING " + st.RawJson);
                var seen = new ConcurrentQueue<AgentChangeEventArgs>();
                a.C.AgentChange += (s, e) => seen.Enqueue(e);
                await a.C.HoldAsync(uuid);
                // The push came before the reply: it reached the handlers before hold returned.
                if (Sim.PushOrder == "push_first") T.Check(seen.Count == 1 && seen.First().SubStatus == SubStatus.Hold, "HOLD push before the hold reply");
                var held = a.Status(AgentStatus.Calling, SubStatus.Hold); // reply first: the push follows
                T.Check(held != null && System.Threading.SpinWait.SpinUntil(() => seen.Count == 1, 5000) && seen.First().SubStatus == SubStatus.Hold,
                    "HOLD push once");
                await a.C.HangupAsync(uuid);
            }
        }

        private static Task PlatformCheckinRefusals()
        {
            using (var a = Agent.A())
            {
                var e = T.Throws<BadPasswordException>(() => a.C.CheckinAsync("wrong"), "wrong password");
                T.Check(e != null && e.Code == "4004" && !string.IsNullOrEmpty(e.Msg), "4004 " + e?.RawJson);
            }
            using (var a = new Agent("090008", "090008_6000", "919191Aa.", "090008_6004"))
            {
                var e = T.Throws<WrongExtensionException>(() => a.C.CheckinAsync(a.Password), "not the bound extension");
                T.Check(e != null && e.Code == "4012", "4012 " + e?.RawJson);
            }
            return Task.CompletedTask;
        }

        private static async Task PlatformConnectedAndBareRefusals()
        {
            using (var a = Agent.A().In())
            {
                int first = 0; // the greeting came as the link opened, before the check-in's events
                var c = a.R.Wait<ConnectedEventArgs>(x => true, ref first);
                T.Check(c != null && c.Code == "0" && c.Msg == "连接成功", "connect greeting");
                var e = T.Throws<ServerException>(() => a.C.RequestAsync(J("msg_type", "hangup")), "hangup without uuid");
                T.Check(e != null && e.GetType() == typeof(ServerException) && e.Code == "4002" && e.Msg.Contains("uuid"), "bare 4002 " + e?.RawJson);
                await a.C.CheckoutAsync();
                T.Throws<NotCheckedInException>(() => a.C.ChangeStatusAsync(StatusAction.MakeBusy), "no token after check-out");
                await a.C.GetTokenAsync(a.Password); // a token again, still checked out: the server refuses with a bare 4009
                var na = T.Throws<NotAuthorizedException>(() => a.C.ChangeStatusAsync(StatusAction.MakeBusy), "checked out");
                T.Check(na != null && na.Code == "4009", "4009 " + na?.RawJson);
            }
        }

        private static async Task PlatformCallsWithSdkDefaults()
        {
            using (var a = Agent.A().In())
            using (var b = Agent.B().In())
            {
                var r = await a.C.CallAsync("13800000000"); // out_line, audio, video: the SDK's defaults, which the platform requires
                T.Check(!string.IsNullOrEmpty(r.Uuid), "call uuid");
                a.Status(AgentStatus.Ringing);
                a.Status(AgentStatus.Calling);
                await a.C.HangupAsync(r.Uuid);
                a.Status(AgentStatus.Arrange);
                a.Status(AgentStatus.Free);
                r = await a.C.CallAsync("090008_6004", new CallOptions { OutLine = OutLine.Internal }); // another agent by its id
                var ci = b.Callin(CallinChannel.Call);
                T.Check(ci != null && ci.CallerNumber == "090008_5000", "the agent is called: " + ci?.RawJson);
            }
        }

        /// <summary>Issue 8: the link drops during a call; the SDK restores without reset and the call is still up.</summary>
        private static async Task PlatformDropDuringCallKeepsCall()
        {
            using (var a = Agent.A())
            {
                await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                a.Status(AgentStatus.Free);
                string uuid = (string)Json.ParseObject(Sim.Post("/admin/inbound", J("company_code", "090008", "agent_id", a.Id, "caller_number", "13900000002",
                    "callee_number", "4008001000")))["uuid"];
                a.Callin(CallinChannel.CallIn);
                a.Status(AgentStatus.Ringing);
                await a.C.AnswerAsync(uuid);
                a.Status(AgentStatus.Calling);
                var before = Sim.WaitAgent(a.Id, x => (string)x["status"] == "CALLING");
                string callUuid = (string)before["call_uuid"];
                T.Check(!string.IsNullOrEmpty(callUuid), "a call at the server");
                Sim.Fault(a.Id, "drop");
                var sr = a.R.Wait<SessionRestoredEventArgs>(x => true, ref a.From, 10000);
                T.Check(sr != null && sr.Succeeded && sr.Resynced && sr.Status == AgentStatus.Calling && sr.Uuid == uuid &&
                    sr.InCallNumbers.SequenceEqual(new[] { "13900000002" }), "restored in the call " + sr?.RawJson);
                var after = Sim.WaitAgent(a.Id, x => true);
                T.Check((string)after["call_uuid"] == callUuid && (string)after["status"] == "CALLING" && (bool)after["checked_in"],
                    "the call survived the reconnect");
                await a.C.HoldAsync(uuid);
                await a.C.HoldAsync(uuid, false);
                await a.C.HangupAsync(uuid);
            }
        }

        private static async Task PlatformRestoreReadsStatusBack()
        {
            using (var a = Agent.A().In(AgentStatus.Busy))
            {
                Sim.Fault(a.Id, "drop");
                var sr = a.R.Wait<SessionRestoredEventArgs>(x => true, ref a.From, 10000);
                T.Check(sr != null && sr.Succeeded && sr.Resynced && sr.Status == AgentStatus.Busy && sr.SubStatus == null && sr.Uuid == null,
                    "restored and read back " + sr?.RawJson);
                T.Equal(AgentStatus.Busy, (await a.C.GetStatusAsync()).Status, "get_status after restore");
            }
        }
    }
}
