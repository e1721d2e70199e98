"""Misbehaviour on purpose: transport faults that break the connection, and scripted delays
that end early when the client leaves (or the server stops)."""

from __future__ import annotations

import json
import socket
import struct
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio
from starlette.types import Receive, Send

from .errors import MockServerError, default_error
from .rules import Action
from .wire import JSON_CONTENT_TYPE, Reply, empty_reply, encode_headers, error_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["TransportFault", "client_stays", "fault_reply", "perform_fault", "scripted_reply"]


class TransportFault(MockServerError, ConnectionError):
    """Raised in process (no socket to break) where a live server would break the connection."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"scripted transport fault: {kind}")
        self.kind = kind


def _transport(send: Send) -> Any:
    # uvicorn's send is a bound method of its request-response cycle, which holds the
    # asyncio transport; an in-process caller (httpx's ASGITransport, respx) has none.
    return getattr(getattr(send, "__self__", None), "transport", None)


async def perform_fault(kind: str, reply: Reply, send: Send) -> None:
    """Break the connection under ``send``: reset it, close it without an answer, or start
    ``reply`` and close after half its body. In process, raise :class:`TransportFault`."""
    transport = _transport(send)
    if kind == "truncated_body":
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        half = reply.body[: len(reply.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
    if transport is None:
        raise TransportFault(kind)
    if transport.is_closing():  # the client left already: nothing to break
        pass
    elif kind == "connection_reset":
        sock = transport.get_extra_info("socket")
        try:
            if sock is not None:
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:  # the socket went away meanwhile
            pass
        transport.abort()
    else:
        transport.close()
    # Let uvicorn see the connection as lost before the app returns, so it neither logs an
    # incomplete response nor tries to answer with a 500.
    for _ in range(3):
        await anyio.sleep(0)


#: Set while a request is answered on its caller's thread with no event loop (the respx
#: route's sync path): a scripted delay then sleeps the thread. Never guessed from the
#: absence of an asyncio loop, which trio would share.
SERVED_IN_PLACE: ContextVar[bool] = ContextVar("apple_music_mock_served_in_place", default=False)


async def client_stays(seconds: float, receive: Receive, delays: set[Any]) -> bool:
    """Wait ``seconds`` (cut short when the server stops: the scope is in ``delays``);
    False as soon as the client disconnects (the request body, which the fake does not read
    here, is drained meanwhile). Served in place (a sync client answered on its own thread by
    the respx route, which sets ``SERVED_IN_PLACE``: no event loop runs there) the thread
    sleeps: its caller waits for the answer anyway."""
    if SERVED_IN_PLACE.get():
        time.sleep(seconds)
        return True
    with anyio.move_on_after(seconds) as scope:
        delays.add(scope)
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
        finally:
            delays.discard(scope)
    return True


def fault_reply(action: Action) -> Reply:
    """What a truncated body is half of: the action's body, or its status's default."""
    status = action.status if action.status not in (None, 202) else 500
    if action.has_body:
        body = action.body
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers = [(b"content-type", JSON_CONTENT_TYPE.encode())]
        return Reply(status, [*headers, (b"content-length", str(len(content)).encode())], content)
    return error_reply(default_error(status))


def scripted_reply(pipeline: Pipeline, call: Call, action: Action) -> Reply:
    """The answer of a rule's action (faults aside) in ``pipeline``'s configuration."""
    status = action.status or 500
    headers = dict(action.headers or {})
    if action.has_body:
        body = action.body
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers.setdefault("content-type", JSON_CONTENT_TYPE)
        raw = encode_headers(headers)
        return Reply(status, [*raw, (b"content-length", str(len(content)).encode())], content)
    if status == 202:
        success_content_type = pipeline.settings.success_content_type
        return empty_reply(202, content_type=success_content_type, headers=headers)
    if status == 401:
        reply = pipeline.unauthorized()
        return reply.with_headers(encode_headers(headers))
    return call.fail(default_error(status), headers)
