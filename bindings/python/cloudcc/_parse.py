"""Helpers shared by the parsers of replies and events (library JSON to typed fields)."""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, Mapping, Optional, Tuple, Type, TypeVar, Union

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


_RAW_KEY = ',"raw":'


def _split_reply(text: str) -> Optional[Tuple[Dict[str, Any], str]]:
    """A reply's normalized fields and its raw frame's text, parsing only the fields; None if text is not that shape.

    The library writes a reply as its normalized fields with "raw", the frame
    as received, last: {...,"raw":<frame>}. Inside the fields no '"raw":'
    can stand unescaped (a string's quotes are escaped; no reply field is
    named raw), so the first one starts the frame. Parsing the fields alone
    and taking the frame's text as it is spares a parse of the frame and a
    re-encoding of it.
    """
    if not text.endswith("}"):
        return None
    i = text.find(_RAW_KEY)
    if i >= 0:
        head = text[:i] + "}"
    elif text.startswith('{"raw":'):
        head, i = "{}", 0
    else:
        return None
    raw = text[i + len(_RAW_KEY):-1]
    try:
        obj = json.loads(head)
        if raw.startswith('"'):
            raw = json.loads(raw)  # the frame was not valid JSON: it travels as a string
    except ValueError:
        return None
    if not isinstance(obj, dict) or not isinstance(raw, str):
        return None
    return obj, raw


def _data(obj: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "raw"}


def _float(v: Any) -> Optional[float]:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _bool(v: Any) -> Optional[bool]:
    return None if v is None else bool(v)
