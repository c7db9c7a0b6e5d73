"""Typed events: what the platform pushes and what the SDK itself reports.

Every event keeps the normalized fields in `data` and, for the server's
pushes, the frame as received in `raw`. The enumerations live in
`cloudcc.enums` and the replies in `cloudcc.replies`; both are also
importable from here, as they always were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from ._parse import _bool, _data, _enum, _float, _int, _raw_text
from .audio import AudioDeviceRef, AudioRole, QualityWarning
from .enums import (
    AgentStatus,
    CallbackAction,
    CallinChannel,
    ConsultMode,
    DTMFType,
    Media,
    OutLine,
    PartyType,
    Phase,
    PlayAction,
    RecordStart,
    ServiceMode,
    StatusAction,
    SubStatus,
    TransMode,
    TransTarget,
)
from .errors import ServerError, server_error
from .replies import ChangeMediaReply, Reply, StatusReply, SupervisorReply, parse_reply

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
    "AudioDevicesChangedEvent",
    "AudioDeviceFallbackEvent",
    "AudioDeviceErrorEvent",
    "CallQualityWarningEvent",
    "parse_event",
    "parse_reply",
    "event_kind",
]


@dataclass(frozen=True)
class Event:
    """Base of every event: its msg_type, normalized fields (`data`) and frame as received (`raw`)."""

    msg_type: str
    data: Dict[str, Any] = field(repr=False, compare=False)
    raw: str = field(repr=False, compare=False)


@dataclass(frozen=True)
class ServerEvent(Event):
    """Base of the server's pushes (callback, callin, agent_change, kick_off, connect): the fields every one may carry."""

    req_id: Optional[str] = None
    """The push's req_id, when sent: the request's on the spec's servers, one of its own on the platform's."""
    company_code: Optional[str] = None
    """The agent's company, when sent."""
    agent_id: Optional[str] = None
    """The agent the push is about, when sent."""
    ext_id: Optional[str] = None
    """The agent's extension, when sent."""


@dataclass(frozen=True)
class CallbackEvent(ServerEvent):
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
class CallinEvent(ServerEvent):
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
class AgentChangeEvent(ServerEvent):
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
class KickOffEvent(ServerEvent):
    """Another device checked in as this agent (kick_off, 坐席互顶下线通知): this session is no longer the agent's."""

    code: str = ""
    """The server's code ("0")."""
    msg: str = ""
    """The server's message, naming the other device's IP."""
    os: Optional[str] = None
    """The os of the session, when sent."""
    agent_ip: Optional[str] = None
    """The IP of the device that checked in (sent as "agentIp")."""


@dataclass(frozen=True)
class ConnectEvent(ServerEvent):
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
    """The link's state: connecting, connected, reconnecting or disconnected."""
    reason: Optional[str] = None
    """Why the link went down, when it did."""
    attempt: int = 0
    """The reconnect attempt, from 1 (0 when not reconnecting)."""
    delay_ms: int = 0
    """The wait before that attempt, in milliseconds."""


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
class EventsDroppedEvent(Event):
    """The handlers (or the native poll queue) fell behind: the oldest events were dropped (events_dropped).

    It comes before the first event after the gap; event_queue_max and
    event_queue_max_bytes bound the queues.
    """

    dropped: int = 0
    """Events dropped since the previous note."""
    dropped_total: int = 0
    """Events dropped since the client was made."""
    queue: Optional[str] = None
    """Which queue dropped them: "callback" or "poll"."""
    reason: Optional[str] = None
    """Why, in words."""


@dataclass(frozen=True)
class LogEvent(Event):
    """A log line of the native SDK (secrets redacted); also forwarded to logging "cloudcc"."""

    level: str = ""
    """trace, debug, info, warn or error."""
    message: str = ""
    """The line."""
    time: str = ""
    """When it was logged (RFC 3339)."""
    attrs: Dict[str, Any] = field(default_factory=dict)
    """Its structured attributes."""


@dataclass(frozen=True)
class UnknownEvent(Event):
    """An event of a msg_type this SDK does not know; see `data` and `raw`."""


