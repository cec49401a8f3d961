"""A hosted server needs no desktop: `dalgo serve` never imports Qt or `desktop`, and plain `dalgo` without Qt explains itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.server.factories import STRONG

ROOT = Path(__file__).resolve().parents[2]
DALGO = Path(sys.executable).parent / "dalgo"  # the console script `uv run dalgo` runs

# Builds the hosted app through the serve path, answers requests that reach most routers, then reports
# every loaded module from the desktop or Qt (requests import some modules lazily, so they must be served).
IN_PROCESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import server.cli  # the serve path's entry
    from fastapi.testclient import TestClient
    from server.core.config import Settings
    from server.main import create_app
    from tests.server.factories import Api

    home = Path(sys.argv[1])
    app = create_app(Settings(home=home, mode="hosted", secret_key="k" * 48), run_migrations=True)
    with TestClient(app) as client:
        api = Api(client)
        admin = api.setup()
        for path in ("/health", "/api/v1/me", "/api/v1/connectors", "/api/v1/sources", "/api/v1/warehouse/tables",
                     "/api/v1/users", "/api/v1/recipes", "/docs", "/openapi.json"):
            assert client.get(path, headers=admin.headers()).status_code == 200, path
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "desktop", "dalgo"))
    print(json.dumps({"forbidden": loaded, "server_main": "server.main" in sys.modules}))
    """
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALGO_")}
    env.update(DALGO_HOME=str(tmp_path / "home"), DALGO_SECRET_KEY="k" * 48, **extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"dalgo serve did not become healthy (exit code {server.poll()})")


def _imported_modules(importtime_log: str) -> set[str]:
    """Module names from `-X importtime` lines: `import time: self | cumulative | <indent>name`."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")}


def test_serve_path_builds_and_answers_without_importing_qt_or_the_desktop(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(tmp_path / "home")],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["server_main"]  # the app really was built in that process
    assert report["forbidden"] == []


@pytest.mark.e2e
def test_real_dalgo_serve_never_imports_qt(tmp_path: Path) -> None:
    env = _env(tmp_path, DALGO_ADMIN_PASSWORD=STRONG, PYTHONPROFILEIMPORTTIME="1")  # every import, also lazy ones
    made = subprocess.run([str(DALGO), "admin", "create-superuser", "--email", "boss@example.org"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([str(DALGO), "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base, server)
            login = httpx.post(f"{base}/api/v1/auth/login", json={"email": "boss@example.org", "password": STRONG})
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            org = httpx.post(f"{base}/api/v1/orgs", json={"name": "Field Office"}, headers=auth).json()["slug"]
            for path in ("/api/v1/me", "/api/v1/sources", "/api/v1/warehouse/tables", "/api/v1/connectors"):
                assert httpx.get(base + path, headers={**auth, "X-Dalgo-Org": org}, timeout=60).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    modules = _imported_modules(log.read_text(errors="replace"))
    assert {"server.main", "server.cli", "uvicorn"} <= modules  # the log saw the server's own imports
    assert not {m for m in modules if m.split(".")[0] in ("PySide6", "shiboken6", "desktop")}


def test_plain_dalgo_without_qt_says_how_to_install_it(tmp_path: Path) -> None:
    # a server install has no PySide6: a None entry in sys.modules makes it unimportable, as if not installed
    script = "import sys; sys.modules['PySide6'] = None; from dalgo.cli import main; raise SystemExit(main([]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1
    assert "The desktop app needs PySide6: install dalgo-desktop[desktop]" in result.stderr
    assert "Traceback" not in result.stderr
