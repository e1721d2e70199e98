"""Server behaviours to survive: answer schedules, faults, drops and visibility delays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver import MockControl

__all__ = ["Behaviour", "behaviours"]


@dataclass(frozen=True)
class Behaviour:
    """A response schedule and library quirks for the fake, installable on a test's
    :class:`~pytest_plugin.AppleMusicMock` or a :class:`~mockserver.MockController`."""

    steps: tuple[dict[str, Any], ...] = ()
    drop_rate: float = 0.0
    visibility_delay_seconds: float = 0.0
    seed: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)
    match: Mapping[str, Any] | None = None
    """Which requests the steps answer (a rule's ``match``); by default the add's."""

    @property
    def statuses(self) -> list[int | None]:
        return [step.get("status") for step in self.steps]

    def install(self, control: MockControl) -> None:
        control.configure(
            drop_rate=self.drop_rate,
            visibility_delay_seconds=self.visibility_delay_seconds,
            seed=self.seed,
            **self.settings,
        )
        if self.steps:
            where = {"match": dict(self.match)} if self.match is not None else {}
            control.add_rule(sequence=list(self.steps), **where)


def behaviours(
    *,
    statuses: Sequence[int] = (429, 500, 503),
    faults: bool = True,
    max_steps: int = 6,
    max_delay: float = 0.02,
    drops: bool = True,
    visibility: bool = False,
    match: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[Behaviour]:
    """Server behaviours to survive: a sequence of answers (normal 202s, ``statuses``, short
    delays, transport faults) for the next requests, then normal behaviour; optionally a
    silent drop rate and a visibility delay. The steps answer the add unless ``match`` (a
    rule's match, e.g. ``{"path": "/v1/me/library/playlists"}``) names other requests.
    ``Behaviour.install(control)`` puts one on ``apple_music`` or a ``MockController``.
    Shrinks to "no misbehaviour at all"."""
    for status in statuses:
        if not isinstance(status, int) or not (status == 202 or 400 <= status <= 599):
            raise InvalidArgument(f"statuses item {status!r} must be 202 or 400-599")
    if not isinstance(max_steps, int) or max_steps < 0:
        raise InvalidArgument(f"max_steps={max_steps!r} must be an integer >= 0")
    if not 0 <= max_delay <= 5:
        raise InvalidArgument(f"max_delay={max_delay!r} must be between 0 and 5 seconds")
    step_options: list[st.SearchStrategy[dict[str, Any]]] = [st.just({})]
    if statuses:
        step_options.append(st.sampled_from(list(statuses)).map(lambda s: {"status": s}))
    if max_delay > 0:
        step_options.append(st.floats(0, max_delay).map(lambda d: {"delay": round(d, 4)}))
    if faults:
        step_options.append(
            st.sampled_from(["connection_reset", "empty_response", "truncated_body"]).map(
                lambda f: {"fault": f}
            )
        )
    steps = st.lists(st.one_of(step_options), max_size=max_steps).map(tuple)
    drop_rate = st.sampled_from([0.0, 0.05, 0.5]) if drops else st.just(0.0)
    delay = st.sampled_from([0.0, 5.0]) if visibility else st.just(0.0)
    return st.builds(
        Behaviour,
        steps=steps,
        drop_rate=drop_rate,
        visibility_delay_seconds=delay,
        seed=st.integers(0, 2**16),
        match=st.just(match),
    )
