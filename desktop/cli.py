"""The `dalgo` command: no subcommand launches the desktop app; `serve` and `admin` run a hosted server."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dalgo", description="Dalgo Desktop: NGO data platform, offline first.")
    sub = parser.add_subparsers(dest="command")
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
    admin_sub.add_parser("migrate", help="migrate the app DB to the latest schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args.host, args.port, migrate=not args.no_migrate)
    if args.command == "admin":
        return _admin(args)
    from desktop.app import main as desktop_main

    return desktop_main()


def _serve(host: str, port: int, *, migrate: bool) -> int:
    import uvicorn

    from server.core.config import Settings
    from server.main import create_app

    settings = Settings(mode="hosted")
    app = create_app(settings, run_migrations=migrate)
    print(f"Dalgo server on http://{host}:{port} (docs at /docs), app DB {_safe_url(settings.resolved_database_url)}")
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def _admin(args: argparse.Namespace) -> int:
    from server.core.config import Settings
    from server.core.db import make_engine, make_session_factory, migrate, session_scope

    settings = Settings()
    settings.ensure_home()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    if args.admin_command == "migrate":
        print("App DB is at the latest schema.")
        return 0
    from server.auth.errors import WeakPassword
    from server.auth.service import AuthService

    password = os.environ.get("DALGO_ADMIN_PASSWORD") or getpass.getpass(f"Password for {args.email}: ")
    try:
        with session_scope(make_session_factory(engine)) as session:
            service = AuthService(session, settings)
            if service.user_by_email(args.email):
                print(f"error: a user with email {args.email} already exists", file=sys.stderr)
                return 1
            service.create_user(args.email, password, superuser=True)
    except WeakPassword as err:
        print(f"error: {err.detail}", file=sys.stderr)
        return 1
    print(f"Super-admin {args.email} created.")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
