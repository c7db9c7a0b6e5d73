#!/usr/bin/env bash
# Interop test: Kamailio (SIP over WebSocket) + JsSIP in headless Chromium,
# against each other, against the SDK's own core/rtc + core/media phone,
# against a reference sipgo + pion phone, and against ccsim's PBX; and the
# whole SDK agent behind a real WebRTC gateway (Kamailio + rtpengine,
# userspace) with baresip, a plain SIP phone, on the other side.
#
#   tests/interop/run.sh                   install what is missing, run, clean up
#   ONLY=sdk tests/interop/run.sh          only the tests whose name has that text
#   KEEP=1 tests/interop/run.sh            keep the scratch dir (logs, kamailio.cfg)
#   SDKPEER_DEBUG=1 tests/interop/run.sh   the SDK peer logs every SIP message
#
# On a fresh Debian machine (root, or a user with sudo) it installs with
# apt-get what is missing — kamailio, kamailio-websocket-modules, chromium,
# nodejs/npm, rtpengine-daemon, baresip-core, pulseaudio(-utils) — and runs `npm ci` on the
# checked-in lock file. Go must be on
# PATH (the repo's toolchain). Everything listens on 127.0.0.1 on free ports.
# Every process it starts runs in its own process group and is killed on
# exit. The last line is "interop: N passed, N failed"; the exit status is
# non-zero on any failure, including a prerequisite that cannot be had.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin" # kamailio is in /usr/sbin
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
t_start=$(date +%s)

log() { echo "[run.sh] $*"; }

