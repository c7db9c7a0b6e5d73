"""Typed replies, events and the protocol's enumerations.

Enumerations are `str`/`int` enums; a value the SDK does not know (a newer
platform) is kept as the plain value, so nothing is lost. Every event and
reply keeps the normalized fields in `data` and the frame as received in
`raw`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Type, TypeVar, Union

from .errors import ServerError, server_error

__all__ = [
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
    "Reply",
    "StatusReply",
    "SupervisorReply",
    "ChangeMediaReply",
    "Event",
    "CallbackEvent",
    "CallinEvent",
    "AgentChangeEvent",
    "KickOffEvent",
    "ConnectEvent",
    "ServerRefusalEvent",
    "ConnectionStateEvent",
    "SessionRestoredEvent",
    "LogEvent",
    "UnknownEvent",
    "RTCRegistrationEvent",
    "RTCCallEvent",
    "ConnectivityEvent",
    "RTCDTMFEvent",
    "RTCStatsEvent",
    "parse_event",
    "parse_reply",
    "event_kind",
]


class AgentStatus(str, enum.Enum):
    """An agent's status (agent_status)."""

    OFFLINE = "OFFLINE"
    FREE = "FREE"
    BUSY = "BUSY"
    REST = "REST"
    RINGING = "RINGING"
    CALLING = "CALLING"
    ARRANGE = "ARRANGE"


class SubStatus(str, enum.Enum):
    """A sub-status during a call (sub_agent_status)."""

    EAVESDROP = "EAVESDROP"
    WHISPER = "WHISPER"
    TRANS = "TRANS"
    THREE_WAY = "THREE_WAY"
    FORCE_CALL = "FORCE_CALL"
    CONSULT = "CONSULT"
    HOLD = "HOLD"
    PLAY_RECORD = "PLAY_RECORD"


class StatusAction(str, enum.Enum):
    """An action of change_status."""

    CHECKIN = "CHECKIN"
    CHECKOUT = "CHECKOUT"
    MAKE_BUSY = "MAKE_BUSY"
    MAKE_FREE = "MAKE_FREE"
    MAKE_REST = "MAKE_REST"
    MAKE_ARRANGE = "MAKE_ARRANGE"
    MAKE_BUSY_AFTER_CALL_STOP = "MAKE_BUSY_AFTER_CALL_STOP"
    MAKE_FREE_AFTER_CALL_STOP = "MAKE_FREE_AFTER_CALL_STOP"
    MAKE_REST_AFTER_CALL_STOP = "MAKE_REST_AFTER_CALL_STOP"
    CHECKOUT_AFTER_CALL_STOP = "CHECKOUT_AFTER_CALL_STOP"
    FORCE_RESET = "FORCE_RESET"
    FORCE_CHECKOUT = "FORCE_CHECKOUT"
    FORCE_MAKE_FREE = "FORCE_MAKE_FREE"
    FORCE_MAKE_BUSY = "FORCE_MAKE_BUSY"


class CallbackAction(str, enum.Enum):
    """What a callback event is about (action)."""

    CALL = "CALL"
    CONSULT = "CONSULT"
    TRANS = "TRANS"
    CONSULT_TO_TRANS = "CONSULT_TO_TRANS"
    THREE_WAY = "THREE_WAY"
    EAVESDROP = "EAVESDROP"
    WHISPER = "WHISPER"
    SUBSTITUTE = "SUBSTITUTE"
    FORCE_CALL = "FORCE_CALL"
    INTERRUPT_CALL = "INTERRUPT_CALL"
    CHANGE_MEDIA = "CHANGE_MEDIA"
    EXT_UN_REG = "EXT_UN_REG"
    PREVIEW_OUT_CALL = "PREVIEW_OUT_CALL"


class Phase(str, enum.Enum):
    """A callback's phase."""

    INITIATE = "INITIATE"
    START_CALL = "START_CALL"
    END_CALL = "END_CALL"


