using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace CloudCC
{
    // RTC mode (cloudcc.h, "RTC mode"): when check-in answers login_type "1", the client is also the agent's phone and
    // carries the calls' audio. These members feed and tap that audio. They act on the phone, not on the CTI link, so
    // they answer at once (no Task). "uuid" is the CTI call uuid; null or "" means the agent's current call.
    // Outside RTC mode they throw UnsupportedException; an unknown call or a bad parameter is CloudCCArgumentException.
    public sealed partial class CloudCCClient
    {
        // The PCM trampoline: static, so it is rooted for the life of the process.
        private static readonly Native.PcmFn s_pcmFn = OnNativePcm;

        // user_data of PCM sinks: the id of a sink, which reaches its client through a weak reference.
        private static readonly ConcurrentDictionary<long, WeakReference<CloudCCClient>> s_pcmRoutes =
            new ConcurrentDictionary<long, WeakReference<CloudCCClient>>();

        // True on a media thread while it runs a PCM sink (Dispose must not free the native client there).
        [ThreadStatic] private static bool t_inPcmSink;

        /// <summary>Sends a WAV file (PCM16, any rate and channel count) into the call, instead of its current source.</summary>
        /// <param name="path">The WAV file, read by the library.</param>
        /// <param name="uuid">The call; null for the current call.</param>
        /// <param name="loop">Starts over at the end instead of falling silent.</param>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call, or the file cannot be played.</exception>
        public void PlayWav(string path, string uuid = null, bool loop = false)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            var p = MediaParams(uuid);
            p["path"] = path;
            p["loop"] = loop;
            Media("play_wav", p);
        }

        /// <summary>Sends a sine tone of <paramref name="hz"/> into the call, instead of its current source.</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call, or <paramref name="hz"/> is not positive.</exception>
        public void PlayTone(double hz, string uuid = null)
        {
            if (double.IsNaN(hz) || double.IsInfinity(hz)) throw new ArgumentOutOfRangeException(nameof(hz), "hz must be finite");
            var p = MediaParams(uuid);
            p["hz"] = hz;
            Media("play_tone", p);
        }

        /// <summary>Stops <see cref="PlayWav"/>, <see cref="PlayTone"/> or pushed audio: the call then sends silence.</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call.</exception>
        public void StopPlay(string uuid = null) => Media("stop_play", MediaParams(uuid));

        /// <summary>Records the call's received audio (what the agent hears) to a WAV file, 8 kHz mono PCM16; the file is finished by <see cref="StopRecord"/> or when the call ends (before its <see cref="RtcCallChanged"/> "ended" event).</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call, or the file cannot be created.</exception>
        public void RecordWav(string path, string uuid = null)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            var p = MediaParams(uuid);
            p["path"] = path;
            Media("record_wav", p);
        }

        /// <summary>Finishes the call's WAV recording (see <see cref="RecordWav"/>).</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call.</exception>
        public void StopRecord(string uuid = null) => Media("stop_record", MediaParams(uuid));

        /// <summary>The call's media quality now: round trip, jitter, loss, bit rates, MOS, packet counts.</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call.</exception>
        public CallStats CallStats(string uuid = null)
        {
            var reply = Media("stats", MediaParams(uuid));
            var s = JsonFields.Obj(reply, "stats") ?? new Dictionary<string, object>();
            return new CallStats(s, Json.Serialize(s));
        }

        /// <summary>The CTI uuids of the phone's calls (empty when there is none).</summary>
        /// <exception cref="UnsupportedException">Not in RTC mode (also before check-in).</exception>
        public string[] RtcCalls()
        {
            var reply = Media("calls", null);
            var list = JsonFields.StrList(reply, "calls");
            var r = new string[list.Count];
            for (int i = 0; i < r.Length; i++) r[i] = list[i];
            return r;
        }

        /// <summary>Sends microphone audio into the call: mono 16-bit <paramref name="samples"/> at <paramref name="rate"/> Hz (resampled as needed; copied before it returns).</summary>
        /// <remarks>The first push makes pushed audio the call's source. Push in real time, e.g. 20 ms at a time: the library keeps a short buffer and drops the oldest audio when it overflows.</remarks>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call, or a bad rate.</exception>
        public void PushPcm(short[] samples, int rate = 8000, string uuid = null)
        {
            if (samples == null) throw new ArgumentNullException(nameof(samples));
            PushPcm(new ArraySegment<short>(samples), rate, uuid);
        }

        /// <summary>Sends part of a buffer as microphone audio into the call; as <see cref="PushPcm(short[], int, string)"/>.</summary>
        public unsafe void PushPcm(ArraySegment<short> samples, int rate = 8000, string uuid = null)
        {
            if (samples.Array == null) throw new ArgumentNullException(nameof(samples));
            ThrowIfDisposed();
            int st;
            fixed (short* p = samples.Array)
            {
                short* start = samples.Count == 0 ? null : p + samples.Offset;
                st = Native.cc_client_push_pcm(_handle.DangerousGetHandle(), Native.Utf8(uuid), start, new UIntPtr((uint)samples.Count), rate);
            }
            GC.KeepAlive(this);
            if (st != 0) throw Errors.FromStatus(st, null);
        }

        /// <summary>Sets the sink that receives the call's received audio (what the agent would hear) at <paramref name="rate"/> Hz, about 20 ms per frame; null removes it. One sink per call: setting another replaces it.</summary>
        /// <remarks>
        /// The sink runs on a media thread of the library, not the event thread and not <see cref="ClientOptions.EventContext"/>:
        /// keep it short (copy or queue the frame). An exception it throws is caught and reported through
        /// <see cref="HandlerError"/> (raised on that media thread, with a null <see cref="HandlerErrorEventArgs.Event"/>).
        /// After <see cref="Dispose"/> returns no frame is delivered. The sink of a call goes away when the call ends.
        /// </remarks>
        /// <param name="sink">Receives each frame (its samples are a copy it may keep); null removes the call's sink.</param>
        /// <param name="rate">The sample rate wanted, 8000..192000 Hz.</param>
        /// <param name="uuid">The call; null for the current call.</param>
        /// <exception cref="UnsupportedException">Not in RTC mode.</exception>
        /// <exception cref="CloudCCArgumentException">No such call, or a bad rate.</exception>
        public void SetPcmSink(Action<PcmFrameEventArgs> sink, int rate = 8000, string uuid = null)
        {
            ThrowIfDisposed();
            string key = uuid ?? "";
            lock (_pcm)
            {
                // Serialized per client, so the native sink and the table agree.
                int st;
                if (sink == null)
                {
                    st = Native.cc_client_set_pcm_sink(_handle.DangerousGetHandle(), Native.Utf8(uuid), rate, null, IntPtr.Zero);
                    GC.KeepAlive(this);
                    if (st != 0) throw Errors.FromStatus(st, null);
                    _pcm.Forget(key);
                    return;
                }
                long id = Interlocked.Increment(ref s_nextId);
                _pcm.Add(id, sink);
                s_pcmRoutes[id] = new WeakReference<CloudCCClient>(this);
                try
                {
                    st = Native.cc_client_set_pcm_sink(_handle.DangerousGetHandle(), Native.Utf8(uuid), rate, s_pcmFn, new IntPtr(id));
                }
                catch
                {
                    _pcm.Remove(id);
                    throw;
                }
                GC.KeepAlive(this);
                if (st != 0)
                {
                    _pcm.Remove(id);
                    throw Errors.FromStatus(st, null);
                }
                _pcm.Bind(key, id); // a frame of the replaced sink still on its way finds nothing
            }
        }

        private static Dictionary<string, object> MediaParams(string uuid)
        {
            var p = new Dictionary<string, object>();
            if (!string.IsNullOrEmpty(uuid)) p["uuid"] = uuid;
            return p;
        }

        /// <summary>Calls cc_client_media and returns the parsed reply, or throws the status's exception.</summary>
        private Dictionary<string, object> Media(string name, Dictionary<string, object> p) => Media(name, p, out _);

        /// <summary>Tests only: stands in for cc_client_media, (name, params JSON) → (status, reply JSON).</summary>
        internal Func<string, string, KeyValuePair<int, string>> MediaTransport;

        /// <summary>Calls cc_client_media and returns the parsed reply and its text, or throws the status's exception.</summary>
        private Dictionary<string, object> Media(string name, Dictionary<string, object> p, out string text)
        {
            ThrowIfDisposed();
            int st;
            Func<string, string, KeyValuePair<int, string>> transport = MediaTransport;
            if (transport != null)
            {
                KeyValuePair<int, string> r = transport(name, p == null ? null : Json.Serialize(p));
                st = r.Key;
                text = r.Value;
            }
            else
            {
                st = Native.cc_client_media(_handle.DangerousGetHandle(), Native.Utf8(name), p == null ? null : Native.Utf8(Json.Serialize(p)), out IntPtr rep);
                text = Native.TakeString(rep);
                GC.KeepAlive(this);
            }
            if (st != 0) throw Errors.FromStatus(st, text);
            try
            {
                return Json.ParseObject(text);
            }
            catch (FormatException e)
            {
                throw new CloudCCException(CloudCC.Status.Internal, "-99", "unparseable media reply: " + e.Message, text, e);
            }
        }

        private static void OnNativePcm(IntPtr userData, IntPtr uuid, IntPtr samples, UIntPtr count, int rate)
        {
            CloudCCClient c = null;
            try
            {
                MarkBackground();
                long id = userData.ToInt64();
                if (!s_pcmRoutes.TryGetValue(id, out WeakReference<CloudCCClient> w) || !w.TryGetTarget(out c) || c.IsDisposed) return;
                Action<PcmFrameEventArgs> sink = c._pcm.Get(id);
                if (sink == null) return;
                ulong n = count.ToUInt64();
                if (n > int.MaxValue) return;
                var copy = new short[(int)n];
                if (n > 0 && samples != IntPtr.Zero) Marshal.Copy(samples, copy, 0, (int)n); // lent only for this call
                var frame = new PcmFrameEventArgs(Native.FromUtf8(uuid), copy, rate);
                t_inPcmSink = true;
                try
                {
                    sink(frame);
                }
                finally
                {
                    t_inPcmSink = false;
                }
            }
            catch (Exception e)
            {
                // Never let an exception cross into native code.
                try { c?.ReportHandlerError(e, null); } catch { }
            }
        }

        /// <summary>A client's PCM sinks: id → sink (the trampoline's user_data) and call → id. Shared with the
        /// <see cref="ClientHandle"/>, which clears the routes once the native client is freed.</summary>
        internal sealed class PcmRegistry
        {
            private readonly ConcurrentDictionary<long, Action<PcmFrameEventArgs>> _byId = new ConcurrentDictionary<long, Action<PcmFrameEventArgs>>();
            private readonly Dictionary<string, long> _byKey = new Dictionary<string, long>();

            public Action<PcmFrameEventArgs> Get(long id) => _byId.TryGetValue(id, out Action<PcmFrameEventArgs> a) ? a : null;

            public void Add(long id, Action<PcmFrameEventArgs> sink) => _byId[id] = sink;

            public void Remove(long id)
            {
                _byId.TryRemove(id, out _);
                s_pcmRoutes.TryRemove(id, out _);
            }

            /// <summary>Makes <paramref name="id"/> the sink of <paramref name="key"/>, dropping the one it replaces.</summary>
            public void Bind(string key, long id)
            {
                long old;
                lock (_byKey)
                {
                    if (!_byKey.TryGetValue(key, out old)) old = 0;
                    _byKey[key] = id;
                }
                if (old != 0 && old != id) Remove(old);
            }

            /// <summary>Drops the sink of <paramref name="key"/> (removed, or its call ended).</summary>
            public void Forget(string key)
            {
                long old;
                lock (_byKey)
                {
                    if (!_byKey.TryGetValue(key, out old)) return;
                    _byKey.Remove(key);
                }
                Remove(old);
            }

            /// <summary>Drops every sink (the native client is freed: no frame can arrive).</summary>
            public void Clear()
            {
                lock (_byKey) _byKey.Clear();
                foreach (long id in _byId.Keys) Remove(id);
            }

            /// <summary>How many sinks are registered (for tests).</summary>
            public int Count => _byId.Count;
        }

        /// <summary>How many PCM sinks may still be called back, over all clients (for tests).</summary>
        internal static int PcmRouteCount => s_pcmRoutes.Count;
    }
}
