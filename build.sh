#!/usr/bin/env bash
# build.sh - builds, tests and demos the CloudCC Agent SDK on a fresh machine.
#
#   ./build.sh            same as ./build.sh lib
#   ./build.sh lib        build/lib/libcloudcc.so, build/include/cloudcc.h, build/bin/ccsim
#   ./build.sh demo       start ccsim and run the example agent against it
#   ./build.sh check      the quick suite (a few minutes): go vet, gofmt, Go tests (-race), C, Python, C# against ccsim
#   ./build.sh test       check, plus fuzzing, sound devices (PulseAudio), Opus, Windows/Wine, gateway interop and packaging (what CI runs)
#   ./build.sh bench      benchmarks and soaks (not part of test); bench-voice: core/dsp's figures alone;
#                       bench-voice-reference: its noise rows beside RNNoise's
#   ./build.sh test-audio the sound-device tests against a private PulseAudio
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
    # capi/cloudcc.map exports the header's cc_* functions only: without it
    # the .so also exports the sound library's ~1300 ma_* symbols, which
    # would take the calls of another library's own miniaudio.
    CGO_ENABLED=1 go build -buildmode=c-shared \
      -ldflags "-extldflags '-Wl,-soname,libcloudcc.so.$major -Wl,--version-script=$ROOT/capi/cloudcc.map'" \
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
  # The .def (and so the import library) names the ABI's functions only: the
  # DLL also exports the sound library's (malgo's) cgo callbacks, which Go
  # exports from every package and no one else may call.
  dll_exports "$out/cloudcc.dll" >"$out/cloudcc.exports" # all of them, for tests/windows/run.sh
  { echo "LIBRARY cloudcc.dll"; echo "EXPORTS"; grep '^cc_' "$out/cloudcc.exports" | sed 's/^/    /'; } >"$out/cloudcc.def"
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

# with_ccsim [CCSIM-FLAGS...] -- CMD [ARGS...]: runs CMD against a ccsim on a
# free loopback port (its address in $CCSIM_ADDR, see docs/ccsim.md "Run
# mode") and returns CMD's status; the ccsim stops with CMD.
with_ccsim() { "$BUILD/bin/ccsim" "$@"; }

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

# test_fuzz [EXECS]: runs each fuzz target (decoder, redactor, frame
# scanner) for EXECS executions (default 50000, about 10 s each here);
# without -fuzz, go test already runs their seed corpora. A count, not a
# duration: Go 1.26's coordinator can report a spurious "context deadline
# exceeded" when a -fuzztime duration ends while a worker is busy
# (go.dev/issue/75804), which failed CI with no crasher written.
test_fuzz() {
  local n="${1:-50000}" target
  need_go
  for target in FuzzDecode FuzzDecodeAll FuzzRedact FuzzPeekScanner; do
    log "fuzz $target for $n executions"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${n}x" ./core/protocol
  done
}

test_opus() {
  # Opus is optional (cgo + libopus, build tag "opus"): its own test run.
  log "media with the optional Opus codec (libopus)"
  apt_install libopus-dev pkg-config
  go test -count=1 -timeout 10m -tags opus,nolibopusfile ./core/media/
}

