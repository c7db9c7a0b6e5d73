#!/usr/bin/env bash
# Checks the packages of ./build.sh dist (build/dist/) as each ecosystem's user takes them:
#  - SHA256SUMS matches; every artifact carries the version of include/cloudcc.h;
#  - Python: the manylinux wheel installed into a fresh virtualenv runs an agent session against ccsim from a
#    temporary folder outside the checkout, with no CLOUDCC_LIBRARY (bindings/python/tests/installed_check.py);
#    so does `pip install ./bindings/python` (the build backend builds the library with Go); the win_amd64
#    wheel and the sdist hold what they should;
#  - .NET: the nupkg's layout and nuspec; `nuget install CloudCC -Source build/dist` takes it, and the C# suite
#    passes on CoreCLR with CloudCC.dll and libcloudcc.so taken from the installed package;
#  - C: the SDK tarball's layout (SONAME'd library and links, pkg-config, CMake package, Windows DLL with
#    import library and .def), and the example compiled with pkg-config against the unpacked tarball.
# Prints "N passed, N failed" last.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/build/dist"
VER="$(sed -n 's/^#define CC_VERSION "\([^"]*\)"$/\1/p' "$ROOT/include/cloudcc.h")"
MAJOR="${VER%%.*}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0
step() { # step NAME CMD...: runs a check, counts it
  local name="$1" t0=$SECONDS
  shift
  # A subshell outside any condition, so that set -e stops the step at its first failing command.
  set +e
  (set -e; "$@") >"$TMP/step.log" 2>&1
  local rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$TMP/step.log" | tail -n 40
  fi
}
fail() { echo "$*" >&2; return 1; }

checksums() {
  cd "$DIST"
  sha256sum -c SHA256SUMS
  local want=("cloudcc-$VER.tar.gz" "cloudcc-$VER-py3-none-manylinux_"*"_x86_64.whl" "cloudcc-$VER-py3-none-win_amd64.whl"
    "CloudCC.$VER.nupkg" "cloudcc-sdk-$VER.tar.gz")
  for f in "${want[@]}"; do [ -f "$f" ] || fail "missing $f"; done
  [ "$(grep -c . SHA256SUMS)" -eq "${#want[@]}" ] || fail "SHA256SUMS lists other files: $(cat SHA256SUMS)"
}

# new_venv DIR: a fresh virtualenv with pytest (for conftest.py's fixtures).
new_venv() {
  python3 -m venv "$1"
  "$1/bin/python" -m pip install -q --disable-pip-version-check pytest
}

# installed_check VENV: the installed-package checks, from a folder outside the checkout, without CLOUDCC_LIBRARY.
installed_check() {
  mkdir -p "$TMP/elsewhere"
  (cd "$TMP/elsewhere" && env -u CLOUDCC_LIBRARY "$ROOT/build/bin/ccsim" -fast -dialect spec -- \
    "$1/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/bindings/python/tests/installed_check.py")
}

wheel_in_fresh_venv() {
  local whl
  whl="$(ls "$DIST"/cloudcc-"$VER"-py3-none-manylinux_*_x86_64.whl)"
  new_venv "$TMP/venv-wheel"
  "$TMP/venv-wheel/bin/python" -m pip install -q --disable-pip-version-check --no-index "$whl"
  installed_check "$TMP/venv-wheel"
  # The wheel carries the very library the other packages carry.
  cmp "$ROOT/build/lib/libcloudcc.so.$VER" \
    "$("$TMP/venv-wheel/bin/python" -c 'import cloudcc._ffi as f; print(f.lib._name)')"
}

pip_install_checkout() {
  new_venv "$TMP/venv-src"
  "$TMP/venv-src/bin/python" -m pip install -q --disable-pip-version-check "$ROOT/bindings/python"
  installed_check "$TMP/venv-src"
}

python_other_packages() {
  local w="$DIST/cloudcc-$VER-py3-none-win_amd64.whl" s="$DIST/cloudcc-$VER.tar.gz"
  unzip -Z1 "$w" | grep -cx "cloudcc/_native/win32-amd64/cloudcc.dll" >/dev/null || fail "no cloudcc.dll in $w"
  unzip -p "$w" "cloudcc-$VER.dist-info/WHEEL" | grep -cx "Tag: py3-none-win_amd64" >/dev/null || fail "win wheel tag"
  unzip -p "$w" "cloudcc-$VER.dist-info/WHEEL" | grep -cx "Root-Is-Purelib: false" >/dev/null || fail "win wheel is purelib"
  unzip -p "$w" "cloudcc-$VER.dist-info/METADATA" | grep -cx "Version: $VER" >/dev/null || fail "win wheel version"
  for f in PKG-INFO setup.py pyproject.toml cloudcc/_ffi.py _sdk/go.mod _sdk/go.sum _sdk/include/cloudcc.h \
    _sdk/capi/version.c _sdk/core/session; do
    tar tzf "$s" | grep -c "^cloudcc-$VER/$f" >/dev/null || fail "sdist lacks $f"
  done
  # core/internal and capi/internal are the library's own; the top-level internal/ is the simulator.
  ! tar tzf "$s" | grep -E '_test\.go$|/_sdk/internal/|/cmd/|\.so$|\.dll$' || fail "sdist carries tests, the simulator or binaries"
  for f in _sdk/capi/internal/abi/abi.go _sdk/core/internal/wsdial/wsdial.go; do
    tar tzf "$s" | grep -c "^cloudcc-$VER/$f" >/dev/null || fail "sdist lacks $f"
  done
}

nupkg_layout() {
  local p="$DIST/CloudCC.$VER.nupkg" want got
  want="$(printf '%s\n' '[Content_Types].xml' _rels/.rels CloudCC.nuspec LICENSE.txt README.md \
    lib/netstandard2.0/CloudCC.dll lib/netstandard2.0/CloudCC.dll.config lib/netstandard2.0/CloudCC.xml \
    package/services/metadata/core-properties/cloudcc.psmdcp runtimes/linux-x64/native/libcloudcc.so \
    runtimes/win-x64/native/cloudcc.dll | sort)"
  got="$(unzip -Z1 "$p" | sort)"
  [ "$got" = "$want" ] || fail "nupkg layout: $(diff <(echo "$want") <(echo "$got"))"
  local spec
  spec="$(unzip -p "$p" CloudCC.nuspec)"
  for re in "<id>CloudCC</id>" "<version>$VER</version>" '<license type="file">LICENSE.txt</license>' \
    '<description>[^<]+</description>' '<repository type="git" url="[^"]+"'; do
    grep -Eq "$re" <<<"$spec" || fail "nuspec lacks $re"
  done
  unzip -p "$p" lib/netstandard2.0/CloudCC.xml >"$TMP/CloudCC.xml"
  grep -q '<name>CloudCC</name>' "$TMP/CloudCC.xml" || fail "no XML docs"
  cmp <(unzip -p "$p" runtimes/linux-x64/native/libcloudcc.so) "$ROOT/build/lib/libcloudcc.so.$VER"
  cmp <(unzip -p "$p" runtimes/win-x64/native/cloudcc.dll) "$ROOT/build/windows/cloudcc.dll"
}

nuget_install_and_csharp_suite() {
  command -v nuget >/dev/null || {
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq nuget >/dev/null
  }
  # nuget (Mono) keeps caches under HOME: a scratch one.
  HOME="$TMP/nuget-home" nuget install CloudCC -Source "$DIST" -OutputDirectory "$TMP/packages" -NonInteractive
  local pkg="$TMP/packages/CloudCC.$VER"
  [ -f "$pkg/lib/netstandard2.0/CloudCC.dll" ] && [ -f "$pkg/runtimes/linux-x64/native/libcloudcc.so" ] ||
    fail "nuget install did not lay out $pkg"
  # The runner prints "N passed, N failed"; a failure exits non-zero.
  bash "$ROOT/bindings/csharp/run_tests.sh" --runtime coreclr --binding "$pkg/lib/netstandard2.0" \
    --native "$pkg/runtimes/linux-x64/native" | tee "$TMP/cs.log" | tail -n 1
  grep -Eq '^[0-9]+ passed, 0 failed$' "$TMP/cs.log"
}

sdk_tarball() {
  local top="$TMP/sdk/cloudcc-sdk-$VER"
  mkdir -p "$TMP/sdk"
  tar -C "$TMP/sdk" -xzf "$DIST/cloudcc-sdk-$VER.tar.gz"
  for f in include/cloudcc.h "lib/libcloudcc.so.$VER" lib/pkgconfig/cloudcc.pc lib/cmake/cloudcc/cloudccConfig.cmake \
    lib/cmake/cloudcc/cloudccConfigVersion.cmake bin/cloudcc.dll lib/libcloudcc.dll.a lib/cloudcc.def \
    share/cloudcc/examples/c/agent.c share/cloudcc/examples/c/CMakeLists.txt; do
    [ -f "$top/$f" ] || fail "SDK tarball lacks $f"
  done
  [ "$(readlink "$top/lib/libcloudcc.so.$MAJOR")" = "libcloudcc.so.$VER" ] || fail "no libcloudcc.so.$MAJOR link"
  [ "$(readlink "$top/lib/libcloudcc.so")" = "libcloudcc.so.$MAJOR" ] || fail "no libcloudcc.so link"
  readelf -d "$top/lib/libcloudcc.so.$VER" | grep -c "SONAME.*\[libcloudcc.so.$MAJOR\]" >/dev/null || fail "no SONAME"
  grep -q "^    cc_version$" "$top/lib/cloudcc.def" || fail "cloudcc.def lacks cc_version"
  grep -q 'IMPORTED_IMPLIB' "$top/lib/cmake/cloudcc/cloudccConfig.cmake" || fail "CMake package has no import library"
  # The tarball is relocatable: pkg-config finds it where it was unpacked.
  [ "$(PKG_CONFIG_PATH="$top/lib/pkgconfig" pkg-config --modversion cloudcc)" = "$VER" ] || fail "pkg-config version"
  # shellcheck disable=SC2046
  gcc -std=c11 -D_GNU_SOURCE -Wall -Werror -o "$TMP/agent" "$top/share/cloudcc/examples/c/agent.c" \
    $(PKG_CONFIG_PATH="$top/lib/pkgconfig" pkg-config --cflags --libs cloudcc)
  readelf -d "$TMP/agent" | grep -c "NEEDED.*\[libcloudcc.so.$MAJOR\]" >/dev/null || fail "the example does not load libcloudcc.so.$MAJOR"
}

step "SHA256SUMS and artifact names ($VER)" checksums
step "wheel in a fresh venv: agent session from outside the checkout" wheel_in_fresh_venv
step "pip install ./bindings/python (library built by the backend with Go)" pip_install_checkout
step "win_amd64 wheel and sdist contents" python_other_packages
step "nupkg layout and nuspec" nupkg_layout
step "nuget install, C# suite on CoreCLR from the package" nuget_install_and_csharp_suite
step "C SDK tarball layout, pkg-config build" sdk_tarball
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
