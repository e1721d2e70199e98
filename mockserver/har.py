"""``apple-music-mock verify --har FILE``: replay traffic recorded from the real API (a HAR
1.2 file, or a JSON-lines recording) against an in-process fake, in recording order, and
report where the fake answers differently. Recorded tokens are replaced, never shown."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import Settings
from .contract import Outcome, outcome_of
from .redaction import redact_target
from .verify import Fakes, VerifyError, call_app

__all__ = ["APPLE_HOSTS", "Exchange", "ExchangeResult", "load_recording", "replay"]

APPLE_HOSTS = frozenset({"api.music.apple.com", "amp-api.music.apple.com"})
SERVED_PATH = "/v1/me/library"
_DROPPED = frozenset({"host", "content-length", "connection", "cookie", "accept-encoding"})


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its answer (``body`` None: the answer's body not recorded)."""

    number: int
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    status: int
    body: bytes | None
    request_body: bytes = b""


@dataclass
class ExchangeResult:
    exchange: Exchange
    verdict: str  # agree, drift, skipped
    target: str
    fake: Outcome | None = None
    recorded: Outcome | None = None
    differences: list[str] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange.number,
            "request": f"{self.exchange.method} {self.target}",
            "verdict": self.verdict,
            "fake": self.fake.to_json() if self.fake else None,
            "recorded": self.recorded.to_json() if self.recorded else None,
            "differences": self.differences,
            "reason": self.reason or None,
        }


def _text(content: Any, where: str) -> bytes | None:
    if content is None:
        return None
    if not isinstance(content, str):
        raise VerifyError(f"{where}: the body must be a string")
    return content.encode("utf-8")


def _exchange(number: int, entry: Any, har: bool) -> Exchange:
    where = f"{'entry' if har else 'line'} {number}"
    if not isinstance(entry, dict):
        raise VerifyError(f"{where}: not a JSON object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise VerifyError(f"{where}: needs a 'request' and a 'response' object")
    method, url, status = request.get("method"), request.get("url"), response.get("status")
    if not isinstance(method, str) or not isinstance(url, str):
        raise VerifyError(f"{where}: request needs a string 'method' and 'url'")
    if not isinstance(status, int) or isinstance(status, bool):
        raise VerifyError(f"{where}: response needs an integer 'status'")
    headers = request.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str)
        for h in headers
    ):
        raise VerifyError(f"{where}: request 'headers' must be a list of {{name, value}}")
    if har:
        content = response.get("content") or {}
        body = _text(content.get("text") if isinstance(content, dict) else None, where)
        if body is not None and content.get("encoding") == "base64":
            try:
                body = base64.b64decode(body, validate=True)
            except binascii.Error:
                raise VerifyError(f"{where}: response content is not valid base64") from None
        post = request.get("postData") or {}
        sent = _text(post.get("text") if isinstance(post, dict) else None, where) or b""
    else:
        body, sent = _text(response.get("body"), where), b""
    pairs = tuple((h["name"], h["value"]) for h in headers)
    return Exchange(number, method.upper(), url, pairs, status, body, sent)


def load_recording(path: Path) -> list[Exchange]:
    """The exchanges of a HAR 1.2 file or a JSON-lines recording, in recording order."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise VerifyError(f"--har {str(path)!r}: cannot read it: {reason}") from None
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and "log" in document:
        log = document["log"]
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            raise VerifyError(f"--har {str(path)!r}: not a HAR 1.2 file (no log.entries list)")
        try:
            return [_exchange(n, entry, True) for n, entry in enumerate(entries, 1)]
        except VerifyError as error:
            raise VerifyError(f"--har {str(path)!r}: {error}") from None
    exchanges = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise VerifyError(
                f"--har {str(path)!r}: neither a HAR 1.2 file nor a JSON-lines recording "
                f"(line {number} is not JSON)"
            ) from None
        try:
            exchanges.append(_exchange(number, entry, False))
        except VerifyError as error:
            raise VerifyError(f"--har {str(path)!r}: {error}") from None
    if not exchanges:
        raise VerifyError(f"--har {str(path)!r}: no exchanges in it")
    return exchanges


class _Users:
    """Recorded user tokens -> stand-ins, the same token always the same stand-in."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def __call__(self, token: str) -> str:
        if not token:
            return token
        return self.known.setdefault(token, f"har-user-{len(self.known) + 1}")