test_audio() {
  [ -f tests/audio/run.sh ] || return 0
  log "sound devices (core/audio) against a private PulseAudio, and without any sound server"
  bash tests/audio/run.sh
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

# check: the quick suite, every language against ccsim (test runs it first).
check() {
  build_lib
  test_go
  test_c
  test_python
  test_csharp
}

demo() {
  build_lib
  log "building the C example agent"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/agent" examples/c/agent.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -Wl,-rpath,"$BUILD/lib"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/rtc_agent" examples/c/rtc_agent.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -lm -Wl,-rpath,"$BUILD/lib"
  mkdir -p "$BUILD/demo"
  local frames="$BUILD/demo/ccsim-frames.log"
  # shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_ADDR
  with_ccsim -log -log-file "$frames" -- bash -c '
    printf "\n==> ccsim on %s; the example agent (C, through libcloudcc) runs its session\n" "$CCSIM_ADDR" >&2
    "$1/agent" "$CCSIM_ADDR"
    printf "\n==> an RTC agent (login_type 1): the SDK is its phone; it answers, plays a WAV, records the customer\n" >&2
    cd "$2" && "$1/rtc_agent" "$CCSIM_ADDR"' demo "$BUILD/bin" "$BUILD/demo"
  log "files: $BUILD/demo/greeting.wav (played), $BUILD/demo/customer.wav (recorded)"
  log "what ccsim saw (its frame log; secrets redacted)"
  cat "$frames"
}

# bench_abi_rounds N RUNS OUT VENV HAVE_CS: bench_abi's rounds, run by
# ccsim's run mode (CCSIM_ADDR set): each client in turn, RUNS rounds, the
# order rotated each round.
bench_abi_rounds() {
  local n="$1" runs="$2" out="$3" venv="$4" have_cs="$5" round i k
  local -a clients=(go c python)
  [ -n "$have_cs" ] && clients+=(csharp)
  for round in $(seq 1 "$runs"); do
    for i in "${!clients[@]}"; do
      k="${clients[$(((i + round - 1) % ${#clients[@]}))]}"
      case "$k" in
        go) "$BUILD/bin/ccbench" -addr "$CCSIM_ADDR" -n "$n" -run "$round" >>"$out" ;;
        c) "$BUILD/bin/ccbench-c" "$CCSIM_ADDR" "$n" | sed "s/^{/{\"client\":\"c\",\"run\":$round,/" >>"$out" ;;
        python) CLOUDCC_LIBRARY="$BUILD/lib/libcloudcc.so" "$venv/bin/python" bindings/python/bench.py \
          "$CCSIM_ADDR" "$n" --run "$round" 2>/dev/null >>"$out" ;;
        csharp) LD_LIBRARY_PATH="$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono --optimize=all \
          bindings/csharp/out/CloudCC.Bench.exe "$CCSIM_ADDR" "$n" json "$round" | grep '^{' >>"$out" || true ;;
      esac
    done
  done
}

# bench_abi: one table of ping round trips against one ccsim, through every
# client side by side: Go (bare gorilla client, one with a reader
# goroutine, the SDK's session), C, Python (raw ctypes on the binding's
# own client, cloudcc.Client.request, a pure `websockets` sync client) and
# C# (raw P/Invoke on the binding's own client, the binding). Clients of
# one language alternate in blocks of 100 inside one process; the
# processes run in turn, BENCH_RUNS rounds (default 3), their order
# rotated each round. Each figure is the median over N round trips
# (BENCH_N, default 2000); the table gives its range over the rounds and
# the ratios the goals name, paired within a round. websockets lives in
# the bench's own venv (build/venv-bench), not in the tests'.
bench_abi() {
  local n="${BENCH_N:-2000}" runs="${BENCH_RUNS:-3}" out venv="$BUILD/venv-bench"
  out="$(mktemp)"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -o "$BUILD/bin/ccbench-c" tests/c/bench.c \
    -L"$BUILD/lib" -lcloudcc -lpthread -Wl,-rpath,"$BUILD/lib"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check websockets
  local have_cs=""
  if command -v mono >/dev/null 2>&1 || [ -n "${BENCH_CSHARP:-}" ]; then
    bash bindings/csharp/build.sh >/dev/null && have_cs=1
  fi
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)" >>"$out.load"
  export -f bench_abi_rounds
  # shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_ADDR
  BUILD="$BUILD" with_ccsim -fast -dialect spec -- \
    bash -c 'bench_abi_rounds "$@"' bench "$n" "$runs" "$out" "$venv" "$have_cs" # the bench clients dial /ws
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out.load"
  python3 - "$out" "$out.load" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}  # client -> run -> row
for r in rows:
    if "error" not in r:
        by.setdefault(r.get("client") or r.get("lang"), {})[r.get("run", 1)] = r
def p50(c, run):
    r = by.get(c, {}).get(run)
    return r.get("rtt_p50_us") if r else None
def span(xs, d=1):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    return f"{statistics.median(xs):.{d}f} [{min(xs):.{d}f}-{max(xs):.{d}f}]" if len(xs) > 1 else f"{xs[0]:.{d}f}"
labels = [
    ("go-bare", "bare gorilla client (Go, sync)"),
    ("go-reader", "gorilla client + reader goroutine"),
    ("go-session", "Go session (agent API)"),
    ("c", "C ABI from C"),
    ("py-ctypes", "C ABI, raw ctypes"),
    ("py-ctypes-json", "C ABI, raw ctypes + json.loads"),
    ("py-binding", "cloudcc.Client.request"),
    ("py-websockets", "pure websockets sync client"),
    ("cs-pinvoke", "C ABI, raw P/Invoke"),
    ("cs-pinvoke-json", "C ABI, raw P/Invoke + parse"),
    ("cs-binding", "C# binding Request"),
]
runs = sorted({run for c in by.values() for run in c})
print(f"ping round trip, µs: median of each run's median over N, [min-max] over {len(runs)} runs")
print(f"{'client':<36}{'round trip':>24}{'event':>20}")
for c, label in labels:
    if c not in by:
        continue
    ev = span([by[c][r].get("event_p50_us") for r in runs if r in by[c]])
    print(f"{label:<36}{span([p50(c, r) for r in runs]):>24}{ev if ev != '-' else '':>20}")
