"""Warehouse targets and the `profiles.yml` dbt needs for them (secrets via env vars, never on disk)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pipelines.dbt.yamlio import dump_yaml
from pipelines.errors import ConfigError

PROFILE_NAME = "dalgo"
TARGET_NAME = "dalgo"
DEFAULT_SCHEMA = "analytics"
# dbt scrubs DBT_ENV_SECRET_* values from its logs and allows them in profiles.yml only.
PG_PASSWORD_ENV = "DBT_ENV_SECRET_DALGO_PG_PASSWORD"
BQ_PRIVATE_KEY_ENV = "DBT_ENV_SECRET_DALGO_BQ_PRIVATE_KEY"


@dataclass(frozen=True)
class DuckDBTarget:
    """The org's local DuckDB file; extensions load from a folder in the data dir, never downloaded.

    dbt's SQL runs confined (`pipelines.duckdb_conn.confine`): it may touch only `data_folders`. The runner
    opens the file confined before dbt does, so dbt-duckdb's own connection shares those locked settings.
    """

    kind: ClassVar[str] = "duckdb"
    path: Path
    extension_dir: Path
    schema: str = DEFAULT_SCHEMA
    threads: int = 2
    data_folders: tuple[Path, ...] = ()
    memory_limit: str = "1GB"

    def profile_output(self) -> dict[str, Any]:
        """The target entry of profiles.yml."""
        # No `settings`, `extensions` or `config_options`: the runner's confined connection has set them
        # and locked the configuration, so any SET from dbt-duckdb would be refused (and a connection with
        # another config to the same file is refused by DuckDB).
        return {
            "type": "duckdb",
            "path": str(Path(self.path).resolve()),
            "schema": self.schema,
            "threads": self.threads,
        }

    def secret_env(self) -> dict[str, str]:
        """Env vars the profile reads at run time (secrets)."""
        return {}


@dataclass(frozen=True)
class PostgresTarget:
    """A Postgres warehouse; the password reaches dbt through an env var set only during a run."""

    kind: ClassVar[str] = "postgres"
    host: str
    dbname: str
    user: str
    password: str = field(default="", repr=False)
    port: int = 5432
    schema: str = DEFAULT_SCHEMA
    sslmode: str = "prefer"
    threads: int = 4

    def profile_output(self) -> dict[str, Any]:
        """The target entry of profiles.yml."""
        return {
            "type": "postgres",
            "host": self.host,
            "port": int(self.port),
            "user": self.user,
            "password": "{{ env_var('" + PG_PASSWORD_ENV + "', '') }}",
            "dbname": self.dbname,
            "schema": self.schema,
            "sslmode": self.sslmode,
            "threads": self.threads,
        }

    def secret_env(self) -> dict[str, str]:
        """Env vars the profile reads at run time (secrets)."""
        return {PG_PASSWORD_ENV: self.password}


@dataclass(frozen=True)
class BigQueryTarget:
    """A BigQuery project/dataset, with a service-account key (private key kept out of the file) or oauth."""

    kind: ClassVar[str] = "bigquery"
    project: str
    dataset: str = DEFAULT_SCHEMA
    method: Literal["service-account-json", "oauth"] = "service-account-json"
    keyfile_json: Mapping[str, Any] | None = field(default=None, repr=False)
    location: str | None = None
    threads: int = 4

    @property
    def schema(self) -> str:
        """The dataset models are written to."""
        return self.dataset

    def profile_output(self) -> dict[str, Any]:
        """The target entry of profiles.yml."""
        out: dict[str, Any] = {
            "type": "bigquery",
            "method": self.method,
            "project": self.project,
            "dataset": self.dataset,
            "threads": self.threads,
        }
        if self.location:
            out["location"] = self.location
        if self.method == "service-account-json":
            if not self.keyfile_json:
                raise ConfigError(
                    "A BigQuery warehouse with a service account needs its JSON key",
                    hint="Paste the service-account key JSON in the warehouse settings",
                )
            key = {k: v for k, v in self.keyfile_json.items() if k != "private_key"}
            out["keyfile_json"] = key | {"private_key": "{{ env_var('" + BQ_PRIVATE_KEY_ENV + "', '') }}"}
        return out

    def secret_env(self) -> dict[str, str]:
        """Env vars the profile reads at run time (secrets)."""
        if self.method == "service-account-json" and self.keyfile_json:
            return {BQ_PRIVATE_KEY_ENV: str(self.keyfile_json.get("private_key", ""))}
        return {}


WarehouseTarget = DuckDBTarget | PostgresTarget | BigQueryTarget


def render_profiles_yml(target: WarehouseTarget) -> str:
    """The whole `profiles.yml` text for one org (one profile, one target)."""
    doc = {PROFILE_NAME: {"target": TARGET_NAME, "outputs": {TARGET_NAME: target.profile_output()}}}
    header = (
        "# Generated by Dalgo Desktop for this org's warehouse; rewritten when the warehouse settings change.\n"
        f"# Secrets are read from env vars ({PG_PASSWORD_ENV} / {BQ_PRIVATE_KEY_ENV}) when you run dbt yourself.\n"
    )
    return header + dump_yaml(doc)


def target_from_config(kind: str, config: Mapping[str, Any], *, schema: str = DEFAULT_SCHEMA) -> WarehouseTarget:
    """A target from a warehouse config with the same keys `pipelines.warehouse.open_warehouse` takes."""
    if kind == "duckdb":
        if not config.get("path") or not config.get("extension_dir"):
            raise ConfigError("A DuckDB warehouse needs a 'path' and an 'extension_dir'")
        folders = tuple(Path(f) for f in config.get("data_folders") or ())
        return DuckDBTarget(Path(config["path"]), Path(config["extension_dir"]), schema=schema, data_folders=folders)
    if kind == "postgres":
        return _postgres_target(config, schema)
    if kind == "bigquery":
        return _bigquery_target(config, schema)
    raise ConfigError(f"Unknown warehouse kind '{kind}'", hint="Use one of: duckdb, postgres, bigquery")


def _postgres_target(config: Mapping[str, Any], schema: str) -> PostgresTarget:
    from psycopg2.extensions import parse_dsn

    keys: dict[str, Any] = dict(parse_dsn(str(config["dsn"]))) if config.get("dsn") else dict(config)
    dbname = keys.get("dbname") or keys.get("database")
    if not keys.get("host") or not dbname:
        raise ConfigError("A Postgres warehouse needs a host and a database name", hint="Edit the warehouse settings")
    return PostgresTarget(
        host=str(keys["host"]),
        dbname=str(dbname),
        user=str(keys.get("user") or "postgres"),
        password=str(keys.get("password") or ""),
        port=int(keys.get("port") or 5432),
        sslmode=str(keys.get("sslmode") or "prefer"),
        schema=schema,
    )


def _bigquery_target(config: Mapping[str, Any], schema: str) -> BigQueryTarget:
    import json

    if not config.get("project"):
        raise ConfigError("A BigQuery warehouse needs a project id", hint="Edit the warehouse settings")
    raw = config.get("credentials_json")
    key = json.loads(raw) if isinstance(raw, str) else raw
    return BigQueryTarget(
        project=str(config["project"]),
        dataset=schema,
        method="service-account-json" if key else "oauth",
        keyfile_json=key,
        location=config.get("location"),
    )
