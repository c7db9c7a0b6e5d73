using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace CloudCC
{
    /// <summary>One agent of the CloudCC platform: its CTI session (requests as Task-returning methods), the SDK HTTP calls, and the events the platform and the SDK push. Dispose it when done (it does not check out: call <see cref="CheckoutAsync"/> first).</summary>
    /// <remarks>
    /// Every member may be called from any thread, also from inside an event handler (a handler may await a request or dispose the client).
    /// Events of one client are raised one at a time, in order, on the SDK's event thread, or through <see cref="ClientOptions.EventContext"/>.
    /// A handler that throws does not stop delivery: the exception goes to <see cref="HandlerError"/>.
    /// A client that is never disposed is freed when collected; keep a reference for as long as you want its events.
    /// </remarks>
    public sealed partial class CloudCCClient : IDisposable
    {
        // Native trampolines: static, so they are rooted for the life of the process (the library may call them any time).
        private static readonly Native.EventFn s_eventFn = OnNativeEvent;
        private static readonly Native.ReplyFn s_replyFn = OnNativeReply;

        // user_data of events: the id of a sink, which reaches the client through a weak reference (so an undisposed client can be collected).
        private static readonly ConcurrentDictionary<long, EventSink> s_sinks = new ConcurrentDictionary<long, EventSink>();
        // user_data of async replies: the id of a pending request; removed by whichever of reply and cancellation comes first.
        private static readonly ConcurrentDictionary<long, Pending> s_pending = new ConcurrentDictionary<long, Pending>();
        private static long s_nextId;

        private readonly ClientHandle _handle;

        /// <summary>The native cc_client_t*, for the bench's raw P/Invoke comparison (same session, no binding code).</summary>
        internal IntPtr NativeHandle => _handle.DangerousGetHandle();
        private readonly PcmRegistry _pcm = new PcmRegistry();
        private readonly SynchronizationContext _eventContext;
        private int _disposed;
        private long _handlerErrorCount;
        private Exception _lastHandlerError;

        /// <summary>Makes a client from <paramref name="options"/> without touching the network (the first request connects); throws <see cref="CloudCCArgumentException"/> for a bad config.</summary>
        public CloudCCClient(ClientOptions options)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            if (string.IsNullOrEmpty(options.WsUrl)) throw new ArgumentException("ClientOptions.WsUrl is required", nameof(options));
            _eventContext = options.EventContext;
            int st = Native.cc_client_new(Native.Utf8(options.ToConfigJson()), out IntPtr h, out IntPtr err);
            string errJson = Native.TakeString(err);
            if (st != 0) throw Errors.FromStatus(st, errJson);
            long id = Interlocked.Increment(ref s_nextId);
            s_sinks[id] = new EventSink(this);
            _handle = new ClientHandle(h, id, _pcm);
            st = Native.cc_client_set_event_callback(h, s_eventFn, new IntPtr(id));
            if (st != 0)
            {
                Dispose();
                throw Errors.FromStatus(st, null);
            }
        }

        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version => Native.FromUtf8(Native.cc_version());

        /// <summary>The short English name of a native status ("CC_ERR_TIMEOUT"); "CC_ERR_UNKNOWN" for an unknown value.</summary>
        public static string StatusName(int status) => Native.FromUtf8(Native.cc_status_str(status));

        /// <summary>Every event, before its typed event below (the same arguments object).</summary>
        public event EventHandler<CloudCCEventArgs> EventReceived;

        /// <summary>A phase of an operation the agent started (callback).</summary>
        public event EventHandler<CallbackEventArgs> Callback;

        /// <summary>An inbound call ringing at the agent (callin).</summary>
        public event EventHandler<CallinEventArgs> Callin;

        /// <summary>An agent status change: the spec's agent_change push and the platform's change_status push alike (agent_change).</summary>
        public event EventHandler<AgentChangeEventArgs> AgentChange;

        /// <summary>Another device checked in as this agent (kick_off): this session is no longer the agent's.</summary>
        public event EventHandler<KickOffEventArgs> KickOff;

        /// <summary>The platform server greeted a new link (connect); informational.</summary>
        public event EventHandler<ConnectedEventArgs> Connected;

        /// <summary>A server refusal that named no request and that no request in flight could take (server_refusal).</summary>
        public event EventHandler<ServerRefusalEventArgs> ServerRefusal;

        /// <summary>The link to the CTI server changed state (connection_state).</summary>
        public event EventHandler<ConnectionStateChangedEventArgs> ConnectionStateChanged;

        /// <summary>After a reconnect, the SDK checked the session back in (session_restored).</summary>
        public event EventHandler<SessionRestoredEventArgs> SessionRestored;

        /// <summary>The handlers fell behind and the oldest events were dropped (events_dropped); it comes before the first event after the gap.</summary>
        public event EventHandler<EventsDroppedEventArgs> EventsDropped;

        /// <summary>A log line of the SDK (log), at or above <see cref="ClientOptions.LogLevel"/>.</summary>
        public event EventHandler<LogEventArgs> Log;

        /// <summary>RTC mode: the phone's SIP registration changed (rtc_registration): registering, registered, failed, unregistered.</summary>
        public event EventHandler<RtcRegistrationChangedEventArgs> RtcRegistrationChanged;

        /// <summary>RTC mode: a call of the phone changed state (rtc_call): ringing, answered, confirmed, held, ended, ...</summary>
        public event EventHandler<RtcCallChangedEventArgs> RtcCallChanged;

        /// <summary>RTC mode: the joined view of the CTI link, the SIP link and registration, and each call's media changed (connectivity): ok, degraded, down.</summary>
        public event EventHandler<ConnectivityChangedEventArgs> ConnectivityChanged;

        /// <summary>RTC mode: the phone received a DTMF digit on a call (rtc_dtmf).</summary>
        public event EventHandler<RtcDtmfReceivedEventArgs> RtcDtmfReceived;

        /// <summary>RTC mode: a call's periodic media quality figures (rtc_stats).</summary>
        public event EventHandler<RtcStatsEventArgs> RtcStats;

        /// <summary>An event of a msg_type this binding does not know.</summary>
        public event EventHandler<UnknownEventArgs> UnknownEvent;

        /// <summary>An event handler threw (or an event could not be parsed); delivery went on. Exceptions thrown here are swallowed.</summary>
        public event EventHandler<HandlerErrorEventArgs> HandlerError;

        /// <summary>How many handler exceptions were caught so far.</summary>
        public long HandlerErrorCount => Interlocked.Read(ref _handlerErrorCount);

        /// <summary>The last exception a handler threw, or null.</summary>
        public Exception LastHandlerError => Volatile.Read(ref _lastHandlerError);

        /// <summary>True once <see cref="Dispose"/> was called.</summary>
        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        /// <summary>Closes the client: the link closes (no check-out), pending requests fail with <see cref="ClientClosedException"/>, and no event is raised after it returns (except the one whose handler calls it). Safe to call twice and from a handler. Called from a PCM sink, the native free finishes in the background (no frame reaches the sink after it returns either way).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            if (!t_inPcmSink) _handle.FreeOnThisThread(); // a PCM sink must not free: the free then runs in the background
            _handle.Dispose();
        }

        /// <summary>Sends a request given as a JSON object with "msg_type" (one of the spec's 24) and returns its reply; throws <see cref="ServerException"/> when the server refuses, and the <see cref="CloudCCException"/> of the status otherwise.</summary>
        /// <param name="requestJson">The request; empty header fields (req_id, company_code, agent_id, ext_id, os) are filled.</param>
        /// <param name="timeout">The reply timeout; null uses <see cref="ClientOptions.RequestTimeout"/>.</param>
        /// <param name="cancellationToken">Cancels the wait: the task completes as cancelled and a late reply is dropped (the request itself may still take effect).</param>
        public Task<Reply> RequestAsync(string requestJson, TimeSpan? timeout = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (requestJson == null) throw new ArgumentNullException(nameof(requestJson));
            return SendAsync(null, requestJson, Native.Millis(timeout), cancellationToken);
        }

        /// <summary>Sends a request given as a dictionary (serialized with <see cref="Json.Serialize"/>; the caller keeps it) and returns its reply; as <see cref="RequestAsync(string, TimeSpan?, CancellationToken)"/>.</summary>
        public Task<Reply> RequestAsync(IDictionary<string, object> request, TimeSpan? timeout = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            return SendAsync(null, Json.Serialize(request), Native.Millis(timeout), cancellationToken);
        }

        /// <summary>Sends a request and blocks until its reply (cc_client_request); errors as <see cref="RequestAsync(string, TimeSpan?, CancellationToken)"/>.</summary>
        public Reply Request(string requestJson, TimeSpan? timeout = null)
        {
            if (requestJson == null) throw new ArgumentNullException(nameof(requestJson));
            ThrowIfDisposed();
            int st = Native.cc_client_request(_handle.DangerousGetHandle(), Native.Utf8(requestJson), Native.Millis(timeout), out IntPtr rep);
            string text = Native.TakeString(rep);
            GC.KeepAlive(this);
            return Complete(st, text, null);
        }

        private void ThrowIfDisposed()
        {
            if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(CloudCCClient));
        }

        /// <summary>Submits a request through cc_client_request_async; the task completes on a thread-pool thread.</summary>
        private Task<Reply> SendAsync(string requestType, string json, int timeoutMs, CancellationToken ct)
        {
            ThrowIfDisposed();
            if (ct.IsCancellationRequested)
            {
                var cancelled = new TaskCompletionSource<Reply>();
                cancelled.SetCanceled();
                return cancelled.Task;
            }
            long id = Interlocked.Increment(ref s_nextId);
            var p = new Pending(requestType, ct);
            s_pending[id] = p;
            if (ct.CanBeCanceled) p.SetRegistration(ct.Register(s_cancel, id));
            int st;
            try
            {
                st = Native.cc_client_request_async(_handle.DangerousGetHandle(), Native.Utf8(json), timeoutMs, s_replyFn, new IntPtr(id));
            }
            catch (Exception e)
            {
                if (s_pending.TryRemove(id, out _)) { p.DisposeRegistration(); p.Tcs.TrySetException(e); }
                return p.Tcs.Task;
            }
            GC.KeepAlive(this);
            if (st != 0 && s_pending.TryRemove(id, out _))
            {
                // Refused at once: the library will not call back.
                p.DisposeRegistration();
                p.Tcs.TrySetException(Errors.FromStatus(st, null));
            }
            return p.Tcs.Task;
        }

        private static readonly Action<object> s_cancel = state =>
        {
            if (s_pending.TryRemove((long)state, out Pending p)) p.Tcs.TrySetCanceled();
        };

        /// <summary>Turns a status and reply JSON into a reply or the exception they stand for.</summary>
        private static Reply Complete(int status, string json, string requestType)
        {
            if (status != 0) throw Errors.FromStatus(status, json);
            Reply r;
            try
            {
                // One parse: the reply's fields serve its typed reply too.
                r = Reply.Create(json, Json.ParseObject(json), requestType);
            }
            catch (FormatException e)
            {
                throw new CloudCCException(CloudCC.Status.Internal, "-99", "unparseable reply: " + e.Message, json, e);
            }
            if (!r.IsSuccess) throw Errors.FromRefusal(r);
            return r;
        }

        [ThreadStatic] private static bool t_markedBackground;

        /// <summary>Marks a library thread that calls into managed code as a background thread: Mono attaches such
        /// threads as foreground ones and would wait for them (forever) at process exit.</summary>
        private static void MarkBackground()
        {
            if (t_markedBackground) return;
            t_markedBackground = true;
            try { Thread.CurrentThread.IsBackground = true; } catch { }
        }

        private static void OnNativeReply(IntPtr userData, int status, IntPtr replyJson)
        {
            Pending p = null;
            try
            {
                MarkBackground();
                if (!s_pending.TryRemove(userData.ToInt64(), out p)) return; // cancelled: the late reply is dropped
                p.DisposeRegistration();
                string text = Native.FromUtf8(replyJson);
                p.Tcs.TrySetResult(Complete(status, text, p.RequestType));
            }
            catch (Exception e)
            {
                // Never let an exception cross into native code.
                if (p != null) p.Tcs.TrySetException(e);
            }
        }

        private static void OnNativeEvent(IntPtr userData, IntPtr eventJson)
        {
            try
            {
                MarkBackground();
                if (!s_sinks.TryGetValue(userData.ToInt64(), out EventSink sink)) return;
                sink.Deliver(Native.FromUtf8(eventJson));
            }
            catch
            {
                // Never let an exception cross into native code (Deliver already reports handler faults).
            }
        }

        /// <summary>Drops a sink once the native client is freed (called by <see cref="ClientHandle"/>).</summary>
        internal static void UnregisterSink(long id) => s_sinks.TryRemove(id, out _);

        /// <summary>How many async requests are pending (for tests: back to zero when idle).</summary>
        internal static int PendingCount => s_pending.Count;

        /// <summary>How many native clients may still call back (for tests: one per live client).</summary>
        internal static int SinkCount => s_sinks.Count;

        /// <summary>Parses and raises one event (on the SDK thread, or posted to the event context).</summary>
        private void Dispatch(string json)
        {
            CloudCCEventArgs args;
            try
            {
                args = CloudCCEventArgs.Create(json);
            }
            catch (Exception e)
            {
                ReportHandlerError(new FormatException("unparseable event: " + e.Message + ": " + json, e), null);
                return;
            }
            var call = args as RtcCallChangedEventArgs;
            if (call != null && call.State == "ended" && !string.IsNullOrEmpty(call.Uuid)) _pcm.Forget(call.Uuid); // the library dropped that call's sink
            SynchronizationContext ctx = _eventContext;
            if (ctx == null)
            {
                Raise(args);
                return;
            }
            try
            {
                ctx.Post(s_raisePosted, Tuple.Create(this, args));
            }
            catch (Exception e)
            {
                ReportHandlerError(e, args);
            }
        }

        private static readonly SendOrPostCallback s_raisePosted = state =>
        {
            var t = (Tuple<CloudCCClient, CloudCCEventArgs>)state;
            if (t.Item1.IsDisposed) return; // posted before Dispose, run after: dropped
            t.Item1.Raise(t.Item2);
        };

        private void Raise(CloudCCEventArgs args)
        {
            Invoke(EventReceived, args);
            var cb = args as CallbackEventArgs;
            if (cb != null) { Invoke(Callback, cb); return; }
            var ci = args as CallinEventArgs;
            if (ci != null) { Invoke(Callin, ci); return; }
            var ac = args as AgentChangeEventArgs;
            if (ac != null) { Invoke(AgentChange, ac); return; }
            var ko = args as KickOffEventArgs;
            if (ko != null) { Invoke(KickOff, ko); return; }
            var cg = args as ConnectedEventArgs;
            if (cg != null) { Invoke(Connected, cg); return; }
            var sf = args as ServerRefusalEventArgs;
            if (sf != null) { Invoke(ServerRefusal, sf); return; }
            var cs = args as ConnectionStateChangedEventArgs;
            if (cs != null) { Invoke(ConnectionStateChanged, cs); return; }
            var sr = args as SessionRestoredEventArgs;
            if (sr != null) { Invoke(SessionRestored, sr); return; }
            var ed = args as EventsDroppedEventArgs;
            if (ed != null) { Invoke(EventsDropped, ed); return; }
            var lg = args as LogEventArgs;
            if (lg != null) { Invoke(Log, lg); return; }
            var rr = args as RtcRegistrationChangedEventArgs;
            if (rr != null) { Invoke(RtcRegistrationChanged, rr); return; }
            var rc = args as RtcCallChangedEventArgs;
            if (rc != null) { Invoke(RtcCallChanged, rc); return; }
            var cn = args as ConnectivityChangedEventArgs;
            if (cn != null) { Invoke(ConnectivityChanged, cn); return; }
            var rd = args as RtcDtmfReceivedEventArgs;
            if (rd != null) { Invoke(RtcDtmfReceived, rd); return; }
            var rs = args as RtcStatsEventArgs;
            if (rs != null) { Invoke(RtcStats, rs); return; }
            if (RaiseAudio(args)) return;
            var un = args as UnknownEventArgs;
            if (un != null) Invoke(UnknownEvent, un);
        }

        /// <summary>Calls each handler of <paramref name="handlers"/> in turn; one that throws is reported and the next still runs.</summary>
        private void Invoke<T>(EventHandler<T> handlers, T args) where T : CloudCCEventArgs
        {
            if (handlers == null) return;
            foreach (Delegate d in handlers.GetInvocationList())
            {
                try
                {
                    ((EventHandler<T>)d)(this, args);
                }
                catch (Exception e)
                {
                    ReportHandlerError(e, args);
                }
            }
        }

        private void ReportHandlerError(Exception e, CloudCCEventArgs args)
        {
            Interlocked.Increment(ref _handlerErrorCount);
            Volatile.Write(ref _lastHandlerError, e);
            EventHandler<HandlerErrorEventArgs> h = HandlerError;
            if (h == null) return;
            var ea = new HandlerErrorEventArgs(e, args);
            foreach (Delegate d in h.GetInvocationList())
            {
                try { ((EventHandler<HandlerErrorEventArgs>)d)(this, ea); }
                catch { /* a faulty error handler must not stop delivery either */ }
            }
        }

        /// <summary>What an event's user_data stands for: a weak link to the client, so the client stays collectable.</summary>
        private sealed class EventSink
        {
            private readonly WeakReference<CloudCCClient> _client;

            public EventSink(CloudCCClient client) { _client = new WeakReference<CloudCCClient>(client); }

            public void Deliver(string json)
            {
                if (_client.TryGetTarget(out CloudCCClient c) && !c.IsDisposed) c.Dispatch(json);
            }
        }

        /// <summary>An async request in flight.</summary>
        private sealed class Pending
        {
            private CancellationTokenRegistration _registration;
            private int _registered;

            public Pending(string requestType, CancellationToken ct)
            {
                RequestType = requestType;
                Tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            public readonly string RequestType;
            public readonly TaskCompletionSource<Reply> Tcs;

            public void SetRegistration(CancellationTokenRegistration r)
            {
                _registration = r;
                if (Interlocked.Exchange(ref _registered, 1) == 2) r.Dispose(); // completed meanwhile
            }

            public void DisposeRegistration()
            {
                if (Interlocked.Exchange(ref _registered, 2) == 1) _registration.Dispose();
            }
        }
    }
}
