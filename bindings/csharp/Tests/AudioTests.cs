using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using CloudCC;

namespace CloudCC.Tests
{
    /// <summary>Sound devices, voice processing, quality warnings and the pre-call test (issue 16; docs/audio.md). The first tests need no
    /// server (typed parsing, what each call sends through a stand-in for cc_client_media, arguments refused before sending, events on the
    /// SynchronizationContext); the last run against ccsim's PBX and the run's private PulseAudio.</summary>
    internal static class AudioTests
    {
        private const string DevicesReply = "{\"code\":\"0\",\"msg\":\"success\",\"backend\":\"pulseaudio\",\"devices\":["
            + "{\"id\":\"mic.monitor\",\"name\":\"Headset mic\",\"kind\":\"input\",\"default\":true,\"default_communications\":true,\"channels\":1,\"rate\":48000},"
            + "{\"id\":\"spk\",\"name\":\"Headset\",\"kind\":\"output\",\"default\":false,\"default_communications\":true,\"channels\":2,\"rate\":48000},"
            + "{\"id\":\"hdmi\",\"name\":\"HDMI\",\"kind\":\"output\",\"default\":true}]}";

        private static Task Sync(Action f)
        {
            f();
            return Task.CompletedTask;
        }

        private static CloudCCClient Offline(Action<ClientOptions> mod = null)
        {
            var o = new ClientOptions { WsUrl = "ws://127.0.0.1:1/ws", Language = "en-US", LogLevel = CloudCC.LogLevel.Off };
            mod?.Invoke(o);
            return new CloudCCClient(o);
        }

