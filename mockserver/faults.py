"""Transport faults on purpose: connection reset, empty response, truncated body."""

from __future__ import annotations

import json
import socket
import struct
from typing import TYPE_CHECKING, Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import MockServerError
from .rules import DEFAULT_ERRORS, Action

if TYPE_CHECKING:
    from .pipeline import Exchange

__all__ = ["FaultResponse", "TransportFault", "perform_fault"]


class TransportFault(MockServerError, ConnectionError):
    """Raised in process (no socket to break) where a live server would break the connection."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"scripted transport fault: {kind}")
        self.kind = kind


class FaultResponse(Response):
    """Marks the exchange faulty; for a truncated body, starts the answer and sends half of it.

    The connection itself is broken by :func:`perform_fault`, outside Starlette's middleware,
    so no error handler turns the fault into a 500.
    """

    def __init__(self, action: Action, exchange: Exchange) -> None:
        super().__init__(b"")
        self.action = action
        self.exchange = exchange
        self.full_body = b""
        if action.fault == "truncated_body":
            status = action.status if action.status not in (None, 202) else 500
            if action.has_body:
                body: Any = action.body
                self.full_body = (
                    body.encode() if isinstance(body, str) else json.dumps(body).encode()
                )
            else:
                error = DEFAULT_ERRORS.get(status, DEFAULT_ERRORS[500])
                self.full_body = json.dumps({"errors": [error.to_json()]}).encode()
            self.status_code = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.action.fault
        assert kind is not None
        self.exchange.fault = kind
        if kind != "truncated_body":
            return
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(self.full_body)).encode()),
                ],
            }
        )
        half = self.full_body[: len(self.full_body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


async def perform_fault(kind: str, send: Send) -> None:
    """Break the connection under ``send`` (uvicorn's), or raise TransportFault in process."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise TransportFault(kind)
    if kind == "connection_reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let uvicorn see the connection as lost before the app returns, so it neither logs an
    # incomplete response nor tries to answer with a 500.
    for _ in range(3):
        await anyio.sleep(0)
