using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CloudCC
{
    /// <summary>The native library's status codes (<c>cc_status</c> in cloudcc.h); 0 is success, SDK-side failures are negative.</summary>
    public enum Status
    {
        /// <summary>CC_OK: the call succeeded (for a request: the server answered, whatever its code).</summary>
        Ok = 0,
        /// <summary>CC_ERR_INVALID_ARGUMENT: bad JSON, unknown msg_type, bad config or a missing value.</summary>
        InvalidArgument = -1,
        /// <summary>CC_ERR_INVALID_HANDLE: the client handle is freed or foreign.</summary>
        InvalidHandle = -2,
        /// <summary>CC_ERR_TIMEOUT: no reply within the timeout.</summary>
        Timeout = -3,
        /// <summary>CC_ERR_NOT_CONNECTED: the link (or the HTTP server) could not be reached.</summary>
        NotConnected = -4,
        /// <summary>CC_ERR_CONNECTION_LOST: the link dropped after the request was sent; the outcome is unknown.</summary>
        ConnectionLost = -5,
        /// <summary>CC_ERR_CLOSED: the client was closed while the call was pending.</summary>
        Closed = -6,
        /// <summary>CC_ERR_HTTP: the HTTP interface answered with a non-2xx status.</summary>
        Http = -7,
        /// <summary>CC_ERR_UNSUPPORTED: not possible in this mode (e.g. mute without RTC media).</summary>
        Unsupported = -8,
        /// <summary>CC_ERR_TLS: the TLS handshake failed (the server's certificate was not verified, or it does not speak TLS).</summary>
        Tls = -9,
        /// <summary>CC_ERR_NOT_CHECKED_IN: the request needs the session token and there is none: check in (or get a token) first.</summary>
        NotCheckedIn = -10,
        /// <summary>CC_ERR_BUSY: async_max async requests are already in flight.</summary>
        Busy = -11,
        /// <summary>CC_ERR_INTERNAL: a fault inside the library, contained.</summary>
        Internal = -99,
    }

    /// <summary>An agent's status (坐席状态); values the SDK does not know parse as <see cref="Unknown"/> and keep their text beside.</summary>
    public enum AgentStatus
    {
        /// <summary>A value outside the spec's table (see the matching *Name property), or absent.</summary>
        Unknown = 0,
        /// <summary>OFFLINE: checked out.</summary>
        Offline,
        /// <summary>FREE: ready for calls.</summary>
        Free,
        /// <summary>BUSY: checked in, not taking calls.</summary>
        Busy,
        /// <summary>REST: on a break.</summary>
        Rest,
        /// <summary>RINGING: a call is ringing at the agent.</summary>
        Ringing,
        /// <summary>CALLING: on a call.</summary>
        Calling,
        /// <summary>ARRANGE: after-call work.</summary>
        Arrange,
    }

    /// <summary>An agent's in-call sub-status (坐席通话子状态).</summary>
    public enum SubStatus
    {
        /// <summary>A value outside the spec's table (see the matching *Name property). No sub-status at all is null.</summary>
        Unknown = 0,
        /// <summary>EAVESDROP.</summary>
        Eavesdrop,
        /// <summary>WHISPER.</summary>
        Whisper,
        /// <summary>TRANS.</summary>
        Trans,
        /// <summary>THREE_WAY.</summary>
        ThreeWay,
        /// <summary>FORCE_CALL.</summary>
        ForceCall,
        /// <summary>CONSULT.</summary>
        Consult,
        /// <summary>HOLD.</summary>
        Hold,
        /// <summary>PLAY_RECORD.</summary>
        PlayRecord,
    }

    /// <summary>A status transition, as change_status sends it (坐席状态迁移动作).</summary>
    public enum StatusAction
    {
        /// <summary>A value outside the spec's table (only ever parsed, never sent).</summary>
        Unknown = 0,
        /// <summary>CHECKIN.</summary>
        Checkin,
        /// <summary>CHECKOUT.</summary>
        Checkout,
        /// <summary>MAKE_BUSY.</summary>
        MakeBusy,
        /// <summary>MAKE_FREE.</summary>
        MakeFree,
        /// <summary>MAKE_REST (with an optional rest time in minutes).</summary>
        MakeRest,
        /// <summary>MAKE_ARRANGE.</summary>
        MakeArrange,
        /// <summary>MAKE_BUSY_AFTER_CALL_STOP: busy once after-call work ends.</summary>
        MakeBusyAfterCallStop,
        /// <summary>MAKE_FREE_AFTER_CALL_STOP: free once after-call work ends.</summary>
        MakeFreeAfterCallStop,
        /// <summary>MAKE_REST_AFTER_CALL_STOP: rest once after-call work ends.</summary>
        MakeRestAfterCallStop,
        /// <summary>CHECKOUT_AFTER_CALL_STOP: check out once after-call work ends.</summary>
        CheckoutAfterCallStop,
        /// <summary>FORCE_RESET (supervisors, on another agent).</summary>
        ForceReset,
        /// <summary>FORCE_CHECKOUT (supervisors, on another agent).</summary>
        ForceCheckout,
        /// <summary>FORCE_MAKE_FREE (supervisors, on another agent).</summary>
        ForceMakeFree,
        /// <summary>FORCE_MAKE_BUSY (supervisors, on another agent).</summary>
        ForceMakeBusy,
    }

    /// <summary>The operation a callback event reports on.</summary>
    public enum CallbackAction
    {
        /// <summary>A value outside the spec's table (see <see cref="CallbackEventArgs.ActionName"/>).</summary>
        Unknown = 0,
        /// <summary>CALL: an outbound call.</summary>
        Call,
        /// <summary>CONSULT.</summary>
        Consult,
        /// <summary>TRANS.</summary>
        Trans,
        /// <summary>CONSULT_TO_TRANS.</summary>
        ConsultToTrans,
        /// <summary>THREE_WAY.</summary>
        ThreeWay,
        /// <summary>EAVESDROP.</summary>
        Eavesdrop,
        /// <summary>WHISPER.</summary>
        Whisper,
        /// <summary>SUBSTITUTE.</summary>
        Substitute,
        /// <summary>FORCE_CALL.</summary>
        ForceCall,
        /// <summary>INTERRUPT_CALL.</summary>
        InterruptCall,
        /// <summary>CHANGE_MEDIA.</summary>
        ChangeMedia,
        /// <summary>EXT_UN_REG: the extension unregistered.</summary>
        ExtUnReg,
        /// <summary>PREVIEW_OUT_CALL.</summary>
        PreviewOutCall,
    }

    /// <summary>The stage a callback event reports.</summary>
    public enum CallPhase
    {
        /// <summary>A value outside the spec's table (see <see cref="CallbackEventArgs.PhaseName"/>).</summary>
        Unknown = 0,
        /// <summary>INITIATE: the operation started.</summary>
        Initiate,
        /// <summary>START_CALL: the other party answered.</summary>
        StartCall,
        /// <summary>END_CALL: the call ended (or never connected).</summary>
        EndCall,
    }

    /// <summary>How a call reached the agent (callin_channel); the platform never sends it empty.</summary>
    public enum CallinChannel
    {
        /// <summary>A value outside the spec's table (see <see cref="CallinEventArgs.ChannelName"/>).</summary>
        Unknown = 0,
        /// <summary>An ordinary inbound call (the field is empty or absent).</summary>
        Normal,
        /// <summary>TRANS: a transferred call.</summary>
        Trans,
        /// <summary>CONSULT: a consultation.</summary>
        Consult,
        /// <summary>THREE_WAY: a three-way call.</summary>
        ThreeWay,
        /// <summary>PREDICT_OUT_CALL: a predictive outbound call.</summary>
        PredictOutCall,
        /// <summary>CALL_IN: an ordinary inbound call, as the platform says it.</summary>
        CallIn,
        /// <summary>CALL: the agent's own leg of a call it placed, or a call from another agent (platform).</summary>
        Call,
        /// <summary>PREVIEW_OUT_CALL: the agent's leg of a preview outbound call (platform).</summary>
        PreviewOutCall,
        /// <summary>EAVESDROP: a supervisor's listening leg (platform).</summary>
        Eavesdrop,
        /// <summary>WHISPER: a supervisor's whisper leg (platform).</summary>
        Whisper,
        /// <summary>CONSULT_TO_TRANS: a consultation turned into a transfer (platform).</summary>
        ConsultToTrans,
        /// <summary>SUBSTITUTE: a call picked up for another agent (platform).</summary>
        Substitute,
    }

    /// <summary>The state of the client's link to the CTI server (connection_state event).</summary>
    public enum ConnectionState
    {
        /// <summary>A value this binding does not know (see <see cref="ConnectionStateChangedEventArgs.StateName"/>).</summary>
        Unknown = 0,
        /// <summary>idle: not connected yet.</summary>
        Idle,
        /// <summary>connecting.</summary>
        Connecting,
        /// <summary>connected.</summary>
        Connected,
        /// <summary>reconnecting: waiting to retry after a drop.</summary>
        Reconnecting,
        /// <summary>disconnected: down until the next request.</summary>
        Disconnected,
        /// <summary>closed: the client was closed.</summary>
        Closed,
    }

    /// <summary>A level of the SDK's log events; also the lowest level delivered (<see cref="ClientOptions.LogLevel"/>).</summary>
    public enum LogLevel
    {
        /// <summary>A value this binding does not know (parsed only).</summary>
        Unknown = 0,
        /// <summary>trace.</summary>
        Trace,
        /// <summary>debug.</summary>
        Debug,
        /// <summary>info.</summary>
        Info,
        /// <summary>warn (the SDK's default).</summary>
        Warn,
        /// <summary>error.</summary>
        Error,
        /// <summary>off: no log events (only as a setting).</summary>
        Off,
    }

    /// <summary>Which calls the SDK answers by itself in RTC mode (<see cref="ClientOptions.RtcAutoAnswer"/>, rtc_auto_answer).</summary>
    public enum RtcAutoAnswerMode
    {
        /// <summary>requests: the agent's own leg of its call, preview_out_call, play_record, eavesdrop, whisper, substitute and force_call requests, and auto-answer hints (the library's default).</summary>
        Requests = 1,
        /// <summary>hints: only INVITEs that carry an auto-answer hint.</summary>
        Hints,
        /// <summary>off: every call rings until answered.</summary>
        Off,
    }

    /// <summary>What happens to an RTC call whose media does not connect in time (<see cref="ClientOptions.RtcMediaFailure"/>, rtc_media_failure).</summary>
    public enum RtcMediaFailureAction
    {
        /// <summary>hangup: the phone ends the call (BYE), the library's default.</summary>
        Hangup = 1,
        /// <summary>flag: the call stays up and <see cref="RtcCallChangedEventArgs.Media"/> reads "failed".</summary>
        Flag,
    }

    /// <summary>An audio or video direction, as the spec numbers them (0-3).</summary>
    public enum MediaDirection
    {
        /// <summary>0: no stream.</summary>
        None = 0,
        /// <summary>1: send only.</summary>
        SendOnly = 1,
        /// <summary>2: receive only.</summary>
        ReceiveOnly = 2,
        /// <summary>3: send and receive.</summary>
        SendReceive = 3,
    }

    /// <summary>trans's <c>type</c>: blind, consultative, or cancel.</summary>
    public enum TransMode
    {
        /// <summary>1: blind transfer.</summary>
        Blind = 1,
        /// <summary>2: consultative transfer.</summary>
        Consultative = 2,
        /// <summary>3: cancel a transfer in progress.</summary>
        Cancel = 3,
    }

    /// <summary>trans's <c>trans_type</c>: who receives the transfer.</summary>
    public enum TransTarget
    {
        /// <summary>1: an agent.</summary>
        Agent = 1,
        /// <summary>2: a skill group.</summary>
        Skill = 2,
        /// <summary>3: an IVR.</summary>
        Ivr = 3,
        /// <summary>4: an outside number.</summary>
        External = 4,
        /// <summary>5: the satisfaction survey.</summary>
        Satisfaction = 5,
    }

    /// <summary>consult's <c>type</c>: start or cancel.</summary>
    public enum ConsultMode
    {
        /// <summary>1: start a consultation.</summary>
        Start = 1,
        /// <summary>2: cancel it.</summary>
        Cancel = 2,
    }

    /// <summary>Whether a number is an agent or an outside line (consult_type, three_way_type).</summary>
    public enum PartyType
    {
        /// <summary>0: an agent of the platform.</summary>
        Agent = 0,
        /// <summary>1: an outside number.</summary>
        External = 1,
    }

    /// <summary>call's <c>out_line</c>; left out, the SDK sends <see cref="External"/>.</summary>
    public enum OutLine
    {
        /// <summary>0: internal line: the callee number is another agent's id.</summary>
        Internal = 0,
        /// <summary>1: external line: an outside number (the SDK's default).</summary>
        External = 1,
        /// <summary>2: conference line.</summary>
        Conference = 2,
    }

    /// <summary>dtmf's <c>dtmf_type</c> (the spec has no 2).</summary>
    public enum DtmfType
    {
        /// <summary>0: SIP INFO.</summary>
        SipInfo = 0,
        /// <summary>1: in-band tones.</summary>
        Inband = 1,
        /// <summary>3: RFC 2833 telephone-event (the platform's default).</summary>
        Rfc2833 = 3,
    }

    /// <summary>toggle_service_mode's <c>service_mode</c>.</summary>
    public enum ServiceMode
    {
        /// <summary>1: customer service (客服型).</summary>
        Customer = 1,
        /// <summary>2: outbound (外呼型).</summary>
        Outbound = 2,
    }

    /// <summary>When the platform starts recording a call.</summary>
    public enum RecordStart
    {
        /// <summary>NONE: do not record.</summary>
        None = 1,
        /// <summary>RING: from ringing.</summary>
        Ring,
        /// <summary>ANSWER: from the answer.</summary>
        Answer,
    }

    /// <summary>play_record_control's <c>action</c>.</summary>
    public enum PlayAction
    {
        /// <summary>pause.</summary>
        Pause = 1,
        /// <summary>resume.</summary>
        Resume,
        /// <summary>replay.</summary>
        Replay,
        /// <summary>seek (with a position in milliseconds).</summary>
        Seek,
        /// <summary>speed (with a speed value).</summary>
        Speed,
        /// <summary>stop.</summary>
        Stop,
        /// <summary>volume (with a volume value).</summary>
        Volume,
    }

    /// <summary>Maps enum members to and from their wire names (PascalCase ↔ UPPER_SNAKE or lower_snake).</summary>
    internal static class Wire
    {
        private static readonly ConcurrentDictionary<Type, Dictionary<string, object>> s_parse = new ConcurrentDictionary<Type, Dictionary<string, object>>();

        /// <summary>UPPER_SNAKE (or lower_snake) name of an enum member: MakeBusyAfterCallStop → MAKE_BUSY_AFTER_CALL_STOP.</summary>
        public static string Name(Enum value, bool lower = false)
        {
            string s = value.ToString();
            var sb = new StringBuilder(s.Length + 8);
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (i > 0 && char.IsUpper(c)) sb.Append('_');
                sb.Append(lower ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            }
            return sb.ToString();
        }

        /// <summary>Parses a wire name (case-insensitive, trimmed) to T; unknown or null gives default(T) (Unknown).</summary>
        public static T Parse<T>(string text) where T : struct
        {
            if (text == null) return default(T);
            var map = s_parse.GetOrAdd(typeof(T), t =>
            {
                var d = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                foreach (object v in Enum.GetValues(t)) d[Name((Enum)v)] = v;
                return d;
            });
            return map.TryGetValue(text.Trim(), out object r) ? (T)r : default(T);
        }

        /// <summary>The member for a field's text, null when the field is absent (null text), <c>default(T)</c> (Unknown) for a value outside the table.</summary>
        public static T? ParseOptional<T>(string text) where T : struct => text == null ? (T?)null : Parse<T>(text);

        /// <summary>The number of a numeric enum as a JSON string ("1").</summary>
        public static string Num(Enum value) => Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