        public static Task Parsing()
        {
            var devs = new AudioDeviceList(Json.ParseObject(DevicesReply), DevicesReply);
            T.Equal("pulseaudio", devs.Backend, "backend");
            T.Equal(3, devs.Devices.Count, "devices");
            AudioDevice mic = devs.Devices[0], spk = devs.Devices[1], hdmi = devs.Devices[2];
            T.Check(mic.Id == "mic.monitor" && mic.Name == "Headset mic" && mic.Kind == AudioDeviceKind.Input && mic.IsDefault == true
                && mic.IsDefaultCommunications == true && mic.Channels == 1 && mic.Rate == 48000, "input device " + mic);
            T.Check(hdmi.IsDefaultCommunications == null && hdmi.Channels == null && hdmi.Rate == null, "absent fields are null");
            T.Check(devs.Inputs.Select(d => d.Id).SequenceEqual(new[] { "mic.monitor" }) && devs.Outputs.Select(d => d.Id).SequenceEqual(new[] { "spk", "hdmi" }), "inputs and outputs");
            T.Check(devs.Find("spk") == spk && devs.Find("nope") == null, "Find");
            T.Check(devs.DefaultFor(AudioRole.Speaker) == spk && devs.DefaultFor(AudioRole.Microphone) == mic && devs.DefaultFor(AudioRole.Unknown) == null,
                "the default communications device before the console default");
            var odd = new AudioDeviceList(Json.ParseObject("{\"devices\":[{\"id\":\"x\",\"kind\":\"loopback\"}]}"), "");
            T.Check(odd.Backend == null && odd.Devices[0].Kind == AudioDeviceKind.Unknown && odd.Devices[0].KindName == "loopback" && odd.Devices[0].Name == "", "unknown kind");

            var sel = new AudioSelection(Json.ParseObject("{\"code\":\"0\",\"microphone\":{\"id\":\"mic.monitor\",\"name\":\"Headset mic\"},\"speaker\":\"spk\"}"), "");
            T.Check(sel.Microphone.Id == "mic.monitor" && sel.Microphone.Name == "Headset mic" && sel.Speaker.Id == "spk" && sel.Speaker.Name == null && sel.Ringer == null, "selection");
            var nested = new AudioSelection(Json.ParseObject("{\"devices\":{\"ringer\":{\"id\":\"hdmi\"}}}"), "");
            T.Check(nested.Ringer.Id == "hdmi" && nested.Microphone == null, "selection under devices");

            var def = new AudioProcessingState(Json.ParseObject("{\"code\":\"0\",\"aec\":true,\"ns\":false,\"agc\":true,\"vad\":true}"), "");
            T.Check(def.Aec == true && def.Ns == false && def.Agc == true && def.Vad == true && def.Uuid == null && def.DelayMs == null && def.Speaking == null, "client switches");
            var call = new AudioProcessingState(Json.ParseObject("{\"uuid\":\"u1\",\"aec\":true,\"delay_ms\":120,\"erle_db\":31.5,\"level_dbfs\":-23,\"speaking\":false}"), "");
            T.Check(call.Uuid == "u1" && call.DelayMs == 120 && call.ErleDb == 31.5 && call.LevelDbfs == -23 && call.Speaking == false && call.Ns == null && call.Active == null, "a call's state");
            var full = new AudioProcessingState(Json.ParseObject("{\"uuid\":\"u1\",\"active\":true,\"drift_ppm\":-41.5,\"mic_rate_hz\":47998.2,\"speaker_rate_hz\":48001}"), "");
            T.Check(full.Active == true && full.DriftPpm == -41.5 && full.MicRateHz == 47998.2 && full.SpeakerRateHz == 48001, "active, drift and rates");
            var host = new AudioProcessingState(Json.ParseObject("{\"uuid\":\"u1\",\"aec\":false,\"active\":false}"), "");
            T.Check(host.Active == false && host.DriftPpm == null && host.MicRateHz == null, "a call without a processor");
            var under = new AudioProcessingState(Json.ParseObject("{\"uuid\":\"u1\",\"switches\":{\"aec\":false},\"state\":{\"erle_db\":3}}"), "");
            T.Check(under.Aec == false && under.ErleDb == 3, "state under switches/state");

            var r = new PrecallResult(Json.ParseObject("{\"code\":\"0\",\"grade\":\"good\",\"mos\":3.9,\"rtt_ms\":80,\"jitter_ms\":4.5,\"loss\":0.01,\"steps\":["
                + "{\"name\":\"registrar\",\"ok\":true,\"ms\":12},{\"name\":\"ice\",\"ok\":true,\"ms\":40},{\"name\":\"echo_call\",\"ok\":true,\"ms\":5200},{\"name\":\"microphone\",\"ok\":true}]}"), "");
            T.Check(r.Grade == PrecallGrade.Good && r.GradeName == "good" && r.Mos == 3.9 && r.RttMs == 80 && r.JitterMs == 4.5 && r.Loss == 0.01 && r.InputLevelDbfs == null, "precall figures");
            T.Check(r.Succeeded && r.FailedStep == null && r.Steps.Select(s => s.Name).SequenceEqual(new[] { "registrar", "ice", "echo_call", "microphone" }), "precall steps");
            T.Check(r.Step("ice").Ms == 40 && r.Step("ice").Skipped == null && r.Step("microphone").Ms == null && r.Step("nope") == null, "a step");
            var failed = new PrecallResult(Json.ParseObject("{\"grade\":\"\",\"steps\":[{\"name\":\"registrar\",\"ok\":false,\"ms\":3000,\"error\":\"no answer\"},"
                + "{\"name\":\"echo_call\",\"ok\":false,\"skipped\":true}],\"failed_step\":\"registrar\"}"), "");
            T.Check(!failed.Succeeded && failed.FailedStep == "registrar" && failed.Grade == PrecallGrade.Unknown && failed.GradeName == null && failed.Mos == null, "a failed test");
            T.Check(failed.Step("registrar").Error == "no answer" && failed.Step("echo_call").Skipped == true, "failed and skipped steps");
            T.Check(new PrecallResult(Json.ParseObject("{\"grade\":\"superb\"}"), "").GradeName == "superb", "an unknown grade is kept as text");
            return Task.CompletedTask;
        }

        public static Task Events()
        {
            var dc = CloudCCEventArgs.Create("{\"msg_type\":\"audio_devices_changed\",\"added\":[\"spk2\"],\"removed\":[],\"default_changed\":true}") as AudioDevicesChangedEventArgs;
            T.Check(dc != null && dc.Added.SequenceEqual(new[] { "spk2" }) && dc.Removed.Count == 0 && dc.DefaultChanged == true, "audio_devices_changed");
            var bare = CloudCCEventArgs.Create("{\"msg_type\":\"audio_devices_changed\"}") as AudioDevicesChangedEventArgs;
            T.Check(bare != null && bare.Added.Count == 0 && bare.DefaultChanged == null, "absent fields");

            var fb = CloudCCEventArgs.Create("{\"msg_type\":\"audio_device_fallback\",\"role\":\"speaker\",\"uuid\":\"u1\",\"old\":{\"id\":\"usb\",\"name\":\"Jabra\"},\"new\":{\"id\":\"spk\",\"name\":\"Speakers\"}}") as AudioDeviceFallbackEventArgs;
            T.Check(fb != null && fb.Role == AudioRole.Speaker && fb.RoleName == "speaker" && fb.Uuid == "u1" && fb.OldDevice.Id == "usb" && fb.OldDevice.Name == "Jabra" && fb.NewDevice.Id == "spk",
                "audio_device_fallback " + fb);
            var noCall = CloudCCEventArgs.Create("{\"msg_type\":\"audio_device_fallback\",\"role\":\"headset\",\"old\":{\"id\":\"a\"}}") as AudioDeviceFallbackEventArgs;
            T.Check(noCall.Uuid == null && noCall.NewDevice == null && noCall.OldDevice.Name == null && noCall.Role == AudioRole.Unknown && noCall.RoleName == "headset", "fallback without a call");

            var er = CloudCCEventArgs.Create("{\"msg_type\":\"audio_device_error\",\"role\":\"microphone\",\"id\":\"usb\",\"error\":\"device lost\"}") as AudioDeviceErrorEventArgs;
            T.Check(er != null && er.Role == AudioRole.Microphone && er.DeviceId == "usb" && er.Error == "device lost" && er.Uuid == null, "audio_device_error");

            var qw = CloudCCEventArgs.Create("{\"msg_type\":\"call_quality_warning\",\"uuid\":\"u1\",\"name\":\"high_rtt\",\"raised\":true,\"value\":512.5,\"threshold\":400}") as CallQualityWarningEventArgs;
            T.Check(qw != null && qw.Warning == QualityWarning.HighRtt && qw.Name == "high_rtt" && qw.Raised == true && qw.Value == 512.5 && qw.Threshold == 400, "call_quality_warning");
            var cleared = CloudCCEventArgs.Create("{\"msg_type\":\"call_quality_warning\",\"uuid\":\"u1\",\"name\":\"new_rule\",\"raised\":false}") as CallQualityWarningEventArgs;
            T.Check(cleared.Raised == false && cleared.Warning == QualityWarning.Unknown && cleared.Name == "new_rule" && cleared.Value == null && cleared.Threshold == null, "cleared, unknown name");
            var sm = CloudCCEventArgs.Create("{\"msg_type\":\"call_quality_warning\",\"name\":\"speaking_while_muted\"}") as CallQualityWarningEventArgs;
            T.Check(sm.Warning == QualityWarning.SpeakingWhileMuted && sm.Uuid == "" && sm.Raised == null, "speaking_while_muted");
            return Task.CompletedTask;
        }

        public static Task Config()
        {
            var o = new ClientOptions
            {
                WsUrl = "ws://h/ws", RtcAudio = RtcAudioMode.Device, AudioMicrophone = "mic.monitor", AudioSpeaker = "spk", AudioRinger = "hdmi",
                AudioRingtone = Ringtones.Wav("/r/ring.wav"), AudioAec = true, AudioNs = false, AudioAgc = true, AudioVad = false,
                RtcQualityWarnings = false, RtcEchoNumber = "9196",
            };
            T.Equal("{\"ws_url\":\"ws://h/ws\",\"rtc_audio\":\"device\",\"audio_microphone\":\"mic.monitor\",\"audio_speaker\":\"spk\",\"audio_ringer\":\"hdmi\","
                + "\"audio_ringtone\":\"wav:/r/ring.wav\",\"audio_aec\":true,\"audio_ns\":false,\"audio_agc\":true,\"audio_vad\":false,"
                + "\"rtc_quality_warnings\":false,\"rtc_echo_number\":\"9196\"}", o.ToConfigJson(), "config JSON");
            T.Equal("none", (string)Json.ParseObject(new ClientOptions { WsUrl = "ws://h/ws", RtcAudio = RtcAudioMode.None }.ToConfigJson())["rtc_audio"], "rtc_audio none");
            T.Throws<ArgumentException>(() => Sync(() => Ringtones.Wav("")), "Ringtones.Wav without a path");
            return Task.CompletedTask;
        }

        /// <summary>A stand-in for cc_client_media: keeps (name, params), answers with a canned status and reply.</summary>
        private sealed class Transport
        {
            public readonly List<KeyValuePair<string, string>> Calls = new List<KeyValuePair<string, string>>();
            public int Status;
            public string Reply = "{\"code\":\"0\"}";
            public ManualResetEventSlim Gate;

            public KeyValuePair<int, string> Call(string name, string p)
            {
                lock (Calls) Calls.Add(new KeyValuePair<string, string>(name, p));
                Gate?.Wait(10000);
                return new KeyValuePair<int, string>(Status, Reply);
            }
        }

