#!/usr/bin/env bash
# run_tests.sh - builds the C# binding (see build.sh), starts ccsim on a free port, runs the Mono test runner
# against it, stops ccsim. Prints "N passed, N failed" last; exits non-zero on failure.
# Usage: bindings/csharp/run_tests.sh [TEST-NAME-FILTER]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$here/build.sh"

log="$(mktemp)"
"$root/build/bin/ccsim" -addr 127.0.0.1:0 -fast >"$log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null; rm -f "$log"' EXIT
addr=""
for _ in $(seq 1 100); do
    addr="$(sed -n 's|^ccsim listening on http://||p' "$log")"
    [ -n "$addr" ] && break
    sleep 0.1
done
if [ -z "$addr" ]; then echo "run_tests.sh: ccsim did not start" >&2; cat "$log" >&2; exit 1; fi

export LD_LIBRARY_PATH="$root/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mono --debug "$here/out/CloudCC.Tests.exe" "$addr" "$@"
