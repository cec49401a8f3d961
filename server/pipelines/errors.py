"""Errors of the pipelines domain."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict, NotFound
from server.locks.errors import PipelineAlreadyRunning

__all__ = [
    "InvalidPipeline",
    "PipelineAlreadyRunning",
    "PipelineNameTaken",
    "PipelineNotFound",
    "RunNotFound",
    "TaskRunNotFound",
]


class PipelineNotFound(NotFound):
    pass


class RunNotFound(NotFound):
    pass


class TaskRunNotFound(NotFound):
    pass


class InvalidPipeline(BadRequest):
    """A task, schedule or name cannot be used as given; the message names which and why."""


class PipelineNameTaken(Conflict):
    pass
