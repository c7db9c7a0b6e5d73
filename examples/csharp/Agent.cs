// Agent.cs - an agent session through the CloudCC C# binding: check in, take an inbound call,
// hold and resume it, hang up, check out (the same flow as examples/c/agent.c).
//
//   examples/csharp/build.sh                      # builds Agent.exe next to CloudCC.dll
//   LD_LIBRARY_PATH=build/lib mono examples/csharp/out/Agent.exe 127.0.0.1:8090
//
// The ws_url is the platform's form, ws://HOST:PORT/msg/ (the SDK appends the agent's identity); CLOUDCC_WS_URL
// overrides it (ccsim -dialect spec: ws://HOST:PORT/ws). Against ccsim the program asks the simulator's admin API to have a customer call the agent;
// against a real platform, call the agent instead.
using System;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

internal static class AgentExample
{
    private static int Main(string[] args) => HardExit(Run(args).GetAwaiter().GetResult());

    // Mono waits at exit for the threads the Go runtime lent to callbacks, which never end (bindings/csharp/README.md,
    // "Known issues"): leave with _exit once output is flushed.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void _exit(int code);

    private static int HardExit(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (Type.GetType("Mono.Runtime") != null && Environment.OSVersion.Platform == PlatformID.Unix) _exit(code);
        return code;
    }

    private static async Task<int> Run(string[] args)
    {
        string addr = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("CCSIM_ADDR") ?? "127.0.0.1:8090";
        string pwd = Environment.GetEnvironmentVariable("CLOUDCC_AGENT_PWD") ?? "919191Aa."; // the demo agent's password in ccsim

        var options = new ClientOptions
        {
            WsUrl = Environment.GetEnvironmentVariable("CLOUDCC_WS_URL") ?? "ws://" + addr + "/msg/",
            HttpUrl = "http://" + addr,
            CompanyCode = "090008",
            AgentId = "090008_6000",
            ExtId = "090008_5000", // the agent's bound extension: check-in needs it
            Language = "en-US",
        };
        Console.WriteLine("libcloudcc " + CloudCCClient.Version);
        using (var client = new CloudCCClient(options))
        {
            // Handlers run on the SDK's event thread, one event at a time; the callin handler hands the
            // call's uuid to the main flow.
            var callin = new TaskCompletionSource<CallinEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.Callin += (s, e) => callin.TrySetResult(e);
            client.AgentChange += (s, e) => Console.WriteLine("event  agent_change " + e.LastStatus + " -> " + e.Status + (e.SubStatus != null ? "/" + e.SubStatus : ""));
            client.Callback += (s, e) => Console.WriteLine("event  callback " + e.Action + " " + e.Phase + " success=" + e.Success);
            client.ConnectionStateChanged += (s, e) => Console.WriteLine("event  connection " + e.State);
            client.KickOff += (s, e) => Console.WriteLine("event  kick_off: another device checked in as this agent (" + e.AgentIp + ")");
            client.SessionRestored += (s, e) => Console.WriteLine("event  session_restored " + (e.Succeeded ? e.Status.ToString() : "lost: " + e.Code + " " + e.Error));
            // RTC mode only (an agent whose check-in answers login_type "1"; not this demo agent): the SDK is the phone.
            client.RtcRegistrationChanged += (s, e) => Console.WriteLine("event  rtc_registration " + e.State + " " + e.Code);
            client.RtcCallChanged += (s, e) => Console.WriteLine("event  rtc_call " + e.Uuid + " " + e.State);
            client.HandlerError += (s, e) => Console.Error.WriteLine("handler error: " + e.Exception);

            try
            {
                await client.CheckinAsync(pwd, AgentStatus.Free);
                Console.WriteLine("reply  checkin ok");
                try
                {
                    Console.WriteLine("reply  get_status " + (await client.GetStatusAsync()).Status);
                }
                catch (ServerException e) // a server built to the spec has no get_status
                {
                    Console.WriteLine("reply  get_status refused: " + e.Code + " " + e.Msg);
                }

                if (!PlaceInboundCall(addr)) Console.Error.WriteLine("could not ask ccsim for a call; waiting for one");
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                using (timeout.Token.Register(() => callin.TrySetCanceled()))
                {
                    CallinEventArgs call = await callin.Task;
                    Console.WriteLine("event  callin from " + call.CallerNumber + " uuid " + call.Uuid);
                    await client.AnswerAsync(call.Uuid);
                    Console.WriteLine("reply  answer ok");
                    await client.HoldAsync(call.Uuid, true);
                    Console.WriteLine("reply  hold ok");
                    await client.HoldAsync(call.Uuid, false);
                    Console.WriteLine("reply  unhold ok");
                    await client.HangupAsync(call.Uuid);
                    Console.WriteLine("reply  hangup ok");
                }
                await client.CheckoutAsync();
                Console.WriteLine("reply  checkout ok");
                return 0;
            }
            catch (BadPasswordException e) // refusals typed by their code ("4004")
            {
                Console.Error.WriteLine("check-in refused, wrong password: " + e.Msg);
            }
            catch (WrongExtensionException e) // "4012": ExtId is not the agent's bound extension
            {
                Console.Error.WriteLine("check-in refused, wrong extension: " + e.Msg);
            }
            catch (ServerException e)
            {
                Console.Error.WriteLine("refused: " + e.MsgType + " code " + e.Code + ": " + e.Msg);
            }
            catch (CloudCCException e)
            {
                Console.Error.WriteLine("failed: " + e.Status + ": " + e.Msg);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("no inbound call within 60s");
            }
            return 1;
        }
    }

    /// <summary>Asks ccsim's admin API for a customer call to the agent.</summary>
    private static bool PlaceInboundCall(string addr)
    {
        try
        {
            using (var web = new WebClient { Proxy = null })
            {
                web.Headers[HttpRequestHeader.ContentType] = "application/json";
                web.Encoding = Encoding.UTF8;
                web.UploadString("http://" + addr + "/admin/inbound",
                    "{\"company_code\":\"090008\",\"agent_id\":\"090008_6000\",\"caller_number\":\"18888888888\",\"callee_number\":\"4008001000\"}");
            }
            return true;
        }
        catch (WebException)
        {
            return false;
        }
    }
}
