#!/usr/bin/env bash
# build.sh - compiles the C# binding, its tests and its bench with Mono's mcs (no msbuild/nuget: works offline).
# Installs mono-devel from Debian if mcs is missing, and builds libcloudcc if it is missing.
# Output: bindings/csharp/out/{CloudCC.dll,CloudCC.xml,CloudCC.dll.config,CloudCC.Tests.exe,CloudCC.Bench.exe}
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"

if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    echo "build.sh: installing mono-devel" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mono-devel >/dev/null
fi
if [ ! -f "$root/build/lib/libcloudcc.so" ] || [ ! -x "$root/build/bin/ccsim" ]; then
    (cd "$root" && ./build.sh lib)
fi

mkdir -p "$out"
mcs -nologo -warnaserror+ -unsafe -optimize+ -target:library -out:"$out/CloudCC.dll" -doc:"$out/CloudCC.xml" "$here"/CloudCC/*.cs
cat > "$out/CloudCC.dll.config" <<'XML'
<configuration>
  <dllmap dll="cloudcc" os="linux" target="libcloudcc.so"/>
  <dllmap dll="cloudcc" os="osx" target="libcloudcc.dylib"/>
</configuration>
XML
mcs -nologo -optimize+ -target:exe -out:"$out/CloudCC.Tests.exe" -r:"$out/CloudCC.dll" "$here"/Tests/*.cs
mcs -nologo -optimize+ -target:exe -out:"$out/CloudCC.Bench.exe" -r:"$out/CloudCC.dll" "$here"/Bench/*.cs
echo "build.sh: built $out"