def _replay_headers(exchange: Exchange, host: str, token: str, users: _Users) -> dict[str, str]:
    headers: dict[str, str] = {"host": host}
    for name, value in exchange.headers:
        lowered = name.lower()
        if lowered.startswith(":") or lowered in _DROPPED:
            continue
        if lowered == "authorization" and exchange.status != 401:
            value = f"Bearer {token}"  # a recorded 401 keeps its token: the fake judges it
        elif "user-token" in lowered:
            value = users(value)
        headers[lowered] = value
    return headers


def replay(exchanges: Sequence[Exchange], settings: Settings) -> list[ExchangeResult]:
    """Replay the exchanges with Apple's hosts and the fake's paths in order against one
    in-process fake; the others are skipped."""
    fakes, users = Fakes(settings), _Users()
    app = fakes.app()
    results = []
    for exchange in exchanges:
        parts = urlsplit(exchange.url)
        host = (parts.hostname or "").lower()
        target = redact_target(parts.path, parts.query.encode("latin-1", "replace"))
        if host not in APPLE_HOSTS:
            reason = f"host {host or '?'} is not Apple Music API's"
            results.append(ExchangeResult(exchange, "skipped", target, reason=reason))
            continue
        if not parts.path.startswith(SERVED_PATH):
            reason = f"path {parts.path} is not one the fake serves"
            results.append(ExchangeResult(exchange, "skipped", target, reason=reason))
            continue
        if exchange.status == 0:
            reason = "no answer recorded"
            results.append(ExchangeResult(exchange, "skipped", target, reason=reason))
            continue
        raw_target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        headers = _replay_headers(exchange, host, fakes.token, users)
        status, body = call_app(app, exchange.method, raw_target, headers, exchange.request_body)
        fake = outcome_of(status, body)
        if exchange.body is None:  # only the status was recorded
            recorded = Outcome(
                exchange.status, fake.code, fake.parameter, fake.shape, fake.signature
            )
        else:
            recorded = outcome_of(exchange.status, exchange.body)
        differences = recorded.differences(fake, signatures=True)
        verdict = "drift" if differences else "agree"
        results.append(ExchangeResult(exchange, verdict, target, fake, recorded, differences))
    return results


def report_text(results: Sequence[ExchangeResult], source: str) -> str:
    from .verify import summary_line

    lines = [f"apple-music-mock verify --har {source}"]
    for result in results:
        head = f"{result.verdict:<12} #{result.exchange.number} {result.exchange.method} "
        head += result.target if len(result.target) <= 70 else result.target[:67] + "..."
        if result.verdict == "agree" and result.fake:
            lines.append(f"{head}: {result.fake.brief()}")
        elif result.verdict == "drift" and result.fake and result.recorded:
            lines.append(
                f"{head}: recorded {result.recorded.brief()}, fake {result.fake.brief()} "
                f"({'; '.join(result.differences)})"
            )
        else:
            lines.append(f"{head}: {result.reason}")
    lines.append(summary_line(r.verdict for r in results))
    return "\n".join(lines)


def as_json(results: Sequence[ExchangeResult], source: Mapping[str, str]) -> dict[str, Any]:
    counts: dict[str, int] = {"agree": 0, "drift": 0, "skipped": 0}
    for result in results:
        counts[result.verdict] += 1
    return {**source, "exchanges": [r.to_json() for r in results], "summary": counts}
