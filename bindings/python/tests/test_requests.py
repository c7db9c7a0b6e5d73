"""Every request and HTTP call of the Client against ccsim, with the events each one causes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cloudcc
from cloudcc import (AgentStatus, CallbackAction, CallinChannel, ConsultMode, DTMFType, Media, PartyType, Phase,
                     PlayAction, ServiceMode, StatusAction, TransMode, TransTarget)
from conftest import PWD, inbound_to


def test_native_version():
    # The one source of the version is CC_VERSION in include/cloudcc.h; the library and the package report it.
    header = (Path(__file__).resolve().parents[3] / "include" / "cloudcc.h").read_text()
    want = re.search(r'^#define CC_VERSION "([^"]+)"$', header, re.M).group(1)
    assert cloudcc.native_version() == want
    assert cloudcc.__version__ == want


def test_checkin_checkout_and_token(make_agent):
    a = make_agent()
    r = a.c.checkin(PWD, start_status=AgentStatus.FREE)
    assert r.ok and r.msg_type == "checkin" and r["login_type"] == "2" and r["token"]
    assert r.raw.startswith("{") and '"msg_type":" checkin"' in r.raw  # the frame as sent, quirk kept
    ev = a.status("FREE")
    assert ev.last_agent_status is AgentStatus.OFFLINE
    a.c.get_skill_service_list()  # the check-in token is used by HTTP calls
    assert a.c.checkout().ok
    a.status("OFFLINE")
    with pytest.raises(cloudcc.HTTPError) as ei:  # void after check-out
        a.c.get_skill_service_list()
    assert ei.value.http_status == 401
    a.quiet()


def test_wrong_password_in_english(make_agent):
    a = make_agent(language="en-US")
    with pytest.raises(cloudcc.ServerError) as ei:
        a.c.checkin("nope")
    assert ei.value.code != "0" and "password" in ei.value.msg.lower()
    assert ei.value.reply["msg_type"] == "checkin"


def test_get_token_and_lists(make_agent):
    a = make_agent()
    r = a.c.get_token(PWD)
    assert r.ok and r["token"]
    skills = a.c.get_skill_service_list("VIP")
    names = [s["skill_name"] for s in skills["data"]]
    assert names == ["VIP服务"], skills.data
    ivrs = a.c.get_ivr_service_list()
    assert len(ivrs["data"]) == 3
    with pytest.raises(cloudcc.ServerError):
        a.c.get_token("wrong")


def test_http_without_token(make_agent):
    a = make_agent()
    with pytest.raises(cloudcc.HTTPError) as ei:
        a.c.get_ivr_service_list()
    assert ei.value.http_status == 401 and ei.value.status == -7


def test_status_actions_and_service_mode(make_agent):
    a = make_agent()
    a.checkin()
    r = a.c.change_status(StatusAction.MAKE_BUSY)
    assert (r["action"], r["last_agent_status"], r["agent_status"]) == ("MAKE_BUSY", "FREE", "BUSY")
    a.status("BUSY")
    a.c.change_status("MAKE_REST", rest_min=1)
    a.status("REST")
    a.status("FREE")  # rest_min over (zero timings)
    with pytest.raises(cloudcc.ServerError):
        a.c.change_status(StatusAction.MAKE_FREE_AFTER_CALL_STOP)  # only during a call
    assert a.c.toggle_service_mode(ServiceMode.OUTBOUND).ok
    with pytest.raises(cloudcc.ServerError):
        a.c.toggle_service_mode(7)
    assert a.c.ping().msg_type == "pong"
    a.quiet()


def outbound(a, number="13800000000", **kw):
    r = a.c.call(number, **kw)
    assert r.uuid
    init = a.cb("CALL", "INITIATE")
    assert init.uuid == r.uuid and init.req_id == r.req_id and init.success
    a.status("RINGING")
    a.status("CALLING")
    start = a.cb("CALL", "START_CALL")
    assert start.uuid == r.uuid and start.peer_uuid
    return r.uuid, start


def test_outbound_call_and_in_call_requests(sim, make_agent):
    a = make_agent()
    a.checkin()
    uuid, start = outbound(a, work_order_id="wo-1", audio=Media.SEND_RECV, video=0)
    assert start.work_order_id == "wo-1" and start.audio == 3
    a.c.hold(uuid)
    a.status("CALLING", "HOLD")
    r = a.c.hold(uuid, False)
    assert r["hold"] == "0"
    a.status("CALLING")
    a.c.dtmf(uuid, "12#", dtmf_type=DTMFType.RFC2833)
    assert sim.agent(a.id)["dtmf"] == "12#"
    a.c.change_media(uuid, audio=3, video=3, pixels=720)
    ev = a.cb("CHANGE_MEDIA", "INITIATE")
    assert ev.change_media_flag == 0 and ev.video == 3
    assert a.cb("CHANGE_MEDIA", "START_CALL").change_media_flag == 1
    p = a.c.play_record("/tmp/hello.wav", uuid)
    a.status("CALLING", "PLAY_RECORD")
    a.c.play_record_control(p.uuid, PlayAction.SEEK, seek_value=1500)
    a.c.play_record_control(p.uuid, PlayAction.STOP)
    a.status("CALLING")
    a.c.change_status(StatusAction.MAKE_BUSY_AFTER_CALL_STOP)
    a.c.hangup(uuid)
    end = a.cb("CALL", "END_CALL")
    assert end.uuid == uuid
    a.status("ARRANGE")
    a.status("BUSY")
    with pytest.raises(cloudcc.ServerError) as ei:
        a.c.hold(uuid)
    assert ei.value.reply["hold"] == "0"
    a.quiet()


def test_preview_out_call_and_no_answer(make_agent):
    a = make_agent()
    a.checkin()
    r = a.c.preview_out_call("task-1", "n-1", "13700000000", 1)
    assert a.cb("PREVIEW_OUT_CALL", "INITIATE").uuid == r.uuid
    a.status("RINGING")
    a.status("CALLING")
    a.cb("PREVIEW_OUT_CALL", "START_CALL")
    a.c.hangup(r.uuid)
    a.cb("PREVIEW_OUT_CALL", "END_CALL")
    a.status("ARRANGE")
    a.status("FREE")
    r = a.c.call("10000000000")  # never answers
    a.cb("CALL", "INITIATE")
    a.status("RINGING")
    end = a.cb("CALL", "END_CALL")
    assert not end.success
    a.status("FREE")
    a.quiet()


def test_inbound_answer_and_customer_hangup(sim, make_agent):
    a = make_agent()
    a.checkin()
    uuid = sim.inbound(caller_number="18888888888", flow_data='{"vip":1}')["uuid"]
    a.status("RINGING")
    ci = a.callin()
    assert (ci.uuid, ci.caller_number, ci.flow_data, ci.is_video) == (uuid, "18888888888", '{"vip":1}', 0)
    assert ci.callin_channel is CallinChannel.NORMAL
    a.c.answer(uuid)
    a.status("CALLING")
    sim.admin("POST", "customer-hangup", {"uuid": uuid})
    a.status("ARRANGE")
    a.status("FREE")
    a.quiet()


def test_blind_transfer_to_agent(sim, trio):
    a, b, _ = trio
    uuid = inbound_to(sim, a)
    a.c.trans(uuid, TransMode.BLIND, TransTarget.AGENT, b.id)
    a.cb("TRANS", "INITIATE")
    b.status("RINGING")
    ci = b.callin("TRANS")
    a.status("ARRANGE")
    a.status("FREE")
    b.c.answer(ci.uuid, callin_channel=CallinChannel.TRANS)
    b.status("CALLING")
    a.cb("TRANS", "START_CALL")
    b.c.hangup(uuid)
    b.status("ARRANGE")
    b.status("FREE")
    a.quiet()
    b.quiet()


def test_transfer_refusals_and_ivr(sim, trio):
    a, _, _ = trio
    uuid = inbound_to(sim, a)
    with pytest.raises(cloudcc.ServerError):
        a.c.trans(uuid, "1", "3", "no-such-ivr")
    a.c.trans(uuid, TransMode.BLIND, TransTarget.IVR, "ivr-1002")
    a.cb("TRANS", "INITIATE")
    a.cb("TRANS", "START_CALL")
    a.status("ARRANGE")
    a.status("FREE")


def test_consult_then_consult_to_trans(sim, trio):
    a, b, _ = trio
    uuid = inbound_to(sim, a)
    cr = a.c.consult(uuid, ConsultMode.START, PartyType.INTERNAL, b.id)
    assert cr["consult_uuid"]
    a.cb("CONSULT", "INITIATE")
    a.status("CALLING", "CONSULT")
    b.status("RINGING")
    assert b.callin("CONSULT").uuid == cr["consult_uuid"]
    a.c.consult_to_trans(cr["consult_uuid"])
    a.cb("CONSULT_TO_TRANS", "INITIATE")
    a.status("ARRANGE")
    a.status("FREE")
    b.c.answer(cr["consult_uuid"])
    b.status("CALLING")
    a.cb("CONSULT_TO_TRANS", "START_CALL")


def test_three_way(sim, trio):
    a, b, _ = trio
    uuid = inbound_to(sim, a)
    r = a.c.three_way(uuid, PartyType.INTERNAL, b.id)
    assert r.msg_type == "three_way" and r["in_call_numbers"] == ["13900000000"]
    a.cb("THREE_WAY", "INITIATE")
    b.status("RINGING")
    ci = b.callin("THREE_WAY")
    b.c.answer(ci.uuid)
    assert len(b.status("CALLING", "THREE_WAY").in_call_numbers) == 2
    a.status("CALLING", "THREE_WAY")
    a.cb("THREE_WAY", "START_CALL")


def test_supervisor_eavesdrop_whisper_force_interrupt(sim, trio):
    a, b, sup = trio
    uuid = inbound_to(sim, a)
    with pytest.raises(cloudcc.ServerError) as ei:
        b.c.eavesdrop(a.id)
    assert "无权限" in ei.value.msg
    for method, action, sub in ((sup.c.eavesdrop, "EAVESDROP", "EAVESDROP"), (sup.c.whisper, "WHISPER", "WHISPER")):
        method(a.id, operated_ext_id="090008_5000")
        sup.cb(action, "INITIATE")
        sup.status("CALLING", sub)
        start = sup.cb(action, "START_CALL")
        sup.c.hangup(start.uuid)
        sup.cb(action, "END_CALL")
        sup.status("FREE")
    sup.c.force_call(a.id)
    sup.cb("FORCE_CALL", "INITIATE")
    sup.status("CALLING", "FORCE_CALL")
    a.status("CALLING", "FORCE_CALL")
    sup.cb("FORCE_CALL", "START_CALL")
    sup.c.hangup(uuid)
    sup.cb("FORCE_CALL", "END_CALL")
    sup.status("FREE")
    a.status("CALLING")
    sup.c.interrupt_call(a.id)
    sup.cb(CallbackAction.INTERRUPT_CALL, Phase.INITIATE)
    a.status("ARRANGE")
    a.status("FREE")
    sup.cb("INTERRUPT_CALL", "END_CALL")
    a.quiet()
    sup.quiet()


def test_supervisor_substitute_and_forced_status(sim, trio):
    a, _, sup = trio
    uuid = sim.inbound(agent_id=a.id)["uuid"]
    a.status("RINGING")
    a.callin()
    sup.c.substitute(a.id)
    sup.cb("SUBSTITUTE", "INITIATE")
    a.status("FREE")
    sup.status("CALLING")
    sup.cb("SUBSTITUTE", "START_CALL")
    with pytest.raises(cloudcc.ServerError):
        a.c.answer(uuid)
    sup.c.hangup(uuid)
    sup.status("ARRANGE")
    sup.status("FREE")
    r = sup.c.change_status(StatusAction.FORCE_MAKE_BUSY, operated_agent_id=a.id, operated_ext_id="090008_5000")
    assert r["agent_status"] == "BUSY"
    assert a.status("BUSY").reason
    sup.c.change_status("FORCE_CHECKOUT", operated_agent_id=a.id)
    a.status("OFFLINE")


def test_mute_needs_rtc(make_agent):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.Unsupported) as ei:
        a.c.mute("call-1")
    assert ei.value.status == -8 and ei.value.msg


def test_generic_request_and_bad_input(make_agent):
    a = make_agent()
    with pytest.raises(cloudcc.NotCheckedIn) as ei:
        a.c.request({"msg_type": "ping"})  # no token yet: not sent
    assert ei.value.status == -10
    a.checkin()
    assert a.c.request({"msg_type": "ping"}).msg_type == "pong"
    refused = a.c.request({"msg_type": "hangup", "uuid": "nope"}, check=False)
    assert not refused.ok and refused.code == "1"
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.request({"msg_type": "no_such_request"})
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.request({"msg_type": "ping", "bad": object()})
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
        a.c.request({"uuid": "no msg_type"})
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.http("no-such-call")


def test_bad_config():
    with pytest.raises(cloudcc.InvalidArgument):
        cloudcc.Client("")
    with pytest.raises(cloudcc.InvalidArgument):
        cloudcc.Client("ftp://127.0.0.1:1/ws")
    with pytest.raises(cloudcc.InvalidArgument):
        cloudcc.Client("ws://127.0.0.1:1/ws", log_level="loud")


def test_not_connected(make_agent):
    c = cloudcc.Client("ws://127.0.0.1:1/ws", company_code="x", agent_id="y", reconnect=False, dial_timeout=1)
    try:
        with pytest.raises(cloudcc.NotConnected) as ei:
            c.ping(timeout=2)
        assert isinstance(ei.value, ConnectionError)
    finally:
        c.close()
