"""Engine errors. The type says whether retrying can help (dlt-style retry semantics)."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every engine error; `message` is written for a person, `hint` says what to do next."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} → {self.hint}" if self.hint else self.message


class TransientError(PipelineError):
    """A failure that may go away on retry (timeouts, 429, 5xx)."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class TerminalError(PipelineError):
    """A failure that retrying cannot fix (bad credentials, bad file, bad config)."""


class NotFoundError(TerminalError):
    """Something the caller named (a table, a model, a file) does not exist."""


class ConfigError(TerminalError):
    """The connector or step configuration is invalid."""


class AuthError(TerminalError):
    """Credentials were rejected by the remote system."""


class BadInputError(TerminalError):
    """The data itself cannot be read (corrupt file, wrong format, malformed record)."""


class Cancelled(PipelineError):
    """The user cancelled the work."""

    def __init__(self, message: str = "Cancelled by the user") -> None:
        super().__init__(message)


class StepFailed(PipelineError):
    """A pipeline step failed; carries the step name, run id and the cause."""

    def __init__(self, step: str, run_id: str, cause: PipelineError) -> None:
        super().__init__(f"Step '{step}' failed: {cause.message}", hint=cause.hint)
        self.step = step
        self.run_id = run_id
        self.cause = cause
