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
    "parse_event",
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
    """How an inbound call reached the agent (callin_channel); NORMAL is the empty string."""

    NORMAL = ""
    TRANS = "TRANS"
    CONSULT = "CONSULT"
    THREE_WAY = "THREE_WAY"
    PREDICT_OUT_CALL = "PREDICT_OUT_CALL"


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
    """call `out_line`."""

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
        """Builds a Reply from the library's reply JSON."""
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
        )


@dataclass(frozen=True)
class Event:
    """Base of every event: its msg_type, normalized fields (`data`) and frame as received (`raw`)."""

    msg_type: str
    data: Dict[str, Any] = field(repr=False, compare=False)
    raw: str = field(repr=False, compare=False)


@dataclass(frozen=True)
class CallbackEvent(Event):
    """A call's progress (callback): action and phase, success and msg, and the call's uuid."""

    action: Union[CallbackAction, str, None] = None
    phase: Union[Phase, str, None] = None
    success: bool = False
    msg: str = ""
    uuid: Optional[str] = None
    req_id: Optional[str] = None
    audio: Optional[int] = None
    video: Optional[int] = None
    last_audio: Optional[int] = None
    last_video: Optional[int] = None
    change_media_flag: Optional[int] = None
    work_order_id: Optional[str] = None
    peer_uuid: Optional[str] = None
    display_number: Optional[str] = None
    current_time: Optional[str] = None


@dataclass(frozen=True)
class CallinEvent(Event):
    """An inbound call ringing at the agent (callin); answer it with `answer(uuid)`."""

    uuid: str = ""
    caller_number: str = ""
    callee_number: Optional[str] = None
    flow_data: Optional[str] = None
    callin_channel: Union[CallinChannel, str, None] = None
    is_video: Optional[int] = None
    audio: Optional[int] = None
    video: Optional[int] = None
    pixels: Optional[str] = None
    work_order_id: Optional[str] = None


@dataclass(frozen=True)
class AgentChangeEvent(Event):
    """The agent's status changed (agent_change)."""

    agent_status: Union[AgentStatus, str, None] = None
    sub_agent_status: Union[SubStatus, str, None] = None
    last_agent_status: Union[AgentStatus, str, None] = None
    in_call_numbers: List[str] = field(default_factory=list)
    reason: Optional[str] = None


@dataclass(frozen=True)
class ConnectionStateEvent(Event):
    """The SDK's link to the CTI server changed: connecting, connected, disconnected or reconnecting."""

    state: str = ""
    reason: Optional[str] = None
    attempt: int = 0
    delay_ms: int = 0


@dataclass(frozen=True)
class SessionRestoredEvent(Event):
    """After a reconnect the session is back (status as the server reports it), or lost (error, code)."""

    status: Union[AgentStatus, str, None] = None
    sub_status: Union[SubStatus, str, None] = None
    uuid: Optional[str] = None
    in_call_numbers: List[str] = field(default_factory=list)
    resynced: bool = False
    error: Optional[str] = None
    code: Optional[str] = None

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


def _int(v: Any) -> Optional[int]:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


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
        )
    if mt == "agent_change":
        return AgentChangeEvent(
            mt, data, raw,
            agent_status=_enum(AgentStatus, g("agent_status")),
            sub_agent_status=_enum(SubStatus, g("sub_agent_status") or None),
            last_agent_status=_enum(AgentStatus, g("last_agent_status")),
            in_call_numbers=list(g("in_call_numbers") or []),
            reason=g("reason"),
        )
    if mt == "connection_state":
        return ConnectionStateEvent(
            mt, data, raw, state=str(g("state", "")), reason=g("reason"),
            attempt=_int(g("attempt")) or 0, delay_ms=_int(g("delay_ms")) or 0,
        )
    if mt == "session_restored":
        return SessionRestoredEvent(
            mt, data, raw, status=_enum(AgentStatus, g("status") or None), sub_status=_enum(SubStatus, g("sub_status") or None),
            uuid=g("uuid"), in_call_numbers=list(g("in_call_numbers") or []), resynced=bool(g("resynced", False)),
            error=g("error"), code=g("code"),
        )
    if mt == "log":
        return LogEvent(
            mt, data, raw, level=str(g("level", "")), message=str(g("message", "")),
            time=str(g("time", "")), attrs=dict(g("attrs") or {}),
        )
    if mt == "rtc_registration":
        return RTCRegistrationEvent(mt, data, raw, state=str(g("state", "")), reason=g("reason"), code=_int(g("code")))
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
