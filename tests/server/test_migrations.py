"""The Alembic migrations build the whole schema on SQLite and Postgres, and match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.core.db import alembic_config, make_engine, migrate
from server.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    url: str = request.getfixturevalue("pg_app_db")
    # a separate schema-free check: reuse the session database after the app tests emptied it
    return url.replace("postgresql://", "postgresql+psycopg2://")


def test_upgrade_builds_every_model_table_and_nothing_drifts(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_downgrade_to_base_and_back_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    cfg = alembic_config(url)
    command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert "users" in inspect(engine).get_table_names()


def test_fast_head_check_agrees_with_alembic(tmp_path: Path) -> None:
    """Start-up skips importing alembic when the DB is at head; the cheap head must be alembic's head."""
    from alembic.script import ScriptDirectory

    from server.core.db import head_revision

    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert head_revision() == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
