"""The live rule set: rules indexed by what they match, tried in order, counted exactly."""

from __future__ import annotations

import bisect
import itertools
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .chance import unit_interval
from .errors import ConfigError
from .rules import Action, RequestFacts, Rule
from .wire import Query

__all__ = ["Applied", "RuleBook"]


@dataclass(slots=True)
class _RuleState:
    rule: Rule
    order: int
    matched: int = 0
    applied: int = 0

    def __lt__(self, other: _RuleState) -> bool:  # the order rules are tried in
        return (-self.rule.priority, self.order) < (-other.rule.priority, other.order)


@dataclass(frozen=True, slots=True)
class Applied:
    """A rule's decision for one request."""

    rule: Rule
    action: Action
    application: int


class _Bucket:
    """The rules of one method, path and user, indexed by what they match: the ids they name,
    else the resource types they name, else neither (tried on every request)."""

    __slots__ = ("always", "by_id", "by_type")

    def __init__(self) -> None:
        self.always: list[_RuleState] = []
        self.by_id: dict[str, list[_RuleState]] = {}
        self.by_type: dict[str, list[_RuleState]] = {}

    def add(self, state: _RuleState) -> None:
        match = state.rule.match
        if match.ids is not None:
            for id_ in match.ids:
                bisect.insort(self.by_id.setdefault(id_, []), state)
        elif match.types is not None:
            for type_ in match.types:
                bisect.insort(self.by_type.setdefault(type_, []), state)
        else:
            bisect.insort(self.always, state)

    def collect(self, query: Query, found: list[_RuleState]) -> None:
        """Add the rules that could match a request with ``query`` to ``found``."""
        if self.always:
            found.extend(self.always)
        if self.by_type:
            for type_ in query.ids:
                found.extend(self.by_type.get(type_, ()))
        if self.by_id:
            by_id = self.by_id
            for ids in query.ids.values():
                for id_ in ids:
                    states = by_id.get(id_)
                    if states is not None:
                        found.extend(states)


_Index = dict[tuple[str, str], dict[str | None, _Bucket]]


class RuleBook:
    """The live rule set, safe to use from several threads.

    Rules are indexed by method, path, user token and then by the ids or resource types they
    name, so a request only tries the rules that could match it: thousands of installed rules
    for other paths, users, ids or types cost it a few dictionary lookups.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, _RuleState] = {}
        self.index: _Index = {}
        """The rules by method, path and user (read without the lock: a new one replaces it
        whole when rules are removed); empty when no rule is installed."""
        self._order = itertools.count()
        self._ids = itertools.count(1)

    def _place(self, state: _RuleState) -> None:
        match = state.rule.match
        by_user = self.index.setdefault((match.method, match.path), {})
        bucket = by_user.get(match.user_token)
        if bucket is None:
            bucket = by_user[match.user_token] = _Bucket()
        bucket.add(state)

    def _reindex(self) -> None:
        self.index = {}
        for state in self._states.values():
            self._place(state)

    @staticmethod
    def build(rules: Iterable[Mapping[str, Any]], *, limit: int = sys.maxsize) -> list[Rule]:
        """Validate and build rules from their JSON forms (ids ``rule-1``, ... by default)."""
        rules = list(rules)
        if len(rules) > limit:
            raise ConfigError(f"{len(rules)} rules given; the limit is max_rules={limit}")
        return [
            Rule.from_json(data, default_id=f"rule-{number}")
            for number, data in enumerate(rules, 1)
        ]

    def add(self, rule: Rule | Mapping[str, Any], *, limit: int = sys.maxsize) -> Rule:
        """Install one more rule (ConfigError past ``limit`` rules or for a taken id)."""
        with self._lock:
            if len(self._states) >= limit:
                raise ConfigError(
                    f"max_rules={limit} rules are installed; delete some or raise the setting"
                )
            if not isinstance(rule, Rule):
                rule = Rule.from_json(rule, default_id=f"rule-{next(self._ids)}")
            if rule.id in self._states:
                raise ConfigError(f"a rule with id {rule.id!r} already exists")
            state = self._states[rule.id] = _RuleState(rule, next(self._order))
            self._place(state)
            return rule

    def install(self, rules: list[Rule]) -> None:
        """Replace every rule with ``rules`` (already built: nothing here can fail)."""
        with self._lock:
            self._states = {rule.id: _RuleState(rule, next(self._order)) for rule in rules}
            self._ids = itertools.count(len(rules) + 1)
            self._reindex()

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            if self._states.pop(rule_id, None) is None:
                return False
            self._reindex()
            return True

    def remove_namespace(self, user_token: str) -> int:
        with self._lock:
            before = len(self._states)
            self._states = {
                id_: state
                for id_, state in self._states.items()
                if state.rule.match.user_token != user_token
            }
            self._reindex()
            return before - len(self._states)

    def rules(self) -> list[dict[str, Any]]:
        """Every rule in the order tried, with its counters."""
        with self._lock:
            return [
                {**s.rule.to_json(), "matched": s.matched, "applied": s.applied}
                for s in sorted(self._states.values())
            ]

    def __len__(self) -> int:
        return len(self._states)

    def candidates(
        self, method: str, path: str, user_token: str | None, query: Query
    ) -> list[_RuleState] | None:
        """The rules that could match a request, by the index alone (no lock taken): what
        :meth:`apply` then tries, once the request's facts are worked out."""
        by_user = self.index.get((method, path))
        if by_user is None:  # the usual case: nothing worked out
            return None
        found: list[_RuleState] = []
        anyone = by_user.get(None)
        if anyone is not None:
            anyone.collect(query, found)
        if user_token is not None:
            own = by_user.get(user_token)
            if own is not None:
                own.collect(query, found)
        return found

    def apply(self, found: list[_RuleState], facts: RequestFacts, seed: int) -> Applied | None:
        """The first of the ``found`` candidates that applies to ``facts``; its counters
        move atomically."""
        if not found:  # no rule could match: no lock taken
            return None
        with self._lock:
            if len(found) > 1:
                found = sorted({id(state): state for state in found}.values())
            states = self._states
            for state in found:
                rule = state.rule
                if states.get(rule.id) is not state:  # removed since it was collected
                    continue
                if not rule.match.matches(facts):
                    continue
                state.matched += 1
                if not rule.match.call_selected(state.matched):
                    continue
                if rule.times is not None and state.applied >= rule.times:
                    continue
                if rule.probability < 1 and (
                    unit_interval(seed, rule.id, state.matched) >= rule.probability
                ):
                    continue
                step = rule.steps[state.applied % len(rule.steps)]
                state.applied += 1
                return Applied(rule, step, state.applied)
        return None