SUDO=""
work=""
pids=()
summary=""
policy_rc_added=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$policy_rc_added" ] || $SUDO rm -f /usr/sbin/policy-rc.d || true
  for pid in "${pids[@]}"; do
    # Each was started with setsid: its process group is its own.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Up to 10 s: on SIGTERM playwright closes Chromium (its own process
    # group) before node exits.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  [ -z "${PULSE_PID:-}" ] || pulse_stop
  if [ -n "$work" ]; then
    if [ -n "${KEEP:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
  fi
  [ -n "$summary" ] || { summary="0 passed, 1 failed"; [ "$rc" != 0 ] || rc=1; }
  log "took $(( $(date +%s) - t_start )) s"
  echo "interop: $summary"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

die() {
  log "FAIL: $*"
  exit 1
}

# ---- prerequisites ----
kamailio_ws_module() { ls /usr/lib/*/kamailio/modules/websocket.so /usr/lib/kamailio/modules/websocket.so 2>/dev/null | head -1; }
need_apt=()
command -v kamailio >/dev/null 2>&1 || need_apt+=(kamailio)
[ -n "$(kamailio_ws_module)" ] || need_apt+=(kamailio-websocket-modules)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v rtpengine >/dev/null 2>&1 || need_apt+=(rtpengine-daemon)
{ command -v baresip >/dev/null 2>&1 && [ -e /usr/lib/baresip/modules/ctrl_tcp.so ]; } || need_apt+=(baresip-core)
command -v pulseaudio >/dev/null 2>&1 || need_apt+=(pulseaudio)
{ command -v pactl >/dev/null 2>&1 && command -v parec >/dev/null 2>&1 && command -v paplay >/dev/null 2>&1; } || need_apt+=(pulseaudio-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${need_apt[*]} and no apt-get (not Debian?)"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${need_apt[*]}: not root and no sudo to install them"
    sudo -n true 2>/dev/null || die "missing ${need_apt[*]}: sudo needs a password (run as root, or install them)"
    SUDO="sudo -n"
  fi
  log "apt-get install ${need_apt[*]}"
  # Keep the packages' services (a system-wide Kamailio on 0.0.0.0:5060)
  # from starting: this run wants its own Kamailio on 127.0.0.1 only.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_rc_added=1
  fi
  # Another apt run (a CI step, unattended upgrades) may hold the lock: wait.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null || die "apt-get update failed"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need_apt[@]}" >"${TMPDIR:-/tmp}/interop-apt.log" 2>&1 \
    || { tail -n 20 "${TMPDIR:-/tmp}/interop-apt.log"; die "apt-get install ${need_apt[*]} failed"; }
  if [ -n "$policy_rc_added" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; policy_rc_added=""; fi
  if [ -d /run/systemd/system ]; then
    [[ " ${need_apt[*]} " == *" kamailio "* ]] && { $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true; }
    [[ " ${need_apt[*]} " == *" rtpengine-daemon "* ]] && { $SUDO systemctl disable --now rtpengine-daemon >/dev/null 2>&1 || true; }
  fi
fi
command -v kamailio >/dev/null 2>&1 || die "kamailio not installed"
[ -n "$(kamailio_ws_module)" ] || die "Kamailio's websocket module (kamailio-websocket-modules) not installed"
CHROMIUM="$(command -v chromium)" || die "chromium not installed"
command -v node >/dev/null 2>&1 || die "node not installed"
command -v npm >/dev/null 2>&1 || die "npm not installed"
command -v go >/dev/null 2>&1 || die "go not on PATH"
command -v rtpengine >/dev/null 2>&1 || die "rtpengine not installed (rtpengine-daemon)"
BARESIP="$(command -v baresip)" || die "baresip not installed (baresip-core)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old (playwright-core needs 18 or later)"

if [ ! -d node_modules/jssip ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/esbuild ] \
   || [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
fi

# ---- scratch dir, Go peers ----
work="$(mktemp -d "${TMPDIR:-/tmp}/interop.XXXXXX")"
log "building the SDK peer (core/rtc + core/media), the SDK agent peer, the reference phone and the simulated PBX peer"
(cd "$root" && go build -o "$work/sdkpeer" ./tests/interop/sdkpeer/cmd \
  && go build -o "$work/agentpeer" ./tests/interop/agentpeer \
  && go build -o "$work/refphone" ./tests/interop/refphone/cmd \
  && go build -o "$work/pbxpeer" ./tests/interop/pbxpeer) || die "go build of the peers failed"

# ---- a private PulseAudio for gateway-device-mode (tests/audio/pulse.sh) ----
# Null sinks only, on a socket of its own; stopped on exit. Only the
# harness's pactl/parec/paplay and the device-mode agent get it (as
# AUDIO_PULSE): Chromium and the other peers see no sound server.
# shellcheck source=../audio/pulse.sh
source "$root/tests/audio/pulse.sh"
pulse_start || die "PulseAudio did not start (tests/audio/pulse.sh)"
audio_pulse="$PULSE_SERVER"
unset PULSE_SERVER CC_AUDIO_PULSE
log "PulseAudio $(pulseaudio --version 2>/dev/null | awk '{print $2}') (private, null sinks) for the device-mode test"

# ---- Kamailio on free loopback ports ----
# A port free for both TCP and UDP on 127.0.0.1. Another process may take it
# before Kamailio binds it: then Kamailio fails to start and the next try
# picks other ports.
free_ports() {
  node -e '
    const net = require("node:net"), dgram = require("node:dgram");
    async function one() {
      for (;;) {
        const s = net.createServer();
        await new Promise((r) => s.listen(0, "127.0.0.1", r));
        const port = s.address().port;
        const u = dgram.createSocket("udp4");
        const ok = await new Promise((r) => { u.once("error", () => r(false)); u.bind(port, "127.0.0.1", () => r(true)); });
        await new Promise((r) => s.close(r));
        if (ok) { await new Promise((r) => u.close(r)); return port; }
      }
    }
    (async () => { const a = await one(); let b; do b = await one(); while (b === a); console.log(a, b); })();'
}
domain="interop.test"
users=""
for up in 2001:pw2001 2002:pw2002 1001:pw1001 1002:pw1002 1003:pw1003 1004:pw1004 3001:pw3001; do
  users+="	\$sht(users=>${up%%:*}) = \"${up#*:}\";"$'\n'
done
mkdir -p "$work/run"

# ---- rtpengine (userspace only: --table=-1, no kernel module) ----
# Its ng control port and a block of 200 media ports on 127.0.0.1; the
# system config (/etc/rtpengine) is not read. Another try with new ports
# if it does not come up.
rtpe_pid=""
for attempt in 1 2 3; do
  read -r ng_port _ < <(free_ports)
  rtp_min=$(( 30000 + (RANDOM % 100) * 200 ))
  setsid rtpengine --config-file=none --table=-1 --interface=127.0.0.1 --listen-ng="127.0.0.1:$ng_port" \
    --port-min="$rtp_min" --port-max=$(( rtp_min + 199 )) --foreground --log-stderr --log-level=6 \
    >"$work/rtpengine.log" 2>&1 &
  rtpe_pid=$!
  pids+=("$rtpe_pid")
  up=""
  for _ in $(seq 100); do
    if grep -q "Startup complete" "$work/rtpengine.log" 2>/dev/null; then up=1; break; fi
    kill -0 "$rtpe_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$up" ] && break
  log "rtpengine did not start on 127.0.0.1:$ng_port (try $attempt):"; tail -n 5 "$work/rtpengine.log" | sed 's/^/  /'
  kill -KILL -- "-$rtpe_pid" 2>/dev/null || true
  rtpe_pid=""
done
[ -n "$rtpe_pid" ] || die "rtpengine did not start"
log "rtpengine $(rtpengine --version 2>&1 | awk '{print $2}') (userspace) ng on 127.0.0.1:$ng_port, media ports $rtp_min-$(( rtp_min + 199 ))"

kam_pid=""
for attempt in 1 2 3; do
  read -r ws_port udp_port < <(free_ports)
  WS_PORT="$ws_port" UDP_PORT="$udp_port" DOMAIN="$domain" USERS="${users%$'\n'}" RTPE_NG_PORT="$ng_port" node -e '
    const fs = require("node:fs");
    const e = process.env;
    let s = fs.readFileSync(process.argv[1], "utf8");
    for (const k of ["WS_PORT", "UDP_PORT", "DOMAIN", "USERS", "RTPE_NG_PORT"]) s = s.split("@" + k + "@").join(e[k]);
    fs.writeFileSync(process.argv[2], s);' "$here/kamailio.cfg.in" "$work/kamailio.cfg"
  if ! grep -q '^listen=' "$work/kamailio.cfg" || grep -E '^listen=' "$work/kamailio.cfg" | grep -vq '127\.0\.0\.1:'; then
    die "kamailio.cfg listens off the loopback"
  fi
  kamailio -c -f "$work/kamailio.cfg" >"$work/kamailio-check.log" 2>&1 || { cat "$work/kamailio-check.log"; die "kamailio.cfg does not check"; }
  setsid kamailio -f "$work/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$work/run" -P "$work/kamailio.pid" -w "$work" \
    >"$work/kamailio.log" 2>&1 &
  kam_pid=$!
  pids+=("$kam_pid")
  up=""
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null; then up=1; break; fi
    kill -0 "$kam_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$up" ] && break
  log "kamailio did not start on 127.0.0.1:$ws_port (try $attempt):"; tail -n 5 "$work/kamailio.log" | sed 's/^/  /'
  kill -KILL -- "-$kam_pid" 2>/dev/null || true
  kam_pid=""
done
[ -n "$kam_pid" ] || die "kamailio did not start"
log "kamailio $(kamailio -v | head -1 | awk '{print $3}') on ws://127.0.0.1:$ws_port"

# ---- run ----
export KAMAILIO_WS="ws://127.0.0.1:$ws_port" KAMAILIO_UDP="127.0.0.1:$udp_port" SIP_DOMAIN="$domain" WORK="$work" CHROMIUM \
  SDK_PEER="$work/sdkpeer" REF_PEER="$work/refphone" PBX_PEER="$work/pbxpeer" AGENT_PEER="$work/agentpeer" BARESIP \
  AUDIO_PULSE="$audio_pulse"
: >"$work/harness.log"
setsid timeout --kill-after=10 "${INTEROP_TIMEOUT:-300}" node "$here/harness.mjs" >>"$work/harness.log" 2>&1 &
hpid=$!
pids+=("$hpid")
tail -n +1 -s 0.1 -f --pid="$hpid" "$work/harness.log" &
tail_pid=$!
set +e
wait "$hpid"
rc=$?
wait "$tail_pid" 2>/dev/null
set -e
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/harness.log" | tail -n 1 || true)"
if [ -z "$summary" ]; then
  log "the harness ended without a summary (exit $rc)"
  [ "$rc" = 124 ] && log "it ran past ${INTEROP_TIMEOUT:-300} s"
  summary="0 passed, 1 failed"
  rc=1
elif [ "$rc" = 0 ] && [[ "$summary" != *" 0 failed" ]]; then
  rc=1
fi
if [ "$rc" != 0 ]; then
  log "kamailio log tail:"; tail -n 30 "$work/kamailio.log" | sed 's/^/  /'
  log "rtpengine log tail:"; tail -n 15 "$work/rtpengine.log" | sed 's/^/  /'
  [ -f "$work/baresip.log" ] && { log "baresip log tail:"; tail -n 15 "$work/baresip.log" | sed 's/^/  /'; }
fi
[ -f "$work/setup-times.json" ] && cp "$work/setup-times.json" "${SETUP_TIMES_OUT:-/dev/null}" 2>/dev/null || true
exit "$rc"
