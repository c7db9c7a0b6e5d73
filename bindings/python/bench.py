#!/usr/bin/env python3
"""Request round trip and event-to-handler latency through the Python binding,
measured as cmd/ccbench measures the Go API (see there), against a running
ccsim; plus the same ping round trip from a pure-Python `websockets` client.

    python3 bindings/python/bench.py 127.0.0.1:8090 5000

Prints JSON lines: {"lang":"python",...} and {"lang":"python-websockets",...}.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloudcc import AgentChangeEvent, Client  # noqa: E402


def summary(name: str, xs: list) -> dict:
    xs = sorted(xs)
    return {f"{name}_us": statistics.fmean(xs), f"{name}_p50_us": xs[len(xs) // 2],
            f"{name}_p99_us": xs[len(xs) * 99 // 100]}


def bench_binding(addr: str, n: int) -> dict:
    cond = threading.Condition()
    last = [""]
    with Client(f"ws://{addr}/ws", company_code="090008", agent_id="090008_6000", ext_id="090008_5000", heartbeat_interval=-1,
                event_buffer=0) as c:

        @c.on(AgentChangeEvent)
        def changed(ev: AgentChangeEvent) -> None:
            with cond:
                last[0] = ev.agent_status
                cond.notify()

        c.checkin("919191Aa.", start_status="FREE", reset=True)
        for _ in range(500):
            c.ping()
        rtt = []
        for _ in range(n):
            t0 = time.perf_counter()
            c.ping()
            rtt.append((time.perf_counter() - t0) * 1e6)
        ev = []
        for i in range(n // 2):
            action, want = ("MAKE_FREE", "FREE") if i % 2 else ("MAKE_BUSY", "BUSY")
            t0 = time.perf_counter()
            c.change_status(action)
            with cond:
                cond.wait_for(lambda: last[0] == want, 5)
            ev.append((time.perf_counter() - t0) * 1e6)
    return {"lang": "python", "n": n, **summary("rtt", rtt), **summary("event", ev)}


async def bench_websockets(addr: str, n: int) -> dict:
    import websockets  # the comparison: a pure-Python client of the same protocol

    async with websockets.connect(f"ws://{addr}/ws", additional_headers={"LANGUAGE": "zh-CN"}) as ws:
        base = {"company_code": "090008", "agent_id": "090008_6000", "ext_id": "090008_6000", "os": "linux"}

        async def req(msg_type: str, **fields) -> dict:
            rid = str(uuid.uuid4())
            await ws.send(json.dumps({"req_id": rid, "msg_type": msg_type, **base, **fields}))
            while True:  # skip events until our reply
                reply = json.loads(await ws.recv())
                if reply.get("req_id") == rid and "code" in reply:
                    return reply

        await req("checkin", agent_pwd="919191Aa.", start_status="FREE", reset=True)
        for _ in range(500):
            await req("ping")
        rtt = []
        for _ in range(n):
            t0 = time.perf_counter()
            await req("ping")
            rtt.append((time.perf_counter() - t0) * 1e6)
    return {"lang": "python-websockets", "n": n, **summary("rtt", rtt)}


def main() -> None:
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8090"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    print(json.dumps(bench_binding(addr, n)), flush=True)
    try:
        print(json.dumps(asyncio.run(bench_websockets(addr, n))), flush=True)
    except ImportError:
        print(json.dumps({"lang": "python-websockets", "error": "pip install websockets"}), flush=True)


if __name__ == "__main__":
    main()
