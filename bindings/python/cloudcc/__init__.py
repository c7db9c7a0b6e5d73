"""CloudCC Agent SDK for Python: an agent's toolbar session with the CloudCC CTI server.

    from cloudcc import Client, CallinEvent

    with Client("ws://127.0.0.1:8090/ws", company_code="090008", agent_id="090008_6000") as c:
        @c.on(CallinEvent)
        def ring(ev): c.answer(ev.uuid)
        c.checkin("secret", start_status="FREE")

The work is done by the native libcloudcc (Go); this package is a thin,
typed wrapper over its C ABI. See Client and AsyncClient.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

from ._ffi import version as native_version
from .aio import AsyncClient
from .client import Client
from .errors import (
    Busy,
    ClientClosed,
    CloudCCError,
    ConnectionLost,
    Forbidden,
    HTTPError,
    InternalError,
    InvalidArgument,
    InvalidHandle,
    NotConnected,
    RequestTimeout,
    ServerError,
    TLSError,
    Unsupported,
    NotCheckedIn,
)
from .events import (
    AgentChangeEvent,
    AgentStatus,
    CallbackAction,
    CallbackEvent,
    CallinChannel,
    CallinEvent,
    ConnectionStateEvent,
    ConnectivityEvent,
    ConsultMode,
    DTMFType,
    Event,
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
    ServiceMode,
    SessionRestoredEvent,
    StatusAction,
    SubStatus,
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
    "Reply",
    "Event",
    "CallbackEvent",
    "CallinEvent",
    "AgentChangeEvent",
    "ConnectionStateEvent",
    "SessionRestoredEvent",
    "LogEvent",
    "UnknownEvent",
    "RTCRegistrationEvent",
    "RTCCallEvent",
    "ConnectivityEvent",
    "RTCDTMFEvent",
    "RTCStatsEvent",
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
    "InvalidArgument",
    "InvalidHandle",
    "RequestTimeout",
    "NotConnected",
    "ConnectionLost",
    "ClientClosed",
    "HTTPError",
    "TLSError",
    "Busy",
    "Forbidden",
    "Unsupported",
    "NotCheckedIn",
    "InternalError",
]
