"""Exceptions raised by the SDK.

Every exception is a CloudCCError carrying the C status (`status`), the
reply's `code` and `msg`, and, where there was one, the reply as a dict.
SDK-side failures also subclass the matching built-in (TimeoutError,
ConnectionError, ValueError) so generic handlers catch them.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Type

from . import _ffi

__all__ = [
    "CloudCCError",
    "ServerError",
    "NotAuthorized",
    "BadPassword",
    "CheckedInElsewhere",
    "WrongExtension",
    "UnsupportedMsgType",
    "server_error",
    "InvalidArgument",
    "InvalidHandle",
    "RequestTimeout",
    "NotConnected",
    "ConnectionLost",
    "ClientClosed",
    "HTTPError",
    "TLSError",
    "Busy",
    "Unsupported",
    "NotCheckedIn",
    "InternalError",
]


class CloudCCError(Exception):
    """Base of every SDK error: status (C status), code and msg (as the reply said)."""

    def __init__(self, status: int, code: str, msg: str, reply: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(f"{msg} ({_ffi.status_str(status) if status else 'code ' + code})")
        self.status = status
        self.code = code
        self.msg = msg
        self.reply: Dict[str, Any] = dict(reply) if reply else {}


class ServerError(CloudCCError):
    """The server answered with a code other than "0" (a refusal, e.g. wrong state or rights).

    `code` is the server's code as received (a string: "1", "4002", ...).
    The codes with a meaning of their own raise the subclasses below; the
    rest raise ServerError itself.
    """

    def __init__(self, code: str, msg: str, reply: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(0, code, msg, reply)


class NotAuthorized(ServerError):
    """The server refused the session: token invalid or replaced ("4003"), agent not checked in ("4009"), HTTP "403".

    Check in again. After a "4003" the platform closes the link.
    """


class BadPassword(ServerError):
    """Check-in or get-token refused: wrong agent password ("4004")."""


class CheckedInElsewhere(ServerError):
    """Check-in refused: the agent is checked in on another device and the company forbids taking over ("4010")."""


class WrongExtension(ServerError):
    """Check-in refused: ext_id is not the agent's bound extension ("4012"), or the agent has none ("4005")."""


class UnsupportedMsgType(ServerError):
    """The server has no handler for the request's msg_type ("4014"; the platform answers mute with it)."""


# The one place a server code picks its exception; codes stay strings as received.
_SERVER_BY_CODE: Dict[str, Type[ServerError]] = {
    "4003": NotAuthorized,
    "4009": NotAuthorized,
    "403": NotAuthorized,
    "4004": BadPassword,
    "4010": CheckedInElsewhere,
    "4012": WrongExtension,
    "4005": WrongExtension,
    "4014": UnsupportedMsgType,
}


def server_error(code: str, msg: str, reply: Optional[Mapping[str, Any]] = None) -> ServerError:
    """The exception for a server refusal: the ServerError subclass of `code`, or ServerError itself."""
    return _SERVER_BY_CODE.get(str(code), ServerError)(str(code), msg, reply)


class InvalidArgument(CloudCCError, ValueError):
    """The request or config was refused before it left: bad value, unknown msg_type or key."""


class InvalidHandle(CloudCCError):
    """The native handle is not valid (a bug in the caller or the binding)."""


class RequestTimeout(CloudCCError, TimeoutError):
    """No reply came within the timeout; the request may still take effect on the server."""


class NotConnected(CloudCCError, ConnectionError):
    """The link to the CTI server could not be brought up."""


class ConnectionLost(CloudCCError, ConnectionError):
    """The link dropped after the request was sent: its outcome is unknown."""


class ClientClosed(CloudCCError):
    """The client was closed before or while the call was pending."""


class HTTPError(CloudCCError):
    """The SDK HTTP interface answered with a non-2xx status (see `http_status`)."""

    @property
    def http_status(self) -> int:
        """The HTTP status code the server answered with."""
        try:
            return int(self.reply.get("http_status", 0))
        except (TypeError, ValueError):
            return 0


class TLSError(NotConnected):
    """The TLS handshake failed: the server's certificate could not be verified
    (see tls_ca_file / tls_ca_pem), or the server does not speak TLS."""


class Busy(CloudCCError):
    """Too many async requests are in flight (config async_max); the request was not sent."""


class Unsupported(CloudCCError):
    """The operation is not possible in this mode (e.g. mute without RTC media)."""


class NotCheckedIn(CloudCCError):
    """The request needs the session token and there is none: check in (or get_token) first; it was not sent.

    Raised by the SDK itself (status -10), before anything reaches the
    server; the server's own "not checked in" refusal is NotAuthorized.
    """


class InternalError(CloudCCError):
    """A fault inside the native library; it was contained and the process is fine."""


_BY_STATUS: Dict[int, Type[CloudCCError]] = {
    _ffi.ERR_INVALID_ARGUMENT: InvalidArgument,
    _ffi.ERR_INVALID_HANDLE: InvalidHandle,
    _ffi.ERR_TIMEOUT: RequestTimeout,
    _ffi.ERR_NOT_CONNECTED: NotConnected,
    _ffi.ERR_CONNECTION_LOST: ConnectionLost,
    _ffi.ERR_CLOSED: ClientClosed,
    _ffi.ERR_HTTP: HTTPError,
    _ffi.ERR_UNSUPPORTED: Unsupported,
    _ffi.ERR_TLS: TLSError,
    _ffi.ERR_NOT_CHECKED_IN: NotCheckedIn,
    _ffi.ERR_BUSY: Busy,
    _ffi.ERR_INTERNAL: InternalError,
}


def from_status(status: int, reply_json: Optional[str]) -> CloudCCError:
    """Builds the exception for a negative status from the library's {"code","msg"} JSON."""
    reply: Dict[str, Any] = {}
    if reply_json:
        try:
            parsed = json.loads(reply_json)
            if isinstance(parsed, dict):
                reply = parsed
        except ValueError:
            reply = {"msg": reply_json}
    cls = _BY_STATUS.get(status, InternalError)
    return cls(status, str(reply.get("code", status)), str(reply.get("msg", _ffi.status_str(status))), reply)
