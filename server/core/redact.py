"""Keep the server's own folders out of what a hosted server tells its users.

An error from DuckDB or dbt may quote a file path; on a hosted server the data dir's location is none of an
org's business (it makes attacks on other orgs' folders easier to aim). The desktop shows paths as they are:
there they help the only user find their files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLACEHOLDER = "<data folder>"


def redact_paths(text: str, home: Path) -> str:
    """`text` with the data dir (as given and resolved) replaced by a placeholder."""
    for root in sorted({str(home), str(Path(home).resolve())}, key=len, reverse=True):
        text = text.replace(root, PLACEHOLDER)
    return text


def redactor(mode: str, home: Path) -> Redactor:
    """The redaction a server in `mode` applies to messages (none on the desktop)."""
    return Redactor(home if mode == "hosted" else None)


class Redactor:
    """Callable text → text; keeps text unchanged when there is nothing to hide."""

    def __init__(self, home: Path | None) -> None:
        self.home = home

    def __call__(self, text: str) -> str:
        return redact_paths(text, self.home) if self.home is not None and text else text

    def deep(self, value: Any) -> Any:
        """Every string inside lists and dicts redacted (a job's per-node results)."""
        if self.home is None:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value
