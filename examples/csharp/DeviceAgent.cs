// DeviceAgent.cs - a desktop agent whose phone is the SDK, on the machine's sound devices (RtcAudio = Device): list the
// devices, choose them, check in as an RTC agent, run the pre-call test, take a call on the headset with echo cancellation,
// show the call's voice processing and its quality warnings, hang up. Events are raised on a SynchronizationContext of
// the program's own, as a WinForms/WPF app's UI thread would get them.
//
//   examples/csharp/build.sh                      # builds DeviceAgent.exe next to CloudCC.dll
//   LD_LIBRARY_PATH=build/lib mono examples/csharp/out/DeviceAgent.exe 127.0.0.1:8090 [--microphone ID] [--speaker ID]
//       [--ringer ID] [--seconds N] [--echo-number NUMBER]
//
// Without a choice each role takes the default communications device. Against ccsim (agent 090008_6010 is an RTC agent
// there) the program asks the simulator's admin API for the customer's call; against a real platform, call the agent
// instead. examples/device_demo.sh runs it on a private PulseAudio with null sinks for a "headset" (no sound card needed).
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

internal static class DeviceAgentExample
{
    private const string Agent = "090008_6010"; // an RTC agent of ccsim's demo world: check-in answers login_type "1"

    private static int Main(string[] args)
    {
        // The "UI thread": a loop that runs what the SDK posts to its SynchronizationContext.
        using (var ui = new LoopContext())
        {
            int rc = Run(args, ui).GetAwaiter().GetResult();
            return HardExit(rc);
        }
    }

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

    private static string Arg(string[] args, string name)
    {
        for (int i = 0; i + 1 < args.Length; i++) if (args[i] == name) return args[i + 1];
        return null;
    }

