#!/usr/bin/env bash
# Cross-builds cloudcc.dll with mingw-w64 and runs the C ABI smoke test
# (tests/windows/smoke.c) under Wine against a ccsim on loopback: the
# Windows build, checked on Linux. Installs mingw-w64 and wine if missing.
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
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

(cd "$ROOT" && GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
  go build -buildmode=c-shared -ldflags "-s -w" -o "$OUT/cloudcc.dll" ./capi)
rm -f "$OUT/cloudcc.h" # cgo's own header; the public one is include/cloudcc.h
# The DLL must load on a bare Windows: system DLLs only (no libgcc/winpthread).
if x86_64-w64-mingw32-objdump -p "$OUT/cloudcc.dll" | grep -i "DLL Name" | grep -viE "kernel32|msvcrt|ws2_32|advapi32|ntdll|winmm|bcrypt"; then
  echo "cloudcc.dll imports a DLL Windows does not ship (above)" >&2; exit 1
fi
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 -I"$ROOT/include" -o "$OUT/smoke.exe" \
  "$ROOT/tests/windows/smoke.c" -L"$OUT" -lcloudcc
# Only the header's functions are exported.
exports="$(x86_64-w64-mingw32-objdump -p "$OUT/cloudcc.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
  sed -n 's/^\s*\[ *[0-9]*\] //p' | tr '\n' ' ')"
[ -n "$exports" ] || { echo "no exports found in cloudcc.dll" >&2; exit 1; }
for f in $exports; do
  case "$f" in cc_*) grep -q "CC_EXTERN([^)]*) $f(" "$ROOT/include/cloudcc.h" || { echo "exported but not in the header: $f" >&2; exit 1; } ;;
  *) echo "unexpected export: $f" >&2; exit 1 ;; esac
done

LOG="$(mktemp)"
"$BUILD/bin/ccsim" -addr 127.0.0.1:0 -fast >"$LOG" 2>"$LOG.err" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG" "$LOG.err"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$LOG" && break; sleep 0.1; done
ADDR="$(sed -n 's#.*listening on http://##p' "$LOG")"
[ -n "$ADDR" ] || { cat "$LOG.err" >&2; exit 1; }

export WINEPREFIX="$BUILD/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
[ -d "$WINEPREFIX/drive_c/windows/system32" ] || timeout 300 wineboot -i >/dev/null 2>&1 || true
# Debian's Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Go's
# Windows runtime loads from system32; a shim stands in there (test only).
if [ ! -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] ||
   ! wine --version 2>/dev/null | grep -Eq 'wine-(9|[1-9][0-9])'; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$ROOT/tests/windows/bcryptprimitives.c" -ladvapi32
fi
cd "$OUT"
timeout 300 wine smoke.exe "$ADDR"
echo "Windows DLL under Wine: ok"
