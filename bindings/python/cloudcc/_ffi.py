"""The one place that knows libcloudcc's C ABI (include/cloudcc.h).

Everything else in the package goes through the functions below. The
library is found, in order, at $CLOUDCC_LIBRARY, inside the package
(cloudcc/_native/<platform>/), in a source checkout's build/lib, or on the
system's library path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
import threading
from pathlib import Path
from typing import Any, List, Optional, Tuple

_LIBNAMES = {
    "win32": "cloudcc.dll",
    "darwin": "libcloudcc.dylib",
}
LIBNAME = _LIBNAMES.get(sys.platform, "libcloudcc.so")

# Status codes of cc_status (cloudcc.h).
OK = 0
ERR_INVALID_ARGUMENT = -1
ERR_INVALID_HANDLE = -2
ERR_TIMEOUT = -3
ERR_NOT_CONNECTED = -4
ERR_CONNECTION_LOST = -5
ERR_CLOSED = -6
ERR_HTTP = -7
ERR_UNSUPPORTED = -8
ERR_TLS = -9
ERR_NOT_CHECKED_IN = -10
ERR_BUSY = -11
ERR_INTERNAL = -99


def _candidates() -> List[str]:
    env = os.environ.get("CLOUDCC_LIBRARY")
    if env:
        return [env]  # an explicit choice is never second-guessed
    here = Path(__file__).resolve().parent
    plat = f"{sys.platform}-{platform.machine().lower()}"
    out = [str(here / "_native" / plat / LIBNAME), str(here / LIBNAME)]
    for parent in here.parents:  # a source checkout: <root>/build/lib
        cand = parent / "build" / "lib" / LIBNAME
        if cand.exists():
            out.append(str(cand))
            break
    found = ctypes.util.find_library("cloudcc")
    if found:
        out.append(found)
    return out


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(f"{path} (missing)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError(
        "cloudcc: cannot load the native library " + LIBNAME + "; set CLOUDCC_LIBRARY to its path. Tried: "
        + "; ".join(tried)
    )


lib = _load()

EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
REPLY_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
PCM_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_size_t,
                          ctypes.c_int)

_c_str_out = ctypes.POINTER(ctypes.c_void_p)  # char** written by the library; freed with cc_string_free

lib.cc_version.argtypes = []
lib.cc_version.restype = ctypes.c_char_p
lib.cc_status_str.argtypes = [ctypes.c_int]
lib.cc_status_str.restype = ctypes.c_char_p
lib.cc_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), _c_str_out]
lib.cc_client_new.restype = ctypes.c_int
lib.cc_client_free.argtypes = [ctypes.c_void_p]
lib.cc_client_free.restype = None
lib.cc_client_set_event_callback.argtypes = [ctypes.c_void_p, EVENT_FN, ctypes.c_void_p]
lib.cc_client_set_event_callback.restype = ctypes.c_int
lib.cc_client_poll_event.argtypes = [ctypes.c_void_p, ctypes.c_int, _c_str_out]
lib.cc_client_poll_event.restype = ctypes.c_int
lib.cc_client_request.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, _c_str_out]
lib.cc_client_request.restype = ctypes.c_int
lib.cc_client_request_async.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, REPLY_FN, ctypes.c_void_p]
lib.cc_client_request_async.restype = ctypes.c_int
lib.cc_client_http.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, _c_str_out]
lib.cc_client_http.restype = ctypes.c_int
lib.cc_client_media.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, _c_str_out]
lib.cc_client_media.restype = ctypes.c_int
lib.cc_client_push_pcm.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_size_t,
                                   ctypes.c_int]
lib.cc_client_push_pcm.restype = ctypes.c_int
lib.cc_client_set_pcm_sink.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, PCM_FN, ctypes.c_void_p]
lib.cc_client_set_pcm_sink.restype = ctypes.c_int
lib.cc_string_free.argtypes = [ctypes.c_void_p]
lib.cc_string_free.restype = None


def version() -> str:
    """Returns the native library's version string."""
    return lib.cc_version().decode()


