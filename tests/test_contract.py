"""The contract as data (schemas/contract/cases.json, mockserver/contract.py): every case is
what the fake answers, so the data cannot drift from the code."""

from __future__ import annotations

import json

import pytest

from mockserver import Settings
from mockserver.contract import Case, load_cases, outcome_of
from mockserver.schemas import load_schemas, schema_dir
from mockserver.verify import Fakes

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_fake_answers_each_case_as_the_data_says(case: Case) -> None:
    assert not Fakes(Settings()).answer(case).differences(case.expected)


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.guess_setting], ids=lambda case: case.id
)
def test_each_value_of_a_guess_answers_differently(case: Case) -> None:
    assert case.mark == "guess"
    assert case.guess_setting is not None
    assert getattr(Settings(), case.guess_setting) == case.guess_values[0], "default first"
    fakes = Fakes(Settings())
    outcomes = [fakes.answer(case, case.guess_setting, value) for value in case.guess_values]
    assert len({outcome.brief() for outcome in outcomes}) == len(outcomes)


def test_the_data_covers_the_readme_table_and_is_valid() -> None:
    document = (schema_dir() / "contract" / "cases.json").read_text(encoding="utf-8")
    load_schemas().validator("contract-cases.schema.json").validate(json.loads(document))
    codes = {case.expected.code for case in CASES}
    statuses = {case.expected.status for case in CASES}
    assert {"40004", "40005", "40015", "40300"} <= codes
    assert {202, 400, 401, 403, 404, 405, 414} <= statuses
    assert len({case.id for case in CASES}) == len(CASES)
    assert [case.id for case in CASES if not case.safe] == ["unsubscribed-user", "accepted"]


def test_outcome_compares_shape_not_values() -> None:
    one = outcome_of(400, b'{"errors":[{"id":"A","code":"40005","source":{"parameter":"l"}}]}')
    two = outcome_of(400, b'{"errors":[{"id":"B","code":"40005","source":{"parameter":"l"}}]}')
    assert one == two
    assert one.parameter == "l"
    assert one.shape == "errors"
    assert outcome_of(202, b"").shape == "empty"
    assert outcome_of(200, b'{"data":[]}').differences(
        outcome_of(200, b'{"data":{}}'), signatures=True
    ) == ["signature {data:[]} != {data:{}}"]
