"""Shared test setup: isolated env and data dir for every test; real services checked loudly in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

EXTENSION_DIR = Path(os.environ.get("DALGO_TEST_EXTENSION_DIR", Path.home() / ".cache" / "dalgo-test-duckdb-ext"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's DALGO_* settings or writes into their data dir."""
    for key in list(os.environ):
        if key.startswith("DALGO_") and key != "DALGO_TEST_EXTENSION_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("DALGO_HOME", str(tmp_path / "dalgo-home"))
    yield


@pytest.fixture
def extension_dir() -> Path:
    """One DuckDB extension folder shared by the whole test run (copying binaries is slow)."""
    return EXTENSION_DIR


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test means a missing component: fail the run loudly instead of passing quietly."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) were skipped; in CI every component must be present.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
