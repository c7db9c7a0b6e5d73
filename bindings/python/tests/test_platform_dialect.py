"""Against ccsim's platform dialect (the platform's real server): the typed events, errors and get_status for real."""

from __future__ import annotations

import asyncio
import json

import pytest

import cloudcc
from cloudcc import (AgentChangeEvent, AgentStatus, AsyncClient, CallinChannel, ConnectEvent, OutLine,
                     SessionRestoredEvent, StatusReply, SubStatus)
from conftest import PWD

pytestmark = pytest.mark.dialect("platform")


def test_status_pushes_callin_and_get_status(sim, make_agent, push_order):
    a = make_agent()
    assert sim.ws.endswith("/msg/")
    a.c.checkin(PWD, start_status="FREE")
    free = a.status("FREE")  # from the platform's change_status push, before or after the reply
    assert json.loads(free.raw)["msg_type"] == "change_status" and free.os
    # Absent, not empty: the check-in push has no last status, sub-status or reason.
    assert (free.last_agent_status, free.sub_agent_status, free.reason) == (None, None, None)
    r = a.c.get_status()
    assert isinstance(r, StatusReply) and (r.status, r.sub_status, r.uuid) == (AgentStatus.FREE, None, None)
    assert r.get("reply") is None and "sub_status" not in r.data and "uuid" not in r.data
    uuid = sim.inbound(agent_id=a.id, caller_number="13900000001")["uuid"]
    callin = a.callin(CallinChannel.CALL_IN)
    assert callin.uuid == uuid and callin.client_uuid and callin.client_uuid != uuid
    assert callin.os and callin.audio == 3 and callin.video == 0
    ringing = a.status("RINGING")
    assert ringing.uuid == uuid and ringing.os == callin.os
    assert json.loads(ringing.raw)["msg_type"] == "change_status"
    a.c.answer(uuid)  # audio/video: the SDK takes the callin's own
    calling = a.status("CALLING")
    assert calling.in_call_numbers == ["13900000001"]
    r = a.c.get_status()
    assert (r.status, r.uuid) == (AgentStatus.CALLING, uuid)
    seen = []
    a.c.on(AgentChangeEvent)(seen.append)
    a.c.hold(uuid)
    if push_order == "push_first":
        # The push came before the reply: it reached the handlers before hold returned.
        assert [(e.agent_status, e.sub_agent_status) for e in seen] == [(AgentStatus.CALLING, SubStatus.HOLD)]
    held = a.status("CALLING", "HOLD")  # reply first: the push follows
    assert [(e.agent_status, e.sub_agent_status) for e in seen] == [(held.agent_status, held.sub_agent_status)]
    a.c.hangup(uuid)


def test_checkin_refusals_are_typed(make_agent):
    with pytest.raises(cloudcc.BadPassword) as ei:
        make_agent().c.checkin("wrong")
    assert ei.value.code == "4004" and ei.value.msg
    with pytest.raises(cloudcc.WrongExtension) as ei:
        make_agent(ext_id="090008_6004").c.checkin(PWD)
    assert ei.value.code == "4012"


def test_bare_refusals_reach_their_request(make_agent):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.ServerError) as ei:
        a.c.hangup("")
    assert type(ei.value) is cloudcc.ServerError and ei.value.code == "4002" and "uuid" in ei.value.msg
    a.c.checkout()
    a.status("OFFLINE")
    with pytest.raises(cloudcc.NotCheckedIn):  # the SDK dropped its token: nothing is sent
        a.c.change_status("MAKE_BUSY")
    a.c.get_token(PWD)  # a token again, still checked out: the server refuses with a bare 4009
    with pytest.raises(cloudcc.NotAuthorized) as ei:
        a.c.change_status("MAKE_BUSY")
    assert ei.value.code == "4009"


def test_connect_event(make_agent):
    a = make_agent()
    a.checkin()
    ev = a.c.wait_event(ConnectEvent, 5)
    assert (ev.code, ev.msg) == ("0", "连接成功")


def test_get_status_before_checkin_with_a_token(sim, make_agent):
    a = make_agent()
    a.checkin()
    a.c.checkout()
    b = make_agent()  # a second client of the same agent: no check-in, a token from get-token
    assert b.c.get_token(PWD).ok
    r = b.c.get_status()
    assert r.status is AgentStatus.OFFLINE


def test_calls_with_the_sdks_defaults(make_agent):
    a, b = make_agent(), make_agent("090008_6004")
    a.checkin()
    b.checkin()
    r = a.c.call("13800000000")  # out_line, audio, video: the SDK's defaults, which the platform requires
    assert r.uuid
    a.status("RINGING")
    a.status("CALLING")
    a.c.hangup(r.uuid)
    a.status("ARRANGE")
    a.status("FREE")
    r = a.c.call("090008_6004", out_line=OutLine.INTERNAL)  # another agent, by its agent id
    assert r.uuid
    assert b.callin(CallinChannel.CALL).caller_number == "090008_5000"  # the caller's extension


def test_restore_reads_the_status_back(sim, make_agent):
    a = make_agent(reconnect_min=0.02, reconnect_max=0.2)
    a.checkin(start="BUSY")
    sim.fault(a.id, "drop")
    restored = a.c.wait_event(SessionRestoredEvent, 10)
    assert restored.ok and restored.resynced is True, restored
    assert (restored.status, restored.sub_status, restored.uuid) == (AgentStatus.BUSY, None, None)
    assert a.c.get_status().status is AgentStatus.BUSY


def test_link_dropped_during_a_call_restores_and_the_call_survives(sim, make_agent):
    """Issue 8: the SDK restores within the platform's 30 s grace, without reset, and the customer stays on."""
    a = make_agent(reconnect_min=0.02, reconnect_max=0.2)
    a.checkin()
    uuid = sim.inbound(agent_id=a.id, caller_number="13900000002")["uuid"]
    a.callin(CallinChannel.CALL_IN)
    a.status("RINGING")
    a.c.answer(uuid)
    a.status("CALLING")
    before = sim.agent(a.id)
    assert before["call_uuid"] and before["status"] == "CALLING", before
    sim.fault(a.id, "drop")
    restored = a.c.wait_event(SessionRestoredEvent, 10)
    assert restored.ok and restored.resynced, restored
    assert (restored.status, restored.uuid, restored.in_call_numbers) == (AgentStatus.CALLING, uuid, ["13900000002"]), restored
    after = sim.agent(a.id)
    assert (after["call_uuid"], after["status"], after["checked_in"]) == (before["call_uuid"], "CALLING", True), after
    # The call is live on the new link: hold, resume, hang up.
    a.c.hold(uuid)
    a.c.hold(uuid, False)
    a.c.hangup(uuid)


def test_async_get_status_and_typed_refusal(sim):
    async def main():
        async with AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000",
                               heartbeat_interval=-1) as c:
            with pytest.raises(cloudcc.BadPassword):
                await c.checkin("wrong")
            await c.checkin(PWD, start_status="BUSY")
            r = await c.get_status()
            assert isinstance(r, StatusReply) and r.status is AgentStatus.BUSY
            ev = await c.wait_event(AgentChangeEvent, 5)
            assert ev.agent_status is AgentStatus.BUSY and json.loads(ev.raw)["msg_type"] == "change_status"

    asyncio.run(asyncio.wait_for(main(), 30))
