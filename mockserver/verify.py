"""``apple-music-mock verify --against URL``: send the contract's safe cases to a server
(the real API, or another fake) and compare its answers with the fake's, in process, under
the same settings. Tokens are sent, never shown."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .app import MockApp, create_app
from .config import Settings
from .contract import Case, Outcome, load_cases, outcome_of
from .errors import MockServerError
from .marks import guess_for
from .server import is_loopback_host
from .tokens import mint_developer_token
from .wire import exchange

__all__ = [
    "DEFAULT_AGAINST",
    "DEVELOPER_TOKEN_ENV",
    "USER_TOKEN_ENV",
    "CaseResult",
    "VerifyError",
    "call_app",
    "check_against",
    "credentials_for",
    "report_text",
]

DEFAULT_AGAINST = "https://api.music.apple.com"
DEVELOPER_TOKEN_ENV = "APPLE_MUSIC_DEVELOPER_TOKEN"
USER_TOKEN_ENV = "APPLE_MUSIC_USER_TOKEN"
#: The user token sent to a fake on a loopback address, and used by the in-process fake.
STAND_IN_USER = "apple-music-mock-verify-user"
UNSUBSCRIBED_USER = "apple-music-mock-verify-unsubscribed"
MAX_RETRY_AFTER = 30.0
RETRIES_ON_429 = 3

#: (status, body) of one request: (method, URL, headers) -> answer.
Sender = Callable[[str, str, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]


class VerifyError(MockServerError):
    """A usage error of ``verify`` (one line, exit 2)."""


def call_app(
    app: MockApp, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """One request through the ASGI app, in process, with the raw target as given."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
            for name, value in headers.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }
    answer = asyncio.run(exchange(app, scope, body))
    return answer.status, answer.body


def trusting(settings: Settings) -> Settings:
    """``settings`` as an in-process fake uses them to stand in for a server: any
    well-formed developer token trusted, the stand-in users known (and one unsubscribed)."""
    known = settings.known_user_tokens
    return settings.replace(
        developer_keys=[],
        known_user_tokens=None if known is None else [*known, STAND_IN_USER],
        unsubscribed_user_tokens=[*settings.unsubscribed_user_tokens, UNSUBSCRIBED_USER],
    )


@dataclass
class Fakes:
    """In-process fakes: one with the settings, and one per value a [guess] may take."""

    settings: Settings
    token: str = field(default_factory=mint_developer_token)
    _apps: dict[tuple[str, str], MockApp] = field(default_factory=dict)

    def app(self, setting: str | None = None, value: Any = None) -> MockApp:
        key = (setting or "", json.dumps(value))
        if key not in self._apps:
            changes = {setting: value} if setting else {}
            self._apps[key] = create_app(trusting(self.settings).replace(**changes))
        return self._apps[key]

    def answer(self, case: Case, setting: str | None = None, value: Any = None) -> Outcome:
        user = UNSUBSCRIBED_USER if case.user_token == "unsubscribed" else STAND_IN_USER
        headers = case.headers(self.token, user)
        if case.user_token == "unsubscribed":
            headers["Music-User-Token"] = user
        status, body = call_app(self.app(setting, value), case.method, case.target, headers)
        return outcome_of(status, body)


@dataclass
class CaseResult:
    """How one case went: ``agree``, ``drift`` or ``unverifiable``."""

    case: Case
    verdict: str
    fake: Outcome
    real: Outcome | None = None
    differences: list[str] = field(default_factory=list)
    reason: str = ""
    guess: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "mark": self.case.mark,
            "request": f"{self.case.method} {_short(self.case.target, 120)}",
            "verdict": self.verdict,
            "fake": self.fake.to_json(),
            "real": self.real.to_json() if self.real else None,
            "differences": self.differences,
            "reason": self.reason or None,
            "guess": self.guess,
        }


