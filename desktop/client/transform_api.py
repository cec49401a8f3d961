"""TransformApiMixin: DalgoClient's calls for recipes, dbt models, runs, lineage and project import."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

API = "/api/v1"
Json = dict[str, Any]


class TransformApiMixin:
    """Mixed into DalgoClient; plain dicts, as the server sends them (recipes change shape with their steps)."""

    if TYPE_CHECKING:

        def _call(self, method: str, path: str, *, auth: bool = True, org: str | None = None, **kw: Any) -> Any: ...
        def _open_stream(self, method: str, path: str, *, org: str | None = None, **kw: Any) -> Any: ...

    # --- recipes ---------------------------------------------------------------------------------
    def list_operations(self, *, org: str | None = None) -> list[Json]:
        return list(self._call("GET", f"{API}/recipes/operations", org=org)["items"])

    def list_recipes(self, *, org: str | None = None) -> list[Json]:
        return list(self._call("GET", f"{API}/recipes", org=org)["items"])

    def get_recipe(self, recipe_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("GET", f"{API}/recipes/{recipe_id}", org=org))

    def create_recipe(self, name: str, input: Json, *, org: str | None = None) -> Json:
        """`input`: {"schema": s, "table": t} or {"kind": "model", "model": m}."""
        return dict(self._call("POST", f"{API}/recipes", org=org, json={"name": name, "input": input}))

    def update_recipe_docs(
        self,
        recipe_id: str,
        *,
        description: str | None = None,
        column_descriptions: dict[str, str] | None = None,
        tests: list[Json] | None = None,
        org: str | None = None,
    ) -> Json:
        """Set the model description, column descriptions and column tests (None: leave as they are).

        `tests`: [{"column", "test": "not_null"|"unique"|"accepted_values", "values": [...], "severity": "warn"|"error"}]."""
        fields = (("description", description), ("column_descriptions", column_descriptions), ("tests", tests))
        body = {k: v for k, v in fields if v is not None}
        return dict(self._call("PATCH", f"{API}/recipes/{recipe_id}", org=org, json=body))

    def delete_recipe(self, recipe_id: str, *, org: str | None = None) -> None:
        self._call("DELETE", f"{API}/recipes/{recipe_id}", org=org)

    def add_step(
        self, recipe_id: str, op: str, config: Json, position: int | None = None, *, org: str | None = None
    ) -> Json:
        body: Json = {"op": op, "config": config}
        if position is not None:
            body["position"] = position
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/steps", org=org, json=body))

    def update_step(
        self,
        recipe_id: str,
        step_id: str,
        *,
        config: Json | None = None,
        enabled: bool | None = None,
        org: str | None = None,
    ) -> Json:
        body = {k: v for k, v in (("config", config), ("enabled", enabled)) if v is not None}
        return dict(self._call("PATCH", f"{API}/recipes/{recipe_id}/steps/{step_id}", org=org, json=body))

    def delete_step(self, recipe_id: str, step_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("DELETE", f"{API}/recipes/{recipe_id}/steps/{step_id}", org=org))

    def move_step(self, recipe_id: str, step_id: str, position: int, *, org: str | None = None) -> Json:
        path = f"{API}/recipes/{recipe_id}/steps/{step_id}/move"
        return dict(self._call("POST", path, org=org, json={"position": position}))

    def undo(self, recipe_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/undo", org=org))

    def redo(self, recipe_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/redo", org=org))

    def preview(
        self,
        recipe_id: str,
        *,
        upto: int | None = None,
        limit: int = 50,
        sample: int | None = None,
        filters: list[Json] | None = None,
        org: str | None = None,
    ) -> Json:
        """Columns, rows, total, sampled, warnings of the recipe after step `upto` (1-based; None: all).

        `filters` (`[{"column", "op": "in"|"between"|..., "value"}]`) narrow the preview's rows, never the recipe."""
        params: Json = {"limit": limit}
        if upto is not None:
            params["upto"] = upto
        if sample:
            params["sample"] = sample
        if filters:
            params["filters"] = json.dumps(filters)
        return dict(self._call("GET", f"{API}/recipes/{recipe_id}/preview", org=org, params=params))

    def facet(
        self,
        recipe_id: str,
        column: str,
        kind: str = "text",
        *,
        upto: int | None = None,
        filters: list[Json] | None = None,
        org: str | None = None,
    ) -> Json:
        """Values with counts (text) or min/max/histogram (numeric, date), under the other facets' filters."""
        params: Json = {"column": column, "kind": kind}
        if upto is not None:
            params["upto"] = upto
        if filters:
            params["filters"] = json.dumps(filters)
        return dict(self._call("GET", f"{API}/recipes/{recipe_id}/facet", org=org, params=params))

    def clusters(
        self,
        recipe_id: str,
        column: str,
        method: str = "fingerprint",
        *,
        radius: int | None = None,
        upto: int | None = None,
        org: str | None = None,
    ) -> list[Json]:
        params: Json = {"column": column, "method": method}
        if radius is not None:
            params["radius"] = radius
        if upto is not None:
            params["upto"] = upto
        return list(self._call("GET", f"{API}/recipes/{recipe_id}/clusters", org=org, params=params)["items"])

    def date_formats(self, recipe_id: str, column: str, *, upto: int | None = None, org: str | None = None) -> Json:
        """The common date formats found in a text column: rows, examples, what nothing reads."""
        params: Json = {"column": column} | ({"upto": upto} if upto is not None else {})
        return dict(self._call("GET", f"{API}/recipes/{recipe_id}/date-formats", org=org, params=params))

    def accept_clusters(self, recipe_id: str, column: str, merges: list[Json], *, org: str | None = None) -> Json:
        """`merges`: [{"values": [...], "value": chosen}]; adds one merge step."""
        body = {"column": column, "merges": merges}
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/clusters/accept", org=org, json=body))

    def save_recipe(self, recipe_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/save", org=org))

    def eject_recipe(self, recipe_id: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/recipes/{recipe_id}/eject", org=org))

    # --- dbt models, runs, lineage ----------------------------------------------------------------
    def list_models(self, *, org: str | None = None) -> list[Json]:
        return list(self._call("GET", f"{API}/transforms/models", org=org)["items"])

    def get_model(self, name: str, *, org: str | None = None) -> Json:
        return dict(self._call("GET", f"{API}/transforms/models/{name}", org=org))

    def create_sql_model(self, name: str, sql: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/transforms/models", org=org, json={"name": name, "sql": sql}))

    def update_sql_model(self, name: str, sql: str, *, org: str | None = None) -> Json:
        return dict(self._call("PUT", f"{API}/transforms/models/{name}", org=org, json={"sql": sql}))

    def run_models(self, select: list[str] | None = None, *, org: str | None = None) -> str:
        """Start `dbt run` (all models when `select` is None); returns the job id."""
        return str(self._call("POST", f"{API}/transforms/run", org=org, json={"select": select})["job_id"])

    def test_models(self, select: list[str] | None = None, *, org: str | None = None) -> str:
        return str(self._call("POST", f"{API}/transforms/test", org=org, json={"select": select})["job_id"])

    def lineage(self, node: str | None = None, *, org: str | None = None) -> Json:
        params = {"node": node} if node else {}
        return dict(self._call("GET", f"{API}/transforms/lineage", org=org, params=params))

    def lineage_png(self, node: str | None = None, *, org: str | None = None) -> bytes:
        params = {"node": node} if node else {}
        with self._open_stream("GET", f"{API}/transforms/lineage.png", org=org, params=params) as response:
            return bytes(response.read())

    def import_project(self, path: str, *, org: str | None = None) -> Json:
        return dict(self._call("POST", f"{API}/transforms/import", org=org, json={"path": path}))
