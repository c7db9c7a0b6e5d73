"""Absent, not empty: every typed event and reply reads a field the server left out as None (or an empty list).

The platform's server omits what it has no value for (the check-in push has
no reason, sub_agent_status or last_agent_status; get_status has no
sub_status, uuid or reply). A "" or 0 in their place would read as a value.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from cloudcc import events

# The fields each kind always carries; every other typed field must read None when absent.
ALWAYS = {"msg_type", "data", "raw", "code", "msg", "req_id", "success", "state", "uuid", "caller_number", "digit",
          "level", "message", "time", "attempt", "delay_ms", "resynced", "attrs"}

MINIMAL_EVENTS = [
    {"msg_type": "agent_change", "agent_status": "FREE"},
    {"msg_type": "callback", "action": "EXT_UN_REG", "success": True, "msg": "分机已注销"},
    {"msg_type": "callin", "uuid": "u1", "caller_number": "139", "callin_channel": "CALL_IN"},
    {"msg_type": "kick_off", "code": "0", "msg": "m"},
    {"msg_type": "session_restored", "status": "FREE", "resynced": True},
    {"msg_type": "rtc_registration", "state": "registering"},
    {"msg_type": "rtc_call", "uuid": "u1", "state": "ringing"},
    {"msg_type": "connectivity", "state": "up"},
    {"msg_type": "rtc_dtmf", "uuid": "u1", "digit": "1"},
    {"msg_type": "rtc_stats", "uuid": "u1", "mos": None},
]


@pytest.mark.parametrize("frame", MINIMAL_EVENTS, ids=lambda f: f["msg_type"])
def test_absent_event_fields_read_none(frame):
    ev = events.parse_event(json.dumps(frame))
    assert type(ev) is not events.UnknownEvent
    for f in dataclasses.fields(ev):
        if f.name in ALWAYS or f.name in frame:
            continue
        v = getattr(ev, f.name)
        assert v is None or v == [], f"{frame['msg_type']}.{f.name} = {v!r} for an absent field"


@pytest.mark.parametrize("request_type,frame", [
    ("get_status", {"code": "0", "msg": "获取成功!", "status": "FREE", "req_id": "3", "company_code": "090008", "msg_type": "get_status"}),
    ("checkout", {"code": "0", "msg": "签出成功", "req_id": "9", "company_code": "090008", "msg_type": "checkout"}),
    ("change_media", {"code": "0", "msg": "ok", "req_id": "4", "msg_type": "change_media"}),
    ("eavesdrop", {"code": "0", "msg": "ok", "req_id": "5", "msg_type": "eavesdrop"}),
], ids=lambda x: x if isinstance(x, str) else "")
def test_absent_reply_fields_read_none(request_type, frame):
    r = events.parse_reply(json.dumps(frame), request_type)
    assert r.get("reply") is None and r.uuid is None
    for f in dataclasses.fields(r):
        if f.name in ALWAYS or f.name in frame:
            continue
        v = getattr(r, f.name)
        assert v is None or v == [], f"{request_type}.{f.name} = {v!r} for an absent field"
