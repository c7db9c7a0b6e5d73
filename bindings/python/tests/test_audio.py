"""Sound devices, voice processing, quality warnings and the pre-call test (issue 16; docs/audio.md).

The first part needs no server: typed parsing of the replies and events
from sample JSON, what each call sends (cc_client_media stubbed), and the
arguments refused before anything is sent. The second part runs against
ccsim's PBX and the run's private PulseAudio (run_tests.sh).
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import struct
import subprocess
import sys
import textwrap
import time
from typing import Any, Dict, List, Tuple

import pytest

import cloudcc
from cloudcc import (
    AsyncClient,
    AudioDevice,
    AudioDeviceErrorEvent,
    AudioDeviceFallbackEvent,
    AudioDeviceKind,
    AudioDevicesChangedEvent,
    AudioRole,
    CallinEvent,
    CallQualityWarningEvent,
    Client,
    PrecallGrade,
    QualityWarning,
    RTCCallEvent,
    RTCRegistrationEvent,
    _ffi,
)
from cloudcc.config import config_json
from cloudcc.events import parse_event
from conftest import PWD, ext_of
from pulse import RATE, Pulse, speech_like, tone, voice_like, wait_for
from test_rtc import goertzel_share

DEVICES_REPLY = {
    "code": "0", "msg": "success", "backend": "pulseaudio",
    "devices": [
        {"id": "mic.monitor", "name": "Headset mic", "kind": "input", "default": True, "default_communications": True,
         "channels": 1, "rate": 48000},
        {"id": "spk", "name": "Headset", "kind": "output", "default": False, "default_communications": True,
         "channels": 2, "rate": 48000},
        {"id": "hdmi", "name": "HDMI", "kind": "output", "default": True},
    ],
}


# --- typed parsing, no server --------------------------------------------


def test_device_list_is_typed():
    devs = cloudcc.AudioDeviceList.from_json(DEVICES_REPLY)
    assert devs.backend == "pulseaudio" and len(devs) == 3
    mic, spk, hdmi = devs
    assert mic == AudioDevice("mic.monitor", "Headset mic", AudioDeviceKind.INPUT, True, True, 1, 48000)
    assert [d.id for d in devs.inputs] == ["mic.monitor"] and [d.id for d in devs.outputs] == ["spk", "hdmi"]
    # Absent fields read None, not a made-up value.
    assert hdmi.default_communications is None and hdmi.channels is None and hdmi.rate is None
    assert devs.by_id("spk") is spk and devs.by_id("nope") is None
    # "" selects the default communications device: the headset, not the console default.
    assert devs.default_for("speaker") is spk and devs.default_for(AudioRole.MICROPHONE) is mic
    assert cloudcc.AudioDeviceList.from_json({"code": "0"}) == [] and cloudcc.AudioDeviceList.from_json({}).backend is None
    odd = cloudcc.AudioDeviceList.from_json({"devices": [{"id": "x", "kind": "loopback"}]})
    assert odd[0].kind == "loopback" and odd[0].name == ""  # a kind this SDK does not know stays text


def test_selection_processing_and_precall_replies_are_typed():
    sel = cloudcc.AudioSelection.from_json(
        {"code": "0", "microphone": {"id": "mic.monitor", "name": "Headset mic"}, "speaker": "spk"})
    assert sel.microphone == cloudcc.AudioDeviceRef("mic.monitor", "Headset mic")
    assert sel.speaker == cloudcc.AudioDeviceRef("spk") and sel.ringer is None
    nested = cloudcc.AudioSelection.from_json({"devices": {"ringer": {"id": "hdmi", "name": "HDMI"}}})
    assert nested.ringer == cloudcc.AudioDeviceRef("hdmi", "HDMI") and nested.microphone is None

    client_default = cloudcc.AudioProcessing.from_json({"code": "0", "aec": True, "ns": False, "agc": True, "vad": True})
    assert (client_default.aec, client_default.ns, client_default.agc, client_default.vad) == (True, False, True, True)
    assert client_default.uuid is None and client_default.delay_ms is None and client_default.speaking is None
    call = cloudcc.AudioProcessing.from_json({"uuid": "u1", "aec": True, "delay_ms": 120, "erle_db": 31.5,
                                              "level_dbfs": -23.0, "speaking": False})
    assert (call.uuid, call.delay_ms, call.erle_db, call.level_dbfs, call.speaking) == ("u1", 120.0, 31.5, -23.0, False)
    assert call.ns is None and call.active is None  # not said
    full = cloudcc.AudioProcessing.from_json({"uuid": "u1", "aec": True, "active": True, "drift_ppm": -41.5,
                                              "mic_rate_hz": 47998.2, "speaker_rate_hz": 48001})
    assert (full.active, full.drift_ppm, full.mic_rate_hz, full.speaker_rate_hz) == (True, -41.5, 47998.2, 48001.0)
    host = cloudcc.AudioProcessing.from_json({"uuid": "u1", "aec": False, "active": False})
    assert host.active is False and host.drift_ppm is None
    under = cloudcc.AudioProcessing.from_json({"uuid": "u1", "switches": {"aec": False}, "state": {"erle_db": 3}})
    assert under.aec is False and under.erle_db == 3.0

    r = cloudcc.PrecallResult.from_json({
        "code": "0", "grade": "good", "mos": 3.9, "rtt_ms": 80, "jitter_ms": 4.5, "loss": 0.01,
        "steps": [{"name": "registrar", "ok": True, "ms": 12}, {"name": "ice", "ok": True, "ms": 40},
                  {"name": "echo_call", "ok": True, "ms": 5200}, {"name": "microphone", "ok": True, "ms": 1000}],
    })
    assert r.grade is PrecallGrade.GOOD and r.mos == 3.9 and r.rtt_ms == 80.0 and r.loss == 0.01
    assert r.ok and r.failed_step is None and r.input_level_dbfs is None
    assert [s.name for s in r.steps] == ["registrar", "ice", "echo_call", "microphone"]
    assert r.step("ice").ms == 40.0 and r.step("ice").skipped is None and r.step("nope") is None
    failed = cloudcc.PrecallResult.from_json({
        "grade": "", "steps": [{"name": "registrar", "ok": False, "ms": 3000, "error": "no answer"},
                               {"name": "echo_call", "ok": False, "skipped": True}],
        "failed_step": "registrar"})
    assert not failed.ok and failed.failed_step == "registrar" and failed.grade is None and failed.mos is None
    assert failed.step("registrar").error == "no answer" and failed.step("echo_call").skipped is True
    assert cloudcc.PrecallResult.from_json({"grade": "superb"}).grade == "superb"  # unknown: kept as text


def test_audio_events_are_typed():
    ev = parse_event(json.dumps({"msg_type": "audio_devices_changed", "added": ["spk2"], "removed": [],
                                 "default_changed": True}))
    assert isinstance(ev, AudioDevicesChangedEvent) and ev.added == ["spk2"] and ev.removed == [] and ev.default_changed
    bare = parse_event('{"msg_type":"audio_devices_changed"}')
    assert bare.added == [] and bare.removed == [] and bare.default_changed is None

    fb = parse_event(json.dumps({"msg_type": "audio_device_fallback", "role": "speaker", "uuid": "u1",
                                 "old": {"id": "usb", "name": "Jabra"}, "new": {"id": "spk", "name": "Speakers"}}))
    assert isinstance(fb, AudioDeviceFallbackEvent) and fb.role is AudioRole.SPEAKER and fb.uuid == "u1"
    assert fb.old == cloudcc.AudioDeviceRef("usb", "Jabra") and fb.new.id == "spk"
    no_call = parse_event('{"msg_type":"audio_device_fallback","role":"ringer","old":{"id":"a"}}')
    assert no_call.uuid is None and no_call.new is None and no_call.old.name is None

    er = parse_event(json.dumps({"msg_type": "audio_device_error", "role": "microphone", "id": "usb",
                                 "error": "device lost"}))
    assert isinstance(er, AudioDeviceErrorEvent) and er.role is AudioRole.MICROPHONE
    assert (er.device_id, er.error, er.uuid) == ("usb", "device lost", None)

    qw = parse_event(json.dumps({"msg_type": "call_quality_warning", "uuid": "u1", "name": "high_rtt", "raised": True,
                                 "value": 512.5, "threshold": 400}))
    assert isinstance(qw, CallQualityWarningEvent) and qw.name is QualityWarning.HIGH_RTT and qw.raised
    assert (qw.value, qw.threshold, qw.cleared) == (512.5, 400.0, False)
    cleared = parse_event('{"msg_type":"call_quality_warning","uuid":"u1","name":"new_rule","raised":false}')
    assert cleared.cleared and cleared.name == "new_rule" and cleared.value is None and cleared.threshold is None
    for cls in (AudioDevicesChangedEvent, AudioDeviceFallbackEvent, AudioDeviceErrorEvent, CallQualityWarningEvent):
        assert cloudcc.events.event_kind(cls) is not None


def test_config_keys_reach_the_config_json():
    cfg = json.loads(config_json("ws://h/ws", dict(
        rtc_audio="device", audio_microphone="mic.monitor", audio_speaker="spk", audio_ringer="hdmi",
        audio_ringtone=pathlib.Path("/r/ring.wav"), audio_aec=True, audio_ns=False, audio_agc=True, audio_vad=False,
        rtc_quality_warnings=False, rtc_echo_number="9196")))
    assert cfg == {"ws_url": "ws://h/ws", "rtc_audio": "device", "audio_microphone": "mic.monitor",
                   "audio_speaker": "spk", "audio_ringer": "hdmi", "audio_ringtone": "wav:/r/ring.wav",
                   "audio_aec": True, "audio_ns": False, "audio_agc": True, "audio_vad": False,
                   "rtc_quality_warnings": False, "rtc_echo_number": "9196"}
    assert json.loads(config_json("ws://h/ws", {"audio_ringtone": False}))["audio_ringtone"] == "off"
    with pytest.raises(cloudcc.InvalidArgument):
        config_json("ws://h/ws", {"audio_ringtone": 3})


class _Media:
    """cc_client_media stubbed: each call's (name, params) kept, a canned answer given."""

    def __init__(self, monkeypatch: Any, status: int = 0, reply: Any = None) -> None:
        self.calls: List[Tuple[str, Dict[str, Any]]] = []
        self.status, self.reply = status, reply if reply is not None else {"code": "0"}
        monkeypatch.setattr(_ffi, "media", self)

    def __call__(self, handle: int, name: str, params: Any):
        self.calls.append((name, json.loads(params or b"{}")))
        return self.status, json.dumps(self.reply)


