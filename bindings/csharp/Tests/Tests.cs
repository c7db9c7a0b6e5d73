using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            Sim.Addr = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("CCSIM_ADDR");
            if (string.IsNullOrEmpty(Sim.Addr)) { Console.Error.WriteLine("usage: CloudCC.Tests.exe HOST:PORT (ccsim) [FILTER]; CCSIM_DIALECT=spec|platform"); return 2; }
            Sim.Dialect = Environment.GetEnvironmentVariable("CCSIM_DIALECT") ?? "spec";
            Sim.PushOrder = Environment.GetEnvironmentVariable("CCSIM_PUSH_ORDER") ?? "reply_first";
            string only = args.Length > 1 ? args[1] : null;
            // Each test runs against the dialect it was added for: add (spec), addPlatform (platform).
            var tests = new List<KeyValuePair<string, Func<Task>>>();
            var platformTests = new List<KeyValuePair<string, Func<Task>>>();
            Action<string, Func<Task>> add = (n, f) => tests.Add(new KeyValuePair<string, Func<Task>>(n, f));
            Action<string, Func<Task>> addPlatform = (n, f) => platformTests.Add(new KeyValuePair<string, Func<Task>>(n, f));
            add("Json", JsonTests.Run);
            add("VersionAndStatus", Basic.VersionAndStatus);
            add("ConfigErrors", Basic.ConfigErrors);
            add("NotConnected", Basic.NotConnected);
            add("BadRequests", Basic.BadRequests);
            add("CheckinRefusedThenCheckinCheckout", Flows.CheckinRefusedThenCheckinCheckout);
            add("StatusActionsEventsInOrder", Flows.StatusActionsEventsInOrder);
            add("Http", Flows.Http);
            add("OutboundCallSequence", Flows.OutboundCallSequence);
            add("InboundAnswerHoldDtmfHangup", Flows.InboundAnswerHoldDtmfHangup);
            add("BlindTransferToAgent", Flows.BlindTransferToAgent);
            add("ConsultThenConsultToTrans", Flows.ConsultThenConsultToTrans);
            add("ThreeWay", Flows.ThreeWay);
            add("SupervisorEavesdropWhisperForceInterrupt", Flows.SupervisorEavesdropWhisperForceInterrupt);
            add("SupervisorSubstituteAndForcedStatus", Flows.SupervisorSubstituteAndForcedStatus);
            add("ServiceModeAndPreviewOutCall", Flows.ServiceModeAndPreviewOutCall);
            add("RtcCallMediaBothWays", Rtc.CallMediaBothWays);
            add("RtcUnsupportedInSoftphoneMode", Rtc.UnsupportedInSoftphoneMode);
            add("RtcSyncContextAndDisposeFromPcmSink", Rtc.SyncContextAndDisposeFromPcmSink);
            add("TimeoutAndUnsupported", Faults.TimeoutAndUnsupported);
            add("Cancellation", Faults.Cancellation);
            add("ReconnectAndUnknownEvent", Faults.ReconnectAndUnknownEvent);
            add("LogEvents", Faults.LogEvents);
            add("ReliabilityHttpAndTlsErrors", Reliability.HttpAndTlsErrors);
            add("ReliabilityAsyncMaxIsBusy", Reliability.AsyncMaxIsBusy);
            add("HandlerThrows", Handlers.HandlerThrows);
            add("HandlerCallsIntoClient", Handlers.HandlerCallsIntoClient);
            add("DisposeFromHandler", Handlers.DisposeFromHandler);
            add("DisposeWithPendingRequests", Handlers.DisposeWithPendingRequests);
            add("SynchronizationContext", Handlers.SyncContext);
            add("GcPressureWhileEventsFlow", Lifetime.GcPressure);
            add("FinalizerPath", Lifetime.FinalizerPath);
            add("Threads8x1000", Lifetime.Threads8x1000);
            PlatformShapes.Register(add, addPlatform);
            if (Sim.Dialect == "platform") tests = platformTests;
            else if (Sim.Dialect != "spec") { Console.Error.WriteLine("unknown CCSIM_DIALECT " + Sim.Dialect); return 2; }
            foreach (var t in tests)
            {
                if (only != null && t.Key.IndexOf(only, StringComparison.OrdinalIgnoreCase) < 0) continue;
                Sim.Reset();
                T.Run(t.Key, t.Value);
            }
            Console.WriteLine(T.Passed + " passed, " + T.Failed + " failed");
            return HardExit.Now(T.Failed == 0 ? 0 : 1);
        }
    }

    /// <summary>Mono waits at exit for the threads the Go runtime lent to callbacks, which never end (see README, "Known issues"); leave with _exit once output is flushed.</summary>
    internal static class HardExit
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
        private static extern void _exit(int code);

        public static int Now(int code)
        {
            System.Console.Out.Flush();
            System.Console.Error.Flush();
            if (System.Environment.OSVersion.Platform == System.PlatformID.Unix && System.Type.GetType("Mono.Runtime") != null) _exit(code);
            return code;
        }
    }

    internal static class JsonTests
    {
        public static Task Run()
        {
            var o = Json.ParseObject("{\"a\":1,\"b\":-2.5e1,\"c\":\"x\\\"\\\\\\n\\u00e9\\ud83d\\ude00\",\"d\":[true,false,null],\"e\":{},\"f\":12345678901234567890}");
            T.Equal(1L, (long)o["a"], "int");
            T.Equal(-25.0, (double)o["b"], "double");
            T.Equal("x\"\\\né😀", (string)o["c"], "escapes");
            var d = (List<object>)o["d"];
            T.Check(d.Count == 3 && (bool)d[0] && !(bool)d[1] && d[2] == null, "array");
            T.Check(o["e"] is Dictionary<string, object>, "empty object");
            T.Check(o["f"] is double, "big integer as double");
            string back = Json.Serialize(o);
            T.Equal(back, Json.Serialize(Json.Parse(back)), "round trip is stable");
            T.Equal("{\"s\":\"\\u0001\\n\\\"\",\"n\":[1,2.5,null],\"b\":true}",
                Json.Serialize(new Dictionary<string, object> { { "s", "\u0001\n\"" }, { "n", new object[] { 1, 2.5, null } }, { "b", true } }), "writer");
            T.Equal("中文", (string)Json.ParseObject(Json.Serialize(new Dictionary<string, object> { { "k", "中文" } }))["k"], "unicode");
            foreach (string bad in new[] { "", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "tru", "\"\\x\"", "01", "1.", "{'a':1}", "\"a\nb\"", "-" })
                T.Throws<FormatException>(() => { Json.Parse(bad); return Task.CompletedTask; }, "malformed " + bad);
            T.Check(Json.Parse(" [ ] ") is List<object>, "whitespace");
            return Task.CompletedTask;
        }
    }

    internal static class Basic
    {
        public static Task VersionAndStatus()
        {
            // Both come from CC_VERSION in include/cloudcc.h: the binding's assembly and the library it loaded agree.
            var built = (System.Reflection.AssemblyInformationalVersionAttribute)Attribute.GetCustomAttribute(
                typeof(CloudCCClient).Assembly, typeof(System.Reflection.AssemblyInformationalVersionAttribute));
            T.Check(built != null && System.Text.RegularExpressions.Regex.IsMatch(built.InformationalVersion, @"^\d+\.\d+\.\d+$"), "binding version " + built?.InformationalVersion);
            T.Equal(built?.InformationalVersion, CloudCCClient.Version, "library version = binding version");
            T.Equal("CC_ERR_TIMEOUT", CloudCCClient.StatusName((int)Status.Timeout), "status name");
            T.Equal("CC_ERR_UNKNOWN", CloudCCClient.StatusName(12345), "unknown status");
            return Task.CompletedTask;
        }

        public static Task ConfigErrors()
        {
            T.Throws<CloudCCArgumentException>(() => { new CloudCCClient(new ClientOptions { WsUrl = "http://x" }); return Task.CompletedTask; }, "http ws_url");
            var e = T.Throws<CloudCCArgumentException>(() => { new CloudCCClient(new ClientOptions { WsUrl = "ws://127.0.0.1:1/ws", LogLevel = CloudCC.LogLevel.Unknown }); return Task.CompletedTask; }, "bad log level");
            T.Check(e != null && e.Code == "-1" && e.RawJson.Contains("\"code\":\"-1\""), "argument exception carries code and json");
            T.Throws<ArgumentException>(() => { new CloudCCClient(new ClientOptions()); return Task.CompletedTask; }, "no ws_url");
            string cfg = new ClientOptions { WsUrl = "ws://h/ws", RequestTimeout = TimeSpan.FromMilliseconds(1500), HeartbeatInterval = Timeout.InfiniteTimeSpan,
                Reconnect = false, LogLevel = CloudCC.LogLevel.Debug, TlsInsecure = true }.ToConfigJson();
            T.Equal("{\"ws_url\":\"ws://h/ws\",\"request_timeout_ms\":1500,\"heartbeat_interval_ms\":-1,\"reconnect\":false,\"tls_insecure\":true,\"log_level\":\"debug\"}", cfg, "config json");
            return Task.CompletedTask;
        }

        public static async Task NotConnected()
        {
            using (var c = new CloudCCClient(new ClientOptions { WsUrl = "ws://127.0.0.1:1/ws", Reconnect = false, CompanyCode = "x", AgentId = "y" }))
            {
                var e = T.Throws<NotConnectedException>(() => c.PingAsync(), "ping a closed port");
                T.Check(e != null && e.Status == Status.NotConnected && e.Code == "-4", "status and code");
                T.Throws<NotConnectedException>(() => Task.FromResult(c.Request("{\"msg_type\":\"ping\"}")), "sync request");
            }
            await Task.Yield();
        }

        public static async Task BadRequests()
        {
            using (var a = Agent.A())
            {
                foreach (string bad in new[] { "not json", "{\"msg_type\":\"teleport\"}", "{\"uuid\":\"x\"}", "[1]" })
                    T.Throws<CloudCCArgumentException>(() => a.C.RequestAsync(bad), "async " + bad);
                T.Throws<CloudCCArgumentException>(() => Task.FromResult(a.C.Request("{\"msg_type\":\"teleport\"}")), "sync unknown msg_type");
                T.Throws<ArgumentException>(() => a.C.HangupAsync(""), "empty uuid");
                a.C.Dispose();
                T.Throws<ObjectDisposedException>(() => a.C.PingAsync(), "disposed");
                a.C.Dispose(); // twice is fine
            }
            await Task.Yield();
        }
    }

    internal static class Flows
    {
        public static async Task CheckinRefusedThenCheckinCheckout()
        {
            using (var a = Agent.A())
            {
                var e = T.Throws<ServerException>(() => a.C.CheckinAsync("wrong"), "wrong password");
                T.Check(e != null && e.Code == "1" && e.Msg.Contains("wrong password") && e.MsgType == "checkin" && e.Reply.Raw.Count > 0, "refusal fields: " + e?.RawJson);
                var r = await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                T.Check(r.ExtId == "090008_5000" && r.LoginType == "2" && !string.IsNullOrEmpty(r.Token) && r.Code == "0" && r.ReqId != null, "checkin reply " + r.RawJson);
                var ch = a.Status(AgentStatus.Free);
                T.Check(ch != null && ch.LastStatus == AgentStatus.Offline && ch.AgentId == "090008_6000" && ch.Raw.Count > 0 && ch.RawJson.Contains("\"raw\""), "agent_change fields");
                var st = a.R.Snapshot().OfType<ConnectionStateChangedEventArgs>().Select(x => x.State).ToList();
                T.Check(st.Contains(ConnectionState.Connecting) && st.Contains(ConnectionState.Connected), "connection_state events: " + string.Join(",", st));
                var p = await a.C.PingAsync();
                T.Equal("pong", p.MsgType, "pong");
                var sync = a.C.Request("{\"msg_type\":\"ping\"}");
                T.Equal("pong", sync.MsgType, "sync pong");
                var dict = await a.C.RequestAsync(new Dictionary<string, object> { { "msg_type", "ping" } }, TimeSpan.FromSeconds(2));
                T.Equal("pong", dict.MsgType, "dictionary request");
                await a.C.CheckoutAsync();
                a.Status(AgentStatus.Offline);
                T.Throws<NotCheckedInException>(() => a.C.ChangeStatusAsync(StatusAction.MakeBusy), "not checked in: no token, not sent");
            }
        }

        public static async Task StatusActionsEventsInOrder()
        {
            using (var a = Agent.A().In())
            {
                int from = a.From;
                var r = await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                T.Check(r.Action == StatusAction.MakeBusy && r.AgentStatus == AgentStatus.Busy && r.LastAgentStatus == AgentStatus.Free, "busy reply " + r.RawJson);
                await a.C.ChangeStatusAsync(StatusAction.MakeRest, restMinutes: 5);
                await a.C.ChangeStatusAsync(StatusAction.MakeFree);
                var seq = new[] { AgentStatus.Busy, AgentStatus.Rest, AgentStatus.Free };
                foreach (var s in seq) a.Status(s);
                var got = a.R.Snapshot().Skip(from).OfType<AgentChangeEventArgs>().Select(x => x.Status).ToArray();
                T.Check(got.SequenceEqual(seq), "events in order: " + string.Join(",", got));
                T.Throws<ServerException>(() => a.C.ChangeStatusAsync(StatusAction.MakeFreeAfterCallStop), "after-call action outside a call");
                T.Throws<ServerException>(() => a.C.ToggleServiceModeAsync((ServiceMode)7), "bad service mode refused");
                await a.C.CheckoutAsync();
            }
        }

        public static async Task Http()
        {
            using (var a = Agent.A())
            {
                var e = T.Throws<HttpStatusException>(() => a.C.GetSkillServiceListAsync(), "no token: HTTP 401");
                T.Check(e != null && e.HttpStatus == 401 && e.Status == Status.Http, "http status " + e?.RawJson);
                var tok = await a.C.GetTokenAsync(a.Password);
                T.Check(!string.IsNullOrEmpty(tok.Token), "get-token " + tok.RawJson);
                var skills = await a.C.GetSkillServiceListAsync("默认");
                T.Check(skills.Services.Any(s => s.Id == "1724672524089675778" && s.Name == "默认技能"), "skills " + skills.RawJson);
                var ivrs = await a.C.GetIvrServiceListAsync();
                T.Equal(3, ivrs.Services.Count, "ivr count");
                T.Check(ivrs.Services.Any(s => s.Id == "ivr-1003"), "ivr id");
                T.Throws<CloudCCException>(() => a.C.GetTokenAsync("wrong"), "get-token wrong password");
                using (var cts = new CancellationTokenSource())
                {
                    cts.Cancel();
                    T.Throws<OperationCanceledException>(() => a.C.GetIvrServiceListAsync("", cts.Token), "cancelled http");
                }
            }
        }

        /// <summary>Places a call from a and walks it to CALLING (mirrors ccsim_test's outboundCall).</summary>
        public static async Task<string> Outbound(Agent a, AgentStatus from)
        {
            var rep = await a.C.CallAsync("13107618845", new CallOptions { OutLine = OutLine.External, Audio = MediaDirection.SendReceive, Video = MediaDirection.None, WorkOrderId = "wo-42" });
            T.Check(!string.IsNullOrEmpty(rep.Uuid), "call uuid");
            var init = a.Cb(CallbackAction.Call, CallPhase.Initiate);
            T.Check(init != null && init.ReqId == rep.ReqId && init.Success, "INITIATE carries the call's req_id");
            var ring = a.Status(AgentStatus.Ringing);
            T.Check(ring != null && ring.LastStatus == from, "ringing from " + from);
            a.Status(AgentStatus.Calling);
            var start = a.Cb(CallbackAction.Call, CallPhase.StartCall);
            T.Check(start != null && !string.IsNullOrEmpty(start.PeerUuid) && start.WorkOrderId == "wo-42" && start.Audio == MediaDirection.SendReceive, "START_CALL " + start?.RawJson);
            return rep.Uuid;
        }

        public static async Task HangupToFree(Agent a, string uuid, CallbackAction? action)
        {
            await a.C.HangupAsync(uuid);
            if (action != null) a.Cb(action.Value, CallPhase.EndCall);
            a.Status(AgentStatus.Arrange);
            a.Status(AgentStatus.Free);
        }

        public static async Task OutboundCallSequence()
        {
            using (var a = Agent.A().In())
            {
                string uuid = await Outbound(a, AgentStatus.Free);
                await a.C.DtmfAsync(uuid, "12#", DtmfType.Rfc2833);
                T.Equal("12#", JsonFields.Str(Sim.AgentInfo("090008_6000"), "dtmf"), "dtmf digits reached the sim");
                var h = await a.C.HoldAsync(uuid, true);
                T.Check(h.Hold, "hold reply");
                a.Status(AgentStatus.Calling, SubStatus.Hold);
                h = await a.C.HoldAsync(uuid, false);
                T.Check(!h.Hold, "unhold reply");
                a.Status(AgentStatus.Calling);
                await a.C.ChangeMediaAsync(uuid, new CallOptions { Audio = MediaDirection.SendReceive, Video = MediaDirection.SendReceive, Pixels = "720" });
                var cm = a.Cb(CallbackAction.ChangeMedia, CallPhase.Initiate);
                T.Check(cm != null && cm.ChangeMediaFlag == 0, "CHANGE_MEDIA INITIATE flag 0");
                var cm2 = a.Cb(CallbackAction.ChangeMedia, CallPhase.StartCall);
                T.Check(cm2 != null && cm2.ChangeMediaFlag == 1 && cm2.Video == MediaDirection.SendReceive && cm2.LastVideo == MediaDirection.None, "CHANGE_MEDIA START_CALL " + cm2?.RawJson);
                var pr = await a.C.PlayRecordAsync("/tmp/hello.wav", uuid);
                T.Check(!string.IsNullOrEmpty(pr.Uuid), "play_record uuid");
                a.Status(AgentStatus.Calling, SubStatus.PlayRecord);
                await a.C.PlayRecordControlAsync(pr.Uuid, PlayAction.Volume, 50);
                await a.C.PlayRecordControlAsync(pr.Uuid, PlayAction.Stop);
                a.Status(AgentStatus.Calling);
                await HangupToFree(a, uuid, CallbackAction.Call);
                await a.C.CheckoutAsync();
            }
        }

        /// <summary>Has the sim call agent a and answers it; returns the call's uuid.</summary>
        public static async Task<string> InboundTo(Agent a, string company = "090008")
        {
            string uuid = Sim.Inbound(company, a.Id);
            a.Status(AgentStatus.Ringing);
            var ci = a.Callin(CallinChannel.Normal);
            T.Check(ci != null && ci.Uuid == uuid && ci.CallerNumber == "18888888888" && ci.CalleeNumber == "4008001000", "callin fields " + ci?.RawJson);
            await a.C.AnswerAsync(uuid);
            a.Status(AgentStatus.Calling);
            return uuid;
        }

        public static async Task InboundAnswerHoldDtmfHangup()
        {
            using (var a = Agent.A().In())
            {
                string uuid = await InboundTo(a);
                await a.C.HoldAsync(uuid, true);
                a.Status(AgentStatus.Calling, SubStatus.Hold);
                await a.C.HoldAsync(uuid, false);
                a.Status(AgentStatus.Calling);
                await a.C.DtmfAsync(uuid, "9");
                var e = T.Throws<ServerException>(() => a.C.CheckoutAsync(), "checkout refused during a call");
                T.Check(e != null && e.Code != "0", "refusal code");
                await HangupToFree(a, uuid, null);
                await a.C.CheckoutAsync();
            }
        }

        public static async Task BlindTransferToAgent()
        {
            using (var a = Agent.A().In())
            using (var b = Agent.B().In())
            {
                string uuid = await InboundTo(a);
                await a.C.TransAsync(uuid, TransMode.Blind, TransTarget.Agent, b.Id);
                a.Cb(CallbackAction.Trans, CallPhase.Initiate);
                b.Status(AgentStatus.Ringing);
                var ci = b.Callin(CallinChannel.Trans);
                a.Status(AgentStatus.Arrange);
                a.Status(AgentStatus.Free);
                await b.C.AnswerAsync(ci.Uuid, channel: CallinChannel.Trans);
                b.Status(AgentStatus.Calling);
                a.Cb(CallbackAction.Trans, CallPhase.StartCall);
                await HangupToFree(b, uuid, null);
            }
        }

        public static async Task ConsultThenConsultToTrans()
        {
            using (var a = Agent.A().In())
            using (var b = Agent.B().In())
            {
                string uuid = await Outbound(a, AgentStatus.Free);
                var cr = await a.C.ConsultAsync(uuid, ConsultMode.Start, PartyType.Agent, b.Id);
                T.Check(!string.IsNullOrEmpty(cr.ConsultUuid), "consult_uuid");
                a.Cb(CallbackAction.Consult, CallPhase.Initiate);
                a.Status(AgentStatus.Calling, SubStatus.Consult);
                b.Status(AgentStatus.Ringing);
                var ci = b.Callin(CallinChannel.Consult);
                T.Check(ci != null && ci.Uuid == cr.ConsultUuid, "consulted callin uuid");
                await a.C.ConsultToTransAsync(cr.ConsultUuid);
                a.Cb(CallbackAction.ConsultToTrans, CallPhase.Initiate);
                a.Status(AgentStatus.Arrange);
                a.Status(AgentStatus.Free);
                await b.C.AnswerAsync(cr.ConsultUuid);
                b.Status(AgentStatus.Calling);
                a.Cb(CallbackAction.ConsultToTrans, CallPhase.StartCall);
                await HangupToFree(b, uuid, null);
            }
        }

        public static async Task ThreeWay()
        {
            using (var a = Agent.A().In())
            using (var b = Agent.B().In())
            {
                string uuid = await InboundTo(a);
                var tw = await a.C.ThreeWayAsync(uuid, PartyType.Agent, b.Id);
                T.Check(tw.IsSuccess, "three_way reply " + tw.RawJson);
                a.Cb(CallbackAction.ThreeWay, CallPhase.Initiate);
                b.Status(AgentStatus.Ringing);
                var ci = b.Callin(CallinChannel.ThreeWay);
                await b.C.AnswerAsync(ci.Uuid, channel: CallinChannel.ThreeWay);
                b.Status(AgentStatus.Calling, SubStatus.ThreeWay);
                a.Status(AgentStatus.Calling, SubStatus.ThreeWay);
                a.Cb(CallbackAction.ThreeWay, CallPhase.StartCall);
                Sim.Post("/admin/customer-hangup", "{\"uuid\":\"" + uuid + "\"}");
                a.Status(AgentStatus.Free);
                b.Status(AgentStatus.Free);
            }
        }

        public static async Task SupervisorEavesdropWhisperForceInterrupt()
        {
            using (var a = new Agent("90001", "90001_20000", "11111").In())
            using (var sup = new Agent("90001", "90001_20004", "11111").In())
            using (var b = Agent.B().In())
            {
                string uuid = await InboundTo(a, "90001");
                var e = T.Throws<ServerException>(() => b.C.EavesdropAsync("090008_6000"), "non-supervisor eavesdrop refused");
                T.Check(e != null && e.Msg.Contains("permission denied"), "permission denied: " + e?.Msg);
                Func<string, string, Task<SupervisorReply>>[] reqs = { (x, y) => sup.C.EavesdropAsync(x, y), (x, y) => sup.C.WhisperAsync(x, y) };
                var actions = new[] { CallbackAction.Eavesdrop, CallbackAction.Whisper };
                var subs = new[] { SubStatus.Eavesdrop, SubStatus.Whisper };
                for (int i = 0; i < 2; i++)
                {
                    await reqs[i](a.Id, null);
                    sup.Cb(actions[i], CallPhase.Initiate);
                    sup.Status(AgentStatus.Calling, subs[i]);
                    var start = sup.Cb(actions[i], CallPhase.StartCall);
                    T.Check(start != null && !string.IsNullOrEmpty(start.Uuid), "supervisor leg uuid");
                    await sup.C.HangupAsync(start.Uuid);
                    sup.Cb(actions[i], CallPhase.EndCall);
                    sup.Status(AgentStatus.Free);
                }
                await sup.C.ForceCallAsync(a.Id);
                sup.Cb(CallbackAction.ForceCall, CallPhase.Initiate);
                sup.Status(AgentStatus.Calling, SubStatus.ForceCall);
                a.Status(AgentStatus.Calling, SubStatus.ForceCall);
                sup.Cb(CallbackAction.ForceCall, CallPhase.StartCall);
                await sup.C.HangupAsync(uuid);
                sup.Cb(CallbackAction.ForceCall, CallPhase.EndCall);
                sup.Status(AgentStatus.Free);
                a.Status(AgentStatus.Calling);
                await sup.C.InterruptCallAsync(a.Id);
                sup.Cb(CallbackAction.InterruptCall, CallPhase.Initiate);
                a.Status(AgentStatus.Arrange);
                a.Status(AgentStatus.Free);
                sup.Cb(CallbackAction.InterruptCall, CallPhase.EndCall);
            }
        }

        public static async Task SupervisorSubstituteAndForcedStatus()
        {
            using (var a = Agent.A().In())
            using (var sup = Agent.Sup().In())
            {
                string uuid = Sim.Inbound("090008", a.Id);
                a.Status(AgentStatus.Ringing);
                a.Callin(CallinChannel.Normal);
                await sup.C.SubstituteAsync(a.Id);
                sup.Cb(CallbackAction.Substitute, CallPhase.Initiate);
                a.Status(AgentStatus.Free);
                sup.Status(AgentStatus.Calling);
                sup.Cb(CallbackAction.Substitute, CallPhase.StartCall);
                T.Throws<ServerException>(() => a.C.AnswerAsync(uuid), "answer after substitute refused");
                await HangupToFree(sup, uuid, null);
                var r = await sup.C.ChangeStatusAsync(StatusAction.ForceMakeBusy, operatedAgentId: a.Id, operatedExtId: "090008_5000");
                T.Equal(AgentStatus.Busy, r.AgentStatus, "forced reply");
                var ch = a.Status(AgentStatus.Busy);
                T.Check(ch != null && !string.IsNullOrEmpty(ch.Reason), "forced change has a reason");
                await sup.C.ChangeStatusAsync(StatusAction.ForceCheckout, operatedAgentId: a.Id);
                a.Status(AgentStatus.Offline);
            }
        }

        public static async Task ServiceModeAndPreviewOutCall()
        {
            using (var a = Agent.A().In(AgentStatus.Busy))
            {
                await a.C.ToggleServiceModeAsync(ServiceMode.Outbound);
                T.Equal(2L, JsonFields.Long(Sim.AgentInfo(a.Id), "service_mode"), "service mode in the sim");
                var rep = await a.C.PreviewOutCallAsync("task-1", "num-1", "13800000001", 1);
                a.Cb(CallbackAction.PreviewOutCall, CallPhase.Initiate);
                a.Status(AgentStatus.Ringing);
                a.Status(AgentStatus.Calling);
                var start = a.Cb(CallbackAction.PreviewOutCall, CallPhase.StartCall);
                string uuid = !string.IsNullOrEmpty(rep.Uuid) ? rep.Uuid : start?.Uuid;
                T.Check(!string.IsNullOrEmpty(uuid), "preview call uuid");
                await a.C.HangupAsync(uuid);
                a.Status(AgentStatus.Arrange);
                await a.C.ToggleServiceModeAsync(ServiceMode.Customer);
            }
        }
    }

    internal static class Faults
    {
        public static async Task TimeoutAndUnsupported()
        {
            using (var a = Agent.A().In())
            {
                Sim.Fault(a.Id, "withhold", "hold");
                var sw = Stopwatch.StartNew();
                var e = T.Throws<RequestTimeoutException>(() => a.C.RequestAsync("{\"msg_type\":\"hold\",\"hold\":\"1\",\"uuid\":\"x\"}", TimeSpan.FromMilliseconds(300)), "withheld reply");
                long took = sw.ElapsedMilliseconds;
                T.Check(took >= 280 && took < 2000, "timed out after " + took + " ms");
                T.Check(e != null && e.Code == "-3" && e.Msg.Contains("timed out"), "timeout code/msg " + e?.RawJson);
                Sim.Fault(a.Id, "clear");
                var m = T.Throws<UnsupportedException>(() => a.C.MuteAsync("x", true), "mute without RTC");
                T.Check(m != null && m.Code == "-8", "unsupported code");
                await a.C.PingAsync();
            }
        }

        public static async Task Cancellation()
        {
            using (var a = Agent.A().In())
            {
                int baseline = CloudCCClient.PendingCount;
                Sim.Fault(a.Id, "withhold", "ping");
                using (var cts = new CancellationTokenSource(200))
                {
                    var sw = Stopwatch.StartNew();
                    Task<Reply> t = a.C.PingAsync(cts.Token);
                    T.Throws<OperationCanceledException>(() => t, "cancelled ping");
                    T.Check(t.IsCanceled, "task is cancelled, not faulted");
                    T.Check(sw.ElapsedMilliseconds < 1500, "cancelled promptly: " + sw.ElapsedMilliseconds + " ms");
                }
                using (var cts = new CancellationTokenSource())
                {
                    cts.Cancel();
                    Task<Reply> t = a.C.PingAsync(cts.Token);
                    T.Check(t.IsCanceled, "already-cancelled token gives a cancelled task");
                }
                // Many cancelled while pending; their late replies (none here: withheld) must not leak entries.
                var ctsMany = new CancellationTokenSource();
                var tasks = Enumerable.Range(0, 100).Select(_ => a.C.PingAsync(ctsMany.Token)).ToArray();
                ctsMany.Cancel();
                Task.WaitAll(tasks.Select(x => x.ContinueWith(_ => { })).ToArray(), 2000);
                T.Check(tasks.All(x => x.IsCanceled), "100 cancelled");
                Sim.Fault(a.Id, "clear");
                var r = await a.C.PingAsync();
                T.Equal("pong", r.MsgType, "ping after clearing the fault");
                // Cancel racing a real reply: either outcome, never both, never a crash.
                int ok = 0, cancelled = 0;
                for (int i = 0; i < 200; i++)
                {
                    var c2 = new CancellationTokenSource();
                    var t = a.C.PingAsync(c2.Token);
                    if (i % 2 == 0) c2.Cancel();
                    try { await t; ok++; } catch (OperationCanceledException) { cancelled++; }
                }
                T.Check(ok + cancelled == 200 && ok >= 100, "cancel races: ok " + ok + " cancelled " + cancelled);
                T.Equal(baseline, CloudCCClient.PendingCount, "no pending entries left");
            }
        }

        public static async Task ReconnectAndUnknownEvent()
        {
            using (var a = Agent.A().In())
            {
                Sim.Fault(a.Id, "malformed", null, "{\"msg_type\":\"surprise\",\"x\":1}");
                var u = a.R.Wait<UnknownEventArgs>(x => x.MsgType == "surprise", ref a.From);
                T.Check(u != null && u.RawJson.Contains("surprise"), "unknown event delivered");
                Sim.Fault(a.Id, "drop");
                var rc = a.R.Wait<ConnectionStateChangedEventArgs>(x => x.State == ConnectionState.Reconnecting, ref a.From);
                T.Check(rc != null && rc.Attempt >= 1, "reconnecting with attempt " + rc?.RawJson);
                var cn = a.R.Wait<ConnectionStateChangedEventArgs>(x => x.State == ConnectionState.Connected, ref a.From);
                T.Check(cn != null, "connected again");
                var sr = a.R.Wait<SessionRestoredEventArgs>(x => true, ref a.From);
                T.Check(sr != null && sr.Succeeded && sr.Status == AgentStatus.Free, "session_restored " + sr?.RawJson);
                // The spec's server has no get_status: the status is the last one seen, not read back.
                T.Check(sr != null && !sr.Resynced && sr.Code == null && !sr.RawJson.Contains("token"), "not resynced, no secrets " + sr?.RawJson);
                var p = await a.C.PingAsync();
                T.Equal("pong", p.MsgType, "works after reconnect");
            }
        }

        public static async Task LogEvents()
        {
            using (var a = new Agent("090008", "090008_6000", "919191Aa.", "090008_5000", o => o.LogLevel = CloudCC.LogLevel.Trace))
            {
                var logs = new ConcurrentQueue<LogEventArgs>();
                a.C.Log += (s, e) => logs.Enqueue(e);
                await a.C.CheckinAsync(a.Password);
                await a.C.PingAsync();
                Sim.Fault(a.Id, "drop"); // a reconnect is logged
                var l = a.R.Wait<LogEventArgs>(x => true, ref a.From);
                T.Check(l != null && l.Level != CloudCC.LogLevel.Unknown && !string.IsNullOrEmpty(l.Message), "log event " + l?.RawJson);
                // EventReceived (which the recorder sees) is raised before the typed Log event: wait for the latter.
                T.Check(SpinWait.SpinUntil(() => logs.Count > 0, 5000), "typed Log event raised");
                T.Check(logs.All(x => !x.RawJson.Contains("919191Aa.")), "no password in logs");
                await a.C.CheckoutAsync();
            }
        }
    }

    internal static class Handlers
    {
        public static async Task HandlerThrows()
        {
            using (var a = Agent.A())
            {
                int errors = 0, after = 0;
                a.C.AgentChange += (s, e) => { throw new InvalidOperationException("boom " + e.Status); };
                a.C.AgentChange += (s, e) => Interlocked.Increment(ref after);
                a.C.HandlerError += (s, e) => { Interlocked.Increment(ref errors); throw new Exception("the error handler throws too"); };
                a.In();
                await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                await a.C.ChangeStatusAsync(StatusAction.MakeFree);
                a.Status(AgentStatus.Busy);
                a.Status(AgentStatus.Free);
                var until = DateTime.UtcNow.AddSeconds(5);
                while ((Volatile.Read(ref errors) < 3 || Volatile.Read(ref after) < 3) && DateTime.UtcNow < until) await Task.Delay(5);
                T.Check(Volatile.Read(ref errors) >= 3 && a.C.HandlerErrorCount >= 3, "errors reported: " + errors);
                T.Check(Volatile.Read(ref after) >= 3, "the next handler still ran: " + after);
                T.Check(a.C.LastHandlerError is InvalidOperationException, "last handler error kept");
                await a.C.PingAsync(); // the client still works
                await a.C.CheckoutAsync();
            }
        }

        public static async Task HandlerCallsIntoClient()
        {
            using (var a = Agent.A())
            {
                var results = new ConcurrentQueue<string>();
                // Blocking on a request from the SDK's event thread, and awaiting one (async void handler).
                a.C.AgentChange += (s, e) =>
                {
                    if (e.Status == AgentStatus.Busy) results.Enqueue("sync:" + a.C.PingAsync().Result.MsgType + ":" + a.C.Request("{\"msg_type\":\"ping\"}").MsgType);
                };
                a.C.AgentChange += async (s, e) =>
                {
                    if (e.Status == AgentStatus.Busy) results.Enqueue("async:" + (await a.C.PingAsync()).MsgType);
                };
                // Answer an inbound call from inside the callin handler (as abi_test does).
                a.C.Callin += (s, e) => results.Enqueue("answer:" + a.C.AnswerAsync(e.Uuid).GetAwaiter().GetResult().Code);
                a.In();
                await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                await a.C.ChangeStatusAsync(StatusAction.MakeFree);
                a.Status(AgentStatus.Free);
                string uuid = Sim.Inbound("090008", a.Id);
                a.Status(AgentStatus.Calling);
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (results.Count < 3 && DateTime.UtcNow < deadline) await Task.Delay(10);
                var all = results.ToArray();
                T.Check(all.Contains("sync:pong:pong") && all.Contains("async:pong") && all.Contains("answer:0"), "handler requests: " + string.Join(",", all));
                T.Equal(0L, a.C.HandlerErrorCount, "no handler errors");
                await a.C.HangupAsync(uuid);
            }
        }

        public static async Task DisposeFromHandler()
        {
            var b = Agent.B();
            int disposedInHandler = 0, eventsAfter = 0;
            b.C.AgentChange += (s, e) =>
            {
                if (Volatile.Read(ref disposedInHandler) == 1) { Interlocked.Increment(ref eventsAfter); return; }
                b.C.Dispose(); // must not deadlock
                Volatile.Write(ref disposedInHandler, 1);
            };
            await b.C.CheckinAsync(b.Password);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (Volatile.Read(ref disposedInHandler) == 0 && DateTime.UtcNow < deadline) await Task.Delay(5);
            T.Check(disposedInHandler == 1 && b.C.IsDisposed, "disposed from inside the handler");
            T.Throws<ObjectDisposedException>(() => b.C.PingAsync(), "no requests after dispose");
            await Task.Delay(200);
            T.Equal(0, Volatile.Read(ref eventsAfter), "no events after dispose");
            // The platform still has the agent checked in (dispose is not checkout): clean up with a new client.
            using (var c = Agent.B())
            {
                await c.C.CheckinAsync(c.Password, reset: true);
                await c.C.CheckoutAsync();
            }
        }

        public static async Task DisposeWithPendingRequests()
        {
            var a = new Agent("90001", "90001_20000", "11111", null, o => o.RequestTimeout = TimeSpan.FromSeconds(5));
            await a.C.CheckinAsync(a.Password, AgentStatus.Free);
            Sim.Fault(a.Id, "withhold", "ping");
            var tasks = Enumerable.Range(0, 50).Select(_ => a.C.PingAsync()).ToArray();
            var sync = Task.Run(() => a.C.Request("{\"msg_type\":\"ping\"}"));
            await Task.Delay(50);
            var sw = Stopwatch.StartNew();
            a.C.Dispose();
            bool all = Task.WaitAll(tasks.Cast<Task>().Concat(new[] { (Task)sync }).ToArray().Select(t => t.ContinueWith(_ => { })).ToArray(), 2000);
            T.Check(all && sw.ElapsedMilliseconds < 2000, "all pending completed promptly after dispose: " + sw.ElapsedMilliseconds + " ms");
            int closed = tasks.Count(t => t.IsFaulted && t.Exception.InnerException is ClientClosedException);
            T.Equal(50, closed, "async requests failed with ClientClosedException");
            T.Check(sync.IsFaulted && sync.Exception.InnerException is ClientClosedException, "blocking request interrupted by dispose: " + sync.Exception?.InnerException?.GetType().Name);
            Sim.Fault(a.Id, "clear");
        }

        /// <summary>A context like a UI thread's: one thread runs the posted callbacks in order, and it counts them.</summary>
        internal sealed class RecordingContext : SynchronizationContext
        {
            private readonly BlockingCollection<KeyValuePair<SendOrPostCallback, object>> _q = new BlockingCollection<KeyValuePair<SendOrPostCallback, object>>();
            public int Posts;
            public readonly Thread Thread;

            public RecordingContext()
            {
                Thread = new Thread(() => { foreach (var kv in _q.GetConsumingEnumerable()) kv.Key(kv.Value); }) { IsBackground = true, Name = "ui" };
                Thread.Start();
            }

            public override void Post(SendOrPostCallback d, object state)
            {
                Interlocked.Increment(ref Posts);
                _q.Add(new KeyValuePair<SendOrPostCallback, object>(d, state));
            }

            public void Stop() => _q.CompleteAdding();
        }

        public static async Task SyncContext()
        {
            var ctx = new RecordingContext();
            using (var a = new Agent("090008", "090008_6000", "919191Aa.", "090008_5000", o => o.EventContext = ctx))
            {
                a.In();
                for (int i = 0; i < 10; i++)
                {
                    await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                    await a.C.ChangeStatusAsync(StatusAction.MakeFree);
                }
                for (int i = 0; i < 10; i++) { a.Status(AgentStatus.Busy); a.Status(AgentStatus.Free); }
                var threads = a.R.Threads.ToArray();
                T.Check(threads.Length > 0 && threads.All(t => t == ctx.Thread.ManagedThreadId), "every event raised on the context's thread");
                T.Check(ctx.Posts >= a.R.Count, "posted: " + ctx.Posts + " events: " + a.R.Count);
                var seq = a.R.Snapshot().OfType<AgentChangeEventArgs>().Select(x => x.Status).ToArray();
                bool alternating = seq.Length == 21 && Enumerable.Range(1, 20).All(i => seq[i] == (i % 2 == 1 ? AgentStatus.Busy : AgentStatus.Free));
                T.Check(alternating, "order kept through the context: " + string.Join(",", seq));
                await a.C.CheckoutAsync();
            }
            ctx.Stop();
        }
    }

    internal static class Lifetime
    {
        public static async Task GcPressure()
        {
            using (var a = Agent.A())
            {
                int seen = 0;
                a.C.AgentChange += (s, e) =>
                {
                    Interlocked.Increment(ref seen);
                    GC.Collect();
                    GC.WaitForPendingFinalizers(); // while undisposed clients are being finalized elsewhere
                };
                var stop = false;
                var churn = new Thread(() =>
                {
                    while (!Volatile.Read(ref stop))
                    {
                        MakeAndDrop();
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        Thread.Sleep(1);
                    }
                }) { IsBackground = true };
                churn.Start();
                a.In();
                for (int i = 0; i < 50; i++)
                {
                    await a.C.ChangeStatusAsync(StatusAction.MakeBusy);
                    await a.C.ChangeStatusAsync(StatusAction.MakeFree);
                }
                for (int i = 0; i < 50; i++) { a.Status(AgentStatus.Busy); a.Status(AgentStatus.Free); }
                Volatile.Write(ref stop, true);
                churn.Join();
                T.Check(Volatile.Read(ref seen) >= 101, "every event reached the handler under GC pressure: " + seen);
                await a.C.CheckoutAsync();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WeakReference MakeAndDrop()
        {
            var c = new CloudCCClient(new ClientOptions { WsUrl = Sim.WsUrl, CompanyCode = "090008", AgentId = "090008_6001", ExtId = "090008_6001", LogLevel = CloudCC.LogLevel.Off });
            c.AgentChange += (s, e) => { };
            return new WeakReference(c);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WeakReference CheckedInAndDropped(int[] events)
        {
            var c = new CloudCCClient(new ClientOptions { WsUrl = Sim.WsUrl, CompanyCode = "090008", AgentId = "090008_6001", ExtId = "090008_6001", HeartbeatInterval = Timeout.InfiniteTimeSpan, LogLevel = CloudCC.LogLevel.Off });
            c.EventReceived += (s, e) => Interlocked.Increment(ref events[0]);
            c.CheckinAsync("919191Aa.", reset: true).GetAwaiter().GetResult();
            return new WeakReference(c);
        }

        public static async Task FinalizerPath()
        {
            // Mono's GC scans thread stacks conservatively, so one given dropped client may stay reachable through a
            // stale stack slot; drop several (each made on a thread that then exits) and require that the finalizer
            // path freed some: each freed one unregisters its sink only after cc_client_free returned.
            int sinks0 = CloudCCClient.SinkCount;
            var events = new int[1];
            const int n = 6;
            var refs = new List<WeakReference>();
            for (int i = 0; i < n; i++)
            {
                var th = new Thread(() => refs.Add(CheckedInAndDropped(events)));
                th.Start();
                th.Join();
            }
            T.Equal(sinks0 + n, CloudCCClient.SinkCount, "one sink per live client");
            T.Check(events[0] > 0, "they received events");
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (refs.All(w => w.IsAlive) && DateTime.UtcNow < deadline) { GC.Collect(); GC.WaitForPendingFinalizers(); await Task.Delay(20); }
            int collected = refs.Count(w => !w.IsAlive);
            T.Check(collected > 0, "undisposed clients collected: " + collected + "/" + n);
            while (CloudCCClient.SinkCount > sinks0 + n - collected && DateTime.UtcNow < deadline) await Task.Delay(20);
            T.Check(CloudCCClient.SinkCount <= sinks0 + n - collected, "the finalizer path freed the native clients: sinks " + CloudCCClient.SinkCount + ", want <= " + (sinks0 + n - collected));
            Console.WriteLine("  finalizer path: " + collected + "/" + n + " dropped clients collected and freed");
        }

        private static long RssKb()
        {
            foreach (string line in File.ReadAllLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:")) return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
            return -1;
        }

        private static int Hammer(CloudCCClient c, int threads, int perThread)
        {
            int ok = 0;
            var ts = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < perThread; i++)
                {
                    try
                    {
                        // Mix the async (Task) and blocking paths.
                        Reply r = i % 4 == 0 ? c.Request("{\"msg_type\":\"ping\"}") : c.PingAsync().GetAwaiter().GetResult();
                        if (r.MsgType == "pong") Interlocked.Increment(ref ok);
                    }
                    catch (Exception e) { Console.Error.WriteLine("hammer: " + e.Message); }
                }
            })).ToList();
            ts.ForEach(t => t.Start());
            ts.ForEach(t => t.Join());
            return ok;
        }

        public static async Task Threads8x1000()
        {
            using (var a = Agent.A().In())
            {
                Hammer(a.C, 8, 100); // warm up (JIT, pools)
                int baseline = CloudCCClient.PendingCount;
                long mem0 = GC.GetTotalMemory(true), rss0 = RssKb();
                var sw = Stopwatch.StartNew();
                int ok = Hammer(a.C, 8, 1000);
                double secs = sw.Elapsed.TotalSeconds;
                long mem1 = GC.GetTotalMemory(true), rss1 = RssKb();
                int ok2 = Hammer(a.C, 8, 1000);
                long mem2 = GC.GetTotalMemory(true), rss2 = RssKb();
                Console.WriteLine("  8x1000 pings: {0} ok in {1:F2}s ({2:F0} req/s); managed heap {3} KB -> {4} KB -> {5} KB; RSS {6} KB -> {7} KB -> {8} KB",
                    ok, secs, ok / secs, mem0 / 1024, mem1 / 1024, mem2 / 1024, rss0, rss1, rss2);
                T.Equal(8000, ok, "no lost reply (round 1)");
                T.Equal(8000, ok2, "no lost reply (round 2)");
                T.Check(mem2 - mem0 < 4 * 1024 * 1024, "managed heap roughly flat: +" + (mem2 - mem0) / 1024 + " KB");
                T.Check(rss2 - rss1 < 30 * 1024, "RSS flat between rounds: +" + (rss2 - rss1) + " KB");
                T.Equal(baseline, CloudCCClient.PendingCount, "no pending entries left");
                await a.C.CheckoutAsync();
            }
        }
    }

    /// <summary>RTC mode (login_type 1): the client is the agent's phone; media verified at ccsim's simulated PBX.</summary>
    internal static class Rtc
    {
        private const string RtcAgent = "090008_6010";

        /// <summary>The share of <paramref name="x"/>'s energy at <paramref name="hz"/> (Goertzel; 1 for a pure tone).</summary>
        public static double GoertzelShare(IList<short> x, int start, int n, double hz, int rate)
        {
            double k = 2 * Math.Cos(2 * Math.PI * hz / rate), s1 = 0, s2 = 0, total = 0;
            for (int i = start; i < start + n; i++)
            {
                double v = x[i];
                double s0 = v + k * s1 - s2;
                s2 = s1;
                s1 = s0;
                total += v * v;
            }
            double power = s1 * s1 + s2 * s2 - k * s1 * s2;
            total *= n / 2.0;
            return total > 0 ? power / total : 0;
        }

        /// <summary>Polls <paramref name="cond"/> until it holds or <paramref name="timeoutMs"/> passes; returns whether it held.</summary>
        private static async Task<bool> Until(Func<bool> cond, int timeoutMs = 10000)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                if (cond()) return true;
                if (sw.ElapsedMilliseconds > timeoutMs) return false;
                await Task.Delay(20);
            }
        }

        private static Task Sync(Action f)
        {
            f();
            return Task.CompletedTask;
        }

        /// <summary>Reads a PCM16 WAV: its rate, channels, bits and samples.</summary>
        private static short[] ReadWav(string path, out int rate, out int channels, out int bits)
        {
            byte[] b = File.ReadAllBytes(path);
            rate = channels = bits = 0;
            if (b.Length < 12 || System.Text.Encoding.ASCII.GetString(b, 0, 4) != "RIFF" || System.Text.Encoding.ASCII.GetString(b, 8, 4) != "WAVE") return null;
            int pos = 12;
            while (pos + 8 <= b.Length)
            {
                string id = System.Text.Encoding.ASCII.GetString(b, pos, 4);
                int size = BitConverter.ToInt32(b, pos + 4);
                int body = pos + 8;
                if (id == "fmt ")
                {
                    channels = BitConverter.ToInt16(b, body + 2);
                    rate = BitConverter.ToInt32(b, body + 4);
                    bits = BitConverter.ToInt16(b, body + 14);
                }
                else if (id == "data")
                {
                    int len = Math.Min(size, b.Length - body) / 2;
                    var pcm = new short[len];
                    Buffer.BlockCopy(b, body, pcm, 0, len * 2);
                    return pcm;
                }
                pos = body + size + (size & 1);
            }
            return null;
        }

        /// <summary>Writes a mono PCM16 WAV of a sine tone to a temp file; returns its path.</summary>
        private static string WriteToneWav(double hz, int rate, double seconds)
        {
            string path = Path.Combine(Path.GetTempPath(), "cc-cs-tone-" + Guid.NewGuid().ToString("N") + ".wav");
            int n = (int)(rate * seconds);
            using (var w = new BinaryWriter(File.Create(path)))
            {
                w.Write(System.Text.Encoding.ASCII.GetBytes("RIFF"));
                w.Write(36 + n * 2);
                w.Write(System.Text.Encoding.ASCII.GetBytes("WAVEfmt "));
                w.Write(16);
                w.Write((short)1);
                w.Write((short)1);
                w.Write(rate);
                w.Write(rate * 2);
                w.Write((short)2);
                w.Write((short)16);
                w.Write(System.Text.Encoding.ASCII.GetBytes("data"));
                w.Write(n * 2);
                for (int i = 0; i < n; i++) w.Write((short)(12000 * Math.Sin(2 * Math.PI * hz * i / rate)));
            }
            return path;
        }

        private static bool IsRtc(CloudCCEventArgs e) =>
            e is RtcRegistrationChangedEventArgs || e is RtcCallChangedEventArgs || e is ConnectivityChangedEventArgs || e is RtcDtmfReceivedEventArgs || e is RtcStatsEventArgs;

        public static async Task CallMediaBothWays()
        {
            string rec = Path.Combine(Path.GetTempPath(), "cc-cs-rtc-" + Guid.NewGuid().ToString("N") + ".wav");
            string wav = WriteToneWav(600, 16000, 1.0);
            using (var a = new Agent("090008", RtcAgent, "919191Aa.", null, o => o.RequestTimeout = TimeSpan.FromSeconds(8)))
            {
                // Each typed RTC event, in the order raised (EventReceived sees them first, as the same object).
                var typed = new List<CloudCCEventArgs>();
                EventHandler<CloudCCEventArgs> onTyped = (s, e) => { lock (typed) typed.Add(e); };
                a.C.RtcRegistrationChanged += (s, e) => onTyped(s, e);
                a.C.RtcCallChanged += (s, e) => onTyped(s, e);
                a.C.ConnectivityChanged += (s, e) => onTyped(s, e);
                a.C.RtcDtmfReceived += (s, e) => onTyped(s, e);
                a.C.RtcStats += (s, e) => onTyped(s, e);

                T.Throws<UnsupportedException>(() => Sync(() => a.C.RtcCalls()), "no phone before check-in");
                var ci = await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                T.Equal("1", ci.LoginType, "login_type of the RTC agent");
                int fReg = 0, fCall = 0, fCallin = 0;
                var reg = a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000);
                T.Check(reg != null && reg.Code == 200 && !string.IsNullOrEmpty(reg.Aor), "rtc_registration registered: " + reg?.RawJson + " (events: " + a.Tail() + ")");
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PlayTone(440)), "no call yet");

                string uuid = Sim.Inbound("090008", a.Id);
                var callin = a.R.Wait<CallinEventArgs>(x => x.Uuid == uuid, ref fCallin, 10000);
                T.Check(callin != null, "callin (events: " + a.Tail() + ")");
                await a.C.AnswerAsync(uuid);
                var up = a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && (x.State == "answered" || x.State == "confirmed"), ref fCall, 10000);
                T.Check(up != null && up.Direction == "incoming" && !string.IsNullOrEmpty(up.CallId), "rtc_call answered: " + up?.RawJson);
                T.Check(a.C.RtcCalls().SequenceEqual(new[] { uuid }), "RtcCalls: " + string.Join(",", a.C.RtcCalls()));

                // Tap what the customer sends (the PBX plays 1 kHz) at 16 kHz; send a 440 Hz tone; record.
                int routes0 = CloudCCClient.PcmRouteCount;
                var frames = new List<short[]>();
                int badRate = 0;
                a.C.SetPcmSink(f =>
                {
                    if (f.Rate != 16000) Interlocked.Increment(ref badRate);
                    lock (frames) frames.Add(f.Samples);
                }, 16000, uuid);
                T.Equal(routes0 + 1, CloudCCClient.PcmRouteCount, "one PCM route");
                a.C.PlayTone(440);
                a.C.RecordWav(rec);
                string leg = "/admin/rtc/calls/" + uuid;
                Dictionary<string, object> snap = null;
                bool heard440 = await Until(() =>
                {
                    snap = Sim.Get(leg);
                    var tone = JsonFields.Obj(snap, "tone");
                    return Math.Abs((JsonFields.Double(tone, "peak_hz") ?? 0) - 440) < 10 && (JsonFields.Double(tone, "peak_ratio") ?? 0) > 0.8;
                });
                T.Check(heard440, "the PBX hears 440 Hz: " + (snap == null ? "no snapshot" : Json.Serialize(JsonFields.Obj(snap, "tone"))));
                a.C.PlayWav(wav, uuid, loop: true);
                bool heard600 = await Until(() =>
                {
                    snap = Sim.Get(leg);
                    var tone = JsonFields.Obj(snap, "tone");
                    return Math.Abs((JsonFields.Double(tone, "peak_hz") ?? 0) - 600) < 10 && (JsonFields.Double(tone, "peak_ratio") ?? 0) > 0.8;
                });
                T.Check(heard600, "the PBX hears the looped 600 Hz WAV: " + (snap == null ? "no snapshot" : Json.Serialize(JsonFields.Obj(snap, "tone"))));
                T.Check(await Until(() => { lock (frames) return frames.Count > 60; }), "PCM frames arrive: " + frames.Count);
                short[] heard;
                lock (frames) heard = frames.Skip(20).Take(40).SelectMany(x => x).ToArray();
                double share = heard.Length > 0 ? GoertzelShare(heard, 0, heard.Length, 1000, 16000) : 0;
                T.Check(share > 0.8, "the PBX's 1 kHz reaches the sink at 16 kHz: share " + share.ToString("F2") + " over " + heard.Length + " samples");
                T.Equal(0, Volatile.Read(ref badRate), "every frame at 16 kHz");

                // A sink that throws: reported through HandlerError, delivery goes on; then removed.
                long errs0 = a.C.HandlerErrorCount;
                var sinkErrors = new ConcurrentQueue<HandlerErrorEventArgs>();
                a.C.HandlerError += (s, e) => sinkErrors.Enqueue(e);
                a.C.SetPcmSink(f => { throw new InvalidOperationException("sink boom"); }, 8000, uuid);
                T.Equal(routes0 + 1, CloudCCClient.PcmRouteCount, "the replaced sink's route is dropped");
                T.Check(await Until(() => a.C.HandlerErrorCount >= errs0 + 2), "sink exceptions counted: " + (a.C.HandlerErrorCount - errs0));
                HandlerErrorEventArgs he;
                T.Check(sinkErrors.TryPeek(out he) && he.Exception is InvalidOperationException && he.Exception.Message == "sink boom" && he.Event == null, "HandlerError gets the sink's exception");
                a.C.SetPcmSink(null, 8000, uuid);
                T.Equal(routes0, CloudCCClient.PcmRouteCount, "removing the sink drops its route");

                // Mute and DTMF are done by the phone and answered by the SDK.
                var m = await a.C.MuteAsync(uuid, true);
                T.Check(m.Mute && m.GetString("mute") == "1", "mute reply " + m.RawJson);
                await a.C.MuteAsync(uuid, false);
                await a.C.DtmfAsync(uuid, "7#");
                T.Check(await Until(() => JsonFields.Str(Sim.Get(leg), "digits") == "7#"), "the PBX detected 7#: " + JsonFields.Str(Sim.Get(leg), "digits"));

                a.C.PushPcm(new short[320], 16000, uuid);
                var buf = new short[480];
                a.C.PushPcm(new ArraySegment<short>(buf, 160, 160), 8000);
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PushPcm(new short[160], 0, uuid)), "push at rate 0");
                a.C.StopPlay(uuid);
                var st = a.C.CallStats();
                T.Check(st.PacketsReceived > 0 && st.PacketsSent > 0 && st.Mos >= 1 && st.Mos <= 4.5, "stats " + st.RawJson);
                var st2 = a.C.CallStats(uuid);
                T.Check(st2.Mos >= 1 && st2.RawJson.Contains("\"mos\""), "stats by uuid " + st2.RawJson);

                await a.C.HangupAsync(uuid);
                var ended = a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && x.State == "ended", ref fCall, 10000);
                T.Check(ended != null, "rtc_call ended (events: " + a.Tail() + ")");
                // The call's end finished the recording before "ended" was sent.
                int rate = 0, channels = 0, bits = 0;
                short[] pcm = File.Exists(rec) ? ReadWav(rec, out rate, out channels, out bits) : null;
                T.Check(pcm != null && rate == 8000 && channels == 1 && bits == 16 && pcm.Length > 8000,
                    "recorded WAV: rate " + rate + " channels " + channels + " bits " + bits + " samples " + (pcm?.Length ?? -1));
                double recShare = pcm != null && pcm.Length > 8000 ? GoertzelShare(pcm, pcm.Length - 8000, 8000, 1000, 8000) : 0;
                T.Check(recShare > 0.8, "the recording holds the PBX's 1 kHz: share " + recShare.ToString("F2"));
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PlayTone(440, uuid)), "the call is over");
                T.Equal(0, a.C.RtcCalls().Length, "no calls left");

                await a.C.CheckoutAsync();
                var unreg = a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "unregistered", ref fReg, 10000);
                T.Check(unreg != null, "rtc_registration unregistered after checkout");

                var all = a.R.Snapshot();
                T.Check(all.OfType<ConnectivityChangedEventArgs>().Any(x => x.State == "ok" && x.Registration == "registered" && x.Cti != null),
                    "a connectivity ok event: " + string.Join(" | ", all.OfType<ConnectivityChangedEventArgs>().Select(x => x.RawJson)));
                // The typed events were raised in order, with the objects EventReceived saw.
                var rtc = all.Where(IsRtc).ToList();
                List<CloudCCEventArgs> got;
                lock (typed) got = typed.ToList();
                T.Check(got.Count >= rtc.Count - 1 && got.Count <= rtc.Count && got.Select((e, i) => ReferenceEquals(e, rtc[i])).All(x => x),
                    "typed RTC events match EventReceived: " + got.Count + "/" + rtc.Count);
            }
            try { File.Delete(rec); File.Delete(wav); } catch { }
        }

        public static async Task SyncContextAndDisposeFromPcmSink()
        {
            var ctx = new Handlers.RecordingContext();
            int routes0 = CloudCCClient.PcmRouteCount;
            var a = new Agent("090008", RtcAgent, "919191Aa.", null, o => { o.EventContext = ctx; o.RequestTimeout = TimeSpan.FromSeconds(8); });
            var threads = new ConcurrentQueue<int>();
            a.C.RtcRegistrationChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            a.C.RtcCallChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            a.C.ConnectivityChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            // As in the README: tap the call from its "answered" event (media calls are fine from a handler).
            int early = 0;
            var sinkSet = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            a.C.RtcCallChanged += (s, e) =>
            {
                if (e.State != "answered") return;
                try { a.C.SetPcmSink(f => Interlocked.Increment(ref early), 8000, e.Uuid); sinkSet.TrySetResult(null); }
                catch (Exception ex) { sinkSet.TrySetResult(ex); }
            };
            await a.C.CheckinAsync(a.Password, AgentStatus.Free);
            int fReg = 0, fCall = 0, fCallin = 0;
            T.Check(a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000) != null, "registered");
            string uuid = Sim.Inbound("090008", a.Id);
            T.Check(a.R.Wait<CallinEventArgs>(x => x.Uuid == uuid, ref fCallin, 10000) != null, "callin");
            await a.C.AnswerAsync(uuid);
            T.Check(a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && (x.State == "answered" || x.State == "confirmed"), ref fCall, 10000) != null, "answered");
            var ids = threads.ToArray();
            T.Check(ids.Length >= 2 && ids.All(t => t == ctx.Thread.ManagedThreadId), "RTC events raised on the context's thread: " + ids.Length);
            T.Check(sinkSet.Task.Wait(10000) && sinkSet.Task.Result == null, "SetPcmSink from the answered handler: " + (sinkSet.Task.IsCompleted ? sinkSet.Task.Result?.Message : "not called"));
            T.Check(await Until(() => Volatile.Read(ref early) > 0), "frames reach the sink set from the handler");

            // Disposing from inside the sink (a media thread, where cc_client_free must not run) neither deadlocks nor delivers more frames.
            int calls = 0, after = 0;
            a.C.SetPcmSink(f =>
            {
                if (Interlocked.Increment(ref calls) == 1) a.C.Dispose();
                else Interlocked.Increment(ref after);
            }, 8000);
            T.Check(await Until(() => a.C.IsDisposed), "disposed from the PCM sink");
            T.Check(await Until(() => CloudCCClient.PcmRouteCount == routes0), "the background free dropped the sink's route: " + CloudCCClient.PcmRouteCount + " want " + routes0);
            T.Equal(0, Volatile.Read(ref after), "no frame after dispose");
            T.Throws<ObjectDisposedException>(() => Sync(() => a.C.StopPlay()), "media after dispose");
            ctx.Stop();
        }

        public static async Task UnsupportedInSoftphoneMode()
        {
            using (var a = Agent.A().In())
            {
                int routes0 = CloudCCClient.PcmRouteCount;
                var e = T.Throws<UnsupportedException>(() => Sync(() => a.C.PlayTone(440)), "play_tone outside RTC mode");
                T.Check(e != null && e.Code == "-8" && e.Status == Status.Unsupported, "unsupported code " + e?.RawJson);
                string wav = WriteToneWav(440, 8000, 0.1);
                T.Throws<UnsupportedException>(() => Sync(() => a.C.PlayWav(wav)), "play_wav");
                File.Delete(wav);
                T.Throws<UnsupportedException>(() => Sync(() => a.C.StopPlay()), "stop_play");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.RecordWav("/tmp/x.wav")), "record_wav");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.StopRecord()), "stop_record");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.CallStats()), "stats");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.RtcCalls()), "calls");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.PushPcm(new short[160])), "push_pcm");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.SetPcmSink(f => { })), "set_pcm_sink");
                T.Equal(routes0, CloudCCClient.PcmRouteCount, "a refused sink leaves no route");
                T.Throws<ArgumentNullException>(() => Sync(() => a.C.PushPcm((short[])null)), "null samples");
                T.Throws<ArgumentNullException>(() => Sync(() => a.C.PlayWav(null)), "null path");
                await a.C.CheckoutAsync();
                a.C.Dispose();
                T.Throws<ObjectDisposedException>(() => Sync(() => a.C.PlayTone(440)), "after dispose");
            }
        }
    }
}
