"""Fixtures: the ccsim of each dialect for the run, reset before each test.

The ccsims are started by ccsim's own run mode around pytest (run_tests.sh:
`ccsim -dialect spec -- ccsim -dialect platform -- ... pytest`): each adds
`DIALECT/ORDER=HOST:PORT` to $CCSIM_SIMS, which this file reads. A test runs
against the `spec` dialect (the toolbar spec's server) unless it is marked
`@pytest.mark.dialect("platform")` (the platform's real server);
$CLOUDCC_TEST_DIALECT changes the default. DEFAULT_DIALECT and WS_PATH below
are the one place each of the dialect and the ws_url form is set.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import cloudcc
from cloudcc import AgentChangeEvent, CallbackEvent, CallinEvent, Client

ROOT = Path(__file__).resolve().parents[3]
PWD = "919191Aa."
# The extension ccsim's demo world binds to each agent: check-in needs it.
EXT = {"090008_6000": "090008_5000"}


def ext_of(agent_id: str) -> str:
    return EXT.get(agent_id, agent_id)


DEFAULT_DIALECT = os.environ.get("CLOUDCC_TEST_DIALECT", "spec")
# A platform-dialect test runs once per order of a request's reply and the
# status pushes it causes (the real server's order is a race: docs/platform.md).
PUSH_ORDERS = ("reply_first", "push_first")
# The ws_url of each dialect: the spec's endpoint, and the platform front end's
# own form ending in "/" (the SDK appends the agent's identity segment).
WS_PATH = {"spec": "/ws", "platform": "/msg/"}


class Sim:
    """A ccsim of one dialect: its address, the ws_url an agent uses, and its admin API."""

    def __init__(self, addr: str, dialect: str, push_order: Optional[str] = None) -> None:
        self.addr = addr
        self.dialect = dialect
        self.push_order = push_order
        self.ws = f"ws://{addr}{WS_PATH[dialect]}"
        self.http = f"http://{addr}"

    def admin(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.http + "/admin/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def inbound(self, **body: Any) -> Dict[str, Any]:
        body.setdefault("company_code", "090008")
        body.setdefault("caller_number", "13900000000")
        body.setdefault("callee_number", "4008001000")
        return self.admin("POST", "inbound", body)

    def fault(self, agent_id: str, kind: str, **more: Any) -> None:
        self.admin("POST", "fault", {"agent_id": agent_id, "kind": kind, **more})

    def agent(self, agent_id: str) -> Dict[str, Any]:
        return self.admin("GET", "agents/" + agent_id)

    def inject(self, agent_id: str, frame: Any) -> None:
        """Sends `frame` (a dict, or text as is) to the agent's link as if the server had sent it."""
        payload = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
        self.fault(agent_id, "malformed", payload=payload)

    def wait_agent(self, agent_id: str, pred: Callable[[Dict[str, Any]], bool], timeout: float = 5) -> Dict[str, Any]:
        """Polls the agent's snapshot until pred holds (bounded); fails the test otherwise."""
        end = time.monotonic() + timeout
        while True:
            snap = self.agent(agent_id)
            if pred(snap):
                return snap
            if time.monotonic() > end:
                pytest.fail(f"ccsim: agent {agent_id} never got there: {snap}")
            time.sleep(0.01)


class _Sims:
    """The ccsim of each dialect and push order, as the run-mode ccsims around this run list them in $CCSIM_SIMS."""

    def __init__(self) -> None:
        self.sims: Dict[Any, Sim] = {}
        self.addrs: Dict[str, str] = {}
        for entry in os.environ.get("CCSIM_SIMS", "").split():
            key, _, addr = entry.partition("=")
            self.addrs[key] = addr

    def get(self, dialect: str, push_order: Optional[str] = None) -> Sim:
        if dialect not in WS_PATH:
            pytest.fail(f"unknown ccsim dialect {dialect!r}")
        key = (dialect, push_order)
        if key in self.sims:
            return self.sims[key]
        name = f"{dialect}/{push_order or 'reply_first'}"
        addr = self.addrs.get(name)
        if not addr:
            pytest.fail(f"no ccsim {name} in $CCSIM_SIMS ({os.environ.get('CCSIM_SIMS', 'unset')}): run the tests with "
                        f"bindings/python/run_tests.sh, or under ccsim's run mode (ccsim -fast -dialect {dialect} "
                        f"-push-order {push_order or 'reply_first'} -- pytest ...)")
        self.sims[key] = Sim(addr, dialect, push_order)
        return self.sims[key]


@pytest.fixture(scope="session")
def _sims() -> _Sims:
    return _Sims()


def _dialect_of(node: Any) -> str:
    mark = node.get_closest_marker("dialect")
    return mark.args[0] if mark else DEFAULT_DIALECT


