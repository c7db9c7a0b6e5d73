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
# Not part of the normal test run (./build.sh bench). aiortc is installed
# with pip into a venv under build/ (AIORTC_VENV, default
# build/aiortc-venv). Everything listens on 127.0.0.1. Exits non-zero when
# an implementation fails to run (the targets are reported, not enforced).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
CONCURRENT="${CONCURRENT:-50}"
SETUP_CALLS="${SETUP_CALLS:-20}"
WINDOW="${WINDOW:-10s}"
VENV="${AIORTC_VENV:-$root/build/aiortc-venv}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import aiortc, websockets' 2>/dev/null; then
  echo "installing aiortc + websockets into $VENV"
  command -v python3 >/dev/null 2>&1 || { echo "bench: python3 not installed" >&2; exit 1; }
  python3 -m venv "$VENV" || { echo "bench: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check aiortc websockets || { echo "bench: pip install aiortc failed" >&2; exit 1; }
fi
PY="$VENV/bin/python"

cd "$root"
go build -o "$work/pbxbench" ./tests/interop/bench/pbxbench
go build -o "$work/sdkagent" ./tests/interop/bench/sdkagent
go build -o "$work/refagent" ./tests/interop/bench/refagent
args=(-users "$CONCURRENT" -concurrent "$CONCURRENT" -setup-calls "$SETUP_CALLS" -window "$WINDOW" -agent-tone 440)
agent_args="-ws {ws} -domain {domain} -users {users} -first {first} -password-prefix {password_prefix} -tone 440"
failed=()

# bench LABEL AGENT-COMMAND: pbxbench's progress (stderr) indented on the
# terminal, its JSON result line in $work/LABEL.json.
bench() {
  local label="$1" agent="$2" rc
  set +e
  "$work/pbxbench" -label "$label" "${args[@]}" -agent "$agent" 2>&1 >"$work/$label.json" | sed 's/^/  /'
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || failed+=("$label")
}
echo "== SDK (core/rtc + core/media) =="
bench sdk "$work/sdkagent $agent_args"
echo "== pion reference phone (sipgo + pion, not the SDK) =="
bench pion-ref "$work/refagent $agent_args"
echo "== aiortc $("$PY" -c 'import aiortc; print(aiortc.__version__)') =="
bench aiortc "$PY $here/aiortc_agent.py --ws {ws} --domain {domain} --users {users} --first {first} --password-prefix {password_prefix} --tone 440"
sdk_json="$(tail -n1 "$work/sdk.json")"
ref_json="$(tail -n1 "$work/pion-ref.json")"
aiortc_json="$(tail -n1 "$work/aiortc.json")"

"$PY" - "$sdk_json" "$aiortc_json" "$CONCURRENT" "$ref_json" <<'PY'
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
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: ${failed[*]} did not complete" >&2
  exit 1
fi
