#!/usr/bin/env bash
# bench.sh - C# binding benchmark against ccsim (ping round trip, request→event latency, managed event parse),
# followed by the Go core's own round trip in the same run for comparison (go test -bench BenchmarkRoundTrip).
# Usage: bindings/csharp/bench.sh [N]   (N pings per C# measurement, default 20000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$here/build.sh" >/dev/null

# bench.sh ADDR N: one JSON line against a running ccsim (build.sh bench-abi).
if [ $# -ge 2 ] && [[ "$1" == *:* ]]; then
    LD_LIBRARY_PATH="$root/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono --optimize=all "$here/out/CloudCC.Bench.exe" "$1" "$2" json
    exit 0
fi

# Alone: under a ccsim of its own (ccsim's run mode: CCSIM_ADDR in the environment, stopped with this script).
if [ "${1:-}" != "--under-ccsim" ]; then
    exec "$root/build/bin/ccsim" -fast -dialect spec -- "$0" --under-ccsim "$@"
fi
shift
addr="$CCSIM_ADDR"

echo "== C# (Mono) through libcloudcc, ccsim at $addr"
LD_LIBRARY_PATH="$root/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono --optimize=all "$here/out/CloudCC.Bench.exe" "$addr" "${1:-20000}"

if command -v go >/dev/null 2>&1; then
    echo "== Go core, same machine (core/session BenchmarkRoundTrip)"
    (cd "$root" && go test -run '^$' -bench BenchmarkRoundTrip -benchmem ./core/session 2>&1 | grep -E '^(Benchmark|goos|cpu)' || true)
fi
