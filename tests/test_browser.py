"""A real browser calls the fake cross-origin, as MusicKit JS does (issue 12).

A page served from one loopback origin ``fetch``es the fake on another port with
``Authorization`` and ``Music-User-Token``: headers that are not CORS-safelisted, so headless
Chromium (driven by Playwright) sends a real preflight first and reads each answer only if
the fake's CORS headers let it. Skipped when Playwright or a Chromium executable is missing
(``.ci/run`` installs Debian's ``chromium``; Playwright's own browser download is not used).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mockserver import (
    AdminClient,
    JournalEntry,
    LiveServer,
    create_app,
    mint_developer_token,
    public_key_pem,
)

from support import JSON_UTF8, USER_TOKEN

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.live

SONG, OTHER_SONG, THIRD_SONG = "1564531202", "1577502911", "1440857781"

#: The page: a MusicKit-like ``addToLibrary`` that reports what the page could read, or the
#: error ``fetch`` rejected with (a CORS refusal is a ``TypeError``, never a status).
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>library add</title></head>
<body>
<script>
async function addToLibrary(api, query, developerToken, userToken) {
  try {
    const response = await fetch(`${api}/v1/me/library?${query}`, {
      method: "POST",
      headers: {
        "Authorization": `Bearer ${developerToken}`,
        "Music-User-Token": userToken,
      },
    });
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      body: await response.text(),
      error: null,
    };
  } catch (error) {
    return {status: null, contentType: null, body: null, error: `${error.name}: ${error.message}`};
  }
}
</script>
</body>
</html>
"""


@dataclass(frozen=True)
class Outcome:
    """What the page's script could read of one call."""

    status: int | None
    content_type: str | None
    body: str | None
    error: str | None


