"""The pytest plugin (entry point ``pytest11``): options, the marker, and thin fixtures over
:class:`~pytest_plugin.session.AppleMusicSession` and the classes it builds."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .extras import MissingExtraError
from .seal import AppleHostSeal
from .session import AppleMusicServer, AppleMusicSession, SessionError

if TYPE_CHECKING:
    from mockserver import MockApp

    from .handle import AppleMusicMock
    from .live import LiveCase
    from .respx_route import AppleMusicRespx
    from .tokens import TokenFactory

__all__: list[str] = []

_SESSION_KEY = pytest.StashKey[AppleMusicSession]()
_HANDLE_KEY = pytest.StashKey["AppleMusicMock"]()
_SEAL_KEY = pytest.StashKey[AppleHostSeal]()
_FAILED_KEY = pytest.StashKey[bool]()


#: The plugin's ini values, and the dests of its command-line options (filled in by
#: pytest_addoption from its option group): setting any of them is using the plugin.
_INI = ("apple_music_url", "apple_music_admin_token", "apple_music_strict", "apple_music_config")
_OPTIONS: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apple-music-mock", "Apple Music API fake (apple-music-mock)")
    group.addoption(
        "--apple-music-url",
        dest="apple_music_url",
        default=None,
        help="use the fake already running at this URL (e.g. started by 'apple-music-mock serve'); "
        "tests are isolated by Music-User-Token namespaces",
    )
    group.addoption(
        "--apple-music-strict",
        dest="apple_music_strict",
        action="store_true",
        default=None,
        help="fail a test whose client sent a request the real API would refuse, unless the "
        "test called apple_music.expect_contract_violations()",
    )
    group.addoption(
        "--apple-music-config",
        dest="apple_music_config",
        default=None,
        help="settings file (.toml/.json) for the in-process fake",
    )
    group.addoption(
        "--apple-music-admin-token",
        dest="apple_music_admin_token",
        default=None,
        help="admin token of the server at --apple-music-url (default: the "
        "apple_music_admin_token ini value, else $APPLE_MUSIC_MOCK_ADMIN_TOKEN)",
    )
    group.addoption(
        "--apple-music-live",
        dest="apple_music_live",
        action="store_true",
        default=False,
        help="run tests taking apple_music_live_case against the real API (credentials from "
        "APPLE_MUSIC_DEVELOPER_TOKEN and APPLE_MUSIC_USER_TOKEN); skipped without them",
    )
    group.addoption(
        "--apple-music-live-url",
        dest="apple_music_live_url",
        default=None,
        help="where --apple-music-live sends the cases (default: https://api.music.apple.com)",
    )
    _OPTIONS[:] = [option.dest for option in group.options]
    for name in _INI:
        flag = "--" + name.replace("_", "-")
        if name == "apple_music_strict":
            parser.addini(name, f"default for {flag}", type="bool", default=False)
        else:
            parser.addini(name, f"default for {flag}", default=None)


def _session(config: pytest.Config) -> AppleMusicSession:
    url = config.getoption("apple_music_url") or config.getini("apple_music_url") or None
    strict = config.getoption("apple_music_strict")
    if strict is None:
        strict = bool(config.getini("apple_music_strict"))
    config_file = (
        config.getoption("apple_music_config") or config.getini("apple_music_config") or None
    )
    if config_file is not None and not Path(config_file).is_file():
        raise pytest.UsageError(f"--apple-music-config: no such file: {config_file}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    admin_token = (
        config.getoption("apple_music_admin_token")
        or config.getini("apple_music_admin_token")
        or os.environ.get("APPLE_MUSIC_MOCK_ADMIN_TOKEN")
        or None
    )
    return AppleMusicSession(
        url=url,
        strict=bool(strict),
        config_file=config_file,
        worker=worker,
        admin_token=admin_token,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "apple_music(**settings): per-test settings of the Apple Music fake, with the names "
        "of mockserver.Settings, e.g. @pytest.mark.apple_music(repeated_keys='reject')",
    )
    config.stash[_SESSION_KEY] = _session(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Options that cannot work fail here, once, rather than in every test."""
    try:
        session.config.stash[_SESSION_KEY].check()
    except SessionError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def _configured(config: pytest.Config) -> bool:
    """The run names the plugin: one of its options on the command line or in the ini file."""
    return any(config.getoption(name) for name in _OPTIONS) or any(
        config.getini(name) for name in _INI
    )


