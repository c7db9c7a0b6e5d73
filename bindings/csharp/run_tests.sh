#!/usr/bin/env bash
# run_tests.sh - builds the C# binding (see build.sh), then for each ccsim dialect (spec, platform) runs the test
# runner on Mono or on CoreCLR under a ccsim of its own (ccsim's run mode: it passes its address, dialect and push
# order in the environment, and stops with the runner). Each run prints "N passed, N failed" last; exits non-zero on
# any failure.
# Usage: bindings/csharp/run_tests.sh [--runtime mono|coreclr] [--binding DIR] [--native DIR] [TEST-NAME-FILTER]
#   CCSIM_BIN=PATH      run another ccsim binary
#   --runtime coreclr  .NET Core 2.0.0 (CoreCLR) from coreclr.sh, with a runtimeconfig.json next to the tests
#   --binding DIR      test the CloudCC.dll in DIR (e.g. an installed NuGet package's lib/netstandard2.0)
#   --native DIR       load libcloudcc.so from DIR (default build/lib; e.g. the package's runtimes/linux-x64/native)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runtime=mono binding="" native="$root/build/lib"
while [ $# -gt 0 ]; do
    case "$1" in
        --runtime) runtime="$2"; shift 2 ;;
        --binding) binding="$2"; shift 2 ;;
        --native) native="$2"; shift 2 ;;
        *) break ;;
    esac
done
case "$runtime" in mono|coreclr) ;; *) echo "run_tests.sh: --runtime mono or coreclr, not $runtime" >&2; exit 2 ;; esac
"$here/build.sh"
# The ABI contract the tests check the binding against (Tests/AbiContract.cs).
export CLOUDCC_ABI_CONTRACT="${CLOUDCC_ABI_CONTRACT:-$root/include/cloudcc.abi.json}"

tmp="$(mktemp -d)"
app="$here/out"
if [ -n "$binding" ]; then
    # The tests compiled against the given CloudCC.dll, in an app folder of their own.
    app="$tmp/app"
    mkdir -p "$app"
    cp "$binding"/CloudCC.dll* "$app/"
    mcs -nologo -optimize+ -target:exe -out:"$app/CloudCC.Tests.exe" -r:"$app/CloudCC.dll" "$here"/Tests/*.cs
fi

# The dialects the tests run against, one ccsim each (Tests/Program.cs says which tests belong to which); the runner reads
# its dialect from CCSIM_DIALECT (Harness.cs Sim.Dialect, which also sets the ws_url form), which ccsim's run mode
# sets. The platform's tests run once per order of a request's reply and its pushes ("platform/push_first": ccsim
# -push-order push_first; the runner reads it from CCSIM_PUSH_ORDER): the real server's order is a race.
ccsim="${CCSIM_BIN:-$root/build/bin/ccsim}"
# The reliability tests start cchostile themselves (Tests/Reliability.cs).
export CCHOSTILE_BIN="${CCHOSTILE_BIN:-$root/build/bin/cchostile}"
dialects="spec platform platform/push_first"
trap 'rm -rf "$tmp"' EXIT
# on_ccsim DIALECT[/ORDER] CMD [ARGS...]: runs CMD under a ccsim of that dialect and push order (default
# reply_first), which passes its address ($CCSIM_ADDR), dialect and order in the environment and stops with CMD.
on_ccsim() {
    local dialect="${1%%/*}" order="reply_first"
    [ "$dialect" != "$1" ] && order="${1#*/}"
    shift
    echo "== ccsim dialect $dialect/$order"
    "$ccsim" -fast -dialect "$dialect" -push-order "$order" -- "$@"
}
# The runner takes ccsim's address as its first argument, before this script's own (a test-name filter): an inner
# shell puts $CCSIM_ADDR there.
# shellcheck disable=SC2016 # $CCSIM_ADDR is expanded by the inner shell, where ccsim set it

# A private PulseAudio for the sound-device tests (Tests/AudioTests.cs): tests/audio/pulse.sh sets PULSE_SERVER and CC_AUDIO_PULSE.
# shellcheck source=tests/audio/pulse.sh
. "$root/tests/audio/pulse.sh"
pulse_start
trap 'pulse_stop; rm -rf "$tmp"' EXIT

export LD_LIBRARY_PATH="$native${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ "$runtime" = mono ]; then
    rc=0
    for d in $dialects; do
        on_ccsim "$d" bash -c 'exec mono --debug "$0" "$CCSIM_ADDR" "$@"' "$app/CloudCC.Tests.exe" "$@" || rc=1
    done
    exit $rc
fi

dotnet="$(bash "$here/coreclr.sh")"
# No ICU on the machine: invariant globalization (the binding formats and parses with the invariant culture).
cat >"$app/CloudCC.Tests.runtimeconfig.json" <<'JSON'
{
  "runtimeOptions": {
    "framework": { "name": "Microsoft.NETCore.App", "version": "2.0.0" },
    "configProperties": { "System.Globalization.Invariant": true }
  }
}
JSON
# CoreCLR 2.0.0 suspends threads for a GC by signalling them (activation injection); with the library's callback
# threads about, its handler crashed (SIGSEGV in IsIPInEpilog) in ~40% of runs of GcPressureWhileEventsFlow.
# Suspending at safe points only (this setting) made 20 of 20 runs pass. See README.md, "Runtimes".
export COMPlus_INTERNAL_ThreadSuspendInjection=0
# CoreCLR ends the process when Main returns (HardExit's _exit is Mono's only); a bound all the same.
rc=0
for d in $dialects; do
    on_ccsim "$d" timeout 1200 bash -c 'exec "$0" "$1" "$CCSIM_ADDR" "${@:2}"' "$dotnet" "$app/CloudCC.Tests.exe" "$@" || rc=1
done
exit $rc
