"""The spec's 24 requests, get_status and the 3 HTTP calls as keyword-argument methods.

Shared by Client (methods return a Reply) and AsyncClient (they return an
awaitable Reply): each method only builds the spec's JSON object and hands it
to `_send` / `_send_http`. Arguments left as None are not sent: where the
server requires a field (audio, video, out_line), the native SDK fills its
documented default, and a value given here always wins. Extra keyword
arguments are sent as they are (fields newer than this SDK).
"""

from __future__ import annotations

import enum
from typing import Any, Awaitable, Dict, Generic, Optional, TypeVar, Union, overload

from .enums import (
    AgentStatus,
    CallinChannel,
    ConsultMode,
    DTMFType,
    Media,
    OutLine,
    PartyType,
    PlayAction,
    RecordStart,
    ServiceMode,
    StatusAction,
    TransMode,
    TransTarget,
)
from .replies import ChangeMediaReply, Reply, StatusReply, SupervisorReply

# What a request method returns: Reply (Client) or Awaitable[Reply] (AsyncClient).
R = TypeVar("R", covariant=True)

_MediaArg = Union[Media, int, None]


def _value(v: Any) -> Any:
    if isinstance(v, enum.Enum):
        return v.value
    return v


def _flag(v: Union[bool, str]) -> str:
    if isinstance(v, str):
        return v
    return "1" if v else "0"


def build(msg_type: str, **fields: Any) -> Dict[str, Any]:
    """The request object: msg_type plus every field that is not None."""
    out: Dict[str, Any] = {"msg_type": msg_type}
    for k, v in fields.items():
        if v is not None:
            out[k] = _value(v)
    return out


def _media(audio: _MediaArg, video: _MediaArg, pixels: Union[str, int, None]) -> Dict[str, Any]:
    return {"audio": audio, "video": video, "pixels": None if pixels is None else str(pixels)}


def _recording(
    max_ring_time: Union[int, str, None],
    max_call_time: Union[int, str, None],
    record_start: Union[RecordStart, str, None],
    record_contact: Optional[bool],
    is_stereo: Optional[bool],
    record_suffix: Optional[str],
) -> Dict[str, Any]:
    return {
        "max_ring_time": None if max_ring_time is None else str(max_ring_time),
        "max_call_time": None if max_call_time is None else str(max_call_time),
        "record_start": record_start,
        "record_contact": record_contact,
        "is_stereo": is_stereo,
        "record_suffix": record_suffix,
    }


