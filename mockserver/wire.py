"""The wire: query strings as clients encode them, the request headers the fake reads, and
complete answers as raw ASGI messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import AppleError

__all__ = [
    "JSON_CONTENT_TYPE",
    "Headers",
    "Query",
    "Reply",
    "decode_query",
    "empty_reply",
    "encode_headers",
    "error_reply",
    "exchange",
    "json_reply",
    "read_body",
    "read_headers",
    "typed_ids",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_JSON_HEADER = (b"content-type", JSON_CONTENT_TYPE.encode())

Headers = dict[str, str]
"""The request headers the fake reads, by lower-case name (the first of repeated ones)."""

_WANTED = {
    name.encode(): name
    for name in (
        "authorization",
        "music-user-token",
        "media-user-token",
        "origin",
        "host",
        "content-type",
        "cookie",
        "access-control-request-method",
        "access-control-request-headers",
    )
}


_WANTED_NAME = _WANTED.get


def read_headers(raw: Sequence[tuple[bytes, bytes]]) -> Headers:
    """The headers the checks read (ASGI gives names in lower case): of repeated ones the
    first, which a pass from the last to the first leaves in place."""
    return {
        key: value.decode("latin-1")
        for name, value in reversed(raw)
        if (key := _WANTED_NAME(name)) is not None
    }


def _unquote(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def _plain(raw: bytes) -> str | None:
    """``raw`` as text when it is valid UTF-8 with no ``+`` and no escapes but the common
    ``%5B``, ``%5D`` and ``%2C`` (then decoding it is a few replacements); None otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "+" in text:
        return None
    if "%" in text:
        text = text.replace("%5B", "[").replace("%5D", "]").replace("%2C", ",")
        if "%" in text:
            text = text.replace("%5b", "[").replace("%5d", "]").replace("%2c", ",")
            if "%" in text:
                return None
    return text


def _pairs_of(text: str) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key, equals, value in (piece.partition("=") for piece in text.split("&"))
        if key or equals
    ]


def decode_query(raw: bytes) -> list[tuple[str, str]]:
    """Split and percent-decode a raw query string; every wire form gives the same pairs.

    >>> decode_query(b"ids%5Bsongs%5D=1%2C2&l=en-US")
    [('ids[songs]', '1,2'), ('l', 'en-US')]
    """
    text = _plain(raw)
    if text is not None:
        return _pairs_of(text)
    pairs = []
    for piece in raw.split(b"&"):
        if piece:
            key, _, value = piece.partition(b"=")
            pairs.append((_unquote(key), _unquote(value)))
    return pairs


def typed_ids(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``ids[TYPE]`` elements per TYPE, repeated keys merged, in the order sent.

    >>> typed_ids([("ids[songs]", "1,2"), ("l", "en-US"), ("ids[songs]", "3")])
    {'songs': ['1', '2', '3']}
    """
    ids: dict[str, list[str]] = {}
    for key, value in pairs:
        if key[:4] == "ids[" and key[-1:] == "]":
            elements = value.split(",") if value else []
            type_ = key[4:-1]
            if type_ in ids:
                ids[type_] += elements
            else:
                ids[type_] = elements
    return ids


class Query:
    """One request's raw query, decoded at most once: its plain text at once (every request
    that gets as far as its query needs it), pairs and ids on first use."""

    __slots__ = ("_ids", "_pairs", "raw", "text")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.text = _plain(raw)
        """The query as text when decoding it is only replacing the common escapes
        (``%5B``, ``%5D``, ``%2C``) in valid UTF-8 without ``+``; None when it needs the full
        percent-decoding of :attr:`pairs`."""
        self._pairs: list[tuple[str, str]] | None = None
        self._ids: dict[str, list[str]] | None = None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        if self._pairs is None:
            text = self.text
            self._pairs = _pairs_of(text) if text is not None else decode_query(self.raw)
        return self._pairs

    @property
    def ids(self) -> dict[str, list[str]]:
        """``ids[TYPE]`` elements per TYPE (see :func:`typed_ids`)."""
        if self._ids is None:
            text = self.text
            if text is None:
                self._ids = typed_ids(self.pairs)
            else:  # a plain query: its ``ids[TYPE]=…`` pieces, by plain string operations
                ids: dict[str, list[str]] = {}
                for piece in text.split("&"):
                    if piece.startswith("ids["):
                        key, _, value = piece.partition("=")
                        if len(key) > 4 and key[-1] == "]":
                            type_ = key[4:-1]
                            elements = value.split(",") if value else []
                            if type_ in ids:
                                ids[type_] += elements
                            else:
                                ids[type_] = elements
                self._ids = ids
        return self._ids


class Reply(NamedTuple):
    """A complete answer as raw ASGI parts."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})

    def with_headers(self, extra: list[tuple[bytes, bytes]]) -> Reply:
        """The same answer with ``extra`` headers added (replacing ones of the same name)."""
        if not extra:
            return self
        names = {name for name, _ in extra}
        kept = [(name, value) for name, value in self.headers if name not in names]
        return Reply(self.status, kept + extra, self.body)


def encode_headers(headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
    """ASGI header pairs (lower-case names) of ``headers``."""
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]


def _complete(
    body: bytes, content_type: bool, headers: Mapping[str, str] | None
) -> list[tuple[bytes, bytes]]:
    raw = encode_headers(headers)
    names = {k for k, _ in raw}
    if content_type and b"content-type" not in names:
        raw.append(_JSON_HEADER)
    if b"content-length" not in names:
        raw.append((b"content-length", str(len(body)).encode()))
    return raw


def error_reply(
    *errors: AppleError, headers: Mapping[str, str] | None = None, status: int | None = None
) -> Reply:
    """``{"errors": [...]}`` with the first error's status (or ``status``)."""
    if not errors:
        raise ValueError("error_reply needs at least one error")
    body = json.dumps(
        {"errors": [error.to_json() for error in errors]}, separators=(",", ":")
    ).encode()
    return Reply(status or errors[0].status, _complete(body, True, headers), body)


def empty_reply(
    status: int, *, content_type: bool = True, headers: Mapping[str, str] | None = None
) -> Reply:
    """An empty answer (``content-length: 0``), JSON content type unless told not to."""
    return Reply(status, _complete(b"", content_type, headers), b"")


def json_reply(status: int, body: Any, *, headers: Mapping[str, str] | None = None) -> Reply:
    """A JSON document (compact, UTF-8)."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Reply(status, _complete(content, True, headers), content)


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it is past ``limit`` bytes (the rest unread)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def exchange(app: ASGIApp, scope: Scope, body: bytes = b"") -> Reply:
    """One request through ``app`` in process, handed over as a server does: the body in one
    message, then the client stays until answered (``http.disconnect`` only after the last
    body). The answer as a :class:`Reply`; status 0 when the app sent none. What the app
    raises propagates."""
    answered = asyncio.Event()
    delivered = False
    status = 0
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                answered.set()

    await app(scope, receive, send)
    return Reply(status, headers, b"".join(chunks))
