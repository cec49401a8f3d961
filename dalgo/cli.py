"""`dalgo`: no subcommand launches the desktop app; `serve` and `admin` run a hosted server.

This launcher sits outside both `desktop` and `server` so that `dalgo serve` imports no desktop
module and no Qt (a hosted install has no PySide6), while plain `dalgo` still opens the app.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from server import cli as server_cli  # argparse only: the server itself is imported when a command runs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dalgo",
        description="Dalgo Desktop: NGO data platform, offline first. Without a command, opens the desktop app.",
    )
    server_cli.add_commands(parser.add_subparsers(dest="command"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from desktop.cli import main as desktop_main

        return desktop_main()
    return server_cli.run(args)
