"""The binding's tables against the C ABI's contract, include/cloudcc.abi.json.

The contract is written from the library's own tables by `go test ./capi -run
TestABIContract -update`; these tests fail when the binding drifts from it:
status codes and their exceptions, config keys (every one a Client keyword
argument that reaches the config JSON with its name and type), request, HTTP
and media names, event types and their fields, enumerations. They need no
server. Run from a checkout and, by tests/packaging/run.sh, against an
installed package (installed_check.py imports them).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

import cloudcc
from cloudcc import _ffi, errors, events
from cloudcc._requests import Requests
from cloudcc.config import SECONDS, IceServer, config_json

CONTRACT_PATH = Path(__file__).resolve().parents[3] / "include" / "cloudcc.abi.json"
CONTRACT: Dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))

# The contract's enumerations and the binding's enum of each; the others are plain strings here.
ENUMS = {
    "agent_status": cloudcc.AgentStatus,
    "sub_status": cloudcc.SubStatus,
    "status_action": cloudcc.StatusAction,
    "callback_action": cloudcc.CallbackAction,
    "callback_phase": cloudcc.Phase,
    "callin_channel": cloudcc.CallinChannel,
    "media_direction": cloudcc.Media,
    "trans_mode": cloudcc.TransMode,
    "trans_target": cloudcc.TransTarget,
    "consult_mode": cloudcc.ConsultMode,
    "party_type": cloudcc.PartyType,
    "out_line": cloudcc.OutLine,
    "dtmf_type": cloudcc.DTMFType,
    "service_mode": cloudcc.ServiceMode,
    "record_start": cloudcc.RecordStart,
    "play_action": cloudcc.PlayAction,
}
UNTYPED_ENUMS = {"connection_state", "log_level"}  # str fields and arguments in Python

# A typed event attribute whose name is not its field's.
FIELD_OF_ATTR = {"current_time": "curren_time", "device_id": "id"}

# Each media call of the binding and the cc_client_media name it sends.
MEDIA_CALLS = {
    "play_wav": lambda c: c.play_wav("x.wav"),
    "play_tone": lambda c: c.play_tone(440),
    "stop_play": lambda c: c.stop_play(),
    "record_wav": lambda c: c.record_wav("x.wav"),
    "stop_record": lambda c: c.stop_record(),
    "stats": lambda c: c.call_stats(),
    "calls": lambda c: c.rtc_calls(),
    "audio_devices": lambda c: c.audio.devices(),
    "audio_select": lambda c: (c.audio.select_microphone("m"), c.audio.select_speaker("s"), c.audio.select_ringer("r")),
    "audio_processing": lambda c: c.audio.processing(aec=True),
    "audio_ringtone": lambda c: c.audio.ringtone("off"),
    "precall_test": lambda c: c.precall_test(),
}

def _status_const(name: str) -> str:
    return "OK" if name == "CC_OK" else name[len("CC_"):]


def test_status_codes_and_their_exceptions():
    statuses = CONTRACT["statuses"]
    for s in statuses:
        const = _status_const(s["name"])
        assert getattr(_ffi, const, None) == s["value"], f"_ffi.{const} is not {s['value']}"
        assert _ffi.status_str(s["value"]) == s["text"]
        if s["value"] == 0:
            continue
        cls = errors._BY_STATUS.get(s["value"])
        assert cls is not None and issubclass(cls, cloudcc.CloudCCError), f"{s['name']} has no exception class"
        assert cls.__name__ in cloudcc.__all__, f"{cls.__name__} is not exported"
        e = errors.from_status(s["value"], json.dumps({"code": str(s["value"]), "msg": "m"}))
        assert type(e) is cls and e.status == s["value"] and e.code == str(s["value"])
    assert set(errors._BY_STATUS) == {s["value"] for s in statuses if s["value"]}
    # No status constant of the binding is missing from the contract.
    ours = {k for k in vars(_ffi) if k == "OK" or k.startswith("ERR_")}
    assert ours == {_status_const(s["name"]) for s in statuses}
    assert _ffi.status_str(12345) == CONTRACT["status_unknown_text"]


def _kwarg(key: str) -> str:
    return key[: -len("_ms")] if key.endswith("_ms") else key


def _binding_value(k: Dict[str, Any]) -> Any:
    """The sample of config key k as Client takes it (seconds for milliseconds)."""
    return k["sample"] / 1000 if k.get("unit") == "ms" else k["sample"]


def _json_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object"}.get(type(v), repr(type(v)))


def _client_kwargs() -> List[str]:
    params = inspect.signature(cloudcc.Client.__init__).parameters
    return [p for p in params if p not in ("self", "ws_url", "event_buffer")]


def test_every_config_key_is_a_client_argument():
    keys = CONTRACT["config"]
    kwargs = _client_kwargs()
    documented = set(re.findall(r"^\s{12}(\w+): ", cloudcc.Client.__init__.__doc__ or "", re.M))
    for k in keys:
        if k["key"] == "ws_url":
            continue  # Client's first argument
        kw = _kwarg(k["key"])
        assert kw in kwargs, f"Client takes no {kw} (config {k['key']})"
        assert kw in documented, f"Client's docstring does not document {kw}"
        assert (kw in SECONDS) == (k.get("unit") == "ms"), f"{kw}: seconds or not"
        cfg = json.loads(config_json("ws://h/ws", {kw: _binding_value(k)}))
        assert cfg[k["key"]] == k["sample"] and _json_type(cfg[k["key"]]) == k["type"], (k["key"], cfg)
    # No argument is left without a key of the contract.
    assert sorted(kwargs) == sorted(_kwarg(k["key"]) for k in keys if k["key"] != "ws_url")


def test_the_config_of_every_sample_is_the_contract_s_and_the_library_takes_it():
    keys = CONTRACT["config"]
    samples = {k["key"]: k["sample"] for k in keys}
    options = {_kwarg(k["key"]): _binding_value(k) for k in keys if k["key"] != "ws_url"}
    assert json.loads(config_json(samples["ws_url"], options)) == samples
    with cloudcc.Client(samples["ws_url"], **options) as c:
        assert not c.closed


def test_ice_servers_as_typed_objects():
    sample = next(k["sample"] for k in CONTRACT["config"] if k["key"] == "ice_servers")
    typed = [IceServer(**s) for s in sample]
    assert json.loads(config_json("ws://h/ws", {"ice_servers": typed}))["ice_servers"] == sample
    one = json.loads(config_json("ws://h/ws", {"ice_servers": [IceServer("stun:h:3478")]}))["ice_servers"]
    assert one == [{"urls": ["stun:h:3478"], "username": "", "credential": ""}]
    with pytest.raises(TypeError):
        config_json("ws://h/ws", {"ice_servers": ["stun:h:3478"]})


def test_a_negative_duration_is_off():
    cfg = json.loads(config_json("ws://h/ws", {"heartbeat_interval": -1, "rtc_ring_timeout": -5, "request_timeout": 1.005}))
    assert cfg == {"ws_url": "ws://h/ws", "heartbeat_interval_ms": -1, "rtc_ring_timeout_ms": -1, "request_timeout_ms": 1005}


def test_a_short_positive_duration_is_not_the_default():
    # 0 ms is the library's default (5 s for request_timeout_ms): a positive
    # duration under half a millisecond must not round to it.
    cfg = json.loads(config_json("ws://h/ws", {"request_timeout": 0.0004, "rtc_stats_interval": 1e-6, "dial_timeout": 0}))
    assert cfg == {"ws_url": "ws://h/ws", "request_timeout_ms": 1, "rtc_stats_interval_ms": 1, "dial_timeout_ms": 0}


def test_an_ice_server_dict_takes_one_url_as_a_string():
    cfg = json.loads(config_json("ws://h/ws", {"ice_servers": [{"urls": "stun:h:3478"}, IceServer("turn:h:3478", "u", "p")]}))
    assert cfg["ice_servers"] == [{"urls": ["stun:h:3478"]},
                                  {"urls": ["turn:h:3478"], "username": "u", "credential": "p"}]
    with cloudcc.Client("ws://127.0.0.1:1/ws", ice_servers=[{"urls": "stun:h:3478"}]) as c:
        assert not c.closed  # the library takes it


def test_enumerations():
    for e in CONTRACT["enums"]:
        if e["name"] in UNTYPED_ENUMS:
            continue
        cls = ENUMS.get(e["name"])
        assert cls is not None, f"the contract's enumeration {e['name']} has no enum in the binding"
        assert [m.value for m in cls] == e["values"], e["name"]
    assert set(ENUMS) | UNTYPED_ENUMS == {e["name"] for e in CONTRACT["enums"]}
    log_levels = next(e["values"] for e in CONTRACT["enums"] if e["name"] == "log_level")
    assert set(log_levels) - {"off"} <= set(cloudcc.client._LOG_LEVELS), "a log level the binding cannot forward"


class _Recorder(Requests[Any]):
    """Requests whose every payload is kept instead of sent."""

    def __init__(self) -> None:
        self.sent: List[Any] = []

    def _send(self, payload: Dict[str, Any], timeout: Any) -> Any:
        self.sent.append(("request", payload["msg_type"]))

    def _send_http(self, name: str, params: Dict[str, Any], timeout: Any) -> Any:
        self.sent.append(("http", name))


def _methods_sending() -> Dict[str, Any]:
    """What each request method of the binding sends: ("request", msg_type) or ("http", name)."""
    out = {}
    for name, fn in inspect.getmembers(Requests, inspect.isfunction):
        if name.startswith("_"):
            continue
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.name != "self" and p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        r = _Recorder()
        getattr(r, name)(*["1"] * len(required))
        assert len(r.sent) == 1, name
        out[name] = r.sent[0]
    return out


def test_requests_and_http_calls():
    sent = _methods_sending()
    requests = {v[1] for v in sent.values() if v[0] == "request"}
    http = {v[1] for v in sent.values() if v[0] == "http"}
    assert requests == set(CONTRACT["requests"])
    assert http == set(CONTRACT["http"])
    for mt in CONTRACT["requests"]:  # each request has the method of its name
        assert sent.get(mt) == ("request", mt), mt


def test_media_calls(monkeypatch):
    names: List[str] = []

    def media(handle: int, name: str, params: Any):
        names.append(name)
        return _ffi.OK, "{}"

    monkeypatch.setattr(_ffi, "media", media)
    with cloudcc.Client("ws://127.0.0.1:1/ws") as c:
        for name, call in MEDIA_CALLS.items():
            names.clear()
            call(c)
            assert names and set(names) == {name}, f"{name}'s call sends {names}"
    assert set(MEDIA_CALLS) == set(CONTRACT["media"])


def _plain(v: Any) -> Any:
    """A typed value as the JSON it was read from: enums their value, dataclasses (AudioDeviceRef) their fields."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {k: _plain(x) for k, x in dataclasses.asdict(v).items() if x is not None}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v.value if isinstance(v, enum.Enum) else v


