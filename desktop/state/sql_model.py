"""The SQL editor's model: one dbt model's SQL, whether it may be edited, and saving it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.recipe import may
from desktop.state.session import AppState

Json = dict[str, Any]


class SqlModelState:
    """Load and save `GET/PUT /transforms/models/{name}`; recipe-generated models are read-only."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.model: Json | None = None
        self.changed = Event()  # ()
        self.saved = Event()  # (dict)

    @property
    def editable(self) -> bool:
        return bool(self.model and self.model.get("editable")) and may(self.app.org, "write")

    def read_only_note(self) -> str:
        if self.model is None:
            return ""
        if not self.model.get("editable"):
            return "Generated from a recipe: edit the recipe, or eject it to edit the SQL by hand."
        if not may(self.app.org, "write"):
            return "Your role can read this model but not change it."
        return ""

    def open(self, name: str) -> None:
        client, slug = self._scope()

        def done(model: Json) -> None:
            self.model = model
            self.changed.emit()

        self.app.submit(lambda: client.get_model(name, org=slug), done)

    def save(self, sql: str, then: Callable[[], None] | None = None) -> None:
        if self.model is None:
            return
        if not sql.strip():
            self.app.banner.show("The SQL is empty.", Level.error)
            return
        client, slug = self._scope()
        name = self.model["name"]

        def done(model: Json) -> None:
            self.model = model
            self.app.banner.show(f"Saved model {name}. Run it to rebuild the table.", Level.success)
            self.saved.emit(model)
            self.changed.emit()
            if then:
                then()

        self.app.submit(lambda: client.update_sql_model(name, sql, org=slug), done)

    def _scope(self) -> tuple[Any, str]:
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug
