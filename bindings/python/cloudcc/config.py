"""The Client's configuration: its keyword arguments as cc_client_new's config JSON (include/cloudcc.h).

Every config key of the C ABI has a keyword argument of Client (and
AsyncClient) of the same name; a key of milliseconds ("..._ms") is given in
seconds under the name without the suffix (request_timeout=1.5 is
request_timeout_ms 1500), a negative number meaning -1 (off / never).
Arguments left as None are not sent: the library's default applies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Union

from .audio import ringtone_value

__all__ = ["IceServer", "SECONDS", "config_json"]


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server of the media (ice_servers): urls such as "stun:host:3478" or "turn:host:3478?transport=udp"."""

    urls: Union[str, Sequence[str]]
    """One URL or several of the same server."""
    username: str = ""
    """The TURN user name ("" for STUN)."""
    credential: str = ""
    """The TURN password ("" for STUN); a secret, never logged."""

    def to_json(self) -> Dict[str, Any]:
        """The server as an element of the config's ice_servers."""
        urls = [self.urls] if isinstance(self.urls, str) else list(self.urls)
        return {"urls": urls, "username": self.username, "credential": self.credential}


# The keyword arguments given in seconds, and the config key (milliseconds) of each.
SECONDS: Dict[str, str] = {
    name[: -len("_ms")]: name
    for name in (
        "request_timeout_ms",
        "dial_timeout_ms",
        "http_timeout_ms",
        "heartbeat_interval_ms",
        "reconnect_min_ms",
        "reconnect_max_ms",
        "reconnect_stable_ms",
        "rtc_stats_interval_ms",
        "rtc_keepalive_ms",
        "rtc_auto_answer_window_ms",
        "rtc_ring_timeout_ms",
        "rtc_media_timeout_ms",
    )
}


def _ice_servers(servers: Sequence[Union[IceServer, Mapping[str, Any]]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for s in servers:
        if isinstance(s, IceServer):
            out.append(s.to_json())
        elif isinstance(s, Mapping):
            d = dict(s)
            if isinstance(d.get("urls"), str):
                d["urls"] = [d["urls"]]  # one URL, as IceServer (and WebRTC's RTCIceServer) take it
            out.append(d)
        else:
            raise TypeError(f"ice_servers: {s!r} is neither an IceServer nor a dict")
    return out


def config_json(ws_url: str, options: Mapping[str, Any]) -> str:
    """The config JSON of ws_url and Client's keyword arguments (None values left out)."""
    cfg: Dict[str, Any] = {"ws_url": ws_url}
    for k, v in options.items():
        if v is None:
            continue
        if k in SECONDS:
            # -1: off / never; a positive duration is at least 1 ms (0 would be the library's default).
            cfg[SECONDS[k]] = -1 if v < 0 else 0 if v == 0 else max(1, int(round(v * 1000)))
        elif k == "ice_servers":
            cfg[k] = _ice_servers(v)
        elif k == "audio_ringtone" and not isinstance(v, str):
            cfg[k] = ringtone_value(v)  # True, False or a path
        else:
            cfg[k] = v
    return json.dumps(cfg, ensure_ascii=False)
