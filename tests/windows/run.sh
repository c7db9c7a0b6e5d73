#!/usr/bin/env bash
# Cross-builds cloudcc.dll with mingw-w64 (./build.sh windows-dll: the DLL,
# its .def and import library), links the C ABI smoke test
# (tests/windows/smoke.c) through the import library and runs it under Wine
# against a ccsim on loopback: the Windows build, checked on Linux. Installs mingw-w64 and wine if missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
OUT="$BUILD/windows"
mkdir -p "$OUT"

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(mingw-w64)
command -v wine >/dev/null || missing+=(wine wine64) # wine: /usr/bin/wine; wine64: the 64-bit loader
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Wait for the dpkg lock another install may hold instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

# cloudcc.dll, cloudcc.def and the import library libcloudcc.dll.a.
"$ROOT/build.sh" windows-dll
# The DLL must load on a bare Windows: system DLLs only (no libgcc/winpthread).
if x86_64-w64-mingw32-objdump -p "$OUT/cloudcc.dll" | grep -i "DLL Name" | grep -viE "kernel32|msvcrt|ws2_32|advapi32|ntdll|winmm|bcrypt"; then
  echo "cloudcc.dll imports a DLL Windows does not ship (above)" >&2; exit 1
fi
# core/dsp (the voice processing, pure Go) built for Windows and run under
# Wine below (the slow drift and leak cycles are left to Linux).
(cd "$ROOT" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$OUT/dsp_test.exe" ./core/dsp)
# The smoke test links through the import library, as a MinGW user would.
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 -I"$ROOT/include" -o "$OUT/smoke.exe" \
  "$ROOT/tests/windows/smoke.c" "$OUT/libcloudcc.dll.a"
x86_64-w64-mingw32-objdump -p "$OUT/smoke.exe" | grep -c 'DLL Name: cloudcc.dll' >/dev/null ||
  { echo "smoke.exe does not import cloudcc.dll" >&2; exit 1; }
# The DLL exports the header's functions and, besides them, only malgo's
# three cgo callbacks (Go exports every package's //export; they are not in
# the .def, so no import library offers them). The .def lists exactly the
# header's functions.
others="$(grep -v '^cc_' "$OUT/cloudcc.exports" | sort | tr '\n' ' ')" # build.sh lists the DLL's exports
[ "$others" = "goDataCallback goLogCallback goStopCallback " ] ||
  { echo "cloudcc.dll exports more than the ABI and malgo's callbacks: $others" >&2; exit 1; }
exports="$(sed -n 's/^    \(cc_[a-z_]*\)$/\1/p' "$OUT/cloudcc.def" | tr '\n' ' ')"
[ -n "$exports" ] || { echo "no exports found in cloudcc.def" >&2; exit 1; }
[ "$(grep -c '^    ' "$OUT/cloudcc.def")" -eq "$(echo $exports | wc -w)" ] ||
  { echo "unexpected export in cloudcc.def:" >&2; grep '^    ' "$OUT/cloudcc.def" | grep -v '^    cc_' >&2; exit 1; }
for f in $exports; do
  grep -q "CC_EXTERN([^)]*) $f(" "$ROOT/include/cloudcc.h" || { echo "exported but not in the header: $f" >&2; exit 1; }
done
for f in $(sed -n 's/^CC_EXTERN([^)]*) \**\(cc_[a-z_]*\)(.*/\1/p' "$ROOT/include/cloudcc.h"); do
  case " $exports " in *" $f "*) ;; *) echo "in the header but not exported: $f" >&2; exit 1 ;; esac
done

export WINEPREFIX="$BUILD/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
[ -d "$WINEPREFIX/drive_c/windows/system32" ] || timeout 300 wineboot -i >/dev/null 2>&1 || true
# Debian's Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Go's
# Windows runtime loads from system32; a shim stands in there (test only).
if [ ! -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] ||
   ! wine --version 2>/dev/null | grep -Eq 'wine-(9|[1-9][0-9])'; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$ROOT/tests/windows/bcryptprimitives.c" -ladvapi32
fi
# The sound-device layer (core/audio) built for Windows, under Wine.
WINEPREFIX="$WINEPREFIX" bash "$ROOT/tests/audio/wine.sh"
cd "$OUT"
# core/dsp's tests, cross-compiled (pure Go), under Wine.
timeout 300 wine dsp_test.exe -test.count=1 \
  -test.run 'TestEchoIsCancelled|TestAlignmentFindsDelay|TestFeaturesSwitchWithoutGlitch|TestVAD|TestBadInput|TestThreads|TestDoubleTalk|TestCancellerShift|TestAGC|TestNoiseTracker|TestRealFFT'
# Against a ccsim of its own (run mode: its address in $CCSIM_ADDR, stopped with wine).
# shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_ADDR
# Both orders of a status push and its reply, as the platform races them.
for order in reply_first push_first; do
  "$BUILD/bin/ccsim" -fast -push-order "$order" -- sh -c 'exec timeout 300 wine smoke.exe "$CCSIM_ADDR"'
done
echo "Windows DLL under Wine: ok"
