#!/usr/bin/env bash
# build.sh - builds, tests and demos the CloudCC Agent SDK on a fresh machine.
#
#   ./build.sh            same as ./build.sh lib
#   ./build.sh lib        build/lib/libcloudcc.so, build/include/cloudcc.h, build/bin/ccsim
#   ./build.sh demo       start ccsim and run the example agent against it
#   ./build.sh test       every test of every language (what CI runs)
#   ./build.sh bench      benchmarks and soaks (not part of test); bench-voice: core/dsp's figures alone
#   ./build.sh windows    build/windows/cloudcc.dll (mingw-w64), checked under Wine
#   ./build.sh dist       every package into build/dist/ (wheels, sdist, nupkg, C SDK tarball, SHA256SUMS)
#   ./build.sh install PREFIX=/usr/local   the C SDK (header, libcloudcc.so.N, pkg-config, CMake package)
#
# Steps that need packages install them (apt-get, pip) when they are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
BUILD="$ROOT/build"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

log() { printf '\n==> %s\n' "$*" >&2; }

need_go() {
  command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/)" >&2; exit 1; }
  go mod download
}

# apt_get ARGS...: apt-get that waits (up to 10 min) for the dpkg lock another
# install may hold, instead of failing at once.
apt_get() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

apt_install() {
  # apt_install PKG... : install the Debian packages that are missing.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq "${missing[@]}" >/dev/null
}

# The version is written once, in include/cloudcc.h; everything else reads it.
sdk_version() { sed -n 's/^#define CC_VERSION "\([^"]*\)"$/\1/p' "$ROOT/include/cloudcc.h"; }
sdk_major() { sed -n 's/^#define CC_VERSION_MAJOR \([0-9]*\)$/\1/p' "$ROOT/include/cloudcc.h"; }

build_ccsim() {
  need_go
  mkdir -p "$BUILD/bin"
  go build -o "$BUILD/bin/ccsim" ./cmd/ccsim
  go build -o "$BUILD/bin/ccload" ./cmd/ccload
  go build -o "$BUILD/bin/ccbench" ./cmd/ccbench
  go build -o "$BUILD/bin/cchostile" ./cmd/cchostile
}

build_lib() {
  need_go
  build_ccsim
  mkdir -p "$BUILD/lib" "$BUILD/include"
  cp include/cloudcc.h "$BUILD/include/"
  if [ -d capi ]; then
    # cgo writes its own header next to the library; the public one is
    # include/cloudcc.h, so build in a scratch dir and keep only the .so.
    # The library carries the SONAME libcloudcc.so.<major>: programs linked
    # against it load that name, so a later compatible version replaces it.
    local tmp ver major
    tmp="$(mktemp -d)"
    ver="$(sdk_version)"
    major="$(sdk_major)"
    CGO_ENABLED=1 go build -buildmode=c-shared -ldflags "-extldflags=-Wl,-soname,libcloudcc.so.$major" \
      -o "$tmp/libcloudcc.so" ./capi
    rm -f "$BUILD"/lib/libcloudcc.so*
    mv "$tmp/libcloudcc.so" "$BUILD/lib/libcloudcc.so.$ver"
    ln -s "libcloudcc.so.$ver" "$BUILD/lib/libcloudcc.so.$major"
    ln -s "libcloudcc.so.$major" "$BUILD/lib/libcloudcc.so"
    rm -rf "$tmp"
  fi
}

# dll_exports DLL: the names a DLL exports, one a line.
dll_exports() {
  x86_64-w64-mingw32-objdump -p "$1" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
    sed -n 's/^\s*\[ *[0-9]*\] //p'
}

