"""Build glue for the cloudcc wheel: the native library goes inside the package.

pyproject.toml holds the metadata; this file adds what setuptools cannot say
declaratively:

- the version, read from the C header (CC_VERSION in include/cloudcc.h), the
  one place it is written;
- the native library in cloudcc/_native/<platform>/ (where cloudcc/_ffi.py
  looks first), taken from $CLOUDCC_NATIVE_LIB when the packager built it
  (./build.sh dist), else built here with Go from the checkout around this
  folder or from the Go sources an sdist carries (_sdk/);
- a platform wheel tag (py3-none-<platform>: ctypes, no CPython extension);
- an sdist that carries those Go sources, so it builds where Go is installed.

An editable install (pip install -e) packs no library: the checkout's
build/lib/libcloudcc.so (./build.sh lib) or $CLOUDCC_LIBRARY is used.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Optional

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:  # setuptools >= 70.1 has its own bdist_wheel
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
# What `go build ./capi` needs: the module files, the public header, the C API
# and the core it wraps (never the simulator).
GO_PARTS = ("go.mod", "go.sum", "include", "capi", "core")

NO_GO = """cloudcc: this package needs its native library (libcloudcc), built from
the SDK's Go sources, and {why}. Either
  - install Go 1.24 or newer and a C compiler (gcc) and run pip again, or
  - install a prebuilt wheel instead: pip install cloudcc-{version}-py3-none-<platform>.whl
    (./build.sh dist in the SDK's repository makes them), or
  - point the build at a library you built: CLOUDCC_NATIVE_LIB=/path/to/libcloudcc.so pip install ."""


def sdk_root() -> Optional[Path]:
    """The Go module the library is built from: an sdist's _sdk/, or the checkout around this folder."""
    for cand in (HERE / "_sdk", HERE.parent.parent):
        if (cand / "go.mod").is_file() and (cand / "include" / "cloudcc.h").is_file():
            return cand
    return None


def sdk_version() -> str:
    """CC_VERSION from cloudcc.h: the package's version."""
    root = sdk_root()
    if root is None:
        raise SystemExit("cloudcc: cannot find include/cloudcc.h (neither _sdk/ nor a checkout around " + str(HERE) + ")")
    m = re.search(r'^#define CC_VERSION "([^"]+)"$', (root / "include" / "cloudcc.h").read_text(), re.M)
    if not m:
        raise SystemExit("cloudcc: no CC_VERSION in " + str(root / "include" / "cloudcc.h"))
    return m.group(1)


def wheel_platform() -> str:
    """The wheel's platform tag: $CLOUDCC_WHEEL_PLAT (a cross build, e.g. win_amd64) or this machine's."""
    return os.environ.get("CLOUDCC_WHEEL_PLAT") or sysconfig.get_platform().replace("-", "_").replace(".", "_")


def native_dir_and_name(plat: str) -> "tuple[str, str]":
    """Where cloudcc/_ffi.py looks for the library on that platform: _native/<sys.platform>-<machine>/<name>."""
    if plat.startswith("win"):
        machine = {"win_amd64": "amd64", "win32": "x86", "win_arm64": "arm64"}.get(plat, plat)
        return "win32-" + machine, "cloudcc.dll"
    if plat.startswith("macosx"):
        return "darwin-" + plat.rsplit("_", 1)[-1], "libcloudcc.dylib"
    m = re.search(r"(x86_64|aarch64|i686|armv7l|ppc64le|s390x|riscv64)$", plat)  # linux_*, manylinux_*_*
    if not m:
        raise SystemExit("cloudcc: unknown wheel platform " + plat)
    return "linux-" + m.group(1), "libcloudcc.so"


def go_build(root: Path, out: Path) -> None:
    """Builds libcloudcc for this machine with Go (c-shared, SONAME libcloudcc.so.<major>)."""
    go = shutil.which("go")
    if go is None:
        raise SystemExit(NO_GO.format(why="Go is not on PATH", version=sdk_version()))
    major = sdk_version().split(".", 1)[0]
    env = dict(os.environ, CGO_ENABLED="1", GOFLAGS=(os.environ.get("GOFLAGS", "") + " -buildvcs=false").strip())
    tmp = Path(tempfile.mkdtemp(prefix="cloudcc-go-"))
    try:
        # capi/cloudcc.map: the library exports the cc_* functions only (build.sh's build_lib).
        ldflags = "-extldflags '-Wl,-soname,libcloudcc.so.{} -Wl,--version-script={}'".format(
            major, root / "capi" / "cloudcc.map")
        cmd = [go, "build", "-buildmode=c-shared", "-ldflags", ldflags,
               "-o", str(tmp / out.name), "./capi"]
        print("cloudcc: building the native library:", " ".join(cmd), flush=True)
        subprocess.run(cmd, cwd=str(root), env=env, check=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp / out.name, out)  # cgo's own header stays behind: the public one is cloudcc.h
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildPy(build_py):
    """build_py that also puts the native library into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        plat = wheel_platform()
        sub, name = native_dir_and_name(plat)
        dest = Path(self.build_lib) / "cloudcc" / "_native" / sub / name
        given = os.environ.get("CLOUDCC_NATIVE_LIB")
        if given:
            if not Path(given).is_file():
                raise SystemExit("cloudcc: CLOUDCC_NATIVE_LIB=" + given + " is not a file")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(given, dest)
            return
        if plat != sysconfig.get_platform().replace("-", "_").replace(".", "_"):
            raise SystemExit("cloudcc: a " + plat + " wheel needs CLOUDCC_NATIVE_LIB (a cross-built library)")
        root = sdk_root()
        if root is None:
            raise SystemExit(NO_GO.format(why="its Go sources are not here", version="<version>"))
        go_build(root, dest)


class BinaryDistribution(Distribution):
    """Carries a native library: installed to platlib, and the wheel is not pure."""

    def has_ext_modules(self) -> bool:
        return True


class BdistWheel(bdist_wheel):
    """A platform wheel: py3-none-<platform> (the library is loaded with ctypes, so any CPython 3 will do)."""

    def get_tag(self) -> "tuple[str, str, str]":
        return "py3", "none", wheel_platform()


class Sdist(sdist):
    """An sdist that carries the Go sources (under _sdk/) so that pip can build the library from it."""

    def make_release_tree(self, base_dir: str, files: "list[str]") -> None:
        super().make_release_tree(base_dir, files)
        root = sdk_root()
        if root is None:
            raise SystemExit("cloudcc: an sdist needs the SDK's Go sources (build it from a checkout)")
        ignore = shutil.ignore_patterns("*_test.go", "testdata", "*.test", "*.out")
        for part in GO_PARTS:
            src, dst = root / part, Path(base_dir) / "_sdk" / part
            if src.is_dir():
                shutil.copytree(src, dst, ignore=ignore)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


setup(
    version=sdk_version(),
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel, "sdist": Sdist},
)
