"""Scripted behaviour: rules that match requests and answer, fail or stall on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .chance import unit_interval
from .config import validate_rule
from .wire import Query

__all__ = ["Action", "Fault", "Match", "RequestFacts", "Rule"]

Fault = Literal["connection_reset", "empty_response", "truncated_body"]

ENDPOINT = "/v1/me/library"


class RequestFacts:
    """What a rule may match on, worked out only when a candidate rule asks for it."""

    __slots__ = (
        "_headers",
        "_identity",
        "_ids",
        "_peek",
        "method",
        "path",
        "query",
        "raw_headers",
        "user_token",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query: Query,
        raw_headers: Iterable[tuple[bytes, bytes]],
        user_token: str | None,
        peek: Callable[[], tuple[str | None, str | None]],
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.raw_headers = raw_headers
        self.user_token = user_token
        self._peek = peek
        self._headers: dict[str, str] | None = None
        self._identity: tuple[str | None, str | None] | None = None
        self._ids: frozenset[str] | None = None

    @property
    def types(self) -> Iterable[str]:
        return self.query.ids.keys()

    @property
    def ids(self) -> frozenset[str]:
        if self._ids is None:
            self._ids = frozenset().union(*self.query.ids.values())
        return self._ids

    @property
    def headers(self) -> Mapping[str, str]:
        if self._headers is None:
            headers: dict[str, str] = {}
            for name, value in self.raw_headers:
                headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
            self._headers = headers
        return self._headers

    @property
    def identity(self) -> tuple[str | None, str | None]:
        """(iss, kid) of the developer token, unjudged."""
        if self._identity is None:
            self._identity = self._peek()
        return self._identity


@dataclass(frozen=True, slots=True)
class Match:
    method: str = "POST"
    path: str = ENDPOINT
    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    user_token: str | None = None
    team_id: str | None = None
    key_id: str | None = None
    headers: Mapping[str, str | bool] | None = None
    calls: int | tuple[int, ...] | Mapping[str, int | None] | None = None

    def matches(self, facts: RequestFacts) -> bool:
        """Every criterion except ``calls`` (which depends on the rule's own count); method,
        path and user token are already known to hold (the rule book's index)."""
        if self.types is not None and self.types.isdisjoint(facts.types):
            return False
        if self.ids is not None and self.ids.isdisjoint(facts.ids):
            return False
        if self.team_id is not None or self.key_id is not None:
            team_id, key_id = facts.identity
            if self.team_id is not None and self.team_id != team_id:
                return False
            if self.key_id is not None and self.key_id != key_id:
                return False
        if self.headers is None:
            return True
        for header, expected in self.headers.items():
            value = facts.headers.get(header.lower())
            if expected is True and value is None:
                return False
            if expected is False and value is not None:
                return False
            if isinstance(expected, str) and value != expected:
                return False
        return True

    def call_selected(self, number: int) -> bool:
        calls = self.calls
        if calls is None:
            return True
        if isinstance(calls, int):
            return number == calls
        if isinstance(calls, tuple):
            return number in calls
        upper = calls.get("to")
        return number >= (calls["from"] or 1) and (upper is None or number <= upper)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "path": self.path}
        for name in ("types", "ids"):
            value = getattr(self, name)
            if value is not None:
                data[name] = sorted(value)
        for name in ("user_token", "team_id", "key_id"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.headers is not None:
            data["headers"] = dict(self.headers)
        if self.calls is not None:
            data["calls"] = (
                list(self.calls)
                if isinstance(self.calls, tuple)
                else dict(self.calls)
                if isinstance(self.calls, Mapping)
                else self.calls
            )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Match:
        calls = data.get("calls")
        return cls(
            method=data.get("method", "POST"),
            path=data.get("path", ENDPOINT),
            types=frozenset(data["types"]) if "types" in data else None,
            ids=frozenset(data["ids"]) if "ids" in data else None,
            user_token=data.get("user_token"),
            team_id=data.get("team_id"),
            key_id=data.get("key_id"),
            headers=dict(data["headers"]) if "headers" in data else None,
            calls=tuple(calls) if isinstance(calls, list) else calls,
        )


@dataclass(frozen=True, slots=True)
class Action:
    """One scripted answer. No status and no fault: the normal behaviour (after the delay)."""

    status: int | None = None
    body: Any = None
    has_body: bool = False
    headers: Mapping[str, str] | None = None
    delay: float | tuple[float, float] | None = None
    fault: Fault | None = None

    @property
    def is_normal(self) -> bool:
        return self.status is None and self.fault is None

    def delay_seconds(self, *seed: object) -> float:
        if self.delay is None:
            return 0.0
        if isinstance(self.delay, tuple):
            low, high = sorted(self.delay)
            return low + (high - low) * unit_interval("delay", *seed)
        return float(self.delay)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.status is not None:
            data["status"] = self.status
        if self.has_body:
            data["body"] = self.body
        if self.headers is not None:
            data["headers"] = dict(self.headers)
        if self.delay is not None:
            data["delay"] = list(self.delay) if isinstance(self.delay, tuple) else self.delay
        if self.fault is not None:
            data["fault"] = self.fault
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Action:
        delay = data.get("delay")
        return cls(
            status=data.get("status"),
            body=data.get("body"),
            has_body="body" in data,
            headers=dict(data["headers"]) if "headers" in data else None,
            delay=tuple(delay) if isinstance(delay, list) else delay,
            fault=data.get("fault"),
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A match, what to do (one action or a sequence), how often, and how likely.

    >>> rule = Rule.from_json({"sequence": [{"status": 500}, {"status": 500}]})
    >>> rule.times, [step.status for step in rule.steps]
    (2, [500, 500])
    """

    id: str
    match: Match
    steps: tuple[Action, ...]
    times: int | None
    priority: int = 0
    probability: float = 1.0
    is_sequence: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "priority": self.priority,
            "match": self.match.to_json(),
        }
        if self.is_sequence:
            data["sequence"] = [step.to_json() for step in self.steps]
        else:
            data["action"] = self.steps[0].to_json()
        data["times"] = self.times
        data["probability"] = self.probability
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, default_id: str = "rule") -> Rule:
        """Build a rule from its JSON form; invalid input -> ConfigError naming the field."""
        validate_rule(data)
        is_sequence = "sequence" in data
        steps = tuple(
            Action.from_json(step)
            for step in (data["sequence"] if is_sequence else [data["action"]])
        )
        times = data.get("times", len(steps) if is_sequence else None)
        return cls(
            id=data.get("id", default_id),
            match=Match.from_json(data.get("match", {})),
            steps=steps,
            times=times,
            priority=data.get("priority", 0),
            probability=float(data.get("probability", 1.0)),
            is_sequence=is_sequence,
        )
