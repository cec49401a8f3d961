"""Desktop test setup: a real embedded server (uvicorn thread) per test, on its own copy of a migrated app DB."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.app import EmbeddedServer, embedded_settings
from desktop.client import DalgoClient
from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.runner import InlineRunner
from desktop.state.session import AppState

PASSWORD = "nairobi-water-77"
ADMIN = "root@example.org"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the migrations once per session; each test copies the result (migrating is ~1 s here)."""
    from server.core.db import make_engine, migrate

    home = tmp_path_factory.mktemp("migrated-home")
    engine = make_engine(f"sqlite:///{home / 'app.db'}")
    migrate(engine)
    engine.dispose()
    return home


@pytest.fixture
def dalgo_home(migrated_db: Path) -> Path:
    """This test's DALGO_HOME (set by tests/conftest.py), holding a fresh, migrated, empty app DB."""
    home = Path(os.environ["DALGO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    for path in migrated_db.glob("app.db*"):
        shutil.copy(path, home / path.name)
    return home


@pytest.fixture
def server(dalgo_home: Path) -> Iterator[EmbeddedServer]:
    """The real Dalgo server in a uvicorn thread on 127.0.0.1, as the desktop app starts it."""
    embedded = EmbeddedServer(embedded_settings(dalgo_home))
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture
def url(server: EmbeddedServer) -> str:
    return server.url


@pytest.fixture
def admin(url: str) -> Iterator[DalgoClient]:
    """A client signed in as the first super-admin, in the first org ('Alpha Office')."""
    client = DalgoClient(url)
    client.setup(ADMIN, PASSWORD, "Alpha Office")
    client.use_org(client.me().memberships[0].org.slug)
    yield client
    client.close()


def invite_and_join(admin: DalgoClient, email: str, role: str, org: str | None = None) -> DalgoClient:
    """Invite `email` with `role` and accept as them; returns their signed-in client."""
    invitation = admin.create_invitation(email, role, org=org)
    member = DalgoClient(admin.base_url)
    result = member.accept_invitation(invitation.code, PASSWORD)
    member.use_org(result.org_slug)
    return member


@pytest.fixture
def headless(dalgo_home: Path) -> AppState:
    """An AppState with work run inline and credentials in a 0600 file: the app minus Qt and threads."""
    return AppState(
        InlineRunner(),
        FileCredentialStore(dalgo_home / "credentials.json"),
        Preferences(dalgo_home / "desktop.json"),
    )
