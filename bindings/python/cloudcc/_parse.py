"""Helpers shared by the parsers of replies and events (library JSON to typed fields)."""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, Mapping, Optional, Type, TypeVar, Union

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


def _float(v: Any) -> Optional[float]:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _bool(v: Any) -> Optional[bool]:
    return None if v is None else bool(v)
