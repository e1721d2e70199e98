"""The README's reference tables are what tools/gen_docs.py makes of the schemas, the marks
data and the docstrings."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mockserver.marks import load_marks
from mockserver.schemas import load_schemas

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_tables_match_their_sources() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert gen_docs().render(readme) == readme, (
        "README.md tables are out of date: run python tools/gen_docs.py"
    )


@pytest.mark.parametrize("name", ["settings", "admin-api", "fixtures", "strategies", "answers"])
def test_every_table_has_rows(name: str) -> None:
    table = gen_docs().TABLES[name]()
    assert table.count("\n") >= 3, table


def test_missing_markers_and_unlisted_guesses_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = gen_docs()
    with pytest.raises(module.DocsError, match="lacks the markers of the 'endpoints' table"):
        module.render("no markers here")
    real = module._marks()
    monkeypatch.setattr(module, "_marks", lambda: {**real, "guesses": []})
    with pytest.raises(module.DocsError, match="'repeated_keys' is marked \\[guess\\]"):
        module.settings_table()


def test_check_mode_reports_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = gen_docs()
    stale = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale.write_text(text.replace("| `repeated_keys` |", "| `repeated_keys (old)` |"))
    monkeypatch.setattr(module, "README", stale)
    assert module.main(["--check"]) == 1
    assert "run python tools/gen_docs.py" in capsys.readouterr().err
    assert module.main([]) == 0
    assert stale.read_text(encoding="utf-8") == text
    assert module.main(["--check"]) == 0


def test_a_guess_with_a_setting_takes_its_default_from_the_settings() -> None:
    module = gen_docs()
    settings = json.loads((SCHEMAS / "config.schema.json").read_text(encoding="utf-8"))
    for guess in load_marks()["guesses"]:
        shown = module.guess_default(guess)
        if guess["setting"] is None:
            assert shown == guess["default"], guess["id"]
            continue
        value = settings["properties"][guess["setting"]].get("default")
        full = f"`{json.dumps(value)}`"
        assert shown.startswith(full if len(full) <= 102 else f"{len(value)} items"), shown
        if "default" in guess:
            assert shown.endswith(f" ({guess['default']})")
    validator = load_schemas().validator("marks.schema.json")
    unsettable = {"id": "x", "behaviour": "b", "setting": None, "evidence": "e"}
    assert not validator.is_valid({"endpoints": [], "guesses": [unsettable], "answers": []})
    settable = {**unsettable, "setting": "rate_limit"}
    assert validator.is_valid({"endpoints": [], "guesses": [settable], "answers": []})


def test_the_note_of_a_guess_follows_its_settings_default() -> None:
    module = gen_docs()
    guess = {"id": "x", "behaviour": "b", "setting": "catalog", "evidence": "e"}
    assert module.guess_default(guess) == "`null`"
    assert module.guess_default({**guess, "default": "no catalog"}) == "`null` (no catalog)"
    assert module.guess_default({**guess, "setting": "web_player_parameters"}).endswith(" items")


FIXTURES = """import pytest

@pytest.fixture(scope="session")
async def served():
    \"\"\"A ``served`` app.\"\"\"

@pytest.fixture
def plain():
    \"\"\"Plain.\"\"\"

async def helper():
    \"\"\"Not a fixture.\"\"\"
"""


def test_async_fixtures_are_listed_and_other_functions_are_not(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text(FIXTURES, encoding="utf-8")
    rows = gen_docs().fixtures_table(source).splitlines()[2:]
    assert rows == ["| `served` | session | A `served` app. |", "| `plain` | function | Plain. |"]


def test_making_the_strategies_table_twice_leaves_sys_path_alone() -> None:
    module = gen_docs()
    first = module.strategies_table()
    before = list(sys.path)
    assert module.strategies_table() == first
    assert sys.path == before
