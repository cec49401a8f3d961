"""Open DuckDB connections the offline way: extensions from PyPI packages into a local folder."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

_installed: set[str] = set()
_install_lock = threading.Lock()
BUNDLED_EXTENSIONS = ("icu", "excel", "postgres")


def install_extensions(extension_dir: Path, names: tuple[str, ...] = BUNDLED_EXTENSIONS) -> None:
    """Copy the pinned extension binaries from their PyPI packages into `extension_dir` (no download)."""
    import duckdb_extensions

    extension_dir.mkdir(parents=True, exist_ok=True)
    key = str(extension_dir)
    with _install_lock:
        if key in _installed:
            return
        con = duckdb.connect()
        try:
            con.execute(f"SET extension_directory = '{_sql_str(key)}'")
            con.execute("SET autoinstall_known_extensions = false")
            for name in names:
                duckdb_extensions.import_extension(name, con=con)
        finally:
            con.close()
        _installed.add(key)


def connect(
    path: Path | str,
    *,
    extension_dir: Path,
    memory_limit: str = "1GB",
    threads: int | None = None,
    load: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file (or ':memory:') with a local extension dir, a memory cap and UTC time zone."""
    install_extensions(extension_dir)
    con = duckdb.connect(str(path))
    con.execute(f"SET extension_directory = '{_sql_str(str(extension_dir))}'")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = true")
    con.execute(f"SET memory_limit = '{_sql_str(memory_limit)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET TimeZone = 'UTC'")
    for name in load:
        con.execute(f"LOAD {name}")
    return con


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/Postgres: `a"b` → `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return value.replace("'", "''")
