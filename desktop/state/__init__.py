"""Qt-free view models and session state of the desktop app; tests drive them headless."""
