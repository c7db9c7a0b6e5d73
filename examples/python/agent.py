#!/usr/bin/env python3
"""An agent session through the Python binding: check in, take an inbound
call, hold and resume it, hang up, check out.

    python3 examples/python/agent.py 127.0.0.1:8090     # against ccsim

Against ccsim the script asks the simulator's admin API to have a customer
call the agent; against a real platform, call the agent instead.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))  # run from a checkout

from cloudcc import CallinEvent, Client, CloudCCError, Event, native_version  # noqa: E402


def place_inbound_call(addr: str) -> None:
    body = {"company_code": "090008", "agent_id": "090008_6000", "caller_number": "18888888888",
            "callee_number": "4008001000"}
    req = urllib.request.Request(f"http://{addr}/admin/inbound", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def main() -> int:
    addr = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CCSIM_ADDR", "127.0.0.1:8090")
    pwd = os.environ.get("CLOUDCC_AGENT_PWD", "919191Aa.")  # the demo agent's password in ccsim
    logging.basicConfig(level=logging.WARNING)
    print("libcloudcc", native_version())

    with Client(f"ws://{addr}/ws", http_url=f"http://{addr}", company_code="090008",
                agent_id="090008_6000", ext_id="090008_5000", language="en-US") as c:

        out = threading.Lock()  # events print from the SDK's thread, replies from this one

        def say(*what: object) -> None:
            with out:
                print(*what, flush=True)

        @c.on()  # every event, in order, on the SDK's event thread
        def show(ev: Event) -> None:
            if ev.msg_type != "log":
                say("event ", ev)

        try:
            c.checkin(pwd, start_status="FREE")
            say("reply  checkin ok")
            place_inbound_call(addr)
            call = c.wait_event(CallinEvent, timeout=60)
            for what, send in (
                ("answer", lambda: c.answer(call.uuid)),
                ("hold", lambda: c.hold(call.uuid, True)),
                ("unhold", lambda: c.hold(call.uuid, False)),
                ("hangup", lambda: c.hangup(call.uuid)),
                ("checkout", c.checkout),
            ):
                send()
                say("reply ", what, "ok")
        except CloudCCError as e:
            print(f"failed: {e.code} {e.msg}", file=sys.stderr)
            return 1
        except TimeoutError:
            print("no inbound call within 60s", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
