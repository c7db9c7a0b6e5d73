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
}