class CallinChannel(str, enum.Enum):
    """How a call reached the agent (callin_channel); NORMAL is the spec's empty string.

    The platform's server never sends it empty: an ordinary inbound call is
    CALL_IN, and an agent's own legs are CALL, PREVIEW_OUT_CALL, EAVESDROP,
    WHISPER, SUBSTITUTE, ...
    """

    NORMAL = ""
    TRANS = "TRANS"
    CONSULT = "CONSULT"
    THREE_WAY = "THREE_WAY"
    PREDICT_OUT_CALL = "PREDICT_OUT_CALL"
    CALL_IN = "CALL_IN"
    CALL = "CALL"
    PREVIEW_OUT_CALL = "PREVIEW_OUT_CALL"
    EAVESDROP = "EAVESDROP"
    WHISPER = "WHISPER"
    CONSULT_TO_TRANS = "CONSULT_TO_TRANS"
    SUBSTITUTE = "SUBSTITUTE"


class Media(enum.IntEnum):
    """A media direction, the spec's audio / video ints."""

    NONE = 0
    SEND_ONLY = 1
    RECV_ONLY = 2
    SEND_RECV = 3


class TransMode(str, enum.Enum):
    """trans `type`: blind, consultative, or cancel."""

    BLIND = "1"
    CONSULT = "2"
    CANCEL = "3"


class TransTarget(str, enum.Enum):
    """trans `trans_type`: what the call is transferred to."""

    AGENT = "1"
    SKILL = "2"
    IVR = "3"
    EXTERNAL = "4"
    SATISFACTION = "5"


class ConsultMode(str, enum.Enum):
    """consult `type`: start or cancel."""

    START = "1"
    CANCEL = "2"


class PartyType(str, enum.Enum):
    """consult_type / three_way_type: an agent of the company or an outside number."""

    INTERNAL = "0"
    EXTERNAL = "1"


class OutLine(enum.IntEnum):
    """call `out_line`: EXTERNAL (the SDK's default) dials an outside number, INTERNAL another agent by agent id."""

    INTERNAL = 0
    EXTERNAL = 1
    CONFERENCE = 2


class DTMFType(enum.IntEnum):
    """dtmf `dtmf_type`."""

    INFO = 0
    INBAND = 1
    RFC2833 = 3


class ServiceMode(enum.IntEnum):
    """toggle_service_mode `service_mode`."""

    CUSTOMER = 1
    OUTBOUND = 2


class RecordStart(str, enum.Enum):
    """When recording starts (record_start)."""

    NONE = "NONE"
    RING = "RING"
    ANSWER = "ANSWER"


class PlayAction(str, enum.Enum):
    """play_record_control `action`."""

    PAUSE = "pause"
    RESUME = "resume"
    REPLAY = "replay"
    SEEK = "seek"
    SPEED = "speed"
    STOP = "stop"
    VOLUME = "volume"


E = TypeVar("E", bound=enum.Enum)


def _enum(cls: Type[E], value: Any) -> Union[E, Any, None]:
    """The enum member for value, or value itself when it is not a known one."""
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return value


def _int(v: Any) -> Optional[int]:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _raw_text(obj: Mapping[str, Any]) -> str:
    raw = obj.get("raw")
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw  # the frame was not valid JSON: kept as sent
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))


def _data(obj: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "raw"}


@dataclass(frozen=True)
class Reply:
    """A server reply: code "0" is success. `data` holds every normalized field."""

    msg_type: str
    code: str
    msg: str
    req_id: str
    data: Dict[str, Any] = field(repr=False)
    raw: str = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when the server accepted the request (code "0")."""
        return self.code == "0"

    @property
    def uuid(self) -> Optional[str]:
        """The call or playback uuid the reply carries, if any."""
        return self.data.get("uuid")

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The normalized field `key`, or default."""
        return self.data.get(key, default)

    @classmethod
    def from_json(cls, text: str) -> "Reply":
        """Builds a reply of this class from the library's reply JSON."""
        obj = json.loads(text)
        if not isinstance(obj, dict):
            obj = {"data": obj}
        return cls(
            msg_type=str(obj.get("msg_type", "")),
            code=str(obj.get("code", "")),
            msg=str(obj.get("msg", "")),
            req_id=str(obj.get("req_id", "")),
            data=_data(obj),
            raw=_raw_text(obj) or text,
            **cls._typed_fields(obj),
        )

    @classmethod
    def _typed_fields(cls, obj: Mapping[str, Any]) -> Dict[str, Any]:
        return {}