def _uses_the_fake(item: pytest.Item) -> bool:
    """The test takes one of this plugin's fixtures (a project's own fixture of the same
    name, say ``developer_token``, does not count) or the ``apple_music`` marker."""
    if item.get_closest_marker("apple_music"):
        return True
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {})
    return any(
        getattr(defs[-1].func, "__module__", None) == __name__
        for name in getattr(item, "fixturenames", ())
        if (defs := definitions.get(name))
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    """The fake's line, at the start, when the run configures the plugin; otherwise after
    collection, and only when a collected test uses the fake (projects that merely have the
    package installed see nothing)."""
    return config.stash[_SESSION_KEY].describe() if _configured(config) else None


def pytest_report_collectionfinish(
    config: pytest.Config, items: Sequence[pytest.Item]
) -> str | None:
    if _configured(config):
        return None
    if any(_uses_the_fake(item) for item in items):
        return config.stash[_SESSION_KEY].describe()
    return None


def _use(request: pytest.FixtureRequest) -> AppleMusicSession:
    return request.config.stash[_SESSION_KEY]


def _usage(error: SessionError) -> pytest.UsageError:
    return pytest.UsageError(str(error))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``apple_music_live_case`` runs once per safe case of the contract."""
    if "apple_music_live_case" in metafunc.fixturenames:
        from .live import safe_cases

        cases = safe_cases()
        metafunc.parametrize(
            "apple_music_live_case", cases, ids=[case.id for case in cases], indirect=True
        )


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def apple_music_live_case(request: pytest.FixtureRequest) -> LiveCase:
    """One safe contract case per test run against the real API with
    ``--apple-music-live`` (README, "Drift"): ``.assert_agrees()``, or ``.check()`` for
    the result."""
    from .live import live_case

    return live_case(request.config, request.param)


@pytest.fixture
def apple_music(request: pytest.FixtureRequest) -> Iterator[AppleMusicMock]:
    """The per-test handle (``pytest_plugin.AppleMusicMock``): ``configure(**settings)``,
    ``add_rule(...)``, ``fail_next(status)``, ``requests(**filters)``, ``library(type)``,
    ``assert_added(songs=[...])``, ``assert_playlist(name, tracks=[...])``,
    ``assert_requests(count=..., **filters)``, ``assert_no_contract_violations()``,
    ``headers``, ``catalog.add_song(...)`` (a ``CatalogEditor``; also ``add_album``,
    ``add_music_video``, ``add_playlist``, ``add_artist``), ``get_catalog()`` /
    ``put_catalog(...)`` / ``patch_catalog(...)``; reset after every test."""
    try:
        handle = _use(request).handle()
    except SessionError as error:
        raise _usage(error) from None
    marker = request.node.get_closest_marker("apple_music")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.apple_music takes keyword settings only")
        from mockserver import ConfigError

        try:
            handle.configure(**marker.kwargs)
        except ConfigError as error:
            raise pytest.UsageError(f"@pytest.mark.apple_music: {error}") from None
    request.node.stash[_HANDLE_KEY] = handle
    with AppleHostSeal() as seal:
        request.node.stash[_SEAL_KEY] = seal
        yield handle
    # On a shared server a failed test's requests stay in the journal, for the CI run to
    # save (examples/ci); everything else of the test is undone.
    failed = request.node.stash.get(_FAILED_KEY, False)
    handle.reset(keep_journal=failed and handle.scoped)


@pytest.fixture(scope="session")
def apple_music_session(request: pytest.FixtureRequest) -> Iterator[AppleMusicSession]:
    """The session's fake, for tests that cannot take function-scoped fixtures (Hypothesis
    ``@given``): ``with apple_music_session.fresh() as mock:`` gives a handle with a fresh
    state (its own user token) for one example, ``apple_music_session.respx()`` the
    in-process route. Apple's hosts are sealed for the whole session once it is used."""
    session = _use(request)
    with AppleHostSeal():
        yield session


