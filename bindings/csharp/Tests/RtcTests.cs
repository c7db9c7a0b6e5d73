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
    /// <summary>RTC mode (login_type 1): the client is the agent's phone; media verified at ccsim's simulated PBX.</summary>
    internal static class Rtc
    {
        private const string RtcAgent = "090008_6010";

        /// <summary>The share of <paramref name="x"/>'s energy at <paramref name="hz"/> (Goertzel; 1 for a pure tone).</summary>
        public static double GoertzelShare(IList<short> x, int start, int n, double hz, int rate)
        {
            double k = 2 * Math.Cos(2 * Math.PI * hz / rate), s1 = 0, s2 = 0, total = 0;
            for (int i = start; i < start + n; i++)
            {
                double v = x[i];
                double s0 = v + k * s1 - s2;
                s2 = s1;
                s1 = s0;
                total += v * v;
            }
            double power = s1 * s1 + s2 * s2 - k * s1 * s2;
            total *= n / 2.0;
            return total > 0 ? power / total : 0;
        }

        /// <summary>Polls <paramref name="cond"/> until it holds or <paramref name="timeoutMs"/> passes; returns whether it held.</summary>
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

        private static Task Sync(Action f)
        {
            f();
            return Task.CompletedTask;
        }

        /// <summary>Reads a PCM16 WAV: its rate, channels, bits and samples.</summary>
        private static short[] ReadWav(string path, out int rate, out int channels, out int bits)
        {
            byte[] b = File.ReadAllBytes(path);
            rate = channels = bits = 0;
            if (b.Length < 12 || System.Text.Encoding.ASCII.GetString(b, 0, 4) != "RIFF" || System.Text.Encoding.ASCII.GetString(b, 8, 4) != "WAVE") return null;
            int pos = 12;
            while (pos + 8 <= b.Length)
            {
                string id = System.Text.Encoding.ASCII.GetString(b, pos, 4);
                int size = BitConverter.ToInt32(b, pos + 4);
                int body = pos + 8;
                if (id == "fmt ")
                {
                    channels = BitConverter.ToInt16(b, body + 2);
                    rate = BitConverter.ToInt32(b, body + 4);
                    bits = BitConverter.ToInt16(b, body + 14);
                }
                else if (id == "data")
                {
                    int len = Math.Min(size, b.Length - body) / 2;
                    var pcm = new short[len];
                    Buffer.BlockCopy(b, body, pcm, 0, len * 2);
                    return pcm;
                }
                pos = body + size + (size & 1);
            }
            return null;
        }

        /// <summary>Writes a mono PCM16 WAV of a sine tone to a temp file; returns its path.</summary>
        private static string WriteToneWav(double hz, int rate, double seconds)
        {
            string path = Path.Combine(Path.GetTempPath(), "cc-cs-tone-" + Guid.NewGuid().ToString("N") + ".wav");
            int n = (int)(rate * seconds);
            using (var w = new BinaryWriter(File.Create(path)))
            {
                w.Write(System.Text.Encoding.ASCII.GetBytes("RIFF"));
                w.Write(36 + n * 2);
                w.Write(System.Text.Encoding.ASCII.GetBytes("WAVEfmt "));
                w.Write(16);
                w.Write((short)1);
                w.Write((short)1);
                w.Write(rate);
                w.Write(rate * 2);
                w.Write((short)2);
                w.Write((short)16);
                w.Write(System.Text.Encoding.ASCII.GetBytes("data"));
                w.Write(n * 2);
                for (int i = 0; i < n; i++) w.Write((short)(12000 * Math.Sin(2 * Math.PI * hz * i / rate)));
            }
            return path;
        }

        private static bool IsRtc(CloudCCEventArgs e) =>
            e is RtcRegistrationChangedEventArgs || e is RtcCallChangedEventArgs || e is ConnectivityChangedEventArgs || e is RtcDtmfReceivedEventArgs || e is RtcStatsEventArgs;

        public static async Task CallMediaBothWays()
        {
            string rec = Path.Combine(Path.GetTempPath(), "cc-cs-rtc-" + Guid.NewGuid().ToString("N") + ".wav");
            string wav = WriteToneWav(600, 16000, 1.0);
            using (var a = new Agent("090008", RtcAgent, "919191Aa.", null, o => o.RequestTimeout = TimeSpan.FromSeconds(8)))
            {
                // Each typed RTC event, in the order raised (EventReceived sees them first, as the same object).
                var typed = new List<CloudCCEventArgs>();
                EventHandler<CloudCCEventArgs> onTyped = (s, e) => { lock (typed) typed.Add(e); };
                a.C.RtcRegistrationChanged += (s, e) => onTyped(s, e);
                a.C.RtcCallChanged += (s, e) => onTyped(s, e);
                a.C.ConnectivityChanged += (s, e) => onTyped(s, e);
                a.C.RtcDtmfReceived += (s, e) => onTyped(s, e);
                a.C.RtcStats += (s, e) => onTyped(s, e);

                T.Throws<UnsupportedException>(() => Sync(() => a.C.RtcCalls()), "no phone before check-in");
                var ci = await a.C.CheckinAsync(a.Password, AgentStatus.Free);
                T.Equal("1", ci.LoginType, "login_type of the RTC agent");
                int fReg = 0, fCall = 0, fCallin = 0;
                var reg = a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000);
                T.Check(reg != null && reg.Code == 200 && !string.IsNullOrEmpty(reg.Aor), "rtc_registration registered: " + reg?.RawJson + " (events: " + a.Tail() + ")");
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PlayTone(440)), "no call yet");

                string uuid = Sim.Inbound("090008", a.Id);
                var callin = a.R.Wait<CallinEventArgs>(x => x.Uuid == uuid, ref fCallin, 10000);
                T.Check(callin != null, "callin (events: " + a.Tail() + ")");
                await a.C.AnswerAsync(uuid);
                var up = a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && (x.State == "answered" || x.State == "confirmed"), ref fCall, 10000);
                T.Check(up != null && up.Direction == "incoming" && !string.IsNullOrEmpty(up.CallId), "rtc_call answered: " + up?.RawJson);
                T.Check(a.C.RtcCalls().SequenceEqual(new[] { uuid }), "RtcCalls: " + string.Join(",", a.C.RtcCalls()));

                // Tap what the customer sends (the PBX plays 1 kHz) at 16 kHz; send a 440 Hz tone; record.
                int routes0 = CloudCCClient.PcmRouteCount;
                var frames = new List<short[]>();
                int badRate = 0;
                a.C.SetPcmSink(f =>
                {
                    if (f.Rate != 16000) Interlocked.Increment(ref badRate);
                    lock (frames) frames.Add(f.Samples);
                }, 16000, uuid);
                T.Equal(routes0 + 1, CloudCCClient.PcmRouteCount, "one PCM route");
                a.C.PlayTone(440);
                a.C.RecordWav(rec);
                string leg = "/admin/rtc/calls/" + uuid;
                Dictionary<string, object> snap = null;
                bool heard440 = await Until(() =>
                {
                    snap = Sim.Get(leg);
                    var tone = JsonFields.Obj(snap, "tone");
                    return Math.Abs((JsonFields.Double(tone, "peak_hz") ?? 0) - 440) < 10 && (JsonFields.Double(tone, "peak_ratio") ?? 0) > 0.8;
                });
                T.Check(heard440, "the PBX hears 440 Hz: " + (snap == null ? "no snapshot" : Json.Serialize(JsonFields.Obj(snap, "tone"))));
                a.C.PlayWav(wav, uuid, loop: true);
                bool heard600 = await Until(() =>
                {
                    snap = Sim.Get(leg);
                    var tone = JsonFields.Obj(snap, "tone");
                    return Math.Abs((JsonFields.Double(tone, "peak_hz") ?? 0) - 600) < 10 && (JsonFields.Double(tone, "peak_ratio") ?? 0) > 0.8;
                });
                T.Check(heard600, "the PBX hears the looped 600 Hz WAV: " + (snap == null ? "no snapshot" : Json.Serialize(JsonFields.Obj(snap, "tone"))));
                T.Check(await Until(() => { lock (frames) return frames.Count > 60; }), "PCM frames arrive: " + frames.Count);
                short[] heard;
                lock (frames) heard = frames.Skip(20).Take(40).SelectMany(x => x).ToArray();
                double share = heard.Length > 0 ? GoertzelShare(heard, 0, heard.Length, 1000, 16000) : 0;
                T.Check(share > 0.8, "the PBX's 1 kHz reaches the sink at 16 kHz: share " + share.ToString("F2") + " over " + heard.Length + " samples");
                T.Equal(0, Volatile.Read(ref badRate), "every frame at 16 kHz");

                // A sink that throws: reported through HandlerError, delivery goes on; then removed.
                long errs0 = a.C.HandlerErrorCount;
                var sinkErrors = new ConcurrentQueue<HandlerErrorEventArgs>();
                a.C.HandlerError += (s, e) => sinkErrors.Enqueue(e);
                a.C.SetPcmSink(f => { throw new InvalidOperationException("sink boom"); }, 8000, uuid);
                T.Equal(routes0 + 1, CloudCCClient.PcmRouteCount, "the replaced sink's route is dropped");
                T.Check(await Until(() => a.C.HandlerErrorCount >= errs0 + 2), "sink exceptions counted: " + (a.C.HandlerErrorCount - errs0));
                HandlerErrorEventArgs he;
                T.Check(sinkErrors.TryPeek(out he) && he.Exception is InvalidOperationException && he.Exception.Message == "sink boom" && he.Event == null, "HandlerError gets the sink's exception");
                a.C.SetPcmSink(null, 8000, uuid);
                T.Equal(routes0, CloudCCClient.PcmRouteCount, "removing the sink drops its route");

                // Mute and DTMF are done by the phone and answered by the SDK.
                var m = await a.C.MuteAsync(uuid, true);
                T.Check(m.Mute && m.GetString("mute") == "1", "mute reply " + m.RawJson);
                await a.C.MuteAsync(uuid, false);
                await a.C.DtmfAsync(uuid, "7#");
                T.Check(await Until(() => JsonFields.Str(Sim.Get(leg), "digits") == "7#"), "the PBX detected 7#: " + JsonFields.Str(Sim.Get(leg), "digits"));

                a.C.PushPcm(new short[320], 16000, uuid);
                var buf = new short[480];
                a.C.PushPcm(new ArraySegment<short>(buf, 160, 160), 8000);
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PushPcm(new short[160], 0, uuid)), "push at rate 0");
                a.C.StopPlay(uuid);
                var st = a.C.CallStats();
                T.Check(st.PacketsReceived > 0 && st.PacketsSent > 0 && st.Mos >= 1 && st.Mos <= 4.5, "stats " + st.RawJson);
                var st2 = a.C.CallStats(uuid);
                T.Check(st2.Mos >= 1 && st2.RawJson.Contains("\"mos\""), "stats by uuid " + st2.RawJson);

                await a.C.HangupAsync(uuid);
                var ended = a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && x.State == "ended", ref fCall, 10000);
                T.Check(ended != null, "rtc_call ended (events: " + a.Tail() + ")");
                // The call's end finished the recording before "ended" was sent.
                int rate = 0, channels = 0, bits = 0;
                short[] pcm = File.Exists(rec) ? ReadWav(rec, out rate, out channels, out bits) : null;
                T.Check(pcm != null && rate == 8000 && channels == 1 && bits == 16 && pcm.Length > 8000,
                    "recorded WAV: rate " + rate + " channels " + channels + " bits " + bits + " samples " + (pcm?.Length ?? -1));
                double recShare = pcm != null && pcm.Length > 8000 ? GoertzelShare(pcm, pcm.Length - 8000, 8000, 1000, 8000) : 0;
                T.Check(recShare > 0.8, "the recording holds the PBX's 1 kHz: share " + recShare.ToString("F2"));
                T.Throws<CloudCCArgumentException>(() => Sync(() => a.C.PlayTone(440, uuid)), "the call is over");
                T.Equal(0, a.C.RtcCalls().Length, "no calls left");

                await a.C.CheckoutAsync();
                var unreg = a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "unregistered", ref fReg, 10000);
                T.Check(unreg != null, "rtc_registration unregistered after checkout");

                var all = a.R.Snapshot();
                T.Check(all.OfType<ConnectivityChangedEventArgs>().Any(x => x.State == "ok" && x.Registration == "registered" && x.Cti != null),
                    "a connectivity ok event: " + string.Join(" | ", all.OfType<ConnectivityChangedEventArgs>().Select(x => x.RawJson)));
                // The typed events were raised in order, with the objects EventReceived saw.
                var rtc = all.Where(IsRtc).ToList();
                List<CloudCCEventArgs> got;
                lock (typed) got = typed.ToList();
                T.Check(got.Count >= rtc.Count - 1 && got.Count <= rtc.Count && got.Select((e, i) => ReferenceEquals(e, rtc[i])).All(x => x),
                    "typed RTC events match EventReceived: " + got.Count + "/" + rtc.Count);
            }
            try { File.Delete(rec); File.Delete(wav); } catch { }
        }

        public static async Task SyncContextAndDisposeFromPcmSink()
        {
            var ctx = new Handlers.RecordingContext();
            int routes0 = CloudCCClient.PcmRouteCount;
            var a = new Agent("090008", RtcAgent, "919191Aa.", null, o => { o.EventContext = ctx; o.RequestTimeout = TimeSpan.FromSeconds(8); });
            var threads = new ConcurrentQueue<int>();
            a.C.RtcRegistrationChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            a.C.RtcCallChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            a.C.ConnectivityChanged += (s, e) => threads.Enqueue(Thread.CurrentThread.ManagedThreadId);
            // As in the README: tap the call from its "answered" event (media calls are fine from a handler).
            int early = 0;
            var sinkSet = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            a.C.RtcCallChanged += (s, e) =>
            {
                if (e.State != "answered") return;
                try { a.C.SetPcmSink(f => Interlocked.Increment(ref early), 8000, e.Uuid); sinkSet.TrySetResult(null); }
                catch (Exception ex) { sinkSet.TrySetResult(ex); }
            };
            await a.C.CheckinAsync(a.Password, AgentStatus.Free);
            int fReg = 0, fCall = 0, fCallin = 0;
            T.Check(a.R.Wait<RtcRegistrationChangedEventArgs>(x => x.State == "registered", ref fReg, 10000) != null, "registered");
            string uuid = Sim.Inbound("090008", a.Id);
            T.Check(a.R.Wait<CallinEventArgs>(x => x.Uuid == uuid, ref fCallin, 10000) != null, "callin");
            await a.C.AnswerAsync(uuid);
            T.Check(a.R.Wait<RtcCallChangedEventArgs>(x => x.Uuid == uuid && (x.State == "answered" || x.State == "confirmed"), ref fCall, 10000) != null, "answered");
            var ids = threads.ToArray();
            T.Check(ids.Length >= 2 && ids.All(t => t == ctx.Thread.ManagedThreadId), "RTC events raised on the context's thread: " + ids.Length);
            T.Check(sinkSet.Task.Wait(10000) && sinkSet.Task.Result == null, "SetPcmSink from the answered handler: " + (sinkSet.Task.IsCompleted ? sinkSet.Task.Result?.Message : "not called"));
            T.Check(await Until(() => Volatile.Read(ref early) > 0), "frames reach the sink set from the handler");

            // Disposing from inside the sink (a media thread, where cc_client_free must not run) neither deadlocks nor delivers more frames.
            int calls = 0, after = 0;
            a.C.SetPcmSink(f =>
            {
                if (Interlocked.Increment(ref calls) == 1) a.C.Dispose();
                else Interlocked.Increment(ref after);
            }, 8000);
            T.Check(await Until(() => a.C.IsDisposed), "disposed from the PCM sink");
            T.Check(await Until(() => CloudCCClient.PcmRouteCount == routes0), "the background free dropped the sink's route: " + CloudCCClient.PcmRouteCount + " want " + routes0);
            T.Equal(0, Volatile.Read(ref after), "no frame after dispose");
            T.Throws<ObjectDisposedException>(() => Sync(() => a.C.StopPlay()), "media after dispose");
            ctx.Stop();
        }

        public static async Task UnsupportedInSoftphoneMode()
        {
            using (var a = Agent.A().In())
            {
                int routes0 = CloudCCClient.PcmRouteCount;
                var e = T.Throws<UnsupportedException>(() => Sync(() => a.C.PlayTone(440)), "play_tone outside RTC mode");
                T.Check(e != null && e.Code == "-8" && e.Status == Status.Unsupported, "unsupported code " + e?.RawJson);
                string wav = WriteToneWav(440, 8000, 0.1);
                T.Throws<UnsupportedException>(() => Sync(() => a.C.PlayWav(wav)), "play_wav");
                File.Delete(wav);
                T.Throws<UnsupportedException>(() => Sync(() => a.C.StopPlay()), "stop_play");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.RecordWav("/tmp/x.wav")), "record_wav");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.StopRecord()), "stop_record");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.CallStats()), "stats");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.RtcCalls()), "calls");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.PushPcm(new short[160])), "push_pcm");
                T.Throws<UnsupportedException>(() => Sync(() => a.C.SetPcmSink(f => { })), "set_pcm_sink");
                T.Equal(routes0, CloudCCClient.PcmRouteCount, "a refused sink leaves no route");
                T.Throws<ArgumentNullException>(() => Sync(() => a.C.PushPcm((short[])null)), "null samples");
                T.Throws<ArgumentNullException>(() => Sync(() => a.C.PlayWav(null)), "null path");
                await a.C.CheckoutAsync();
                a.C.Dispose();
                T.Throws<ObjectDisposedException>(() => Sync(() => a.C.PlayTone(440)), "after dispose");
            }
        }
    }
}
