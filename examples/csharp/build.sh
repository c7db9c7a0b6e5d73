#!/usr/bin/env bash
# build.sh - builds examples/csharp/out/Agent.exe and DeviceAgent.exe with Mono's mcs, next to a copy of CloudCC.dll.
# Run: LD_LIBRARY_PATH=build/lib mono examples/csharp/out/Agent.exe HOST:PORT
#      LD_LIBRARY_PATH=build/lib mono examples/csharp/out/DeviceAgent.exe HOST:PORT   (sound devices; examples/device_demo.sh)
# The same by hand:
#   bindings/csharp/build.sh
#   mcs -r:bindings/csharp/out/CloudCC.dll -out:examples/csharp/out/Agent.exe examples/csharp/Agent.cs
#   cp bindings/csharp/out/CloudCC.dll* examples/csharp/out/
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$root/bindings/csharp/build.sh" >/dev/null
mkdir -p "$here/out"
cp "$root/bindings/csharp/out/CloudCC.dll" "$root/bindings/csharp/out/CloudCC.dll.config" "$here/out/"
mcs -nologo -r:"$here/out/CloudCC.dll" -out:"$here/out/Agent.exe" "$here/Agent.cs"
mcs -nologo -r:"$here/out/CloudCC.dll" -out:"$here/out/DeviceAgent.exe" "$here/DeviceAgent.cs"
echo "built $here/out/Agent.exe $here/out/DeviceAgent.exe"
