"""Client: one agent's session with the CTI server, over libcloudcc."""

from __future__ import annotations

import atexit
import collections
import itertools
import json
import logging
import os  # noqa: F401 - os.PathLike in annotations (the os argument shadows it inside __init__)
import threading
import time
import weakref
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Type, TypeVar, Union

from . import _ffi
from ._requests import Requests
from .audio import Audio, PrecallResult, precall_params
from .config import IceServer, config_json
from .errors import ClientClosed, InvalidArgument, from_status, server_error
from .events import Event, LogEvent, RTCCallEvent, event_kind, parse_event
from .replies import Reply, parse_reply

__all__ = ["Client", "Handler", "ms"]

log = logging.getLogger("cloudcc")

Handler = Callable[[Any], Any]
EvT = TypeVar("EvT", bound=Event)

# Native callbacks carry a small integer id, never a Python pointer: a late
# callback for a client that is gone finds nothing and is dropped.
_ids = itertools.count(1)
_clients: "weakref.WeakValueDictionary[int, Client]" = weakref.WeakValueDictionary()
_live: "weakref.WeakSet[Client]" = weakref.WeakSet()

_LOG_LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
               "error": logging.ERROR}


def ms(seconds: Optional[float]) -> int:
    """Seconds (None: the configured default) as the library's milliseconds."""
    if seconds is None:
        return 0
    if seconds < 0:
        return -1
    return max(1, int(round(seconds * 1000)))


@_ffi.EVENT_FN
def _on_native_event(user_data: Optional[int], event_json: Optional[bytes]) -> None:
    # Runs on the library's event thread for this client. Nothing may escape:
    # an exception here would only be printed by ctypes and lost.
    try:
        client = _clients.get(user_data or 0)
        if client is not None and event_json is not None:
            client._dispatch(event_json.decode("utf-8", errors="replace"))
    except BaseException:  # noqa: BLE001 - the native thread must never see it
        log.exception("cloudcc: event dispatch failed")


_pcm_fns: Dict[int, Any] = {}
_pcm_sinks: Dict[Any, int] = {}
_pcm_lock = threading.Lock()  # one set_pcm_sink at a time, so the native sink and the tables agree


def _pcm_key(client: "Client", uuid: Optional[str]) -> Any:
    return (id(client), uuid or "")


@_ffi.PCM_FN
def _on_native_pcm(user_data: Optional[int], uuid: Optional[bytes], samples: Any, count: int, rate: int) -> None:
    # A media thread of the library; copy the samples, they are only lent.
    try:
        entry = _pcm_fns.get(user_data or 0)
        if entry is None:
            return
        ref, fn = entry
        client = ref()
        if client is None:
            return
        import array
        import ctypes

        arr = array.array("h")
        arr.frombytes(ctypes.string_at(samples, count * 2))
        fn(uuid.decode() if uuid else "", arr, rate)
    except BaseException:  # noqa: BLE001
        log.exception("cloudcc: PCM sink raised")


@atexit.register
def _close_all() -> None:
    # Native threads must not call into an interpreter that is shutting down.
    for c in list(_live):
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass


