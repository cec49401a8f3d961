"""One background action of a page's view model: busy while it runs, its result dropped after an org switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.state.events import Event
from desktop.state.session import AppState


class GuardedActions:
    """For view models with `app`, `busy`, `changed` and a `_generation` bumped on every org switch."""

    app: AppState
    busy: str | None
    changed: Event
    _generation: int

    def _act(
        self,
        busy: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `work` in the background; `done` only if the org is still the same; errors to `failed` or the app."""
        generation = self._generation
        self.busy = busy
        self.changed.emit()

        def finished(result: Any) -> None:
            self.busy = None
            if generation == self._generation:
                done(result)
            self.changed.emit()

        def error(err: BaseException) -> None:
            self.busy = None
            self.changed.emit()
            (failed or self.app.handle_error)(err)

        self.app.submit(work, finished, error)
