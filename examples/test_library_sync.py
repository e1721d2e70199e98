"""The worked example: a property test of a client against every behaviour of the fake.

    pytest examples/test_library_sync.py

Invariant: every id ends up in the library, or the client raises a clear LibraryError;
and it never retries a request the API refused with 400. The same for a playlist created
from catalog ids: it holds exactly those songs, in order, or the client says why not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mockserver import create_app
from pytest_plugin import AppleMusicRespx, TokenFactory
from pytest_plugin.strategies import Behaviour, behaviours, catalog_ids, id_groups

from library_sync import LibraryError, LibrarySync, NaiveSync

TOKENS = TokenFactory()
APP = create_app(developer_keys=[TOKENS.public_key_pem])
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def mocked() -> Iterator[AppleMusicRespx]:
    with AppleMusicRespx(APP) as router:
        yield router


def check(
    client_class: type[LibrarySync], group: dict[str, list[str]], behaviour: Behaviour
) -> None:
    APP.mock.reset()
    behaviour.install(APP.mock)
    raised = False
    with httpx.Client() as http:
        client = client_class(
            http, developer_token=TOKENS.valid(), user_token="sync-user", backoff=0
        )
        try:
            client.add(group)
            client.verify(group)
        except LibraryError:
            raised = True  # a clear error is an allowed outcome
        except Exception as error:
            raise AssertionError(f"client crashed: {error!r}") from error
    journal = APP.mock.journal_entries(method="POST")
    for before, after in itertools.pairwise(journal):
        if before.status == 400:
            raise AssertionError(f"client retried after a 400: #{after.seq} {after.query}")
    if not raised:  # no error: then every id must really be in the library
        library = APP.mock.get_library("sync-user")
        for type_, ids in group.items():
            missing = set(ids) - {item["catalog_id"] for item in library[type_]}
            assert not missing, f"ids lost without an error: {type_} {sorted(missing)}"


@PROPERTY
@given(group=id_groups(max_size=60), behaviour=behaviours(statuses=(400, 429, 500, 503)))
def test_the_client_survives_every_behaviour(
    mocked: AppleMusicRespx, group: dict[str, list[str]], behaviour: Behaviour
) -> None:
    check(LibrarySync, group, behaviour)


def test_the_same_property_catches_the_naive_client(mocked: AppleMusicRespx) -> None:
    # One bug is enough to reject the client; skipping the explain phase keeps this fast.
    @settings(PROPERTY, report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink])
    @given(group=id_groups(max_size=60), behaviour=behaviours(statuses=(400, 429, 500, 503)))
    def naive(group: dict[str, list[str]], behaviour: Behaviour) -> None:
        check(NaiveSync, group, behaviour)

    with pytest.raises(AssertionError, match=r"client crashed|retried after a 400"):
        naive()


PLAYLISTS = "/v1/me/library/playlists"


@PROPERTY
@given(
    songs=st.lists(catalog_ids("songs"), min_size=1, max_size=60),
    behaviour=behaviours(statuses=(400, 429, 500, 503), match={"path": PLAYLISTS}),
)
def test_a_playlist_from_catalog_ids_holds_them_or_the_client_says_why(
    mocked: AppleMusicRespx, songs: list[str], behaviour: Behaviour
) -> None:
    APP.mock.reset()
    behaviour.install(APP.mock)
    with httpx.Client() as http:
        client = LibrarySync(
            http, developer_token=TOKENS.valid(), user_token="sync-user", backoff=0
        )
        try:
            playlist_id = client.create_playlist("From catalog ids", songs)
            client.verify_playlist(playlist_id, songs)
        except LibraryError:
            return  # a clear error is an allowed outcome
    (playlist,) = APP.mock.get_library("sync-user")["playlists"]
    assert playlist["name"] == "From catalog ids"
    library = {
        item["library_id"]: item["catalog_id"]
        for item in APP.mock.get_library("sync-user")["songs"]
    }
    assert [library[track] for track in playlist["tracks"]] == songs
    for before, after in itertools.pairwise(APP.mock.journal_entries(method="POST")):
        assert before.status != 400, f"client retried after a 400: #{after.seq}"
