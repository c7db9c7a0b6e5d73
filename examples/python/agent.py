#!/usr/bin/env python3
"""An agent session through the Python binding: check in, take an inbound
call, hold and resume it, hang up, check out.

    python3 examples/python/agent.py 127.0.0.1:8090     # against ccsim (platform dialect)

The ws_url is the platform's form, ws://HOST:PORT/msg/ (the SDK appends the
agent's identity); CLOUDCC_WS_URL overrides it (ccsim -dialect spec:
ws://HOST:PORT/ws). Against ccsim the script asks the simulator's admin API
to have a customer call the agent; against a real platform, call the agent
instead.
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

from cloudcc import (BadPassword, CallinEvent, Client, CloudCCError, Event, KickOffEvent,  # noqa: E402
                     ServerError, SessionRestoredEvent, WrongExtension, native_version)


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

    ws_url = os.environ.get("CLOUDCC_WS_URL", f"ws://{addr}/msg/")
    # ext_id: the agent's bound extension (check-in needs it; the SDK never invents one).
    with Client(ws_url, http_url=f"http://{addr}", company_code="090008",
                agent_id="090008_6000", ext_id="090008_5000", language="en-US") as c:

        out = threading.Lock()  # events print from the SDK's thread, replies from this one

        def say(*what: object) -> None:
            with out:
                print(*what, flush=True)

        @c.on()  # every event, in order, on the SDK's event thread
        def show(ev: Event) -> None:
            if ev.msg_type != "log":
                say("event ", ev)

        @c.on(KickOffEvent)
        def kicked(ev: KickOffEvent) -> None:
            say("another device checked in as this agent:", ev.agent_ip)

        @c.on(SessionRestoredEvent)
        def restored(ev: SessionRestoredEvent) -> None:
            say("session restored, status", ev.status) if ev.ok else say("session lost:", ev.code, ev.error)

        try:
            c.checkin(pwd, start_status="FREE")
            say("reply  checkin ok")
            try:
                say("reply  get_status", c.get_status().status)
            except ServerError as e:  # a server built to the spec has no get_status
                say("reply  get_status refused:", e.code, e.msg)
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
        except (BadPassword, WrongExtension) as e:  # refusals typed by their code
            print(f"check-in refused: {e.code} {e.msg}", file=sys.stderr)
            return 1
        except CloudCCError as e:
            print(f"failed: {e.code} {e.msg}", file=sys.stderr)
            return 1
        except TimeoutError:
            print("no inbound call within 60s", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
