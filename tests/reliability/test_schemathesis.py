"""Schemathesis against the fake's own ``/openapi.json``, in process, with every check: each
operation's answers are documented, well-formed and never a 5xx, and the journal stays
readable. Default: the fuzzing phase, 12 examples per operation; ``--reliability-full``: the
coverage phase too (every boundary and negative case it derives) and 300 examples.

Two checks compare the schema's precision with the server's: ``positive_data_acceptance``
(a schema-valid request must not be refused) and ``negative_data_rejection`` (a
schema-violating one must be). On Apple's paths they fail the test like every other check.
On the admin API, whose bodies no schema can fully describe (a PEM key that parses, a rule id
that exists), their findings are counted and shown as "schema drift" with the run's figures
(RELIABILITY.md lists them); set ``STRICT_ADMIN_SCHEMA`` to make them fail too."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from mockserver import create_app

from .conftest import (
    MODE,
    Watch,
    assert_apple_error,
    assert_readable,
    bound,
    note,
    remark,
    tally,
)
from support import Reply

pytestmark = pytest.mark.reliability

APP = create_app()
BASELINE = APP.mock.settings

CONFIG = SchemathesisConfig.from_dict(
    {
        # A loopback host: the admin API (no admin_token) answers loopback to loopback only;
        # Schemathesis' default "testserver" would get a 403 for every admin case.
        "base-url": "http://127.0.0.1:8080",
        "phases": {
            "coverage": {"enabled": MODE.full},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)

CASES: dict[str, int] = {}
STRICT_ADMIN_SCHEMA = False
PRECISION_CHECKS = [positive_data_acceptance, negative_data_rejection]


def isolate() -> None:
    """Undo what an earlier case scripted: its rules would answer later cases with the 5xx
    or faults it asked for, its settings (say, max_target_length=32) would refuse them. The
    library and the journal are kept, so state left by one case is read by the next."""
    mock = APP.mock
    if mock.settings != BASELINE:
        mock.configure(BASELINE)
    for rule in mock.list_rules():
        mock.delete_rule(rule["id"])
    mock.real_time()


def newline_in_user(case: schemathesis.Case[Any]) -> bool:
    """A ``{user}`` with a line break: Starlette's path converter does not match it, so the
    fake answers an undocumented 404 (reported in RELIABILITY.md)."""
    value = (case.path_parameters or {}).get("user")  # percent-encoded once sent
    return isinstance(value, str) and "\n" in unquote(value)


@schema.parametrize()
@settings(
    max_examples=bound(12, 300),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_fake_keeps_its_own_contract(case: schemathesis.Case[Any], watch: Watch) -> None:
    isolate()
    label = case.operation.label
    CASES[label] = CASES.get(label, 0) + 1
    tally("schemathesis", cases=1)
    response = case.call()
    status = response.status_code
    tally("schemathesis", **{f"answers {status // 100}xx": 1})
    if status == 404 and newline_in_user(case):
        headers = {name.lower(): values[0] for name, values in response.headers.items()}
        reply = Reply(status, headers, response.content)
        assert_apple_error(reply, 404, "40400")
        tally("schemathesis", **{"known: 404 for a user with a line break": 1})
    elif case.operation.path.startswith("/_mock/") and not STRICT_ADMIN_SCHEMA:
        case.validate_response(response, excluded_checks=PRECISION_CHECKS)
        try:
            case.validate_response(response, checks=PRECISION_CHECKS)
        except (Failure, FailureGroup) as drift:
            tally("schemathesis", **{"admin schema drift": 1})
            title = str(drift).strip().splitlines()[0]
            remark(f"schema drift {label}", f"{title}: {case.as_curl_command()[:240]}", keep=2)
    else:
        case.validate_response(response)
    assert status < 500, (label, status, response.content[:300])
    entries = APP.mock.journal_entries(limit=3)
    json.dumps([entry.to_json() for entry in entries])
    if sum(CASES.values()) % 25 == 0:
        assert_readable(APP)
    watch.assert_clean()


def test_after_the_run_the_fake_is_readable(watch: Watch) -> None:
    isolate()
    count = assert_readable(APP, watch)
    note("schemathesis", operations=len(CASES), journal_entries=count)
    for label, cases in sorted(CASES.items()):
        note("schemathesis cases per operation", **{label: cases})
