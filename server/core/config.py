"""One Settings object (DALGO_ prefix), passed into create_app; no module reads the environment itself."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pipelines.netpolicy import NetworkPolicy


def default_home() -> Path:
    """The per-user data dir: %APPDATA%/Dalgo, ~/Library/Application Support/Dalgo, $XDG_DATA_HOME/dalgo."""
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Dalgo"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Dalgo"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "dalgo"


class Settings(BaseSettings):
    """Server settings; every field can be set as DALGO_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="DALGO_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    secret_key: str | None = None
    secrets_key: str | None = None  # encrypts stored credentials; the desktop passes one from the OS keyring
    mode: Literal["embedded", "hosted"] = "hosted"
    access_token_minutes: int = 30
    refresh_token_days: int = 14
    invitation_days: int = 7
    password_reset_minutes: int = 60
    password_min_length: int = 10
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip_account: int = 5  # one person at one address; others behind it keep signing in
    login_max_failures_per_ip: int = 200  # ceiling for a whole address (a field office shares one)
    login_lockout_minutes: int = 15
    cors_origins: list[str] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "dalgo@localhost"
    duckdb_memory_limit: str = "1GB"
    allow_local_paths: bool | None = None
    # dbt runs in a child process holding no server secrets; default: on a hosted server, not on the desktop.
    isolate_dbt: bool | None = None
    max_upload_mb: int = 4096
    # Reading an uploaded file (check/discover) runs in a child process killed past this much resident memory;
    # None → on a hosted server, not on the desktop (spawning costs ~1 s there and protects no one else).
    parse_memory_limit_mb: int = 2048
    isolate_file_parsing: bool | None = None
    # Sources and warehouses on loopback/private/link-local addresses: None → the desktop may, a hosted server not.
    allow_private_network: bool | None = None
    # Reachable even so: host names or CIDRs, e.g. DALGO_ALLOWED_PRIVATE_HOSTS="kobo.office.lan,10.20.0.0/16".
    allowed_private_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("allowed_private_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """Accept a comma-separated list from the environment as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return _normalise_db_url(self.database_url)
        return f"sqlite:///{self.home / 'app.db'}"

    @property
    def dbt_isolated(self) -> bool:
        """Whether dbt commands run in a scrubbed child process rather than in the server process."""
        return self.mode == "hosted" if self.isolate_dbt is None else self.isolate_dbt

    @property
    def local_paths_allowed(self) -> bool:
        """Embedded desktop may read a local path named in a source config; a hosted server never does."""
        return self.mode == "embedded" if self.allow_local_paths is None else self.allow_local_paths

    def network_policy(self) -> NetworkPolicy:
        """What connectors may reach: anything on the desktop; public addresses (plus the allow-list) when hosted."""
        allow = self.mode == "embedded" if self.allow_private_network is None else self.allow_private_network
        return NetworkPolicy(allow_private=allow, allowed=tuple(self.allowed_private_hosts))

    @property
    def file_parsing_isolated(self) -> bool:
        """Whether file check/discover run in a memory-capped child process (see pipelines.limited)."""
        return self.mode == "hosted" if self.isolate_file_parsing is None else self.isolate_file_parsing

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def resolved_secret_key(self) -> str:
        """The signing/encryption key; in embedded mode generated on first run and kept in the data dir (0600)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.ensure_home() / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


def _normalise_db_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg2 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url