def test_calls_send_the_abi_names_and_params(monkeypatch):
    m = _Media(monkeypatch, reply=DEVICES_REPLY)
    with Client("ws://127.0.0.1:1/ws") as c:
        devs = c.audio.devices()
        c.audio.select_microphone(devs.inputs[0])
        c.audio.select_speaker("spk")
        c.audio.select_ringer(None)
        c.audio.select("speaker", "")
        c.audio.processing()
        c.audio.processing("u1", aec=False, vad=True)
        c.audio.processing(ns=False, agc=True)
        c.audio.ringtone(pathlib.Path("/r/ring.wav"))
        c.audio.ringtone(True)
        c.audio.ringtone("off")
        c.precall_test()
        c.precall_test("9196", seconds=2.5)
        c.precall_test(seconds=3.0)
    assert m.calls == [
        ("audio_devices", {}),
        ("audio_select", {"role": "microphone", "id": "mic.monitor"}),
        ("audio_select", {"role": "speaker", "id": "spk"}),
        ("audio_select", {"role": "ringer", "id": ""}),
        ("audio_select", {"role": "speaker", "id": ""}),
        ("audio_processing", {}),
        ("audio_processing", {"uuid": "u1", "aec": False, "vad": True}),
        ("audio_processing", {"ns": False, "agc": True}),
        ("audio_ringtone", {"ringtone": "wav:/r/ring.wav"}),
        ("audio_ringtone", {"ringtone": "builtin"}),
        ("audio_ringtone", {"ringtone": "off"}),
        ("precall_test", {"seconds": 5}),
        ("precall_test", {"echo_number": "9196", "seconds": 2.5}),
        ("precall_test", {"seconds": 3}),
    ]
    assert type(m.calls[-1][1]["seconds"]) is int  # whole seconds go as an integer


