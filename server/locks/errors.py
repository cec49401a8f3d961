"""Errors of run locks."""

from __future__ import annotations

from server.core.errors import Conflict


class ResourceBusy(Conflict):
    """A pipeline or source is held by a running pipeline."""


class PipelineAlreadyRunning(ResourceBusy):
    pass


class SourceBusy(ResourceBusy):
    pass