def credentials_for(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The developer and user token to send to ``url``: from the environment, or (for a
    fake on a loopback address) a minted token and a stand-in user."""
    environ = os.environ if environ is None else environ
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VerifyError(f"--against {url!r}: not an http(s) URL")
    developer, user = environ.get(DEVELOPER_TOKEN_ENV), environ.get(USER_TOKEN_ENV)
    if developer and user:
        return developer, user
    if is_loopback_host(parts.hostname):
        return mint_developer_token(), STAND_IN_USER
    missing = [n for n, v in ((DEVELOPER_TOKEN_ENV, developer), (USER_TOKEN_ENV, user)) if not v]
    raise VerifyError(
        f"verify --against {parts.scheme}://{parts.hostname} needs credentials: set "
        f"{' and '.join(missing)} (only a fake on a loopback address needs none)"
    )


def urllib_send(
    method: str, url: str, headers: Mapping[str, str]
) -> tuple[int, Mapping[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=dict(headers), data=None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()


def _send_paced(
    send: Sender, method: str, url: str, headers: Mapping[str, str], pace: float
) -> tuple[int, bytes] | str:
    """The answer, backing off on 429 (Retry-After honoured, capped); a string is why
    there is none."""
    for attempt in range(RETRIES_ON_429 + 1):
        try:
            status, answer_headers, body = send(method, url, headers)
        except OSError as error:  # URLError, timeouts, refused connections
            reason = getattr(error, "reason", None) or error.strerror or type(error).__name__
            return f"no answer: {reason}"
        if status != 429:
            return status, body
        if attempt == RETRIES_ON_429:
            break
        retry_after = {k.lower(): v for k, v in answer_headers.items()}.get("retry-after", "")
        try:
            wait = float(retry_after)
        except ValueError:
            wait = max(pace, 1.0) * 2**attempt
        time.sleep(min(max(wait, 0.0), MAX_RETRY_AFTER))
    return f"still rate limited (429) after {RETRIES_ON_429} retries"


def check_against(
    url: str,
    settings: Settings,
    developer_token: str,
    user_token: str,
    *,
    pace: float = 0.5,
    send: Sender = urllib_send,
    cases: Sequence[Case] | None = None,
    ids: Mapping[str, str] | None = None,
) -> list[CaseResult]:
    """Send each safe case to ``url`` and compare with the in-process fake's answer; a case
    that adds is sent only when ``ids`` (type -> comma-separated ids) gives its type's ids."""
    fakes = Fakes(settings)
    results = []
    ids = ids or {}
    chosen = [
        case.with_ids(ids[case.adds]) if case.adds else case
        for case in (cases or load_cases())
        if case.safe or (case.adds is not None and case.adds in ids)
    ]
    for number, case in enumerate(chosen):
        if number and pace > 0:
            time.sleep(pace)
        fake = fakes.answer(case)
        answer = _send_paced(
            send,
            case.method,
            url.rstrip("/") + case.target,
            case.headers(developer_token, user_token),
            pace,
        )
        if isinstance(answer, str):
            results.append(CaseResult(case, "unverifiable", fake, reason=answer))
            continue
        real = outcome_of(*answer)
        differences = fake.differences(real)
        result = CaseResult(case, "drift" if differences else "agree", fake, real, differences)
        if case.guess_setting:
            result.guess = _settle(fakes, case, real)
        if case.mark == "guess":
            result.guess = _against_table(case, result)
        results.append(result)
    return results


def _settle(fakes: Fakes, case: Case, real: Outcome) -> dict[str, Any]:
    """Whether the real answer settles a [guess] or contradicts it, and which value of its
    setting would match the real answer."""
    setting = case.guess_setting
    assert setting is not None
    current = getattr(fakes.settings, setting)
    matching = [
        value
        for value in case.guess_values
        if not fakes.answer(case, setting, value).differences(real)
    ]
    if not matching:
        verdict = "contradicted"
    elif current in matching:
        verdict = "settled"
    else:
        verdict = "contradicted"
    return {"setting": setting, "current": current, "verdict": verdict, "matching": matching}


def _against_table(case: Case, result: CaseResult) -> dict[str, Any]:
    """The [guess] of the README's guess table (schemas/contract/marks.json) this case's
    real answer bears on, with its setting and what settles it."""
    guess = dict(result.guess or {})
    entry = guess_for(case.id, case.guess_setting)
    if entry is not None:
        guess["id"] = entry["id"]
        guess.setdefault("setting", entry["setting"])
        guess["evidence"] = entry["evidence"]
    if "verdict" not in guess:  # no values to try: the answer agrees with the guess, or not
        guess["verdict"] = "settled" if result.verdict == "agree" else "contradicted"
        guess["matching"] = []
    return guess


def _short(target: str, width: int = 70) -> str:
    return target if len(target) <= width else f"{target[: width - 3]}..."


def report_text(results: Sequence[CaseResult], against: str) -> str:
    """The drift report, one line per case (and one per [guess])."""
    lines = [f"apple-music-mock verify --against {against}"]
    for result in results:
        case = result.case
        head = f"{result.verdict:<12} {case.id} [{case.mark}] {case.method} {_short(case.target)}"
        if result.verdict == "agree":
            lines.append(f"{head}: {result.fake.brief()}")
        elif result.verdict == "drift":
            assert result.real is not None
            lines.append(
                f"{head}: fake {result.fake.brief()}, real {result.real.brief()} "
                f"({'; '.join(result.differences)})"
            )
        else:
            lines.append(f"{head}: {result.reason}")
        if result.guess:
            lines.append("             " + guess_line(result.guess))
    lines.append(summary_line(r.verdict for r in results))
    return "\n".join(lines)


def guess_line(guess: Mapping[str, Any]) -> str:
    """What a case's real answer says of its [guess], named as in the README's guess table."""
    mark = f"[guess: {guess['id']}]" if guess.get("id") else "[guess]"
    setting = guess.get("setting")
    if setting is None or "current" not in guess:
        where = f"setting {setting}" if setting else "no setting (a rule scripts another answer)"
        return f"{mark} {where}: {guess['verdict']}"
    current = json.dumps(guess["current"])
    if guess["verdict"] == "settled":
        return f"{mark} {setting} = {current}: settled"
    if guess["matching"]:
        value = json.dumps(guess["matching"][0])
        return f"{mark} {setting} = {current}: contradicted; {setting} = {value} would match"
    return f"{mark} {setting} = {current}: contradicted; no value of {setting} matches"


def summary_line(verdicts: Iterable[str]) -> str:
    counts = dict.fromkeys(("agree", "drift", "unverifiable", "skipped"), 0)
    for verdict in verdicts:
        counts[verdict] = counts.get(verdict, 0) + 1
    return "summary: " + ", ".join(f"{count} {name}" for name, count in counts.items())