# build_windows_dll: build/windows/cloudcc.dll cross-built with mingw-w64, its
# cloudcc.def (the exported functions) and the MinGW import library
# libcloudcc.dll.a made from it.
build_windows_dll() {
  need_go
  command -v x86_64-w64-mingw32-gcc >/dev/null || apt_install mingw-w64
  local out="$BUILD/windows"
  mkdir -p "$out"
  GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
    go build -buildmode=c-shared -ldflags "-s -w" -o "$out/cloudcc.dll" ./capi
  rm -f "$out/cloudcc.h" # cgo's own header; the public one is include/cloudcc.h
  { echo "LIBRARY cloudcc.dll"; echo "EXPORTS"; dll_exports "$out/cloudcc.dll" | sed 's/^/    /'; } >"$out/cloudcc.def"
  x86_64-w64-mingw32-dlltool --input-def "$out/cloudcc.def" --dllname cloudcc.dll \
    --output-lib "$out/libcloudcc.dll.a"
}

# install_sdk DEST PCPREFIX [windows]: lays out the C SDK under DEST: the
# header, libcloudcc.so.<version> with its SONAME link and dev link,
# pkg-config and CMake files, the examples; with "windows", also
# bin/cloudcc.dll, lib/libcloudcc.dll.a and lib/cloudcc.def. PCPREFIX is
# the prefix written into cloudcc.pc.
install_sdk() {
  local dest="$1" pcprefix="$2" ver major minor
  ver="$(sdk_version)"
  major="$(sdk_major)"
  minor="$(echo "$ver" | cut -d. -f2)"
  install -d "$dest/include" "$dest/lib/pkgconfig" "$dest/lib/cmake/cloudcc" "$dest/share/cloudcc/examples/c"
  install -m 644 "$ROOT/include/cloudcc.h" "$dest/include/"
  install -m 755 "$BUILD/lib/libcloudcc.so.$ver" "$dest/lib/"
  ln -sfn "libcloudcc.so.$ver" "$dest/lib/libcloudcc.so.$major"
  ln -sfn "libcloudcc.so.$major" "$dest/lib/libcloudcc.so"
  local subst=(-e "s|@PREFIX@|$pcprefix|g" -e "s|@VERSION@|$ver|g" -e "s|@VERSION_MAJOR@|$major|g"
    -e "s|@VERSION_MINOR@|$minor|g")
  sed "${subst[@]}" "$ROOT/packaging/c/cloudcc.pc.in" >"$dest/lib/pkgconfig/cloudcc.pc"
  sed "${subst[@]}" "$ROOT/packaging/c/cloudccConfig.cmake.in" >"$dest/lib/cmake/cloudcc/cloudccConfig.cmake"
  sed "${subst[@]}" "$ROOT/packaging/c/cloudccConfigVersion.cmake.in" \
    >"$dest/lib/cmake/cloudcc/cloudccConfigVersion.cmake"
  install -m 644 "$ROOT"/examples/c/*.c "$ROOT/examples/c/README.md" "$ROOT/examples/c/CMakeLists.txt" \
    "$dest/share/cloudcc/examples/c/"
  if [ "${3:-}" = windows ]; then
    install -d "$dest/bin"
    install -m 755 "$BUILD/windows/cloudcc.dll" "$dest/bin/"
    install -m 644 "$BUILD/windows/libcloudcc.dll.a" "$BUILD/windows/cloudcc.def" "$dest/lib/"
  fi
}

# install_c PREFIX=DIR [DESTDIR=DIR]: the C SDK for this machine under PREFIX.
install_c() {
  local prefix="/usr/local" destdir=""
  for a in "$@"; do
    case "$a" in
      PREFIX=*) prefix="${a#PREFIX=}" ;;
      DESTDIR=*) destdir="${a#DESTDIR=}" ;;
      *) echo "install: unknown argument $a (PREFIX=DIR, DESTDIR=DIR)" >&2; exit 2 ;;
    esac
  done
  case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
  build_lib
  install_sdk "$destdir$prefix" "$prefix"
  log "installed the C SDK $(sdk_version) under $destdir$prefix (pkg-config: $prefix/lib/pkgconfig)"
}

# dist: every artifact into build/dist/, with SHA256SUMS.
dist() {
  build_lib
  build_windows_dll
  local ver out stage
  ver="$(sdk_version)"
  out="$BUILD/dist"
  rm -rf "$out"
  mkdir -p "$out"
  stage="$(mktemp -d)"
  # Archives made twice from the same tree are the same bytes.
  local epoch
  epoch="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
  log "C SDK tarball"
  install_sdk "$stage/cloudcc-sdk-$ver" '${pcfiledir}/../..' windows
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "cloudcc-sdk-$ver" |
    gzip -n -9 >"$out/cloudcc-sdk-$ver.tar.gz"
  rm -rf "$stage"
  log "Python sdist and wheels"
  SOURCE_DATE_EPOCH="$epoch" bash "$ROOT/bindings/python/dist.sh" "$out"
  log "NuGet package"
  SOURCE_DATE_EPOCH="$epoch" bash "$ROOT/bindings/csharp/pack.sh" "$out"
  (cd "$out" && sha256sum -- * >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
  log "build/dist:"
  (cd "$out" && ls -l --time-style=+ | sed 1d)
}

# start_ccsim [ARGS...]: starts ccsim on a free loopback port; sets CCSIM_PID
# and CCSIM_ADDR (host:port). The caller stops it with stop_ccsim.
start_ccsim() {
  local out
  out="$(mktemp)"
  "$BUILD/bin/ccsim" -addr 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
  CCSIM_PID=$!
  CCSIM_LOG="$out.err"
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$out"; then
      CCSIM_ADDR="$(sed -n 's#.*listening on https\?://##p' "$out" | head -n1)"
      export CCSIM_ADDR
      return 0
    fi
    kill -0 "$CCSIM_PID" 2>/dev/null || { cat "$out.err" >&2; return 1; }
    sleep 0.1
  done
  echo "ccsim did not start" >&2
  return 1
}

stop_ccsim() {
  [ -n "${CCSIM_PID:-}" ] && kill "$CCSIM_PID" 2>/dev/null && wait "$CCSIM_PID" 2>/dev/null || true
  CCSIM_PID=""
}

test_go() {
  need_go
  log "go vet"
  go vet ./...
  log "gofmt"
  local unformatted
  unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tests/interop/node_modules/*'))"
  if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi
  log "go test -race"
  go test -race -count=1 -timeout 20m ./...
}

# test_fuzz [SECONDS]: runs each fuzz target (decoder, redactor) for a while;
# without -fuzz, go test already runs their seed corpora.
test_fuzz() {
  local t="${1:-10}s" target
  need_go
  for target in FuzzDecode FuzzDecodeAll FuzzRedact; do
    log "fuzz $target for $t"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" ./core/protocol
  done
}

test_opus() {
  # Opus is optional (cgo + libopus, build tag "opus"): its own test run.
  log "media with the optional Opus codec (libopus)"
  apt_install libopus-dev pkg-config
  go test -count=1 -timeout 10m -tags opus,nolibopusfile ./core/media/
}

test_c() {
  [ -f tests/c/run.sh ] || return 0
  log "C ABI tests"
  bash tests/c/run.sh
}

test_windows() {
  [ -f tests/windows/run.sh ] || return 0
  log "Windows DLL (mingw-w64 cross build) under Wine"
  bash tests/windows/run.sh
}

test_python() {
  [ -f bindings/python/run_tests.sh ] || return 0
  log "Python tests"
  bash bindings/python/run_tests.sh
}

test_csharp() {
  [ -f bindings/csharp/run_tests.sh ] || return 0
  log "C# tests on Mono"
  bash bindings/csharp/run_tests.sh
  log "C# tests on CoreCLR (.NET Core 2.0)"
  bash bindings/csharp/run_tests.sh --runtime coreclr
}

test_packaging() {
  [ -f tests/packaging/run.sh ] || return 0
  log "packages: the wheel in a fresh venv, the nupkg on Mono and CoreCLR, the C SDK with pkg-config and CMake"
  dist
  bash tests/packaging/run.sh
}

test_interop() {
  [ -f tests/interop/run.sh ] || return 0
  log "RTC interop tests (Kamailio + JsSIP in Chromium)"
  bash tests/interop/run.sh
}

demo() {
  build_lib
  log "building the C example agent"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/agent" examples/c/agent.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -Wl,-rpath,"$BUILD/lib"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/rtc_agent" examples/c/rtc_agent.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -lm -Wl,-rpath,"$BUILD/lib"
  trap stop_ccsim EXIT
  start_ccsim -log
  log "ccsim on $CCSIM_ADDR; the example agent (C, through libcloudcc) runs its session"
  "$BUILD/bin/agent" "$CCSIM_ADDR"
  log "an RTC agent (login_type 1): the SDK is its phone; it answers, plays a WAV, records the customer"
  mkdir -p "$BUILD/demo"
  (cd "$BUILD/demo" && "$BUILD/bin/rtc_agent" "$CCSIM_ADDR")
  log "files: $BUILD/demo/greeting.wav (played), $BUILD/demo/customer.wav (recorded)"
  log "what ccsim saw (its frame log; secrets redacted)"
  cat "$CCSIM_LOG"
}

# bench_abi: the same round trip and event latency through the Go API, C,
# Python and C#, against one ccsim, one after the other; prints the ratios.
bench_abi() {
  local n="${BENCH_N:-5000}" out
  out="$(mktemp)"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/ccbench-c" tests/c/bench.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -Wl,-rpath,"$BUILD/lib"
  [ -x "$BUILD/venv/bin/python" ] || python3 -m venv "$BUILD/venv"
  "$BUILD/venv/bin/python" -m pip install -q --disable-pip-version-check websockets
  trap stop_ccsim EXIT
  start_ccsim -fast -dialect spec # the bench clients dial /ws
  for round in 1 2 3; do
    "$BUILD/bin/ccbench" -addr "$CCSIM_ADDR" -n "$n" >>"$out"
    "$BUILD/bin/ccbench-c" "$CCSIM_ADDR" "$n" >>"$out"
    CLOUDCC_LIBRARY="$BUILD/lib/libcloudcc.so" "$BUILD/venv/bin/python" bindings/python/bench.py "$CCSIM_ADDR" "$n" >>"$out"
    if [ -f bindings/csharp/bench.sh ]; then bash bindings/csharp/bench.sh "$CCSIM_ADDR" "$n" | grep '^{' >>"$out" || true; fi
  done
  stop_ccsim
  python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    if "error" not in r:
        by.setdefault(r["lang"], []).append(r)
def med(lang, key):
    xs = [r[key] for r in by.get(lang, []) if key in r]
    return statistics.median(xs) if xs else None
go_rtt, go_ev = med("go", "rtt_us"), med("go", "event_us")
print(f"{'through':<20}{'round trip µs':>15}{'ratio':>8}{'event µs':>12}{'ratio':>8}   (median of 3 runs, mean of N each)")
for lang in by:
    rtt, ev = med(lang, "rtt_us"), med(lang, "event_us")
    fmt = lambda v, ref: (f"{v:>15.1f}{v / ref:>7.2f}x" if v is not None else f"{'-':>15}{'':>8}")
    line = f"{lang:<20}" + fmt(rtt, go_rtt)
    line += (f"{ev:>12.1f}{ev / go_ev:>7.2f}x" if ev is not None else f"{'-':>12}")
    print(line)
PY
  rm -f "$out"
}

# bench_reliability: resource figures against cchostile (a server that
# misbehaves on purpose): RSS under event floods, reconnects/s against a
# server that drops every link, cc_client_free with a stalled handshake,
# and the soak (1,000 forced disconnects during requests: none lost or
# doubled; RSS, threads, fds sampled).
bench_reliability() {
  local out addr pid
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/reliability_bench" tests/c/reliability_bench.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -Wl,-rpath,"$BUILD/lib"
  out="$(mktemp)"
  "$BUILD/bin/cchostile" -addr 127.0.0.1:0 >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
  addr="$(sed -n 's#.*listening on http://##p' "$out")"
  local mode
  for mode in flood-callback flood-poll reconnect-rate free-latency "soak 1000"; do
    log "reliability: $mode"
    # shellcheck disable=SC2086 # mode carries its argument
    "$BUILD/bin/reliability_bench" "$addr" $mode || { kill "$pid"; rm -f "$out"; return 1; }
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -f "$out"
}

# bench_voice: the figures of core/dsp (docs/audio.md): espeak-ng speaks
# the customer, the agent and six babble talkers; cmd/ccvoicebench builds
# the rooms, delays, noise and drift and prints PASS/FAIL per figure.
bench_voice() {
  need_go
  apt_install espeak-ng
  local dir="$BUILD/voicebench" far near i=0 v
  mkdir -p "$dir"
  far="Thank you for calling. I am phoning about the invoice I received last week, because the amount looks wrong to me. \
I was charged twice for the same order, once on the third and again on the fifth of the month. Could you check the payment \
history on my account and tell me when the refund will reach my card? I have been a customer for many years and this has \
never happened before. The order number should be on the email you sent me, it starts with four seven two. I would also \
like to change the delivery address for my next order, since we are moving to a new flat at the end of the month."
  near="Hello, this is Anna from customer service, how can I help you today? Let me look at your account. I can see both \
payments, and I am sorry about that. I will start the refund right away, it should reach your card within five working \
days. Is there anything else I can do for you?"
  espeak-ng -v en-us -s 160 -w "$dir/far.wav" "$far"
  espeak-ng -v en-gb+f3 -s 150 -w "$dir/near.wav" "$near"
  for v in en-us+m3 en-gb+f2 en+m7 en-us+f4 en-gb-scotland en+f5; do
    i=$((i + 1))
    espeak-ng -v "$v" -s $((140 + i * 6)) -w "$dir/babble$i.wav" "$(echo "$far $near" | cut -d. -f$i-$((i + 5)))"
  done
  go run ./cmd/ccvoicebench -voices "$dir"
}

bench() {
  build_lib
  log "codec and session benchmarks"
  go test -run '^$' -bench . -benchmem ./core/... | grep -E '^(Benchmark|ok|PASS)'
  log "10,000 checked-in sessions against ccsim"
  trap stop_ccsim EXIT
  start_ccsim -dialect spec -load-agents 10000 -load-password load # ccload dials /ws
  CCLOAD_PASSWORD=load "$BUILD/bin/ccload" -ws "ws://$CCSIM_ADDR/ws" -company load -prefix load_ -n 10000 \
    -heartbeat 20s -measure 30s
  stop_ccsim
  log "request round trip and event latency: Go API vs C, Python, C#"
  bench_abi
  log "reliability figures (floods, reconnect rate, free latency, soak)"
  bench_reliability
  test_fuzz 120
  [ -f tests/interop/bench/run.sh ] && bash tests/interop/bench/run.sh
  log "voice processing (core/dsp): echo, double talk, noise, drift, CPU, latency"
  bench_voice
}

case "${1:-lib}" in
  lib) build_lib ;;
  ccsim) build_ccsim ;;
  demo) demo ;;
  test)
    build_lib
    test_go
    test_fuzz 10
    test_opus
    test_c
    test_windows
    test_python
    test_csharp
    test_packaging
    test_interop
    log "all tests passed"
    ;;
  test-go) test_go ;;
  test-fuzz) test_fuzz "${2:-10}" ;;
  bench-reliability) build_lib; bench_reliability ;;
  test-opus) test_opus ;;
  test-c) build_lib; test_c ;;
  test-python) build_lib; test_python ;;
  test-csharp) build_lib; test_csharp ;;
  test-interop) build_lib; test_interop ;;
  test-windows) build_lib; test_windows ;;
  test-packaging) test_packaging ;;
  dist) dist ;;
  install) shift; install_c "$@" ;;
  windows-dll) build_windows_dll ;;
  windows) build_lib; test_windows; log "build/windows/cloudcc.dll (+ include/cloudcc.h)" ;;
  bench) bench ;;
  bench-abi) build_lib; bench_abi ;;
  bench-voice) bench_voice ;;
  *) echo "usage: $0 [lib|demo|test|dist|install PREFIX=DIR|bench|bench-abi|bench-reliability|bench-voice|windows|test-go|test-fuzz [SECONDS]|test-c|test-windows|test-python|test-csharp|test-packaging|test-interop]" >&2; exit 2 ;;
esac