@dataclass(frozen=True)
class RTCRegistrationEvent(Event):
    """RTC mode: the phone's SIP registration changed (registering, registered, failed, unregistered)."""

    state: str = ""
    """registering, registered, failed or unregistered."""
    reason: Optional[str] = None
    """Why (failed, unregistered), when said."""
    code: Optional[int] = None
    """The SIP status (403 wrong password ...), when there is one."""
    aor: Optional[str] = None
    """The address of record, sip:{ext_id}@{domain}."""
    expires_s: Optional[int] = None
    """The granted registration lifetime in seconds (registered)."""
    rtc_address: Optional[str] = None
    """The rtc_address check-in gave (the platform's is host:port, without a scheme)."""
    url: Optional[str] = None
    """The SIP WebSocket URL the phone dialled for it."""


@dataclass(frozen=True)
class RTCCallEvent(Event):
    """RTC mode: a call of the phone changed state (ringing, answered, held, ended, ...)."""

    uuid: str = ""
    """The CTI call uuid ("" until known)."""
    state: str = ""
    """ringing, answered, confirmed, held, ended, or calling / early for calls the phone places."""
    direction: Optional[str] = None
    """incoming (the platform rings the agent's leg; every CTI call does) or outgoing."""
    reason: Optional[str] = None
    """Why (ended, failed media, a uuid learned late), when said."""
    call_id: Optional[str] = None
    """The SIP Call-ID."""
    uuid_from: Optional[str] = None
    """How the uuid was learned: x-cc-uuid, request, callin, answer or only_call."""
    auto_answer: Optional[bool] = None
    """True when the SDK answered the call by itself (None: not said, so no)."""
    media: Optional[str] = None
    """"failed" when ICE/DTLS did not connect in rtc_media_timeout_ms."""
    local_hold: Optional[bool] = None
    """True while the agent's side holds the call."""
    remote_hold: Optional[bool] = None
    """True while the other side holds the call."""
    remote: Optional[str] = None
    """The other party's SIP address, when known."""
    code: Optional[int] = None
    """The SIP status that ended the call, when there is one."""


@dataclass(frozen=True)
class ConnectivityEvent(Event):
    """RTC mode: the joined view of the CTI link, the SIP registration and each call's ICE state."""

    state: str = ""
    """ok, degraded or down."""
    reason: Optional[str] = None
    """What is wrong, when something is."""
    cti: Optional[str] = None
    """The CTI link's state (connected, reconnecting, ...)."""
    sip: Optional[str] = None
    """The SIP link's state (connected, reconnecting, ...)."""
    registration: Optional[str] = None
    """The registration's state (registering, registered, failed, ...)."""
    calls: List[Dict[str, Any]] = field(default_factory=list)
    """Each call: uuid, call_id, state and ice (new, checking, connected, disconnected, failed, closed)."""


@dataclass(frozen=True)
class RTCDTMFEvent(Event):
    """RTC mode: a DTMF digit received on a call, with how it came (rfc4733, info, inband)."""

    uuid: str = ""
    """The CTI call uuid."""
    digit: str = ""
    """The digit: 0-9, *, #, A-D."""
    mode: Optional[str] = None
    """How it came: rfc4733, info or inband."""
    call_id: Optional[str] = None
    """The SIP Call-ID."""


@dataclass(frozen=True)
class RTCStatsEvent(Event):
    """RTC mode: a call's periodic quality figures (every rtc_stats_interval_ms)."""

    uuid: str = ""
    """The CTI call uuid."""
    mos: Optional[float] = None
    """Mean opinion score estimate (E-model), 1..4.41; None while no audio was received."""
    call_id: Optional[str] = None
    """The SIP Call-ID."""
    rtt_ms: Optional[float] = None
    """Round-trip time, ms (from RTCP)."""
    jitter_ms: Optional[float] = None
    """Interarrival jitter of the received audio, ms."""
    loss: Optional[float] = None
    """Loss rate of the received audio, 0..1."""
    remote_loss: Optional[float] = None
    """Loss rate the peer reports of the audio sent, 0..1."""
    bitrate_kbps: Optional[float] = None
    """Received bit rate (audio + video), kbit/s."""
    send_kbps: Optional[float] = None
    """Sent bit rate (audio + video), kbit/s."""
    no_data: Optional[bool] = None
    """True while no audio was received: loss, jitter and mos measure nothing."""
    packets_sent: Optional[int] = None
    """Audio packets sent."""
    packets_received: Optional[int] = None
    """Audio packets received."""
    packets_lost: Optional[int] = None
    """Audio packets lost (RFC 3550 cumulative; may be negative with duplicates)."""
    audio_codec: Optional[str] = None
    """The audio codec in use, when known."""
    jitter_buffer_ms: Optional[int] = None
    """The jitter buffer's depth, ms."""


