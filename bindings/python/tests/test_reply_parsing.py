"""Reply parsing: the fast path (fields parsed alone, the frame's text taken as it is) gives
what a full parse of the library's reply JSON gives."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cloudcc.replies import ChangeMediaReply, Reply, StatusReply, SupervisorReply, parse_reply

FRAME = '{"req_id":"r1","msg_type":"pong","code":"0","msg":"success"}'

CASES = [
    # (library reply JSON, request type)
    ('{"req_id":"r1","msg_type":"pong","code":"0","msg":"success","raw":' + FRAME + "}", "ping"),
    # the frame verbatim, spaces and all
    ('{"req_id":"r1","msg_type":"hold","code":"0","msg":"ok","hold":true,"raw":{ "req_id" : "r1", "hold":"1" }}', "hold"),
    # a frame that was not valid JSON travels as a JSON string
    ('{"req_id":"r","code":"1","msg":"a","msg_type":"hold","raw":"{\\"req_id\\":\\"r\\",\\"code\\":\\"1\\",\\"msg\\":\\"a\\",}"}', "hold"),
    # fields holding what looks like the raw key, escaped as a string must be
    ('{"req_id":"r","msg_type":"call","code":"0","msg":"x\\",\\"raw\\":{}","uuid":"u","raw":{"msg":"x\\",\\"raw\\":{}"}}', "call"),
    ('{"raw":{"a":1}}', "ping"),
    ('{"req_id":"r","msg_type":"get_status","code":"0","msg":"获取成功!","status":"CALLING","sub_status":"HOLD",'
     '"uuid":"c1","in_call_numbers":["139"],"company_code":"090008","raw":{"status":"CALLING"}}', "get_status"),
    ('{"req_id":"r","msg_type":"eavesdrop","code":"0","msg":"","uuid":"leg","in_call_numbers":["a","b"],"raw":{}}', "eavesdrop"),
    ('{"req_id":"r","msg_type":"change_media","code":"0","msg":"","audio":3,"video":1,"pixels":"720","raw":{}}', "change_media"),
    ('{"req_id":"r","msg_type":"change_media","code":"0","msg":"","raw":{}}', "change_media"),
    # not the library's shape: parsed whole
    ('{"req_id":"r","msg_type":"pong","code":"0"}', "ping"),
    ('{"req_id":"r","code":7,"msg":null,"raw":{}}', None),
]


def full_parse(text: str, request_type):
    """The reply as the binding built it before the fast path: everything parsed, raw re-encoded."""
    obj = json.loads(text)
    raw = obj.get("raw")
    if raw is None:
        raw_text = text
    elif isinstance(raw, str):
        raw_text = raw
    else:
        raw_text = None  # compared through json.loads below
    data = {k: v for k, v in obj.items() if k != "raw"}
    return data, raw, raw_text


@pytest.mark.parametrize("text,request_type", CASES)
def test_fast_parse_matches_full_parse(text, request_type):
    r = parse_reply(text, request_type)
    data, raw, raw_text = full_parse(text, request_type)
    assert r.data == data
    assert r.msg_type == str(data.get("msg_type", "")) and r.code == str(data.get("code", ""))
    assert r.msg == str(data.get("msg", "")) and r.req_id == str(data.get("req_id", ""))
    if raw_text is not None:
        assert r.raw == raw_text
    else:
        assert json.loads(r.raw) == raw  # the frame's own text, verbatim
        assert r.raw in text
    # The typed reply, every field set, equal to one made by its constructor.
    fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
    assert r == type(r)(**fields)
    assert hash(r.ok) is not None and repr(r).startswith(type(r).__name__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.code = "x"  # type: ignore[misc]


def test_typed_replies():
    assert isinstance(parse_reply(CASES[5][0], "get_status"), StatusReply)
    s = parse_reply(CASES[5][0], "get_status")
    assert s.status == "CALLING" and s.sub_status == "HOLD" and s.in_call_numbers == ["139"] and s.company_code == "090008"
    sv = parse_reply(CASES[6][0], "eavesdrop")
    assert isinstance(sv, SupervisorReply) and sv.in_call_numbers == ["a", "b"] and sv.uuid == "leg"
    cm = parse_reply(CASES[7][0], "change_media")
    assert isinstance(cm, ChangeMediaReply) and cm.audio == 3 and cm.video == 1 and cm.pixels == "720"
    assert parse_reply(CASES[8][0], "change_media").audio is None
    assert type(parse_reply(CASES[0][0], "ping")) is Reply
    assert parse_reply(CASES[0][0]).msg_type == "pong"  # the type from the reply itself


def test_subclass_with_own_init_is_constructed():
    seen = []

    @dataclasses.dataclass(frozen=True)
    class Mine(Reply):
        def __post_init__(self) -> None:
            seen.append(self.req_id)

    r = Mine.from_json(CASES[0][0])
    assert isinstance(r, Mine) and seen == ["r1"]
