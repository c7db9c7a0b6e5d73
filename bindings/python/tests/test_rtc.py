"""RTC mode (login_type 1): the client is the agent's phone; media verified at the simulated PBX."""

from __future__ import annotations

import array
import math
import threading
import time
import wave

import pytest

import cloudcc
from cloudcc import CallinEvent, RTCCallEvent, RTCRegistrationEvent
from conftest import PWD


def goertzel_share(x, hz: float, rate: int) -> float:
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    total = sum(v * v for v in x) * len(x) / 2
    return power / total if total else 0.0


def until(cond, timeout=10.0, every=0.02):
    """Polls cond until it returns something truthy; fails after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(every)
    pytest.fail(f"condition not met within {timeout}s")


def test_rtc_call_media_both_ways(sim, make_agent, tmp_path):
    a = make_agent("090008_6010")
    with pytest.raises(cloudcc.Unsupported):
        a.c.rtc_calls()  # not checked in: no phone yet
    a.c.checkin(PWD, start_status="FREE")
    reg = a.c.wait_event(RTCRegistrationEvent, 10, where=lambda e: e.state == "registered")
    assert reg.code == 200

    uuid = sim.inbound(agent_id=a.id)["uuid"]
    assert a.c.wait_event(CallinEvent, 10).uuid == uuid
    a.c.answer(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state in ("answered", "confirmed"))
    assert a.c.rtc_calls() == [uuid]

    frames = []
    lock = threading.Lock()

    def speaker(u, samples, rate):
        assert rate == 8000
        with lock:
            frames.append(samples)

    a.c.set_pcm_sink(speaker, 8000, uuid)
    a.c.play_tone(440)
    rec = tmp_path / "customer.wav"
    a.c.record_wav(str(rec))

    def pbx_tone():
        leg = sim.admin("GET", f"rtc/calls/{uuid}")
        t = leg.get("tone") or {}
        return abs(t.get("peak_hz", 0) - 440) < 10 and t.get("peak_ratio", 0) > 0.8

    until(pbx_tone)
    until(lambda: len(frames) > 60)
    with lock:
        heard = array.array("h", b"".join(f.tobytes() for f in frames[20:60]))
    assert goertzel_share(heard, 1000, 8000) > 0.8  # the PBX plays 1 kHz to the agent

    assert a.c.mute(uuid).get("mute") == "1"
    a.c.mute(uuid, False)
    assert a.c.dtmf(uuid, "7#").ok
    until(lambda: sim.admin("GET", f"rtc/calls/{uuid}").get("digits") == "7#")
    a.c.push_pcm(array.array("h", [0] * 320), 16000, uuid)
    stats = a.c.call_stats()
    assert stats["packets_received"] > 0 and 1 <= stats["mos"] <= 4.5

    a.c.hangup(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state == "ended")
    with wave.open(str(rec)) as w:
        assert w.getframerate() == 8000 and w.getnframes() > 8000
        pcm = array.array("h", w.readframes(w.getnframes()))
    assert goertzel_share(pcm[-8000:], 1000, 8000) > 0.8
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.play_tone(440, uuid)  # the call is over
    a.c.checkout()
    a.c.wait_event(RTCRegistrationEvent, 10, where=lambda e: e.state == "unregistered")


def test_media_calls_in_softphone_mode(make_agent):
    a = make_agent()
    a.checkin()
    with pytest.raises(cloudcc.Unsupported):
        a.c.play_tone(440)
    with pytest.raises(cloudcc.Unsupported):
        a.c.push_pcm(b"\0\0" * 160)


def test_a_refused_pcm_sink_changes_nothing(sim, make_agent):
    # A sink the library refuses (a bad rate) must leave the call's sink in
    # place: it kept sending frames to it, and the binding must still route them.
    from cloudcc import client as client_mod

    a = make_agent("090008_6010")
    a.c.checkin(PWD, start_status="FREE")
    a.c.wait_event(RTCRegistrationEvent, 10, where=lambda e: e.state == "registered")
    uuid = sim.inbound(agent_id=a.id)["uuid"]
    a.c.wait_event(CallinEvent, 10)
    a.c.answer(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state in ("answered", "confirmed"))
    frames = [0]

    def sink(u, samples, rate):
        frames[0] += 1

    a.c.set_pcm_sink(sink, 8000, uuid)
    until(lambda: frames[0] > 5)
    for rate in (0, -8000):
        with pytest.raises(cloudcc.InvalidArgument):
            a.c.set_pcm_sink(lambda u, s, r: None, rate, uuid)
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.set_pcm_sink(None, 8000, "no-such-call")
    seen = frames[0]
    until(lambda: frames[0] > seen + 5, timeout=5)  # the first sink still hears the call

    # When the call ends the library drops its sink; the binding forgets it too.
    a.c.hangup(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state == "ended")
    assert client_mod._pcm_key(a.c, uuid) not in client_mod._pcm_sinks
    assert not any(ref() is a.c for ref, _ in client_mod._pcm_fns.values())
