"""CloudCC Agent SDK for Python: an agent's toolbar session with the CloudCC CTI server.

    from cloudcc import Client, CallinEvent

    with Client("ws://cti.example:25001/msg/", company_code="090008", agent_id="090008_6000",
                ext_id="090008_5000") as c:
        @c.on(CallinEvent)
        def ring(ev): c.answer(ev.uuid)
        c.checkin("secret", start_status="FREE")

A ws_url ending in "/" is the platform's own form: the SDK appends the
agent's identity to it. ext_id is the agent's bound extension (check-in
needs it).

The work is done by the native libcloudcc (Go); this package is a thin,
typed wrapper over its C ABI. See Client and AsyncClient.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

from ._ffi import version as native_version
from .aio import AsyncClient
from .client import Client
from .config import IceServer
from .errors import (
    Busy,
    BadPassword,
    CheckedInElsewhere,
    ClientClosed,
    CloudCCError,
    ConnectionLost,
    HTTPError,
    InternalError,
    InvalidArgument,
    InvalidHandle,
    NotAuthorized,
    NotCheckedIn,
    NotConnected,
    RequestTimeout,
    ServerError,
    TLSError,
    Unsupported,
    UnsupportedMsgType,
    WrongExtension,
    server_error,
)
from .events import (
    AgentChangeEvent,
    AgentStatus,
    CallbackAction,
    CallbackEvent,
    CallinChannel,
    CallinEvent,
    ChangeMediaReply,
    ConnectEvent,
    ConnectionStateEvent,
    ConnectivityEvent,
    ConsultMode,
    DTMFType,
    Event,
    EventsDroppedEvent,
    KickOffEvent,
    LogEvent,
    Media,
    OutLine,
    PartyType,
    Phase,
    PlayAction,
    RecordStart,
    Reply,
    RTCCallEvent,
    RTCDTMFEvent,
    RTCRegistrationEvent,
    RTCStatsEvent,
    CallQualityWarningEvent,
    ServerEvent,
    ServerRefusalEvent,
    ServiceMode,
    SessionRestoredEvent,
    StatusAction,
    StatusReply,
    SubStatus,
    SupervisorReply,
    TransMode,
    TransTarget,
    UnknownEvent,
)

try:  # the installed distribution's version: the build took it from cloudcc.h, as the library did
    __version__ = _dist_version("cloudcc")
except PackageNotFoundError:  # not installed (a checkout on sys.path): the library's own
    __version__ = native_version()

__all__ = [
    "native_version",
    "Client",
    "AsyncClient",
    "IceServer",
    "Reply",
    "StatusReply",
    "SupervisorReply",
    "ChangeMediaReply",
    "Event",
    "ServerEvent",
    "CallbackEvent",
    "CallinEvent",
    "AgentChangeEvent",
    "KickOffEvent",
    "ConnectEvent",
    "ServerRefusalEvent",
    "ConnectionStateEvent",
    "SessionRestoredEvent",
    "EventsDroppedEvent",
    "LogEvent",
    "UnknownEvent",
    "RTCRegistrationEvent",
    "RTCCallEvent",
    "ConnectivityEvent",
    "RTCDTMFEvent",
    "RTCStatsEvent",
    "CallQualityWarningEvent",
    "AgentStatus",
    "SubStatus",
    "StatusAction",
    "CallbackAction",
    "Phase",
    "CallinChannel",
    "Media",
    "TransMode",
    "TransTarget",
    "ConsultMode",
    "PartyType",
    "OutLine",
    "DTMFType",
    "ServiceMode",
    "RecordStart",
    "PlayAction",
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
