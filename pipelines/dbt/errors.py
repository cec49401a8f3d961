"""Errors of the dbt side: bad model names, collisions, projects that cannot be imported."""

from __future__ import annotations

from pipelines.errors import BadInputError, ConfigError, NotFoundError, TerminalError


class DbtProjectError(ConfigError):
    """The org's dbt project is missing or malformed."""


class InvalidModelName(BadInputError):
    """A model name that is not a safe, portable identifier."""


class ModelExists(BadInputError):
    """Another model already has this name (dbt needs model names to be unique in a project)."""


class ModelNotFound(NotFoundError, BadInputError):
    """No model file with this name in the project."""


class ImportRefused(BadInputError):
    """An existing dbt project cannot be imported as it is."""


class DbtInvocationError(TerminalError):
    """dbt could not start the command (bad project, profile or selection)."""
