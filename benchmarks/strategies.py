"""Hypothesis strategy generation rates (examples per second)."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .harness import Figure, Report


def _rate(strategy: st.SearchStrategy[Any], examples: int) -> float:
    count = 0

    @settings(
        max_examples=examples,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(value: Any) -> None:
        nonlocal count
        count += 1

    start = time.perf_counter()
    draw()
    return count / (time.perf_counter() - start)


def run(report: Report, *, examples: int = 500) -> None:
    from pytest_plugin import strategies as s

    baseline = _rate(
        st.dictionaries(
            st.sampled_from(["songs", "albums"]),
            st.lists(st.integers().map(str), min_size=1, max_size=10),
            min_size=1,
        ),
        examples,
    )
    for name, strategy in [
        ("id_groups()", s.id_groups()),
        ("library_add_queries()", s.library_add_queries()),
        ("invalid_library_add_queries()", s.invalid_library_add_queries()),
        ("developer_tokens()", s.developer_tokens()),
        ("invalid_developer_tokens()", s.invalid_developer_tokens()),
        ("behaviours()", s.behaviours()),
    ]:
        report.add(
            Figure(
                f"strategies: {name}",
                _rate(strategy, examples),
                "ex/s",
                baseline,
                "",
                "baseline: a plain dict-of-lists strategy",
            )
        )
