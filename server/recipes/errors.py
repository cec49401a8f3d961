"""Errors of the recipes domain."""

from __future__ import annotations

from server.core.errors import BadRequest, Conflict, NotFound


class RecipeNotFound(NotFound):
    pass


class InvalidStep(BadRequest):
    pass


class RecipeNameTaken(Conflict):
    pass


class RecipeEjected(Conflict):
    pass


class NothingToUndo(BadRequest):
    pass


class BadPreviewFilter(BadRequest):
    pass
