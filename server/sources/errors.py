"""Errors of the sources domain."""

from __future__ import annotations

from server.core.errors import BadRequest, NotFound


class SourceNotFound(NotFound):
    pass


class UploadNotFound(NotFound):
    pass


class InvalidSourceConfig(BadRequest):
    pass


class UnknownConnector(BadRequest):
    pass


class SourceUnavailable(BadRequest):
    """The remote system or file could not be used (credentials, network, bad file)."""


class InvalidUpload(BadRequest):
    """The uploaded file's name cannot name a file (".", "..", only dots or slashes)."""


class FileTooLarge(BadRequest):
    status_code = 413


class NothingToSync(BadRequest):
    pass
