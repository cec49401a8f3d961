"""All Qt of the desktop app: thin widgets bound to the view models in desktop.state."""
