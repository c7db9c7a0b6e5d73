"""The agent's sound devices and voice processing (RTC mode with rtc_audio="device"), and the pre-call test.

    with Client(url, ..., rtc_audio="device") as c:
        mics = c.audio.devices().inputs
        c.audio.select_microphone(mics[0])
        c.audio.processing(ns=False)          # for new calls
        result = c.precall_test(echo_number="9196")
        print(result.grade, result.mos)

Every method is one cc_client_media call (include/cloudcc.h; docs/audio.md):
audio_devices, audio_select, audio_processing, audio_ringtone and
precall_test. Bad arguments raise InvalidArgument before anything is sent;
the library refuses an unknown device id or a WAV that is not PCM with
InvalidArgument too, and changes nothing. Without a sound server, the
calls that need one raise Unsupported with the backend's reason.
"""

from __future__ import annotations

import enum
import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Protocol, Union

from . import _ffi
from ._parse import _bool, _enum, _float, _int
from .errors import InvalidArgument

__all__ = [
    "Audio",
    "AudioRole",
    "AudioDeviceKind",
    "AudioDevice",
    "AudioDeviceList",
    "AudioDeviceRef",
    "AudioSelection",
    "AudioProcessing",
    "QualityWarning",
    "PrecallGrade",
    "PrecallStep",
    "PrecallResult",
    "ringtone_value",
]


class AudioRole(str, enum.Enum):
    """What a sound device is used for (audio_select's role)."""

    MICROPHONE = "microphone"
    SPEAKER = "speaker"
    RINGER = "ringer"


class AudioDeviceKind(str, enum.Enum):
    """Whether a device captures (input) or plays (output)."""

    INPUT = "input"
    OUTPUT = "output"


class QualityWarning(str, enum.Enum):
    """The name of a call-quality warning (call_quality_warning); the rules are Twilio Voice's (docs/audio.md)."""

    HIGH_RTT = "high_rtt"
    HIGH_JITTER = "high_jitter"
    HIGH_PACKET_LOSS = "high_packet_loss"
    LOW_MOS = "low_mos"
    NO_AUDIO_RECEIVED = "no_audio_received"
    NO_AUDIO_SENT = "no_audio_sent"
    CONSTANT_AUDIO_INPUT_LEVEL = "constant_audio_input_level"
    SPEAKING_WHILE_MUTED = "speaking_while_muted"


class PrecallGrade(str, enum.Enum):
    """The pre-call test's grade, by MOS."""

    EXCELLENT = "excellent"
    """Over 4.2."""
    GREAT = "great"
    """4.1 to 4.2."""
    GOOD = "good"
    """3.7 to 4.1."""
    FAIR = "fair"
    """3.1 to 3.7."""
    DEGRADED = "degraded"
    """Under 3.1."""


# A role's device kind: a microphone is an input, the speaker and the ringer outputs.
_KIND_OF_ROLE = {
    AudioRole.MICROPHONE: AudioDeviceKind.INPUT,
    AudioRole.SPEAKER: AudioDeviceKind.OUTPUT,
    AudioRole.RINGER: AudioDeviceKind.OUTPUT,
}


@dataclass(frozen=True)
class AudioDevice:
    """A sound device as audio_devices lists it."""

    id: str
    """The backend's own id, stable across runs (a PulseAudio sink or source name, a WASAPI endpoint id)."""
    name: str
    """What the system shows ("Jabra Evolve 40")."""
    kind: Union[AudioDeviceKind, str, None] = None
    """INPUT (captures) or OUTPUT (plays); the text of a kind this SDK does not know."""
    default: Optional[bool] = None
    """The system's default device of its kind (on Windows the console role)."""
    default_communications: Optional[bool] = None
    """The default communications device (Windows: the role a headset usually takes; elsewhere the default)."""
    channels: Optional[int] = None
    """The device's native channel count (0 when the backend will not say)."""
    rate: Optional[int] = None
    """The device's native sample rate, Hz (0 when the backend will not say)."""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "AudioDevice":
        """The device of one element of audio_devices' "devices"."""
        return cls(
            id=str(obj.get("id") or ""), name=str(obj.get("name") or ""),
            kind=_enum(AudioDeviceKind, obj.get("kind")), default=_bool(obj.get("default")),
            default_communications=_bool(obj.get("default_communications")),
            channels=_int(obj.get("channels")), rate=_int(obj.get("rate")),
        )