    private static async Task<int> Run(string[] args, LoopContext ui)
    {
        string addr = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : Environment.GetEnvironmentVariable("CCSIM_ADDR") ?? "127.0.0.1:8090";
        string pwd = Environment.GetEnvironmentVariable("CLOUDCC_AGENT_PWD") ?? "919191Aa."; // the demo agent's password in ccsim
        double seconds = double.Parse(Arg(args, "--seconds") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        var options = new ClientOptions
        {
            WsUrl = Environment.GetEnvironmentVariable("CLOUDCC_WS_URL") ?? "ws://" + addr + "/msg/",
            HttpUrl = "http://" + addr,
            CompanyCode = "090008",
            AgentId = Agent,
            ExtId = Agent,
            Language = "en-US",
            RtcAudio = RtcAudioMode.Device,
            AudioRingtone = Ringtones.Builtin,
            RtcEchoNumber = Arg(args, "--echo-number") ?? Environment.GetEnvironmentVariable("CLOUDCC_ECHO_NUMBER"),
            EventContext = ui, // every event below runs on the "UI thread"
        };
        Console.WriteLine("libcloudcc " + CloudCCClient.Version);
        try
        {
            using (var client = new CloudCCClient(options))
            {
                var registered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var callin = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                var callState = new BlockingCollection<RtcCallChangedEventArgs>();
                client.RtcRegistrationChanged += (s, e) => { if (e.State == "registered") registered.TrySetResult(true); };
                client.Callin += (s, e) => { Console.WriteLine("ringing: " + e.CallerNumber); callin.TrySetResult(e.Uuid); };
                client.RtcCallChanged += (s, e) => callState.Add(e);
                client.AudioDevicesChanged += (s, e) =>
                    Console.WriteLine("devices changed: added [" + string.Join(", ", e.Added) + "] removed [" + string.Join(", ", e.Removed) + "]");
                client.AudioDeviceFallback += (s, e) =>
                    Console.WriteLine("the " + e.RoleName + " went away (" + e.OldDevice + "): now on " + e.NewDevice + "; the call goes on");
                client.AudioDeviceError += (s, e) => Console.WriteLine("the " + e.RoleName + " " + e.DeviceId + " failed: " + e.Error);
                client.CallQualityWarning += (s, e) =>
                    Console.WriteLine("quality " + (e.Raised == true ? "RAISED " : "cleared ") + e.Name + ": " + e.Value + " (threshold " + e.Threshold + ")");

                // 1. The devices, and the agent's choice (before check-in: it holds for every call).
                AudioDeviceList devs;
                try
                {
                    devs = await client.Audio.GetDevicesAsync();
                }
                catch (UnsupportedException e) // no sound server: the backend says why
                {
                    Console.Error.WriteLine("no sound devices: " + e.Message);
                    return 1;
                }
                Console.WriteLine("sound backend " + devs.Backend + ":");
                foreach (AudioDevice d in devs.Devices)
                    Console.WriteLine("  " + (d.KindName ?? "?").PadRight(6) + " " + d.Id + "  " + d.Name
                        + (d.IsDefaultCommunications == true ? " (default communications)" : d.IsDefault == true ? " (default)" : ""));
                AudioSelection sel = null;
                foreach (var role in new[] { new KeyValuePair<AudioRole, string>(AudioRole.Microphone, Arg(args, "--microphone")),
                    new KeyValuePair<AudioRole, string>(AudioRole.Speaker, Arg(args, "--speaker")), new KeyValuePair<AudioRole, string>(AudioRole.Ringer, Arg(args, "--ringer")) })
                {
                    AudioDevice dev = role.Value != null ? devs.Find(role.Value) : devs.DefaultFor(role.Key);
                    if (role.Value != null && dev == null) { Console.Error.WriteLine("no device " + role.Value); return 1; }
                    sel = await client.Audio.SelectAsync(role.Key, dev?.Id);
                }
                Console.WriteLine("in use: microphone " + sel.Microphone + ", speaker " + sel.Speaker + ", ringer " + sel.Ringer);
                AudioProcessingState p = await client.Audio.GetProcessingAsync();
                Console.WriteLine("processing for new calls: aec=" + p.Aec + " ns=" + p.Ns + " agc=" + p.Agc + " vad=" + p.Vad);

                // 2. Check in: the SDK registers the agent's phone.
                await client.CheckinAsync(pwd, AgentStatus.Free);
                if (await Task.WhenAny(registered.Task, Task.Delay(15000)) != registered.Task) { Console.Error.WriteLine("the phone did not register"); return 1; }
                Console.WriteLine("phone registered");

                // 3. The pre-call test, before taking calls.
                PrecallResult r = await client.PrecallTestAsync(duration: TimeSpan.FromSeconds(3));
                Console.WriteLine("pre-call test: grade " + r.GradeName + " mos " + r.Mos + " rtt " + r.RttMs + " ms jitter " + r.JitterMs + " ms loss " + r.Loss
                    + " microphone " + r.InputLevelDbfs + " dBFS");
                foreach (PrecallStep s in r.Steps) Console.WriteLine("   " + s + " (" + s.Ms + " ms)");
                if (r.FailedStep != null) { Console.Error.WriteLine("the pre-call test failed at " + r.FailedStep); return 1; }

                // 4. A call on the devices: it rings on the ringer, the agent answers, talks, hangs up.
                PlaceInboundCall(addr);
                if (await Task.WhenAny(callin.Task, Task.Delay(60000)) != callin.Task) { Console.Error.WriteLine("no call within 60 s"); return 1; }
                string uuid = callin.Task.Result;
                await client.AnswerAsync(uuid);
                if (!WaitCall(callState, uuid, "answered", "confirmed")) { Console.Error.WriteLine("the call was not answered"); return 1; }
                Console.WriteLine("talking on the devices");
                for (int i = 0; i < Math.Max(1, (int)(seconds / 2)); i++)
                {
                    await Task.Delay(2000);
                    AudioProcessingState st = await client.Audio.GetProcessingAsync(uuid);
                    Console.WriteLine("  echo delay " + st.DelayMs + " ms, ERLE " + st.ErleDb + " dB, microphone " + st.LevelDbfs + " dBFS, "
                        + (st.Speaking == true ? "speaking" : "quiet"));
                }
                await client.HangupAsync(uuid);
                WaitCall(callState, uuid, "ended");
                Console.WriteLine("call ended");
                await client.CheckoutAsync();
            }
        }
        catch (CloudCCException e)
        {
            Console.Error.WriteLine("failed: " + e.GetType().Name + " " + e.Code + " " + e.Message);
            return 1;
        }
        catch (CloudCCArgumentException e)
        {
            Console.Error.WriteLine("refused: " + e.Message);
            return 1;
        }
        return 0;
    }

    private static bool WaitCall(BlockingCollection<RtcCallChangedEventArgs> states, string uuid, params string[] wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (states.TryTake(out RtcCallChangedEventArgs e, deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero))
            if (e.Uuid == uuid && Array.IndexOf(wanted, e.State) >= 0) return true;
        return false;
    }

    private static void PlaceInboundCall(string addr)
    {
        using (var wc = new WebClient())
        {
            wc.Headers[HttpRequestHeader.ContentType] = "application/json";
            wc.UploadString("http://" + addr + "/admin/inbound",
                "{\"company_code\":\"090008\",\"agent_id\":\"" + Agent + "\",\"caller_number\":\"18888888888\",\"callee_number\":\"4008001000\"}");
        }
    }

    /// <summary>A single-threaded SynchronizationContext: what a UI framework gives an app. Posted work runs in order on its thread.</summary>
    private sealed class LoopContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<KeyValuePair<SendOrPostCallback, object>> _work = new BlockingCollection<KeyValuePair<SendOrPostCallback, object>>();
        private readonly Thread _thread;

        public LoopContext()
        {
            _thread = new Thread(() =>
            {
                foreach (var w in _work.GetConsumingEnumerable())
                {
                    try { w.Key(w.Value); } catch (Exception e) { Console.Error.WriteLine("handler: " + e); }
                }
            }) { IsBackground = true, Name = "ui" };
            _thread.Start();
        }

        public override void Post(SendOrPostCallback d, object state) => _work.Add(new KeyValuePair<SendOrPostCallback, object>(d, state));

        public void Dispose()
        {
            _work.CompleteAdding();
            _thread.Join(5000);
        }
    }
}