        public static async Task CallsSendTheAbiNames()
        {
            var tr = new Transport { Reply = DevicesReply };
            using (var c = Offline())
            {
                c.MediaTransport = tr.Call;
                var devs = await c.Audio.GetDevicesAsync();
                T.Equal(3, devs.Devices.Count, "devices through the client");
                await c.Audio.SelectMicrophoneAsync(devs.Inputs[0].Id);
                await c.Audio.SelectSpeakerAsync("spk");
                await c.Audio.SelectRingerAsync(null);
                await c.Audio.SelectAsync(AudioRole.Speaker, "");
                await c.Audio.GetProcessingAsync();
                await c.Audio.SetProcessingAsync("u1", aec: false, vad: true);
                await c.Audio.SetProcessingAsync(ns: false, agc: true);
                await c.Audio.SetRingtoneAsync(Ringtones.Wav("/r/ring.wav"));
                await c.Audio.SetRingtoneAsync(Ringtones.Builtin);
                await c.PrecallTestAsync();
                await c.PrecallTestAsync("9196", TimeSpan.FromSeconds(2.5));
                await c.PrecallTestAsync(duration: TimeSpan.FromSeconds(3));
            }
            var want = new[]
            {
                "audio_devices ", "audio_select {\"role\":\"microphone\",\"id\":\"mic.monitor\"}", "audio_select {\"role\":\"speaker\",\"id\":\"spk\"}",
                "audio_select {\"role\":\"ringer\",\"id\":\"\"}", "audio_select {\"role\":\"speaker\",\"id\":\"\"}", "audio_processing {}",
                "audio_processing {\"uuid\":\"u1\",\"aec\":false,\"vad\":true}", "audio_processing {\"ns\":false,\"agc\":true}",
                "audio_ringtone {\"ringtone\":\"wav:/r/ring.wav\"}", "audio_ringtone {\"ringtone\":\"builtin\"}", "precall_test {}",
                "precall_test {\"echo_number\":\"9196\",\"seconds\":2.5}", "precall_test {\"seconds\":3}",
            };
            var got = tr.Calls.Select(kv => kv.Key + " " + kv.Value).ToArray();
            T.Check(got.SequenceEqual(want), "names and params sent:\n  " + string.Join("\n  ", got));
        }

        public static async Task BadArgumentsAndErrors()
        {
            var tr = new Transport();
            using (var c = Offline())
            {
                c.MediaTransport = tr.Call;
                T.Throws<ArgumentOutOfRangeException>(() => c.Audio.SelectAsync(AudioRole.Unknown, "spk"), "no such role");
                T.Throws<ArgumentOutOfRangeException>(() => c.Audio.SelectAsync((AudioRole)42, "spk"), "a role outside the enum");
                foreach (string bad in new[] { null, "", "loud", "wav:", "ring.wav", "BUILTIN" })
                    T.Throws<ArgumentException>(() => c.Audio.SetRingtoneAsync(bad), "ringtone " + (bad ?? "null"));
                T.Throws<ArgumentOutOfRangeException>(() => c.PrecallTestAsync(null, TimeSpan.Zero), "precall of 0 s");
                T.Throws<ArgumentOutOfRangeException>(() => c.PrecallTestAsync(null, TimeSpan.FromSeconds(-1)), "precall of -1 s");
                T.Equal(0, tr.Calls.Count, "nothing sent for bad arguments");

                // The library's refusals, typed: no sound server is Unsupported with the backend's reason; an unknown id is an argument error.
                const string reason = "audio: no sound backend (pulseaudio: connection refused; alsa: no sound card)";
                tr.Status = (int)Status.Unsupported;
                tr.Reply = "{\"code\":\"-8\",\"msg\":\"" + reason + "\"}";
                var e = T.Throws<UnsupportedException>(() => c.Audio.GetDevicesAsync(), "no sound server");
                T.Check(e != null && e.Message.Contains(reason) && e.Status == Status.Unsupported, "the backend's reason: " + e?.Message);
                T.Throws<UnsupportedException>(() => c.PrecallTestAsync(), "precall outside RTC mode");
                tr.Status = (int)Status.InvalidArgument;
                tr.Reply = "{\"code\":\"-1\",\"msg\":\"audio: no device \\\"nope\\\"\"}";
                var ae = T.Throws<CloudCCArgumentException>(() => c.Audio.SelectSpeakerAsync("nope"), "unknown id");
                T.Check(ae != null && ae.Message.Contains("nope"), "unknown id message: " + ae?.Message);
                T.Throws<CloudCCArgumentException>(() => c.Audio.SetRingtoneAsync(Ringtones.Wav("/r/float.wav")), "a WAV that is not PCM");
                tr.Status = 0;
                tr.Reply = "not json";
                T.Throws<CloudCCException>(() => c.Audio.GetProcessingAsync(), "an unparseable reply");
            }
            // Dispose while the pre-call test runs cancels it; the library answers CC_ERR_CLOSED.
            var closing = Offline();
            closing.MediaTransport = (name, p) =>
            {
                closing.Dispose();
                return new KeyValuePair<int, string>((int)Status.Closed, "{\"code\":\"-6\",\"msg\":\"client closed\"}");
            };
            T.Throws<ClientClosedException>(() => closing.PrecallTestAsync("9196"), "a pre-call test cut short by Dispose");
            var disposed = Offline();
            disposed.Dispose();
            T.Throws<ObjectDisposedException>(() => disposed.Audio.GetDevicesAsync(), "after dispose");
            await Task.CompletedTask;
        }