@dataclass(frozen=True)
class StatusReply(Reply):
    """get_status's reply: the agent's status as the server holds it, its call (`uuid`) and the numbers in it.

    A request of the platform's server (not in the 7.0.0 spec); it is allowed
    before check-in once a token is known (get_token).
    """

    status: Union[AgentStatus, str, None] = None
    """The agent's status (an AgentStatus, or the text of a value this SDK does not know)."""
    sub_status: Union[SubStatus, str, None] = None
    """The in-call sub-status, or None."""
    in_call_numbers: List[str] = field(default_factory=list)
    """The numbers in the agent's call."""
    company_code: Optional[str] = None
    """The company, as the server sent it."""

    @classmethod
    def _typed_fields(cls, obj: Mapping[str, Any]) -> Dict[str, Any]:
        return {
            "status": _enum(AgentStatus, obj.get("status") or None),
            "sub_status": _enum(SubStatus, obj.get("sub_status") or None),
            "in_call_numbers": list(obj.get("in_call_numbers") or []),
            "company_code": obj.get("company_code"),
        }


@dataclass(frozen=True)
class SupervisorReply(Reply):
    """The reply of eavesdrop, whisper, substitute and force_call: `uuid` is the supervisor's new call leg."""

    in_call_numbers: List[str] = field(default_factory=list)
    """The numbers in the call (force_call), when the server sends them."""

    @classmethod
    def _typed_fields(cls, obj: Mapping[str, Any]) -> Dict[str, Any]:
        return {"in_call_numbers": list(obj.get("in_call_numbers") or [])}


@dataclass(frozen=True)
class ChangeMediaReply(Reply):
    """change_media's reply: the call (`uuid`) and its media now, when the server says."""

    audio: Union[Media, int, None] = None
    """The audio direction now (Media), or None."""
    video: Union[Media, int, None] = None
    """The video direction now (Media), or None."""
    pixels: Optional[str] = None
    """The video height, or None."""

    @classmethod
    def _typed_fields(cls, obj: Mapping[str, Any]) -> Dict[str, Any]:
        pixels = obj.get("pixels")
        return {
            "audio": _enum(Media, _int(obj.get("audio"))),
            "video": _enum(Media, _int(obj.get("video"))),
            "pixels": None if pixels in (None, "") else str(pixels),
        }


# The typed reply of each request type; the others are a plain Reply.
_REPLY_TYPES: Dict[str, Type[Reply]] = {
    "get_status": StatusReply,
    "eavesdrop": SupervisorReply,
    "whisper": SupervisorReply,
    "substitute": SupervisorReply,
    "force_call": SupervisorReply,
    "change_media": ChangeMediaReply,
}


def parse_reply(text: str, request_type: Optional[str] = None) -> Reply:
    """Builds the typed reply of a request of `request_type` (default: the reply's own msg_type) from its JSON."""
    if request_type is None:
        try:
            obj = json.loads(text)
            request_type = str(obj.get("msg_type", "")) if isinstance(obj, dict) else ""
        except ValueError:
            request_type = ""
    return _REPLY_TYPES.get(request_type.strip(), Reply).from_json(text)


@dataclass(frozen=True)
class Event:
    """Base of every event: its msg_type, normalized fields (`data`) and frame as received (`raw`)."""

    msg_type: str
    data: Dict[str, Any] = field(repr=False, compare=False)
    raw: str = field(repr=False, compare=False)


@dataclass(frozen=True)
class CallbackEvent(Event):
    """A call's progress (callback): action and phase, success and msg, and the call's uuid when sent.

    The platform's server sends every callback with a req_id of its own (not
    the request's) and without uuid or curren_time.
    """

    action: Union[CallbackAction, str, None] = None
    """The operation (a CallbackAction, or the text of a value this SDK does not know)."""
    phase: Union[Phase, str, None] = None
    """The stage: INITIATE, START_CALL, END_CALL (the platform leaves it out for CHANGE_MEDIA)."""
    success: bool = False
    """Whether the stage succeeded."""
    msg: str = ""
    """The server's message."""
    uuid: Optional[str] = None
    """The call's uuid, when the server sends it (the spec's servers; not the platform's)."""
    req_id: Optional[str] = None
    """The callback's req_id: the request's on the spec's servers, one of its own on the platform's."""
    audio: Optional[int] = None
    """The audio direction now (0-3), when sent."""
    video: Optional[int] = None
    """The video direction now (0-3), when sent."""
    last_audio: Optional[int] = None
    """The audio direction before a media change, when sent."""
    last_video: Optional[int] = None
    """The video direction before a media change, when sent."""
    change_media_flag: Optional[int] = None
    """change_media's flag (0 started, 1 done), when sent."""
    work_order_id: Optional[str] = None
    """The work order id, when sent."""
    peer_uuid: Optional[str] = None
    """The other leg's uuid, when sent."""
    display_number: Optional[str] = None
    """The number shown to the other party, when sent."""
    current_time: Optional[str] = None
    """The server's time of the event (the spec's "curren_time"), when sent."""
    in_call_numbers: List[str] = field(default_factory=list)
    """The numbers in the call (three-way, force_call), when sent."""
    os: Optional[str] = None
    """The os of the agent's session, when sent."""