def test_bad_arguments_are_refused_before_anything_is_sent(monkeypatch):
    m = _Media(monkeypatch)
    mic = AudioDevice("mic.monitor", "Mic", AudioDeviceKind.INPUT)
    spk = AudioDevice("spk", "Speaker", AudioDeviceKind.OUTPUT)
    bad = [
        lambda c: c.audio.select("headset", "spk"),          # no such role
        lambda c: c.audio.select_speaker(mic),               # an input as the speaker
        lambda c: c.audio.select_ringer(mic),
        lambda c: c.audio.select_microphone(spk),            # an output as the microphone
        lambda c: c.audio.select_microphone(3),
        lambda c: c.audio.processing(aec="yes"),
        lambda c: c.audio.processing(vad=1),
        lambda c: c.audio.processing(uuid=7),
        lambda c: c.audio.ringtone("loud"),
        lambda c: c.audio.ringtone("wav:"),
        lambda c: c.audio.ringtone("ring.wav"),              # a path is "wav:PATH" or a Path
        lambda c: c.precall_test(seconds=0),
        lambda c: c.precall_test(seconds=-1),
        lambda c: c.precall_test(seconds=float("nan")),
        lambda c: c.precall_test(seconds=float("inf")),
        lambda c: c.precall_test(seconds=True),
        lambda c: c.precall_test(seconds="5"),
        lambda c: c.precall_test(echo_number=9196),
    ]
    with Client("ws://127.0.0.1:1/ws") as c:
        for i, call in enumerate(bad):
            with pytest.raises(cloudcc.InvalidArgument) as e:
                call(c)
            assert e.value.status == _ffi.ERR_INVALID_ARGUMENT and str(e.value), i
    assert m.calls == []


