"""Run locks as rows in the app DB: a resource held by a running pipeline, seen by every process."""
