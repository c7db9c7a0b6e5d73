"""Typed replies: a request's answer as the library hands it over.

Every reply keeps the normalized fields in `data` and the frame as received
in `raw`; a few requests have a typed reply with their own fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Type, Union

from ._parse import _data, _enum, _int, _raw_text, _split_reply
from .enums import AgentStatus, Media, SubStatus

__all__ = [
    "Reply",
    "StatusReply",
    "SupervisorReply",
    "ChangeMediaReply",
    "parse_reply",
]


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
        split = _split_reply(text)
        if split is not None:
            data, raw = split
        else:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                obj = {"data": obj}
            data, raw = _data(obj), _raw_text(obj)
        g = data.get
        mt, code, msg, rid = g("msg_type", ""), g("code", ""), g("msg", ""), g("req_id", "")
        if cls.__init__ is not _FAST_INIT.get(cls):
            return cls(msg_type=_str(mt), code=_str(code), msg=_str(msg), req_id=_str(rid), data=data, raw=raw or text,
                       **cls._typed_fields(data))
        # Every field is given: set them as the dataclass's own __init__
        # would, without its per-field object.__setattr__ (a frozen
        # dataclass's), which cost about as much as the rest of the reply.
        r = object.__new__(cls)
        d = r.__dict__
        d["msg_type"] = mt if type(mt) is str else str(mt)
        d["code"] = code if type(code) is str else str(code)
        d["msg"] = msg if type(msg) is str else str(msg)
        d["req_id"] = rid if type(rid) is str else str(rid)
        d["data"] = data
        d["raw"] = raw or text
        if cls is not Reply:
            d.update(cls._typed_fields(data))
        return r

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


def _str(v: Any) -> str:
    return v if type(v) is str else str(v)


# The classes whose replies from_json builds without calling __init__: the
# dataclass __init__ each had when this module was loaded (a subclass of
# an application's with its own __init__ goes through it).
_FAST_INIT: Dict[type, Any] = {c: c.__init__ for c in (Reply, StatusReply, SupervisorReply, ChangeMediaReply)}

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
        split = _split_reply(text)
        try:
            obj = split[0] if split is not None else json.loads(text)
            request_type = str(obj.get("msg_type", "")) if isinstance(obj, dict) else ""
        except ValueError:
            request_type = ""
    return _REPLY_TYPES.get(request_type.strip(), Reply).from_json(text)
