"""Plain words on screen: no engineer's jargon outside tooltips, and the one vocabulary module that says it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "desktop"
BANNED = re.compile(
    r"\bwarehouses?\b|\bschemas?\b|\bstreams?\b|\bprimary key|\bcursors?\b|VARCHAR|\bdbt\b|\bslug\b|127\.0\.0\.1",
    re.IGNORECASE,
)
# Calls whose text is for engineers or logs, not the screen.
TECHNICAL_CALLS = {"setToolTip", "debug", "info", "warning", "error", "exception", "RuntimeError", "ValueError"}
# Where the technical word is deliberate, and why.
ALLOWED = {
    ("state/words.py", "tooltips keep the technical names"),
    ("state/step_form.py", "reads the operations' JSON schemas; its strings are keys, not words"),
    ("state/spec_form.py", "reads the connectors' JSON schemas; its strings are keys, not words"),
    ("ui/qt_sql_editor.py", "the SQL editor is the advanced view of a dbt model"),
    ("state/sql_model.py", "the SQL editor is the advanced view of a dbt model"),
}
ALLOWED_FILES = {name for name, _why in ALLOWED}


def _on_screen(text: str) -> bool:
    """A literal a person could read: has a space or starts with a capital (keys like 'warehouse:read' do not)."""
    if " " not in text.strip() and text.strip().replace("_", "").isupper():
        return False  # a code such as VARCHAR or HTTP names: data, never shown as it is
    return " " in text.strip() or text[:1].isupper()


def _technical_parents(tree: ast.AST) -> set[int]:
    """ids of string nodes that are docstrings, tooltips, log lines, or *_TIP constants."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        name = ""
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith(("_TIP", "_TIPS")) for t in node.targets
        ):
            name = "setToolTip"
        if name in TECHNICAL_CALLS:
            skip.update(id(inner) for inner in ast.walk(node))
    return skip


def jargon(path: Path) -> list[str]:
    """On-screen string literals of one module that use a banned word."""
    tree = ast.parse(path.read_text())
    skip = _technical_parents(tree)
    found = []
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        if text and id(node) not in skip and _on_screen(text) and BANNED.search(text):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    return found


def test_the_desktop_says_no_jargon_outside_tooltips() -> None:
    files = sorted([*ROOT.glob("ui/qt_*.py"), *ROOT.glob("state/*.py")])
    assert len(files) > 30
    found = [hit for f in files if str(f.relative_to(ROOT)) not in ALLOWED_FILES for hit in jargon(f)]
    assert found == [], "\n".join(found)


def test_the_check_sees_jargon_when_it_is_there(tmp_path: Path) -> None:
    global ROOT
    sample = tmp_path / "ui" / "qt_sample.py"
    sample.parent.mkdir()
    sample.write_text(
        '"""Docstring about the warehouse is fine."""\n'
        'a = "Save streams"\n'
        'b.setToolTip("The primary key")\n'
        'CURSOR_TIP = "The cursor column"\n'
        'c = d["schema"]\n'
        'e = "Column that shows what changed"\n'
    )
    saved, ROOT = ROOT, tmp_path
    try:
        assert [hit.split(": ", 1)[1] for hit in jargon(sample)] == ["'Save streams'"]
    finally:
        ROOT = saved


def test_operation_names_are_plain() -> None:
    from pipelines.recipes.ops import OPERATIONS

    names = {spec.name for spec in OPERATIONS.values()}
    for word in ("Coalesce", "Case when", "Flatten JSON", "Cast types"):
        assert not any(word in name for name in names), (word, names)
    assert {"First non-empty value", "Set values by condition", "Split nested data into columns"} <= names