@dataclass(frozen=True)
class CallinEvent(Event):
    """A call ringing at the agent (callin); answer it with `answer(uuid)` (the SDK answers with its audio/video)."""

    uuid: str = ""
    """The call's uuid (to answer, hold, hang up ...)."""
    caller_number: str = ""
    """The caller's number (an agent's extension for a call from another agent)."""
    callee_number: Optional[str] = None
    """The number called (the task id for a predictive call on the platform)."""
    flow_data: Optional[str] = None
    """Call-attached data, as sent (the spec's; the platform sends none)."""
    callin_channel: Union[CallinChannel, str, None] = None
    """How the call reached the agent (a CallinChannel, or the text of an unknown value)."""
    is_video: Optional[int] = None
    """1 for a video call, when sent (the platform never sends it: see video)."""
    audio: Optional[int] = None
    """The offered audio direction (0-3), when sent."""
    video: Optional[int] = None
    """The offered video direction (0-3), when sent."""
    pixels: Optional[str] = None
    """The video height, when sent."""
    work_order_id: Optional[str] = None
    """The work order id, when sent."""
    client_uuid: Optional[str] = None
    """The customer's leg of the call (platform), when sent."""
    os: Optional[str] = None
    """The os of the agent's session, when sent."""
    task_id: Optional[str] = None
    """The outbound task of a predictive call (platform), when sent."""


@dataclass(frozen=True)
class AgentChangeEvent(Event):
    """The agent's status changed: the spec's agent_change push and the platform's change_status push alike.

    Both shapes arrive as this one event with msg_type "agent_change"; `raw`
    keeps the frame as sent (msg_type "change_status" from the platform's
    server, with a req_id of its own that answers no request).
    """

    agent_status: Union[AgentStatus, str, None] = None
    """The status now."""
    sub_agent_status: Union[SubStatus, str, None] = None
    """The in-call sub-status, or None."""
    last_agent_status: Union[AgentStatus, str, None] = None
    """The status before, or None (the platform sends none on an agent's first check-in)."""
    in_call_numbers: List[str] = field(default_factory=list)
    """The numbers in the agent's call, when sent."""
    reason: Optional[str] = None
    """Why the status changed, when the server says."""
    uuid: Optional[str] = None
    """The call the change is about (platform), when sent."""
    os: Optional[str] = None
    """The os of the agent's session (platform), when sent."""


@dataclass(frozen=True)
class KickOffEvent(Event):
    """Another device checked in as this agent (kick_off, 坐席互顶下线通知): this session is no longer the agent's."""

    code: str = ""
    """The server's code ("0")."""
    msg: str = ""
    """The server's message, naming the other device's IP."""
    os: Optional[str] = None
    """The os of the session, when sent."""
    agent_ip: Optional[str] = None
    """The IP of the device that checked in (sent as "agentIp")."""
    req_id: Optional[str] = None
    """The push's own id."""


@dataclass(frozen=True)
class ConnectEvent(Event):
    """The platform server's greeting on a new link (connect, "连接成功"); informational."""

    code: str = ""
    """The server's code ("0")."""
    msg: str = ""
    """The server's message."""


@dataclass(frozen=True)
class ServerRefusalEvent(Event):
    """A server refusal that names no request (no req_id) and that no request in flight could take (server_refusal).

    The platform answers a frame it cannot validate with only code and msg
    ({"code":"4002","msg":"[uuid]不能为空!"}); when a request was waiting, it
    gets the refusal instead and this event is not raised.
    """

    code: str = ""
    """The server's code as received (a string)."""
    msg: str = ""
    """The server's message."""

    def error(self) -> ServerError:
        """The refusal as the exception a request would have raised (a ServerError subclass chosen by code)."""
        return server_error(self.code, self.msg, self.data)


