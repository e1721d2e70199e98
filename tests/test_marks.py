"""The marks data (schemas/contract/marks.json) against the README, the settings, the
contract cases, the routes and every answer the code can send."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from mockserver.contract import load_cases
from mockserver.errors import DEFAULT_ERRORS, TITLES
from mockserver.marks import guess_for, load_marks

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
CODE = re.compile(r"^[45]\d{4}$")
#: The calls whose first argument is a status the fake answers with.
ANSWERING = {"AppleError", "empty_reply", "json_reply", "Reply", "error_reply"}


def _prose(text: str) -> str:
    """The README without its code blocks and inline code (they show output, not marks)."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.DOTALL))


def _apple_operations() -> dict[tuple[str, str], dict[str, Any]]:
    paths = json.loads((SCHEMAS / "openapi.json").read_text(encoding="utf-8"))["paths"]
    return {
        (method.upper(), path): operation
        for path, item in paths.items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


def test_every_guess_mark_of_the_readme_is_in_the_guess_table() -> None:
    ids = {guess["id"] for guess in load_marks()["guesses"]}
    prose = _prose((ROOT / "README.md").read_text(encoding="utf-8"))
    marks = re.findall(r"\[guess[^\]]*\](?!\()", prose)  # not a link named "guess …"
    assert len(marks) > 20
    malformed = [m for m in marks if not re.fullmatch(r"\[guess: [a-z0-9-]+\]", m)]
    assert not malformed, (
        f"mark each guess [guess: <id of schemas/contract/marks.json>]: {malformed}"
    )
    unknown = sorted({m[8:-1] for m in marks} - ids)
    assert not unknown, f"add these guesses to schemas/contract/marks.json: {unknown}"
    unused = sorted(ids - {m[8:-1] for m in marks})
    assert not unused, f"guesses the README never marks: {unused}"


def test_every_guess_names_a_real_setting() -> None:
    settings = json.loads((SCHEMAS / "config.schema.json").read_text(encoding="utf-8"))
    names = set(settings["properties"])
    guesses = load_marks()["guesses"]
    assert [g["setting"] for g in guesses if g["setting"] not in names | {None}] == []
    assert len({g["id"] for g in guesses}) == len(guesses)
    marked = {
        name
        for name, spec in settings["properties"].items()
        if spec.get("description", "").startswith("[guess")
    }
    assert marked <= {g["setting"] for g in guesses}, "each [guess] setting needs an entry"


def test_every_guessed_contract_case_has_its_table_entry() -> None:
    cases = load_cases()
    for case in cases:
        if case.mark == "guess":
            assert guess_for(case.id, case.guess_setting) is not None, case.id
    named = {case_id for g in load_marks()["guesses"] for case_id in g.get("cases", ())}
    assert named <= {case.id for case in cases}
    assert guess_for("no-such-case") is None


def test_every_apple_route_links_its_reference() -> None:
    served = {key for key in _apple_operations() if key[0] != "OPTIONS"}
    listed = {(e["method"], e["path"]) for e in load_marks()["endpoints"]}
    assert served - listed == set(), "add these to 'endpoints' in schemas/contract/marks.json"
    assert listed - served == set()


def _from_the_code() -> tuple[set[int], set[str]]:
    statuses: set[int] = set(DEFAULT_ERRORS)
    codes: set[str] = set(TITLES) | {error.code for error in DEFAULT_ERRORS.values()}
    for path in (ROOT / "mockserver").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                codes.update(CODE.findall(node.value))
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                value = first.value if isinstance(first, ast.Constant) else None
                if name in ANSWERING and isinstance(value, int) and 200 <= value <= 599:
                    statuses.add(value)
    return statuses, codes


def _from_the_schemas() -> tuple[set[int], set[str]]:
    statuses: set[int] = set()
    codes: set[str] = set()
    for operation in _apple_operations().values():
        for status, response in operation["responses"].items():
            if status.isdigit():
                statuses.add(int(status))
            codes.update(re.findall(r"\b[45]\d{4}\b", response.get("description", "")))
    for case in load_cases():
        statuses.add(case.expected.status)
        if case.expected.code:
            codes.add(case.expected.code)
    return statuses, codes


def test_every_answer_the_fake_can_give_is_listed() -> None:
    answers = load_marks()["answers"]
    listed_statuses = {a["status"] for a in answers if isinstance(a["status"], int)}
    listed_codes = {a["code"] for a in answers if a["code"] and CODE.match(a["code"])}
    code_statuses, code_codes = _from_the_code()
    schema_statuses, schema_codes = _from_the_schemas()
    sent_statuses = code_statuses | schema_statuses
    sent_codes = code_codes | schema_codes
    assert sent_statuses - listed_statuses == set(), "list these in marks.json 'answers'"
    assert sent_codes - listed_codes == set(), "list these in marks.json 'answers'"
    assert listed_codes - sent_codes == set(), "listed, but the fake never sends them"
    assert listed_statuses - sent_statuses == set(), "listed, but the fake never sends them"
    assert {"42900", "50300"} <= listed_codes
    seen = {a["code"] for a in answers if a["apple"] == "seen" and a["code"]}
    assert seen == {"40004", "40005", "40015", "40300", "42900", "50001"}
    assert any(a["status"] == "4xx/5xx" for a in answers)
