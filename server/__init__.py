"""Dalgo server: FastAPI app, auth, tenancy, RBAC and the domain APIs."""

__version__ = "0.1.0"
