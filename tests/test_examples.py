"""Everything in examples/ runs and does what it says."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
import requests

from mockserver import LiveServer, create_app, mint_developer_token

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

from batch_client import LibraryError, add_to_library  # noqa: E402 - needs the sys.path entry above

pytestmark = pytest.mark.live


def test_batch_client_main_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "batch_client.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "added 250 songs in 3 requests" in out
    assert "refused as expected: 403 40300" in out


def test_batch_client_surfaces_401_and_40004() -> None:
    with LiveServer(create_app()) as server, requests.Session() as session:
        with pytest.raises(LibraryError) as caught:
            add_to_library(
                session, ["1"], developer_token="not-a-jwt", user_token="u", base_url=server.url
            )
        assert (caught.value.status, caught.value.errors) == (401, [])
        response = session.post(
            f"{server.url}/v1/me/library",
            params={"ids[artists]": "1"},
            headers={"Authorization": f"Bearer {mint_developer_token()}", "Music-User-Token": "u"},
            timeout=10,
        )
        assert response.json()["errors"][0]["code"] == "40004"