class Client(Requests[Reply]):
    """One agent's CTI session; every request method sends one spec request and returns its Reply.

    Requests raise ServerError when the server refuses (code != "0"; a
    subclass such as BadPassword or NotAuthorized for the codes that have
    one), and the other CloudCCError subclasses for SDK-side failures
    (NotCheckedIn: no token yet, nothing was sent). Events go to the
    handlers registered with `on` / `add_handler`, called in order on the
    SDK's event thread; they are also kept for `wait_event`. The client is
    safe to use from many threads, and from inside its handlers. Close it
    (or use it as a context manager): that frees the native session.
    """

    def __init__(
        self,
        ws_url: str,
        *,
        http_url: Optional[str] = None,
        company_code: Optional[str] = None,
        agent_id: Optional[str] = None,
        ext_id: Optional[str] = None,
        os: Optional[str] = None,
        language: Optional[str] = None,
        token: Optional[str] = None,
        request_timeout: Optional[float] = None,
        dial_timeout: Optional[float] = None,
        http_timeout: Optional[float] = None,
        heartbeat_interval: Optional[float] = None,
        heartbeat_misses: Optional[int] = None,
        reconnect: Optional[bool] = None,
        reconnect_min: Optional[float] = None,
        reconnect_max: Optional[float] = None,
        reconnect_stable: Optional[float] = None,
        event_queue_max: Optional[int] = None,
        event_queue_max_bytes: Optional[int] = None,
        async_max: Optional[int] = None,
        tls_ca_file: Optional[str] = None,
        tls_ca_pem: Optional[str] = None,
        tls_insecure: Optional[bool] = None,
        log_level: Optional[str] = None,
        rtc: Optional[bool] = None,
        rtc_domain: Optional[str] = None,
        rtc_scheme: Optional[str] = None,
        rtc_url_template: Optional[str] = None,
        ice_servers: Optional[Sequence[Union[IceServer, Mapping[str, Any]]]] = None,
        rtc_stats_interval: Optional[float] = None,
        rtc_keepalive: Optional[float] = None,
        rtc_default_source: Optional[str] = None,
        rtc_include_loopback: Optional[bool] = None,
        rtc_auto_answer: Optional[str] = None,
        rtc_auto_answer_window: Optional[float] = None,
        rtc_max_calls: Optional[int] = None,
        rtc_ring_timeout: Optional[float] = None,
        rtc_max_message_bytes: Optional[int] = None,
        rtc_media_timeout: Optional[float] = None,
        rtc_media_failure: Optional[str] = None,
        rtc_audio: Optional[str] = None,
        audio_microphone: Optional[str] = None,
        audio_speaker: Optional[str] = None,
        audio_ringer: Optional[str] = None,
        audio_ringtone: Union[str, "os.PathLike[str]", bool, None] = None,
        audio_aec: Optional[bool] = None,
        audio_ns: Optional[bool] = None,
        audio_agc: Optional[bool] = None,
        audio_vad: Optional[bool] = None,
        rtc_quality_warnings: Optional[bool] = None,
        rtc_echo_number: Optional[str] = None,
        event_buffer: int = 1000,
    ) -> None:
        """Makes a client for one agent; no network until the first request. Durations are in seconds.

        ws_url is "ws://host:25001/msg/" for the platform (ending in "/": the
        SDK appends the agent's identity; company_code and agent_id are then
        required) or the spec's "ws://host/ws". ext_id is the agent's bound
        extension: check-in needs it (here or as a checkin argument). Every
        other argument is a config key of include/cloudcc.h (None: the
        library's default; a negative duration: -1, off / never):

        Args:
            http_url: SDK HTTP interface, "http://host:port" or with the service's root path.
            company_code: fills the requests that leave it empty.
            agent_id: fills the requests that leave it empty.
            ext_id: the agent's bound extension; check-in needs it, the SDK never invents one.
            os: fills the requests that leave it empty (default: the host's OS).
            language: "zh-CN" (default) or "en-US": the LANGUAGE header and the SDK's error messages.
            token: a token from get-token, when known before check-in.
            request_timeout: default timeout of a request (5 s).
            dial_timeout: WebSocket handshake timeout (10 s).
            http_timeout: default timeout of an HTTP call (10 s).
            heartbeat_interval: ping period (20 s); -1 turns the heartbeat off.
            heartbeat_misses: unanswered pings before the link is dead (3).
            reconnect: True (default) reconnects with backoff and restores a checked-in session.
            reconnect_min: first reconnect delay (0.5 s); it doubles at each attempt.
            reconnect_max: largest reconnect delay (30 s).
            reconnect_stable: a link must stay up this long for the backoff to start over (10 s).
            event_queue_max: events waiting for this client's handlers before the oldest are dropped (100000).
            event_queue_max_bytes: bytes of events waiting before the oldest are dropped (16 MiB).
            async_max: async requests in flight at once (1000); one more raises Busy.
            tls_ca_file: a PEM file of extra trusted CAs.
            tls_ca_pem: extra trusted CAs, PEM text.
            tls_insecure: True skips certificate checks (tests only).
            log_level: lowest level of the "log" events: trace, debug, info, warn (default), error, off.
            rtc: True (default): with check-in's login_type "1" the SDK is the agent's phone; False: never.
            rtc_domain: SIP domain of sip:{ext_id}@{domain} (default: the host of rtc_address).
            rtc_scheme: "ws" or "wss" for an rtc_address without a scheme (default: wss when ws_url is wss).
            rtc_url_template: the SIP WebSocket URL made of rtc_address's parts, e.g. "wss://{host}:7443/".
            ice_servers: STUN/TURN servers: IceServer objects or dicts {"urls", "username", "credential"}.
            rtc_stats_interval: an "rtc_stats" event per call this often (default none).
            rtc_keepalive: SIP link WebSocket ping period (25 s); -1 turns it off.
            rtc_default_source: what a new call sends: "silence" (default), "tone:HZ" or "wav:PATH".
            rtc_include_loopback: gather loopback ICE candidates (a PBX on this host).
            rtc_auto_answer: which INVITEs the SDK answers itself: "requests" (default), "hints" or "off".
            rtc_auto_answer_window: how long after such a request an INVITE is taken for it (15 s).
            rtc_max_calls: SIP calls at once (4); -1 no limit.
            rtc_ring_timeout: an unanswered ringing call ends after this (60 s); -1 never.
            rtc_max_message_bytes: largest SIP message taken (65536).
            rtc_media_timeout: time ICE/DTLS get to connect (15 s); -1 never.
            rtc_media_failure: "hangup" (default) or "flag" when the media does not connect.
            rtc_audio: where a call's audio goes: "host" (default: push_pcm / pcm_sink), "device" (the sound devices), "none".
            audio_microphone: the microphone's device id (default: the default communications input); see audio.devices().
            audio_speaker: the speaker's device id (default: the default communications output).
            audio_ringer: the ringtone's device id (default: the default output).
            audio_ringtone: "builtin" (default), "off", "wav:PATH" (16-bit PCM) or a path; True is builtin, False off.
            audio_aec: echo cancellation (default on in device mode, off in host mode).
            audio_ns: noise suppression (default on in device mode, off in host mode).
            audio_agc: automatic gain control (default on in device mode, off in host mode).
            audio_vad: voice activity detection (default on in device mode, off in host mode).
            rtc_quality_warnings: True (default) samples each call every second and raises CallQualityWarningEvent.
            rtc_echo_number: the number precall_test calls for its echo step ("" or None: the step is skipped).
            event_buffer: events kept for wait_event (oldest dropped; 0 keeps none). Not a config key.
        """
        options = dict(locals())
        for k in ("self", "ws_url", "event_buffer", "__class__"):
            options.pop(k, None)
        self._lock = threading.Lock()
        self._handlers: Dict[Optional[str], List[Handler]] = {}
        self._buffer: Deque[Event] = collections.deque(maxlen=event_buffer if event_buffer > 0 else 0)
        self._cond = threading.Condition(self._lock)
        self._closed = False
        self._handle: Optional[int] = None
        self._event_thread: Optional[int] = None
        self.handler_errors: Deque[BaseException] = collections.deque(maxlen=100)
        """Exceptions raised by handlers (most recent last); each one was also logged."""
        self.on_handler_error: Optional[Callable[[BaseException, Event], None]] = None
        """Called with (exception, event) when a handler raises; None logs it only."""
        self.language = language or "zh-CN"
        self.audio = Audio(self)
        """The agent's sound devices and voice processing (RTC mode; see cloudcc.audio)."""

        st, handle, err = _ffi.client_new(config_json(ws_url, options))
        if st != _ffi.OK or not handle:
            raise from_status(st, err)
        self._handle = handle
        self._id = next(_ids)
        _clients[self._id] = self
        _live.add(self)
        st = _ffi.set_event_callback(handle, _on_native_event, self._id)
        if st != _ffi.OK:
            self.close()
            raise from_status(st, None)

    # --- lifecycle -----------------------------------------------------

    def close(self) -> None:
        """Closes the session (without checking out) and frees the native client; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            handle, self._handle = self._handle, None
            self._cond.notify_all()
        _live.discard(self)
        with _pcm_lock:
            for key in [k for k in _pcm_sinks if k[0] == id(self)]:
                _pcm_fns.pop(_pcm_sinks.pop(key), None)
        if handle:
            # The GIL is released during the call, so a handler running on the
            # SDK's thread can finish; from inside a handler this returns at once.
            _ffi.client_free(handle)

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    def _h(self) -> int:
        h = self._handle
        if h is None:
            raise ClientClosed(_ffi.ERR_CLOSED, str(_ffi.ERR_CLOSED), "client is closed")
        return h

    # --- requests ------------------------------------------------------

    def request(self, payload: Mapping[str, Any], timeout: Optional[float] = None, check: bool = True) -> Reply:
        """Sends any request (a dict with msg_type and the spec's fields) and returns its Reply.

        check=False returns a refusal as a Reply instead of raising ServerError.
        """
        # The hot path of every request: kept short (each Python step here
        # costs several times its own time in the round trip).
        try:
            data = _encode_json(payload).encode()
        except (TypeError, ValueError) as e:
            raise InvalidArgument(_ffi.ERR_INVALID_ARGUMENT, "-1", f"request is not JSON: {e}") from None
        h = self._handle
        if h is None:
            self._h()  # raises ClientClosed
        st, text = _ffi.request(h, data, ms(timeout))
        if st != _ffi.OK:
            raise from_status(self._status(st), text)
        reply = parse_reply(text or "{}", _request_type(payload))
        if check and reply.code != "0":
            raise server_error(reply.code, reply.msg, reply.data)
        return reply

    def _finish(self, st: int, text: Optional[str], check: bool = True, request_type: Optional[str] = None) -> Reply:
        if st != _ffi.OK:
            raise from_status(self._status(st), text)
        reply = parse_reply(text or "{}", request_type)
        if check and not reply.ok:
            raise server_error(reply.code, reply.msg, reply.data)
        return reply

    def _status(self, st: int) -> int:
        # A freed handle on a client closed meanwhile is CLOSED, not a bad handle.
        return _ffi.ERR_CLOSED if st == _ffi.ERR_INVALID_HANDLE and self._closed else st

    def _send(self, payload: Dict[str, Any], timeout: Optional[float]) -> Reply:
        return self.request(payload, timeout)

    def http(self, name: str, params: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None,
             check: bool = True) -> Reply:
        """Calls the SDK HTTP interface by name ("get-token", "get-skill-service-list", ...)."""
        body = _encode_json(dict(params or {})).encode()
        st, text = _ffi.http(self._h(), name, body, ms(timeout))
        return self._finish(st, text, check=check, request_type=name)

    def _send_http(self, name: str, params: Dict[str, Any], timeout: Optional[float]) -> Reply:
        return self.http(name, params, timeout)

    # --- RTC media (login_type 1: the SDK is the agent's phone) -----------
    # uuid None means the agent's current call. Outside RTC mode these raise
    # Unsupported; an unknown call raises InvalidArgument.

    def _media(self, name: str, **params: Any) -> Dict[str, Any]:
        body = json.dumps({k: v for k, v in params.items() if v is not None}).encode()
        st, text = _ffi.media(self._h(), name, body)
        if st != _ffi.OK:
            raise from_status(self._status(st), text)
        return json.loads(text or "{}")

    def play_wav(self, path: str, uuid: Optional[str] = None, loop: bool = False) -> None:
        """Sends a WAV file (PCM16, any rate) into the call instead of the current source."""
        self._media("play_wav", uuid=uuid, path=str(path), loop=loop)

    def play_tone(self, hz: float, uuid: Optional[str] = None) -> None:
        """Sends a sine tone of hz into the call."""
        self._media("play_tone", uuid=uuid, hz=hz)

    def stop_play(self, uuid: Optional[str] = None) -> None:
        """Sends silence into the call."""
        self._media("stop_play", uuid=uuid)

    def record_wav(self, path: str, uuid: Optional[str] = None) -> None:
        """Records the call's received audio to a WAV file (finished at stop_record or call end)."""
        self._media("record_wav", uuid=uuid, path=str(path))

    def stop_record(self, uuid: Optional[str] = None) -> None:
        """Finishes the call's WAV recording."""
        self._media("stop_record", uuid=uuid)

    def call_stats(self, uuid: Optional[str] = None) -> Dict[str, Any]:
        """The call's quality figures now (rtt, jitter, loss, bitrate, mos, packets)."""
        return dict(self._media("stats", uuid=uuid).get("stats") or {})

    def rtc_calls(self) -> List[str]:
        """The uuids of the phone's calls."""
        return list(self._media("calls").get("calls") or [])

    def precall_test(self, echo_number: Optional[str] = None, seconds: float = 5) -> PrecallResult:
        """Runs the pre-call test before the agent takes calls and returns its grade, figures and steps.

        It checks that the registrar can be reached, gathers ICE candidates
        with the configured servers, calls echo_number (default
        rtc_echo_number; none: the step is skipped) for about `seconds`
        measuring RTT, jitter, loss and MOS, and reads the microphone's
        level. It blocks until done (bounded; the GIL is released). A step
        that fails is named in the result's failed_step, it does not raise;
        a close() meanwhile raises ClientClosed (the test was cut short).
        """
        # A close() meanwhile: the library answers CC_ERR_CLOSED (ClientClosed).
        return PrecallResult.from_json(self._media("precall_test", **precall_params(echo_number, seconds)))

    def push_pcm(self, samples: Any, rate: int = 8000, uuid: Optional[str] = None) -> None:
        """Sends microphone audio (16-bit mono samples: array('h'), bytes, or a sequence of ints) into the call."""
        import array
        import ctypes

        if isinstance(samples, (bytes, bytearray, memoryview)):
            arr = array.array("h")
            arr.frombytes(bytes(samples))
        elif isinstance(samples, array.array) and samples.typecode == "h":
            arr = samples
        else:
            arr = array.array("h", samples)
        n = len(arr)
        buf = (ctypes.c_int16 * n).from_buffer(arr) if n else None
        st = _ffi.push_pcm(self._h(), uuid, buf, n, rate)
        if st != _ffi.OK:
            raise from_status(self._status(st), None)

    def set_pcm_sink(self, fn: Optional[Callable[[str, Any, int], None]], rate: int = 8000,
                     uuid: Optional[str] = None) -> None:
        """Calls fn(uuid, samples: array('h'), rate) with the call's received audio every ~20 ms; None stops.

        fn runs on a media thread of the SDK: keep it short.
        """
        key = _pcm_key(self, uuid)
        with _pcm_lock:
            # The tables change only once the library took the change: a
            # refused one (a bad rate, no such call) leaves the sink in place.
            h = self._h()
            if fn is None:
                st = _ffi.set_pcm_sink(h, uuid, rate, None, 0)
                sid = None
            else:
                sid = next(_ids)
                _pcm_fns[sid] = (weakref.ref(self), fn)
                st = _ffi.set_pcm_sink(h, uuid, rate, _on_native_pcm, sid)
            if st != _ffi.OK:
                if sid is not None:
                    _pcm_fns.pop(sid, None)
                raise from_status(self._status(st), None)
            old = _pcm_sinks.pop(key, None)
            if old is not None:
                _pcm_fns.pop(old, None)  # a frame of the replaced sink already on its way finds nothing
            if sid is not None:
                _pcm_sinks[key] = sid

    def _forget_pcm_sink(self, uuid: str) -> None:
        with _pcm_lock:
            sid = _pcm_sinks.pop(_pcm_key(self, uuid), None)
            if sid is not None:
                _pcm_fns.pop(sid, None)

    # --- events --------------------------------------------------------

    def on(self, kind: Union[str, Type[Event], None] = None) -> Callable[[Handler], Handler]:
        """Decorator: registers the function for events of `kind` (msg_type or Event class; None: all)."""

        _kind_key(kind)  # refuse a bad kind at once, not at decoration

        def register(fn: Handler) -> Handler:
            self.add_handler(fn, kind)
            return fn

        return register

    def add_handler(self, fn: Handler, kind: Union[str, Type[Event], None] = None) -> None:
        """Registers fn for events of `kind` (msg_type such as "callin", an Event class, or None for all)."""
        key = _kind_key(kind)
        with self._lock:
            self._handlers.setdefault(key, []).append(fn)

    def remove_handler(self, fn: Handler, kind: Union[str, Type[Event], None] = None) -> None:
        """Unregisters a handler added for `kind`; unknown handlers are ignored."""
        key = _kind_key(kind)
        with self._lock:
            lst = self._handlers.get(key, [])
            if fn in lst:
                lst.remove(fn)

    def wait_event(
        self,
        kind: Union[str, Type[EvT], None] = None,
        timeout: Optional[float] = None,
        where: Optional[Callable[[Any], bool]] = None,
    ) -> Any:
        """Takes the oldest kept event of `kind` matching `where`, waiting up to timeout seconds.

        Events are kept (up to event_buffer, oldest dropped) from the moment the
        client exists, so an event that came before the call is still found.
        Raises TimeoutError when none comes, ClientClosed when the client closes.
        """
        key = _kind_key(kind)
        if threading.get_ident() == self._event_thread:
            # Events arrive one at a time on this thread: waiting here would wait forever.
            raise RuntimeError("wait_event called from inside an event handler")
        with self._cond:
            end = None if timeout is None else _now() + timeout
            while True:
                for i, ev in enumerate(self._buffer):
                    if (key is None or ev.msg_type == key) and (where is None or where(ev)):
                        del self._buffer[i]
                        return ev
                if self._closed:
                    raise ClientClosed(_ffi.ERR_CLOSED, str(_ffi.ERR_CLOSED), "client is closed")
                left = None if end is None else end - _now()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no {key or 'event'} within {timeout}s")
                self._cond.wait(left)

    def clear_events(self) -> None:
        """Forgets the events kept for wait_event."""
        with self._lock:
            self._buffer.clear()

    def _dispatch(self, text: str) -> None:
        self._event_thread = threading.get_ident()
        try:
            ev = parse_event(text)
            if isinstance(ev, RTCCallEvent) and ev.state == "ended" and ev.uuid:
                self._forget_pcm_sink(ev.uuid)  # the library dropped that call's sink
            self._deliver(ev)
        finally:
            self._event_thread = None

    def _deliver(self, ev: Event) -> None:
        if isinstance(ev, LogEvent):
            log.log(_LOG_LEVELS.get(ev.level, logging.INFO), "%s %s", ev.message, ev.attrs or "")
        with self._lock:
            handlers = list(self._handlers.get(ev.msg_type, ())) + list(self._handlers.get(None, ()))
        try:
            self._run_handlers(ev, handlers)
        finally:
            # Kept for wait_event once its handlers have run, so a waiter sees
            # whatever the handlers did.
            if self._buffer.maxlen and not isinstance(ev, LogEvent):
                with self._lock:
                    self._buffer.append(ev)
                    self._cond.notify_all()

    def _run_handlers(self, ev: Event, handlers: List[Handler]) -> None:
        for fn in handlers:
            try:
                fn(ev)
            except BaseException as e:  # noqa: BLE001 - a handler's fault is reported, not fatal
                self.handler_errors.append(e)
                log.error("cloudcc: %s handler %r raised", ev.msg_type, fn, exc_info=e)
                cb = self.on_handler_error
                if cb is not None:
                    try:
                        cb(e, ev)
                    except BaseException:  # noqa: BLE001
                        log.exception("cloudcc: on_handler_error raised")


# One encoder for every request (json.dumps with arguments makes a new one
# per call): compact, UTF-8 as is.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _request_type(payload: Mapping[str, Any]) -> Optional[str]:
    # A dict first: the Mapping check (an ABC's) costs more than the rest.
    mt = payload.get("msg_type") if type(payload) is dict or isinstance(payload, Mapping) else None
    return mt.strip() if isinstance(mt, str) else None


def _kind_key(kind: Union[str, Type[Event], None]) -> Optional[str]:
    if kind is None or kind == "*":
        return None
    if isinstance(kind, str):
        return kind.strip()
    name = event_kind(kind) if isinstance(kind, type) else None
    if name is None:
        raise InvalidArgument(_ffi.ERR_INVALID_ARGUMENT, "-1", f"not an event kind: {kind!r}")
    return name


def _now() -> float:
    return time.monotonic()