print()
print("ratios, paired within each run: median [min-max]")
goals = [
    ("go-session", "go-reader", "Go session / gorilla+reader", "goal <= 1.2"),
    ("go-session", "go-bare", "Go session / bare gorilla", ""),
    ("py-binding", "py-ctypes", "Client.request / raw ctypes", "goal <= 1.2"),
    ("py-binding", "py-ctypes-json", "Client.request / raw ctypes + json", ""),
    ("py-binding", "py-websockets", "Client.request / pure websockets", "goal < 1"),
    ("cs-binding", "cs-pinvoke", "C# binding / raw P/Invoke", "goal <= 1.2"),
    ("cs-binding", "cs-pinvoke-json", "C# binding / raw P/Invoke + parse", ""),
]
for a, b, label, goal in goals:
    xs = [p50(a, r) / p50(b, r) for r in runs if p50(a, r) and p50(b, r)]
    if xs:
        print(f"{label:<36}{span(xs, 2):>24}   {goal}")
print()
print(open(sys.argv[2]).read().rstrip())
PY
  rm -f "$out" "$out.load"
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
# voicebench_voices speaks the bench's voices with espeak-ng.
voicebench_voices() {
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
}

bench_voice() {
  voicebench_voices
  go run ./cmd/ccvoicebench -voices "$BUILD/voicebench"
}

# bench_voice_reference: the noise scenarios through RNNoise too (a learned
# suppressor, from the pyrnnoise wheel in the bench's venv), measured the
# same way, beside core/dsp's own figures (docs/audio.md).
bench_voice_reference() {
  local venv="$BUILD/venv-bench"
  voicebench_voices
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check numpy
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps pyrnnoise==0.4.5
  go run ./cmd/ccvoicebench -voices "$BUILD/voicebench" -only noise \
    -ns-reference "rnnoise=$venv/bin/python cmd/ccvoicebench/rnnoise.py"
}

bench() {
  build_lib
  log "codec and session benchmarks"
  go test -run '^$' -bench . -benchmem ./core/... | grep -E '^(Benchmark|ok|PASS)'
  log "10,000 checked-in sessions against ccsim"
  # shellcheck disable=SC2016 # expanded by the inner shell, where ccsim set CCSIM_WS
  CCLOAD_PASSWORD=load with_ccsim -dialect spec -load-agents 10000 -load-password load -- \
    bash -c '"$0" -ws "$CCSIM_WS" -company load -prefix load_ -n 10000 -heartbeat 20s -measure 30s' "$BUILD/bin/ccload"
  log "request round trip and event latency: Go API vs C, Python, C#"
  bench_abi
  log "reliability figures (floods, reconnect rate, free latency, soak)"
  bench_reliability
  test_fuzz 600000
  log "sound device switch gap (PulseAudio)"
  bash tests/audio/run.sh bench
  [ -f tests/interop/bench/run.sh ] && bash tests/interop/bench/run.sh
  log "voice processing (core/dsp): echo, double talk, noise, drift, CPU, latency"
  bench_voice
}

case "${1:-lib}" in
  lib) build_lib ;;
  ccsim) build_ccsim ;;
  demo) demo ;;
  check)
    check
    log "check passed (./build.sh test runs the rest: fuzz, sound devices, Opus, Windows, interop, packaging)"
    ;;
  test)
    check
    test_fuzz 50000
    test_audio
    test_opus
    test_windows
    test_packaging
    test_interop
    log "all tests passed"
    ;;
  test-go) test_go ;;
  test-fuzz) test_fuzz "${2:-50000}" ;;
  bench-reliability) build_lib; bench_reliability ;;
  test-opus) test_opus ;;
  test-audio) need_go; test_audio ;;
  bench-audio) need_go; bash tests/audio/run.sh bench ;;
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
  bench-voice-reference) bench_voice_reference ;;
  *) echo "usage: $0 [lib|demo|check|test|dist|install PREFIX=DIR|bench|bench-abi|bench-reliability|bench-voice|bench-voice-reference|windows|test-go|test-fuzz [EXECS]|test-audio|bench-audio|test-c|test-windows|test-python|test-csharp|test-packaging|test-interop]" >&2; exit 2 ;;
esac
