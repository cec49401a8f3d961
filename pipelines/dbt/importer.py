"""Import an existing dbt project (a folder, or a git repository on this computer) into an org's project.

Its models, macros, seeds, tests, snapshots and analyses go to `<kind>/<its name>/`, so nothing of the org's
is overwritten and its folder-keyed configs keep applying. Packages must already be installed
(`dbt_packages/`): `dbt deps` needs the network, so it is never run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.dbt.errors import ImportRefused
from pipelines.dbt.importer_merge import TEMPLATE_PROJECT_NAME, merge_project_yml
from pipelines.dbt.project import MODEL_NAME, OrgDbtProject, write_text_if_changed
from pipelines.dbt.sources import prune_sources_yml
from pipelines.dbt.yamlio import YAMLError, dump_yaml, load_yaml_file

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[^/\\\s]+@[^/\\\s:]+:)", re.IGNORECASE)
RESOURCE_PATHS = {  # dbt_project.yml key → (the org project's folder, dbt's default)
    "model-paths": ("models", ["models"]),
    "macro-paths": ("macros", ["macros"]),
    "seed-paths": ("seeds", ["seeds"]),
    "test-paths": ("tests", ["tests"]),
    "snapshot-paths": ("snapshots", ["snapshots"]),
    "analysis-paths": ("analyses", ["analyses"]),
}
SKIP_DIRS = frozenset({"target", "logs", "dbt_packages", ".git", "__pycache__", "node_modules"})
MACRO_DEF = re.compile(r"{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")
GIT_TIMEOUT_S = 120


@dataclass
class ImportReport:
    """What an import brought in."""

    project_name: str
    folder: str
    models: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_dbt_project(source: Path | str, project: OrgDbtProject) -> ImportReport:
    """Copy a dbt project into the org's project and merge its settings; refuses (writing nothing) when it can't."""
    if not project.exists():
        raise ImportRefused("The org has no dbt project yet", hint="Open the Transform page once, then import")
    with tempfile.TemporaryDirectory(prefix="dalgo-dbt-import-") as work:
        tree, original = _materialise(source, Path(work))
        root = _find_project_root(tree)
        theirs = _read_project_yml(root / "dbt_project.yml")
        name = _project_name(theirs)
        plan = _plan_copies(root, theirs, project, name)
        working_tree = original / root.relative_to(tree) if original is not None else None
        packages = _packages_to_copy(root, theirs, working_tree)
        skipped, notes = _macro_conflicts(plan, project)
        plan = [(src, dst) for src, dst in plan if src not in skipped]
        _check_collisions(plan, project)
        merged, merge_notes = merge_project_yml(project.read_project_yml(), theirs, name)
        _copy_all(plan + [(s, project.path / "dbt_packages" / d) for s, d in packages], project)
        write_text_if_changed(project.project_file, dump_yaml(merged))
    for table in prune_sources_yml(project):
        notes.append(f"Source {table} is now declared by the imported project (removed from models/sources.yml)")
    models = sorted(dst.stem for _, dst in plan if dst.suffix in (".sql", ".py") and _is_under(dst, project.models_dir))
    return ImportReport(name, name, models, sorted(d for _, d in packages), notes + merge_notes)


def _materialise(source: Path | str, work: Path) -> tuple[Path, Path | None]:
    """The folder to import from; a git repository is cloned (committed files only, no network)."""
    text = str(source).strip()
    if REMOTE.match(text):
        raise ImportRefused(
            f"'{text}' is a remote address; only a folder or a git repository on this computer can be imported",
            hint="Clone the repository first (where there is internet), then import its folder",
        )
    path = Path(text).expanduser().resolve()
    if not path.is_dir():
        raise ImportRefused(f"{path} is not a folder", hint="Choose the folder that holds dbt_project.yml")
    if not _is_git_repo(path):
        return path, None
    clone = work / "clone"
    _git_clone(path, clone)
    return clone, path


def _is_git_repo(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def _git_clone(path: Path, dest: Path) -> None:
    # file:// so --depth applies; only the file protocol is allowed, so a submodule can't reach the network.
    command = ["git", "clone", "--depth", "1", "--no-recurse-submodules", "--quiet", path.as_uri(), str(dest)]
    env = {"GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0", "PATH": _path_env()}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError as err:
        raise ImportRefused("git is not installed", hint="Install git, or import the project's folder") from err
    if done.returncode != 0:
        raise ImportRefused(
            f"Could not clone the git repository at {path}: {done.stderr.strip() or done.stdout.strip()}",
            hint="Check that the folder is a git repository with at least one commit",
        )


def _path_env() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")


def _find_project_root(tree: Path) -> Path:
    if (tree / "dbt_project.yml").is_file():
        return tree
    found = [
        p.parent
        for p in tree.rglob("dbt_project.yml")
        if len(p.relative_to(tree).parts) <= 4 and not SKIP_DIRS.intersection(p.relative_to(tree).parts)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ImportRefused(f"No dbt_project.yml in {tree.name}", hint="Choose the folder of a dbt project")
    listed = ", ".join(sorted(str(p.relative_to(tree)) for p in found))
    raise ImportRefused(f"Several dbt projects in the folder: {listed}", hint="Import one project folder at a time")


def _read_project_yml(path: Path) -> dict[str, Any]:
    try:
        doc = load_yaml_file(path)
    except YAMLError as err:
        raise ImportRefused(f"dbt_project.yml is not valid YAML: {err}", hint="Fix the file, then import") from err
    if not isinstance(doc, dict):
        raise ImportRefused("dbt_project.yml is not a YAML mapping", hint="Fix the file, then import")
    return doc


def _project_name(theirs: dict[str, Any]) -> str:
    name = str(theirs.get("name") or "")
    if not MODEL_NAME.match(name) or name == TEMPLATE_PROJECT_NAME:
        raise ImportRefused(
            f"The project's name '{name}' cannot be used (lowercase letters, digits, _; not '{TEMPLATE_PROJECT_NAME}')",
            hint="Rename the project in its dbt_project.yml",
        )
    return name


def _plan_copies(root: Path, theirs: dict[str, Any], project: OrgDbtProject, name: str) -> list[tuple[Path, Path]]:
    """(source file, destination) for every file of the project's resource folders."""
    plan: list[tuple[Path, Path]] = []
    for key, (ours, default) in RESOURCE_PATHS.items():
        dest_root = project.path / ours / name
        if dest_root.exists():
            raise ImportRefused(
                f"A project named '{name}' was already imported ({ours}/{name} exists)",
                hint=f"Delete the {name} folders of the org's dbt project to import it again",
            )
        for rel in _as_list(theirs.get(key), default):
            folder = (root / rel).resolve()
            if not _is_under(folder, root.resolve()) or not folder.is_dir():
                continue
            plan += [(f, dest_root / f.relative_to(folder)) for f in _files(folder)]
    return plan


