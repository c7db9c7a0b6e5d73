"""The protocol's enumerations, as `str` / `int` enums.

A value the SDK does not know (a newer platform) is never forced into one of
these: the parsed event or reply keeps the plain value instead.
"""

from __future__ import annotations

import enum

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
