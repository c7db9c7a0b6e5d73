using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    /// <summary>cchostile (build/bin/cchostile): a server that misbehaves on purpose, started once for these tests.</summary>
    internal static class Hostile
    {
        private static readonly object s_lock = new object();
        private static Process s_proc;
        private static string s_addr, s_tls;

        /// <summary>host:port of the plain listener.</summary>
        public static string Addr { get { Start(); return s_addr; } }

        /// <summary>host:port of the TLS listener (a self-signed certificate nobody trusts).</summary>
        public static string TlsAddr { get { Start(); return s_tls; } }

        private static void Start()
        {
            lock (s_lock)
            {
                if (s_proc != null) return;
                // run_tests.sh names it; else the checkout's build, from bindings/csharp/out.
                string exe = Environment.GetEnvironmentVariable("CCHOSTILE_BIN");
                if (string.IsNullOrEmpty(exe))
                    exe = Path.GetFullPath(Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "..", "..", "..", "build", "bin", "cchostile"));
                if (!File.Exists(exe)) throw new FileNotFoundException("cchostile not found (set CCHOSTILE_BIN; ./build.sh lib builds it)", exe);
                var psi = new ProcessStartInfo(exe, "-addr 127.0.0.1:0 -tls-addr 127.0.0.1:0 -exit-on-eof")
                {
                    // stdin is a pipe this process holds: cchostile exits when it closes with us.
                    UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
                };
                s_proc = Process.Start(psi);
                for (int i = 0; i < 2 && (s_addr == null || s_tls == null); i++)
                {
                    string line = s_proc.StandardOutput.ReadLine() ?? "";
                    if (line.Contains("listening on http://")) s_addr = line.Substring(line.IndexOf("http://") + 7);
                    if (line.Contains("tls on https://")) s_tls = line.Substring(line.IndexOf("https://") + 8);
                }
                if (s_addr == null || s_tls == null) throw new InvalidOperationException("cchostile did not start");
            }
        }

        /// <summary>A loopback port nothing listens on.</summary>
        public static int ClosedPort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        public static CloudCCClient Client(string wsUrl, Action<ClientOptions> more = null)
        {
            var o = new ClientOptions
            {
                WsUrl = wsUrl, CompanyCode = "c1", AgentId = "c1_1", ExtId = "c1_1", Language = "en-US",
                HeartbeatInterval = TimeSpan.Zero, LogLevel = CloudCC.LogLevel.Off,
                Token = "cfg-token-0042", // requests may go before a check-in
            };
            more?.Invoke(o);
            return new CloudCCClient(o);
        }
    }

    /// <summary>Statuses and typed errors of HTTP, TLS and async_max, as C gives them.</summary>
    internal static class Reliability
    {
        public static async Task HttpAndTlsErrors()
        {
            await Task.Yield();
            // The platform's auth refusal: HTTP 200 {"code":403,"message":...}; over https with tls_insecure
            // although ws_url is ws:// (the TLS settings apply to the HTTP interface too).
            using (var c = Hostile.Client("ws://127.0.0.1:1/ws", o => { o.HttpUrl = "https://" + Hostile.TlsAddr + "/http/forbidden"; o.TlsInsecure = true; }))
            {
                var e = T.Throws<NotAuthorizedException>(() => c.GetTokenAsync("pw-123456"), "403 refusal");
                T.Check(e != null && e.Code == "403" && e.Msg == "鉴权不通过!" && e is ServerException, "403 code and message: " + e?.RawJson);
            }
            using (var c = Hostile.Client("ws://127.0.0.1:1/ws", o => o.HttpUrl = "https://" + Hostile.TlsAddr + "/http/forbidden"))
            {
                var e = T.Throws<TlsException>(() => c.GetTokenAsync("pw-123456"), "untrusted certificate");
                T.Check(e != null && e.Status == Status.Tls && e is NotConnectedException, "TLS status: " + e?.RawJson);
            }
            using (var c = Hostile.Client("ws://127.0.0.1:1/ws", o => o.HttpUrl = "http://127.0.0.1:" + Hostile.ClosedPort()))
            {
                var e = T.Throws<NotConnectedException>(() => c.GetSkillServiceListAsync(), "HTTP to a closed port");
                T.Check(e != null && e.Status == Status.NotConnected && !(e is TlsException), "not connected: " + e?.RawJson);
            }
        }

        public static async Task AsyncMaxIsBusy()
        {
            await Task.Yield();
            using (var c = Hostile.Client("ws://" + Hostile.Addr + "/stall", o => { o.AsyncMax = 2; o.DialTimeout = TimeSpan.FromSeconds(20); }))
            {
                var pending = new List<Task>();
                for (int i = 0; i < 2; i++) pending.Add(c.RequestAsync("{\"msg_type\":\"ping\"}", TimeSpan.FromSeconds(30)));
                T.Throws<BusyException>(() => c.RequestAsync("{\"msg_type\":\"ping\"}", TimeSpan.FromSeconds(30)), "the third async request");
                var sw = Stopwatch.StartNew();
                c.Dispose();
                foreach (var t in pending) T.Throws<CloudCCException>(() => t, "pending request ends when disposed");
                T.Check(sw.ElapsedMilliseconds < 5000, "dispose with a stalled handshake took " + sw.ElapsedMilliseconds + " ms (dial timeout 20 s)");
            }
        }
    }
}
