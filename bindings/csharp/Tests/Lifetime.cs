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
}
