using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace CloudCC
{
    /// <summary>The P/Invoke declarations of cloudcc.h, in one place. Strings cross as UTF-8 byte arrays and come back as IntPtr freed with cc_string_free.</summary>
    internal static class Native
    {
        /// <summary>The library name: libcloudcc.so / libcloudcc.dylib / cloudcc.dll.</summary>
        public const string Lib = "cloudcc";

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void EventFn(IntPtr userData, IntPtr eventJson);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void ReplyFn(IntPtr userData, int status, IntPtr replyJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr cc_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr cc_status_str(int status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_new(byte[] configJson, out IntPtr client, out IntPtr errJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void cc_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_set_event_callback(IntPtr client, EventFn fn, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_request(IntPtr client, byte[] requestJson, int timeoutMs, out IntPtr replyJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_request_async(IntPtr client, byte[] requestJson, int timeoutMs, ReplyFn fn, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_http(IntPtr client, byte[] name, byte[] paramsJson, int timeoutMs, out IntPtr replyJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void cc_string_free(IntPtr s);

        /// <summary>cc_pcm_fn: a call's received audio, on a media thread; uuid and samples are only lent for the call.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void PcmFn(IntPtr userData, IntPtr uuid, IntPtr samples, UIntPtr count, int rate);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_media(IntPtr client, byte[] name, byte[] paramsJson, out IntPtr replyJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern unsafe int cc_client_push_pcm(IntPtr client, byte[] uuid, short* samples, UIntPtr count, int rate);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int cc_client_set_pcm_sink(IntPtr client, byte[] uuid, int rate, PcmFn fn, IntPtr userData);

        /// <summary>NUL-terminated UTF-8 bytes of <paramref name="s"/> (null stays null).</summary>
        public static byte[] Utf8(string s)
        {
            if (s == null) return null;
            int n = Encoding.UTF8.GetByteCount(s);
            var b = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
            return b;
        }

        /// <summary>Reads a NUL-terminated UTF-8 string the library owns (not freed here).</summary>
        public static unsafe string FromUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            byte* s = (byte*)p;
            int n = 0;
            while (s[n] != 0) n++;
            return Encoding.UTF8.GetString(s, n);
        }

        /// <summary>Reads a string the library returned to the caller and frees it with cc_string_free.</summary>
        public static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try { return FromUtf8(p); }
            finally { cc_string_free(p); }
        }

        /// <summary>Converts a timeout to the ABI's milliseconds (null or non-positive: 0, the configured default).</summary>
        public static int Millis(TimeSpan? t)
        {
            if (t == null || t.Value <= TimeSpan.Zero) return 0;
            double ms = Math.Ceiling(t.Value.TotalMilliseconds);
            return ms >= int.MaxValue ? int.MaxValue : (int)ms;
        }
    }

    /// <summary>Owns one native <c>cc_client_t*</c>; releasing it calls <c>cc_client_free</c>.</summary>
    /// <remarks>
    /// Released by <see cref="CloudCCClient.Dispose"/>, the free runs on the disposing thread (it may be an event handler:
    /// the library allows that), except from inside a PCM sink (cc_pcm_fn must not call cc_client_free), where it runs
    /// on a short-lived background thread as for the finalizer. Released by the finalizer (the client was never disposed), the free is handed to a
    /// short-lived background thread, because cc_client_free waits for running callbacks and a callback may itself be
    /// waiting for finalizers (GC.WaitForPendingFinalizers); the client's event sink stays registered (and so the
    /// user_data it stands for stays valid) until cc_client_free has returned and no callback can run any more.
    /// </remarks>
    internal sealed class ClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private long _sinkId;
        private int _synchronous;
        private CloudCCClient.PcmRegistry _pcm;

        /// <summary>Makes an empty handle; the P/Invoke layer fills it.</summary>
        public ClientHandle() : base(true) { }

        /// <summary>Takes ownership of <paramref name="client"/>, whose events go to the sink registered as <paramref name="sinkId"/>.</summary>
        public ClientHandle(IntPtr client, long sinkId, CloudCCClient.PcmRegistry pcm) : base(true)
        {
            SetHandle(client);
            _sinkId = sinkId;
            _pcm = pcm;
        }

        /// <summary>Asks the next release to free on the calling thread (Dispose) rather than in the background (finalizer).</summary>
        public void FreeOnThisThread() => Interlocked.Exchange(ref _synchronous, 1);

        /// <summary>Frees the native client (see the class remarks for which thread does it).</summary>
        protected override bool ReleaseHandle()
        {
            IntPtr h = handle;
            long sink = _sinkId;
            CloudCCClient.PcmRegistry pcm = _pcm;
            if (Volatile.Read(ref _synchronous) != 0)
            {
                Free(h, sink, pcm);
                return true;
            }
            try
            {
                var t = new Thread(() => Free(h, sink, pcm)) { IsBackground = true, Name = "CloudCC free" };
                t.Start();
            }
            catch
            {
                // The runtime is shutting down: the process exit releases everything.
            }
            return true;
        }

        private static void Free(IntPtr h, long sink, CloudCCClient.PcmRegistry pcm)
        {
            try { Native.cc_client_free(h); }
            catch { /* never throw from a release */ }
            CloudCCClient.UnregisterSink(sink);
            pcm?.Clear(); // no PCM frame can arrive any more either
        }
    }
}
