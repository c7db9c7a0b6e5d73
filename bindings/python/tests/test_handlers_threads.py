"""Handlers (re-entrancy, exceptions, close from inside), many threads, faults and the client's lifetime."""

from __future__ import annotations

import gc
import os
import threading
import weakref

import pytest

import cloudcc
from cloudcc import AgentChangeEvent, AgentStatus, CallinEvent, Client, ConnectionStateEvent, SessionRestoredEvent
from conftest import PWD


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_handlers_by_decorator_method_and_class(make_agent):
    a = make_agent()
    seen, every = [], []
    a.c.on("agent_change")(lambda ev: seen.append(("str", ev.agent_status)))

    @a.c.on(AgentChangeEvent)
    def by_class(ev):
        seen.append(("class", ev.agent_status))

    a.c.add_handler(every.append)
    a.checkin()
    a.c.remove_handler(by_class, AgentChangeEvent)
    a.c.change_status("MAKE_BUSY")
    a.status("BUSY")
    assert seen == [("str", "FREE"), ("class", "FREE"), ("str", "BUSY")]
    assert [e.msg_type for e in every if e.msg_type == "agent_change"] == ["agent_change"] * 2
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.on(int)


def test_request_from_inside_a_handler(sim, make_agent):
    a = make_agent()
    answered = threading.Event()
    replies = []

    @a.c.on(CallinEvent)
    def pick_up(ev):
        replies.append(a.c.ping())  # a blocking call from the SDK's event thread
        replies.append(a.c.answer(ev.uuid))
        answered.set()

    a.checkin()
    sim.inbound()
    assert answered.wait(5)
    assert [r.msg_type for r in replies] == ["pong", "answer"]
    a.status("RINGING")
    a.status("CALLING")


def test_exception_in_handler_is_reported_not_lost(make_agent):
    a = make_agent()
    reported, later = [], []
    a.c.on_handler_error = lambda exc, ev: reported.append((exc, ev.msg_type))

    @a.c.on("agent_change")
    def broken(ev):
        raise RuntimeError("handler bug " + str(ev.agent_status))

    a.c.on("agent_change")(later.append)
    a.checkin()
    a.c.change_status("MAKE_BUSY")
    a.status("BUSY")
    assert [str(e) for e in a.c.handler_errors] == ["handler bug AgentStatus.FREE", "handler bug AgentStatus.BUSY"]
    assert [m for _, m in reported] == ["agent_change", "agent_change"]
    assert [e.agent_status for e in later] == ["FREE", "BUSY"]  # the next handler still ran
    assert a.c.ping().ok


def test_wait_event_inside_handler_is_refused(make_agent):
    a = make_agent()
    a.c.on("agent_change")(lambda ev: a.c.wait_event("callin", timeout=1))
    a.checkin()
    a.c.ping()
    assert isinstance(a.c.handler_errors[0], RuntimeError)


def test_close_from_inside_a_handler(make_agent):
    a = make_agent()
    done = threading.Event()
    after = []

    @a.c.on("agent_change")
    def close_me(ev):
        a.c.close()
        after.append(a.c.closed)
        done.set()

    a.c.checkin(PWD, start_status="FREE")
    assert done.wait(5)
    assert after == [True] and a.c.closed
    with pytest.raises(cloudcc.ClientClosed):
        a.c.ping()
    with pytest.raises(cloudcc.ClientClosed):
        a.c.wait_event("callin", timeout=0.01)  # kept events stay readable; none of these


def test_eight_threads_thousand_requests_each(make_agent):
    a = make_agent()
    a.checkin()
    lock = threading.Lock()

    def run_round():
        ids, errors = [], []

        def worker():
            mine = []
            try:
                for _ in range(1000):
                    r = a.c.ping()
                    assert r.msg_type == "pong"
                    mine.append(r.req_id)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
            with lock:
                ids.extend(mine)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(ids) == 8000 and len(set(ids)) == 8000  # no reply lost, none twice
        gc.collect()
        return rss_kib()

    # The first round warms allocators and caches; memory must then stay flat.
    rss = [run_round() for _ in range(4)]
    print(f"\n8x1000 pings, RSS after each round (KiB): {rss}")
    assert rss[-1] - rss[0] < 4 * 1024, rss


def test_close_while_other_threads_request(make_agent):
    a = make_agent()
    a.checkin()
    outcomes = []

    def worker():
        while True:
            try:
                a.c.ping()
            except cloudcc.ClientClosed:
                outcomes.append("closed")
                return
            except cloudcc.CloudCCError as e:
                outcomes.append(type(e).__name__)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    a.c.ping()
    a.c.close()
    for t in threads:
        t.join(10)
    assert outcomes == ["closed"] * 4


def test_timeout_and_recovery(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.fault(a.id, "withhold", msg_type="ping")
    with pytest.raises(cloudcc.RequestTimeout) as ei:
        a.c.ping(timeout=0.2)
    assert isinstance(ei.value, TimeoutError) and ei.value.status == -3
    assert a.c.change_status("MAKE_BUSY").ok  # the session is fine
    sim.fault(a.id, "clear")
    assert a.c.ping().ok


def test_malformed_frame_is_skipped(sim, make_agent):
    a = make_agent()
    a.checkin()
    sim.fault(a.id, "malformed", payload='{"msg_type":"callback",')
    assert a.c.ping().ok
    a.c.change_status("MAKE_BUSY")
    a.status("BUSY")


def test_dropped_link_reconnects_and_restores(sim, make_agent):
    a = make_agent(reconnect_min=0.02, reconnect_max=0.2)
    a.checkin()
    a.c.clear_events()
    sim.fault(a.id, "drop")
    down = a.c.wait_event(ConnectionStateEvent, 5, where=lambda e: e.state in ("disconnected", "reconnecting"))
    assert down.reason or down.state == "reconnecting"
    restored = a.c.wait_event(SessionRestoredEvent, 10)
    assert restored.ok, restored
    # The spec's server has no get_status: the status is the last one seen, not read back.
    assert (restored.status, restored.resynced, restored.code, restored.error) == (AgentStatus.FREE, False, None, None)
    assert not {"token", "ext_pwd"} & set(restored.data)
    assert sim.agent(a.id)["checked_in"] is True
    assert a.c.ping().ok
    a.c.change_status("MAKE_BUSY")
    a.status("BUSY")


def test_unreferenced_client_is_finalized_without_crash(sim):
    c = Client(sim.ws, company_code="090008", agent_id="090008_6004", ext_id="090008_6004", heartbeat_interval=-1)
    seen = []
    c.on("agent_change")(lambda ev, c=c: seen.append(c.closed))  # a cycle through the handler
    c.checkin(PWD, start_status="FREE")
    c.wait_event(AgentChangeEvent, 5)  # its handler has run: nothing of it is in flight
    assert seen == [False]
    ref = weakref.ref(c)
    del c
    for _ in range(3):
        gc.collect()
    assert ref() is None
    with Client(sim.ws, company_code="090008", agent_id="090008_6004", ext_id="090008_6004") as again:
        assert again.checkin(PWD, reset=True).ok
