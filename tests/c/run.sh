#!/usr/bin/env bash
# Builds the C ABI test and the C example under AddressSanitizer and runs the
# tests against fresh ccsims (ccsim's run mode); then installs the C SDK (./build.sh install) into
# a scratch prefix and builds the example against it once with pkg-config and
# once with CMake's find_package(cloudcc), and runs both. Expects ./build.sh lib
# to have run. Installs pkg-config and cmake if missing.
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
gcc "${CFLAGS[@]}" -o "$OUT/platform_test" "$ROOT/tests/c/platform_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/quality_test" "$ROOT/tests/c/quality_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/audio_test" "$ROOT/tests/c/audio_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/agent" "$ROOT/examples/c/agent.c" "${LDFLAGS[@]}"
# The ABI contract (include/cloudcc.abi.json): C's table of statuses is the
# header's cc_status, listed from it here and compiled with it.
sed -n '/^typedef enum cc_status {/,/^} cc_status;/s/^ *\(CC_[A-Z_]*\) = .*/CC_STATUS(\1)/p' "$ROOT/include/cloudcc.h" \
  >"$OUT/cc_status_list.h"
gcc "${CFLAGS[@]}" -I"$OUT" -o "$OUT/contract_test" "$ROOT/tests/c/contract_test.c" "${LDFLAGS[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/rtc_agent" "$ROOT/examples/c/rtc_agent.c" "${LDFLAGS[@]}"
# The device-mode example needs a sound server to run (examples/device_demo.sh c): built here.
gcc "${CFLAGS[@]}" -o "$OUT/device_agent" "$ROOT/examples/c/device_agent.c" "${LDFLAGS[@]}"
# libcloudcc.so exports exactly the header's functions (capi/cloudcc.map):
# a symbol more (the sound library's ma_*, cgo's callbacks) would take the
# calls another library of the host makes to its own copy of it.
want="$(sed -n 's/^CC_EXTERN([^)]*) \**\(cc_[a-z_]*\)(.*/\1/p' "$ROOT/include/cloudcc.h" | sort | tr '\n' ' ')"
got="$(nm -D --defined-only "$BUILD/lib/libcloudcc.so" | awk '{print $3}' | sort | tr '\n' ' ')"
[ "$got" = "$want" ] || { echo "libcloudcc.so exports: $(echo "$got" | cut -c1-300)... want exactly: $want" >&2; exit 1; }
# The header must also compile as C++ and under strict C89-style warnings.
echo '#include "cloudcc.h"
int main(void){ return cc_version()[0] == 0; }' | g++ -x c++ -Wall -Wextra -Werror -I"$ROOT/include" -fsyntax-only -

# on_sim [CCSIM-FLAGS...] -- CMD [ARGS...]: runs CMD against a fresh ccsim (-fast), its address in $CCSIM_ADDR
# (ccsim's run mode); the ccsim stops with CMD.
on_sim() { "$BUILD/bin/ccsim" -fast "$@"; }
PIDS=()
LOGS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -f "${LOGS[@]}"' EXIT
# cchostile: the misbehaving server of the reliability tests (plain and TLS).
HLOG="$(mktemp)"
LOGS+=("$HLOG" "$HLOG.err")
"$BUILD/bin/cchostile" -addr 127.0.0.1:0 -tls-addr 127.0.0.1:0 >"$HLOG" 2>"$HLOG.err" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "tls on" "$HLOG" && break; sleep 0.1; done
export HOSTILE_ADDR="$(sed -n 's#.*listening on http://##p' "$HLOG")"
export HOSTILE_TLS_ADDR="$(sed -n 's#.*tls on https://##p' "$HLOG")"
[ -n "$HOSTILE_ADDR" ] && [ -n "$HOSTILE_TLS_ADDR" ] || { cat "$HLOG.err" >&2; exit 1; }

