#!/usr/bin/env bash
# Builds the C ABI test and the C example under AddressSanitizer and runs the
# test against a fresh ccsim. Expects ./build.sh lib to have run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build"
OUT="$BUILD/tests-c"
mkdir -p "$OUT"

CFLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
  -I"$ROOT/include")
LDFLAGS=(-L"$BUILD/lib" -lcloudcc -lpthread -lm -Wl,-rpath,"$BUILD/lib")
gcc "${CFLAGS[@]}" -o "$OUT/abi_test" "$ROOT/tests/c/abi_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/reliability_test" "$ROOT/tests/c/reliability_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/agent" "$ROOT/examples/c/agent.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/rtc_agent" "$ROOT/examples/c/rtc_agent.c" "${LDFLAGS[@]}"
# The header must also compile as C++ and under strict C89-style warnings.
echo '#include "cloudcc.h"
int main(void){ return cc_version()[0] == 0; }' | g++ -x c++ -Wall -Wextra -Werror -I"$ROOT/include" -fsyntax-only -

LOG="$(mktemp)"
HLOG="$(mktemp)"
"$BUILD/bin/ccsim" -addr 127.0.0.1:0 -fast >"$LOG" 2>"$LOG.err" &
PID=$!
# cchostile: the misbehaving server of the reliability tests (plain and TLS).
"$BUILD/bin/cchostile" -addr 127.0.0.1:0 -tls-addr 127.0.0.1:0 >"$HLOG" 2>"$HLOG.err" &
HPID=$!
trap 'kill $PID $HPID 2>/dev/null; wait $PID $HPID 2>/dev/null; rm -f "$LOG" "$LOG.err" "$HLOG" "$HLOG.err"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$LOG" && break; sleep 0.1; done
export CCSIM_ADDR="$(sed -n 's#.*listening on http://##p' "$LOG")"
[ -n "$CCSIM_ADDR" ] || { cat "$LOG.err" >&2; exit 1; }
for _ in $(seq 1 100); do grep -q "tls on" "$HLOG" && break; sleep 0.1; done
export HOSTILE_ADDR="$(sed -n 's#.*listening on http://##p' "$HLOG")"
export HOSTILE_TLS_ADDR="$(sed -n 's#.*tls on https://##p' "$HLOG")"
[ -n "$HOSTILE_ADDR" ] && [ -n "$HOSTILE_TLS_ADDR" ] || { cat "$HLOG.err" >&2; exit 1; }

# Go installs its own signal handlers; ASan must leave SIGSEGV to it. Leak
# detection is off because the Go runtime's allocations are not the test's.
export ASAN_OPTIONS="handle_segv=0:detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
"$OUT/abi_test"
# Reliability regressions against cchostile (use after free, stalled
# handshakes, callbacks replaced under a flood, statuses, secrets, UTF-8).
"$OUT/reliability_test"
# The example agent runs the demo flow against the same simulator.
"$OUT/agent" "$CCSIM_ADDR" >/dev/null
echo "C example agent: ok"
(cd "$OUT" && "$OUT/rtc_agent" "$CCSIM_ADDR" >/dev/null)
echo "C RTC example agent (plays and records a WAV): ok"