@pytest.mark.parametrize("status,cls", [
    (_ffi.ERR_UNSUPPORTED, cloudcc.Unsupported),
    (_ffi.ERR_INVALID_ARGUMENT, cloudcc.InvalidArgument),
    (_ffi.ERR_INTERNAL, cloudcc.InternalError),
])
def test_library_errors_are_typed(monkeypatch, status, cls):
    msg = "audio: no sound backend (pulseaudio: connection refused; alsa: no sound card)"
    _Media(monkeypatch, status=status, reply={"code": str(status), "msg": msg})
    with Client("ws://127.0.0.1:1/ws") as c:
        for call in (c.audio.devices, lambda: c.audio.select_speaker("x"), c.audio.processing,
                     lambda: c.audio.ringtone("off"), c.precall_test):
            with pytest.raises(cls) as e:
                call()
            assert e.value.msg == msg and e.value.status == status


def test_async_audio(monkeypatch):
    m = _Media(monkeypatch, reply=DEVICES_REPLY)

    async def run() -> None:
        async with AsyncClient("ws://127.0.0.1:1/ws") as c:
            devs = await c.audio.devices()
            assert devs.backend == "pulseaudio" and len(devs.outputs) == 2
            await c.audio.select_speaker(devs.outputs[0])
            await c.audio.processing("u1", ns=True)
            await c.audio.ringtone("builtin")
            with pytest.raises(cloudcc.InvalidArgument):
                await c.audio.select_microphone(devs.outputs[0])
            with pytest.raises(cloudcc.InvalidArgument):
                await c.precall_test(seconds=0)
            await c.precall_test()

    asyncio.run(run())
    assert [n for n, _ in m.calls] == ["audio_devices", "audio_select", "audio_processing", "audio_ringtone",
                                       "precall_test"]
    assert m.calls[1][1] == {"role": "speaker", "id": "spk"}


