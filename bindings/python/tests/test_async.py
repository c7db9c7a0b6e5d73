"""AsyncClient: awaitable requests, `async for` events, coroutine handlers, cancellation."""

from __future__ import annotations

import asyncio

import pytest

import cloudcc
from cloudcc import AgentChangeEvent, AsyncClient, CallinEvent
from conftest import PWD


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_async_session_and_events(sim):
    async def main():
        async with AsyncClient(sim.ws, http_url=sim.http, company_code="090008", agent_id="090008_6000", ext_id="090008_5000",
                               heartbeat_interval=-1) as c:
            r = await c.checkin(PWD, start_status="FREE")
            assert r.ok and r["token"]
            seen = []
            async for ev in c.events():
                seen.append(ev.msg_type)
                if isinstance(ev, AgentChangeEvent):
                    assert ev.agent_status == "FREE"
                    break
            assert seen[-1] == "agent_change" and "connection_state" in seen
            replies = await asyncio.gather(*(c.ping() for _ in range(200)))
            assert len({r.req_id for r in replies}) == 200
            skills = await c.get_skill_service_list()
            assert len(skills["data"]) == 3
            with pytest.raises(cloudcc.ServerError):
                await c.hangup("no-such-call")
        assert c.closed

    run(main())


def test_coroutine_handler_answers_inbound(sim):
    async def main():
        async with AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000", heartbeat_interval=-1) as c:
            answered = asyncio.Event()

            @c.on(CallinEvent)
            async def pick_up(ev):
                await c.answer(ev.uuid)
                answered.set()

            @c.on("agent_change")
            def boom(ev):
                raise ValueError("sync handler bug")

            await c.checkin(PWD, start_status="FREE")
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sim.inbound)
            await asyncio.wait_for(answered.wait(), 5)
            ev = await c.wait_event(AgentChangeEvent, 5, where=lambda e: e.agent_status == "CALLING")
            assert ev.last_agent_status == "RINGING"
            assert any(isinstance(e, ValueError) for e in c.handler_errors)

    run(main())


def test_cancelled_and_timed_out_requests(sim):
    async def main():
        async with AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000", heartbeat_interval=-1) as c:
            await c.checkin(PWD)
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: sim.fault("090008_6000", "withhold", msg_type="ping"))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(c.ping(timeout=0.1), 0.02)  # cancelled: its late outcome is dropped
            # This one times out after the cancelled one's own 0.1 s timeout has
            # delivered into its cancelled future: that must be harmless.
            with pytest.raises(cloudcc.RequestTimeout):
                await c.ping(timeout=0.2)
            assert (await c.change_status("MAKE_BUSY")).ok

    run(main())


def test_async_closed_client(sim):
    async def main():
        c = AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000")
        await c.close()
        with pytest.raises(cloudcc.ClientClosed):
            await c.ping()
        assert [ev async for ev in c.events()] == []

    run(main())


def test_async_media_calls_outside_rtc_mode(sim):
    async def main():
        async with AsyncClient(sim.ws, company_code="090008", agent_id="090008_6000", ext_id="090008_5000", heartbeat_interval=-1) as c:
            await c.checkin(PWD)
            with pytest.raises(cloudcc.Unsupported):
                c.play_tone(440)
            with pytest.raises(cloudcc.Unsupported):
                c.rtc_calls()

    run(main())