#: Executables tried in turn after $CHROMIUM: Debian's package, other distributions' name,
#: and Google Chrome (preinstalled on GitHub's runners); Playwright drives any of them.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str | None:
    """A Chromium-family executable, or None."""
    candidates = [os.environ.get("CHROMIUM"), *map(shutil.which, BROWSERS), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _page_app() -> Starlette:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", index)])


@pytest.fixture(scope="module", autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Set up first and torn down last: the browser, its driver and every server are gone
    when this module is done."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.05)  # a child watcher's thread ends just after its process
    assert not left, f"threads left running: {sorted(t.name for t in left)}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per module (its launch is most of this module's time)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium executable (apt-get install chromium, or set $CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def page_server() -> Iterator[LiveServer]:
    """The page's own origin: another loopback port than any fake's."""
    with LiveServer(_page_app()) as server:
        yield server


@pytest.fixture
def page(browser: Browser, page_server: LiveServer) -> Iterator[Page]:
    """The page, loaded in a fresh browser context (no preflight cached from other tests)."""
    context = browser.new_context()
    try:
        opened = context.new_page()
        opened.set_default_timeout(10_000)
        opened.goto(f"{page_server.url}/")
        yield opened
    finally:
        context.close()


@pytest.fixture
def fake_keys(signing_key: ec.EllipticCurvePrivateKey) -> list[str]:
    """The fake verifies signatures: only tokens signed by the session's key pass."""
    return [public_key_pem(signing_key)]


def add_to_library(page: Page, server: LiveServer, query: str, developer_token: str) -> Outcome:
    result: dict[str, Any] = page.evaluate(
        "([api, query, token, user]) => addToLibrary(api, query, token, user)",
        [server.url, query, developer_token, USER_TOKEN],
    )
    return Outcome(result["status"], result["contentType"], result["body"], result["error"])


def single_error(outcome: Outcome) -> dict[str, Any]:
    """The one error of the errors body the page read."""
    assert outcome.body is not None, outcome
    errors: list[dict[str, Any]] = json.loads(outcome.body)["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def assert_browser_preflight(entry: JournalEntry) -> None:
    """A browser's own preflight: the method and the non-safelisted headers it asks for,
    no credentials."""
    assert entry.method == "OPTIONS"
    assert entry.headers["access-control-request-method"] == "POST"
    requested = {h.strip() for h in entry.headers["access-control-request-headers"].split(",")}
    assert requested == {"authorization", "music-user-token"}
    assert "authorization" not in entry.headers  # preflights carry no credentials
    assert "music-user-token" not in entry.headers


def test_a_page_on_another_origin_reads_every_kind_of_answer(
    page: Page, page_server: LiveServer, fake_keys: list[str], dev_token: str
) -> None:
    app = create_app(developer_keys=fake_keys)
    with LiveServer(app) as fake:
        assert fake.port != page_server.port  # another origin: every call is cross-origin

        # (1) The usual add: 202, empty body, read by the page.
        accepted = add_to_library(page, fake, f"ids[songs]={SONG}", dev_token)
        assert accepted == Outcome(202, JSON_UTF8, "", None)

        # (2) A developer token the fake does not trust: a readable 401, not a network error.
        untrusted = mint_developer_token(lifetime=3600)  # signed by another key
        refused = add_to_library(page, fake, f"ids[songs]={OTHER_SONG}", untrusted)
        assert (refused.status, refused.body, refused.error) == (401, "", None)

        # (3) A bad query: the page reads the 400's errors body.
        bad_query = add_to_library(page, fake, "ids[artists]=1", dev_token)
        assert (bad_query.status, bad_query.content_type, bad_query.error) == (
            400,
            JSON_UTF8,
            None,
        )
        error = single_error(bad_query)
        assert (error["status"], error["code"]) == ("400", "40004")
        assert error["source"] == {"parameter": "ids[artists]"}

        # (4) A scripted 429, installed over the admin API (rules match POST unless told
        # otherwise, so the preflight before it is still answered normally).
        AdminClient(fake.url).add_rule(action={"status": 429}, times=1)
        limited = add_to_library(page, fake, f"ids[songs]={THIRD_SONG}", dev_token)
        assert (limited.status, limited.error) == (429, None)
        assert single_error(limited)["code"] == "42900"

        # Every URL was preflighted once (this context has no cached preflight), then sent.
        expected: list[tuple[str, str, int]] = []
        for query, status in [
            (f"ids[songs]={SONG}", 202),
            (f"ids[songs]={OTHER_SONG}", 401),
            ("ids[artists]=1", 400),
            (f"ids[songs]={THIRD_SONG}", 429),
        ]:
            expected += [("OPTIONS", query, 204), ("POST", query, status)]
        entries = app.mock.journal_entries()
        assert [(e.method, e.query, e.status) for e in entries] == expected
        for entry in entries:
            assert entry.headers["origin"] == page_server.url
            if entry.method == "OPTIONS":
                assert entry.reason == "preflight"
                assert_browser_preflight(entry)
        assert entries[-1].rule is not None  # the 429 was the rule's
        assert [item["catalog_id"] for item in app.mock.get_library(USER_TOKEN)["songs"]] == [SONG]


@pytest.mark.parametrize(
    ("origins", "preflight_status"),
    [
        pytest.param(["https://other.example"], 204, id="another-origin-listed"),
        pytest.param([], 405, id="cors-off"),
    ],
)
def test_the_browser_cannot_read_answers_its_origin_is_not_allowed(
    page: Page,
    page_server: LiveServer,
    fake_keys: list[str],
    dev_token: str,
    origins: list[str],
    preflight_status: int,
) -> None:
    app = create_app(developer_keys=fake_keys, cors_allowed_origins=origins)
    with LiveServer(app) as fake:
        outcome = add_to_library(page, fake, f"ids[songs]={SONG}", dev_token)
        assert outcome.status is None
        assert outcome.error == "TypeError: Failed to fetch"
        # The preflight was refused, so the browser never sent the POST: nothing added.
        [preflight] = app.mock.journal_entries()
        assert (preflight.method, preflight.status) == ("OPTIONS", preflight_status)
        assert preflight.headers["origin"] == page_server.url
        assert_browser_preflight(preflight)
        assert app.mock.get_library(USER_TOKEN)["songs"] == []


def test_a_listed_origin_reads_its_answers(
    page: Page, page_server: LiveServer, fake_keys: list[str], dev_token: str
) -> None:
    app = create_app(
        developer_keys=fake_keys, cors_allowed_origins=["https://other.example", page_server.url]
    )
    with LiveServer(app) as fake:
        assert add_to_library(page, fake, f"ids[songs]={SONG}", dev_token).status == 202
        bad_query = add_to_library(page, fake, "ids[artists]=1", dev_token)
        assert single_error(bad_query)["code"] == "40004"
        assert [(e.method, e.status) for e in app.mock.journal_entries()] == [
            ("OPTIONS", 204),
            ("POST", 202),
            ("OPTIONS", 204),
            ("POST", 400),
        ]


def test_the_token_origin_claim_is_checked_against_the_page_origin(
    page: Page,
    page_server: LiveServer,
    fake_keys: list[str],
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A web app's developer token names the origins it may be used from (``origin``
    claim): the Origin the browser itself sends decides."""
    app = create_app(developer_keys=fake_keys)
    ours = mint_developer_token(signing_key, origin=[page_server.url])
    theirs = mint_developer_token(signing_key, origin=["https://elsewhere.example"])
    with LiveServer(app) as fake:
        assert add_to_library(page, fake, f"ids[songs]={SONG}", ours).status == 202
        refused = add_to_library(page, fake, f"ids[songs]={OTHER_SONG}", theirs)
        assert (refused.status, refused.body, refused.error) == (401, "", None)
        [rejected] = app.mock.journal_entries(status=401)
        assert rejected.reason is not None
        assert rejected.reason.startswith("origin")
