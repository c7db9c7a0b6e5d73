"""Checks an INSTALLED cloudcc (a wheel, or pip install of the checkout) from outside the checkout.

Run by tests/packaging/run.sh with a fresh virtualenv's python, from a temporary folder, with no
CLOUDCC_LIBRARY: the package must find the library it carries. Not part of the normal pytest run
(its name does not start with test_); ccsim and the agents come from conftest.py as in the other tests.
It also runs the ABI contract's checks (test_abi_contract.py) on the installed package.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import version as dist_version
from pathlib import Path

import cloudcc
from cloudcc import AgentStatus, _ffi
from conftest import PWD, inbound_to

# The ABI contract's checks (include/cloudcc.abi.json), on the installed package.
from test_abi_contract import (  # noqa: F401 - collected by pytest from here
    test_a_negative_duration_is_off,
    test_enumerations,
    test_event_types_and_fields,
    test_every_config_key_is_a_client_argument,
    test_every_event_class_is_in_the_contract,
    test_ice_servers_as_typed_objects,
    test_media_calls,
    test_requests_and_http_calls,
    test_status_codes_and_their_exceptions,
    test_the_config_of_every_sample_is_the_contract_s_and_the_library_takes_it,
)

CHECKOUT = Path(__file__).resolve().parents[3]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def test_installed_package_loads_the_library_it_carries():
    assert "CLOUDCC_LIBRARY" not in os.environ
    assert not _inside(Path.cwd().resolve(), CHECKOUT), "run this from a folder outside the checkout"
    pkg = Path(cloudcc.__file__).resolve().parent
    assert not _inside(pkg, CHECKOUT), f"cloudcc was imported from the checkout: {pkg}"
    lib = Path(_ffi.lib._name).resolve()
    assert _inside(lib, pkg / "_native"), f"the library loaded is not the package's: {lib}"


def test_versions_agree_with_the_header():
    header = (CHECKOUT / "include" / "cloudcc.h").read_text()
    want = re.search(r'^#define CC_VERSION "([^"]+)"$', header, re.M).group(1)
    assert cloudcc.native_version() == want
    assert cloudcc.__version__ == want
    assert dist_version("cloudcc") == want


def test_agent_session(sim, make_agent):
    a = make_agent()
    r = a.c.checkin(PWD, start_status=AgentStatus.FREE)
    assert r.ok and r["token"]
    a.status("FREE")
    uuid = inbound_to(sim, a)  # rings, answered: CALLING
    a.c.hangup(uuid)
    a.status("ARRANGE")
    a.status("FREE")
    assert a.c.checkout().ok
    a.status("OFFLINE")
    a.quiet()