def status_str(status: int) -> str:
    """Returns the C name of a status code ("CC_ERR_TIMEOUT")."""
    return lib.cc_status_str(status).decode()


def _take(ptr: ctypes.c_void_p) -> Optional[str]:
    """Copies a library-owned string into Python and frees it."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", errors="replace")
    finally:
        lib.cc_string_free(ptr.value)


def client_new(config_json: str) -> Tuple[int, Optional[int], Optional[str]]:
    """Makes a native client: (status, handle, error JSON)."""
    handle = ctypes.c_void_p()
    err = ctypes.c_void_p()
    st = lib.cc_client_new(config_json.encode(), ctypes.byref(handle), ctypes.byref(err))
    return st, handle.value, _take(err)


def client_free(handle: int) -> None:
    """Closes a native client; no callback of it runs once this returns."""
    lib.cc_client_free(handle)


def set_event_callback(handle: int, fn, user_data: int) -> int:
    """Routes the client's events to fn (an EVENT_FN), or to the poll queue when fn is None."""
    return lib.cc_client_set_event_callback(handle, fn if fn is not None else EVENT_FN(), user_data)


def poll_event(handle: int, timeout_ms: int) -> Tuple[int, Optional[str]]:
    """Waits for the next queued event: (status, event JSON)."""
    out = ctypes.c_void_p()
    st = lib.cc_client_poll_event(handle, timeout_ms, ctypes.byref(out))
    return st, _take(out)


_tls = threading.local()


def _out_ptr() -> Tuple[ctypes.c_void_p, Any]:
    """This thread's char* out-parameter and its byref, made once per thread (requests are the hot path)."""
    try:
        return _tls.out
    except AttributeError:
        out = ctypes.c_void_p()
        _tls.out = (out, ctypes.byref(out))
        return _tls.out


_cc_client_request = lib.cc_client_request
_cc_string_free = lib.cc_string_free
_string_at = ctypes.string_at


def request(handle: int, request_json: bytes, timeout_ms: int) -> Tuple[int, Optional[str]]:
    """Sends a request and waits: (status, reply JSON). The GIL is released while waiting."""
    out, outp = _out_ptr()
    st = _cc_client_request(handle, request_json, timeout_ms, outp)
    p = out.value
    if not p:
        return st, None
    out.value = None
    try:
        return st, _string_at(p).decode("utf-8", errors="replace")
    finally:
        _cc_string_free(p)


def request_async(handle: int, request_json: bytes, timeout_ms: int, fn, user_data: int) -> int:
    """Sends a request; fn (a REPLY_FN) gets the outcome exactly once unless this returns < 0."""
    return lib.cc_client_request_async(handle, request_json, timeout_ms, fn, user_data)


def http(handle: int, name: str, params_json: Optional[bytes], timeout_ms: int) -> Tuple[int, Optional[str]]:
    """Calls the SDK HTTP interface: (status, reply JSON)."""
    out = ctypes.c_void_p()
    st = lib.cc_client_http(handle, name.encode(), params_json, timeout_ms, ctypes.byref(out))
    return st, _take(out)


def media(handle: int, name: str, params_json: Optional[bytes]) -> Tuple[int, Optional[str]]:
    """Controls an RTC call's media (play, record, stats): (status, reply JSON)."""
    out = ctypes.c_void_p()
    st = lib.cc_client_media(handle, name.encode(), params_json, ctypes.byref(out))
    return st, _take(out)


def push_pcm(handle: int, uuid: Optional[str], samples, count: int, rate: int) -> int:
    """Sends count 16-bit samples (a ctypes int16 array) into the call; the library copies them."""
    return lib.cc_client_push_pcm(handle, uuid.encode() if uuid else None, samples, count, rate)


def set_pcm_sink(handle: int, uuid: Optional[str], rate: int, fn, user_data: int) -> int:
    """Routes the call's received audio to fn (a PCM_FN), or stops when fn is None."""
    return lib.cc_client_set_pcm_sink(handle, uuid.encode() if uuid else None, rate,
                                      fn if fn is not None else PCM_FN(), user_data)