class AudioDeviceList(List[AudioDevice]):
    """audio_devices' answer: the devices (a list, inputs first as the backend gives them) and the backend."""

    def __init__(self, devices: Iterable[AudioDevice] = (), backend: Optional[str] = None,
                 data: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(devices)
        self.backend = backend
        """The sound backend in use: "pulseaudio", "alsa", "wasapi", ..."""
        self.data: Dict[str, Any] = dict(data or {})
        """The reply as parsed JSON."""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "AudioDeviceList":
        """The list of an audio_devices reply."""
        devs = obj.get("devices") or []
        return cls([AudioDevice.from_json(d) for d in devs if isinstance(d, Mapping)], _str_or_none(obj.get("backend")),
                   dict(obj))

    @property
    def inputs(self) -> List[AudioDevice]:
        """The capture devices (microphones)."""
        return [d for d in self if d.kind == AudioDeviceKind.INPUT]

    @property
    def outputs(self) -> List[AudioDevice]:
        """The playback devices (speakers, headsets)."""
        return [d for d in self if d.kind == AudioDeviceKind.OUTPUT]

    def by_id(self, device_id: str) -> Optional[AudioDevice]:
        """The device of that id, or None."""
        return next((d for d in self if d.id == device_id), None)

    def default_for(self, role: Union[AudioRole, str]) -> Optional[AudioDevice]:
        """The device "" selects for role: the default communications device of its kind (else the default)."""
        kind = _KIND_OF_ROLE[_role(role)]
        of_kind = [d for d in self if d.kind == kind]
        return (next((d for d in of_kind if d.default_communications), None)
                or next((d for d in of_kind if d.default), None))

    def __repr__(self) -> str:
        return f"AudioDeviceList(backend={self.backend!r}, {list.__repr__(self)})"


@dataclass(frozen=True)
class AudioDeviceRef:
    """A device named in an answer or an event: its id and name."""

    id: str = ""
    """The device's id ("" for the default communications device)."""
    name: Optional[str] = None
    """Its name, when given."""

    @classmethod
    def parse(cls, v: Any) -> Optional["AudioDeviceRef"]:
        """A ref from {"id","name"} or a bare id; None when absent."""
        if v is None:
            return None
        if isinstance(v, Mapping):
            return cls(str(v.get("id") or ""), _str_or_none(v.get("name")))
        return cls(str(v))


@dataclass(frozen=True)
class AudioSelection:
    """The devices in use (audio_select's answer): for each role, the device, or None when not said."""

    microphone: Optional[AudioDeviceRef] = None
    """The microphone."""
    speaker: Optional[AudioDeviceRef] = None
    """The speaker."""
    ringer: Optional[AudioDeviceRef] = None
    """The ringer (ringtone) device."""
    data: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The reply as parsed JSON."""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "AudioSelection":
        """The selection of an audio_select reply (the roles at the top or under "devices")."""
        inner = obj.get("devices")
        src = inner if isinstance(inner, Mapping) else obj
        return cls(AudioDeviceRef.parse(src.get("microphone")), AudioDeviceRef.parse(src.get("speaker")),
                   AudioDeviceRef.parse(src.get("ringer")), dict(obj))


@dataclass(frozen=True)
class AudioProcessing:
    """audio_processing's answer: the switches now and, for a call, its processor's state (absent fields None)."""

    aec: Optional[bool] = None
    """Acoustic echo cancellation."""
    ns: Optional[bool] = None
    """Noise suppression."""
    agc: Optional[bool] = None
    """Automatic gain control."""
    vad: Optional[bool] = None
    """Voice activity detection."""
    uuid: Optional[str] = None
    """The call, for a call's switches; None for the client's default of new calls."""
    delay_ms: Optional[float] = None
    """The echo path's delay the canceller found, ms (a call)."""
    erle_db: Optional[float] = None
    """Echo return loss enhancement now, dB (a call)."""
    level_dbfs: Optional[float] = None
    """The microphone's level after processing, dBFS (a call)."""
    speaking: Optional[bool] = None
    """Voice activity on the microphone now (a call)."""
    active: Optional[bool] = None
    """Whether a processor runs on the call's audio (a call; False: host mode without processing)."""
    drift_ppm: Optional[float] = None
    """How far the microphone's and the speaker's clocks drift apart, ppm (a call)."""
    mic_rate_hz: Optional[float] = None
    """The microphone's effective sample rate, Hz (a call in device mode, once measured)."""
    speaker_rate_hz: Optional[float] = None
    """The speaker's effective sample rate, Hz (a call in device mode, once measured)."""
    data: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The reply as parsed JSON."""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "AudioProcessing":
        """The state of an audio_processing reply (fields at the top, or under "state" / "switches")."""
        flat: Dict[str, Any] = {}
        for k in ("switches", "state"):
            if isinstance(obj.get(k), Mapping):
                flat.update(obj[k])
        flat.update({k: v for k, v in obj.items() if not isinstance(v, Mapping)})
        g = flat.get
        return cls(
            aec=_bool(g("aec")), ns=_bool(g("ns")), agc=_bool(g("agc")), vad=_bool(g("vad")),
            uuid=_str_or_none(g("uuid")) or None, delay_ms=_float(g("delay_ms")), erle_db=_float(g("erle_db")),
            level_dbfs=_float(g("level_dbfs")), speaking=_bool(g("speaking")), active=_bool(g("active")),
            drift_ppm=_float(g("drift_ppm")), mic_rate_hz=_float(g("mic_rate_hz")),
            speaker_rate_hz=_float(g("speaker_rate_hz")), data=dict(obj),
        )


@dataclass(frozen=True)
class PrecallStep:
    """One step of the pre-call test: registrar, ice, echo_call or microphone."""

    name: str
    """registrar, ice, echo_call or microphone."""
    ok: bool = False
    """Whether it passed (a skipped step is not a failure)."""
    skipped: Optional[bool] = None
    """True when it did not run (echo_call without an echo number); None: not said, so no."""
    ms: Optional[float] = None
    """How long it took, ms."""
    error: Optional[str] = None
    """Why it failed, when it did."""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "PrecallStep":
        """The step of one element of precall_test's "steps"."""
        return cls(str(obj.get("name") or ""), bool(obj.get("ok", False)), _bool(obj.get("skipped")),
                   _float(obj.get("ms")), _str_or_none(obj.get("error")))


@dataclass(frozen=True)
class PrecallResult:
    """precall_test's answer: the grade, the figures, each step, and the step that failed."""

    grade: Union[PrecallGrade, str, None] = None
    """excellent, great, good, fair or degraded (by MOS); None when nothing was measured."""
    mos: Optional[float] = None
    """Mean opinion score of the echo call."""
    rtt_ms: Optional[float] = None
    """Round-trip time of the echo call, ms."""
    jitter_ms: Optional[float] = None
    """Jitter of the echo call, ms."""
    loss: Optional[float] = None
    """Loss rate of the echo call, 0..1."""
    input_level_dbfs: Optional[float] = None
    """The microphone's level, dBFS, when measured."""
    steps: List[PrecallStep] = field(default_factory=list)
    """Each step, in order."""
    failed_step: Optional[str] = None
    """The name of the step that failed; None when none did."""
    data: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The reply as parsed JSON."""

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return self.failed_step is None and all(s.ok or s.skipped for s in self.steps)

    def step(self, name: str) -> Optional[PrecallStep]:
        """The step of that name, or None."""
        return next((s for s in self.steps if s.name == name), None)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "PrecallResult":
        """The result of a precall_test reply."""
        g = obj.get
        return cls(
            grade=_enum(PrecallGrade, g("grade") or None), mos=_float(g("mos")), rtt_ms=_float(g("rtt_ms")),
            jitter_ms=_float(g("jitter_ms")), loss=_float(g("loss")), input_level_dbfs=_float(g("input_level_dbfs")),
            steps=[PrecallStep.from_json(s) for s in g("steps") or [] if isinstance(s, Mapping)],
            failed_step=_str_or_none(g("failed_step")) or None, data=dict(obj),
        )


def _str_or_none(v: Any) -> Optional[str]:
    return None if v is None else str(v)


def _bad(msg: str) -> InvalidArgument:
    return InvalidArgument(_ffi.ERR_INVALID_ARGUMENT, str(_ffi.ERR_INVALID_ARGUMENT), msg)


def _role(role: Union[AudioRole, str]) -> AudioRole:
    try:
        return AudioRole(role)
    except ValueError:
        raise _bad(f"audio role must be microphone, speaker or ringer, not {role!r}") from None


def _device_id(role: AudioRole, device: Union[AudioDevice, str, None]) -> str:
    if device is None:
        return ""
    if isinstance(device, AudioDevice):
        want = _KIND_OF_ROLE[role]
        if device.kind is not None and device.kind != want:
            raise _bad(f"{device.id!r} is an {device.kind.value if isinstance(device.kind, enum.Enum) else device.kind} "
                       f"device; a {role.value} needs an {want.value} one")
        return device.id
    if isinstance(device, str):
        return device
    raise _bad(f"a device is an AudioDevice or its id, not {type(device).__name__}")


def _switch(name: str, v: Optional[bool]) -> Optional[bool]:
    if v is None or isinstance(v, bool):
        return v
    raise _bad(f"{name} must be True, False or None, not {v!r}")


def ringtone_value(ringtone: Union[str, "os.PathLike[str]", bool, None]) -> str:
    """The audio_ringtone value of a ringtone: "builtin", "off", "wav:PATH"; True is builtin, False/None off, a path a WAV."""
    if ringtone is True:
        return "builtin"
    if ringtone is False or ringtone is None:
        return "off"
    if isinstance(ringtone, os.PathLike):
        return "wav:" + os.fspath(ringtone)
    if isinstance(ringtone, str):
        if ringtone in ("builtin", "off"):
            return ringtone
        if ringtone.startswith("wav:") and len(ringtone) > len("wav:"):
            return ringtone
    raise _bad(f'ringtone must be "builtin", "off", "wav:PATH" or a path, not {ringtone!r}')


def seconds_value(seconds: Any) -> Union[int, float]:
    """The precall_test seconds of a positive finite number (whole seconds as an integer)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise _bad(f"seconds must be a positive number, not {seconds!r}")
    return int(seconds) if float(seconds).is_integer() else float(seconds)


def precall_params(echo_number: Optional[str], seconds: Any) -> Dict[str, Any]:
    """precall_test's params; raises InvalidArgument for bad ones."""
    if echo_number is not None and not isinstance(echo_number, str):
        raise _bad(f"echo_number must be a string, not {echo_number!r}")
    return {"echo_number": echo_number, "seconds": seconds_value(seconds)}


class _MediaHost(Protocol):
    """What Audio needs of its client: one media request (the Client's)."""

    def _media(self, name: str, **params: Any) -> Dict[str, Any]: ...


class Audio:
    """The agent's sound devices and voice processing: `client.audio` (see the module's doc).

    Local calls on the agent's phone: they do not wait on the CTI link. A
    device choice made before check-in holds for the phone's calls; made
    during a call it switches the call at once, and its RTP goes on.
    """

    def __init__(self, client: "_MediaHost") -> None:
        self._client = client

    def devices(self) -> AudioDeviceList:
        """Lists the sound devices (inputs and outputs) and the backend; Unsupported without a sound server."""
        return AudioDeviceList.from_json(self._client._media("audio_devices"))

    def select(self, role: Union[AudioRole, str], device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the device of a role for later calls and the calls in progress; returns the devices in use.

        device is an AudioDevice of the right kind or an id; None or "" is
        the default communications device. An unknown id raises
        InvalidArgument and changes nothing.
        """
        r = _role(role)
        return AudioSelection.from_json(self._client._media("audio_select", role=r.value, id=_device_id(r, device)))

    def select_microphone(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the microphone (an input); see select."""
        return self.select(AudioRole.MICROPHONE, device)

    def select_speaker(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the speaker (an output); see select."""
        return self.select(AudioRole.SPEAKER, device)

    def select_ringer(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the device the ringtone plays on (an output); see select."""
        return self.select(AudioRole.RINGER, device)

    def processing(self, uuid: Optional[str] = None, *, aec: Optional[bool] = None, ns: Optional[bool] = None,
                   agc: Optional[bool] = None, vad: Optional[bool] = None) -> AudioProcessing:
        """Sets the given voice-processing switches (None leaves one as is) and returns the state now.

        uuid names a call (its switches, and its processor's state in the
        answer); None sets the client's default for new calls. With no
        switch given it only reads.
        """
        if uuid is not None and not isinstance(uuid, str):
            raise _bad(f"uuid must be a string, not {uuid!r}")
        return AudioProcessing.from_json(self._client._media(
            "audio_processing", uuid=uuid or None, aec=_switch("aec", aec), ns=_switch("ns", ns),
            agc=_switch("agc", agc), vad=_switch("vad", vad)))

    def ringtone(self, ringtone: Union[str, "os.PathLike[str]", bool, None]) -> None:
        """Sets what a ringing call plays on the ringer: "builtin" (or True), "off" (or False), "wav:PATH" or a path (16-bit PCM).

        A WAV that is not 16-bit PCM raises InvalidArgument and changes nothing.
        """
        self._client._media("audio_ringtone", ringtone=ringtone_value(ringtone))