@pytest.fixture
def push_order(request: Any) -> Optional[str]:
    """The platform dialect's order of a reply and its pushes for this run of the test (None: the spec dialect)."""
    return getattr(request, "param", None)


@pytest.fixture
def sim(request: Any, _sims: _Sims, push_order: Optional[str]) -> Sim:
    """The ccsim of the test's dialect (marker `dialect`, else DEFAULT_DIALECT) and push order."""
    return _sims.get(_dialect_of(request.node), push_order)


def pytest_generate_tests(metafunc: Any) -> None:
    # Every platform-dialect test runs with each push order.
    if "push_order" in metafunc.fixturenames and _dialect_of(metafunc.definition) == "platform":
        metafunc.parametrize("push_order", PUSH_ORDERS, indirect=True)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "dialect(name): run against ccsim's `spec` or `platform` dialect")


@pytest.fixture(autouse=True)
def _reset(sim: Sim) -> None:
    sim.admin("POST", "reset", {})


class Agent:
    """A Client plus assertions on the order of its events."""

    def __init__(self, sim: Sim, company: str, agent_id: str, **options: Any) -> None:
        options.setdefault("http_url", sim.http)
        options.setdefault("heartbeat_interval", -1)
        options.setdefault("ext_id", ext_of(agent_id))
        self.id = agent_id
        self.c = Client(sim.ws, company_code=company, agent_id=agent_id, **options)

    def status(self, status: str, sub: Optional[str] = None, timeout: float = 5) -> AgentChangeEvent:
        ev = self.c.wait_event(AgentChangeEvent, timeout)
        assert (ev.agent_status, ev.sub_agent_status) == (status, sub), ev
        return ev

    def cb(self, action: str, phase: str, timeout: float = 5) -> CallbackEvent:
        ev = self.c.wait_event(CallbackEvent, timeout)
        assert (ev.action, ev.phase) == (action, phase), ev
        return ev

    def callin(self, channel: str = "", timeout: float = 5) -> CallinEvent:
        ev = self.c.wait_event(CallinEvent, timeout)
        assert ev.callin_channel == channel, ev
        return ev

    def quiet(self) -> None:
        """Asserts no CTI event is left unread."""
        left = [e for e in list(self.c._buffer) if e.msg_type in ("callback", "callin", "agent_change")]
        assert not left, left

    def checkin(self, pwd: str = PWD, start: str = "FREE") -> cloudcc.Reply:
        r = self.c.checkin(pwd, start_status=start)
        self.status(start)
        return r


@pytest.fixture
def make_agent(sim: Sim) -> Iterator[Any]:
    made: List[Agent] = []

    def make(agent_id: str = "090008_6000", company: Optional[str] = None, **options: Any) -> Agent:
        a = Agent(sim, company or agent_id.split("_")[0], agent_id, **options)
        made.append(a)
        return a

    yield make
    for a in made:
        a.c.close()


@pytest.fixture
def trio(make_agent: Any):
    """The 090008 agents A, B and the supervisor, checked in FREE."""
    a, b, sup = make_agent("090008_6000"), make_agent("090008_6004"), make_agent("090008_6001")
    for x in (a, b, sup):
        x.checkin()
    return a, b, sup


def reply_with(sim: Sim, a: Agent, msg_type: str, frame: Dict[str, Any], call: Callable[[str], Any]) -> Any:
    """Runs call(req_id) while ccsim withholds its replies to msg_type, then sends `frame` (with that req_id) as the reply.

    Returns what call returned, or raises what it raised: how the binding
    presents a reply ccsim cannot make (a platform-only field or code).
    """
    req_id = f"test-{msg_type}-{time.monotonic_ns()}"
    a.c.ping()  # ccsim's last_request moves off msg_type, so the wait below sees this request
    sim.fault(a.id, "withhold", msg_type=msg_type)
    out: Dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call(req_id)
        except BaseException as e:  # noqa: BLE001 - re-raised on the test's thread
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        sim.wait_agent(a.id, lambda s: s.get("last_request") == msg_type)
        sim.inject(a.id, {**frame, "req_id": req_id, "msg_type": frame.get("msg_type", msg_type)})
        t.join(10)
        assert not t.is_alive(), f"{msg_type} did not complete after its reply was sent"
    finally:
        sim.fault(a.id, "clear")
    if "error" in out:
        raise out["error"]
    return out["value"]


def inbound_to(sim: Sim, a: Agent) -> str:
    """Rings agent a with a customer call and answers it; returns the call uuid."""
    uuid = sim.inbound(agent_id=a.id)["uuid"]
    a.status("RINGING")
    assert a.callin().uuid == uuid
    a.c.answer(uuid)
    a.status("CALLING")
    return uuid


sys.path.insert(0, str(Path(__file__).resolve().parent))
from pulse import pulse  # noqa: E402,F401 - the fixture of the sound-device tests (tests/pulse.py)
