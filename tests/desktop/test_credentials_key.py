"""Source credentials are encrypted with a key from the OS keyring when there is one."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from desktop.app import embedded_settings, keyring_secrets_key


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_key_is_created_once_per_data_dir_and_reused(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    first = keyring_secrets_key(tmp_path / "a")
    assert first and keyring_secrets_key(tmp_path / "a") == first
    assert keyring_secrets_key(tmp_path / "b") != first
    assert embedded_settings(tmp_path / "a").secrets_key == first


def test_without_a_keyring_the_server_key_file_is_used(tmp_path: Path) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        assert keyring_secrets_key(tmp_path) is None
        settings = embedded_settings(tmp_path)
        assert settings.secrets_key is None
        key_file = tmp_path / "secret.key"
        settings.resolved_secret_key()
        assert key_file.stat().st_mode & 0o777 == 0o600
    finally:
        keyring.set_keyring(previous)
