"""Pipelines: ordered tasks on a schedule, their runs and history (the Orchestrate page's API)."""
