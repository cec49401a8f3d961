"""Composition root: starts the embedded server and opens the window. The only desktop module importing `server`."""

from __future__ import annotations

import logging
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from desktop.client import DalgoClient
from desktop.client.errors import ApiError

log = logging.getLogger("desktop")


class EmbeddedServer:
    """The Dalgo server in a uvicorn thread on 127.0.0.1 and a free port, for this process only."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 60.0) -> str:
        """Build the app (migrating the app DB), serve it, and return its URL once /health says ok."""
        import uvicorn

        from server.main import create_app

        app = create_app(self.settings)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))  # bound before uvicorn starts: the port is known and never raced
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, timeout_keep_alive=5, timeout_graceful_shutdown=3
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="dalgo-embedded-server", daemon=True)
        self._thread.start()
        self._wait_healthy(time.monotonic() + timeout)
        return self.url

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as err:  # reported by start() instead of dying silently in the thread
            self._error = err

    def _wait_healthy(self, deadline: float) -> None:
        with DalgoClient(self.url, timeout=5) as client:
            while True:
                if self._error is not None or (self._thread is not None and not self._thread.is_alive()):
                    raise RuntimeError(f"the embedded server stopped while starting: {self._error!r}")
                if self._server.started:
                    try:
                        health = client.health()
                    except ApiError:
                        health = None
                    if health is not None and health.status == "ok":
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError("the embedded server did not become healthy in time")
                time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish open requests and exit; wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        if self._server is not None and getattr(self._server.config, "app", None) is not None:
            engine = getattr(getattr(self._server.config.app, "state", None), "engine", None)
            if engine is not None:
                engine.dispose()


def embedded_settings(home: Path | None = None) -> Any:
    """Settings for the embedded server: DALGO_* from the environment, mode forced to embedded.

    Source and warehouse credentials are encrypted with a key kept in the OS keyring when one works;
    without a keyring the server falls back to its key file in the data dir (0600)."""
    from server.core.config import Settings

    settings = Settings(mode="embedded", home=home) if home else Settings(mode="embedded")
    if settings.secrets_key is None:
        settings.secrets_key = keyring_secrets_key(settings.home)
    return settings


def keyring_secrets_key(home: Path) -> str | None:
    """The credentials key of this data dir from the OS keyring, created on first use; None without a keyring."""
    import secrets

    try:
        import keyring
        from keyring.backends.fail import Keyring as FailKeyring

        if isinstance(keyring.get_keyring(), FailKeyring):
            return None
        name = f"credentials-key:{Path(home).resolve()}"
        key = keyring.get_password("dalgo-desktop", name)
        if key is None:
            key = secrets.token_urlsafe(48)
            keyring.set_password("dalgo-desktop", name, key)
        return key
    except Exception as err:  # a locked or broken keyring must not stop the app
        log.warning("OS keyring unavailable for the credentials key (%s); using the data dir key file", err)
        return None


def _setup_logging(home: Path) -> None:
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(logs / "desktop.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name("dalgo-desktop")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "dalgo-desktop"]:
        root.removeHandler(old)  # a second run() in one process (tests, benchmarks) logs to its own data dir
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call would drown the log


def run(home: Path | None = None, on_ready: Callable[..., None] | None = None) -> int:
    """Open the app on the embedded server (or the hosted one used last); returns the exit code."""
    from desktop.state.credentials import default_store
    from desktop.state.prefs import Preferences
    from desktop.state.server import ServerTarget
    from desktop.state.session import AppState
    from desktop.ui.qt_app import create_application, quit_on_signals
    from desktop.ui.qt_main import QtMainWindow
    from desktop.ui.qt_runner import QtRunner

    qt_app = create_application()
    settings = embedded_settings(home)
    data_dir = settings.ensure_home()
    _setup_logging(data_dir)
    runner = QtRunner()
    state = AppState(runner, default_store(data_dir), Preferences(data_dir / "desktop.json"))
    server = EmbeddedServer(settings)
    # Start the server first: its imports and migrations overlap with building the window.
    runner.submit(server.start, lambda url: state.local_ready(ServerTarget.local(url, data_dir)), state.local_failed)
    window = QtMainWindow(state, on_ready=on_ready)
    window.show()
    state.launch()
    try:
        with quit_on_signals(qt_app):
            return qt_app.exec()
    finally:
        if state.client is not None:
            state.client.close()
        runner.wait(10_000)
        server.stop()
        log.info("Dalgo desktop closed")


def main() -> int:
    """Entry point of `dalgo` with no subcommand."""
    multiprocessing.freeze_support()
    return run()
