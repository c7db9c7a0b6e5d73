#!/usr/bin/env bash
# Benchmark: the SDK's phone (core/rtc) against aiortc, in the same run,
# against the same simulated PBX (internal/pbx, through pbxbench).
#
#   call setup time  INVITE (auto-answer) sent by the PBX → first RTP audio
#                    packet from the agent, over sequential calls
#   CPU per call     C concurrent G.711 calls, each 50 packets/s both ways:
#                    the agent process's CPU over a window, per call; loss of
#                    the agent→PBX stream measured at the PBX
#
# Targets (the issue): SDK setup ≤ 0.5 × aiortc's; ≥ 50 concurrent calls on
# 2 cores with < 1 % loss.
#
#   tests/interop/bench/run.sh                    defaults: 20 setup calls, 50 concurrent, 10 s
#   CONCURRENT=80 WINDOW=20s SETUP_CALLS=40 tests/interop/bench/run.sh
#
# A third column, "pion ref", is the interop harness's reference phone
# (sipgo + pion, not the SDK): what a pion-based phone does on this machine.
# Not part of the normal test run. Installs aiortc (pip) if missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
CONCURRENT="${CONCURRENT:-50}"
SETUP_CALLS="${SETUP_CALLS:-20}"
WINDOW="${WINDOW:-10s}"
work="$(mktemp -d /tmp/bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

python3 -c 'import aiortc, websockets' 2>/dev/null || python3 -m pip install --quiet aiortc websockets

cd "$root"
go build -o "$work/pbxbench" ./tests/interop/bench/pbxbench
args=(-users "$CONCURRENT" -concurrent "$CONCURRENT" -setup-calls "$SETUP_CALLS" -window "$WINDOW" -agent-tone 440)

sdk_json=""
if [ -d "$root/core/rtc" ] && [ -d "$here/sdkagent" ] && go build -o "$work/sdkagent" ./tests/interop/bench/sdkagent 2>"$work/sdk-build.log"; then
  echo "== SDK (core/rtc) =="
  "$work/pbxbench" -label sdk "${args[@]}" \
    -agent "$work/sdkagent -ws {ws} -domain {domain} -users {users} -first {first} -password-prefix {password_prefix} -tone 440" \
    >"$work/sdk.json" 2> >(sed 's/^/  /' >&2) || true
  sdk_json="$(tail -n1 "$work/sdk.json")"
else
  echo "== SDK (core/rtc): not available =="; [ -s "$work/sdk-build.log" ] && sed 's/^/  /' "$work/sdk-build.log"
fi

echo "== pion reference phone (sipgo + pion, not the SDK) =="
go build -o "$work/refagent" ./tests/interop/bench/refagent
"$work/pbxbench" -label pion-ref "${args[@]}" \
  -agent "$work/refagent -ws {ws} -domain {domain} -users {users} -first {first} -password-prefix {password_prefix} -tone 440" \
  >"$work/ref.json" 2> >(sed 's/^/  /' >&2) || true
ref_json="$(tail -n1 "$work/ref.json")"

echo "== aiortc $(python3 -c 'import aiortc; print(aiortc.__version__)') =="
"$work/pbxbench" -label aiortc "${args[@]}" \
  -agent "python3 $here/aiortc_agent.py --ws {ws} --domain {domain} --users {users} --first {first} --password-prefix {password_prefix} --tone 440" \
  >"$work/aiortc.json" 2> >(sed 's/^/  /' >&2) || true
aiortc_json="$(tail -n1 "$work/aiortc.json")"

python3 - "$sdk_json" "$aiortc_json" "$CONCURRENT" "$ref_json" <<'PY'
import json, sys
def load(s):
    try: return json.loads(s)
    except Exception: return None
sdk, ai, conc, ref = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]), load(sys.argv[4])
rows = [
    ("setup median (ms)", "setup_median_ms", "{:.1f}"),
    ("setup p90 (ms)", "setup_p90_ms", "{:.1f}"),
    ("setup calls ok", "setup_ok", "{}"),
    ("concurrent calls up", "concurrent_ok", "{}"),
    ("ramp to all up (s)", "ramp_s", "{:.1f}"),
    ("agent CPU (% of a core)", "agent_cpu_pct", "{:.1f}"),
    ("agent CPU per call (%)", "agent_cpu_pct_call", "{:.2f}"),
    ("loss mean (%)", "loss_mean_pct", "{:.3f}"),
    ("loss max (%)", "loss_max_pct", "{:.3f}"),
    ("calls with the right tone", "tone_ok", "{}"),
    ("PBX CPU (% of a core)", "pbx_cpu_pct", "{:.1f}"),
]
def cell(r, k, f):
    if not r or k not in r: return "n/a"
    return f.format(r[k])
print()
print(f"{'':28} {'SDK (core/rtc)':>16} {'pion ref':>10} {'aiortc':>10}")
for name, k, f in rows:
    print(f"{name:28} {cell(sdk,k,f):>16} {cell(ref,k,f):>10} {cell(ai,k,f):>10}")
for r in (sdk, ref, ai):
    if r and r.get("error"): print(f"{r['label']}: error: {r['error']}")
if sdk and ai and ai.get("setup_median_ms"):
    ratio = sdk["setup_median_ms"] / ai["setup_median_ms"]
    print(f"\nsetup ratio SDK/aiortc (median): {ratio:.2f}  target ≤ 0.50: {'met' if ratio <= 0.5 else 'NOT met'}")
    ok = sdk["concurrent_ok"] >= 50 and sdk["loss_max_pct"] < 1 and conc >= 50
    print(f"≥ 50 concurrent calls with < 1% loss (SDK): {'met' if ok else 'NOT met'}")
PY
