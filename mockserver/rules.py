"""Scripted behaviour: rules that match requests and answer, fail or stall on purpose."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import AppleError, ConfigError
from .schemas import load_schemas

__all__ = [
    "DEFAULT_ERRORS",
    "Action",
    "Match",
    "RateLimit",
    "RateLimiter",
    "RequestFacts",
    "Rule",
    "RuleBook",
    "unit_interval",
]

Fault = Literal["connection_reset", "empty_response", "truncated_body"]

#: The Apple-shaped body each scripted status gets by default (contract.md §3).
DEFAULT_ERRORS: Mapping[int, AppleError] = {
    400: AppleError(400, "40005", "Invalid Parameter Value"),
    403: AppleError(403, "40300", "Invalid authentication"),
    404: AppleError(404, "40400", "The requested resource was not found"),
    405: AppleError(405, "40500", "Method not allowed"),
    429: AppleError(429, "42900", "Request is forbidden", include_id=False),
    500: AppleError(500, "50001", "Upstream Service Error"),
    503: AppleError(503, "50300", "Service Unavailable"),
}


def unit_interval(*parts: object) -> float:
    """A reproducible number in [0, 1) from ``parts`` (no shared generator, no ordering)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a rule may match on, gathered before the normal checks run."""

    method: str
    path: str
    headers: Mapping[str, str]
    types: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    user_token: str | None = None
    team_id: str | None = None
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    method: str = "POST"
    path: str = "/v1/me/library"
    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    user_token: str | None = None
    team_id: str | None = None
    key_id: str | None = None
    headers: Mapping[str, str | bool] | None = None
    calls: int | tuple[int, ...] | Mapping[str, int | None] | None = None

    def matches(self, facts: RequestFacts) -> bool:
        """Every criterion except ``calls`` (which depends on the rule's own count)."""
        if facts.method != self.method or facts.path != self.path:
            return False
        if self.types is not None and not (self.types & facts.types):
            return False
        if self.ids is not None and not (self.ids & facts.ids):
            return False
        for name, wanted in (
            (self.user_token, facts.user_token),
            (self.team_id, facts.team_id),
            (self.key_id, facts.key_id),
        ):
            if name is not None and name != wanted:
                return False
        for header, expected in (self.headers or {}).items():
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
            path=data.get("path", "/v1/me/library"),
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


def validate_rule(data: Mapping[str, Any]) -> None:
    validator = load_schemas().validator("rule.schema.json")
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
    if error is None:
        return
    where = "/".join(map(str, error.path)) or "rule"
    if error.validator == "oneOf" and not error.path:
        raise ConfigError("invalid rule: give exactly one of 'action' or 'sequence'")
    raise ConfigError(f"invalid rule at '{where}': {error.message}")


@dataclass(slots=True)
class _RuleState:
    rule: Rule
    order: int
    matched: int = 0
    applied: int = 0


@dataclass(frozen=True, slots=True)
class Applied:
    """A rule's decision for one request."""

    rule: Rule
    action: Action
    application: int


class RuleBook:
    """The live rule set, safe to use from several threads."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._states: list[_RuleState] = []
        self._order = itertools.count()
        self._ids = itertools.count(1)

    def add(self, rule: Rule | Mapping[str, Any]) -> Rule:
        with self._lock:
            if not isinstance(rule, Rule):
                rule = Rule.from_json(rule, default_id=f"rule-{next(self._ids)}")
            if any(state.rule.id == rule.id for state in self._states):
                raise ConfigError(f"a rule with id {rule.id!r} already exists")
            self._states.append(_RuleState(rule, next(self._order)))
            self._states.sort(key=lambda s: (-s.rule.priority, s.order))
            return rule

    def replace_all(self, rules: Iterable[Mapping[str, Any]]) -> None:
        """Validate every rule first; install them only if all are valid."""
        built: list[Rule] = []
        ids = itertools.count(1)
        for data in rules:
            built.append(Rule.from_json(data, default_id=f"rule-{next(ids)}"))
        with self._lock:
            self._states = []
            self._ids = ids
            for rule in built:
                self._states.append(_RuleState(rule, next(self._order)))
            self._states.sort(key=lambda s: (-s.rule.priority, s.order))

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._states)
            self._states = [s for s in self._states if s.rule.id != rule_id]
            return len(self._states) != before

    def remove_namespace(self, user_token: str) -> int:
        with self._lock:
            before = len(self._states)
            self._states = [s for s in self._states if s.rule.match.user_token != user_token]
            return before - len(self._states)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {**s.rule.to_json(), "matched": s.matched, "applied": s.applied}
                for s in self._states
            ]

    def __len__(self) -> int:
        return len(self._states)

    def decide(self, facts: RequestFacts) -> Applied | None:
        """The first rule that applies to ``facts``; its counters move atomically."""
        if not self._states:
            return None
        with self._lock:
            for state in self._states:
                rule = state.rule
                if not rule.match.matches(facts):
                    continue
                state.matched += 1
                if not rule.match.call_selected(state.matched):
                    continue
                if rule.times is not None and state.applied >= rule.times:
                    continue
                if rule.probability < 1 and (
                    unit_interval(self.seed, rule.id, state.matched) >= rule.probability
                ):
                    continue
                step = rule.steps[state.applied % len(rule.steps)]
                state.applied += 1
                return Applied(rule, step, state.applied)
        return None


@dataclass(frozen=True, slots=True)
class RateLimit:
    requests: int
    window_seconds: float
    retry_after: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RateLimit | None:
        if data is None:
            return None
        return cls(data["requests"], float(data["window_seconds"]), data.get("retry_after"))


@dataclass
class RateLimiter:
    """A sliding window per developer-token team: exact, on the mock's clock."""

    limit: RateLimit
    _windows: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    RULE_ID = "rate-limit"

    def allow(self, team: str, now: float) -> bool:
        with self._lock:
            window = self._windows.setdefault(team, deque())
            horizon = now - self.limit.window_seconds
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= self.limit.requests:
                return False
            window.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
