"""The platform server's shapes through the Python binding: typed events, replies and errors.

ccsim's spec dialect cannot send these, so each test injects the frame the
platform's server sends (docs/platform.md) through ccsim's
admin API, and checks what the app sees. get_status, the typed errors and
the status push are also tested against the platform dialect in
test_platform_dialect.py.
"""

from __future__ import annotations

import asyncio
import json
import queue

import pytest

import cloudcc
from cloudcc import (AgentChangeEvent, AgentStatus, AsyncClient, CallbackEvent, CallinChannel, CallinEvent,
                     ChangeMediaReply, ConnectEvent, KickOffEvent, Media, OutLine, ServerRefusalEvent, StatusReply,
                     SubStatus, SupervisorReply)
from conftest import PWD, reply_with


def status_push(a, **fields):
    """The platform's status push: msg_type change_status with a req_id of its own."""
    frame = {"req_id": "4c1d6a4e-push", "msg_type": "change_status", "code": "0", "msg": "success",
             "company_code": "090008", "agent_id": a.id, "ext_id": "090008_5000", "agent_status": "BUSY",
             "sub_agent_status": "", "last_agent_status": "FREE", "reason": "", "os": "windows"}
    frame.update(fields)
    return frame


def test_get_status_typed_reply(sim, make_agent):
    a = make_agent()
    a.checkin()
    r = reply_with(sim, a, "get_status", {"code": "0", "msg": "获取成功!", "company_code": "090008", "status": "CALLING",
                                          "sub_status": "HOLD", "uuid": "call-1", "in_call_numbers": ["13900000000"]},
                   lambda rid: a.c.get_status(req_id=rid, timeout=5))
    assert isinstance(r, StatusReply) and r.ok
    assert r.status is AgentStatus.CALLING and r.sub_status is SubStatus.HOLD
    assert r.uuid == "call-1" and r.in_call_numbers == ["13900000000"] and r.company_code == "090008"
    assert json.loads(r.raw)["msg"] == "获取成功!" and '"msg": "获取成功!"' in r.raw  # the frame as sent, verbatim
    # A status this SDK does not know is kept as its text, and an idle agent has no call.
    r = reply_with(sim, a, "get_status", {"code": "0", "status": "MEETING", "sub_status": ""},
                   lambda rid: a.c.get_status(req_id=rid, timeout=5))
    assert (r.status, r.sub_status, r.uuid, r.in_call_numbers) == ("MEETING", None, None, [])


def test_get_status_refused_by_a_spec_server(make_agent):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.ServerError) as ei:  # the spec's server has no get_status
        a.c.get_status()
    assert type(ei.value) is cloudcc.ServerError and ei.value.code == "1"
    assert ei.value.reply["msg_type"] == "get_status"


def test_get_status_needs_a_token(sim, make_agent):
    a = make_agent()
    with pytest.raises(cloudcc.NotCheckedIn) as ei:
        a.c.get_status()
    assert ei.value.status == -10 and ei.value.code == "-10" and ei.value.msg
    assert "last_request" not in sim.agent(a.id)  # nothing was sent


def test_request_before_checkin_is_not_sent(sim, make_agent):
    a = make_agent()
    with pytest.raises(cloudcc.NotCheckedIn) as ei:
        a.c.change_status("MAKE_BUSY")
    assert not isinstance(ei.value, cloudcc.ServerError)
    assert "last_request" not in sim.agent(a.id)
    a.checkin()  # the same client works once checked in
    assert a.c.change_status("MAKE_BUSY").ok


def test_checkin_without_ext_id_is_refused_by_the_sdk(sim, make_agent):
    a = make_agent(ext_id=None)
    with pytest.raises(cloudcc.InvalidArgument) as ei:
        a.c.checkin(PWD)
    assert "ext" in ei.value.msg.lower()
    assert sim.agent(a.id)["checked_in"] is False


@pytest.mark.parametrize("code,cls", [
    ("4004", cloudcc.BadPassword),
    ("4010", cloudcc.CheckedInElsewhere),
    ("4012", cloudcc.WrongExtension),
    ("4005", cloudcc.WrongExtension),
    ("4003", cloudcc.NotAuthorized),
    ("4009", cloudcc.NotAuthorized),
    ("403", cloudcc.NotAuthorized),
    ("4014", cloudcc.UnsupportedMsgType),
    ("4002", cloudcc.ServerError),
    ("9999", cloudcc.ServerError),
])
def test_server_codes_raise_typed_errors(sim, make_agent, code, cls):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.ServerError) as ei:
        reply_with(sim, a, "checkin", {"code": code, "msg": "签入失败"},
                   lambda rid: a.c.checkin(PWD, req_id=rid, timeout=5))
    e = ei.value
    assert type(e) is cls, type(e)
    assert e.code == code and isinstance(e.code, str) and e.msg == "签入失败" and e.status == 0
    assert e.reply["msg_type"] == "checkin"
    assert code in str(e) or "签入失败" in str(e)


