using System;
using System.Collections.Generic;

namespace CloudCC
{
    /// <summary>Base of the SDK's errors: an SDK-side failure (<see cref="Status"/> negative) or a server refusal (<see cref="ServerException"/>).</summary>
    public class CloudCCException : Exception
    {
        /// <summary>Makes an exception from a status, the reply's code and msg, and the reply JSON (any may be null).</summary>
        public CloudCCException(Status status, string code, string msg, string rawJson, Exception inner = null)
            : base(string.IsNullOrEmpty(msg) ? status.ToString() : msg, inner)
        {
            Status = status;
            Code = code;
            Msg = msg;
            RawJson = rawJson;
        }

        /// <summary>The native status (<see cref="CloudCC.Status.Ok"/> for a server refusal).</summary>
        public Status Status { get; }

        /// <summary>The reply's "code": the status as a string for SDK-side failures, the server's code for a refusal.</summary>
        public string Code { get; }

        /// <summary>The reply's "msg", in the client's language.</summary>
        public string Msg { get; }

        /// <summary>The whole reply JSON as the library returned it (null when there was none).</summary>
        public string RawJson { get; }
    }

    /// <summary>The server answered with a code other than "0" (a refusal such as a wrong password); <see cref="Reply"/> has the answer. The codes with a meaning of their own throw the subclasses below; <see cref="CloudCCException.Code"/> is the code as received.</summary>
    public class ServerException : CloudCCException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public ServerException(Reply reply)
            : base(Status.Ok, reply?.Code, reply?.Msg, reply?.RawJson)
        {
            Reply = reply;
        }

        /// <summary>The server's reply (its code, msg and fields).</summary>
        public Reply Reply { get; }

        /// <summary>The msg_type of the refused request's reply.</summary>
        public string MsgType => Reply?.MsgType;