@dataclass(frozen=True)
class AudioDevicesChangedEvent(Event):
    """Sound devices came or went, or the default changed (audio_devices_changed); audio.devices() lists them now."""

    added: List[str] = field(default_factory=list)
    """The ids of the devices added."""
    removed: List[str] = field(default_factory=list)
    """The ids of the devices removed."""
    default_changed: Optional[bool] = None
    """True when a default device (or default communications device) changed."""


@dataclass(frozen=True)
class AudioDeviceFallbackEvent(Event):
    """The device of a role went away: the SDK moved to the default (communications) device and the call goes on (audio_device_fallback)."""

    role: Union[AudioRole, str, None] = None
    """microphone, speaker or ringer (the text of a role this SDK does not know)."""
    uuid: Optional[str] = None
    """The call that moved, when one did."""
    old: Optional[AudioDeviceRef] = None
    """The device that went away."""
    new: Optional[AudioDeviceRef] = None
    """The device now in use."""


@dataclass(frozen=True)
class AudioDeviceErrorEvent(Event):
    """A sound device failed (audio_device_error); a call on it goes on (see AudioDeviceFallbackEvent)."""

    role: Union[AudioRole, str, None] = None
    """microphone, speaker or ringer (the text of a role this SDK does not know)."""
    device_id: Optional[str] = None
    """The device's id (the event's "id")."""
    error: Optional[str] = None
    """What failed, in words."""
    uuid: Optional[str] = None
    """The call it happened in, when one."""


@dataclass(frozen=True)
class CallQualityWarningEvent(Event):
    """A call-quality warning raised or cleared (call_quality_warning), sampled each second; cleared no sooner than 5 s after raised."""

    uuid: str = ""
    """The call."""
    name: Union[QualityWarning, str, None] = None
    """Which warning (the text of one this SDK does not know)."""
    raised: Optional[bool] = None
    """True when raised, False when cleared."""
    value: Optional[float] = None
    """The measured value (ms, share of packets, MOS, dBFS ... as the warning counts)."""
    threshold: Optional[float] = None
    """The rule's threshold, in the same unit."""

    @property
    def cleared(self) -> bool:
        """True when the warning was cleared."""
        return self.raised is False