@pytest.fixture
def apple_music_app(apple_music: AppleMusicMock, request: pytest.FixtureRequest) -> MockApp:
    """The in-process ASGI app (shared by the session, reset for every test)."""
    try:
        return _use(request).app
    except SessionError as error:
        raise _usage(error) from None


@pytest.fixture
def apple_music_server(
    apple_music: AppleMusicMock, request: pytest.FixtureRequest
) -> AppleMusicServer:
    """The fake on a real port (``.url``): one uvicorn server per session (per xdist
    worker) on 127.0.0.1, port chosen by the OS, or the external server; for requests,
    aiohttp, urllib or any language."""
    return _use(request).server


@pytest.fixture
def apple_music_respx(
    apple_music: AppleMusicMock, request: pytest.FixtureRequest
) -> Iterator[AppleMusicRespx]:
    """Routes every request to ``https://api.music.apple.com`` (and the web player's
    ``amp-api.music.apple.com``) to the fake through respx: httpx clients with hard-coded
    URLs work, sync and async, no sockets; scripted faults become ``httpx.ReadError`` /
    ``httpx.RemoteProtocolError``."""
    try:
        route = _use(request).respx()
    except MissingExtraError as error:
        missing = str(error)
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    with route as mocked:
        yield mocked


@pytest.fixture
def developer_token(apple_music: AppleMusicMock) -> str:
    """A developer token the fake trusts."""
    return apple_music.developer_token


@pytest.fixture
def music_user_token(apple_music: AppleMusicMock) -> str:
    """This test's own Music-User-Token (its namespace on a shared server)."""
    return apple_music.user_token


@pytest.fixture
def apple_music_tokens(request: pytest.FixtureRequest) -> TokenFactory:
    """``TokenFactory``: ``valid()``, ``expired()``, ``too_long_lived()``, ``wrong_alg()``,
    ``unsigned()``, ``wrong_origin()``, ``revoked()`` (signed by an untrusted key),
    ``der_signature()``, ``user()``."""
    return _use(request).tokens


# --- reporting -----------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    if call.when != "call":
        return
    handle = item.stash.get(_HANDLE_KEY, None)
    if handle is None:
        return
    report: pytest.TestReport = outcome.get_result()
    session = item.config.stash[_SESSION_KEY]
    if report.passed and session.strict and not handle.expects_violations:
        violations = handle.contract_violations()
        if violations:
            report.outcome = "failed"
            numbers = ", ".join(f"#{entry.seq}" for entry in violations)
            report.longrepr = (
                f"--apple-music-strict: the client sent {len(violations)} request(s) the real "
                f"Apple Music API would refuse: {numbers} below (call "
                "apple_music.expect_contract_violations() if the test means to)"
            )  # the report follows once, in the apple-music-mock section
    item.stash[_FAILED_KEY] = report.failed
    if not report.failed:
        return
    from .report import REPORT_HEAD, AppleMusicAssertionError

    # An assert_* helper's failure that already carries the report: it is not repeated.
    error = call.excinfo.value if call.excinfo is not None else None
    reported = isinstance(error, AppleMusicAssertionError) and REPORT_HEAD in str(error)
    crash = getattr(report.longrepr, "reprcrash", None)
    if reported and crash is not None:
        # pytest prints a failure's whole message again in its short summary on CI (the CI
        # variable set): the summary keeps what failed, the report stays in the traceback.
        crash.message = crash.message.split(REPORT_HEAD, 1)[0].rstrip()
    lines = [] if reported else [handle.report()]
    seal = item.stash.get(_SEAL_KEY, None)
    if seal is not None and seal.attempts:
        hosts = ", ".join(sorted(set(seal.attempts)))
        lines.append(
            f"{len(seal.attempts)} connection attempt(s) to {hosts} were refused: the "
            "client went around the fake (use apple_music_respx for httpx, or point the "
            "client at apple_music_server.url)"
        )
    if lines:
        report.sections.append(("apple-music-mock", "\n".join(lines)))
