"""`dalgo serve` and `dalgo admin`: run and administer a hosted server; no desktop, no Qt.

Importing this module costs only argparse, so the `dalgo` launcher can build its help from it;
uvicorn, the app and the app DB are imported when a command runs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from server.core.config import Settings

COMMANDS = ("serve", "admin")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` and `admin` to a parser's subcommands (the `dalgo` launcher's, or this module's own)."""
    serve = sub.add_parser("serve", help="run the multi-tenant server (hosted mode)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate the app DB on start")
    admin = sub.add_parser("admin", help="administer a server's app DB")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    su = admin_sub.add_parser(
        "create-superuser", help="create a super-admin (password from DALGO_ADMIN_PASSWORD or a prompt)"
    )
    su.add_argument("--email", required=True)
    reset = admin_sub.add_parser(
        "reset-password",
        help="set a new password for an account, e.g. when the only admin forgot theirs "
        "(password from DALGO_ADMIN_PASSWORD or a prompt)",
    )
    reset.add_argument("--email", required=True)
    admin_sub.add_parser("migrate", help="migrate the app DB to the latest schema")


def build_parser() -> argparse.ArgumentParser:
    """The server-only command line (`python -m server.cli serve|admin ...`)."""
    parser = argparse.ArgumentParser(prog="dalgo", description="Dalgo hosted server.")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed `serve` or `admin` command."""
    if args.command == "serve":
        return serve(args.host, args.port, migrate=not args.no_migrate)
    if args.admin_command == "migrate":
        return admin_migrate()
    if args.admin_command == "reset-password":
        return admin_reset_password(args.email)
    return admin_create_superuser(args.email)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def serve(host: str, port: int, *, migrate: bool) -> int:
    """Serve the API in hosted mode until interrupted."""
    import uvicorn

    from server.core.config import Settings
    from server.main import create_app

    settings = Settings(mode="hosted")
    app = create_app(settings, run_migrations=migrate)
    print(f"Dalgo server on http://{host}:{port} (docs at /docs), app DB {_safe_url(settings.resolved_database_url)}")
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def admin_migrate() -> int:
    """Bring the app DB to the latest schema."""
    _migrated_engine()
    print("App DB is at the latest schema.")
    return 0


def admin_create_superuser(email: str) -> int:
    """Create a super-admin; refuses a taken address, one sign-in would refuse, or a weak password."""
    from server.core.errors import BadRequest

    engine, settings = _migrated_engine()
    password = os.environ.get("DALGO_ADMIN_PASSWORD") or getpass.getpass(f"Password for {email}: ")
    try:
        if not _create_superuser(engine, settings, email, password):
            return _fail(f"a user with email {email} already exists")
    except BadRequest as err:  # WeakPassword, InvalidEmail: their text says what to change
        return _fail(err.detail)
    print(f"Super-admin {email} created.")
    return 0


def _create_superuser(engine: Engine, settings: Settings, email: str, password: str) -> bool:
    from server.auth.service import AuthService
    from server.core.db import make_session_factory, session_scope

    with session_scope(make_session_factory(engine)) as session:
        service = AuthService(session, settings)
        if service.user_by_email(email):
            return False
        service.create_user(email, password, superuser=True)
    return True


def admin_reset_password(email: str) -> int:
    """Set a new password from the command line (whoever runs it owns the app DB); ends the account's sign-ins."""
    from server.core.errors import BadRequest

    engine, settings = _migrated_engine()
    password = os.environ.get("DALGO_ADMIN_PASSWORD") or getpass.getpass(f"New password for {email}: ")
    try:
        if not _reset_password(engine, settings, email, password):
            return _fail(f"no account with email {email} on this server")
    except BadRequest as err:  # WeakPassword: its text says what to change
        return _fail(err.detail)
    print(f"Password of {email} changed; sign in with the new one.")
    return 0


def _reset_password(engine: Engine, settings: Settings, email: str, password: str) -> bool:
    from server.auth.service import AuthService
    from server.core.db import make_session_factory, session_scope
    from server.core.security import hash_password

    with session_scope(make_session_factory(engine)) as session:
        service = AuthService(session, settings)
        user = service.user_by_email(email)
        if user is None:
            return False
        service.check_password_strength(password, user.email)
        user.password_hash = hash_password(password)
        service.revoke_sessions(user.id)
        service.audit.record("password.reset", actor=user, via="command line")
    return True


def _migrated_engine() -> tuple[Engine, Settings]:
    from server.core.config import Settings
    from server.core.db import make_engine, migrate

    settings = Settings()
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return engine, settings


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