def _header(g: Any) -> Dict[str, Any]:
    """The fields every server push may carry (ServerEvent)."""
    return {"req_id": g("req_id"), "company_code": g("company_code"), "agent_id": g("agent_id"), "ext_id": g("ext_id")}


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
            mt, data, raw, **_header(g),
            action=_enum(CallbackAction, g("action")),
            phase=_enum(Phase, g("phase")),
            success=bool(g("success", False)),
            msg=str(g("msg", "")),
            uuid=g("uuid"),
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
            mt, data, raw, **_header(g),
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
            mt, data, raw, **_header(g),
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
            mt, data, raw, **_header(g), code=str(g("code", "")), msg=str(g("msg", "")), os=g("os"),
            agent_ip=g("agent_ip"),
        )
    if mt == "connect":
        return ConnectEvent(mt, data, raw, **_header(g), code=str(g("code", "")), msg=str(g("msg", "")))
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
    if mt == "events_dropped":
        return EventsDroppedEvent(
            mt, data, raw, dropped=_int(g("dropped")) or 0, dropped_total=_int(g("dropped_total")) or 0,
            queue=g("queue"), reason=g("reason"),
        )
    if mt == "log":
        return LogEvent(
            mt, data, raw, level=str(g("level", "")), message=str(g("message", "")),
            time=str(g("time", "")), attrs=dict(g("attrs") or {}),
        )
    if mt == "rtc_registration":
        return RTCRegistrationEvent(
            mt, data, raw, state=str(g("state", "")), reason=g("reason"), code=_int(g("code")), aor=g("aor"),
            expires_s=_int(g("expires_s")), rtc_address=g("rtc_address"), url=g("url"),
        )
    if mt == "rtc_call":
        return RTCCallEvent(
            mt, data, raw, uuid=str(g("uuid", "")), state=str(g("state", "")), direction=g("direction"),
            reason=g("reason"), call_id=g("call_id"), uuid_from=g("uuid_from"), auto_answer=_bool(g("auto_answer")),
            media=g("media"), local_hold=_bool(g("local_hold")), remote_hold=_bool(g("remote_hold")),
            remote=g("remote"), code=_int(g("code")),
        )
    if mt == "connectivity":
        return ConnectivityEvent(
            mt, data, raw, state=str(g("state", "")), reason=g("reason"), cti=g("cti"), sip=g("sip"),
            registration=g("registration"), calls=[dict(c) for c in g("calls") or [] if isinstance(c, dict)],
        )
    if mt == "rtc_dtmf":
        return RTCDTMFEvent(
            mt, data, raw, uuid=str(g("uuid", "")), digit=str(g("digit", "")), mode=g("mode"), call_id=g("call_id"),
        )
    if mt == "rtc_stats":
        return RTCStatsEvent(
            mt, data, raw, uuid=str(g("uuid", "")), mos=_float(g("mos")), call_id=g("call_id"),
            rtt_ms=_float(g("rtt_ms")), jitter_ms=_float(g("jitter_ms")), loss=_float(g("loss")),
            remote_loss=_float(g("remote_loss")), bitrate_kbps=_float(g("bitrate_kbps")),
            send_kbps=_float(g("send_kbps")), no_data=_bool(g("no_data")), packets_sent=_int(g("packets_sent")),
            packets_received=_int(g("packets_received")), packets_lost=_int(g("packets_lost")),
            audio_codec=g("audio_codec"), jitter_buffer_ms=_int(g("jitter_buffer_ms")),
        )
    if mt == "audio_devices_changed":
        return AudioDevicesChangedEvent(
            mt, data, raw, added=[str(x) for x in g("added") or []], removed=[str(x) for x in g("removed") or []],
            default_changed=_bool(g("default_changed")),
        )
    if mt == "audio_device_fallback":
        return AudioDeviceFallbackEvent(
            mt, data, raw, role=_enum(AudioRole, g("role") or None), uuid=g("uuid") or None,
            old=AudioDeviceRef.parse(g("old")), new=AudioDeviceRef.parse(g("new")),
        )
    if mt == "audio_device_error":
        return AudioDeviceErrorEvent(
            mt, data, raw, role=_enum(AudioRole, g("role") or None), device_id=g("id"), error=g("error"),
            uuid=g("uuid") or None,
        )
    if mt == "call_quality_warning":
        return CallQualityWarningEvent(
            mt, data, raw, uuid=str(g("uuid", "")), name=_enum(QualityWarning, g("name") or None),
            raised=_bool(g("raised")), value=_float(g("value")), threshold=_float(g("threshold")),
        )
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
    EventsDroppedEvent: "events_dropped",
    LogEvent: "log",
    RTCRegistrationEvent: "rtc_registration",
    RTCCallEvent: "rtc_call",
    ConnectivityEvent: "connectivity",
    RTCDTMFEvent: "rtc_dtmf",
    RTCStatsEvent: "rtc_stats",
    AudioDevicesChangedEvent: "audio_devices_changed",
    AudioDeviceFallbackEvent: "audio_device_fallback",
    AudioDeviceErrorEvent: "audio_device_error",
    CallQualityWarningEvent: "call_quality_warning",
}


def event_kind(cls: type) -> Optional[str]:
    """The msg_type of the events of class `cls`, or None when it is not an event class of this SDK."""
    return _EVENT_KINDS.get(cls)
