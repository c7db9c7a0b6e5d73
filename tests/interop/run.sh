#!/usr/bin/env bash
# Interop test: Kamailio (SIP over WebSocket) + JsSIP in headless Chromium,
# against each other and against the SDK's own core/rtc phone.
#
#   tests/interop/run.sh            install what is missing, run, clean up
#   ONLY=sdk-calls tests/interop/run.sh   run the tests whose name has that text
#   KEEP=1 ...                      keep the scratch dir (logs, kamailio.cfg)
#
# Installs on a fresh Debian machine: kamailio + websocket modules and
# chromium (apt), jssip + playwright-core + esbuild (npm ci of the checked-in
# lock file). Everything listens on 127.0.0.1 on free ports. Prints
# "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

log() { echo "[run.sh] $*"; }

# ---- install ----
need_apt=()
command -v kamailio >/dev/null 2>&1 || need_apt+=(kamailio)
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so ] || ls /usr/lib/*/kamailio/modules/websocket.so >/dev/null 2>&1 || need_apt+=(kamailio-websocket-modules)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" kamailio-websocket-modules >/dev/null
fi
if [ ! -d node_modules/jssip ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/esbuild ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# ---- scratch, ports, cleanup ----
work="$(mktemp -d /tmp/interop.XXXXXX)"
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do
    # Each was started with setsid: its process group is its own.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
ws_port="$(free_port)"
udp_port="$(free_port)"
domain="interop.test"

# ---- Kamailio ----
users=""
for up in 2001:pw2001 2002:pw2002 1001:pw1001 1002:pw1002; do
  users+="	\$sht(users=>${up%%:*}) = \"${up#*:}\";"$'\n'
done
python3 - "$here/kamailio.cfg.in" "$work/kamailio.cfg" "$ws_port" "$udp_port" "$domain" "$users" <<'PY'
import sys
src, dst, ws, udp, dom, users = sys.argv[1:]
s = open(src).read()
s = s.replace("@WS_PORT@", ws).replace("@UDP_PORT@", udp).replace("@DOMAIN@", dom).replace("@USERS@", users.rstrip("\n"))
open(dst, "w").write(s)
PY
mkdir -p "$work/run"
kamailio -c -f "$work/kamailio.cfg" >"$work/kamailio-check.log" 2>&1 || { cat "$work/kamailio-check.log"; exit 1; }
setsid kamailio -f "$work/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$work/run" -P "$work/kamailio.pid" -w "$work" \
  >"$work/kamailio.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null; then break; fi
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null || { log "kamailio did not start"; cat "$work/kamailio.log"; exit 1; }
log "kamailio $(kamailio -v | head -1 | awk '{print $3}') on ws://127.0.0.1:$ws_port"

# ---- the SDK peer (core/rtc) ----
sdk_peer=""
if [ -d "$root/core/rtc" ] && [ -d "$here/sdkpeer/cmd" ]; then
  log "building the SDK peer (core/rtc)"
  (cd "$root" && go build -o "$work/sdkpeer" ./tests/interop/sdkpeer/cmd)
  sdk_peer="$work/sdkpeer"
else
  log "no SDK peer (core/rtc or tests/interop/sdkpeer/cmd missing): the SDK tests are skipped"
fi

log "building the reference Go phone and the simulated PBX peer"
(cd "$root" && go build -o "$work/refphone" ./tests/interop/refphone/cmd && go build -o "$work/pbxpeer" ./tests/interop/pbxpeer)

# ---- run ----
set +e
KAMAILIO_WS="ws://127.0.0.1:$ws_port" SIP_DOMAIN="$domain" WORK="$work" SDK_PEER="$sdk_peer" REF_PEER="$work/refphone" PBX_PEER="$work/pbxpeer" \
  node "$here/harness.mjs" 2>&1 | tee "$work/harness.log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
  log "kamailio log tail:"; tail -n 40 "$work/kamailio.log" | sed 's/^/  /'
fi
exit "$rc"
