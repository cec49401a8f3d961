"""Run a file connector's check/discover in a child process whose memory is capped.

The pre-checks in `connectors.filetypes.limits` refuse the file bombs we know of; this is the net under
them on a shared server: whatever an unforeseen file makes the parser allocate, only the child grows, and
it is killed once its resident memory passes the limit; the caller gets a plain `BadInputError` naming it.
A fresh child per call (spawned, so it holds none of the server's state or secrets in memory) keeps one
org's file from touching another org's work.

Why a watchdog on resident memory and not `RLIMIT_AS`: DuckDB reserves address space far beyond what it
touches (measured: 8 GB of address space was not enough to discover a 10,000-column CSV that used 325 MB),
so an address-space limit refuses ordinary files while a resident-memory limit measures what matters.
This module imports nothing heavy at the top: the child picks its allocator before pyarrow loads.
"""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipelines.errors import BadInputError, PipelineError

if TYPE_CHECKING:
    from pipelines.connectors.base import ReadContext
    from pipelines.connectors.filetypes.limits import FileLimits

FILE_CONNECTORS = frozenset({"csv", "excel", "json", "parquet"})
POLL_SECONDS = 0.05  # how often the child's memory is looked at; allocation between looks is the overshoot
Verb = Literal["check", "discover"]
# At most one reading child per core: N orgs discovering at once wait rather than take N x the limit.
_CHILDREN = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


@dataclasses.dataclass(frozen=True)
class _Call:
    """What the child needs, all of it picklable (a ReadContext holds an Event and a callback)."""

    connector_type: str
    verb: Verb
    config: dict[str, Any]
    uploads_dir: Path | None
    allow_local_paths: bool
    max_upload_bytes: int | None
    file_limits: FileLimits


def run_limited(connector_type: str, verb: Verb, config: dict[str, Any], ctx: ReadContext, memory_mb: int) -> Any:
    """`connector.<verb>(config, ctx)` in a spawned child that is killed past `memory_mb` of resident memory."""
    # DuckDB counts memory it reserves but never touches (wide files), so it may have the child's whole limit
    reader_mb = min(ctx.file_limits.reader_memory_mb, memory_mb)
    call = _Call(
        connector_type,
        verb,
        config,
        ctx.uploads_dir,
        ctx.allow_local_paths,
        ctx.max_upload_bytes,
        dataclasses.replace(ctx.file_limits, reader_memory_mb=reader_mb),
    )
    with _CHILDREN:
        outcome = _in_child(call, memory_mb)
    if outcome is None:
        raise _needs_more_memory(config, ctx, memory_mb)
    kind, payload = outcome
    if kind == "ok":
        return payload
    if kind == "memory":
        raise _needs_more_memory(config, ctx, memory_mb)
    if kind == "crash":
        raise RuntimeError(f"Reading the file failed in the reader process: {payload}")
    raise _rebuild(payload)


def _in_child(call: _Call, memory_mb: int) -> tuple[str, Any] | None:
    """The child's answer, or None when it had to be killed (or died) for its memory."""
    spawn = multiprocessing.get_context("spawn")
    receive, send = spawn.Pipe(duplex=False)
    child = spawn.Process(target=_child_main, args=(send, call), daemon=True, name=f"dalgo-read-{call.verb}")
    child.start()
    send.close()
    try:
        while True:
            if receive.poll(POLL_SECONDS):
                try:
                    answer: tuple[str, Any] = receive.recv()
                    return answer
                except EOFError:  # it exited without answering: killed by the kernel, or crashed
                    return None
            if child.pid is not None and resident_mb(child.pid) > memory_mb:
                return None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()


def resident_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _child_main(send: Connection, call: _Call) -> None:
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"  # freed memory goes back, so the watchdog sees real use
    try:
        send.send(_run(call))
    except BaseException as err:  # anything else is a bug: say so instead of leaving the caller waiting
        send.send(("crash", f"{type(err).__name__}: {err}"))
    finally:
        send.close()


def _run(call: _Call) -> tuple[str, Any]:
    """In the child: run the connector; engine errors travel back as data (their __init__ signatures vary)."""
    from pipelines.connectors import get_connector
    from pipelines.connectors.base import ReadContext

    ctx = ReadContext(
        uploads_dir=call.uploads_dir,
        allow_local_paths=call.allow_local_paths,
        max_upload_bytes=call.max_upload_bytes,
        file_limits=call.file_limits,
    )
    try:
        return "ok", getattr(get_connector(call.connector_type), call.verb)(call.config, ctx)
    except PipelineError as err:
        attrs = {k: v for k, v in vars(err).items() if isinstance(v, (str, int, float, bool, type(None)))}
        return "error", (type(err).__module__, type(err).__qualname__, err.message, attrs)
    except MemoryError:  # pyarrow's ArrowMemoryError is one too
        return "memory", None


def _rebuild(payload: tuple[str, str, str, dict[str, Any]]) -> PipelineError:
    module, qualname, message, attrs = payload
    cls = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(cls, type) and issubclass(cls, PipelineError)):
        return BadInputError(message, hint=attrs.get("hint"))
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(attrs)
    return err


def _needs_more_memory(config: dict[str, Any], ctx: ReadContext, memory_mb: int) -> BadInputError:
    from pipelines.connectors.filetypes.common import resolve_file

    try:
        name = f"'{resolve_file(config, ctx).name}'"
    except PipelineError:
        name = "The file"
    return BadInputError(
        f"{name} needs more memory to read than this server allows ({memory_mb:,} MB)",
        hint="split it into smaller files, or save it as CSV, and upload it again; "
        "or ask the server's operator to raise DALGO_PARSE_MEMORY_LIMIT_MB",
    )
