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
}
