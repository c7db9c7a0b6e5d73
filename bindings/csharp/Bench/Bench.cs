using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Bench
{
    /// <summary>Measures the C# binding against ccsim: ping round trips (blocking and Task), request-to-event latency, and the managed cost of dispatching one event.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length < 1) { Console.Error.WriteLine("usage: CloudCC.Bench.exe HOST:PORT [N]"); return 2; }
            string addr = args[0];
            int n = args.Length > 1 ? int.Parse(args[1]) : 20000;
            if (args.Length > 2 && args[2] == "json") return HardExit.Now(JsonMode(addr, n, args.Length > 3 ? int.Parse(args[3]) : 1));
            var opts = new ClientOptions
            {
                WsUrl = "ws://" + addr + "/ws", CompanyCode = "090008", AgentId = "090008_6000", ExtId = "090008_5000",
                HeartbeatInterval = Timeout.InfiniteTimeSpan, LogLevel = LogLevel.Off,
            };
            using (var c = new CloudCCClient(opts))
            {
                long lastEventTicks = 0;
                var gotEvent = new AutoResetEvent(false);
                c.AgentChange += (s, e) => { Volatile.Write(ref lastEventTicks, Stopwatch.GetTimestamp()); gotEvent.Set(); };
                c.CheckinAsync("919191Aa.", AgentStatus.Free).GetAwaiter().GetResult();
                gotEvent.WaitOne(2000);
                Console.WriteLine("libcloudcc " + CloudCCClient.Version + ", Mono " + Type.GetType("Mono.Runtime")?.GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)?.Invoke(null, null) + ", N=" + n);

                const string ping = "{\"msg_type\":\"ping\"}";
                for (int i = 0; i < 1000; i++) c.Request(ping); // warm up
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < n; i++) c.Request(ping);
                Report("ping, blocking Request (cc_client_request)", sw.Elapsed, n);

                for (int i = 0; i < 1000; i++) c.PingAsync().GetAwaiter().GetResult();
                sw.Restart();
                for (int i = 0; i < n; i++) c.PingAsync().GetAwaiter().GetResult();
                Report("ping, PingAsync awaited one at a time (cc_client_request_async)", sw.Elapsed, n);

                sw.Restart();
                const int window = 64;
                var inflight = new Task<Reply>[window];
                for (int i = 0; i < n; i++)
                {
                    int k = i % window;
                    if (inflight[k] != null) inflight[k].GetAwaiter().GetResult();
                    inflight[k] = c.PingAsync();
                }
                Task.WaitAll(inflight.Where(t => t != null).ToArray());
                Report("ping, PingAsync with 64 in flight (throughput)", sw.Elapsed, n);

                // Request → event: change_status, timed from the call to the agent_change handler.
                int m = Math.Max(200, n / 20);
                var lat = new double[m];
                var replyLat = new double[m];
                for (int i = 0; i < m; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    c.ChangeStatusAsync(i % 2 == 0 ? StatusAction.MakeBusy : StatusAction.MakeFree).GetAwaiter().GetResult();
                    long t1 = Stopwatch.GetTimestamp();
                    gotEvent.WaitOne(2000);
                    replyLat[i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
                    lat[i] = (Volatile.Read(ref lastEventTicks) - t0) * 1e6 / Stopwatch.Frequency;
                }
                Percentiles("change_status: call → reply (Task done)", replyLat);
                Percentiles("change_status: call → agent_change handler", lat);
                c.CheckoutAsync().GetAwaiter().GetResult();
            }

            // The managed share of event delivery: parse the event JSON and build its typed arguments.
            const string ev = "{\"req_id\":\"fb75b9a61291bea6af76b984660151e2\",\"msg_type\":\"agent_change\",\"company_code\":\"090008\",\"agent_id\":\"090008_6000\",\"ext_id\":\"090008_6000\",\"agent_status\":\"BUSY\",\"last_agent_status\":\"OFFLINE\",\"reason\":\"签入\",\"raw\":{\" agent_status\":\"BUSY\",\" last_agent_status\":\"OFFLINE\",\"agent_id\":\"090008_6000\",\"company_code\":\"090008\",\"ext_id\":\"090008_6000\",\"msg_type\":\"agent_change\",\"reason\":\"签入\",\"req_id\":\"fb75b9a61291bea6af76b984660151e2\"}}";
            for (int i = 0; i < 10000; i++) CloudCCEventArgs.Create(ev);
            var sw2 = Stopwatch.StartNew();
            int k2 = 200000;
            for (int i = 0; i < k2; i++) CloudCCEventArgs.Create(ev);
            Report("event JSON → AgentChangeEventArgs (managed parse only)", sw2.Elapsed, k2);
            return HardExit.Now(0);
        }

        /// <summary>The cross-language measurement of build.sh bench-abi: ping round trips through the C ABI by raw P/Invoke on
        /// the client's own native handle ("cs-pinvoke": the request's bytes made once, the reply copied out and freed, back to
        /// back; "cs-pinvoke-json": the reply then parsed, the least a caller must do to read its code) and through the binding's
        /// Request ("cs-binding"), alternated in blocks of 100; then n/10 change_status requests each timed until its agent_change
        /// reaches the handler. One JSON line per client.</summary>
        private static int JsonMode(string addr, int n, int run)
        {
            var opts = new ClientOptions
            {
                WsUrl = "ws://" + addr + "/ws", CompanyCode = "090008", AgentId = "090008_6000", ExtId = "090008_5000",
                HeartbeatInterval = Timeout.InfiniteTimeSpan, LogLevel = LogLevel.Off,
            };
            using (var c = new CloudCCClient(opts))
            {
                var gate = new object();
                AgentStatus last = AgentStatus.Unknown;
                c.AgentChange += (s, e) => { lock (gate) { last = e.Status; Monitor.PulseAll(gate); } };
                c.Request("{\"msg_type\":\"checkin\",\"agent_pwd\":\"919191Aa.\",\"start_status\":\"FREE\",\"reset\":true}");
                const string ping = "{\"msg_type\":\"ping\"}";
                var raw = new RawPInvoke(c.NativeHandle, ping);
                var clients = new[]
                {
                    new BenchClient("cs-pinvoke", () => raw.Once(false)),
                    new BenchClient("cs-pinvoke-json", () => raw.Once(true)),
                    new BenchClient("cs-binding", () => c.Request(ping)),
                };
                for (int i = 0; i < 500; i++) foreach (var cl in clients) cl.Once();
                var rtt = clients.Select(_ => new List<double>(n)).ToArray();
                for (int done = 0; done < n; done += 100)
                {
                    int m = Math.Min(100, n - done);
                    int first = done / 100 % clients.Length; // rotate the order too
                    for (int k0 = 0; k0 < clients.Length; k0++)
                    {
                        int k = (first + k0) % clients.Length;
                        for (int i = 0; i < m; i++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            clients[k].Once();
                            rtt[k].Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
                        }
                    }
                }
                var ev = new double[Math.Max(2, n / 10)];
                for (int i = 0; i < ev.Length; i++)
                {
                    var want = i % 2 == 0 ? AgentStatus.Busy : AgentStatus.Free;
                    long t0 = Stopwatch.GetTimestamp();
                    c.Request(i % 2 == 0 ? "{\"msg_type\":\"change_status\",\"action\":\"MAKE_BUSY\"}" : "{\"msg_type\":\"change_status\",\"action\":\"MAKE_FREE\"}");
                    lock (gate) { while (last != want) Monitor.Wait(gate, 5000); }
                    ev[i] = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                }
                var ci = System.Globalization.CultureInfo.InvariantCulture;
                Func<IEnumerable<double>, string, string> stats = (xs, name) =>
                {
                    var sorted = xs.OrderBy(x => x).ToArray();
                    return string.Format(ci, "\"{0}_p50_us\":{1:F2},\"{0}_mean_us\":{2:F2},\"{0}_p99_us\":{3:F2}", name,
                        sorted[sorted.Length / 2], sorted.Average(), sorted[sorted.Length * 99 / 100]);
                };
                for (int k = 0; k < clients.Length; k++)
                {
                    string line = "{\"client\":\"" + clients[k].Name + "\",\"run\":" + run.ToString(ci) + ",\"n\":" + n.ToString(ci) + "," + stats(rtt[k], "rtt");
                    if (clients[k].Name == "cs-binding") line += "," + stats(ev, "event");
                    Console.WriteLine(line + "}");
                }
                Console.Out.Flush();
            }
            return 0;
        }

        private sealed class BenchClient
        {
            public BenchClient(string name, Action once) { Name = name; Once = once; }
            public string Name { get; }
            public Action Once { get; }
        }

        /// <summary>cc_client_request declared as anyone would: no binding code between the caller and the library.</summary>
        private sealed class RawPInvoke
        {
            [DllImport("libcloudcc.so", CallingConvention = CallingConvention.Cdecl)]
            private static extern int cc_client_request(IntPtr client, byte[] requestJson, int timeoutMs, out IntPtr replyJson);

            [DllImport("libcloudcc.so", CallingConvention = CallingConvention.Cdecl)]
            private static extern void cc_string_free(IntPtr s);

            private readonly IntPtr _client;
            private readonly byte[] _request;

            public RawPInvoke(IntPtr client, string request)
            {
                _client = client;
                _request = Encoding.UTF8.GetBytes(request + "\0");
            }

            public unsafe void Once(bool parse)
            {
                int st = cc_client_request(_client, _request, 0, out IntPtr rep);
                byte* p = (byte*)rep;
                int len = 0;
                while (p[len] != 0) len++;
                string text = Encoding.UTF8.GetString(p, len);
                cc_string_free(rep);
                if (st != 0) throw new InvalidOperationException(text);
                if (parse && JsonFields.Str(Json.ParseObject(text), "code") != "0") throw new InvalidOperationException(text);
            }
        }

        private static void Report(string what, TimeSpan t, int n) =>
            Console.WriteLine("{0,-66} {1,9:F2} µs/op  ({2:F0} op/s)", what, t.TotalMilliseconds * 1000 / n, n / t.TotalSeconds);

        private static void Percentiles(string what, double[] us)
        {
            var s = us.OrderBy(x => x).ToArray();
            Func<double, double> p = q => s[Math.Min(s.Length - 1, (int)(q * s.Length))];
            Console.WriteLine("{0,-66} p50 {1:F1} µs  p90 {2:F1} µs  p99 {3:F1} µs  (n={4})", what, p(0.5), p(0.9), p(0.99), s.Length);
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
}