def _same(typed: Any, sent: Any) -> bool:
    """Whether a typed attribute holds what the field sent (a typed object: each of its fields the sample has)."""
    p = _plain(typed)
    if isinstance(p, dict) and isinstance(sent, dict):
        return bool(p) and all(sent.get(k) == x for k, x in p.items())
    return p == sent


def _event_attrs(cls: type) -> Dict[str, str]:
    """The typed attributes of an event class and the field each reads."""
    base = {f.name for f in dataclasses.fields(events.Event)}
    return {f.name: FIELD_OF_ATTR.get(f.name, f.name) for f in dataclasses.fields(cls) if f.name not in base}


@pytest.mark.parametrize("event", CONTRACT["events"], ids=lambda e: e["msg_type"])
def test_event_types_and_fields(event):
    mt, fields = event["msg_type"], event["fields"]
    classes = [c for c in events._EVENT_KINDS if events.event_kind(c) == mt]
    assert len(classes) == 1, f"no event class for {mt}"
    cls = classes[0]
    attrs = _event_attrs(cls)
    stale = {a: f for a, f in attrs.items() if f not in fields}
    assert not stale, f"{cls.__name__} reads fields the ABI does not deliver: {stale}"
    untyped = set(fields) - set(attrs.values()) - {"raw"}
    assert not untyped, f"{cls.__name__} has no attribute for {sorted(untyped)}"
    for sample in event["samples"]:
        ev = events.parse_event(json.dumps(sample, ensure_ascii=False))
        assert type(ev) is cls and ev.msg_type == mt
        assert ev.data == {k: v for k, v in sample.items() if k != "raw"}
        if "raw" in sample:
            assert json.loads(ev.raw) == sample["raw"]
        for attr, f in attrs.items():
            if f in sample:
                assert _same(getattr(ev, attr), sample[f]), f"{mt}.{attr}: {getattr(ev, attr)!r}, sent {sample[f]!r}"


def test_every_event_class_is_in_the_contract():
    contract = {e["msg_type"] for e in CONTRACT["events"]}
    assert set(events._EVENT_KINDS.values()) == contract
