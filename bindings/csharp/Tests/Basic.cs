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
}
