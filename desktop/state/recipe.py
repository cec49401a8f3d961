"""One open recipe: its steps, the live preview after a chosen step, facets, clusters, undo/redo, save/eject."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.client.models import Membership
from desktop.state import access, roles
from desktop.state.banner import Level
from desktop.state.events import Event
from desktop.state.session import AppState

SAMPLE_ROWS = 10_000
PREVIEW_LIMIT = 100
FILTER_NOTE = "Filters change only what the preview shows, not the recipe or the saved table."
Json = dict[str, Any]


def may(membership: Membership | None, what: str) -> bool:
    """Whether the membership may do transforms `what` (read, preview, write, run), as /me said."""
    return access.may(membership, f"transforms:{what}")


def cannot_change(role: str | None) -> str:
    """The tooltip on a disabled edit or run button."""
    return f"Your role ({roles.label(role).lower()}) can preview transforms but not change or run them."


@dataclass(frozen=True)
class ColumnAction:
    """An entry of a preview column's menu: add `op` with `config`, or open a form/panel first."""

    label: str
    op: str  # an operation, or "facet" / "clusters" / "rename" for the panels and prompts
    config: Json
    ask: bool  # open the step form pre-filled instead of adding at once


def column_actions(column: str) -> list[ColumnAction]:
    """What a column header's menu offers."""
    cols = {"columns": [column]}
    return [
        ColumnAction("Trim spaces", "trim", {**cols, "collapse": True}, False),
        ColumnAction("Change case…", "change_case", {**cols, "case": "title"}, True),
        ColumnAction("Find and replace…", "find_replace", cols, True),
        ColumnAction("Text facet", "facet", {"column": column}, False),
        ColumnAction("Numeric / date facet", "range_facet", {"column": column}, False),
        ColumnAction("Cluster and merge…", "clusters", {"column": column}, False),
        ColumnAction("Cast type…", "cast", {"columns": [{"column": column, "type": "INTEGER"}], "mode": "try"}, True),
        ColumnAction("Rename…", "rename", {"column": column}, True),
        ColumnAction("Drop column", "drop_columns", cols, False),
        ColumnAction("Fill empty cells…", "fill_nulls", cols, True),
        ColumnAction("Split…", "split_column", {"column": column, "separator": ","}, True),
        ColumnAction("Parse dates…", "parse_dates", {"column": column, "formats": ["dd/mm/yyyy"]}, True),
    ]