        public static async Task Cancellation()
        {
            var tr = new Transport { Gate = new ManualResetEventSlim(false) };
            using (var c = Offline())
            {
                c.MediaTransport = tr.Call;
                var pre = new CancellationTokenSource();
                pre.Cancel();
                Task<PrecallResult> t0 = c.PrecallTestAsync(cancellationToken: pre.Token);
                T.Check(t0.IsCanceled, "a cancelled token: cancelled at once");
                T.Equal(0, tr.Calls.Count, "and nothing sent");

                var cts = new CancellationTokenSource();
                Task<PrecallResult> t = c.PrecallTestAsync(cancellationToken: cts.Token);
                var sw = Stopwatch.StartNew();
                while (true) { lock (tr.Calls) if (tr.Calls.Count == 1) break; if (sw.ElapsedMilliseconds > 5000) break; await Task.Delay(5); }
                T.Check(!t.IsCompleted, "the test is running");
                cts.Cancel();
                T.Check(await Task.WhenAny(t, Task.Delay(5000)) == t && t.IsCanceled, "cancelled while the call runs: " + t.Status);
                tr.Gate.Set(); // the call itself finishes; its late answer is dropped
                T.Check((await c.Audio.GetProcessingAsync()).RawJson != null, "the client goes on");
            }
        }

        /// <summary>The audio events, typed, raised through the client's <see cref="ClientOptions.EventContext"/> in order, one handler throwing without stopping the rest.</summary>
        public static async Task EventsOnTheSynchronizationContext()
        {
            var ctx = new Handlers.RecordingContext();
            var seen = new ConcurrentQueue<string>();
            var threads = new ConcurrentQueue<int>();
            using (var c = Offline(o => o.EventContext = ctx))
            {
                c.AudioDevicesChanged += (s, e) => { threads.Enqueue(Thread.CurrentThread.ManagedThreadId); seen.Enqueue("changed " + string.Join(",", e.Added)); };
                c.AudioDeviceFallback += (s, e) => { throw new InvalidOperationException("handler boom"); };
                c.AudioDeviceFallback += (s, e) => { threads.Enqueue(Thread.CurrentThread.ManagedThreadId); seen.Enqueue("fallback " + e.OldDevice.Id + ">" + e.NewDevice.Id); };
                c.AudioDeviceError += (s, e) => { threads.Enqueue(Thread.CurrentThread.ManagedThreadId); seen.Enqueue("error " + e.DeviceId); };
                c.CallQualityWarning += (s, e) => { threads.Enqueue(Thread.CurrentThread.ManagedThreadId); seen.Enqueue("warning " + e.Warning + " " + e.Raised); };
                MethodInfo dispatch = typeof(CloudCCClient).GetMethod("Dispatch", BindingFlags.NonPublic | BindingFlags.Instance);
                T.Check(dispatch != null, "the client's event dispatch");
                foreach (string json in new[]
                {
                    "{\"msg_type\":\"audio_devices_changed\",\"added\":[\"spk2\"],\"removed\":[],\"default_changed\":false}",
                    "{\"msg_type\":\"audio_device_fallback\",\"role\":\"speaker\",\"uuid\":\"u1\",\"old\":{\"id\":\"spk2\",\"name\":\"USB\"},\"new\":{\"id\":\"spk\",\"name\":\"Speakers\"}}",
                    "{\"msg_type\":\"audio_device_error\",\"role\":\"microphone\",\"id\":\"usb\",\"error\":\"gone\"}",
                    "{\"msg_type\":\"call_quality_warning\",\"uuid\":\"u1\",\"name\":\"low_mos\",\"raised\":true,\"value\":3.1,\"threshold\":3.5}",
                })
                    await Task.Run(() => dispatch.Invoke(c, new object[] { json })); // from a thread of its own, as the library's is
                var sw = Stopwatch.StartNew();
                while (seen.Count < 4 && sw.ElapsedMilliseconds < 5000) await Task.Delay(5);
                T.Check(seen.SequenceEqual(new[] { "changed spk2", "fallback spk2>spk", "error usb", "warning LowMos True" }), "typed, in order: " + string.Join(" | ", seen));
                T.Check(threads.Count == 4 && threads.All(t => t == ctx.Thread.ManagedThreadId), "raised on the context's thread");
                T.Check(c.HandlerErrorCount == 1 && c.LastHandlerError is InvalidOperationException, "a throwing handler is reported, the next still runs");
            }
            ctx.Stop();
        }