# --- against the library: ccsim's PBX and the run's PulseAudio ----------------

RTC_AGENT = "090008_6010"


def _names(tag: str) -> Tuple[str, str]:
    """Sink names of this test: the agent's speaker, and the sink whose monitor is its microphone."""
    return f"cc_py_{tag}_spk", f"cc_py_{tag}_mic"


def _device_agent(sim: Any, make_agent: Any, spk: str, mic: str, **options: Any) -> Any:
    a = make_agent(RTC_AGENT, rtc_audio="device", audio_speaker=spk, audio_microphone=mic + ".monitor",
                   audio_ringtone="off", audio_ns=False, **options)
    a.c.checkin(PWD, start_status="FREE")
    a.c.wait_event(RTCRegistrationEvent, 10, where=lambda e: e.state == "registered")
    return a


def _answered_call(sim: Any, a: Any) -> str:
    uuid = sim.inbound(agent_id=a.id)["uuid"]
    assert a.c.wait_event(CallinEvent, 10).uuid == uuid
    a.c.answer(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state in ("answered", "confirmed"))
    return uuid


def _hears(rec: Any, hz: float, what: str, timeout: float = 10) -> None:
    """Waits until the last 0.5 s recorded is mostly hz (the PBX plays 1 kHz to the agent)."""
    start = len(rec)
    wait_for(lambda: len(rec) > start + RATE // 2 and goertzel_share(rec.tail(RATE // 2), hz, RATE) > 0.6, timeout,
             f"{what}: {hz:g} Hz out of {rec.source}")


def _pbx_hears(sim: Any, uuid: str, hz: float, what: str, timeout: float = 10) -> None:
    def ok() -> bool:
        t = sim.admin("GET", f"rtc/calls/{uuid}").get("tone") or {}
        return abs(t.get("peak_hz", 0) - hz) < 15 and t.get("peak_ratio", 0) > 0.5

    wait_for(ok, timeout, f"{what}: the customer hears {hz:g} Hz")


def test_the_pulse_harness_carries_a_tone(pulse: Pulse):
    # What the device tests stand on, checked without the library: a tone
    # played into a null sink comes out of its monitor.
    _, mic = _names("harness")
    pulse.null_sink(mic)
    rec = pulse.record(mic + ".monitor")
    pulse.play(mic, tone(440))
    _hears(rec, 440, "harness")
    assert mic in pulse.pactl("list", "short", "sinks")


def test_devices_listed_and_chosen(make_agent, pulse: Pulse):
    spk, mic = _names("list")
    pulse.null_sink(spk)
    pulse.null_sink(mic)
    a = make_agent(RTC_AGENT, rtc_audio="device")
    devs = a.c.audio.devices()
    assert devs.backend == "pulseaudio"
    out, inp = devs.by_id(spk), devs.by_id(mic + ".monitor")
    assert out is not None and out.kind is AudioDeviceKind.OUTPUT and out.name == spk
    assert inp is not None and inp.kind is AudioDeviceKind.INPUT
    assert out.rate and out.channels == 1
    sel = a.c.audio.select_speaker(out)
    assert sel.speaker is not None and sel.speaker.id == spk
    sel = a.c.audio.select_microphone(inp)
    assert sel.microphone is not None and sel.microphone.id == inp.id
    # An unknown id is refused, and the choice stays.
    with pytest.raises(cloudcc.InvalidArgument):
        a.c.audio.select_speaker("cc_py_no_such_sink")
    assert a.c.audio.select_microphone(inp).speaker.id == spk
    # The client's default switches, for new calls.
    p = a.c.audio.processing(aec=False)
    assert p.aec is False and p.uuid is None
    assert a.c.audio.processing(aec=True).aec is True


