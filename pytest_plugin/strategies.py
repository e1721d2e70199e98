"""Hypothesis strategies: ids and id groups, requests in every wire form, tokens, behaviours.

Everything here is built from the JSON Schemas in ``schemas/`` (id shapes, query rules) so
generated data is exactly what the fake accepts or refuses. Importing this module registers
nothing global. Examples shrink towards one resource type with one short id, no extra
parameters, and no misbehaviour.
"""

from __future__ import annotations

import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.config import DEFAULT_LANGUAGES
from mockserver.ids import LIBRARY_KINDS, RESOURCE_TYPES, IdShapes
from mockserver.schemas import load_schemas
from mockserver.tokens import (
    DEFAULT_KEY_ID,
    DEFAULT_TEAM_ID,
    MAX_TOKEN_LIFETIME,
    forge_token,
    generate_private_key,
    mint_developer_token,
)

from .tokens import TokenFactory

__all__ = [
    "ENCODINGS",
    "Behaviour",
    "InvalidQuery",
    "LibraryAddQuery",
    "behaviours",
    "catalog_ids",
    "developer_tokens",
    "id_groups",
    "invalid_developer_tokens",
    "invalid_library_add_queries",
    "language_tags",
    "library_add_queries",
    "library_ids",
    "malformed_ids",
    "music_user_tokens",
    "storefronts",
]

#: The wire encodings real clients produce (README, "What the fake checks").
ENCODINGS = ("raw", "encoded_keys", "encoded_all", "repeated_keys")

_SHAPES = IdShapes()
_BASE62 = string.digits + string.ascii_letters
_TOLERATED = tuple(
    load_schemas().document("config.schema.json")["properties"]["tolerated_parameters"]["default"]
)


def _check_type(type_: str, allowed: Sequence[str], name: str = "type") -> None:
    if not isinstance(type_, str) or type_ not in allowed:
        raise InvalidArgument(f"{name}={type_!r} must be one of {', '.join(allowed)}")


def _check_size(min_size: int, max_size: int | None) -> None:
    if not isinstance(min_size, int) or min_size < 1:
        raise InvalidArgument(f"min_size={min_size!r} must be an integer >= 1")
    if max_size is not None and (not isinstance(max_size, int) or max_size < min_size):
        raise InvalidArgument(f"max_size={max_size!r} must be an integer >= min_size={min_size}")


# --- ids ------------------------------------------------------------------------------------


def catalog_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Catalog ids of ``type`` in the schema's shape: digits for songs, albums and music
    videos; ``pl.`` + 32 hex, ``pl.u-…`` or ``pl.pm-…`` for playlists. Shrinks to short ids."""
    _check_type(type, RESOURCE_TYPES)
    if type == "playlists":
        return st.one_of(
            st.text("0123456789abcdef", min_size=32, max_size=32).map("pl.".__add__),
            st.text(_BASE62, min_size=1, max_size=16).map("pl.u-".__add__),
            st.text(_BASE62, min_size=1, max_size=16).map("pl.pm-".__add__),
        )
    return st.integers(min_value=1, max_value=10**12).map(str)


def library_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Library ids (``i.`` songs and music videos, ``l.`` albums, ``p.`` playlists): not
    catalog ids, so the fake ignores them by default."""
    _check_type(type, RESOURCE_TYPES)
    return st.text(_BASE62, min_size=1, max_size=16).map(LIBRARY_KINDS[type].prefix.__add__)


