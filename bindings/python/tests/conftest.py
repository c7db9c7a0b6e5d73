"""Fixtures: one ccsim for the run (build/bin/ccsim, or $CCSIM_ADDR), reset before each test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import cloudcc
from cloudcc import AgentChangeEvent, CallbackEvent, CallinEvent, Client

ROOT = Path(__file__).resolve().parents[3]
PWD = "919191Aa."
# The extension ccsim's demo world binds to each agent: check-in needs it.
EXT = {"090008_6000": "090008_5000"}


def ext_of(agent_id: str) -> str:
    return EXT.get(agent_id, agent_id)


class Sim:
    """ccsim's address and its admin API."""

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self.ws = f"ws://{addr}/ws"
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


@pytest.fixture(scope="session")
def sim() -> Iterator[Sim]:
    addr = os.environ.get("CCSIM_ADDR")
    if addr:
        yield Sim(addr)
        return
    exe = ROOT / "build" / "bin" / "ccsim"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run ./build.sh lib first")
    proc = subprocess.Popen([str(exe), "-addr", "127.0.0.1:0", "-fast"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        pytest.fail(f"ccsim did not start: {line!r}")
    addr = line.strip().split("://", 1)[1]
    try:
        yield Sim(addr)
    finally:
        proc.terminate()
        proc.wait(10)


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


def inbound_to(sim: Sim, a: Agent) -> str:
    """Rings agent a with a customer call and answers it; returns the call uuid."""
    uuid = sim.inbound(agent_id=a.id)["uuid"]
    a.status("RINGING")
    assert a.callin().uuid == uuid
    a.c.answer(uuid)
    a.status("CALLING")
    return uuid


sys.path.insert(0, str(Path(__file__).resolve().parent))
