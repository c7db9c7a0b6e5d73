"""The PulseAudio harness of the device tests: null sinks, a tone or a voice-like signal into one, a monitor recorded.

run_tests.sh starts a private PulseAudio (tests/audio/pulse.sh) and sets
CC_AUDIO_PULSE; without it the `pulse` fixture fails, saying how to run
the tests. A null sink "X" is an output device; its monitor "X.monitor"
is an input device: a sink the test plays into is the agent's microphone,
a sink the agent plays into is recorded through its monitor.
"""

from __future__ import annotations

import array
import math
import os
import random
import subprocess
import threading
import time
from typing import Callable, Iterator, List, Optional

import pytest

RATE = 8000


class Recorder:
    """What parec records from a source (mono s16 at RATE), kept as it comes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._samples = array.array("h")
        self._proc = subprocess.Popen(
            ["parec", "--raw", "--format=s16le", "--channels=1", f"--rate={RATE}", "--latency-msec=20", "-d", source],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while True:
            b = self._proc.stdout.read(320)
            if not b:
                return
            with self._lock:
                self._samples.frombytes(b[: len(b) // 2 * 2])

    def __len__(self) -> int:
        with self._lock:
            return len(self._samples)

    def tail(self, n: int) -> array.array:
        """The last n samples (fewer when not yet recorded)."""
        with self._lock:
            return self._samples[-n:]

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(5)
        self._thread.join(5)


class Player:
    """pacat playing a signal into a sink, in real time, until stopped."""

    def __init__(self, sink: str, signal: Callable[[int], float]) -> None:
        self._stop = threading.Event()
        self._proc = subprocess.Popen(
            ["pacat", "--raw", "--format=s16le", "--channels=1", f"--rate={RATE}", "--latency-msec=20", "-d", sink],
            stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._write, args=(signal,), daemon=True)
        self._thread.start()

    def _write(self, signal: Callable[[int], float]) -> None:
        assert self._proc.stdin is not None
        n = 0
        # pacat blocks once its buffer is full, so writing as fast as it takes is real time.
        while not self._stop.is_set():
            frame = array.array("h", (int(max(-1.0, min(1.0, signal(n + i))) * 32767) for i in range(160)))
            n += 160
            try:
                self._proc.stdin.write(frame.tobytes())
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except BrokenPipeError:
            pass
        self._proc.terminate()
        self._proc.wait(5)


def tone(hz: float, amplitude: float = 0.3) -> Callable[[int], float]:
    """A sine of hz."""
    return lambda n: amplitude * math.sin(2 * math.pi * hz * n / RATE)


def speech_like(amplitude: float = 0.4, seed: int = 7) -> Callable[[int], float]:
    """Words of 2-4 syllables with pauses between them, each syllable a gliding pitch (90-220 Hz) with its harmonics.

    A voice detector tracks the noise floor through the pauses, as it does
    in a real conversation; a signal that never pauses (voice_like) can
    be taken for the room's noise after a while.
    """
    rng = random.Random(seed)
    out: List[float] = []
    while len(out) < 10 * RATE:  # ten seconds, looped
        for _ in range(rng.randint(2, 4)):
            dur = int((0.12 + 0.13 * rng.random()) * RATE)
            f0a, f0b = 90 + 130 * rng.random(), 90 + 130 * rng.random()
            phase = 0.0
            for i in range(dur):
                t = i / dur
                phase += 2 * math.pi * (f0a + (f0b - f0a) * t) / RATE
                env = math.sqrt(math.sin(math.pi * t))
                out.append(amplitude * env * sum(math.sin(k * phase) / k for k in range(1, 9)) / 2)
        out.extend([0.0] * int((0.2 + 0.4 * rng.random()) * RATE))
    return lambda n: out[n % len(out)]


def voice_like(amplitude: float = 0.4) -> Callable[[int], float]:
    """Harmonics of 140 Hz whose level rises and falls four times a second: syllables to a voice detector, not steady noise."""

    def f(n: int) -> float:
        t = n / RATE
        env = 0.5 * (1 - math.cos(2 * math.pi * 4 * t))
        return amplitude * env * sum(math.sin(2 * math.pi * 140 * k * t) / k for k in range(1, 8)) / 2

    return f


class Pulse:
    """The private PulseAudio of the run: load null sinks (unloaded after the test), play and record."""

    def __init__(self) -> None:
        self._modules: List[int] = []
        self._procs: List[object] = []

    def pactl(self, *args: str) -> str:
        out = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            pytest.fail(f"pactl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    def null_sink(self, name: str) -> int:
        """Loads a null sink named name (its description the same); returns its module index."""
        idx = int(self.pactl("load-module", "module-null-sink", f"sink_name={name}", f"rate={RATE * 6}",
                             "channels=1", f"sink_properties=device.description={name}"))
        self._modules.append(idx)
        return idx

    def unload(self, module: int) -> None:
        self.pactl("unload-module", str(module))
        self._modules.remove(module)

    def record(self, source: str) -> Recorder:
        r = Recorder(source)
        self._procs.append(r)
        return r

    def play(self, sink: str, signal: Callable[[int], float]) -> Player:
        p = Player(sink, signal)
        self._procs.append(p)
        return p

    def close(self) -> None:
        for p in reversed(self._procs):
            p.stop()  # type: ignore[attr-defined]
        for m in reversed(self._modules):
            subprocess.run(["pactl", "unload-module", str(m)], capture_output=True, timeout=10)


@pytest.fixture
def pulse() -> Iterator[Pulse]:
    """The run's private PulseAudio (run_tests.sh starts it); fails, not skips, without one."""
    server = os.environ.get("CC_AUDIO_PULSE")
    if not server:
        pytest.fail("no PulseAudio harness (CC_AUDIO_PULSE unset): run bindings/python/run_tests.sh, which starts one "
                    "(tests/audio/pulse.sh)")
    os.environ["PULSE_SERVER"] = server
    p = Pulse()
    p.pactl("info")
    try:
        yield p
    finally:
        p.close()


def wait_for(cond: Callable[[], Optional[object]], timeout: float, what: str, every: float = 0.05) -> object:
    """Polls cond until it returns something truthy; fails with `what` after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(every)
