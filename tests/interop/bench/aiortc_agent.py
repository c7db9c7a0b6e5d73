#!/usr/bin/env python3
"""aiortc baseline agent for pbxbench.

Does what the SDK's phone does in the benchmark, with aiortc (PyPI) for the
media: registers extensions first..first+users-1 over SIP-over-WebSocket
(RFC 7118) with digest auth, answers every INVITE at once, sends a G.711
tone (aiortc encodes), and receives (aiortc decodes every frame; they are
counted). The SIP part is a minimal UA written here over `websockets`.

aioice leaves 127.0.0.1 out of its host candidates; this script makes the
loopback its only host address (nothing here may use another address), and
passes an empty ICE server list (aiortc would otherwise add a public STUN
server).
"""

import argparse
import asyncio
import fractions
import hashlib
import logging
import math
import secrets
import signal
import struct
import sys
import time

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

import websockets  # noqa: E402
from aiortc import (  # noqa: E402
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from av import AudioFrame  # noqa: E402

RATE = 8000
FRAME = 160


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, hz: float):
        super().__init__()
        period = [int(8000 * math.sin(2 * math.pi * hz * i / RATE)) for i in range(RATE)]
        self.pcm = struct.pack("<%dh" % RATE, *period)  # one second, loops seamlessly for integer hz
        self.pts = 0
        self.t0 = None

    async def recv(self):
        if self.t0 is None:
            self.t0 = time.monotonic()
        else:
            wait = self.t0 + self.pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        off = (self.pts % RATE) * 2
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(self.pcm[off : off + FRAME * 2])
        frame.sample_rate = RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, RATE)
        self.pts += FRAME
        return frame


COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length", "c": "content-type"}


def parse(data: str):
    head, _, body = data.partition("\r\n\r\n")
    lines = head.split("\r\n")
    start = lines[0]
    headers = []
    for ln in lines[1:]:
        if ":" not in ln:
            continue
        k, v = ln.split(":", 1)
        k = k.strip().lower()
        headers.append((COMPACT.get(k, k), v.strip()))
    return start, headers, body


def hget(headers, name, default=""):
    for k, v in headers:
        if k == name:
            return v
    return default


def hall(headers, name):
    return [v for k, v in headers if k == name]


def digest_params(v: str):
    v = v.split(" ", 1)[1] if v.lower().startswith("digest") else v
    out = {}
    for part in v.split(","):
        if "=" in part:
            k, val = part.split("=", 1)
            out[k.strip().lower()] = val.strip().strip('"')
    return out


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


class Agent:
    def __init__(self, args, ext: str, stats):
        self.a = args
        self.ext = ext
        self.stats = stats
        self.ws = None
        self.calls = {}
        self.host = secrets.token_hex(4) + ".invalid"
        self.registered = asyncio.Event()
        self.reg_callid = secrets.token_hex(8)
        self.reg_tag = secrets.token_hex(4)
        self.cseq = 0

    async def send(self, text: str):
        await self.ws.send(text)

    def register_msg(self, auth=None):
        self.cseq += 1
        d = self.a.domain
        lines = [
            f"REGISTER sip:{d} SIP/2.0",
            f"Via: SIP/2.0/WS {self.host};branch=z9hG4bK{secrets.token_hex(6)}",
            "Max-Forwards: 70",
            f"From: <sip:{self.ext}@{d}>;tag={self.reg_tag}",
            f"To: <sip:{self.ext}@{d}>",
            f"Call-ID: {self.reg_callid}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <sip:{self.ext}@{self.host};transport=ws>",
            "Expires: 600",
            "User-Agent: aiortc-baseline",
        ]
        if auth:
            lines.append("Authorization: " + auth)
        return "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n"

    def authorization(self, challenge: str):
        p = digest_params(challenge)
        realm, nonce = p["realm"], p["nonce"]
        uri = f"sip:{self.a.domain}"
        ha1 = md5(f"{self.ext}:{realm}:{self.a.password_prefix}{self.ext}")
        ha2 = md5(f"REGISTER:{uri}")
        cnonce, nc = secrets.token_hex(4), "00000001"
        if "auth" in p.get("qop", ""):
            resp = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            return (f'Digest username="{self.ext}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
                    f'response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')
        resp = md5(f"{ha1}:{nonce}:{ha2}")
        return f'Digest username="{self.ext}", realm="{realm}", nonce="{nonce}", uri="{uri}", response="{resp}", algorithm=MD5'

    def response(self, headers, code, reason, to_tag=None, extra=(), body=""):
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += ["Via: " + v for v in hall(headers, "via")]
        lines.append("From: " + hget(headers, "from"))
        to = hget(headers, "to")
        if to_tag and ";tag=" not in to:
            to += ";tag=" + to_tag
        lines.append("To: " + to)
        lines.append("Call-ID: " + hget(headers, "call-id"))
        lines.append("CSeq: " + hget(headers, "cseq"))
        lines += list(extra)
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    async def run(self):
        async with websockets.connect(self.a.ws, subprotocols=["sip"], max_size=None, ping_interval=None) as ws:
            self.ws = ws
            await self.send(self.register_msg())
            async for data in ws:
                if isinstance(data, bytes):
                    data = data.decode()
                start, headers, body = parse(data)
                if start.startswith("SIP/2.0"):
                    code = int(start.split()[1])
                    if "REGISTER" in hget(headers, "cseq"):
                        if code == 401:
                            await self.send(self.register_msg(self.authorization(hget(headers, "www-authenticate"))))
                        elif code == 200:
                            self.registered.set()
                        else:
                            print(f"[aiortc] {self.ext}: REGISTER {code}", file=sys.stderr)
                    continue
                method = start.split()[0]
                cid = hget(headers, "call-id")
                if method == "INVITE" and ";tag=" not in hget(headers, "to"):
                    asyncio.ensure_future(self.answer(cid, headers, body))
                elif method == "INVITE":
                    await self.send(self.response(headers, 488, "Not Acceptable Here"))
                elif method == "BYE":
                    await self.send(self.response(headers, 200, "OK"))
                    call = self.calls.pop(cid, None)
                    if call:
                        asyncio.ensure_future(call["pc"].close())
                elif method in ("ACK",):
                    pass
                else:
                    await self.send(self.response(headers, 200, "OK"))

    async def answer(self, cid, headers, offer):
        tag = secrets.token_hex(4)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.calls[cid] = {"pc": pc}

        @pc.on("track")
        def on_track(track):
            asyncio.ensure_future(self.consume(track))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        pc.addTrack(ToneTrack(self.a.tone))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)  # aiortc gathers all candidates here
        sdp = pc.localDescription.sdp
        await self.send(self.response(
            headers, 200, "OK", to_tag=tag,
            extra=[f"Contact: <sip:{self.ext}@{self.host};transport=ws>", "Content-Type: application/sdp"],
            body=sdp))

    async def consume(self, track):
        try:
            while True:
                await track.recv()
                self.stats["frames_in"] += 1
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--users", type=int, default=1)
    ap.add_argument("--first", type=int, default=3000)
    ap.add_argument("--password-prefix", default="pw")
    ap.add_argument("--tone", type=float, default=440)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    stats = {"frames_in": 0}
    agents = [Agent(args, str(args.first + i), stats) for i in range(args.users)]
    tasks = [asyncio.ensure_future(a.run()) for a in agents]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    print(f"[aiortc] frames received: {stats['frames_in']}", file=sys.stderr)
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main())
