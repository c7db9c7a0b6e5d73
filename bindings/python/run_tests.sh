#!/usr/bin/env bash
# Runs the Python binding's tests against ccsim: installs the package (and
# pytest) into a virtualenv under build/, then runs pytest under one ccsim
# per dialect and push order (ccsim's run mode, nested: each adds itself to
# $CCSIM_SIMS, which tests/conftest.py reads; all stop with pytest), with a
# private PulseAudio for the sound-device tests (tests/audio/pulse.sh; it
# sets CC_AUDIO_PULSE, which tests/pulse.py reads). Needs
# build/lib/libcloudcc.so and build/bin/ccsim (./build.sh lib); $CCSIM_BIN
# runs another ccsim binary.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/build/venv"

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  # Debian splits venv/ensurepip out of python3.
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Wait for the dpkg lock another install may hold instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-venv >/dev/null
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$HERE[test]"
export CLOUDCC_LIBRARY="${CLOUDCC_LIBRARY:-$ROOT/build/lib/libcloudcc.so}"
CCSIM="${CCSIM_BIN:-$ROOT/build/bin/ccsim}"
# shellcheck source=tests/audio/pulse.sh
. "$ROOT/tests/audio/pulse.sh"
pulse_start
trap pulse_stop EXIT
cd "$HERE"
"$CCSIM" -fast -dialect spec -- \
  "$CCSIM" -fast -dialect platform -push-order reply_first -- \
  "$CCSIM" -fast -dialect platform -push-order push_first -- \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
