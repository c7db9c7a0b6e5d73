#!/usr/bin/env python3
"""Ping round trips against a running ccsim, through three Python clients
in one process, alternated in blocks so that they share the machine's
conditions (build.sh bench-abi runs this beside the Go, C and C# benches):

- "py-ctypes": the SDK's C ABI called through raw ctypes on the binding's
  own native client (the floor of any binding: the request's bytes made
  once, cc_client_request, the reply copied out and freed, back to back);
- "py-ctypes-json": the same, the reply then read as JSON (what a caller
  must do at least to know the reply's code). Any Python work between two
  calls, even a 3 µs busy loop, makes the next call 5-10 µs slower here
  (the library's threads have gone to sleep by then), so back-to-back bare
  calls are a floor no client doing anything with its replies reaches;
- "py-binding": cloudcc.Client.request, the binding's typed call;
- "py-websockets": a pure-Python client written with the `websockets`
  library's sync API (what a Python user would write instead).

    python3 bindings/python/bench.py 127.0.0.1:8090 2000 [--run R] [--profile cprofile|pyinstrument]

Prints one JSON line per client: {"client":..,"run":R,"n":N,
"rtt_p50_us":..,"rtt_mean_us":..,"rtt_p99_us":..}; py-binding also has
"event_p50_us" (a change_status until its agent_change reaches the
handler). With --profile it profiles N binding requests instead and prints
the profile.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cloudcc  # noqa: E402
from cloudcc import AgentChangeEvent, Client  # noqa: E402
from cloudcc import _ffi  # noqa: E402  (only for the library's path)

BLOCK = 100
WARMUP = 300


def summary(name: str, xs: list) -> dict:
    xs = sorted(xs)
    return {f"{name}_p50_us": round(xs[len(xs) // 2], 2), f"{name}_mean_us": round(statistics.fmean(xs), 2),
            f"{name}_p99_us": round(xs[len(xs) * 99 // 100], 2)}


class RawCtypes:
    """cc_client_request through ctypes as anyone would call it: argtypes set once, no binding code."""

    def __init__(self, handle: int) -> None:
        lib = ctypes.CDLL(_ffi.lib._name)  # the same loaded library, its own function objects
        self.req = lib.cc_client_request
        self.req.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        self.req.restype = ctypes.c_int
        self.free = lib.cc_string_free
        self.free.argtypes = [ctypes.c_void_p]
        self.free.restype = None
        self.handle = handle
        self.out = ctypes.c_void_p()
        self.outp = ctypes.byref(self.out)
        self.ping = b'{"msg_type":"ping"}'

    def once(self) -> None:
        st = self.req(self.handle, self.ping, 0, self.outp)
        text = ctypes.string_at(self.out.value)
        self.free(self.out.value)
        if st != 0:
            raise RuntimeError(text)

    def once_json(self) -> None:
        """The same call, its reply read as any caller must read it (text, then JSON) to know its code."""
        st = self.req(self.handle, self.ping, 0, self.outp)
        text = ctypes.string_at(self.out.value).decode()
        self.free(self.out.value)
        if st != 0 or json.loads(text)["code"] != "0":
            raise RuntimeError(text)


class PureWebsockets:
    """The client a Python user writes with `websockets` (sync API): JSON in, JSON out, req_id matched."""

    def __init__(self, addr: str) -> None:
        from websockets.sync.client import connect  # installed in the bench's own venv

        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(f"ws://{addr}/ws", additional_headers={"LANGUAGE": "zh-CN"}))
        self.base = {"company_code": "090008", "agent_id": "090008_6000", "ext_id": "090008_5000", "os": "Linux"}

    def request(self, msg_type: str, **fields) -> dict:
        rid = str(uuid.uuid4())
        self.ws.send(json.dumps({"req_id": rid, "msg_type": msg_type, **self.base, **fields}))
        while True:  # skip pushed events until our reply
            reply = json.loads(self.ws.recv())
            if reply.get("req_id") == rid and "code" in reply:
                return reply

    def once(self) -> None:
        if self.request("ping").get("code") != "0":
            raise RuntimeError("ping refused")

    def close(self) -> None:
        self.stack.close()


def event_latency(c: Client, n: int) -> list:
    cond = threading.Condition()
    last = [""]

    def changed(ev: AgentChangeEvent) -> None:
        with cond:
            last[0] = ev.agent_status
            cond.notify()

    c.add_handler(changed, AgentChangeEvent)
    out = []
    for i in range(n):
        action, want = ("MAKE_FREE", "FREE") if i % 2 else ("MAKE_BUSY", "BUSY")
        t0 = time.perf_counter()
        c.change_status(action)
        with cond:
            cond.wait_for(lambda: last[0] == want, 5)
        out.append((time.perf_counter() - t0) * 1e6)
    c.remove_handler(changed, AgentChangeEvent)
    return out


def bench(addr: str, n: int, run: int, events: int) -> None:
    with Client(f"ws://{addr}/ws", company_code="090008", agent_id="090008_6000", ext_id="090008_5000",
                heartbeat_interval=-1, event_buffer=0) as c:
        c.checkin("919191Aa.", start_status="FREE", reset=True)
        raw = RawCtypes(c._handle)
        ping = {"msg_type": "ping"}
        clients = {"py-ctypes": raw.once, "py-ctypes-json": raw.once_json, "py-binding": lambda: c.request(ping)}
        ws = None
        try:
            ws = PureWebsockets(addr)
            clients["py-websockets"] = ws.once
        except ImportError:
            print(json.dumps({"client": "py-websockets", "run": run, "error": "websockets is not installed"}), flush=True)
        for fn in clients.values():
            for _ in range(WARMUP):
                fn()
        times = {name: [] for name in clients}
        names = list(clients)
        for b in range(0, n, BLOCK):
            # Alternate the order too, so that no client always follows the same one.
            order = names[b // BLOCK % len(names):] + names[:b // BLOCK % len(names)]
            for name in order:
                fn, xs = clients[name], times[name]
                for _ in range(min(BLOCK, n - b)):
                    t0 = time.perf_counter()
                    fn()
                    xs.append((time.perf_counter() - t0) * 1e6)
        ev = event_latency(c, events) if events else []
        if ws is not None:
            ws.close()
    for name, xs in times.items():
        row = {"client": name, "run": run, "n": n, **summary("rtt", xs)}
        if name == "py-binding" and ev:
            row.update(summary("event", ev))
        print(json.dumps(row), flush=True)


def profile(addr: str, n: int, how: str) -> None:
    with Client(f"ws://{addr}/ws", company_code="090008", agent_id="090008_6000", ext_id="090008_5000",
                heartbeat_interval=-1, event_buffer=0) as c:
        c.checkin("919191Aa.", start_status="FREE", reset=True)
        ping = {"msg_type": "ping"}
        for _ in range(WARMUP):
            c.request(ping)
        if how == "pyinstrument":
            from pyinstrument import Profiler

            p = Profiler(interval=0.0001)
            p.start()
            for _ in range(n):
                c.request(ping)
            p.stop()
            print(p.output_text(unicode=True, color=False))
            return
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        for _ in range(n):
            c.request(ping)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("addr", nargs="?", default="127.0.0.1:8090")
    ap.add_argument("n", nargs="?", type=int, default=2000)
    ap.add_argument("--run", type=int, default=1, help="the run number written into each line")
    ap.add_argument("--events", type=int, default=200, help="change_status → agent_change samples (0: none)")
    ap.add_argument("--profile", choices=["cprofile", "pyinstrument"])
    a = ap.parse_args()
    if a.profile:
        profile(a.addr, a.n, a.profile)
        return
    print(f"# cloudcc {cloudcc.__version__}, library {cloudcc.native_version()}", file=sys.stderr)
    bench(a.addr, a.n, a.run, a.events)


if __name__ == "__main__":
    main()
