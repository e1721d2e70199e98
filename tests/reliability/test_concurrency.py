"""Threads mixing adds, read-backs, journal reads, namespace and full resets, rule churn and
config changes against one fake, in process and live, with exact invariants:

- without full resets: every add is a 202, each user's library is exactly the ids they added
  with a 202, the 202s counted by the clients equal the journal's, the journal holds every
  request, each read-back saw a subset of the final library, rules aimed at a ghost user
  never touched anyone else;
- with full resets: every library is a subset of what was added, and after the last reset
  everything is empty.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockserver import MockApp, create_app

from .conftest import (
    Client,
    Served,
    Watch,
    admin,
    assert_live_readable,
    assert_readable,
    bound,
    call,
    tally,
    user,
)

pytestmark = pytest.mark.reliability


@dataclass
class Transport:
    """How a worker thread reaches the fake: in process, or over its own keep-alive
    connection to a live server."""

    name: str
    app: MockApp
    port: int | None = None
    _local: threading.local = field(default_factory=threading.local)
    _clients: list[Client] = field(default_factory=list)

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> int:
        return self.exchange(method, target, headers, body)[0]

    def exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.port is None:
            reply = call(self.app, method, target, headers, body)
            return reply.status, reply.body
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = Client(self.port)
            self._clients.append(client)
        status, _, content = client.request(method, target, headers, body)
        return status, content

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.port is None:
            reply = admin(self.app, method, path, body)
            return reply.status, reply.body
        return self.exchange(method, "/_mock" + path, headers, data)

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture(params=["in-process", "live"])
def transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    app = create_app(journal_size=1_000_000)
    if request.param == "in-process":
        yield Transport("in-process", app)
        return
    with Served(app) as served:
        live = Transport("live", app, served.port)
        yield live
        live.close()


@dataclass
class Ledger:
    """What the clients saw, merged under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    apple_requests: int = 0
    added: dict[str, set[str]] = field(default_factory=dict)
    attempted: dict[str, set[str]] = field(default_factory=dict)
    seen: list[tuple[str, set[str]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def record(self, status: int, music_user: str | None = None, *songs: str) -> None:
        """One request to Apple's paths: its status, and the songs it tried to add."""
        with self.lock:
            self.statuses[status] += 1
            self.apple_requests += 1
            if music_user is not None:
                self.attempted.setdefault(music_user, set()).update(songs)
                if status == 202:
                    self.added.setdefault(music_user, set()).update(songs)


def run_all(workers: list[Callable[[], None]], ledger: Ledger) -> None:
    def guarded(worker: Callable[[], None]) -> None:
        try:
            worker()
        except BaseException as error:  # surfaced below
            with ledger.lock:
                ledger.failures.append(f"{worker.__name__}: {error!r}")

    threads = [threading.Thread(target=guarded, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not any(thread.is_alive() for thread in threads)
    assert ledger.failures == []


def test_adds_reads_rules_config_and_namespace_resets(
    transport: Transport, dev_token: str, watch: Watch
) -> None:
    watch.secret(dev_token)
    adders, adds = bound(4, 8), bound(150, 2500)
    users = [user(f"adder{n}") for n in range(adders)]
    victim, ghost = user("victim"), "ghost-user"
    ledger = Ledger()
    stop = threading.Event()
    rules_applied = Counter[str]()

    def headers(music_user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {dev_token}", "Music-User-Token": music_user}

    def adder(index: int) -> Callable[[], None]:
        def add() -> None:
            music_user = users[index]
            for n in range(adds):
                songs = [str(1_000_000_000 + index * 10_000_000 + n)]
                if n % 7 == 0:
                    songs.append(str(2_000_000_000 + n))  # shared with other users
                target = f"/v1/me/library?ids[songs]={','.join(songs)}"
                status = transport.send("POST", target, headers(music_user))
                ledger.record(status, music_user, *songs)
                assert status == 202, (target, status)

        add.__name__ = f"adder{index}"
        return add

    def reader() -> None:
        rng = random.Random(1)
        while not stop.is_set():
            music_user = rng.choice(users)
            status, body = transport.exchange(
                "GET", "/v1/me/library/songs?limit=100", headers(music_user)
            )
            ledger.record(status)
            assert status == 200, (status, body[:200])
            ids = {
                item["attributes"]["playParams"]["catalogId"] for item in json.loads(body)["data"]
            }
            with ledger.lock:
                ledger.seen.append((music_user, ids))
            status, body = transport.admin("GET", "/journal?limit=20")
            assert status == 200, body[:200]
            watch.check_text(body, "the journal")

    def rule_churn() -> None:
        n = 0
        while not stop.is_set():
            status, body = transport.admin(
                "POST",
                "/rules",
                {"id": f"ghost-{n}", "match": {"user_token": ghost}, "action": {"status": 503}},
            )
            assert status == 201, body[:200]
            status = transport.send("POST", "/v1/me/library?ids[songs]=1", headers(ghost))
            ledger.record(status)
            rules_applied[str(status)] += 1
            assert status in (202, 503), status
            status, body = transport.admin("DELETE", f"/rules/ghost-{n}")
            assert status == 204, body[:200]
            n += 1

    def config_churn() -> None:
        flip = False
        while not stop.is_set():
            flip = not flip
            change = {"success_content_type": flip, "repeated_keys": "reject" if flip else "merge"}
            status, body = transport.admin("PATCH", "/config", change)
            assert status == 200, body[:200]
            status, body = transport.admin("GET", "/config")
            assert status == 200
            assert json.loads(body)["journal_size"] == 1_000_000

    victim_requests = 0

    def victim_and_resets() -> None:
        nonlocal victim_requests
        n = 0
        while not stop.is_set():
            song = str(3_000_000_000 + n)
            status = transport.send("POST", f"/v1/me/library?ids[songs]={song}", headers(victim))
            ledger.record(status, victim, song)
            victim_requests += 1
            assert status == 202, status
            if n % 5 == 0:
                status, body = transport.admin("POST", "/reset", {"namespace": victim})
                assert status == 204, body[:200]
            n += 1

    adder_threads = [adder(index) for index in range(adders)]

    def adders_then_stop() -> None:
        run_all(adder_threads, ledger)
        stop.set()

    adders_then_stop.__name__ = "adders"
    try:
        run_all([adders_then_stop, reader, rule_churn, config_churn, victim_and_resets], ledger)
    finally:
        stop.set()

    mock = transport.app.mock
    # exact: every add answered 202, every library exactly what was added with a 202
    for music_user in users:
        library = {item["catalog_id"] for item in mock.get_library(music_user)["songs"]}
        assert library == ledger.added[music_user] == ledger.attempted[music_user]
    # the journal recorded every request to Apple's paths, and keeps all but the victim's
    # that its namespace resets cleared (all of the victim's were 202s)
    assert mock.journal_stats()["total"] == ledger.apple_requests
    cleared = victim_requests - mock.journal_count(user_token=victim)
    assert cleared >= 0
    assert mock.journal_count() == ledger.apple_requests - cleared
    assert mock.journal_count(status=202) == ledger.statuses[202] - cleared
    assert mock.journal_count(status=503) == ledger.statuses[503]
    assert len({entry.seq for entry in mock.journal_entries()}) == mock.journal_count()
    # the victim's library only ever holds what it added
    victim_library = {item["catalog_id"] for item in mock.get_library(victim)["songs"]}
    assert victim_library <= ledger.attempted.get(victim, set())
    # read-backs saw what was there: a subset of the final library
    for music_user, ids in ledger.seen:
        assert ids <= ledger.added[music_user]
    assert mock.list_rules() == []
    if transport.port is None:
        assert_readable(transport.app, watch)
    else:
        assert_live_readable(transport.port, watch)
    tally(
        f"concurrency ({transport.name})",
        requests=ledger.apple_requests,
        adds=adders * adds,
        reads=len(ledger.seen),
        ghost_requests=sum(rules_applied.values()),
        threads=adders + 4,
    )


def test_adds_racing_full_resets(transport: Transport, dev_token: str, watch: Watch) -> None:
    adders, adds = bound(3, 6), bound(100, 2000)
    users = [user(f"reset{n}") for n in range(adders)]
    ledger = Ledger()
    stop = threading.Event()
    resets = 0

    def adder(index: int) -> Callable[[], None]:
        def add() -> None:
            headers = {"Authorization": f"Bearer {dev_token}", "Music-User-Token": users[index]}
            for n in range(adds):
                song = str(1_000_000_000 + index * 10_000_000 + n)
                status = transport.send("POST", f"/v1/me/library?ids[songs]={song}", headers)
                ledger.record(status, users[index], song)
                assert status in (202, 503), status  # the resetter's rule answers 503

        add.__name__ = f"adder{index}"
        return add

    def resetter() -> None:
        nonlocal resets
        while not stop.is_set():
            status, body = transport.admin("POST", "/reset")
            assert status == 204, body[:200]
            status, body = transport.admin(
                "POST", "/rules", {"match": {"user_token": users[0]}, "action": {"status": 503}}
            )
            assert status == 201, body[:200]
            resets += 1

    workers = [adder(index) for index in range(adders)]

    def adders_then_stop() -> None:
        run_all(workers, ledger)
        stop.set()

    try:
        run_all([adders_then_stop, resetter], ledger)
    finally:
        stop.set()
    mock = transport.app.mock
    for music_user in users:
        library = {item["catalog_id"] for item in mock.get_library(music_user)["songs"]}
        assert library <= ledger.added.get(music_user, set())
    assert mock.journal_count() <= ledger.apple_requests
    assert mock.journal_count(status=202) <= ledger.statuses[202]
    status, _ = transport.admin("POST", "/reset")
    assert status == 204
    assert all(mock.get_library(u)["songs"] == [] for u in users)
    assert mock.journal_count() == 0
    assert mock.list_rules() == []
    if transport.port is None:
        assert_readable(transport.app, watch)
    else:
        assert_live_readable(transport.port, watch)
    tally(f"concurrency ({transport.name})", requests=ledger.apple_requests, full_resets=resets)