@dataclass(frozen=True)
class ConnectionStateEvent(Event):
    """The SDK's link to the CTI server changed: connecting, connected, disconnected or reconnecting."""

    state: str = ""
    reason: Optional[str] = None
    attempt: int = 0
    delay_ms: int = 0


@dataclass(frozen=True)
class SessionRestoredEvent(Event):
    """After a reconnect the SDK checked the session back in (ok), or the server refused it (lost: check in again).

    A restore checks in on the new link without `reset` (a call in progress
    carries on) and with the status the agent had, then reads the state back
    with get_status. It never carries the token or ext_pwd.
    """

    status: Union[AgentStatus, str, None] = None
    """The agent's status once restored (from get_status when `resynced`, else the last one seen)."""
    sub_status: Union[SubStatus, str, None] = None
    """The in-call sub-status, or None."""
    uuid: Optional[str] = None
    """The call the agent is in, or None."""
    in_call_numbers: List[str] = field(default_factory=list)
    """The numbers in the agent's call."""
    resynced: bool = False
    """True when the state was read back from the server (get_status); False: the last status the SDK saw."""
    error: Optional[str] = None
    """Why the session is lost, or None when it was restored."""
    code: Optional[str] = None
    """The server's code when it refused the session (e.g. "4004", "4003"), or None."""
    msg: Optional[str] = None
    """The server's message when it refused the session, or None."""

    @property
    def ok(self) -> bool:
        """True when the session was restored."""
        return self.error is None


@dataclass(frozen=True)
class LogEvent(Event):
    """A log line of the native SDK (secrets redacted); also forwarded to logging "cloudcc"."""

    level: str = ""
    message: str = ""
    time: str = ""
    attrs: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnknownEvent(Event):
    """An event of a msg_type this SDK does not know; see `data` and `raw`."""


@dataclass(frozen=True)
class RTCRegistrationEvent(Event):
    """RTC mode: the phone's SIP registration changed (registering, registered, failed, unregistered)."""

    state: str = ""
    reason: Optional[str] = None
    code: Optional[int] = None
    rtc_address: Optional[str] = None
    """The rtc_address check-in gave (the platform's is host:port, without a scheme)."""
    url: Optional[str] = None
    """The SIP WebSocket URL the phone dialled for it."""


@dataclass(frozen=True)
class RTCCallEvent(Event):
    """RTC mode: a call of the phone changed state (ringing, answered, held, ended, ...)."""

    uuid: str = ""
    state: str = ""
    direction: Optional[str] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class ConnectivityEvent(Event):
    """RTC mode: the joined view of the CTI link, the SIP registration and each call's ICE state."""

    state: str = ""
    reason: Optional[str] = None


@dataclass(frozen=True)
class RTCDTMFEvent(Event):
    """RTC mode: a DTMF digit received on a call, with how it came (rfc4733, info, inband)."""

    uuid: str = ""
    digit: str = ""
    mode: Optional[str] = None


@dataclass(frozen=True)
class RTCStatsEvent(Event):
    """RTC mode: a call's periodic quality figures (rtt_ms, jitter_ms, loss, bitrate_kbps, mos in data)."""

    uuid: str = ""
    mos: Optional[float] = None


