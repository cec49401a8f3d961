"""An org's dbt project on disk: created from `bundled_dbt/`, its profile, and the model files Dalgo writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pipelines.dbt.errors import DbtProjectError, InvalidModelName, ModelExists, ModelNotFound
from pipelines.dbt.profiles import WarehouseTarget, render_profiles_yml
from pipelines.dbt.yamlio import dump_yaml, load_yaml_file
from pipelines.naming import normalise_identifier

MODEL_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
FOLDER_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
TEMPLATE_SKIP = frozenset({"samples", "target", "logs", "dbt_packages", "__pycache__", ".dalgo"})
STATE_FILE = PurePosixPath(".dalgo/template.json")
RECIPES_FOLDER = "recipes"
SQL_FOLDER = "sql"


@dataclass(frozen=True)
class ModelFile:
    """A model file found under `models/`: `folder` is relative to it (`recipes`, `sql`, `jaffle/staging`)."""

    name: str
    folder: str
    path: Path


@dataclass(frozen=True)
class Model:
    """A model's SQL and its own schema entry (`None` when it has no `<name>.yml` next to it)."""

    name: str
    folder: str
    path: Path
    sql: str
    schema_yml: dict[str, Any] | None


class OrgDbtProject:
    """The dbt project folder of one org (`<data dir>/orgs/<slug>/dbt`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    @property
    def project_file(self) -> Path:
        return self.path / "dbt_project.yml"

    @property
    def profiles_file(self) -> Path:
        return self.path / "profiles.yml"

    def exists(self) -> bool:
        """Whether the project was created (it has a dbt_project.yml)."""
        return self.project_file.is_file()

    def ensure(self, template_dir: Path | str, warehouse: WarehouseTarget) -> None:
        """Create the project from the template (first time), refresh untouched template files, write the profile."""
        template = Path(template_dir)
        if not (template / "dbt_project.yml").is_file():
            raise DbtProjectError(f"The dbt template at {template} has no dbt_project.yml", hint="Reinstall the app")
        self.path.mkdir(parents=True, exist_ok=True)
        self._sync_template(template)
        for folder in (RECIPES_FOLDER, SQL_FOLDER):
            (self.models_dir / folder).mkdir(parents=True, exist_ok=True)
        self.write_profiles(warehouse)

    def write_profiles(self, warehouse: WarehouseTarget) -> None:
        """(Re)write `profiles.yml` for the org's warehouse; untouched when nothing changed (keeps dbt's parse warm)."""
        write_text_if_changed(self.profiles_file, render_profiles_yml(warehouse))

    def project_name(self) -> str:
        """The `name:` of `dbt_project.yml`."""
        return str(self.read_project_yml().get("name") or "")

    def read_project_yml(self) -> dict[str, Any]:
        """`dbt_project.yml` as a dict."""
        if not self.exists():
            raise DbtProjectError(f"No dbt project at {self.path}", hint="Open the Transform page once to create it")
        doc = load_yaml_file(self.project_file) or {}
        if not isinstance(doc, dict):
            raise DbtProjectError(f"{self.project_file} is not a YAML mapping", hint="Fix or restore dbt_project.yml")
        return doc

    def write_model(
        self,
        name: str,
        sql: str,
        schema_yml: dict[str, Any] | None = None,
        folder: str = RECIPES_FOLDER,
        *,
        replace: bool = False,
    ) -> Path:
        """Write `models/<folder>/<name>.sql` and its `<name>.yml`; `replace` allows overwriting the same file."""
        check_model_name(name)
        target_dir = self.models_dir / _check_folder(folder)
        existing = self.resource_names().get(name)
        sql_path = target_dir / f"{name}.sql"
        if existing is not None and not (replace and existing == sql_path):
            raise ModelExists(
                f"A model named '{name}' already exists ({_rel(existing, self.path)})",
                hint="Choose another name, or delete the other model first",
            )
        yml_text = _schema_yml_text(name, schema_yml) if schema_yml is not None else None
        target_dir.mkdir(parents=True, exist_ok=True)
        if yml_text is not None:  # without one, a yml the user wrote next to the model stays
            write_text_if_changed(target_dir / f"{name}.yml", yml_text)
        write_text_if_changed(sql_path, sql if sql.endswith("\n") else sql + "\n")
        return sql_path

    def write_sql_model(self, name: str, sql: str, *, replace: bool = False) -> Path:
        """A hand-written SQL model in `models/sql/`."""
        return self.write_model(name, sql, None, SQL_FOLDER, replace=replace)

    def eject_model(self, name: str) -> Path:
        """Move a recipe's model (and its yml) to `models/sql/`, where Dalgo never rewrites it."""
        model = self.read_model(name)
        if model.folder == SQL_FOLDER:
            return model.path
        dest = self.models_dir / SQL_FOLDER
        dest.mkdir(parents=True, exist_ok=True)
        yml = model.path.with_suffix(".yml")
        if yml.exists():
            os.replace(yml, dest / yml.name)
        os.replace(model.path, dest / model.path.name)
        return dest / model.path.name

    def delete_model(self, name: str) -> None:
        """Remove a model's `.sql` and its own `.yml`."""
        model = self._find(name)
        model.path.with_suffix(".yml").unlink(missing_ok=True)
        model.path.unlink()

    def list_models(self) -> list[ModelFile]:
        """Every `.sql` model file under `models/`, sorted by folder then name."""
        if not self.models_dir.is_dir():
            return []
        found = []
        for path in self.models_dir.rglob("*.sql"):
            if any(part.startswith(".") for part in path.relative_to(self.models_dir).parts):
                continue
            folder = path.parent.relative_to(self.models_dir).as_posix()
            found.append(ModelFile(path.stem, "" if folder == "." else folder, path))
        return sorted(found, key=lambda m: (m.folder, m.name))

    def read_model(self, name: str) -> Model:
        """A model's SQL text and its schema entry."""
        found = self._find(name)
        yml_path = found.path.with_suffix(".yml")
        schema = None
        if yml_path.is_file():
            doc = load_yaml_file(yml_path) or {}
            entries = [m for m in doc.get("models") or [] if isinstance(m, dict) and m.get("name") == name]
            schema = entries[0] if entries else None
        return Model(name, found.folder, found.path, found.path.read_text(encoding="utf-8"), schema)

    def _find(self, name: str) -> ModelFile:
        for model in self.list_models():
            if model.name == name:
                return model
        raise ModelNotFound(f"No model named '{name}' in the dbt project", hint="Refresh the list of models")

    def resource_names(self) -> dict[str, Path]:
        """Model, seed and snapshot names: dbt refuses two resources with one name."""
        names = {m.name: m.path for m in self.list_models()}
        for folder, pattern in (("seeds", "*.csv"), ("snapshots", "*.sql")):
            if (self.path / folder).is_dir():
                for path in (self.path / folder).rglob(pattern):
                    names.setdefault(path.stem, path)
        return names

    def _sync_template(self, template: Path) -> None:
        """Copy missing template files; update ones the user never changed; leave edited ones alone."""
        state_path = self.path / STATE_FILE
        state: dict[str, str] = json.loads(state_path.read_text()) if state_path.is_file() else {}
        for src in sorted(template.rglob("*")):
            rel = src.relative_to(template)
            if not src.is_file() or rel.parts[0] in TEMPLATE_SKIP:
                continue
            dst, key = self.path / rel, rel.as_posix()
            if dst.exists():
                current = file_hash(dst)
                if current == file_hash(src):
                    state[key] = current
                    continue
                if state.get(key) != current:
                    continue  # edited by the user (or an import): theirs now
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            state[key] = file_hash(dst)
        write_text_if_changed(state_path, json.dumps(state, indent=1, sort_keys=True))