def _files(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.rglob("*")
        if f.is_file()
        and not SKIP_DIRS.intersection(f.relative_to(folder).parts)
        and not any(p.startswith(".") for p in f.relative_to(folder).parts)
    )


def _packages_to_copy(root: Path, theirs: dict[str, Any], working_tree: Path | None) -> list[tuple[Path, str]]:
    """Installed packages to keep; refuses when packages.yml lists one that is not installed."""
    wanted = _declared_packages(root)
    install = str(theirs.get("packages-install-path") or "dbt_packages")
    candidates = [root / install]
    if working_tree is not None:  # dbt_packages/ is usually git-ignored: look in the working tree too
        candidates.append(working_tree / install)
    installed: dict[str, Path] = {}
    for folder in candidates:
        if folder.is_dir() and not installed:
            installed = {_package_name(p): p for p in sorted(folder.iterdir()) if (p / "dbt_project.yml").is_file()}
    installed |= {d.name: d for d in installed.values()}
    missing = [spec for spec, names in wanted if not names & installed.keys()]
    if missing:
        raise ImportRefused(
            f"The project needs dbt packages that are not installed: {', '.join(missing)}",
            hint="Run `dbt deps` for it once on a computer with internet, then import the folder with dbt_packages/",
        )
    return sorted({(path, path.name) for path in installed.values()})


