"""The child process of `pipelines.dbt.isolated`: read one request on stdin, run dbt, report on stdout.

stdout carries JSON lines only (`{"type": "node", ...}` while running, one `{"type": "result", ...}` at the
end); anything a library prints goes to stderr. SIGINT cancels the command the way Ctrl-C stops dbt.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import IO, Any

LOCK_RETRY_SECONDS = 0.2


def main() -> int:
    """Run the request read from stdin; the exit code is 0 whenever a result was reported."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr  # keep the protocol stream clean of stray prints
    request = json.loads(sys.stdin.read())
    cancel = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: cancel.set())
    result = _run(request, cancel, out)
    _emit(out, {"type": "result", "result": result})
    return 0


def _run(request: dict[str, Any], cancel: threading.Event, out: IO[str]) -> dict[str, Any]:
    from pipelines.dbt.isolated import result_to_wire, target_from_wire
    from pipelines.dbt.runner import DbtRunner, NodeProgress
    from pipelines.errors import PipelineError

    target = target_from_wire(request.get("target"))

    def progress(node: NodeProgress) -> None:
        _emit(out, {"type": "node", **node.__dict__})

    try:
        if target is not None:
            _wait_for_file(target, float(request.get("lock_wait_seconds", 600)), cancel)
        runner = DbtRunner(request["project_dir"], target)
        result = runner._execute(request["command"], list(request["args"]), cancel, progress, force_parse=True)
    except PipelineError as err:
        return {"command": request["command"], "success": False, "error": str(err)}
    return result_to_wire(result)


def _wait_for_file(target: Any, seconds: float, cancel: threading.Event) -> None:
    """Wait until the server's last cursors on the org's file are gone (DuckDB: one process per file)."""
    import duckdb

    from pipelines.dbt.errors import DbtInvocationError

    deadline = time.monotonic() + seconds
    while True:
        try:
            duckdb.connect(str(target.path)).close()
            return
        except duckdb.IOException as err:
            if "lock" not in str(err).lower() or time.monotonic() > deadline or cancel.is_set():
                raise DbtInvocationError(
                    "The org's data stayed busy (a sync is still writing it), so dbt could not start",
                    hint="Run the transforms again when the sync has finished",
                ) from err
        time.sleep(LOCK_RETRY_SECONDS)


def _emit(out: IO[str], event: dict[str, Any]) -> None:
    out.write(json.dumps(event, default=str) + "\n")
    out.flush()


if __name__ == "__main__":
    raise SystemExit(main())