        /// <summary>Says which request was refused, with the server's code and msg.</summary>
        public override string Message => "server refused " + (string.IsNullOrEmpty(MsgType) ? "a request" : MsgType) + " (code " + Code + "): " + Msg;
    }

    /// <summary>The server refused the session: token invalid or replaced ("4003"; the platform then closes the link), agent not checked in ("4009"), or HTTP "403". Check in again.</summary>
    public class NotAuthorizedException : ServerException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public NotAuthorizedException(Reply reply) : base(reply) { }
    }

    /// <summary>Check-in or get-token refused: wrong agent password ("4004").</summary>
    public class BadPasswordException : ServerException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public BadPasswordException(Reply reply) : base(reply) { }
    }

    /// <summary>Check-in refused: the agent is checked in on another device and the company forbids taking over ("4010").</summary>
    public class CheckedInElsewhereException : ServerException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public CheckedInElsewhereException(Reply reply) : base(reply) { }
    }

    /// <summary>Check-in refused: the ext_id is not the agent's bound extension ("4012"), or the agent has none ("4005").</summary>
    public class WrongExtensionException : ServerException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public WrongExtensionException(Reply reply) : base(reply) { }
    }

    /// <summary>The server has no handler for the request's msg_type ("4014"; the platform answers mute with it).</summary>
    public class UnsupportedMsgTypeException : ServerException
    {
        /// <summary>Wraps the refusing reply.</summary>
        public UnsupportedMsgTypeException(Reply reply) : base(reply) { }
    }

    /// <summary>No reply arrived within the request's timeout (CC_ERR_TIMEOUT).</summary>
    public class RequestTimeoutException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public RequestTimeoutException(string code, string msg, string rawJson) : base(Status.Timeout, code, msg, rawJson) { }
    }

    /// <summary>The link to the CTI server could not be brought up (CC_ERR_NOT_CONNECTED).</summary>
    public class NotConnectedException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public NotConnectedException(string code, string msg, string rawJson) : base(Status.NotConnected, code, msg, rawJson) { }

        /// <summary>For subclasses with a status of their own (<see cref="TlsException"/>).</summary>
        protected NotConnectedException(Status status, string code, string msg, string rawJson) : base(status, code, msg, rawJson) { }
    }

    /// <summary>The TLS handshake failed: the server's certificate could not be verified (see <see cref="ClientOptions.TlsCaPem"/>), or the server does not speak TLS (CC_ERR_TLS).</summary>
    public class TlsException : NotConnectedException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public TlsException(string code, string msg, string rawJson) : base(Status.Tls, code, msg, rawJson) { }
    }

    /// <summary>Too many async requests are in flight (<see cref="ClientOptions.AsyncMax"/>); the request was not sent (CC_ERR_BUSY).</summary>
    public class BusyException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public BusyException(string code, string msg, string rawJson) : base(Status.Busy, code, msg, rawJson) { }
    }

    /// <summary>The link dropped after the request was sent: its outcome is unknown (CC_ERR_CONNECTION_LOST).</summary>
    public class ConnectionLostException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public ConnectionLostException(string code, string msg, string rawJson) : base(Status.ConnectionLost, code, msg, rawJson) { }
    }

    /// <summary>The client was closed (disposed or collected) while the call was pending (CC_ERR_CLOSED / CC_ERR_INVALID_HANDLE).</summary>
    public class ClientClosedException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public ClientClosedException(Status status, string code, string msg, string rawJson) : base(status, code, msg, rawJson) { }
    }

    /// <summary>The SDK HTTP interface answered with a non-2xx status (CC_ERR_HTTP); <see cref="HttpStatus"/> is that status.</summary>
    public class HttpStatusException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply and the HTTP status it names.</summary>
        public HttpStatusException(int httpStatus, string code, string msg, string rawJson) : base(Status.Http, code, msg, rawJson)
        {
            HttpStatus = httpStatus;
        }

        /// <summary>The HTTP status code (e.g. 401), or 0 when the reply did not say.</summary>
        public int HttpStatus { get; }
    }

    /// <summary>The operation is not possible in this mode, e.g. mute without RTC media (CC_ERR_UNSUPPORTED).</summary>
    public class UnsupportedException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public UnsupportedException(string code, string msg, string rawJson) : base(Status.Unsupported, code, msg, rawJson) { }
    }

    /// <summary>The request needs the session token and there is none: check in (or get a token) first (CC_ERR_NOT_CHECKED_IN). It was not sent; the server's own "not checked in" refusal is <see cref="NotAuthorizedException"/>.</summary>
    public class NotCheckedInException : CloudCCException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public NotCheckedInException(string code, string msg, string rawJson) : base(Status.NotCheckedIn, code, msg, rawJson) { }
    }

    /// <summary>The library refused an argument: bad JSON, unknown msg_type, bad config (CC_ERR_INVALID_ARGUMENT).</summary>
    public class CloudCCArgumentException : ArgumentException
    {
        /// <summary>Makes the exception from the library's reply.</summary>
        public CloudCCArgumentException(string code, string msg, string rawJson) : base(string.IsNullOrEmpty(msg) ? "invalid argument" : msg)
        {
            Code = code;
            Msg = msg;
            RawJson = rawJson;
        }

        /// <summary>Always <see cref="CloudCC.Status.InvalidArgument"/>.</summary>
        public Status Status => Status.InvalidArgument;

        /// <summary>The reply's "code" ("-1").</summary>
        public string Code { get; }

        /// <summary>The reply's "msg": what was wrong, in the client's language.</summary>
        public string Msg { get; }

        /// <summary>The whole reply JSON (null when there was none).</summary>
        public string RawJson { get; }
    }

    /// <summary>Maps a native status and reply JSON to the exception it stands for, in one place (like libgit2sharp's Ensure).</summary>
    internal static class Errors
    {
        /// <summary>The exception of a server refusal: the <see cref="ServerException"/> subclass of its code (codes stay strings as received), else <see cref="ServerException"/> itself.</summary>
        public static ServerException FromRefusal(Reply reply)
        {
            switch (reply?.Code)
            {
                case "4003":
                case "4009":
                case "403": return new NotAuthorizedException(reply);
                case "4004": return new BadPasswordException(reply);
                case "4010": return new CheckedInElsewhereException(reply);
                case "4005":
                case "4012": return new WrongExtensionException(reply);
                case "4014": return new UnsupportedMsgTypeException(reply);
            }
            return new ServerException(reply);
        }

        /// <summary>The exception for a negative status; <paramref name="replyJson"/> is the library's {"code","msg",...}, possibly null.</summary>
        public static Exception FromStatus(int status, string replyJson)
        {
            Dictionary<string, object> o = null;
            if (replyJson != null)
            {
                try { o = Json.ParseObject(replyJson); } catch (FormatException) { }
            }
            string code = JsonFields.Str(o, "code") ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string msg = JsonFields.Str(o, "msg") ?? CloudCCClient.StatusName(status);
            switch ((Status)status)
            {
                case Status.InvalidArgument: return new CloudCCArgumentException(code, msg, replyJson);
                case Status.Timeout: return new RequestTimeoutException(code, msg, replyJson);
                case Status.NotConnected: return new NotConnectedException(code, msg, replyJson);
                case Status.Tls: return new TlsException(code, msg, replyJson);
                case Status.Busy: return new BusyException(code, msg, replyJson);
                case Status.ConnectionLost: return new ConnectionLostException(code, msg, replyJson);
                case Status.Closed:
                case Status.InvalidHandle: return new ClientClosedException((Status)status, code, msg, replyJson);
                case Status.Http: return new HttpStatusException((int)(JsonFields.Long(o, "http_status") ?? 0), code, msg, replyJson);
                case Status.Unsupported: return new UnsupportedException(code, msg, replyJson);
                case Status.NotCheckedIn: return new NotCheckedInException(code, msg, replyJson);
            }
            return new CloudCCException((Status)status, code, msg, replyJson);
        }
    }
}
