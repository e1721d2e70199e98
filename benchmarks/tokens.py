"""Developer-token verification with a signature check: first sight vs a cached repeat."""

from __future__ import annotations

import time

from mockserver import Settings, generate_private_key, mint_developer_token, public_key_pem
from mockserver.auth import DeveloperTokenVerifier, Rejection
from mockserver.clock import SystemClock
from mockserver.schemas import load_schemas

from .harness import Figure, Report


def run(report: Report, *, count: int = 2000) -> None:
    key = generate_private_key()
    verifier = DeveloperTokenVerifier(
        Settings(developer_keys=[public_key_pem(key)], token_cache_size=count + 10),
        load_schemas(),
        SystemClock(),
    )
    fresh = [
        "Bearer " + mint_developer_token(key, issued_at=time.time() - n) for n in range(count)
    ]
    start = time.perf_counter()
    for authorization in fresh:
        if isinstance(verifier.check(authorization, None), Rejection):
            raise RuntimeError("fresh token rejected")
    first = (time.perf_counter() - start) / count * 1e6
    repeat_count = count * 20
    start = time.perf_counter()
    for index in range(repeat_count):
        verifier.check(fresh[index % count], None)
    repeat = (time.perf_counter() - start) / repeat_count * 1e6
    report.add(
        Figure(
            "tokens: verify a repeated token (cache hit)",
            repeat,
            "µs",
            first,
            "",
            "baseline: first sight (parse + schema + ES256 verify)",
        )
    )