def _declared_packages(root: Path) -> list[tuple[str, set[str]]]:
    """(how packages.yml names it, names its installed folder may have) for each package."""
    declared = []
    for filename in ("packages.yml", "dependencies.yml"):
        path = root / filename
        doc = _read_project_yml(path) if path.is_file() else {}
        for entry in doc.get("packages") or []:
            if isinstance(entry, dict):
                declared.append(_package_spec(entry))
    return declared


def _package_spec(entry: dict[str, Any]) -> tuple[str, set[str]]:
    spec = str(entry.get("package") or entry.get("git") or entry.get("local") or entry.get("tarball") or entry)
    last = re.split(r"[/:]", spec.rstrip("/"))[-1].removesuffix(".git")
    if entry.get("subdirectory"):
        last = Path(str(entry["subdirectory"])).name
    names = {last, last.replace("-", "_"), str(entry.get("name") or last)}
    return spec, names


def _package_name(folder: Path) -> str:
    try:
        doc = load_yaml_file(folder / "dbt_project.yml") or {}
        return str(doc.get("name") or folder.name)
    except (OSError, YAMLError):
        return folder.name


def _macro_conflicts(plan: list[tuple[Path, Path]], project: OrgDbtProject) -> tuple[set[Path], list[str]]:
    """Imported macro files redefining a macro of the org's project: skipped (the org's wins) or refused."""
    ours: set[str] = set()
    for path in (project.path / "macros").rglob("*.sql"):
        ours |= set(MACRO_DEF.findall(path.read_text(encoding="utf-8", errors="replace")))
    skipped, notes, blocking = set(), [], []
    for src, dst in plan:
        if src.suffix != ".sql" or not _is_under(dst, project.path / "macros"):
            continue
        defined = set(MACRO_DEF.findall(src.read_text(encoding="utf-8", errors="replace")))
        clash = defined & ours
        if clash and clash == defined:
            skipped.add(src)
            notes.append(f"Kept the org's {', '.join(sorted(clash))} (the imported {src.name} was not copied)")
        elif clash:
            blocking.append(f"{src.name}: {', '.join(sorted(clash))}")
    if blocking:
        raise ImportRefused(
            f"Imported macros clash with the org's macros: {'; '.join(blocking)}",
            hint="Move the clashing macro to its own file in the project you import, or rename it",
        )
    return skipped, notes


def _check_collisions(plan: list[tuple[Path, Path]], project: OrgDbtProject) -> None:
    """dbt refuses two models, seeds or snapshots with one name: check before copying anything."""
    existing = project.resource_names()
    clashes = sorted({dst.stem for _, dst in plan if _is_resource(dst, project) and dst.stem in existing})
    if clashes:
        raise ImportRefused(
            f"The org's project already has models or seeds named: {', '.join(clashes)}",
            hint="Rename them in one of the two projects, then import again",
        )


def _is_resource(dst: Path, project: OrgDbtProject) -> bool:
    kinds = {"models": (".sql", ".py"), "seeds": (".csv",), "snapshots": (".sql",)}
    return any(_is_under(dst, project.path / k) and dst.suffix in s for k, s in kinds.items())


def _copy_all(plan: list[tuple[Path, Path]], project: OrgDbtProject) -> None:
    """Copy files and package folders; on any failure remove what this import created."""
    created: list[Path] = []
    try:
        for src, dst in plan:
            if dst.exists():
                continue  # an already installed package of the same name: keep it
            top = _first_new_ancestor(dst, project.path)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".git", "target", "logs"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
            created.append(top)
    except OSError as err:
        for path in reversed(created):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        raise ImportRefused(f"Copying the project failed: {err}", hint="Check free disk space and try again") from err


def _first_new_ancestor(dst: Path, stop: Path) -> Path:
    top = dst
    while top.parent != stop and not top.parent.exists():
        top = top.parent
    return top


def _as_list(value: Any, default: list[str]) -> list[str]:
    if value is None:
        return default
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
