"""The Transform section: recipes and dbt models of the org, new ones, runs/tests as polled jobs, lineage, import."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.client.data_models import Job
from desktop.client.models import Membership
from desktop.state import words
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.recipe import may
from desktop.state.session import AppState

Json = dict[str, Any]
# dbt test statuses stay distinct: "warn" is a failing test of severity warn, "fail" one of severity error.
STATUS_WORDS = {
    "success": "Succeeded",
    "pass": "Passed",
    "warn": "Warning",
    "error": "Failed",
    "fail": "Failed",
    "skipped": "Skipped",
}


@dataclass(frozen=True)
class Item:
    """A row of the left list: a recipe (maybe not saved yet) or a dbt model."""

    name: str
    kind: str  # recipe, sql, imported
    recipe_id: str | None
    model: str | None
    status: str  # last run status in words, or "" / "not saved"


def items_of(recipes: list[Json], models: list[Json]) -> list[Item]:
    """Recipes first (with their model's last run), then SQL and imported models."""
    by_model = {m["name"]: m for m in models}
    out = []
    for r in recipes:
        model = by_model.get(r.get("model_name") or "")
        kind = "ejected" if r.get("status") == "ejected" else "recipe"
        status = _last(model) if model else "not saved"
        out.append(Item(r["name"], kind, r["id"], r.get("model_name"), status))
    taken = {r.get("model_name") for r in recipes if r.get("status") != "ejected"}
    for m in models:
        if m["name"] not in taken:
            out.append(Item(m["name"], m["kind"], None, m["name"], _last(m)))
    return out


def _last(model: Json) -> str:
    last = model.get("last_run") or {}
    return STATUS_WORDS.get(last.get("status", ""), last.get("status", "") or "never run")


def running_text(job: Job) -> str:
    """What a running job is doing now, from its progress: "clean_villages started (2 of 5)"."""
    progress = job.progress or {}
    node, status = progress.get("node"), progress.get("status")
    if not node:
        return ""
    done, total = progress.get("done"), progress.get("total")
    of = f" ({done} of {total})" if done is not None and total else ""
    said = STATUS_WORDS.get(str(status), str(status)) if status else "started"
    return f"{node} {said.lower()}{of}"


def node_rows(job: Job) -> list[tuple[str, str, str, str, str]]:
    """(model, status, rows, time, message) per dbt node of a finished run or test."""
    rows = []
    for node in (job.result or {}).get("nodes", []):
        affected = node.get("rows_affected")
        seconds = node.get("execution_time")
        rows.append(
            (
                str(node.get("name", "")),
                STATUS_WORDS.get(node.get("status", ""), str(node.get("status", ""))),
                "" if affected is None else f"{affected:,}",
                "" if seconds is None else f"{seconds:.1f} s",
                _message(node),
            )
        )
    return rows


def _message(node: Json) -> str:
    """dbt's message; for a failing test, how many rows failed and at which severity."""
    message = str(node.get("message") or "")
    failures = node.get("failures")
    if node.get("status") in ("warn", "fail") and failures:
        severity = node.get("severity") or ("warn" if node["status"] == "warn" else "error")
        return f"{failures:,} failing rows (severity {severity}). {message}".strip()
    return message


def model_name_of(text: str) -> str:
    """A model name typed by a person → a safe dbt model name (lower case, underscores)."""
    return re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")


class TransformModel:
    """View model of the Transform page (lists, creation, runs, lineage); the open recipe is a RecipeModel."""

    def __init__(self, app: AppState, poll_interval: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.poll_interval, self._sleep = poll_interval, sleep
        self.recipes: list[Json] = []
        self.models: list[Json] = []
        self.operations: list[Json] = []
        self.tables: list[tuple[str, str]] = []
        self.job: Job | None = None
        self.job_label = ""
        self.lineage: Json | None = None
        self.lineage_png: bytes = b""
        self.import_report: Json | None = None
        self.changed = Event()  # () — lists
        self.job_changed = Event()  # () — run/test progress or result
        self.lineage_changed = Event()  # ()
        self.created = Event()  # (Item) — a new recipe or SQL model to open
        app.org_changed.connect(self._org_changed)

    @property
    def can_edit(self) -> bool:
        return may(self.app.org, "write")

    @property
    def can_run(self) -> bool:
        return may(self.app.org, "run")

    @property
    def items(self) -> list[Item]:
        return items_of(self.recipes, self.models)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.active

    def _org_changed(self, _m: Membership | None) -> None:
        self.recipes, self.models, self.job, self.lineage = [], [], None, None
        self.changed.emit()

    def _scope(self) -> tuple[Any, str]:
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug

    # --- lists -----------------------------------------------------------------------------------
    def load(self) -> None:
        """Recipes, models, the operations catalogue and the warehouse tables a recipe can start from."""
        if self.app.org is None or not may(self.app.org, "read"):
            return
        client, slug = self._scope()

        def work() -> tuple[list[Json], list[Json], list[Json], list[tuple[str, str]]]:
            ops = self.operations or client.list_operations(org=slug)
            tables = [(t.schema_name, t.name) for t in client.list_tables(org=slug).items]
            return client.list_recipes(org=slug), client.list_models(org=slug), ops, tables

        def done(result: tuple[list[Json], list[Json], list[Json], list[tuple[str, str]]]) -> None:
            self.recipes, self.models, self.operations, self.tables = result
            self.changed.emit()

        self.app.submit(work, done)

    def operation(self, op: str) -> Json | None:
        return next((o for o in self.operations if o["op"] == op), None)

    def find(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name or i.model == name), None)

    # --- new recipe / SQL model ------------------------------------------------------------------
    def new_recipe(self, name: str, source: str, then: Callable[[], None] | None = None) -> None:
        """`source`: "schema.table" of the warehouse, or "model:<name>"."""
        if not name.strip():
            self.app.banner.show("Give the recipe a name.", Level.error)
            return
        if source.startswith("model:"):
            body: Json = {"kind": "model", "model": source.removeprefix("model:")}
        else:
            schema, _, table = source.partition(".")
            body = {"schema": schema, "table": table}
        client, slug = self._scope()

        def done(recipe: Json) -> None:
            self.recipes = [*self.recipes, recipe]
            self.changed.emit()
            if then:
                then()
            self.created.emit(Item(recipe["name"], "recipe", recipe["id"], recipe.get("model_name"), "not saved"))

        self.app.submit(lambda: client.create_recipe(name.strip(), body, org=slug), done)

    def new_sql_model(self, name: str, sql: str, then: Callable[[], None] | None = None) -> None:
        safe = model_name_of(name)
        if not safe:
            self.app.banner.show("Give the model a name (letters, digits and underscores).", Level.error)
            return
        client, slug = self._scope()

        def done(model: Json) -> None:
            if then:
                then()
            self.app.banner.show(f"Created SQL model {model['name']}.", Level.success)
            self.created.emit(Item(model["name"], "sql", None, model["name"], "never run"))
            self.load()

        self.app.submit(lambda: client.create_sql_model(safe, sql, org=slug), done)

    # --- run / test ------------------------------------------------------------------------------
    def run(self, models: list[str] | None = None) -> None:
        """dbt run of `models` (None: all), followed until it ends."""
        self._start("run", models)

    def test(self, models: list[str] | None = None) -> None:
        self._start("test", models)

    def _start(self, command: str, models: list[str] | None) -> None:
        if self.running:
            self.app.banner.show("A run is already going; wait for it to finish.", Level.warning)
            return
        client, slug = self._scope()
        what = ", ".join(models) if models else "all models"
        self.job_label = f"{'Run' if command == 'run' else 'Test'} {what}"
        start = client.run_models if command == "run" else client.test_models
        self.app.submit(lambda: start(models, org=slug), lambda job_id: self._watch(job_id, first=True))

    def _watch(self, job_id: str, first: bool = False) -> None:
        client, slug = self._scope()
        delay = 0.0 if first else self.poll_interval

        def work() -> Job:
            if delay:
                self._sleep(delay)
            return client.get_job(job_id, org=slug)

        def done(job: Job) -> None:
            self.job = job
            self.job_changed.emit()
            if job.active:
                self._watch(job_id)
            else:
                self._ended(job)

        self.app.submit(work, done)

    def _ended(self, job: Job) -> None:
        if job.status == "succeeded":
            self.app.banner.show(f"{self.job_label}: done.", Level.success)
        elif job.status == "cancelled":
            self.app.banner.show(f"{self.job_label}: cancelled.", Level.warning)
        else:
            hint = f" {job.error_hint}" if job.error_hint else ""
            self.app.banner.show(f"{self.job_label} failed: {job.error or 'no reason given'}{hint}", Level.error)
        self.load()

    # --- lineage and import ----------------------------------------------------------------------
    def load_lineage(self, node: str | None = None) -> None:
        """The whole graph as a picture, and `node`'s upstream/downstream lists."""
        client, slug = self._scope()

        def work() -> tuple[Json, bytes]:
            return client.lineage(node, org=slug), client.lineage_png(node, org=slug)

        def done(result: tuple[Json, bytes]) -> None:
            self.lineage, self.lineage_png = result
            self.lineage_changed.emit()

        self.app.submit(work, done)

    def import_project(self, path: str, then: Callable[[Json], None] | None = None) -> None:
        if not path.strip():
            self.app.banner.show("Choose the folder of the project to import.", Level.error)
            return
        client, slug = self._scope()

        def done(report: Json) -> None:
            self.import_report = report
            count = len(report.get("models", []))
            tables = words.plural(count, "cleaned table")
            self.app.banner.show(f"Imported project {report.get('project_name')}: {tables}.", Level.success)
            if then:
                then(report)
            self.load()

        self.app.submit(lambda: client.import_project(path.strip(), org=slug), done)