def test_server_error_factory_is_the_one_mapping():
    assert type(cloudcc.server_error("4004", "x")) is cloudcc.BadPassword
    assert type(cloudcc.server_error("1", "x")) is cloudcc.ServerError
    assert cloudcc.server_error("4009", "x").code == "4009"


def test_bare_refusal_goes_to_the_request_in_flight(sim, make_agent):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.ServerError) as ei:  # the platform's validation refusal names no request
        reply_with(sim, a, "hangup", {"code": "4002", "msg": "[uuid]不能为空!", "msg_type": None},
                   lambda rid: a.c.hangup("", req_id=rid, timeout=5))
    assert type(ei.value) is cloudcc.ServerError and ei.value.code == "4002"
    assert not [e for e in list(a.c._buffer) if isinstance(e, ServerRefusalEvent)]


def test_server_refusal_event(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.inject(a.id, {"code": "4002", "msg": "[uuid]不能为空!"})
    ev = a.c.wait_event(ServerRefusalEvent, 5)
    assert (ev.msg_type, ev.code, ev.msg) == ("server_refusal", "4002", "[uuid]不能为空!")
    assert json.loads(ev.raw) == {"code": "4002", "msg": "[uuid]不能为空!"}
    err = ev.error()
    assert type(err) is cloudcc.ServerError and err.code == "4002"
    sim.inject(a.id, {"code": "4014", "msg": "msg_type非法"})
    assert type(a.c.wait_event("server_refusal", 5).error()) is cloudcc.UnsupportedMsgType
    assert a.c.ping().ok  # the session carries on


def test_change_status_push_is_the_agent_change_event(sim, make_agent):
    a = make_agent()
    a.checkin()
    seen = []
    a.c.on(AgentChangeEvent)(seen.append)
    sim.inject(a.id, status_push(a, agent_status="RINGING", last_agent_status="FREE", uuid="call-9", reason="CONSULT"))
    ev = a.status("RINGING")
    assert seen == [ev] and type(ev) is AgentChangeEvent
    assert ev.msg_type == "agent_change" and ev.last_agent_status is AgentStatus.FREE
    assert (ev.uuid, ev.os, ev.reason) == ("call-9", "windows", "CONSULT")
    assert json.loads(ev.raw)["msg_type"] == "change_status"  # the frame as the server sent it
    # The spec's agent_change carries no uuid/os: they are None, not "".
    a.c.change_status("MAKE_BUSY")
    ev = a.status("BUSY")
    assert ev.uuid is None and json.loads(ev.raw)["msg_type"].strip() == "agent_change"


def test_kick_off_event(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.inject(a.id, {"req_id": "65f0c0ffee", "msg_type": "kick_off", "code": "0", "reply": True, "os": "windows",
                      "agentIp": "127.0.0.2", "msg": "当前坐席已在其他设备签入，设备IP：127.0.0.2"})
    ev = a.c.wait_event(KickOffEvent, 5)
    assert (ev.code, ev.os, ev.agent_ip, ev.req_id) == ("0", "windows", "127.0.0.2", "65f0c0ffee")
    assert ev.msg.endswith("127.0.0.2") and json.loads(ev.raw)["agentIp"] == "127.0.0.2"


def test_connect_event(sim, make_agent):
    a = make_agent()
    a.checkin()
    got = []
    a.c.on("connect")(got.append)
    sim.inject(a.id, {"code": "0", "msg": "连接成功", "msg_type": "connect"})
    ev = a.c.wait_event(ConnectEvent, 5)
    assert got == [ev] and (ev.msg_type, ev.code, ev.msg) == ("connect", "0", "连接成功")


def test_callin_in_the_platform_shape(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.inject(a.id, {"req_id": "call-7", "msg_type": "callin", "company_code": "090008", "agent_id": a.id,
                      "ext_id": "090008_5000", "uuid": "call-7", "client_uuid": "cust-7", "caller_number": "13900000000",
                      "callee_number": "task-3", "callin_channel": "PREDICT_OUT_CALL", "audio": 3, "video": 0,
                      "os": "windows", "task_id": "task-3"})
    ev = a.callin(CallinChannel.PREDICT_OUT_CALL)
    assert (ev.uuid, ev.client_uuid, ev.os, ev.task_id) == ("call-7", "cust-7", "windows", "task-3")
    assert ev.audio == Media.SEND_RECV and ev.video == 0 and ev.is_video is None
    for channel in ("CALL_IN", "CALL", "PREVIEW_OUT_CALL", "EAVESDROP", "WHISPER", "CONSULT_TO_TRANS", "SUBSTITUTE"):
        sim.inject(a.id, {"msg_type": "callin", "uuid": "c-" + channel, "caller_number": "1", "callin_channel": channel})
        assert a.callin(CallinChannel(channel)).uuid == "c-" + channel


def test_callback_in_call_numbers(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.inject(a.id, {"req_id": "fresh-uuid", "msg_type": "callback", "action": "THREE_WAY", "phase": "START_CALL",
                      "success": True, "msg": "三方通话成功", "os": "windows", "in_call_numbers": ["13900000000", "090008_6004"]})
    ev = a.cb("THREE_WAY", "START_CALL")
    assert type(ev) is CallbackEvent and ev.in_call_numbers == ["13900000000", "090008_6004"] and ev.os == "windows"
    assert ev.uuid is None and ev.current_time is None  # the platform sends neither


def test_supervisor_replies_are_typed(sim, make_agent):
    a = make_agent("090008_6001")
    a.checkin()
    for name in ("eavesdrop", "whisper", "substitute", "force_call"):
        r = reply_with(sim, a, name, {"code": "0", "msg": "ok", "uuid": "leg-" + name, "in_call_numbers": ["1", "2"]},
                       lambda rid, name=name: getattr(a.c, name)("090008_6000", req_id=rid, timeout=5))
        assert isinstance(r, SupervisorReply), name
        assert (r.uuid, r.in_call_numbers) == ("leg-" + name, ["1", "2"])
    # A refusal read with check=False is the same typed reply (ccsim: the target is on no call).
    r = a.c.request({"msg_type": "eavesdrop", "operated_agent_id": "090008_6000"}, check=False)
    assert isinstance(r, SupervisorReply) and not r.ok and r.uuid is None


def test_change_media_reply_media(sim, make_agent):
    a = make_agent()
    a.checkin()
    r = reply_with(sim, a, "change_media", {"code": "0", "uuid": "call-1", "audio": 3, "video": 2, "pixels": 720},
                   lambda rid: a.c.change_media("call-1", audio=3, video=2, req_id=rid, timeout=5))
    assert isinstance(r, ChangeMediaReply)
    assert (r.uuid, r.audio, r.video, r.pixels) == ("call-1", Media.SEND_RECV, Media.RECV_ONLY, "720")


def test_call_leaves_required_fields_to_the_sdk(sim, make_agent):
    a = make_agent(log_level="trace")
    calls = queue.Queue()
    a.c.on("log")(lambda ev: ev.message == "frame out" and '"call"' in ev.attrs.get("frame", "")
                  and calls.put(json.loads(ev.attrs["frame"])))
    a.checkin()
    sim.fault(a.id, "withhold", msg_type="call")  # only the frame matters here
    with pytest.raises(cloudcc.RequestTimeout):
        a.c.call("13800000000", timeout=0.3)
    sent = calls.get(timeout=5)
    # The binding sent nothing of its own: the SDK filled the platform's required fields.
    assert (sent["out_line"], sent["audio"], sent["video"]) == (1, 3, 0)
    assert not {"pixels", "work_order_id", "max_ring_time", "record_start"} & set(sent)
    with pytest.raises(cloudcc.RequestTimeout):
        a.c.call("090008_6004", out_line=OutLine.INTERNAL, audio=Media.SEND_ONLY, video=Media.SEND_RECV, timeout=0.3)
    sent = calls.get(timeout=5)
    assert (sent["callee_number"], sent["out_line"], sent["audio"], sent["video"]) == ("090008_6004", 0, 1, 3)


def test_async_get_status_and_push(sim):
    async def main():
        async with AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000",
                               heartbeat_interval=-1) as c:
            await c.checkin(PWD, start_status="FREE")
            with pytest.raises(cloudcc.ServerError):
                await c.get_status()  # spec dialect: refused, typed like any refusal
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sim.inject, "090008_6000",
                                       {"req_id": "p-1", "msg_type": "change_status", "agent_status": "ARRANGE",
                                        "last_agent_status": "CALLING", "uuid": "call-3", "os": "windows"})
            ev = await c.wait_event(AgentChangeEvent, 5, where=lambda e: e.agent_status == "ARRANGE")
            assert (ev.uuid, ev.os, ev.last_agent_status) == ("call-3", "windows", AgentStatus.CALLING)
            await loop.run_in_executor(None, sim.inject, "090008_6000", {"code": "4009", "msg": "坐席未签入"})
            ref = await c.wait_event(ServerRefusalEvent, 5)
            assert isinstance(ref.error(), cloudcc.NotAuthorized)

    asyncio.run(asyncio.wait_for(main(), 30))