class Requests(Generic[R]):
    """Every request of the protocol; subclasses say how one is sent."""

    def _send(self, payload: Dict[str, Any], timeout: Optional[float]) -> R:
        raise NotImplementedError

    def _send_http(self, name: str, params: Dict[str, Any], timeout: Optional[float]) -> R:
        raise NotImplementedError

    # --- session -------------------------------------------------------

    def checkin(
        self,
        agent_pwd: str,
        *,
        start_status: Union[AgentStatus, str, None] = None,
        reset: Optional[bool] = None,
        agent_ip: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Checks the agent in (签入); the reply carries ext_id, login_type and the token the client keeps."""
        return self._send(
            build("checkin", agent_pwd=agent_pwd, start_status=start_status, reset=reset, agent_ip=agent_ip, **extra),
            timeout,
        )

    def checkout(self, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Checks the agent out (签出); the token becomes void."""
        return self._send(build("checkout", **extra), timeout)

    @overload
    def get_status(self: "Requests[Reply]", *, timeout: Optional[float] = None, **extra: Any) -> StatusReply: ...
    @overload
    def get_status(
        self: "Requests[Awaitable[Reply]]", *, timeout: Optional[float] = None, **extra: Any
    ) -> Awaitable[StatusReply]: ...
    def get_status(self, *, timeout: Optional[float] = None, **extra: Any) -> Any:
        """Reads the agent's status, sub-status, call uuid and the numbers in it (a StatusReply).

        The platform's request (not in the 7.0.0 spec): allowed before check-in
        once a token is known (get_token). A server without it refuses it.
        """
        return self._send(build("get_status", **extra), timeout)

    def ping(self, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Sends one heartbeat; the reply's msg_type is "pong". The SDK also pings by itself."""
        return self._send(build("ping", **extra), timeout)

    def toggle_service_mode(
        self, service_mode: Union[ServiceMode, int], *, timeout: Optional[float] = None, **extra: Any
    ) -> R:
        """Switches between customer-service (1) and outbound (2) mode."""
        return self._send(build("toggle_service_mode", service_mode=service_mode, **extra), timeout)

    def change_status(
        self,
        action: Union[StatusAction, str],
        *,
        rest_min: Union[int, str, None] = None,
        operated_agent_id: Optional[str] = None,
        operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Changes the agent's status (or, for a supervisor's FORCE_* actions, another agent's)."""
        return self._send(
            build(
                "change_status",
                action=action,
                rest_min=None if rest_min is None else str(rest_min),
                operated_agent_id=operated_agent_id,
                operated_ext_id=operated_ext_id,
                **extra,
            ),
            timeout,
        )

    # --- calls ---------------------------------------------------------

    def call(
        self,
        callee_number: str,
        *,
        out_line: Union[OutLine, int, None] = None,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        max_ring_time: Union[int, str, None] = None,
        max_call_time: Union[int, str, None] = None,
        record_start: Union[RecordStart, str, None] = None,
        record_contact: Optional[bool] = None,
        is_stereo: Optional[bool] = None,
        record_suffix: Optional[str] = None,
        work_order_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Places a call (外呼) to an outside number, or with out_line=OutLine.INTERNAL to the agent `callee_number`.

        Left out, out_line is 1 (outside line), audio 3 (send+receive) and
        video 0: the SDK fills what the platform requires. The reply carries
        the call's uuid; callbacks follow.
        """
        return self._send(
            build(
                "call",
                callee_number=callee_number,
                out_line=out_line,
                work_order_id=work_order_id,
                **_media(audio, video, pixels),
                **_recording(max_ring_time, max_call_time, record_start, record_contact, is_stereo, record_suffix),
                **extra,
            ),
            timeout,
        )

    def preview_out_call(
        self,
        task_id: str,
        number_id: str,
        client_number: str,
        current_times: int,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        max_ring_time: Union[int, str, None] = None,
        max_call_time: Union[int, str, None] = None,
        record_start: Union[RecordStart, str, None] = None,
        record_contact: Optional[bool] = None,
        is_stereo: Optional[bool] = None,
        record_suffix: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Places a preview outbound call of a task's number (预览外呼); audio/video default to 3/0."""
        return self._send(
            build(
                "preview_out_call",
                task_id=task_id,
                number_id=number_id,
                client_number=client_number,
                current_times=current_times,
                **_media(audio, video, pixels),
                **_recording(max_ring_time, max_call_time, record_start, record_contact, is_stereo, record_suffix),
                **extra,
            ),
            timeout,
        )

    def answer(
        self,
        uuid: str,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        callin_channel: Union[CallinChannel, str, None] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Answers the ringing call `uuid` from a callin event (接听); audio/video default to the callin's own."""
        return self._send(
            build("answer", uuid=uuid, callin_channel=callin_channel or None, **_media(audio, video, pixels), **extra),
            timeout,
        )

    def hangup(self, uuid: str, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Hangs up the call `uuid` (挂断)."""
        return self._send(build("hangup", uuid=uuid, **extra), timeout)

    def hold(self, uuid: str, hold: bool = True, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Holds (hold=True) or resumes (hold=False) the call `uuid` (保持)."""
        return self._send(build("hold", uuid=uuid, hold=_flag(hold), **extra), timeout)

    def mute(self, uuid: str, mute: bool = True, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Mutes or unmutes the agent's microphone; needs RTC media (raises Unsupported otherwise)."""
        return self._send(build("mute", uuid=uuid, mute=_flag(mute), **extra), timeout)

    def dtmf(
        self,
        uuid: str,
        content: str,
        *,
        dtmf_type: Union[DTMFType, int, None] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Sends DTMF digits (0-9 * # A-D) into the call `uuid` (二次拨号)."""
        return self._send(build("dtmf", uuid=uuid, content=content, dtmf_type=dtmf_type, **extra), timeout)

    @overload
    def change_media(
        self: "Requests[Reply]", uuid: str, *, audio: _MediaArg = None, video: _MediaArg = None,
        pixels: Union[str, int, None] = None, reneg_other: Optional[bool] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> ChangeMediaReply: ...
    @overload
    def change_media(
        self: "Requests[Awaitable[Reply]]", uuid: str, *, audio: _MediaArg = None, video: _MediaArg = None,
        pixels: Union[str, int, None] = None, reneg_other: Optional[bool] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Awaitable[ChangeMediaReply]: ...
    def change_media(
        self,
        uuid: str,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        reneg_other: Optional[bool] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> Any:
        """Switches the call's audio/video directions, e.g. audio to video (音视频切换); a ChangeMediaReply."""
        return self._send(
            build("change_media", uuid=uuid, reneg_other=reneg_other, **_media(audio, video, pixels), **extra),
            timeout,
        )

    def trans(
        self,
        uuid: str,
        type: Union[TransMode, str],
        trans_type: Union[TransTarget, str],
        trans_number: Optional[str] = None,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        max_ring_time: Union[int, str, None] = None,
        max_call_time: Union[int, str, None] = None,
        record_start: Union[RecordStart, str, None] = None,
        record_contact: Optional[bool] = None,
        is_stereo: Optional[bool] = None,
        record_suffix: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Transfers the call `uuid` to an agent, skill, IVR, outside number or the survey (转接)."""
        return self._send(
            build(
                "trans",
                uuid=uuid,
                type=type,
                trans_type=trans_type,
                trans_number=trans_number,
                **_media(audio, video, pixels),
                **_recording(max_ring_time, max_call_time, record_start, record_contact, is_stereo, record_suffix),
                **extra,
            ),
            timeout,
        )

    def consult(
        self,
        uuid: str,
        type: Union[ConsultMode, str],
        consult_type: Union[PartyType, str],
        consult_number: str,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        max_ring_time: Union[int, str, None] = None,
        max_call_time: Union[int, str, None] = None,
        record_start: Union[RecordStart, str, None] = None,
        record_contact: Optional[bool] = None,
        is_stereo: Optional[bool] = None,
        record_suffix: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Starts (or cancels) a consultation with an agent or an outside number (咨询)."""
        return self._send(
            build(
                "consult",
                uuid=uuid,
                type=type,
                consult_type=consult_type,
                consult_number=consult_number,
                **_media(audio, video, pixels),
                **_recording(max_ring_time, max_call_time, record_start, record_contact, is_stereo, record_suffix),
                **extra,
            ),
            timeout,
        )

    def consult_to_trans(self, consult_uuid: str, *, timeout: Optional[float] = None, **extra: Any) -> R:
        """Turns the consultation `consult_uuid` into a transfer (咨询转转接)."""
        return self._send(build("consult_to_trans", consult_uuid=consult_uuid, **extra), timeout)

    def three_way(
        self,
        uuid: str,
        three_way_type: Union[PartyType, str],
        three_way_number: str,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        max_ring_time: Union[int, str, None] = None,
        max_call_time: Union[int, str, None] = None,
        record_start: Union[RecordStart, str, None] = None,
        record_contact: Optional[bool] = None,
        is_stereo: Optional[bool] = None,
        record_suffix: Optional[str] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Adds a third party to the call `uuid` (三方通话)."""
        return self._send(
            build(
                "three_way",
                uuid=uuid,
                three_way_type=three_way_type,
                three_way_number=three_way_number,
                **_media(audio, video, pixels),
                **_recording(max_ring_time, max_call_time, record_start, record_contact, is_stereo, record_suffix),
                **extra,
            ),
            timeout,
        )

    def play_record(
        self,
        file_path: str,
        uuid: Optional[str] = None,
        *,
        audio: _MediaArg = None,
        video: _MediaArg = None,
        pixels: Union[str, int, None] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Plays a recording into the call (or to the agent); the reply carries the playback's uuid (放音).

        audio/video default to 3/0.
        """
        return self._send(
            build("play_record", file_path=file_path, uuid=uuid, **_media(audio, video, pixels), **extra), timeout
        )

    def play_record_control(
        self,
        uuid: str,
        action: Union[PlayAction, str],
        *,
        speed_value: Optional[int] = None,
        volume_value: Optional[int] = None,
        seek_value: Optional[int] = None,
        timeout: Optional[float] = None,
        **extra: Any,
    ) -> R:
        """Controls the playback `uuid`: pause, resume, replay, seek, speed, stop, volume (放音控制)."""
        return self._send(
            build(
                "play_record_control",
                uuid=uuid,
                action=action,
                speed_value=speed_value,
                volume_value=volume_value,
                seek_value=seek_value,
                **extra,
            ),
            timeout,
        )

    # --- supervisors ---------------------------------------------------

    @overload
    def eavesdrop(
        self: "Requests[Reply]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> SupervisorReply: ...
    @overload
    def eavesdrop(
        self: "Requests[Awaitable[Reply]]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Awaitable[SupervisorReply]: ...
    def eavesdrop(
        self, operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Any:
        """Listens in on another agent's call (监听; supervisors); the reply's uuid is the supervisor's leg."""
        return self._supervise("eavesdrop", operated_agent_id, operated_ext_id, timeout, extra)

    @overload
    def whisper(
        self: "Requests[Reply]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> SupervisorReply: ...
    @overload
    def whisper(
        self: "Requests[Awaitable[Reply]]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Awaitable[SupervisorReply]: ...
    def whisper(
        self, operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Any:
        """Speaks to another agent during its call, unheard by the customer (耳语; supervisors)."""
        return self._supervise("whisper", operated_agent_id, operated_ext_id, timeout, extra)

    @overload
    def substitute(
        self: "Requests[Reply]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> SupervisorReply: ...
    @overload
    def substitute(
        self: "Requests[Awaitable[Reply]]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Awaitable[SupervisorReply]: ...
    def substitute(
        self, operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Any:
        """Picks up the call ringing at another agent (代接; supervisors); the reply's uuid is the picked-up leg."""
        return self._supervise("substitute", operated_agent_id, operated_ext_id, timeout, extra)

    @overload
    def force_call(
        self: "Requests[Reply]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> SupervisorReply: ...
    @overload
    def force_call(
        self: "Requests[Awaitable[Reply]]", operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Awaitable[SupervisorReply]: ...
    def force_call(
        self, operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> Any:
        """Barges into another agent's call (强插; supervisors); the reply's uuid is the supervisor's leg."""
        return self._supervise("force_call", operated_agent_id, operated_ext_id, timeout, extra)

    def _supervise(
        self, msg_type: str, operated_agent_id: str, operated_ext_id: Optional[str], timeout: Optional[float],
        extra: Dict[str, Any],
    ) -> Any:
        return self._send(
            build(msg_type, operated_agent_id=operated_agent_id, operated_ext_id=operated_ext_id, **extra), timeout
        )

    def interrupt_call(
        self, operated_agent_id: str, *, operated_ext_id: Optional[str] = None,
        timeout: Optional[float] = None, **extra: Any,
    ) -> R:
        """Ends another agent's call by force (强拆; supervisors)."""
        return self._supervise("interrupt_call", operated_agent_id, operated_ext_id, timeout, extra)

    # --- HTTP interface -------------------------------------------------

    def get_token(
        self,
        agent_pwd: str,
        *,
        company_code: Optional[str] = None,
        agent_id: Optional[str] = None,
        os: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> R:
        """Gets a token without checking in (HTTP get-token); the client then uses it."""
        params = {"agent_pwd": agent_pwd, "company_code": company_code, "agent_id": agent_id, "os": os}
        return self._send_http("get-token", {k: v for k, v in params.items() if v is not None}, timeout)

    def get_skill_service_list(
        self, service_name: str = "", *, company_code: Optional[str] = None, timeout: Optional[float] = None
    ) -> R:
        """Lists the company's skill groups whose name contains service_name (HTTP; needs the token)."""
        params = {"service_name": service_name, "company_code": company_code}
        return self._send_http("get-skill-service-list", {k: v for k, v in params.items() if v is not None}, timeout)

    def get_ivr_service_list(
        self, service_name: str = "", *, company_code: Optional[str] = None, timeout: Optional[float] = None
    ) -> R:
        """Lists the company's IVR flows whose name contains service_name (HTTP; needs the token)."""
        params = {"service_name": service_name, "company_code": company_code}
        return self._send_http("get-ivr-service-list", {k: v for k, v in params.items() if v is not None}, timeout)
