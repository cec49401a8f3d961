"""Job progress as the progress bar reads it: per stream, never going backwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.jobs.runner import JobContext


class _Sink:
    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    def _write_progress(self, job_id: str, progress: dict[str, Any]) -> bool:
        self.written.append(progress)
        return False


def test_rows_never_go_back_and_reset_when_the_stream_changes(tmp_path: Path) -> None:
    sink = _Sink()
    ctx = JobContext(job_id="j", log_path=tmp_path / "log", _runner=sink)  # type: ignore[arg-type]
    ctx.progress({"stream": "survey", "rows": 2000, "total": 6000}, force=True)
    ctx.progress({"stream": "survey", "rows": 1000, "table": "survey"}, force=True)  # the loader lags the reader
    assert sink.written[-1]["rows"] == 2000 and sink.written[-1]["total"] == 6000
    ctx.progress({"stream": "members", "rows": 10}, force=True)
    assert sink.written[-1] == {"stream": "members", "rows": 10}
