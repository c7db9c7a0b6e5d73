#!/usr/bin/env bash
# tests/audio/run.sh: the sound-device tests (core/audio) against real
# sound servers, and the no-server check.
#
#   bash tests/audio/run.sh          # tests (what ./build.sh test runs)
#   bash tests/audio/run.sh bench    # the device-switch gap and latency benchmarks
#
# 1. Without any sound server: tests/audio/devlist (core/audio as the
#    library links it) needs no sound library at link time, and listing
#    devices gives ErrNoAudioBackend's clear error (exit 3), not a crash.
# 2. A private PulseAudio (pulse.sh) with CC_AUDIO_PULSE set: the Go tests
#    that need a server run (and fail, not skip, if it does not answer).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/audio/pulse.sh
. "$ROOT/tests/audio/pulse.sh"
pulse_install
OUT="$ROOT/build/audio"
mkdir -p "$OUT"

if [ "${1:-}" = bench ]; then
  pulse_start
  trap pulse_stop EXIT
  go test -run '^$' -bench 'SwitchGap' -benchtime "${BENCH_SWITCHES:-20}x" -count=1 ./core/audio/ | grep -E '^(Benchmark|ok|FAIL)'
  # The delay the SDK adds between the devices and the call (fake devices).
  go test -run '^$' -bench 'EndpointLatency' -benchtime 500x -count=3 ./core/audio/ | grep -E '^(Benchmark|ok|FAIL)'
  exit 0
fi

echo "== no sound server: a clear error, no sound library linked"
go build -o "$OUT/devlist" ./tests/audio/devlist
if readelf -d "$OUT/devlist" | grep NEEDED | grep -Ei 'pulse|asound'; then
  echo "devlist links a sound library (above): it must be loaded at run time" >&2; exit 1
fi
set +e
# No server at the address, and only PulseAudio tried (this machine may
# have an ALSA card; the Go test covers "no card" too).
PULSE_SERVER="unix:$OUT/no-such-server" "$OUT/devlist" -backends pulseaudio >"$OUT/none.out" 2>"$OUT/none.err"
rc=$?
set -e
cat "$OUT/none.err"
[ "$rc" -eq 3 ] || { echo "devlist without a server: exit $rc, want 3 (no sound backend)" >&2; exit 1; }
grep -q "no sound backend" "$OUT/none.err" || { echo "no clear error" >&2; exit 1; }

echo "== PulseAudio: devices, tones, switching, hot-plug, ringtone"
pulse_start
trap pulse_stop EXIT
pactl load-module module-null-sink sink_name=cc_devlist sink_properties=device.description=CC_Devlist >/dev/null
"$OUT/devlist" | grep -q '"id":"cc_devlist"' || { echo "devlist does not list the sink" >&2; exit 1; }
# core/audio's devices, and core/agent's device-mode calls through ccsim's PBX.
go test -race -count=1 -p 1 -timeout 10m -v -run 'Pulse' ./core/audio/ ./core/agent/ >"$OUT/go-test.log" 2>&1 || {
  cat "$OUT/go-test.log" >&2; exit 1; }
grep -E '^(--- |ok|FAIL)|switch:|loopback:' "$OUT/go-test.log"
if grep -q -- '--- SKIP' "$OUT/go-test.log"; then
  echo "a PulseAudio test skipped with the server up" >&2; exit 1
fi