def check_model_name(name: str) -> None:
    """Raise `InvalidModelName` unless `name` is a lowercase identifier dbt and every warehouse accept."""
    if not isinstance(name, str) or not MODEL_NAME.match(name):
        suggestion = normalise_identifier(str(name), fallback="model")
        raise InvalidModelName(
            f"'{name}' cannot be a model name: use lowercase letters, digits and _ (not first a digit), at most 63",
            hint=f"Try '{suggestion}'",
        )


def _check_folder(folder: str) -> str:
    parts = PurePosixPath(folder).parts if folder else ()
    if not parts or any(not FOLDER_PART.match(p) for p in parts):
        raise InvalidModelName(f"'{folder}' is not a folder inside models/", hint="Use a name like 'recipes'")
    return "/".join(parts)


def _schema_yml_text(name: str, schema_yml: dict[str, Any]) -> str:
    """Accept a whole yml document (`{"version": 2, "models": [...]}`) or one model entry."""
    doc = dict(schema_yml) if "models" in schema_yml else {"version": 2, "models": [{"name": name, **schema_yml}]}
    doc.setdefault("version", 2)
    names = [m.get("name") for m in doc.get("models") or [] if isinstance(m, dict)]
    if names != [name]:
        raise InvalidModelName(
            f"The schema for model '{name}' describes {names or 'no model'}",
            hint="Give exactly one model entry, named like the model",
        )
    return dump_yaml(doc)


def write_text_if_changed(path: Path, text: str) -> bool:
    """Atomically replace `path` with `text` unless it already holds it (so mtimes, and dbt's parse, stay)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
