"""AsyncClient: the same agent session for asyncio programs.

Requests are awaitables built on cc_client_request_async (no thread is
blocked while waiting); events are read with `async for ev in client.events()`
or handed to handlers (plain functions or coroutines) run on the loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Mapping, Optional, Set, Type, TypeVar, Union

from . import _ffi
from ._requests import Requests
from .audio import (
    AudioDevice,
    AudioDeviceList,
    AudioProcessing,
    AudioRole,
    AudioSelection,
    PrecallResult,
    precall_params,
)
from .client import Client, _encode_json, _kind_key, _request_type, log, ms
from .errors import ClientClosed, InvalidArgument, from_status
from .events import Event
from .replies import Reply

__all__ = ["AsyncClient", "AsyncAudio"]

_T = TypeVar("_T")

_ids = itertools.count(1)
_pending: Dict[int, "tuple[asyncio.AbstractEventLoop, asyncio.Future]"] = {}
_pending_lock = threading.Lock()


def _resolve(fut: "asyncio.Future[tuple[int, Optional[str]]]", st: int, text: Optional[str]) -> None:
    if not fut.done():  # a cancelled await drops its late reply
        fut.set_result((st, text))


@_ffi.REPLY_FN
def _on_native_reply(user_data: Optional[int], status: int, reply_json: Optional[bytes]) -> None:
    # Called exactly once per accepted request, on a library thread.
    try:
        with _pending_lock:
            entry = _pending.pop(user_data or 0, None)
        if entry is None:
            return
        loop, fut = entry
        text = reply_json.decode("utf-8", errors="replace") if reply_json is not None else None
        try:
            loop.call_soon_threadsafe(_resolve, fut, status, text)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more
    except BaseException:  # noqa: BLE001 - never let it reach the native thread
        pass


class AsyncClient(Requests["Awaitable[Reply]"]):
    """One agent's CTI session for asyncio: every request method is awaited and returns its Reply.

    Make it inside a running loop (`async with AsyncClient(...) as c:`); the
    keyword arguments are Client's. Events are queued for `events()` (bounded
    by event_buffer, oldest dropped) and passed to handlers registered with
    `on` / `add_handler`, on the loop's thread.
    """

    def __init__(self, ws_url: str, *, event_buffer: int = 1000, **options: Any) -> None:
        """Makes the client bound to the running event loop; no network until the first request."""
        self._loop = asyncio.get_running_loop()
        self._client = Client(ws_url, event_buffer=0, **options)
        self._queue: "asyncio.Queue[Optional[Event]]" = asyncio.Queue(maxsize=event_buffer if event_buffer > 0 else 0)
        self._keep = event_buffer > 0
        self._handlers: Dict[Optional[str], List[Callable[[Any], Any]]] = {}
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self.handler_errors = self._client.handler_errors
        """Exceptions raised by handlers (most recent last); each one was also logged."""
        self._client.add_handler(self._from_sdk_thread)
        self.audio = AsyncAudio(self)
        """The agent's sound devices and voice processing; as Client.audio, awaited."""

    @property
    def sync(self) -> Client:
        """The underlying blocking Client (same session)."""
        return self._client

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._client.closed

    async def close(self) -> None:
        """Closes the session (without checking out) and frees the native client."""
        # cc_client_free waits for a running event callback; do not block the loop on it.
        await self._loop.run_in_executor(None, self._client.close)
        self._put(None)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # --- requests ------------------------------------------------------

    async def request(self, payload: Mapping[str, Any], timeout: Optional[float] = None, check: bool = True) -> Reply:
        """Sends any request (a dict with msg_type) and returns its Reply; see Client.request."""
        try:
            data = _encode_json(payload).encode()
        except (TypeError, ValueError) as e:
            raise InvalidArgument(_ffi.ERR_INVALID_ARGUMENT, "-1", f"request is not JSON: {e}") from None
        fut: "asyncio.Future[tuple[int, Optional[str]]]" = self._loop.create_future()
        rid = next(_ids)
        with _pending_lock:
            _pending[rid] = (self._loop, fut)
        st = _ffi.request_async(self._client._h(), data, ms(timeout), _on_native_reply, rid)
        if st != _ffi.OK:
            with _pending_lock:
                _pending.pop(rid, None)
            raise from_status(self._client._status(st), None)
        try:
            st, text = await fut
        finally:
            with _pending_lock:
                _pending.pop(rid, None)
        return self._client._finish(st, text, check=check, request_type=_request_type(payload))

    def _send(self, payload: Dict[str, Any], timeout: Optional[float]):  # type: ignore[override]
        return self.request(payload, timeout)

    async def http(self, name: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None,
                   check: bool = True) -> Reply:
        """Calls the SDK HTTP interface by name, in a worker thread; see Client.http."""
        return await self._loop.run_in_executor(None, lambda: self._client.http(name, params, timeout, check))

    def _send_http(self, name: str, params: Dict[str, Any], timeout: Optional[float]):  # type: ignore[override]
        return self.http(name, params, timeout)

    # --- RTC media: local calls on the phone, they do not wait on the network ---

    def play_wav(self, path: str, uuid: Optional[str] = None, loop: bool = False) -> None:
        """Sends a WAV file into the call; see Client.play_wav."""
        self._client.play_wav(path, uuid, loop)

    def play_tone(self, hz: float, uuid: Optional[str] = None) -> None:
        """Sends a sine tone into the call; see Client.play_tone."""
        self._client.play_tone(hz, uuid)

    def stop_play(self, uuid: Optional[str] = None) -> None:
        """Sends silence into the call."""
        self._client.stop_play(uuid)

    def record_wav(self, path: str, uuid: Optional[str] = None) -> None:
        """Records the call's received audio to a WAV file; see Client.record_wav."""
        self._client.record_wav(path, uuid)

    def stop_record(self, uuid: Optional[str] = None) -> None:
        """Finishes the call's WAV recording."""
        self._client.stop_record(uuid)

    def call_stats(self, uuid: Optional[str] = None) -> Dict[str, Any]:
        """The call's quality figures now; see Client.call_stats."""
        return self._client.call_stats(uuid)

    def rtc_calls(self) -> List[str]:
        """The uuids of the phone's calls."""
        return self._client.rtc_calls()

    async def precall_test(self, echo_number: Optional[str] = None, seconds: float = 5) -> PrecallResult:
        """Runs the pre-call test in a worker thread (it takes seconds); see Client.precall_test."""
        precall_params(echo_number, seconds)  # bad arguments raise here, before a thread is taken
        return await self._loop.run_in_executor(None, self._client.precall_test, echo_number, seconds)

    def push_pcm(self, samples: Any, rate: int = 8000, uuid: Optional[str] = None) -> None:
        """Sends microphone audio into the call; see Client.push_pcm."""
        self._client.push_pcm(samples, rate, uuid)

    def set_pcm_sink(self, fn: Optional[Callable[[str, Any, int], None]], rate: int = 8000,
                     uuid: Optional[str] = None) -> None:
        """Calls fn(uuid, samples, rate) on an SDK media thread with the call's received audio; None stops."""
        self._client.set_pcm_sink(fn, rate, uuid)

    # --- events --------------------------------------------------------

    def on(self, kind: Union[str, Type[Event], None] = None) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """Decorator: registers a function or coroutine for events of `kind` (None: all), run on the loop."""

        _kind_key(kind)

        def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.add_handler(fn, kind)
            return fn

        return register

    def add_handler(self, fn: Callable[[Any], Any], kind: Union[str, Type[Event], None] = None) -> None:
        """Registers fn (function or coroutine function) for events of `kind`, run on the loop."""
        self._handlers.setdefault(_kind_key(kind), []).append(fn)

    async def events(self) -> AsyncIterator[Event]:
        """Yields events in order until the client is closed."""
        while True:
            ev = await self._queue.get()
            if ev is None:
                return
            yield ev

    async def wait_event(
        self,
        kind: Union[str, Type[Event], None] = None,
        timeout: Optional[float] = None,
        where: Optional[Callable[[Any], bool]] = None,
    ) -> Any:
        """Reads events until one of `kind` matching `where` comes (others are consumed); asyncio.TimeoutError."""
        key = _kind_key(kind)

        async def scan() -> Event:
            async for ev in self.events():
                if (key is None or ev.msg_type == key) and (where is None or where(ev)):
                    return ev
            raise ClientClosed(_ffi.ERR_CLOSED, str(_ffi.ERR_CLOSED), "client is closed")

        return await asyncio.wait_for(scan(), timeout)

    def _from_sdk_thread(self, ev: Event) -> None:
        try:
            self._loop.call_soon_threadsafe(self._on_loop, ev)
        except RuntimeError:
            pass  # loop closed

    def _put(self, ev: Optional[Event]) -> None:
        if not self._keep and ev is not None:
            return
        if self._queue.maxsize and self._queue.full():
            try:
                self._queue.get_nowait()  # keep the newest
            except asyncio.QueueEmpty:
                pass
        self._queue.put_nowait(ev)

    def _on_loop(self, ev: Event) -> None:
        self._put(ev)
        for fn in list(self._handlers.get(ev.msg_type, ())) + list(self._handlers.get(None, ())):
            try:
                res = fn(ev)
                if asyncio.iscoroutine(res):
                    task = self._loop.create_task(res)
                    self._tasks.add(task)
                    task.add_done_callback(self._task_done)
            except Exception as e:  # noqa: BLE001
                self._handler_failed(e, ev)

    def _task_done(self, task: "asyncio.Task[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._handler_failed(task.exception(), None)  # type: ignore[arg-type]

    def _handler_failed(self, e: BaseException, ev: Optional[Event]) -> None:
        self.handler_errors.append(e)
        log.error("cloudcc: handler raised", exc_info=e)


class AsyncAudio:
    """AsyncClient.audio: Client.audio's calls, awaited; each runs in a worker thread (opening a device or the sound server can take a while)."""

    def __init__(self, client: AsyncClient) -> None:
        self._owner = client

    def _run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> "asyncio.Future[_T]":
        return self._owner._loop.run_in_executor(None, lambda: fn(*args, **kwargs))

    async def devices(self) -> AudioDeviceList:
        """Lists the sound devices and the backend; see Audio.devices."""
        return await self._run(self._owner.sync.audio.devices)

    async def select(self, role: Union[AudioRole, str], device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the device of a role; see Audio.select."""
        return await self._run(self._owner.sync.audio.select, role, device)

    async def select_microphone(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the microphone; see Audio.select."""
        return await self.select(AudioRole.MICROPHONE, device)

    async def select_speaker(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the speaker; see Audio.select."""
        return await self.select(AudioRole.SPEAKER, device)

    async def select_ringer(self, device: Union[AudioDevice, str, None]) -> AudioSelection:
        """Chooses the ringer; see Audio.select."""
        return await self.select(AudioRole.RINGER, device)

    async def processing(self, uuid: Optional[str] = None, *, aec: Optional[bool] = None, ns: Optional[bool] = None,
                         agc: Optional[bool] = None, vad: Optional[bool] = None) -> AudioProcessing:
        """Sets voice-processing switches and returns the state; see Audio.processing."""
        return await self._run(self._owner.sync.audio.processing, uuid, aec=aec, ns=ns, agc=agc, vad=vad)

    async def ringtone(self, ringtone: Any) -> None:
        """Sets the ringtone; see Audio.ringtone."""
        await self._run(self._owner.sync.audio.ringtone, ringtone)
