"""Typed HTTP client for the Dalgo server; no Qt in here."""

from desktop.client import errors, models
from desktop.client.client import DalgoClient
from desktop.client.errors import ApiError, ServerUnreachable, SessionExpired

__all__ = ["ApiError", "DalgoClient", "ServerUnreachable", "SessionExpired", "errors", "models"]
