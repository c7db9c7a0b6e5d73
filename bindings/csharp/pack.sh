#!/usr/bin/env bash
# pack.sh OUTDIR - the NuGet package CloudCC.<version>.nupkg (./build.sh dist): CloudCC.dll + XML docs under
# lib/netstandard2.0/, libcloudcc.so under runtimes/linux-x64/native/, cloudcc.dll under runtimes/win-x64/native/.
# Packed with Debian's nuget (Mono). Expects build/lib/libcloudcc.so.<version> and build/windows/cloudcc.dll.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
ver="$(sed -n 's/^#define CC_VERSION "\([^"]*\)"$/\1/p' "$root/include/cloudcc.h")"

"$here/build.sh" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
commit="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
sed -e "s|@VERSION@|$ver|g" -e "s|@COMMIT@|$commit|g" -e "s|@CSOUT@|$here/out|g" \
    -e "s|@LINUXLIB@|$root/build/lib/libcloudcc.so.$ver|g" -e "s|@WINDLL@|$root/build/windows/cloudcc.dll|g" \
    -e "s|@LICENSE@|$root/packaging/LICENSE.txt|g" -e "s|@README@|$here/README.md|g" \
    "$here/CloudCC.nuspec" >"$work/CloudCC.nuspec"
# A .nupkg is a zip (OPC) laid out as NuGet expects. Debian's nuget 2.8 cannot pack it (its schema
# predates <license> and <repository>), so the zip is made here: deterministic (fixed times, sorted entries).
python3 - "$work/CloudCC.nuspec" "$out/CloudCC.$ver.nupkg" <<'PY'
import os, re, sys, time, zipfile
nuspec_path, out = sys.argv[1], sys.argv[2]
nuspec = open(nuspec_path, encoding="utf-8").read()

meta = re.sub(r"(?s)\s*<files>.*?</files>", "", nuspec)
files = re.findall(r'<file src="([^"]+)" target="([^"]+)" />', nuspec)
pkg_id = re.search(r"<id>([^<]+)</id>", nuspec).group(1)
version = re.search(r"<version>([^<]+)</version>", nuspec).group(1)
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
stamp = time.gmtime(max(epoch, 315532800))[:6]
exts = sorted({os.path.splitext(t)[1].lstrip(".") for _, t in files} | {"nuspec", "psmdcp", "rels"})
types = {"rels": "application/vnd.openxmlformats-package.relationships+xml",
         "psmdcp": "application/vnd.openxmlformats-package.core-properties+xml"}
content_types = ('<?xml version="1.0" encoding="utf-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 + "".join(f'<Default Extension="{e}" ContentType="{types.get(e, "application/octet")}" />' for e in exts if e)
                 + "</Types>")
props = "package/services/metadata/core-properties/" + pkg_id.lower() + ".psmdcp"
rels = ('<?xml version="1.0" encoding="utf-8"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{pkg_id}.nuspec" Id="R1" />'
        f'<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/{props}" Id="R2" />'
        "</Relationships>")
core = ('<?xml version="1.0" encoding="utf-8"?>\n<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
        f"<dc:creator>CloudCC</dc:creator><dc:identifier>{pkg_id}</dc:identifier><version>{version}</version>"
        "</coreProperties>")
def add(z, name, data):
    info = zipfile.ZipInfo(name, stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data)
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w") as z:
    add(z, "_rels/.rels", rels)
    add(z, pkg_id + ".nuspec", meta)
    for src, target in sorted(files, key=lambda f: f[1]):
        add(z, target, open(src, "rb").read())
    add(z, props, core)
    add(z, "[Content_Types].xml", content_types)
os.replace(tmp, out)
PY
echo "pack.sh: $out/CloudCC.$ver.nupkg"
