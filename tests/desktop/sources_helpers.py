"""Helpers shared by the Sources and Data tests: small CSVs, signing in, waiting for jobs, clicking."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QTableWidget
from pytestqt.qtbot import QtBot

from desktop.client import DalgoClient
from desktop.client.data_models import Job, Source
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui.qt_main import QtMainWindow
from tests.desktop.conftest import PASSWORD

DISTRICTS = ("north", "south", "east", "west")
WAIT = 20_000


def write_csv(path: Path, rows: int, extra_column: bool = False) -> Path:
    """`id,name,district,age[,phone]`: ids 1..rows, district cycling north/south/east/west, age 20..49."""
    header = "id,name,district,age" + (",phone" if extra_column else "")
    lines = [header]
    for i in range(1, rows + 1):
        line = f"{i},Person {i},{DISTRICTS[i % 4]},{20 + i % 30}"
        lines.append(line + (f",+2547{i:08d}" if extra_column else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sign_in(state: AppState, url: str, home: Path, email: str) -> AppState:
    """Connect a headless AppState to the local server and sign in (work runs inline)."""
    state.local_ready(ServerTarget.local(url, home))
    state.login(email, PASSWORD)
    assert state.screen == Screen.main, state.banner.notice
    return state


def wait_job(client: DalgoClient, job_id: str, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get_job(job_id)
        if not job.active:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def synced_csv_source(client: DalgoClient, path: Path, name: str = "Clinic visits") -> Source:
    """Upload, create, discover and sync a CSV source through the API; returns the source."""
    upload = client.upload_file(path)
    source = client.create_source(name, "csv", {"upload_id": upload.id})
    client.discover_source(source.id)
    job = wait_job(client, client.sync_source(source.id).job_id)
    assert job.status == "succeeded", job
    return client.get_source(source.id)


def switch_user(qtbot: QtBot, win: QtMainWindow, email: str) -> None:
    win.state.logout()
    qtbot.waitUntil(lambda: win.state.screen == Screen.login, timeout=WAIT)
    win.state.login(email, PASSWORD)
    qtbot.waitUntil(lambda: win.state.screen == Screen.main, timeout=WAIT)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item.text()