# Go installs its own signal handlers; ASan must leave SIGSEGV to it. Leak
# detection is off because the Go runtime's allocations are not the test's.
export ASAN_OPTIONS="handle_segv=0:detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# The contract needs no server.
"$OUT/contract_test" "$ROOT/include/cloudcc.abi.json"
# The ABI test's flows are the spec's (ws://host/ws, agent_change after each
# status change): it runs against the spec dialect.
on_sim -dialect spec -- "$OUT/abi_test"
# The pre-call test against the PBX's echo extension and a call-quality
# warning raised and cleared by its impairment knobs (POST /admin/rtc/impair).
on_sim -dialect spec -- "$OUT/quality_test"
# Device mode with no sound server (PulseAudio pointed at nothing; the
# machine must have no ALSA card): refusals with the backend's reason, a
# call that goes on with audio_device_error events. tests/audio has the
# PulseAudio ones.
on_sim -dialect spec -- "$OUT/audio_test"
# Reliability regressions against cchostile (use after free, stalled
# handshakes, callbacks replaced under a flood, statuses, secrets, UTF-8).
"$OUT/reliability_test"
# The platform's server as built (the default dialect): events, codes,
# get_status, refusals without req_id, a link dropped during a call; with
# each order of a request's reply and its pushes (a race on the real server;
# ccsim passes its order as CCSIM_PUSH_ORDER).
on_sim -push-order push_first -- "$OUT/platform_test"
on_sim -- "$OUT/platform_test"
# The examples are what users run: against the platform's behaviour.
# The example agent runs the demo flow against the simulator (it takes
# $CCSIM_ADDR when given no address).
on_sim -- "$OUT/agent" >/dev/null
echo "C example agent: ok"
# shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_ADDR
(cd "$OUT" && on_sim -- sh -c 'exec "$0" "$CCSIM_ADDR"' "$OUT/rtc_agent" >/dev/null)
echo "C RTC example agent (plays and records a WAV): ok"

# The installed SDK, as a C/C++ team takes it: ./build.sh install, then
# pkg-config and CMake each find the header and libcloudcc.so.<major>.
missing=()
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v cmake >/dev/null || missing+=(cmake)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi
VER="$(sed -n 's/^#define CC_VERSION "\([^"]*\)"$/\1/p' "$ROOT/include/cloudcc.h")"
MAJOR="${VER%%.*}"
PREFIX="$OUT/prefix"
rm -rf "$PREFIX" "$OUT/cmake" "$OUT/cmake-newer"
"$ROOT/build.sh" install PREFIX="$PREFIX" >/dev/null 2>&1
[ "$(readlink "$PREFIX/lib/libcloudcc.so")" = "libcloudcc.so.$MAJOR" ] &&
  [ "$(readlink "$PREFIX/lib/libcloudcc.so.$MAJOR")" = "libcloudcc.so.$VER" ] ||
  { echo "installed library links are wrong:" >&2; ls -l "$PREFIX/lib" >&2; exit 1; }
readelf -d "$PREFIX/lib/libcloudcc.so.$VER" | grep -c "SONAME.*\[libcloudcc.so.$MAJOR\]" >/dev/null ||
  { echo "libcloudcc.so.$VER has no SONAME libcloudcc.so.$MAJOR" >&2; exit 1; }

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
[ "$(pkg-config --modversion cloudcc)" = "$VER" ] || { echo "pkg-config: cloudcc is not version $VER" >&2; exit 1; }
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -o "$OUT/agent-pkgconfig" "$ROOT/examples/c/agent.c" \
  $(pkg-config --cflags --libs cloudcc) -Wl,-rpath,"$(pkg-config --variable=libdir cloudcc)"
readelf -d "$OUT/agent-pkgconfig" | grep -c "NEEDED.*\[libcloudcc.so.$MAJOR\]" >/dev/null ||
  { echo "the pkg-config build does not load libcloudcc.so.$MAJOR" >&2; exit 1; }
on_sim -- "$OUT/agent-pkgconfig" >/dev/null
echo "C example built with pkg-config against the installed SDK: ok"

cmake -S "$ROOT/examples/c" -B "$OUT/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" -DCLOUDCC_VERSION="$VER" >/dev/null
cmake --build "$OUT/cmake" >/dev/null
readelf -d "$OUT/cmake/agent" | grep -c "NEEDED.*\[libcloudcc.so.$MAJOR\]" >/dev/null ||
  { echo "the CMake build does not load libcloudcc.so.$MAJOR" >&2; exit 1; }
on_sim -- "$OUT/cmake/agent" >/dev/null
# The version file turns away a request for the next major version.
if cmake -S "$ROOT/examples/c" -B "$OUT/cmake-newer" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCLOUDCC_VERSION="$((MAJOR + 1)).0" >/dev/null 2>&1; then
  echo "find_package(cloudcc $((MAJOR + 1)).0) accepted version $VER" >&2; exit 1
fi
echo "C example built with CMake find_package(cloudcc) against the installed SDK: ok"
