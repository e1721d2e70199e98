"""A Python client for the admin API: the :class:`MockController` operations over HTTP."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .admin import ADMIN_TOKEN_HEADER
from .config import Settings
from .control import CatalogDocument
from .errors import ConfigError, MockServerError
from .journal import JournalEntry, JournalFilters
from .rules import Rule

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:  # pragma: no cover
        from typing_extensions import Unpack

__all__ = ["AdminClient", "AdminError"]


class AdminError(MockServerError):
    """The admin API refused a request; ``status`` and ``errors`` say why."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        detail = "; ".join(str(e.get("detail", e.get("title", ""))) for e in errors) or "no detail"
        super().__init__(f"admin API answered {status}: {detail}")
        self.status = status
        self.errors = errors


class AdminClient:
    """Control a fake running elsewhere (e.g. started in CI by ``apple-music-mock serve``).

    Same methods and results as :class:`MockController`::

        admin = AdminClient("http://127.0.0.1:8080")
        admin.add_rule(sequence=[{"status": 429}, {"status": 429}])
        assert admin.journal_count(status=202) == 0
    """

    def __init__(self, url: str, *, admin_token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def _call(
        self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None
    ) -> Any:
        url = f"{self.url}/_mock{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        if self.admin_token is not None:
            request.add_header(ADMIN_TOKEN_HEADER, self.admin_token)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content = response.read()
        except urllib.error.HTTPError as error:
            with error:
                content = error.read()
            try:
                errors = json.loads(content)["errors"]
            except (ValueError, KeyError, TypeError):
                errors = [{"detail": content.decode("utf-8", "replace")[:200]}]
            if error.code == 400:
                raise ConfigError(AdminError(error.code, errors).args[0]) from None
            raise AdminError(error.code, errors) from None
        return json.loads(content) if content else None

    def _path(self, user_token: str) -> str:
        return "/library/" + urllib.parse.quote(user_token, safe="")

    # --- configuration ---------------------------------------------------------------------

    def health(self) -> bool:
        try:
            return bool(self._call("GET", "/health")["status"] == "ok")
        except (OSError, MockServerError):
            return False

    @property
    def settings(self) -> Settings:
        return Settings.from_mapping(self._call("GET", "/config"), source="server config")

    def settings_for(self, namespace: str | None = None) -> Settings:
        data = self._call("GET", "/config", query={"namespace": namespace})
        return Settings.from_mapping(data, source="server config")

    def configure(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        **changes: Any,
    ) -> Settings:
        query = {"namespace": namespace}
        if settings is None:
            data = self._call("PATCH", "/config", _jsonable(changes), query)
        else:
            mapping = settings.to_mapping() if isinstance(settings, Settings) else dict(settings)
            mapping.pop("admin_token", None)
            data = self._call("PUT", "/config", mapping, query)
        return Settings.from_mapping(data, source="server config")

    def trust_developer_key(self, key: str | Mapping[str, Any]) -> bool:
        return bool(self._call("POST", "/keys", {"key": key})["added"])

    # --- rules -----------------------------------------------------------------------------

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        if rule is not None and fields:
            raise TypeError("give a rule or its fields, not both")
        body = (
            rule.to_json()
            if isinstance(rule, Rule)
            else dict(rule if rule is not None else fields)
        )
        return Rule.from_json(self._call("POST", "/rules", body))

    def list_rules(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/rules")["rules"])

    def delete_rule(self, rule_id: str) -> bool:
        try:
            self._call("DELETE", "/rules/" + urllib.parse.quote(rule_id, safe=""))
        except AdminError as error:
            if error.status == 404:
                return False
            raise
        return True

    # --- state -----------------------------------------------------------------------------

    def reset(self, namespace: str | None = None, *, keep_journal: bool = False) -> None:
        body: dict[str, Any] = {} if namespace is None else {"namespace": namespace}
        if keep_journal:
            body["keep_journal"] = True
        self._call("POST", "/reset", body)

    def journal_entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        data = self._call("GET", "/journal", query=filters)
        return [JournalEntry.from_json(entry) for entry in data["entries"]]

    def journal_count(self, **filters: Unpack[JournalFilters]) -> int:
        return int(self._call("GET", "/journal/count", query=filters)["count"])

    def journal_stats(self) -> dict[str, int]:
        data = self._call("GET", "/journal/count")
        return {k: data[k] for k in ("size", "kept", "total", "overflow")}

    def clear_journal(self, user_token: str | None = None) -> None:
        self._call("DELETE", "/journal", query={"user_token": user_token})

    def get_library(self, user_token: str) -> dict[str, list[dict[str, Any]]]:
        return dict(self._call("GET", self._path(user_token)))

    def put_library(
        self, user_token: str, contents: Mapping[str, list[str]]
    ) -> dict[str, list[dict[str, Any]]]:
        return dict(self._call("PUT", self._path(user_token), dict(contents)))

    # --- catalog ---------------------------------------------------------------------------

    def get_catalog(self, namespace: str | None = None) -> CatalogDocument | None:
        result = self._call("GET", "/catalog", query={"namespace": namespace})
        return None if result is None else dict(result)

    def put_catalog(
        self, document: Mapping[str, Any] | None, *, namespace: str | None = None
    ) -> CatalogDocument | None:
        body = None if document is None else dict(document)
        result = self._call("PUT", "/catalog", body, {"namespace": namespace})
        return None if result is None else dict(result)

    def patch_catalog(
        self, document: Mapping[str, Any], *, namespace: str | None = None
    ) -> CatalogDocument | None:
        result = self._call("PATCH", "/catalog", dict(document), {"namespace": namespace})
        return None if result is None else dict(result)

    # --- clock -----------------------------------------------------------------------------

    def get_time(self) -> dict[str, Any]:
        return dict(self._call("GET", "/clock"))

    def set_time(self, now: float, *, frozen: bool = True) -> dict[str, Any]:
        return dict(self._call("PUT", "/clock", {"now": now, "frozen": frozen}))

    def advance_time(self, seconds: float) -> dict[str, Any]:
        return dict(self._call("PUT", "/clock", {"advance": seconds}))

    def real_time(self) -> dict[str, Any]:
        return dict(self._call("PUT", "/clock", {"real": True}))


def _jsonable(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Setting changes as JSON can carry them (sets become sorted lists)."""
    return {
        name: sorted(value) if isinstance(value, (set, frozenset)) else value
        for name, value in changes.items()
    }