def malformed_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Non-empty ids of neither a catalog shape for ``type`` nor a library shape."""
    _check_type(type, RESOURCE_TYPES)
    alphabet = _BASE62 + ".-_"
    return st.text(alphabet, min_size=1, max_size=24).filter(
        lambda s: _SHAPES.classify(type, s) == "wrong-shape"
    )


def id_groups(
    types: Sequence[str] = RESOURCE_TYPES,
    *,
    min_size: int = 1,
    max_size: int | None = 10,
    unique: bool = True,
    ignored: bool = False,
) -> st.SearchStrategy[dict[str, list[str]]]:
    """A mapping of resource type -> ids: the unit a client batches.

    At least one of ``types`` appears, each with ``min_size`` to ``max_size`` ids (unique
    within the type unless ``unique=False``). With ``ignored=True`` the lists mix in library
    ids and malformed ids, which the fake accepts with 202 but does not add. Shrinks to one
    type with one short catalog id.
    """
    if isinstance(types, str) or not types:
        raise InvalidArgument(f"types={types!r} must be a non-empty sequence of resource types")
    for type_ in types:
        _check_type(type_, RESOURCE_TYPES, "types item")
    _check_size(min_size, max_size)

    def ids_for(type_: str) -> st.SearchStrategy[list[str]]:
        element = catalog_ids(type_)
        if ignored:
            element = st.one_of(element, library_ids(type_), malformed_ids(type_))
        return st.lists(element, min_size=min_size, max_size=max_size, unique=unique)

    chosen = st.lists(st.sampled_from(list(dict.fromkeys(types))), min_size=1, unique=True)
    return chosen.flatmap(lambda ts: st.fixed_dictionaries({t: ids_for(t) for t in ts}))


# --- queries ---------------------------------------------------------------------------------


class LibraryAddQuery(NamedTuple):
    """A query string a client may send for ``group``, and how it was encoded."""

    query: str
    group: dict[str, list[str]]
    encoding: str
    language: str | None


def _render(
    group: Mapping[str, Sequence[str]], encoding: str, extras: Sequence[tuple[str, str]]
) -> str:
    parts: list[str] = []
    for type_, ids in group.items():
        key = f"ids[{type_}]" if encoding == "raw" else f"ids%5B{type_}%5D"
        if encoding == "repeated_keys":
            parts += [f"{key}={quote(i, safe='')}" for i in ids]
        elif encoding == "encoded_all":
            parts.append(f"{key}={quote(','.join(ids), safe='')}")
        else:
            parts.append(f"{key}={','.join(quote(i, safe='') for i in ids)}")
    parts += [
        f"{quote(k, safe='[]' if encoding == 'raw' else '')}={quote(v, safe='')}"
        for k, v in extras
    ]
    return "&".join(parts)


def language_tags(storefront: str = "us") -> st.SearchStrategy[str]:
    """Language tags the storefront supports (``l``), its default first (shrinks to it)."""
    _check_type(storefront, list(DEFAULT_LANGUAGES), "storefront")
    entry = DEFAULT_LANGUAGES[storefront]
    tags = [entry["default"], *(t for t in entry["supported"] if t != entry["default"])]
    return st.sampled_from(tags)


def storefronts() -> st.SearchStrategy[str]:
    """Storefronts whose languages the fake knows by default."""
    return st.sampled_from(sorted(DEFAULT_LANGUAGES))


def library_add_queries(
    groups: st.SearchStrategy[dict[str, list[str]]] | None = None,
    *,
    encodings: Sequence[str] = ENCODINGS,
    storefront: str = "us",
    extras: bool = False,
) -> st.SearchStrategy[LibraryAddQuery]:
    """Queries for ``POST /v1/me/library`` rendering a group in each wire encoding of
    the README (raw, percent-encoded keys, encoded commas, repeated keys), with an
    optional ``l`` and, with ``extras=True``, the web player's tolerated parameters.
    Shrinks to the raw encoding of a one-id group without ``l``."""
    if groups is None:
        groups = id_groups()
    if not isinstance(groups, st.SearchStrategy):
        raise InvalidArgument(f"groups={groups!r} must be a strategy such as id_groups()")
    if isinstance(encodings, str) or not encodings:
        raise InvalidArgument(f"encodings={encodings!r} must be a non-empty sequence")
    for encoding in encodings:
        _check_type(encoding, ENCODINGS, "encodings item")
    languages = language_tags(storefront)

    @st.composite
    def build(draw: st.DrawFn) -> LibraryAddQuery:
        group = draw(groups)
        encoding = draw(st.sampled_from(list(encodings)))
        language = draw(st.none() | languages)
        pairs: list[tuple[str, str]] = [] if language is None else [("l", language)]
        if extras:
            pairs += draw(
                st.lists(
                    st.sampled_from(
                        [(n, "ids" if n == "representation" else "map") for n in _TOLERATED]
                    ),
                    unique=True,
                )
            )
        return LibraryAddQuery(_render(group, encoding, pairs), group, encoding, language)

    return build()


class InvalidQuery(NamedTuple):
    """A query the fake must refuse, with the refusal the schema predicts."""

    query: str
    status: int
    code: str
    parameter: str | None
    rule: str


_word = st.text(string.ascii_lowercase, min_size=1, max_size=10)
_unknown_types = _word.filter(lambda w: w not in RESOURCE_TYPES)
_unknown_parameters = _word.filter(lambda w: w not in {"ids", "l", *_TOLERATED})


def invalid_library_add_queries(
    *, max_target_length: int = 8192
) -> st.SearchStrategy[InvalidQuery]:
    """Queries that break one rule of ``schemas/query.schema.json`` (or the target-length
    limit), each with the status, code and parameter the fake answers. Rules: unknown type,
    unknown parameter, empty list, empty element, bare ``ids``, no ids at all, oversized
    target. Valid parts may surround the broken one; shrinks to the bare broken parameter."""
    if not isinstance(max_target_length, int) or max_target_length < 32:
        raise InvalidArgument(f"max_target_length={max_target_length!r} must be an integer >= 32")
    valid = library_add_queries(id_groups(max_size=3), encodings=("raw", "encoded_keys"))

    @st.composite
    def build(draw: st.DrawFn) -> InvalidQuery:
        rule = draw(
            st.sampled_from(
                [
                    "unknown_type",
                    "unknown_parameter",
                    "empty_list",
                    "empty_element",
                    "bare_ids",
                    "missing_ids",
                    "oversized",
                ]
            )
        )
        prefix = draw(st.none() | valid)
        lead = [prefix.query] if prefix is not None else []
        if rule == "unknown_type":
            type_ = draw(_unknown_types)
            return InvalidQuery(
                "&".join([*lead, f"ids[{type_}]=1"]), 400, "40004", f"ids[{type_}]", rule
            )
        if rule == "unknown_parameter":
            name = draw(_unknown_parameters)
            return InvalidQuery("&".join([*lead, f"{name}=1"]), 400, "40004", name, rule)
        if rule == "bare_ids":
            return InvalidQuery("&".join([*lead, "ids=1"]), 400, "40005", "ids", rule)
        if rule == "missing_ids":
            language = draw(st.none() | language_tags())
            return InvalidQuery(
                "" if language is None else f"l={language}", 400, "40005", "ids", rule
            )
        if rule == "oversized":
            many = ",".join(str(10**9 + n) for n in range(max_target_length // 11 + 2))
            return InvalidQuery(f"ids[songs]={many}", 414, "41400", None, rule)
        # empty list / empty element, in a type the valid prefix does not use
        used = set(prefix.group) if prefix is not None else set()
        free = [t for t in RESOURCE_TYPES if t not in used]
        if not free:  # the prefix uses every type: break one on its own
            lead, free = [], list(RESOURCE_TYPES)
        type_ = draw(st.sampled_from(free))
        if rule == "empty_list":
            value = ""
        else:
            ids = draw(st.lists(catalog_ids(type_), min_size=1, max_size=3))
            position = draw(st.integers(0, len(ids)))
            value = ",".join([*ids[:position], "", *ids[position:]])
        return InvalidQuery(
            "&".join([*lead, f"ids[{type_}]={value}"]), 400, "40005", f"ids[{type_}]", rule
        )

    return build()


# --- tokens -----------------------------------------------------------------------------------

_ids10 = st.text(string.ascii_uppercase + string.digits, min_size=10, max_size=10)


def developer_tokens(
    key: ec.EllipticCurvePrivateKey | None = None,
    *,
    min_lifetime: int = 60,
    max_lifetime: int = MAX_TOKEN_LIFETIME - 60,
) -> st.SearchStrategy[str]:
    """Valid ES256 developer tokens (raw R||S signature) signed by ``key`` (a fresh key when
    omitted: configure the fake with its public key, or verify no signatures)."""
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidArgument(f"key={key!r} must be an EC private key (P-256)")
    if not 1 <= min_lifetime <= max_lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidArgument(
            f"need 1 <= min_lifetime={min_lifetime} <= max_lifetime={max_lifetime}"
            f" <= {MAX_TOKEN_LIFETIME}"
        )
    signing_key = key or generate_private_key()
    return st.builds(
        lambda team, kid, lifetime: mint_developer_token(
            signing_key, team_id=team, key_id=kid, lifetime=lifetime
        ),
        _ids10,
        _ids10,
        st.integers(min_lifetime, max_lifetime),
    )


def invalid_developer_tokens(
    key: ec.EllipticCurvePrivateKey | None = None,
) -> st.SearchStrategy[tuple[str, str]]:
    """(token, reason) for every 401 cause (README, "What the fake checks"), the reason as the fake's
    verifier reports it. ``signature`` tokens only fail where the fake verifies signatures
    with ``key``'s public key; ``origin`` ones only where the request has no matching Origin."""
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidArgument(f"key={key!r} must be an EC private key (P-256)")
    factory = TokenFactory(key)

    def claims(**changes: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": DEFAULT_TEAM_ID, "iat": now, "exp": now + 3600, **changes}

    header = {"alg": "ES256", "kid": DEFAULT_KEY_ID}
    short = st.text(string.ascii_uppercase, min_size=0, max_size=9)
    long = st.text(string.ascii_uppercase, min_size=11, max_size=20)
    garbage = st.text(string.ascii_letters + string.digits + "-_.", max_size=40).filter(
        lambda s: s.count(".") != 2
    )
    cases: list[st.SearchStrategy[tuple[str, str]]] = [
        garbage.map(lambda s: (s or "x", "structure")),
        st.sampled_from(["HS256", "RS256", "ES384", "none"]).map(
            lambda alg: (forge_token({**header, "alg": alg}, claims()), "alg")
        ),
        st.one_of(short, long).map(
            lambda kid: (forge_token({**header, "kid": kid}, claims()), "kid")
        ),
        st.one_of(short, long).map(lambda iss: (forge_token(header, claims(iss=iss)), "iss")),
        st.integers(600, 10**6).map(
            lambda ahead: (
                forge_token(
                    header, claims(iat=int(time.time()) + ahead, exp=int(time.time()) + ahead + 60)
                ),
                "iat",
            )
        ),
        st.integers(1, 10**6).map(
            lambda ago: (
                forge_token(
                    header, claims(iat=int(time.time()) - ago - 60, exp=int(time.time()) - ago)
                ),
                "exp",
            )
        ),
        st.integers(3600, 10**7).map(
            lambda over: (
                forge_token(header, claims(exp=int(time.time()) + MAX_TOKEN_LIFETIME + over)),
                "exp",
            )
        ),
        st.just("https://allowed.example").map(lambda o: (factory.wrong_origin(o), "origin")),
        st.just(None).map(lambda _: (factory.der_signature(), "signature-shape")),
        st.just(None).map(lambda _: (factory.revoked(), "signature")),
    ]
    return st.one_of(cases)


def music_user_tokens() -> st.SearchStrategy[str]:
    """Opaque, non-empty Music-User-Tokens (base64-like, safe in a header)."""
    return st.text(string.ascii_letters + string.digits + "+/=_-", min_size=1, max_size=200)


# --- behaviours ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """A response schedule and library quirks for the fake, installable on a test's
    :class:`~pytest_plugin.AppleMusicMock` or a :class:`~mockserver.MockController`."""

    steps: tuple[dict[str, Any], ...] = ()
    drop_rate: float = 0.0
    visibility_delay_seconds: float = 0.0
    seed: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def statuses(self) -> list[int | None]:
        return [step.get("status") for step in self.steps]

    def install(self, control: Any) -> None:
        control.configure(
            drop_rate=self.drop_rate,
            visibility_delay_seconds=self.visibility_delay_seconds,
            seed=self.seed,
            **self.settings,
        )
        if self.steps:
            control.add_rule(sequence=list(self.steps))


def behaviours(
    *,
    statuses: Sequence[int] = (429, 500, 503),
    faults: bool = True,
    max_steps: int = 6,
    max_delay: float = 0.02,
    drops: bool = True,
    visibility: bool = False,
) -> st.SearchStrategy[Behaviour]:
    """Server behaviours to survive: a sequence of answers (normal 202s, ``statuses``, short
    delays, transport faults) for the next requests, then normal behaviour; optionally a
    silent drop rate and a visibility delay. Shrinks to "no misbehaviour at all"."""
    allowed = {202, 400, 401, 403, 404, 405, 429, 500, 503}
    for status in statuses:
        if status not in allowed:
            raise InvalidArgument(f"statuses item {status!r} must be one of {sorted(allowed)}")
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
    )
