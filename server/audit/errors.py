"""Errors of the audit domain: none of its own yet; reading the log fails only with core errors (403)."""
