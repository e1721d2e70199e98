"""A bounded soak: ``apple-music-mock serve`` in a subprocess, two keep-alive clients sending
random ids for random users (more users than ``max_users``, more ids than
``max_library_items``), read-backs, refusals and admin reads, while the server's resident
memory (VmRSS) is sampled. The limits make the state bounded, so memory must level off:
RSS stays under a generous bound derived from them, and at the end every figure is printed.

Default 2,000 requests; ``--reliability-full`` 200,000. Invariants: no 5xx but the
documented 507 past a limit (naming the setting), no ERROR or traceback and no secret in the
server's output (access log and refusal reasons on), the journal and admin API read back,
SIGTERM exits 0."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import (
    Cli,
    Client,
    Watch,
    assert_healthy,
    assert_live_readable,
    bound,
    note,
    rss_mb,
    tally,
    user,
)

pytestmark = [pytest.mark.reliability, pytest.mark.live]

LIMITS = {
    "max_users": 2000,
    "max_library_items": 20,
    "journal_size": 10_000,
    "journal_max_bytes": 8 * 1024 * 1024,
}
USER_POOL = 5000  # more users than max_users: the rest get 507 max_users


def test_soak_with_random_ids_and_users(tmp_path: Path, dev_token: str, watch: Watch) -> None:
    watch.secret(dev_token)
    total = bound(2000, 200_000)
    config = tmp_path / "soak.json"
    config.write_text(json.dumps(LIMITS))
    users = [user(f"soak{n}") for n in range(USER_POOL)]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    problems: list[str] = []
    samples: list[tuple[int, float]] = []
    sent = 0

    with Cli(tmp_path, "--config", str(config), "--access-log", "--log-level", "info") as cli:
        assert_healthy(cli.port)
        start_rss = rss_mb(cli.pid)
        samples.append((0, start_rss))
        started = time.monotonic()

        def client(seed: int, count: int) -> None:
            nonlocal sent
            rng = random.Random(seed)
            connection = Client(cli.port)
            try:
                for _ in range(count):
                    method, target, headers = next_request(rng, users, dev_token)
                    status, _, body = connection.request(method, target, headers)
                    if status >= 500 and not (status == 507 and b"max_" in body):
                        with lock:
                            problems.append(f"{method} {target[:80]} -> {status} {body[:200]!r}")
                    if status == 507:
                        watch.check_text(body, "a 507 answer")
                    with lock:
                        statuses[status] += 1
                        sent += 1
                        if sent % max(1, total // 20) == 0:
                            samples.append((sent, rss_mb(cli.pid)))
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(seed, total // 2)) for seed in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(3600)
        seconds = time.monotonic() - started
        end_rss = rss_mb(cli.pid)
        samples.append((sent, end_rss))
        assert problems == [], problems[:5]
        assert_healthy(cli.port)
        entries = assert_live_readable(cli.port, watch)
        after_read_rss = rss_mb(cli.pid)
        code, _ = cli.stop()
    assert code == 0
    cli.assert_clean_output(watch)

    peak = max(rss for _, rss in samples)
    # The state the limits allow: the library (max_users x max_library_items items of a few
    # hundred bytes), the journal (journal_max_bytes, counted conservatively), caches and
    # the allocator's slack: a generous ceiling, far below an unbounded soak's growth.
    items = LIMITS["max_users"] * LIMITS["max_library_items"]
    ceiling = start_rss + items * 600 / 1e6 + 3 * LIMITS["journal_max_bytes"] / 1e6 + 80
    assert peak < ceiling, (samples, ceiling)
    if total >= 50_000:  # levelled off: the last half adds little
        half = next(rss for count, rss in samples if count >= sent // 2)
        assert end_rss - half < 25, samples
    note(
        "soak",
        requests=sent,
        seconds=round(seconds, 1),
        requests_per_second=round(sent / seconds),
        rss_start_mb=round(start_rss, 1),
        rss_end_mb=round(end_rss, 1),
        rss_peak_mb=round(peak, 1),
        rss_after_reading_journal_mb=round(after_read_rss, 1),
        rss_ceiling_mb=round(ceiling, 1),
        users_in_pool=USER_POOL,
        journal_entries=entries,
    )
    tally("soak", **{f"answers {status}": count for status, count in statuses.items()})
    print(
        f"\nsoak: {sent:,} requests in {seconds:.1f} s; RSS {start_rss:.1f} MB at start, "
        f"{end_rss:.1f} MB at the end, peak {peak:.1f} MB (ceiling {ceiling:.1f} MB); "
        f"samples {[(n, round(r, 1)) for n, r in samples]}; answers {dict(statuses)}"
    )


def next_request(
    rng: random.Random, users: list[str], token: str
) -> tuple[str, str, dict[str, str]]:
    """A random request of the soak's mix."""
    music_user = rng.choice(users)
    headers = {"Authorization": f"Bearer {token}", "Music-User-Token": music_user}
    roll = rng.random()
    if roll < 0.70:
        count = rng.randint(1, 3)
        ids = ",".join(str(rng.randint(10**9, 10**10 - 1)) for _ in range(count))
        kind = rng.choice(["songs", "albums", "music-videos", "songs"])
        return "POST", f"/v1/me/library?ids[{kind}]={ids}", headers
    if roll < 0.80:
        offset, limit = rng.randint(0, 30), rng.randint(1, 100)
        return "GET", f"/v1/me/library/songs?offset={offset}&limit={limit}", headers
    if roll < 0.85:
        return "POST", "/v1/me/library?ids[artists]=1&bogus=" + "x" * rng.randint(0, 200), headers
    if roll < 0.90:
        forged = f"Bearer x{rng.randint(0, 10**9)}.e30.sig"  # not a JWT: 401
        return "POST", "/v1/me/library?ids[songs]=1", {**headers, "Authorization": forged}
    if roll < 0.99:
        return rng.choice(["GET", "DELETE"]), "/v1/me/nowhere", headers
    admin = rng.choice(
        [
            "/_mock/journal/count",
            "/_mock/journal?limit=5",
            f"/_mock/library/{music_user}",
            f"/_mock/journal/count?user_token={music_user}",
        ]
    )
    return "GET", admin, {}
