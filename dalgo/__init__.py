"""The `dalgo` command: dispatches to the hosted server (`server.cli`) or the desktop app (`desktop.cli`)."""
