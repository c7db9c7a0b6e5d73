"""Statuses and typed errors of HTTP, TLS and async_max, against cchostile
(build/bin/cchostile: a server that misbehaves on purpose)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from typing import Iterator, Tuple

import pytest

import cloudcc
from cloudcc import AsyncClient, Client

from conftest import ROOT


@pytest.fixture(scope="module")
def hostile() -> Iterator[Tuple[str, str]]:
    exe = ROOT / "build" / "bin" / "cchostile"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run ./build.sh lib first")
    # stdin is a pipe we hold: cchostile exits when it closes, even if we die.
    proc = subprocess.Popen([str(exe), "-addr", "127.0.0.1:0", "-tls-addr", "127.0.0.1:0", "-exit-on-eof"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    plain = proc.stdout.readline().strip().split("://", 1)[-1]
    tls = proc.stdout.readline().strip().split("://", 1)[-1]
    try:
        yield plain, tls
    finally:
        proc.terminate()
        proc.wait(10)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(ws_url: str, **options) -> Client:
    # A configured token lets requests go before a check-in.
    return Client(ws_url, company_code="c1", agent_id="c1_1", ext_id="c1_1", language="en-US",
                  heartbeat_interval=-1, log_level="off", token="cfg-token-0042", **options)


def test_http_403_is_not_authorized_over_https_with_plain_ws(hostile: Tuple[str, str]) -> None:
    # HTTP 200 {"code":403,"message":...}; tls_insecure applies to https although ws_url is ws://.
    with client("ws://127.0.0.1:1/ws", http_url=f"https://{hostile[1]}/http/forbidden", tls_insecure=True) as c:
        with pytest.raises(cloudcc.NotAuthorized) as e:
            c.get_token(agent_pwd="pw-123456")
        assert isinstance(e.value, cloudcc.ServerError)
        assert e.value.code == "403" and e.value.msg == "鉴权不通过!"


def test_untrusted_certificate_is_tls_error(hostile: Tuple[str, str]) -> None:
    with client("ws://127.0.0.1:1/ws", http_url=f"https://{hostile[1]}/http/forbidden") as c:
        with pytest.raises(cloudcc.TLSError) as e:
            c.get_token(agent_pwd="pw-123456")
        assert e.value.status == -9 and isinstance(e.value, ConnectionError)
    with client(f"wss://{hostile[1]}/echo", reconnect=False) as c:
        with pytest.raises(cloudcc.TLSError):
            c.ping()


def test_refused_http_is_not_connected(hostile: Tuple[str, str]) -> None:
    with client("ws://127.0.0.1:1/ws", http_url=f"http://127.0.0.1:{closed_port()}") as c:
        with pytest.raises(cloudcc.NotConnected) as e:
            c.get_skill_service_list()
        assert not isinstance(e.value, cloudcc.TLSError)


def test_async_max_is_busy_and_close_is_prompt(hostile: Tuple[str, str]) -> None:
    async def run() -> None:
        c = AsyncClient(f"ws://{hostile[0]}/stall", company_code="c1", agent_id="c1_1", ext_id="c1_1",
                        heartbeat_interval=-1, log_level="off", token="cfg-token-0042", async_max=2, dial_timeout=20)
        pending = [asyncio.ensure_future(c.ping(timeout=30)) for _ in range(2)]
        await asyncio.sleep(0)  # let both submit
        with pytest.raises(cloudcc.Busy):
            await c.ping(timeout=30)
        t0 = time.monotonic()
        await c.close()
        took = time.monotonic() - t0
        for p in pending:
            with pytest.raises(cloudcc.CloudCCError):
                await p
        assert took < 5, f"close with a stalled handshake took {took:.1f} s (dial timeout 20 s)"

    asyncio.run(run())