def parse_event(text: str) -> Event:
    """Builds the typed event for one event JSON of the library."""
    obj = json.loads(text)
    if not isinstance(obj, dict):
        return UnknownEvent("", {"value": obj}, text)
    mt = str(obj.get("msg_type", ""))
    data = _data(obj)
    raw = _raw_text(obj) or text
    g = obj.get
    if mt == "callback":
        return CallbackEvent(
            mt, data, raw,
            action=_enum(CallbackAction, g("action")),
            phase=_enum(Phase, g("phase")),
            success=bool(g("success", False)),
            msg=str(g("msg", "")),
            uuid=g("uuid"),
            req_id=g("req_id"),
            audio=_int(g("audio")),
            video=_int(g("video")),
            last_audio=_int(g("last_audio")),
            last_video=_int(g("last_video")),
            change_media_flag=_int(g("change_media_flag")),
            work_order_id=g("work_order_id"),
            peer_uuid=g("peer_uuid"),
            display_number=g("display_number"),
            current_time=g("curren_time"),
            in_call_numbers=list(g("in_call_numbers") or []),
            os=g("os"),
        )
    if mt == "callin":
        return CallinEvent(
            mt, data, raw,
            uuid=str(g("uuid", "")),
            caller_number=str(g("caller_number", "")),
            callee_number=g("callee_number"),
            flow_data=g("flow_data"),
            callin_channel=_enum(CallinChannel, g("callin_channel", "")),
            is_video=_int(g("is_video")),
            audio=_int(g("audio")),
            video=_int(g("video")),
            pixels=g("pixels"),
            work_order_id=g("work_order_id"),
            client_uuid=g("client_uuid"),
            os=g("os"),
            task_id=g("task_id"),
        )
    if mt == "agent_change":
        return AgentChangeEvent(
            mt, data, raw,
            agent_status=_enum(AgentStatus, g("agent_status") or None),
            sub_agent_status=_enum(SubStatus, g("sub_agent_status") or None),
            last_agent_status=_enum(AgentStatus, g("last_agent_status") or None),  # none on a first check-in
            in_call_numbers=list(g("in_call_numbers") or []),
            reason=g("reason"),
            uuid=g("uuid") or None,
            os=g("os"),
        )
    if mt == "kick_off":
        return KickOffEvent(
            mt, data, raw, code=str(g("code", "")), msg=str(g("msg", "")), os=g("os"),
            agent_ip=g("agent_ip"), req_id=g("req_id"),
        )
    if mt == "connect":
        return ConnectEvent(mt, data, raw, code=str(g("code", "")), msg=str(g("msg", "")))
    if mt == "server_refusal":
        return ServerRefusalEvent(mt, data, raw, code=str(g("code", "")), msg=str(g("msg", "")))
    if mt == "connection_state":
        return ConnectionStateEvent(
            mt, data, raw, state=str(g("state", "")), reason=g("reason"),
            attempt=_int(g("attempt")) or 0, delay_ms=_int(g("delay_ms")) or 0,
        )
    if mt == "session_restored":
        return SessionRestoredEvent(
            mt, data, raw, status=_enum(AgentStatus, g("status") or None), sub_status=_enum(SubStatus, g("sub_status") or None),
            uuid=g("uuid"), in_call_numbers=list(g("in_call_numbers") or []), resynced=bool(g("resynced", False)),
            error=g("error"), code=g("code"), msg=g("msg"),
        )
    if mt == "log":
        return LogEvent(
            mt, data, raw, level=str(g("level", "")), message=str(g("message", "")),
            time=str(g("time", "")), attrs=dict(g("attrs") or {}),
        )
    if mt == "rtc_registration":
        return RTCRegistrationEvent(mt, data, raw, state=str(g("state", "")), reason=g("reason"), code=_int(g("code")),
                                    rtc_address=g("rtc_address"), url=g("url"))
    if mt == "rtc_call":
        return RTCCallEvent(mt, data, raw, uuid=str(g("uuid", "")), state=str(g("state", "")),
                            direction=g("direction"), reason=g("reason"))
    if mt == "connectivity":
        return ConnectivityEvent(mt, data, raw, state=str(g("state", "")), reason=g("reason"))
    if mt == "rtc_dtmf":
        return RTCDTMFEvent(mt, data, raw, uuid=str(g("uuid", "")), digit=str(g("digit", "")), mode=g("mode"))
    if mt == "rtc_stats":
        mos = g("mos")
        return RTCStatsEvent(mt, data, raw, uuid=str(g("uuid", "")), mos=float(mos) if mos is not None else None)
    return UnknownEvent(mt, data, raw)


# The msg_type of each event class (for handlers and wait_event by class).
_EVENT_KINDS: Dict[type, str] = {
    CallbackEvent: "callback",
    CallinEvent: "callin",
    AgentChangeEvent: "agent_change",
    KickOffEvent: "kick_off",
    ConnectEvent: "connect",
    ServerRefusalEvent: "server_refusal",
    ConnectionStateEvent: "connection_state",
    SessionRestoredEvent: "session_restored",
    LogEvent: "log",
    RTCRegistrationEvent: "rtc_registration",
    RTCCallEvent: "rtc_call",
    ConnectivityEvent: "connectivity",
    RTCDTMFEvent: "rtc_dtmf",
    RTCStatsEvent: "rtc_stats",
}


def event_kind(cls: type) -> Optional[str]:
    """The msg_type of the events of class `cls`, or None when it is not an event class of this SDK."""
    return _EVENT_KINDS.get(cls)
