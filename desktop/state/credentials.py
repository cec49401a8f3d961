"""Remember-me: the refresh token (never the password) in the OS keyring, else a 0600 file in the data dir."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)
SERVICE = "Dalgo Desktop"


@dataclass(frozen=True)
class Remembered:
    email: str
    refresh_token: str


class CredentialStore(Protocol):
    """Where a remembered sign-in lives, keyed by server (the local data dir or a hosted URL)."""

    kind: str

    def load(self, key: str) -> Remembered | None: ...

    def save(self, key: str, remembered: Remembered) -> None: ...

    def forget(self, key: str) -> None: ...


def _parse(raw: Any) -> Remembered | None:
    if isinstance(raw, dict) and isinstance(raw.get("email"), str) and isinstance(raw.get("refresh_token"), str):
        return Remembered(raw["email"], raw["refresh_token"])
    return None


class FileCredentialStore:
    """A JSON file readable by its owner only (0600), written atomically."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.chmod(tmp, 0o600)  # in case the file existed with wider permissions
        os.replace(tmp, self.path)

    def load(self, key: str) -> Remembered | None:
        with self._lock:
            return _parse(self._read().get(key))

    def save(self, key: str, remembered: Remembered) -> None:
        with self._lock:
            data = self._read()
            data[key] = asdict(remembered)
            self._write(data)

    def forget(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)


class KeyringCredentialStore:
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service)."""

    kind = "keyring"

    def __init__(self, keyring_module: Any) -> None:
        self._keyring = keyring_module

    def load(self, key: str) -> Remembered | None:
        try:
            raw = self._keyring.get_password(SERVICE, key)
            return _parse(json.loads(raw)) if raw else None
        except Exception as err:  # a locked or broken keyring must not stop sign-in
            log.warning("Could not read the keyring: %s", err)
            return None

    def save(self, key: str, remembered: Remembered) -> None:
        try:
            self._keyring.set_password(SERVICE, key, json.dumps(asdict(remembered)))
        except Exception as err:
            log.warning("Could not write to the keyring: %s", err)

    def forget(self, key: str) -> None:
        with contextlib.suppress(Exception):  # nothing stored is fine
            self._keyring.delete_password(SERVICE, key)


def usable_keyring() -> Any | None:
    """The keyring module when a real backend is available, else None (headless Linux, CI)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def default_store(data_dir: Path) -> CredentialStore:
    """The keyring when it works here, otherwise `<data dir>/credentials.json` (0600)."""
    module = usable_keyring()
    if module is not None:
        return KeyringCredentialStore(module)
    return FileCredentialStore(data_dir / "credentials.json")
