#!/usr/bin/env bash
# examples/device_demo.sh - device mode (rtc_audio "device") on a machine without a sound card: a private PulseAudio
# (tests/audio/pulse.sh) with null sinks standing for a headset, ccsim with its PBX, and the device-mode examples of
# Python (examples/python/device_agent.py), C# (examples/csharp/DeviceAgent.cs) or C (examples/c/device_agent.c)
# taking a call on that "headset".
#
#   ./build.sh lib && bash examples/device_demo.sh [python|csharp|c|both]     (default: both, Python and C#)
#
# The sinks: cc_headset is the speaker (what the agent hears; recorded from cc_headset.monitor into
# build/demo/headset.wav) and cc_headset_mic is fed a voice-like signal, so its monitor cc_headset_mic.monitor is the
# microphone. Needs pulseaudio (installed if missing) and, for C#, Mono (bindings/csharp/build.sh installs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
which="${1:-both}"
case "$which" in python|csharp|c|both) ;; *) echo "usage: $0 [python|csharp|c|both]" >&2; exit 2 ;; esac
if [ ! -f "$root/build/lib/libcloudcc.so" ] || [ ! -x "$root/build/bin/ccsim" ]; then
  echo "run ./build.sh lib first" >&2; exit 1
fi
out="$root/build/demo"
mkdir -p "$out"

# shellcheck source=tests/audio/pulse.sh
. "$root/tests/audio/pulse.sh"
pulse_start
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pulse_stop
}
trap cleanup EXIT
pactl load-module module-null-sink sink_name=cc_headset rate=48000 channels=1 sink_properties=device.description=Demo_Headset >/dev/null
pactl load-module module-null-sink sink_name=cc_headset_mic rate=48000 channels=1 sink_properties=device.description=Demo_Headset_Mic >/dev/null

# The agent's voice: harmonics of 140 Hz in syllables, played into the microphone's sink in real time.
python3 - <<'PY' | pacat --raw --format=s16le --channels=1 --rate=8000 -d cc_headset_mic &
import math, struct, sys
n = 0
try:
    while True:
        frame = bytearray()
        for _ in range(160):
            t = n / 8000
            env = 0.5 * (1 - math.cos(2 * math.pi * 4 * t))
            v = 0.4 * env * sum(math.sin(2 * math.pi * 140 * k * t) / k for k in range(1, 8)) / 2
            frame += struct.pack("<h", int(max(-1, min(1, v)) * 32767))
            n += 1
        sys.stdout.buffer.write(frame)
        sys.stdout.flush()
except BrokenPipeError:
    pass
PY
pids+=($!)
# What the agent hears, kept as a WAV.
parec --file-format=wav --format=s16le --channels=1 --rate=8000 -d cc_headset.monitor "$out/headset.wav" &
pids+=($!)

devices=(--microphone cc_headset_mic.monitor --speaker cc_headset --ringer cc_headset --seconds 8)
# The pre-call test calls ccsim's echo extension (FreeSWITCH's default number for its echo).
export CLOUDCC_ECHO_NUMBER=9196
export LD_LIBRARY_PATH="$root/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CLOUDCC_LIBRARY="$root/build/lib/libcloudcc.so"
if [ "$which" = csharp ] || [ "$which" = both ]; then bash "$root/examples/csharp/build.sh" >/dev/null; fi
if [ "$which" = c ]; then
  gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root/include" -o "$out/device_agent" "$root/examples/c/device_agent.c" \
    -L"$root/build/lib" -lcloudcc -lpthread -Wl,-rpath,"$root/build/lib"
fi
# shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_ADDR
"$root/build/bin/ccsim" -addr 127.0.0.1:0 -- bash -c '
  set -e
  root="$1" which="$2"; shift 2
  if [ "$which" = c ]; then
    printf "\n==> C: examples/c/device_agent.c on ccsim %s\n" "$CCSIM_ADDR"
    CLOUDCC_CALL_SECONDS=8 "$root/build/demo/device_agent" "$CCSIM_ADDR" "$2" "$4"
    exit 0
  fi
  if [ "$which" != csharp ]; then
    printf "\n==> Python: examples/python/device_agent.py on ccsim %s\n" "$CCSIM_ADDR"
    python3 "$root/examples/python/device_agent.py" "$CCSIM_ADDR" "$@"
  fi
  if [ "$which" != python ]; then
    printf "\n==> C#: examples/csharp/DeviceAgent.cs on ccsim %s\n" "$CCSIM_ADDR"
    mono "$root/examples/csharp/out/DeviceAgent.exe" "$CCSIM_ADDR" "$@"
  fi' demo "$root" "$which" "${devices[@]}"
echo "what the agent heard: $out/headset.wav"
