"""Run a fake ASGI or WSGI app with uvicorn in a background thread on 127.0.0.1 and a free port.

Usage in a test module::

    @pytest.fixture
    def kobo_url() -> Iterator[str]:
        with serve_app(make_app(...)) as server:
            yield server.url

The socket is bound before uvicorn starts, so the port is known at once and never raced.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

Interface = Literal["auto", "asgi3", "asgi2", "wsgi"]


class FakeServer:
    """A uvicorn server running `app` in a daemon thread; `url` is its base URL (no trailing slash)."""

    def __init__(self, app: Any, *, interface: Interface = "auto", startup_timeout: float = 10.0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.host, self.port = self._sock.getsockname()[:2]
        self.url = f"http://{self.host}:{self.port}"
        config = uvicorn.Config(
            app,
            interface=interface,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # Longer than any Retry-After a test uses, so a client never races an idle-connection close.
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"fake-server-{self.port}", daemon=True)
        self._startup_timeout = startup_timeout
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as err:  # surfaced by start() so a broken fake fails the test loudly
            self._error = err

    def start(self) -> FakeServer:
        """Start serving and wait until uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"fake server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve_app(app: Any, *, interface: Interface = "auto") -> Iterator[FakeServer]:
    """Context manager: serve `app` on 127.0.0.1:<free port> for the duration of the block."""
    server = FakeServer(app, interface=interface).start()
    try:
        yield server
    finally:
        server.stop()


class SwappableApp:
    """An ASGI app whose target each test replaces: one server per module instead of one per test."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@contextmanager
def serve_swappable() -> Iterator[tuple[FakeServer, SwappableApp]]:
    """Serve a SwappableApp; tests set `swap.app = fake.app()` before talking to `server.url`."""
    swap = SwappableApp()
    with serve_app(swap, interface="asgi3") as running:
        yield running, swap
