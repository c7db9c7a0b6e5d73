#!/usr/bin/env bash
# tests/audio/wine.sh: the sound-device layer built with mingw-w64 for
# Windows and run under Wine (called by tests/windows/run.sh, which sets
# WINEPREFIX). A DLL that links core/audio imports system DLLs only, and
# tests/audio/devlist.exe lists devices through WASAPI: against a private
# PulseAudio (Wine's winepulse driver) it must see the test's sink and a
# default communications device (comm_windows.c); with no server at all,
# a list or a clear error (exit 0 or 3), never a crash.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build/windows"
mkdir -p "$OUT"
cd "$ROOT"
win() { GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CGO_CFLAGS="-O2 -w" go "$@"; }
win build -o "$OUT/devlist.exe" ./tests/audio/devlist
win build -buildmode=c-shared -o "$OUT/audio-probe.dll" ./tests/audio/devlist
rm -f "$OUT/audio-probe.h"
if x86_64-w64-mingw32-objdump -p "$OUT/audio-probe.dll" | grep -i "DLL Name" | grep -viE "kernel32|msvcrt|ws2_32|advapi32|ntdll|winmm|bcrypt"; then
  echo "core/audio makes the DLL import a DLL Windows does not ship (above)" >&2; exit 1
fi

set +e
PULSE_SERVER="unix:$OUT/no-such-server" timeout 300 wine "$OUT/devlist.exe" >"$OUT/devlist-none.out" 2>"$OUT/devlist-none.err"
rc=$?
set -e
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { cat "$OUT/devlist-none.err" >&2; echo "devlist.exe without sound: exit $rc" >&2; exit 1; }
echo "devlist.exe under Wine without a sound server: exit $rc ($(grep -c . "$OUT/devlist-none.out" || true) devices)"

# shellcheck source=tests/audio/pulse.sh
. "$ROOT/tests/audio/pulse.sh"
pulse_start
trap pulse_stop EXIT
pactl load-module module-null-sink sink_name=cc_wine sink_properties=device.description=CC_Wine_Speaker >/dev/null
timeout 300 wine "$OUT/devlist.exe" >"$OUT/devlist.out" 2>"$OUT/devlist.err" || {
  cat "$OUT/devlist.err" >&2; echo "devlist.exe failed with a sound server" >&2; exit 1; }
grep -q '"kind":"playback".*"name":"CC_Wine_Speaker"' "$OUT/devlist.out" ||
  { cat "$OUT/devlist.out" >&2; echo "the sink is not listed through WASAPI" >&2; exit 1; }
grep -q '"kind":"playback".*"is_default_comm":true' "$OUT/devlist.out" ||
  { cat "$OUT/devlist.out" >&2; echo "no default communications playback device" >&2; exit 1; }
grep -q '"id":"{0\.0\.0\.' "$OUT/devlist.out" || { echo "ids are not WASAPI endpoint ids" >&2; exit 1; }
echo "devlist.exe under Wine: $(grep -c . "$OUT/devlist.out") devices through WASAPI"