        // --- against the library: ccsim's PBX and the run's PulseAudio ----------------------------------------------------------------

        private const string RtcAgent = "090008_6010";
        private const int Rate = 8000;

        /// <summary>The private PulseAudio of the run (run_tests.sh starts it, tests/audio/pulse.sh): null sinks loaded for a test and unloaded after, parec and pacat.</summary>
        private sealed class Pulse : IDisposable
        {
            private readonly List<int> _modules = new List<int>();
            private readonly List<Process> _procs = new List<Process>();
            private readonly List<Thread> _threads = new List<Thread>();
            private volatile bool _stop;

            public Pulse()
            {
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CC_AUDIO_PULSE")))
                    throw new InvalidOperationException("no PulseAudio harness (CC_AUDIO_PULSE unset): run bindings/csharp/run_tests.sh, which starts one");
                Pactl("info");
            }

            public string Pactl(string args)
            {
                using (var p = Process.Start(new ProcessStartInfo("pactl", args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true }))
                {
                    string output = p.StandardOutput.ReadToEnd();
                    string err = p.StandardError.ReadToEnd();
                    p.WaitForExit(10000);
                    if (p.ExitCode != 0) throw new InvalidOperationException("pactl " + args + ": " + err.Trim());
                    return output.Trim();
                }
            }

            public int NullSink(string name)
            {
                int idx = int.Parse(Pactl("load-module module-null-sink sink_name=" + name + " rate=48000 channels=1 sink_properties=device.description=" + name));
                _modules.Add(idx);
                return idx;
            }

            public void Unload(int module)
            {
                Pactl("unload-module " + module);
                _modules.Remove(module);
            }

            /// <summary>Records <paramref name="source"/> (mono s16 at 8 kHz) into the returned list, as it comes.</summary>
            public List<short> Record(string source)
            {
                var samples = new List<short>();
                var p = Process.Start(new ProcessStartInfo("parec", "--raw --format=s16le --channels=1 --rate=" + Rate + " --latency-msec=20 -d " + source)
                { UseShellExecute = false, RedirectStandardOutput = true });
                _procs.Add(p);
                var t = new Thread(() =>
                {
                    Stream s = p.StandardOutput.BaseStream;
                    var buf = new byte[320];
                    int n;
                    try
                    {
                        while (!_stop && (n = s.Read(buf, 0, buf.Length)) > 0)
                            lock (samples) for (int i = 0; i + 1 < n; i += 2) samples.Add(BitConverter.ToInt16(buf, i));
                    }
                    catch (IOException) { }
                    catch (ObjectDisposedException) { }
                }) { IsBackground = true };
                t.Start();
                _threads.Add(t);
                return samples;
            }

            /// <summary>Plays a sine of <paramref name="hz"/> into <paramref name="sink"/> in real time until disposed.</summary>
            public void PlayTone(string sink, double hz)
            {
                var p = Process.Start(new ProcessStartInfo("pacat", "--raw --format=s16le --channels=1 --rate=" + Rate + " --latency-msec=20 -d " + sink)
                { UseShellExecute = false, RedirectStandardInput = true });
                _procs.Add(p);
                var t = new Thread(() =>
                {
                    Stream s = p.StandardInput.BaseStream;
                    var buf = new byte[320];
                    long n = 0;
                    try
                    {
                        while (!_stop)
                        {
                            for (int i = 0; i < 160; i++, n++) BitConverter.GetBytes((short)(10000 * Math.Sin(2 * Math.PI * hz * n / Rate))).CopyTo(buf, i * 2);
                            s.Write(buf, 0, buf.Length); // pacat takes it in real time
                            s.Flush();
                        }
                    }
                    catch (IOException) { }
                    catch (ObjectDisposedException) { }
                }) { IsBackground = true };
                t.Start();
                _threads.Add(t);
            }

            public void Dispose()
            {
                _stop = true;
                foreach (Process p in _procs)
                {
                    try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch { }
                    p.Dispose();
                }
                foreach (Thread t in _threads) t.Join(5000);
                foreach (int m in _modules.ToArray())
                {
                    try { Pactl("unload-module " + m); } catch { }
                }
            }
        }

