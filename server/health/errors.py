"""Errors of the health domain: none; an unreachable app DB is reported in the body, not as an error."""
