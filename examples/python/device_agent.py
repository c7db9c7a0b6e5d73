#!/usr/bin/env python3
"""A desktop agent whose phone is the SDK, on the machine's sound devices (rtc_audio="device"): list the
devices, choose them, check in as an RTC agent, run the pre-call test, take a call on the headset with echo
cancellation, show the call's voice processing and its quality warnings, hang up.

    python3 examples/python/device_agent.py 127.0.0.1:8090 [--microphone ID] [--speaker ID] [--ringer ID]
                                                             [--seconds N] [--echo-number NUMBER]

Without a choice each role takes the default communications device. Against ccsim (agent 090008_6010 is an
RTC agent there) the script asks the simulator's admin API for the customer's call; against a real platform,
call the agent instead. examples/device_demo.sh runs it on a private PulseAudio with null sinks for a
"headset", so no sound card is needed (tests/audio/pulse.sh starts that server).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))  # run from a checkout

from cloudcc import (AudioDeviceErrorEvent, AudioDeviceFallbackEvent, AudioDevicesChangedEvent,  # noqa: E402
                     AudioRole, CallinEvent, CallQualityWarningEvent, Client, CloudCCError, RTCCallEvent,
                     RTCRegistrationEvent, Unsupported, native_version)

AGENT = "090008_6010"  # an RTC agent of ccsim's demo world: check-in answers login_type "1"


def place_inbound_call(addr: str) -> None:
    body = {"company_code": "090008", "agent_id": AGENT, "caller_number": "18888888888", "callee_number": "4008001000"}
    req = urllib.request.Request(f"http://{addr}/admin/inbound", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("addr", nargs="?", default=os.environ.get("CCSIM_ADDR", "127.0.0.1:8090"))
    ap.add_argument("--microphone", help="the microphone's device id (default: the default communications input)")
    ap.add_argument("--speaker", help="the speaker's device id (default: the default communications output)")
    ap.add_argument("--ringer", help="the ringtone's device id (default: the default output)")
    ap.add_argument("--seconds", type=float, default=10, help="how long the call lasts (10)")
    ap.add_argument("--echo-number", default=os.environ.get("CLOUDCC_ECHO_NUMBER"),
                    help="the echo extension the pre-call test calls (none: that step is skipped)")
    args = ap.parse_args()
    pwd = os.environ.get("CLOUDCC_AGENT_PWD", "919191Aa.")  # the demo agent's password in ccsim
    print("libcloudcc", native_version())

    out = threading.Lock()  # events print from the SDK's thread, the rest from this one

    def say(*what: object) -> None:
        with out:
            print(*what, flush=True)

    ws_url = os.environ.get("CLOUDCC_WS_URL", f"ws://{args.addr}/msg/")
    try:
        c = Client(ws_url, http_url=f"http://{args.addr}", company_code="090008", agent_id=AGENT, ext_id=AGENT,
                   language="en-US", rtc_audio="device", audio_ringtone="builtin", rtc_echo_number=args.echo_number)
    except CloudCCError as e:  # a config the library does not take: nothing was opened
        print(f"config refused: {e.msg}", file=sys.stderr)
        return 1
    with c:

        @c.on(AudioDevicesChangedEvent)
        def devices_changed(ev: AudioDevicesChangedEvent) -> None:
            say("devices changed: added", ev.added, "removed", ev.removed, "default changed" if ev.default_changed else "")

        @c.on(AudioDeviceFallbackEvent)
        def fell_back(ev: AudioDeviceFallbackEvent) -> None:
            say(f"the {ev.role} went away ({ev.old.id if ev.old else '?'}): now on {ev.new.name if ev.new else '?'}; "
                "the call goes on")

        @c.on(AudioDeviceErrorEvent)
        def device_error(ev: AudioDeviceErrorEvent) -> None:
            say(f"the {ev.role} {ev.device_id} failed: {ev.error}")

        @c.on(CallQualityWarningEvent)
        def quality(ev: CallQualityWarningEvent) -> None:
            state = "RAISED " if ev.raised else "cleared"
            say(f"quality {state} {ev.name}: {ev.value} (threshold {ev.threshold})")

        try:
            # 1. The devices, and the agent's choice (before check-in: it holds for every call).
            try:
                devs = c.audio.devices()
            except Unsupported as e:  # no sound server: the backend says why
                print("no sound devices:", e.msg, file=sys.stderr)
                return 1
            say(f"sound backend {devs.backend}:")
            for d in devs:
                mark = " (default communications)" if d.default_communications else " (default)" if d.default else ""
                say(f"  {getattr(d.kind, 'value', d.kind):6} {d.id}  {d.name}{mark}")
            for role, wanted in ((AudioRole.MICROPHONE, args.microphone), (AudioRole.SPEAKER, args.speaker),
                                 (AudioRole.RINGER, args.ringer)):
                dev = devs.by_id(wanted) if wanted else devs.default_for(role)
                if wanted and dev is None:
                    print(f"no device {wanted!r}", file=sys.stderr)
                    return 1
                sel = c.audio.select(role, dev.id if dev else "")
            say("in use: microphone", sel.microphone, "speaker", sel.speaker, "ringer", sel.ringer)
            p = c.audio.processing()
            say(f"processing for new calls: aec={p.aec} ns={p.ns} agc={p.agc} vad={p.vad}")

            # 2. Check in: the SDK registers the agent's phone.
            c.checkin(pwd, start_status="FREE")
            c.wait_event(RTCRegistrationEvent, 15, where=lambda e: e.state == "registered")
            say("phone registered")

            # 3. The pre-call test, before taking calls.
            r = c.precall_test(seconds=3)
            say(f"pre-call test: grade {r.grade.value if r.grade else '-'} mos {r.mos} rtt {r.rtt_ms} ms jitter {r.jitter_ms} ms "
                f"loss {r.loss} microphone {r.input_level_dbfs} dBFS")
            for s in r.steps:
                say("  ", s.name, "skipped" if s.skipped else "ok" if s.ok else f"FAILED: {s.error}", f"({s.ms} ms)")
            if r.failed_step:
                print("the pre-call test failed at", r.failed_step, file=sys.stderr)
                return 1

            # 4. A call on the devices: it rings on the ringer, the agent answers, talks, hangs up.
            place_inbound_call(args.addr)
            call = c.wait_event(CallinEvent, timeout=60)
            say("ringing:", call.caller_number)
            c.answer(call.uuid)
            c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == call.uuid and e.state in ("answered", "confirmed"))
            say("talking on the devices")
            end = threading.Event()
            for _ in range(max(1, int(args.seconds // 2))):
                if end.wait(2):
                    break
                s = c.audio.processing(call.uuid)
                say(f"  echo delay {s.delay_ms} ms, ERLE {s.erle_db} dB, microphone {s.level_dbfs} dBFS, "
                    f"{'speaking' if s.speaking else 'quiet'}")
            c.hangup(call.uuid)
            c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == call.uuid and e.state == "ended")
            say("call ended")
            c.checkout()
        except CloudCCError as e:
            print(f"failed: {type(e).__name__} {e.code} {e.msg}", file=sys.stderr)
            return 1
        except TimeoutError as e:
            print("timed out:", e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