class RecipeModel:
    """View model of the recipe editor; every change comes back as the whole recipe and refreshes the preview."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.recipe: Json | None = None
        self.selected: int | None = None  # preview after this step (1-based); None: after the last
        self.preview: Json | None = None
        self.sample = False
        self.facet: Json | None = None
        self.clusters: list[Json] = []
        self.cluster_column = ""
        self.filters: dict[str, Json] = {}  # column → {"values": [...]} or {"range": [low, high]}
        self.saved: Json | None = None
        self.busy = False
        self.changed = Event()  # () — recipe or selection
        self.preview_changed = Event()  # ()
        self.facet_changed = Event()  # ()
        self.clusters_changed = Event()  # ()
        self.filters_changed = Event()  # () — facet selections chosen or cleared
        self.saved_changed = Event()  # (dict) — after save or eject
        self._generation = 0  # drops previews that arrive after a newer request
        self._cluster_request: tuple[str, str, int | None] | None = None

    # --- what is shown ---------------------------------------------------------------------------
    @property
    def can_edit(self) -> bool:
        return may(self.app.org, "write") and not self.ejected

    @property
    def ejected(self) -> bool:
        return bool(self.recipe and self.recipe.get("status") == "ejected")

    @property
    def steps(self) -> list[Json]:
        return list(self.recipe["steps"]) if self.recipe else []

    def problems_of(self, number: int) -> list[str]:
        """Problems the server found in step `number` (1-based)."""
        found = self.recipe.get("problems", []) if self.recipe else []
        return [p["message"] + (f" {p['hint']}" if p.get("hint") else "") for p in found if p.get("step") == number]

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in (self.preview or {}).get("columns", [])]

    def input_text(self) -> str:
        source = (self.recipe or {}).get("input", {})
        if source.get("kind") == "model":
            return f"model {source.get('model')}"
        return f"{source.get('schema')}.{source.get('table')}"

    def preview_summary(self) -> str:
        """Row count, and a plain warning that numbers are approximate on a sample."""
        if not self.preview:
            return ""
        total, shown = self.preview.get("total", 0), len(self.preview.get("rows", []))
        where = f"after step {self.preview.get('upto')}" if self.preview.get("upto") else "of the input"
        matching = " matching the filters" if self.preview.get("filters") else ""
        text = f"{total:,} rows{matching} {where} (first {shown} shown)."
        if self.preview.get("sampled"):
            text += f" Fast preview on a sample of {SAMPLE_ROWS:,} input rows: counts are approximate."
        return text

    # --- loading and preview ---------------------------------------------------------------------
    def open(self, recipe_id: str) -> None:
        client, slug = self._scope()
        if self.recipe is None or self.recipe["id"] != recipe_id:
            self.facet, self.clusters, self.saved = None, [], None
            self.filters = {}
            self.filters_changed.emit()
        self.app.submit(lambda: client.get_recipe(recipe_id, org=slug), lambda r: self._set(r, None))

    def close(self) -> None:
        self.recipe, self.preview, self.facet = None, None, None
        self.changed.emit()

    def _set(self, recipe: Json, selected: int | None) -> None:
        self.recipe = recipe
        self.selected = selected if selected is None or selected <= len(recipe["steps"]) else None
        self.changed.emit()
        self.refresh_preview()
        self._refresh_facet()

    def _refresh_facet(self) -> None:
        """An open facet counts again after every change, including an edit made from the facet itself."""
        if self.facet:
            self.load_facet(self.facet["column"], self.facet.get("kind", "text"))

    def select(self, number: int | None) -> None:
        """Preview after step `number` (0: the input as it is; None: after the last step)."""
        self.selected = number
        self.changed.emit()
        self.refresh_preview()

    def set_sample(self, on: bool) -> None:
        self.sample = on
        self.refresh_preview()

    def refresh_preview(self) -> None:
        if self.recipe is None:
            return
        client, slug = self._scope()
        rid, upto, sample = self.recipe["id"], self.selected, SAMPLE_ROWS if self.sample else None
        filters = self.filter_list() or None
        self._generation += 1
        generation = self._generation

        def done(preview: Json) -> None:
            if generation == self._generation:
                self.preview = preview
                self.preview_changed.emit()

        work = lambda: client.preview(rid, upto=upto, limit=PREVIEW_LIMIT, sample=sample, filters=filters, org=slug)  # noqa: E731
        self.app.submit(work, done, self._failed_preview)

    def _failed_preview(self, err: BaseException) -> None:
        self.preview = None
        self.preview_changed.emit()
        self.app.handle_error(err)

    # --- changes ---------------------------------------------------------------------------------
    def _change(
        self,
        work: Callable[[Any, str, str], Json],
        keep_selection: bool = False,
        then: Callable[[], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run a change on the server; the recipe it returns replaces ours. `failed` takes a refusal instead
        of the banner (a step dialog shows it next to the field and stays open)."""
        if self.recipe is None:
            return
        client, slug = self._scope()
        rid, selected = self.recipe["id"], self.selected if keep_selection else None

        def done(recipe: Json) -> None:
            self._set(recipe, selected)
            if then:
                then()

        self.app.submit(lambda: work(client, rid, slug), done, failed)

    def add_step(
        self,
        op: str,
        config: Json,
        then: Callable[[], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Add after the selected step (or at the end), and preview after it."""
        position = self.selected if self.selected is not None and self.selected < len(self.steps) else None
        self._change(lambda c, rid, org: c.add_step(rid, op, config, position, org=org), False, then, failed)

    def update_step(
        self,
        step_id: str,
        config: Json,
        then: Callable[[], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._change(lambda c, rid, org: c.update_step(rid, step_id, config=config, org=org), True, then, failed)

    def set_enabled(self, step_id: str, enabled: bool) -> None:
        self._change(lambda c, rid, org: c.update_step(rid, step_id, enabled=enabled, org=org), True)

    def delete_step(self, step_id: str) -> None:
        self._change(lambda c, rid, org: c.delete_step(rid, step_id, org=org))

    def move_step(self, step_id: str, delta: int) -> None:
        ids = [s["id"] for s in self.steps]
        target = ids.index(step_id) + delta
        if 0 <= target < len(ids):
            self._change(lambda c, rid, org: c.move_step(rid, step_id, target, org=org))

    def undo(self) -> None:
        if self.recipe and self.recipe.get("can_undo") and self.can_edit:
            self._change(lambda c, rid, org: c.undo(rid, org=org))

    def redo(self) -> None:
        if self.recipe and self.recipe.get("can_redo") and self.can_edit:
            self._change(lambda c, rid, org: c.redo(rid, org=org))

    def mass_edit(self, column: str, old: Any, new: Any) -> None:
        """Change one value everywhere it occurs in `column` (a mass_edit step)."""
        self.add_step("mass_edit", {"column": column, "edits": [{"from": [old], "to": new}]})

    def rename(self, column: str, new_name: str) -> None:
        if new_name.strip() and new_name.strip() != column:
            self.add_step("rename_columns", {"mapping": {column: new_name.strip()}})

    # --- facets and clusters ---------------------------------------------------------------------
    def load_facet(self, column: str, kind: str = "text") -> None:
        client, slug = self._scope()
        rid, upto = self._rid(), self.selected

        def done(facet: Json) -> None:
            self.facet = {**facet, "kind": kind, "column": column}
            self.facet_changed.emit()

        filters = self.filter_list() or None
        self.app.submit(lambda: client.facet(rid, column, kind, upto=upto, filters=filters, org=slug), done)

    # --- facet selections: filter the preview, never the recipe --------------------------------------
    def filter_list(self) -> list[Json]:
        """The selections as the server's preview filters (all of them hold at once)."""
        out: list[Json] = []
        for column, chosen in self.filters.items():
            if "range" in chosen:
                out.append({"column": column, "op": "between", "value": list(chosen["range"])})
            elif present := [v for v in chosen["values"] if v is not None]:
                out.append({"column": column, "op": "in", "value": present})
            else:
                out.append({"column": column, "op": "is_null"})
        return out

    def chosen_values(self, column: str) -> list[Any]:
        """The text-facet values selected in `column`."""
        return list(self.filters.get(column, {}).get("values", []))

    def toggle_value(self, column: str, value: Any) -> None:
        """Click to filter: add `value` to the column's selection, or take it out (several values = any of them)."""
        values = self.chosen_values(column)
        if value in values:
            values.remove(value)
        elif value is None or None in values:
            values = [value]  # "empty" cannot be or-ed with values here: it replaces the selection
        else:
            values.append(value)
        self._set_filter(column, {"values": values} if values else None)

    def set_range(self, column: str, low: Any, high: Any) -> None:
        """Keep rows whose `column` lies in [low, high]; a missing end is the facet's own min or max."""
        facet = self.facet if self.facet and self.facet.get("column") == column else {}
        low = facet.get("min") if low in (None, "") else low
        high = facet.get("max") if high in (None, "") else high
        if low is None or high is None:
            self.app.banner.show("Give both a minimum and a maximum for the range.", Level.warning)
            return
        self._set_filter(column, {"range": [low, high]})

    def clear_filter(self, column: str | None = None) -> None:
        """Remove one column's selection, or all of them."""
        if column is None:
            if self.filters:
                self.filters = {}
                self._filters_moved()
        else:
            self._set_filter(column, None)

    def filter_chips(self) -> list[tuple[str, str]]:
        """(column, label) of each active selection, e.g. ("city", "city = Mysuru or Bengaluru")."""
        chips = []
        for column, chosen in self.filters.items():
            if "range" in chosen:
                low, high = chosen["range"]
                chips.append((column, f"{column} from {low} to {high}"))
            else:
                shown = " or ".join("(empty)" if v is None else str(v) for v in chosen["values"])
                chips.append((column, f"{column} = {shown}"))
        return chips

    def filter_text(self) -> str:
        """'Filtered: city = Mysuru; households from 3 to 9', or empty when nothing is selected."""
        chips = self.filter_chips()
        return "Filtered: " + "; ".join(label for _, label in chips) if chips else ""

    def _set_filter(self, column: str, chosen: Json | None) -> None:
        if chosen is None and column not in self.filters:
            return
        if chosen is None:
            del self.filters[column]
        else:
            self.filters[column] = chosen
        self._filters_moved()

    def _filters_moved(self) -> None:
        self.filters_changed.emit()
        self.refresh_preview()
        if self.facet:  # its counts follow the other facets' selections
            self.load_facet(self.facet["column"], self.facet.get("kind", "text"))

    def load_clusters(self, column: str, method: str = "fingerprint", radius: int | None = None) -> None:
        client, slug = self._scope()
        rid, upto = self._rid(), self.selected
        asked = self._cluster_request = (column, method, radius)

        def done(found: list[Json]) -> None:
            if asked != self._cluster_request:  # the user switched method meanwhile: a slower answer is stale
                return
            self.clusters, self.cluster_column = found, column
            self.clusters_changed.emit()

        self.app.submit(lambda: client.clusters(rid, column, method, radius=radius, upto=upto, org=slug), done)

    def load_date_formats(self, column: str, then: Callable[[Json], None]) -> None:
        """Ask which common date formats `column` is written in (at the selected step)."""
        client, slug = self._scope()
        rid, upto = self._rid(), self.selected
        self.app.submit(lambda: client.date_formats(rid, column, upto=upto, org=slug), then)

    def accept_clusters(self, merges: list[tuple[list[Any], Any]], then: Callable[[], None] | None = None) -> None:
        """Merge each cluster's values into its chosen value (one step)."""
        if not merges:
            self.app.banner.show("Tick at least one cluster to merge.", Level.warning)
            return
        column, body = self.cluster_column, [{"values": v, "value": to} for v, to in merges]

        def work(c: Any, rid: str, org: str) -> Json:
            return dict(c.accept_clusters(rid, column, body, org=org))

        self._change(work)
        if then:
            then()

    # --- model description, column descriptions and tests (schema.yml) ------------------------------
    @property
    def tests(self) -> list[Json]:
        return [dict(t) for t in (self.recipe or {}).get("tests", [])]

    @property
    def description(self) -> str:
        return str((self.recipe or {}).get("description", ""))

    @property
    def column_descriptions(self) -> dict[str, str]:
        return dict((self.recipe or {}).get("column_descriptions", {}))

    def save_docs(
        self, description: str, columns: dict[str, str], tests: list[Json], then: Callable[[], None] | None = None
    ) -> None:
        """Keep the descriptions and tests with the recipe; Save writes them into the model's schema.yml."""
        described = {c: text.strip() for c, text in columns.items() if text.strip()}

        def work(c: Any, rid: str, org: str) -> Json:
            return dict(
                c.update_recipe_docs(
                    rid, description=description.strip(), column_descriptions=described, tests=tests, org=org
                )
            )

        def done(recipe: Json) -> None:
            self._set(recipe, self.selected)
            self.app.banner.show(
                "Tests and descriptions kept; save the recipe to write them to the model.", Level.success
            )
            if then:
                then()

        if self.recipe is not None:
            client, slug = self._scope()
            rid = self._rid()
            self.app.submit(lambda: work(client, rid, slug), done)

    # --- save and eject --------------------------------------------------------------------------
    def save(self) -> None:
        client, slug = self._scope()
        rid = self._rid()

        def done(saved: Json) -> None:
            self.saved = saved
            self.app.banner.show(f"Saved as cleaned table {saved['name']}.", Level.success)
            self.saved_changed.emit(saved)
            self.open(rid)

        self.app.submit(lambda: client.save_recipe(rid, org=slug), done)

    def eject(self, then: Callable[[Json], None] | None = None) -> None:
        """Turn the recipe into a hand-edited SQL model; the recipe becomes read-only."""
        client, slug = self._scope()
        rid = self._rid()

        def done(saved: Json) -> None:
            self.saved = saved
            self.app.banner.show(f"Turned into SQL: {saved['name']}; edit it in the SQL editor.", Level.success)
            self.saved_changed.emit(saved)
            self.open(rid)
            if then:
                then(saved)

        self.app.submit(lambda: client.eject_recipe(rid, org=slug), done)

    def _rid(self) -> str:
        if self.recipe is None:
            raise RuntimeError("no recipe open")
        return str(self.recipe["id"])

    def _scope(self) -> tuple[Any, str]:
        if self.app.client is None or self.app.org is None:
            raise RuntimeError("no active organisation")
        return self.app.client, self.app.org.org.slug
