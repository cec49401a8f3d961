"""Open DuckDB connections the offline way: extensions from PyPI packages into a local folder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb

_installed: set[str] = set()
_install_lock = threading.Lock()
BUNDLED_EXTENSIONS = ("icu", "excel", "postgres")
# Loaded before a connection is confined: after `lock_configuration` nothing else can be loaded.
CONFINED_EXTENSIONS = ("icu", "excel")


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
    confine_to: Sequence[Path] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file (or ':memory:') with a local extension dir, a memory cap and UTC time zone.

    With `confine_to`, SQL on this database (every connection and cursor of it in this process) can touch
    no file outside those folders, load no other extension and change no setting: see `confine`.
    """
    install_extensions(extension_dir)
    con = duckdb.connect(str(path))
    if confine_to is not None and is_confined(con):
        return con  # this process already opened and locked the file: the settings below are in force
    try:
        con.execute(f"SET extension_directory = '{_sql_str(str(extension_dir))}'")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = true")
        con.execute(f"SET memory_limit = '{_sql_str(memory_limit)}'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        # Extensions first: loading icu resets the time zone to the system's.
        for name in dict.fromkeys((*load, *(CONFINED_EXTENSIONS if confine_to is not None else ()))):
            con.execute(f"LOAD {name}")
        con.execute("SET TimeZone = 'UTC'")
        if confine_to is not None:
            confine(con, confine_to)
    except BaseException:
        con.close()
        raise
    return con


def confine(con: duckdb.DuckDBPyConnection, folders: Sequence[Path]) -> None:
    """Lock the database so user SQL reaches only `folders`: no other file, extension, or setting change.

    DuckDB applies these per database instance, so every later connection to the same file in this process
    (dbt-duckdb's included) is confined too. Only folders of data belong here: whatever is allowed can also
    be written, so never a folder holding code that runs later (the org's dbt project).
    """
    if is_confined(con):
        return
    for name in CONFINED_EXTENSIONS:
        con.execute(f"LOAD {name}")
    con.execute("SET TimeZone = 'UTC'")
    allowed = ", ".join(f"'{_sql_str(_as_dir(folder))}'" for folder in folders)
    con.execute(f"SET allowed_directories = [{allowed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")


def is_confined(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database behind `con` is already locked (a second connection to a confined file)."""
    row = con.execute("SELECT current_setting('lock_configuration')").fetchone()
    return bool(row and row[0])


def _as_dir(folder: Path) -> str:
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder).rstrip("/") + "/"


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/Postgres: `a"b` → `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return value.replace("'", "''")
