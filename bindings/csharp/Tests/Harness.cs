using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    /// <summary>A tiny offline test runner: checks count, a test that throws or times out fails, "N passed, N failed" is printed last.</summary>
    internal static class T
    {
        public static int Passed, Failed;
        public static string Current;

        public static void Check(bool cond, string what)
        {
            if (cond) Interlocked.Increment(ref Passed);
            else
            {
                Interlocked.Increment(ref Failed);
                Console.Error.WriteLine("FAIL [" + Current + "] " + what);
            }
        }

        public static void Equal<TV>(TV want, TV got, string what) =>
            Check(EqualityComparer<TV>.Default.Equals(want, got), what + ": want " + want + ", got " + got);

        public static TE Throws<TE>(Func<Task> f, string what) where TE : Exception
        {
            try
            {
                f().GetAwaiter().GetResult();
            }
            catch (TE e)
            {
                Check(true, what);
                return e;
            }
            catch (Exception e)
            {
                Check(false, what + ": threw " + e.GetType().Name + " " + e.Message + ", want " + typeof(TE).Name);
                return null;
            }
            Check(false, what + ": did not throw, want " + typeof(TE).Name);
            return null;
        }

        public static void Run(string name, Func<Task> test, int timeoutSeconds = 60)
        {
            Current = name;
            int failedBefore = Failed;
            var sw = Stopwatch.StartNew();
            Task t = Task.Run(test);
            try
            {
                if (!t.Wait(TimeSpan.FromSeconds(timeoutSeconds))) Check(false, "timed out after " + timeoutSeconds + "s (deadlock?)");
            }
            catch (AggregateException e)
            {
                Check(false, "threw " + e.InnerException);
            }
            Console.WriteLine((Failed == failedBefore ? "ok   " : "FAIL ") + name + " (" + sw.ElapsedMilliseconds + " ms)");
        }
    }

    /// <summary>The ccsim under test: its address, dialect, the ws_url agents use, and its admin API.</summary>
    internal static class Sim
    {
        public static string Addr;

        /// <summary>The dialect of the ccsim under test, "spec" or "platform": run_tests.sh starts ccsim with it and passes it as CCSIM_DIALECT (the one place it is set).</summary>
        public static string Dialect = "spec";

        /// <summary>The platform dialect's order of a request's reply and the pushes it causes ("reply_first", ccsim's default, or "push_first"): run_tests.sh passes ccsim's -push-order as CCSIM_PUSH_ORDER.</summary>
        public static string PushOrder = "reply_first";

        /// <summary>The ws_url of the dialect (the one place its form is set): the spec's endpoint, or the platform front end's own form ending in "/" (the SDK appends the agent's identity).</summary>
        public static string WsUrl => "ws://" + Addr + (Dialect == "platform" ? "/msg/" : "/ws");

        /// <summary>Sends <paramref name="frameJson"/> to the agent's link as if the server had sent it.</summary>
        public static void Inject(string agent, string frameJson) => Fault(agent, "malformed", null, frameJson);

        /// <summary>Polls the agent's snapshot until <paramref name="pred"/> holds (bounded); null when it never does.</summary>
        public static Dictionary<string, object> WaitAgent(string id, Func<Dictionary<string, object>, bool> pred, int timeoutMs = 5000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (true)
            {
                var snap = AgentInfo(id);
                if (pred(snap)) return snap;
                if (DateTime.UtcNow > deadline) return null;
                Thread.Sleep(10);
            }
        }

        /// <summary>The agent's last request as ccsim saw it, or null when none reached it.</summary>
        public static string LastRequest(string id) => AgentInfo(id).TryGetValue("last_request", out object v) ? v as string : null;

        public static string Post(string path, string body, int expect = 200)
        {
            var req = (HttpWebRequest)WebRequest.Create("http://" + Addr + path);
            req.Method = "POST";
            req.Proxy = null;
            req.ContentType = "application/json";
            byte[] b = Encoding.UTF8.GetBytes(body);
            req.ContentLength = b.Length;
            using (var s = req.GetRequestStream()) s.Write(b, 0, b.Length);
            try
            {
                using (var resp = (HttpWebResponse)req.GetResponse())
                using (var r = new StreamReader(resp.GetResponseStream()))
                {
                    string text = r.ReadToEnd();
                    T.Check((int)resp.StatusCode == expect, "admin " + path + " status " + (int)resp.StatusCode);
                    return text;
                }
            }
            catch (WebException e) when (e.Response != null)
            {
                var resp = (HttpWebResponse)e.Response;
                T.Check((int)resp.StatusCode == expect, "admin " + path + " status " + (int)resp.StatusCode + " " + body);
                return "";
            }
        }

        public static Dictionary<string, object> AgentInfo(string id)
        {
            var req = (HttpWebRequest)WebRequest.Create("http://" + Addr + "/admin/agents/" + id);
            req.Proxy = null;
            using (var resp = req.GetResponse())
            using (var r = new StreamReader(resp.GetResponseStream()))
                return Json.ParseObject(r.ReadToEnd());
        }

        /// <summary>GET an admin path; the parsed JSON object, or null for a non-2xx answer.</summary>
        public static Dictionary<string, object> Get(string path)
        {
            var req = (HttpWebRequest)WebRequest.Create("http://" + Addr + path);
            req.Proxy = null;
            try
            {
                using (var resp = req.GetResponse())
                using (var r = new StreamReader(resp.GetResponseStream()))
                    return Json.ParseObject(r.ReadToEnd());
            }
            catch (WebException e) when (e.Response != null)
            {
                e.Response.Dispose();
                return null;
            }
        }

        public static void Reset() => Post("/admin/reset", "{}");

        public static string Inbound(string company, string agent, string caller = "18888888888") =>
            (string)Json.ParseObject(Post("/admin/inbound", Json.Serialize(new Dictionary<string, object>
            {
                { "company_code", company }, { "agent_id", agent }, { "caller_number", caller }, { "callee_number", "4008001000" },
            })))["uuid"];

        public static void Fault(string agent, string kind, string msgType = null, string payload = null)
        {
            var d = new Dictionary<string, object> { { "agent_id", agent }, { "kind", kind } };
            if (msgType != null) d["msg_type"] = msgType;
            if (payload != null) d["payload"] = payload;
            Post("/admin/fault", Json.Serialize(d));
        }
    }

    /// <summary>Records a client's events and waits for them.</summary>
    internal sealed class Recorder
    {
        private readonly List<CloudCCEventArgs> _events = new List<CloudCCEventArgs>();
        public readonly List<int> Threads = new List<int>();

        public void Add(CloudCCEventArgs e)
        {
            lock (_events)
            {
                _events.Add(e);
                Threads.Add(Thread.CurrentThread.ManagedThreadId);
                Monitor.PulseAll(_events);
            }
        }

        public int Count { get { lock (_events) return _events.Count; } }

        public List<CloudCCEventArgs> Snapshot() { lock (_events) return _events.ToList(); }

        /// <summary>Waits for an event matching <paramref name="pred"/> at index >= from; returns it (and its index) or null.</summary>
        public TE Wait<TE>(Func<TE, bool> pred, ref int from, int timeoutMs = 5000) where TE : CloudCCEventArgs
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            lock (_events)
            {
                while (true)
                {
                    for (int i = from; i < _events.Count; i++)
                    {
                        var e = _events[i] as TE;
                        if (e != null && pred(e)) { from = i + 1; return e; }
                    }
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero) return null;
                    Monitor.Wait(_events, left);
                }
            }
        }
    }

    /// <summary>A client plus its recorder, with assertion helpers on its event sequence.</summary>
    internal sealed class Agent : IDisposable
    {
        public readonly CloudCCClient C;
        public readonly Recorder R = new Recorder();
        public readonly string Id;
        public readonly string Password;
        public int From; // events before this index are consumed

        public Agent(string company, string id, string pwd, string ext = null, Action<ClientOptions> mod = null)
        {
            Id = id;
            Password = pwd;
            var o = new ClientOptions
            {
                WsUrl = Sim.WsUrl, HttpUrl = "http://" + Sim.Addr, CompanyCode = company, AgentId = id, ExtId = ext ?? id, // ccsim binds these agents to an extension of their own id
                Language = "en-US", RequestTimeout = TimeSpan.FromSeconds(3), HeartbeatInterval = Timeout.InfiniteTimeSpan,
                LogLevel = CloudCC.LogLevel.Off, ReconnectMin = TimeSpan.FromMilliseconds(5), ReconnectMax = TimeSpan.FromMilliseconds(20),
            };
            mod?.Invoke(o);
            C = new CloudCCClient(o);
            C.EventReceived += (s, e) => R.Add(e);
        }

        public static Agent A() => new Agent("090008", "090008_6000", "919191Aa.", "090008_5000");
        public static Agent B() => new Agent("090008", "090008_6004", "919191Aa.");
        public static Agent Sup() => new Agent("090008", "090008_6001", "919191Aa.");

        public Agent In(AgentStatus start = AgentStatus.Free)
        {
            var r = C.CheckinAsync(Password, start).GetAwaiter().GetResult();
            T.Check(r.IsSuccess && !string.IsNullOrEmpty(r.Token), Id + " checkin");
            Status(start);
            return this;
        }

        public AgentChangeEventArgs Status(AgentStatus s, SubStatus? sub = null)
        {
            var e = R.Wait<AgentChangeEventArgs>(x => x.Status == s && x.SubStatus == sub, ref From);
            T.Check(e != null, Id + ": agent_change " + s + "/" + sub + " (events: " + Tail() + ")");
            return e;
        }

        public CallbackEventArgs Cb(CallbackAction a, CallPhase p)
        {
            var e = R.Wait<CallbackEventArgs>(x => x.Action == a && x.Phase == p, ref From);
            T.Check(e != null, Id + ": callback " + a + " " + p + " (events: " + Tail() + ")");
            return e;
        }

        public CallinEventArgs Callin(CallinChannel ch)
        {
            var e = R.Wait<CallinEventArgs>(x => x.Channel == ch, ref From);
            T.Check(e != null, Id + ": callin " + ch + " (events: " + Tail() + ")");
            return e;
        }

        public string Tail()
        {
            var all = R.Snapshot();
            return string.Join(" | ", all.Skip(Math.Max(0, all.Count - 6)).Select(e => e.RawJson.Length > 160 ? e.RawJson.Substring(0, 160) : e.RawJson));
        }

        /// <summary>Runs <paramref name="call"/> while ccsim withholds its replies to <paramref name="msgType"/>, then sends <paramref name="frameJson"/> (no req_id: the SDK gives such a reply to the one request in flight) as its reply: how the binding presents what ccsim cannot send.</summary>
        public async Task<TR> ReplyWith<TR>(string msgType, Func<Task<TR>> call, string frameJson)
        {
            await C.PingAsync(); // ccsim's last_request moves off msgType, and nothing else is in flight
            Sim.Fault(Id, "withhold", msgType);
            try
            {
                Task<TR> t = call();
                T.Check(Sim.WaitAgent(Id, s => s.TryGetValue("last_request", out object v) && (v as string) == msgType) != null, msgType + " reached ccsim");
                Sim.Inject(Id, frameJson);
                T.Check(await Task.WhenAny(t, Task.Delay(10000)) == t, msgType + " completed after its reply was sent");
                return await t;
            }
            finally
            {
                Sim.Fault(Id, "clear");
            }
        }

        public void Dispose() => C.Dispose();
    }
}
