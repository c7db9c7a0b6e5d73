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
}