def test_a_ringtone_that_is_not_pcm_is_refused(make_agent, tmp_path):
    a = make_agent(RTC_AGENT, rtc_audio="device")
    text = tmp_path / "ring.wav"
    text.write_text("not a wav")
    floats = tmp_path / "float.wav"  # IEEE float (format 3), not 16-bit PCM
    data = struct.pack("<4f", 0.0, 0.5, -0.5, 0.0)
    floats.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
                       struct.pack("<IHHIIHH", 16, 3, 1, 8000, 32000, 4, 32) + b"data" + struct.pack("<I", len(data)) + data)
    for bad in (text, floats, tmp_path / "missing.wav"):
        with pytest.raises(cloudcc.InvalidArgument):
            a.c.audio.ringtone(bad)
    a.c.audio.ringtone("builtin")


def test_no_sound_server_is_unsupported_and_host_mode_still_works(sim, tmp_path):
    ext = ext_of("090008_6000")
    # A process of its own, whose PulseAudio address leads nowhere.
    script = textwrap.dedent(f"""
        import cloudcc
        c = cloudcc.Client({sim.ws!r}, company_code="090008", agent_id="090008_6000", rtc_audio="device")
        try:
            c.audio.devices()
            print("LISTED")
        except cloudcc.Unsupported as e:
            print("UNSUPPORTED", e.msg)
        h = cloudcc.Client({sim.ws!r}, company_code="090008", agent_id="090008_6000", ext_id={ext!r}, rtc_audio="host")
        h.checkin({PWD!r}, start_status="FREE")
        print("HOST", h.ping().msg_type)
    """)
    env = dict(os.environ, PULSE_SERVER=f"unix:{tmp_path}/no-such-server")
    env.pop("CC_AUDIO_PULSE", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    if any(pathlib.Path("/dev/snd").glob("pcmC*")):
        assert lines[0] in ("LISTED",) or lines[0].startswith("UNSUPPORTED")  # ALSA may answer on this machine
    else:
        assert lines[0].startswith("UNSUPPORTED") and "no sound backend" in lines[0], lines
    assert lines[1] == "HOST pong"


def test_device_mode_call_switch_and_fallback(sim, make_agent, pulse: Pulse):
    spk, mic = _names("call")
    spk2 = spk + "2"
    pulse.null_sink(spk)
    pulse.null_sink(mic)
    spk2_module = pulse.null_sink(spk2)
    a = _device_agent(sim, make_agent, spk, mic)
    uuid = _answered_call(sim, a)

    # The customer's 1 kHz comes out of the speaker; a tone into the microphone reaches the customer.
    _hears(pulse.record(spk + ".monitor"), 1000, "speaker")
    pulse.play(mic, tone(440))
    _pbx_hears(sim, uuid, 440, "microphone")

    # The call's processing: on by default in device mode, ns off by config; switchable per call.
    p = a.c.audio.processing(uuid)
    assert p.uuid == uuid and p.aec is True and p.ns is False and p.level_dbfs is not None
    assert p.active is True and p.drift_ppm is not None, p.data  # the rates come once measured
    assert a.c.audio.processing(uuid, aec=False).aec is False
    assert a.c.audio.processing(uuid, aec=True).aec is True

    # Switching the speaker mid-call: the call and its RTP go on, the audio moves.
    a.c.clear_events()
    sel = a.c.audio.select_speaker(spk2)
    assert sel.speaker.id == spk2
    _hears(pulse.record(spk2 + ".monitor"), 1000, "switched speaker")
    assert a.c.rtc_calls() == [uuid]

    # Unplugging it: the call falls back to the default output, with an event, and goes on.
    pulse.unload(spk2_module)
    fb = a.c.wait_event(AudioDeviceFallbackEvent, 10, where=lambda e: e.role is AudioRole.SPEAKER)
    assert fb.old.id == spk2 and fb.new is not None and fb.new.id != spk2 and fb.uuid in (None, uuid)
    changed = a.c.wait_event(AudioDevicesChangedEvent, 10, where=lambda e: spk2 in e.removed)
    assert spk2 not in changed.added
    assert a.c.rtc_calls() == [uuid]
    if fb.new.id:  # a named sink: its monitor carries the call now
        _hears(pulse.record(fb.new.id + ".monitor"), 1000, "fallback speaker")
    _pbx_hears(sim, uuid, 440, "microphone after the fallback")

    # Plugging one in: devices changed.
    spk3 = spk + "3"
    pulse.null_sink(spk3)
    a.c.wait_event(AudioDevicesChangedEvent, 10, where=lambda e: spk3 in e.added)

    a.c.hangup(uuid)
    a.c.wait_event(RTCCallEvent, 10, where=lambda e: e.uuid == uuid and e.state == "ended")


def test_speaking_while_muted_is_raised_and_cleared(sim, make_agent, pulse: Pulse):
    spk, mic = _names("mute")
    pulse.null_sink(spk)
    pulse.null_sink(mic)
    a = _device_agent(sim, make_agent, spk, mic)
    uuid = _answered_call(sim, a)
    a.c.mute(uuid)
    voice = pulse.play(mic, speech_like())
    raised = a.c.wait_event(CallQualityWarningEvent, 30,
                            where=lambda e: e.name is QualityWarning.SPEAKING_WHILE_MUTED and e.raised)
    t_raised = time.monotonic()
    assert raised.uuid == uuid and raised.value is not None
    voice.stop()
    a.c.mute(uuid, False)
    cleared = a.c.wait_event(CallQualityWarningEvent, 20,
                             where=lambda e: e.name is QualityWarning.SPEAKING_WHILE_MUTED and e.cleared)
    assert cleared.uuid == uuid
    assert time.monotonic() - t_raised >= 4.9  # cleared no sooner than 5 s after raised
    a.c.hangup(uuid)


def test_precall_test_before_calls(sim, make_agent, pulse: Pulse):
    spk, mic = _names("pre")
    pulse.null_sink(spk)
    pulse.null_sink(mic)
    a = _device_agent(sim, make_agent, spk, mic)
    pulse.play(mic, voice_like())
    r = a.c.precall_test(echo_number="9196", seconds=3)  # ccsim's echo extension
    assert [s.name for s in r.steps] == ["registrar", "ice", "echo_call", "microphone"], r
    assert r.step("registrar").ok and r.step("ice").ok
    assert r.step("echo_call").ok and r.mos is not None and r.grade is not None, r
    # The microphone's level on the echo call, through the device-mode voice processing.
    assert r.step("microphone").ok and r.input_level_dbfs is not None and r.input_level_dbfs > -40, r
    assert r.failed_step is None and r.ok
    # Without an echo number there is no call to read the microphone on: both steps are skipped.
    r = a.c.precall_test(seconds=1)
    assert r.step("echo_call").skipped and r.step("microphone").skipped and r.grade is None, r


def test_a_close_racing_a_media_call_raises_client_closed(monkeypatch):
    # The library answers a handle freed meanwhile with CC_ERR_INVALID_HANDLE;
    # for a client closed by the app that is ClientClosed, as for requests.
    with Client("ws://127.0.0.1:1/ws") as c:
        def closing(handle: int, name: str, params: Any):
            c.close()
            return _ffi.ERR_INVALID_HANDLE, None

        monkeypatch.setattr(_ffi, "media", closing)
        with pytest.raises(cloudcc.ClientClosed):
            c.audio.devices()
    with Client("ws://127.0.0.1:1/ws") as c:
        monkeypatch.setattr(_ffi, "push_pcm", lambda *a: (c.close(), _ffi.ERR_INVALID_HANDLE)[1])
        with pytest.raises(cloudcc.ClientClosed):
            c.push_pcm(b"\0\0" * 160)


def test_a_close_during_the_precall_test_raises_client_closed(monkeypatch):
    # close() cancels a running pre-call test: the library answers
    # CC_ERR_CLOSED, which must not come back as a result with failed steps.
    with Client("ws://127.0.0.1:1/ws") as c:
        def closing(handle: int, name: str, params: Any):
            c.close()
            return _ffi.ERR_CLOSED, json.dumps({"code": "-6", "msg": "client closed"})

        monkeypatch.setattr(_ffi, "media", closing)
        with pytest.raises(cloudcc.ClientClosed):
            c.precall_test("9196")
