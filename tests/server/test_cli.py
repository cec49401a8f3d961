"""The `dalgo` CLI (`dalgo.cli` → `server.cli`): admin create-superuser bootstraps a hosted server; serve answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server.factories import STRONG


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dalgo", *args], env=env, capture_output=True, text=True, timeout=120)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALGO_")}
    env.update(DALGO_HOME=str(tmp_path / "home"), **extra)
    return env


def test_create_superuser_then_login_over_real_uvicorn(tmp_path: Path, pg_app_db: str) -> None:
    env = _env(tmp_path, DALGO_DATABASE_URL=pg_app_db, DALGO_ADMIN_PASSWORD=STRONG, DALGO_SECRET_KEY="k" * 48)
    made = _run(["admin", "create-superuser", "--email", "boss@example.org"], env)
    assert made.returncode == 0, made.stderr
    again = _run(["admin", "create-superuser", "--email", "boss@example.org"], env)
    assert again.returncode == 1 and "already exists" in again.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "dalgo", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        health = httpx.get(f"{base}/health").json()
        assert health["mode"] == "hosted" and health["database"] == "ok"
        r = httpx.post(f"{base}/api/v1/auth/login", json={"email": "boss@example.org", "password": STRONG})
        assert r.status_code == 200
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_weak_superuser_password_is_refused(tmp_path: Path) -> None:
    result = _run(
        ["admin", "create-superuser", "--email", "x@example.org"], _env(tmp_path, DALGO_ADMIN_PASSWORD="password")
    )
    assert result.returncode == 1
    assert "at least 10 characters" in result.stderr


def test_superuser_email_that_sign_in_would_refuse_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path, DALGO_ADMIN_PASSWORD=STRONG)
    result = _run(["admin", "create-superuser", "--email", "boss@office.test"], env)
    assert result.returncode == 1
    assert "not an email address people can sign in with" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_alone_brings_the_app_db_to_the_latest_schema(tmp_path: Path) -> None:
    result = _run(["admin", "migrate"], _env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "latest schema" in result.stdout
    assert (tmp_path / "home" / "app.db").stat().st_size > 0


@pytest.mark.parametrize("args", [["--help"], ["admin", "--help"]])
def test_help_lists_the_commands(args: list[str], tmp_path: Path) -> None:
    out = _run(args, _env(tmp_path)).stdout
    assert "serve" in out or "create-superuser" in out


def test_reset_password_from_the_command_line_lets_the_only_admin_back_in(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from server.core.config import Settings
    from server.main import create_app

    made = _run(
        ["admin", "create-superuser", "--email", "solo@example.org"], _env(tmp_path, DALGO_ADMIN_PASSWORD=STRONG)
    )
    assert made.returncode == 0, made.stderr
    new = "a-brand-new-river-phrase-9"
    weak = _run(
        ["admin", "reset-password", "--email", "solo@example.org"], _env(tmp_path, DALGO_ADMIN_PASSWORD="short")
    )
    assert weak.returncode == 1 and "Traceback" not in weak.stderr
    nobody = _run(["admin", "reset-password", "--email", "who@example.org"], _env(tmp_path, DALGO_ADMIN_PASSWORD=new))
    assert nobody.returncode == 1 and "no account" in nobody.stderr
    done = _run(["admin", "reset-password", "--email", "solo@example.org"], _env(tmp_path, DALGO_ADMIN_PASSWORD=new))
    assert done.returncode == 0, done.stderr
    with TestClient(create_app(Settings(home=tmp_path / "home"))) as client:
        login = client.post("/api/v1/auth/login", json={"email": "solo@example.org", "password": new})
        assert login.status_code == 200
        old = client.post("/api/v1/auth/login", json={"email": "solo@example.org", "password": STRONG})
        assert old.status_code == 401