        private static async Task<bool> Until(Func<bool> cond, int timeoutMs = 10000)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                if (cond()) return true;
                if (sw.ElapsedMilliseconds > timeoutMs) return false;
                await Task.Delay(20);
            }
        }

        /// <summary>Whether the last half second recorded is mostly <paramref name="hz"/>.</summary>
        private static bool Hears(List<short> rec, double hz)
        {
            short[] tail;
            lock (rec)
            {
                if (rec.Count < Rate) return false;
                tail = rec.Skip(rec.Count - Rate / 2).ToArray();
            }
            return Rtc.GoertzelShare(tail, 0, tail.Length, hz, Rate) > 0.6;
        }

        private static bool PbxHears(string uuid, double hz)
        {
            var tone = JsonFields.Obj(Sim.Get("/admin/rtc/calls/" + uuid), "tone");
            return Math.Abs((JsonFields.Double(tone, "peak_hz") ?? 0) - hz) < 15 && (JsonFields.Double(tone, "peak_ratio") ?? 0) > 0.5;
        }

        /// <summary>What the device tests stand on, checked without the library: a tone played into a null sink comes out of its monitor.</summary>
        public static async Task PulseHarness()
        {
            using (var pulse = new Pulse())
            {
                pulse.NullSink("cc_cs_harness");
                List<short> rec = pulse.Record("cc_cs_harness.monitor");
                pulse.PlayTone("cc_cs_harness", 440);
                T.Check(await Until(() => Hears(rec, 440)), "440 Hz through the harness's null sink");
            }
        }

        public static async Task DevicesListedAndChosen()
        {
            string spk = "cc_cs_list_spk", mic = "cc_cs_list_mic";
            using (var pulse = new Pulse())
            using (var a = new Agent("090008", RtcAgent, "919191Aa.", null, o => o.RtcAudio = RtcAudioMode.Device))
            {
                pulse.NullSink(spk);
                pulse.NullSink(mic);
                AudioDeviceList devs = await a.C.Audio.GetDevicesAsync();
                T.Equal("pulseaudio", devs.Backend, "backend");
                AudioDevice output = devs.Find(spk), input = devs.Find(mic + ".monitor");
                T.Check(output != null && output.Kind == AudioDeviceKind.Output && output.Name == spk && output.Channels == 1 && output.Rate > 0, "the speaker sink is listed: " + devs);
                T.Check(input != null && input.Kind == AudioDeviceKind.Input, "its monitor is an input: " + devs);
                AudioSelection sel = await a.C.Audio.SelectSpeakerAsync(spk);
                T.Check(sel.Speaker != null && sel.Speaker.Id == spk, "speaker chosen: " + sel);
                sel = await a.C.Audio.SelectMicrophoneAsync(mic + ".monitor");
                T.Check(sel.Microphone != null && sel.Microphone.Id == mic + ".monitor", "microphone chosen: " + sel);
                T.Throws<CloudCCArgumentException>(() => a.C.Audio.SelectSpeakerAsync("cc_cs_no_such_sink"), "an unknown id");
                sel = await a.C.Audio.SelectMicrophoneAsync(mic + ".monitor");
                T.Check(sel.Speaker != null && sel.Speaker.Id == spk, "the refused choice changed nothing: " + sel);
                AudioProcessingState p = await a.C.Audio.SetProcessingAsync(aec: false);
                T.Check(p.Aec == false && p.Uuid == null, "client default switched: " + p);
                T.Check((await a.C.Audio.SetProcessingAsync(aec: true)).Aec == true, "and back");
            }
        }

        public static async Task DeviceModeCallAndFallback()
        {
            string spk = "cc_cs_call_spk", mic = "cc_cs_call_mic", spk2 = "cc_cs_call_spk2";
            var ctx = new Handlers.RecordingContext();
            using (var pulse = new Pulse())
            {
                pulse.NullSink(spk);
                pulse.NullSink(mic);
                int spk2Module = pulse.NullSink(spk2);
                using (var a = new Agent("090008", RtcAgent, "919191Aa.", null, o =>
                {
                    o.EventContext = ctx;
                    o.RequestTimeout = TimeSpan.FromSeconds(8);
                    o.RtcAudio = RtcAudioMode.Device;
                    o.AudioSpeaker = spk;
                    o.AudioMicrophone = mic + ".monitor";
                    o.AudioRingtone = Ringtones.Off;
                    o.AudioNs = false; // a steady tone is what a noise suppressor removes
                }))
                {
                    var fallbacks = new ConcurrentQueue<AudioDeviceFallbackEventArgs>();
                    var fallbackThreads = new ConcurrentQueue<int>();
                    a.C.AudioDeviceFallback += (s, e) => { fallbackThreads.Enqueue(Thread.CurrentThread.ManagedThreadId); fallbacks.Enqueue(e); };
                    await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                    int fReg = 0, fCall = 0, fCallin = 0, fDev = 0;
                    T.Check(a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000) != null, "registered");
                    string uuid = Sim.Inbound("090008", a.Id);
                    T.Check(a.R.Wait<CallinEventArgs>(x => x.Uuid == uuid, ref fCallin, 10000) != null, "callin");
                    await a.C.AnswerAsync(uuid);
                    T.Check(a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && (x.State == "answered" || x.State == "confirmed"), ref fCall, 10000) != null, "answered");

                    List<short> out1 = pulse.Record(spk + ".monitor");
                    T.Check(await Until(() => Hears(out1, 1000)), "the customer's 1 kHz comes out of the speaker sink");
                    pulse.PlayTone(mic, 440);
                    T.Check(await Until(() => PbxHears(uuid, 440)), "a tone into the microphone reaches the customer");

                    AudioProcessingState p = await a.C.Audio.GetProcessingAsync(uuid);
                    T.Check(p.Uuid == uuid && p.Aec == true && p.Ns == false && p.LevelDbfs != null && p.Active == true && p.DriftPpm != null, "the call's processing: " + p);

                    AudioSelection sel = await a.C.Audio.SelectSpeakerAsync(spk2);
                    T.Check(sel.Speaker != null && sel.Speaker.Id == spk2, "switched mid-call: " + sel);
                    List<short> out2 = pulse.Record(spk2 + ".monitor");
                    T.Check(await Until(() => Hears(out2, 1000)), "the call's audio moved to the new speaker");
                    T.Check(a.C.RtcCalls().SequenceEqual(new[] { uuid }), "the call goes on");

                    pulse.Unload(spk2Module);
                    T.Check(await Until(() => fallbacks.Any(e => e.Role == AudioRole.Speaker)), "audio_device_fallback after the speaker went away");
                    AudioDeviceFallbackEventArgs fb = fallbacks.FirstOrDefault(e => e.Role == AudioRole.Speaker);
                    T.Check(fb != null && fb.OldDevice != null && fb.OldDevice.Id == spk2 && fb.NewDevice != null && fb.NewDevice.Id != spk2, "fallback from the unplugged sink: " + fb);
                    T.Check(fallbackThreads.All(t => t == ctx.Thread.ManagedThreadId), "raised on the SynchronizationContext");
                    T.Check(a.R.Wait<AudioDevicesChangedEventArgs>(x => x.Removed.Contains(spk2), ref fDev, 10000) != null, "devices changed: removed");
                    T.Check(a.C.RtcCalls().SequenceEqual(new[] { uuid }), "the call survived the fallback");
                    T.Check(await Until(() => PbxHears(uuid, 440)), "the microphone still reaches the customer");

                    await a.C.HangupAsync(uuid);
                    T.Check(a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && x.State == "ended", ref fCall, 10000) != null, "ended");
                }
            }
            ctx.Stop();
        }

        public static async Task PrecallTestBeforeCalls()
        {
            string spk = "cc_cs_pre_spk", mic = "cc_cs_pre_mic";
            using (var pulse = new Pulse())
            {
                pulse.NullSink(spk);
                pulse.NullSink(mic);
                using (var a = new Agent("090008", RtcAgent, "919191Aa.", null, o =>
                {
                    o.RequestTimeout = TimeSpan.FromSeconds(8);
                    o.RtcAudio = RtcAudioMode.Device;
                    o.AudioSpeaker = spk;
                    o.AudioMicrophone = mic + ".monitor";
                }))
                {
                    await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                    int fReg = 0;
                    T.Check(a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000) != null, "registered");
                    pulse.PlayTone(mic, 300);
                    PrecallResult r = await a.C.PrecallTestAsync("9196", TimeSpan.FromSeconds(3)); // ccsim's echo extension
                    T.Check(r.Steps.Select(s => s.Name).SequenceEqual(new[] { "registrar", "ice", "echo_call", "microphone" }), "the steps: " + r);
                    T.Check(r.Step("registrar")?.Ok == true && r.Step("ice")?.Ok == true, "registrar and ICE: " + r);
                    T.Check(r.Step("echo_call")?.Ok == true && r.Mos != null && r.Grade != PrecallGrade.Unknown, "the echo call measured: " + r);
                    T.Check(r.Step("microphone")?.Ok == true && r.InputLevelDbfs > -40, "the microphone's level on the echo call: " + r);
                    T.Check(r.FailedStep == null && r.Succeeded, "nothing failed: " + r);
                    r = await a.C.PrecallTestAsync(null, TimeSpan.FromSeconds(1));
                    T.Check(r.Step("echo_call")?.Skipped == true && r.Step("microphone")?.Skipped == true && r.GradeName == null,
                        "no echo number: no call, no level: " + r);
                }
            }
        }
    }
}
