#!/usr/bin/env bash
# tests/audio/pulse.sh: a private PulseAudio for the sound-device tests.
# Debian's pulseaudio, started as whoever runs it (root in CI: allowed
# outside --system, it only warns), with no hardware, no default.pa and
# no D-Bus: only the native protocol on a socket of its own, anonymous
# clients. The tests load their own null sinks through pactl.
#
#   source tests/audio/pulse.sh
#   pulse_start    # sets PULSE_SERVER and CC_AUDIO_PULSE (the tests' "a server is there")
#   pulse_stop
# Installs pulseaudio and pulseaudio-utils (pactl, pacat, parec) if missing.

pulse_install() {
  local missing=() p sudo=""
  for p in pulseaudio pulseaudio-utils; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

pulse_start() {
  pulse_install
  PULSE_DIR="$(mktemp -d)"
  mkdir -p "$PULSE_DIR/run" "$PULSE_DIR/home"
  local sock="$PULSE_DIR/run/native"
  # HOME and XDG_RUNTIME_DIR point into the scratch folder: the daemon
  # writes its cookie and state there, not in the user's home.
  HOME="$PULSE_DIR/home" XDG_RUNTIME_DIR="$PULSE_DIR/run" pulseaudio \
    --daemonize=no --system=false --exit-idle-time=-1 -n --disallow-exit \
    --realtime=no --high-priority=no --use-pid-file=no --disable-shm=yes \
    --load="module-native-protocol-unix socket=$sock auth-anonymous=1" \
    --log-target=file:"$PULSE_DIR/pulse.log" </dev/null >/dev/null 2>&1 &
  PULSE_PID=$!
  export PULSE_SERVER="unix:$sock"
  local i
  for i in $(seq 1 100); do
    if pactl info >/dev/null 2>&1; then
      export CC_AUDIO_PULSE="$PULSE_SERVER"
      return 0
    fi
    kill -0 "$PULSE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "pulseaudio did not start:" >&2
  cat "$PULSE_DIR/pulse.log" >&2 2>/dev/null || true
  return 1
}

pulse_stop() {
  if [ -n "${PULSE_PID:-}" ]; then
    kill "$PULSE_PID" 2>/dev/null || true
    wait "$PULSE_PID" 2>/dev/null || true
  fi
  [ -n "${PULSE_DIR:-}" ] && rm -rf "$PULSE_DIR"
  PULSE_PID="" PULSE_DIR=""
  unset CC_AUDIO_PULSE PULSE_SERVER
}
