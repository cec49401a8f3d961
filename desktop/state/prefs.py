"""Small desktop preferences kept in `<data dir>/desktop.json`: last server, emails and orgs used, window place."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Preferences:
    """Remembers what to pre-fill; never secrets."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self._data, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)

    def _section(self, name: str) -> dict[str, Any]:
        section = self._data.get(name)
        return section if isinstance(section, dict) else {}

    @property
    def last_server(self) -> str | None:
        value = self._data.get("last_server")
        return value if isinstance(value, str) else None

    @property
    def hosted_urls(self) -> list[str]:
        urls = self._data.get("hosted_urls")
        return [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []

    def remember_server(self, key: str, hosted_url: str | None) -> None:
        self._data["last_server"] = key
        if hosted_url:
            self._data["hosted_urls"] = [hosted_url, *[u for u in self.hosted_urls if u != hosted_url]][:5]
        self._save()

    def last_email(self, server_key: str) -> str:
        return str(self._section("last_email").get(server_key, ""))

    def last_org(self, server_key: str, email: str) -> str | None:
        value = self._section("last_org").get(f"{server_key}|{email}")
        return value if isinstance(value, str) else None

    def remember_user(self, server_key: str, email: str, org_slug: str | None) -> None:
        self._data["last_email"] = {**self._section("last_email"), server_key: email}
        if org_slug:
            self._data["last_org"] = {**self._section("last_org"), f"{server_key}|{email}": org_slug}
        self._save()

    @property
    def window(self) -> dict[str, int] | None:
        """The main window's last normal geometry and maximised state, as {x, y, width, height, maximised}."""
        saved = self._section("window")
        keys = ("x", "y", "width", "height", "maximised")
        if not all(isinstance(saved.get(k), int) for k in keys):
            return None
        return {k: int(saved[k]) for k in keys}

    def remember_window(self, x: int, y: int, width: int, height: int, maximised: bool) -> None:
        self._data["window"] = {"x": x, "y": y, "width": width, "height": height, "maximised": int(maximised)}
        self._save()
