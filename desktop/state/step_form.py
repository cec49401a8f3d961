"""An operation's JSON-schema config as a tree of form nodes (pickers, rows, groups), and the values back as a config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop.state.step_words import TYPE_SUGGESTIONS, choice_label, title_of

COLUMN_KEYS = {"column", "order_by", "value_column", "left"}  # a single existing column
COLUMNS_KEYS = {"columns", "keys", "group_by", "id_columns", "value_columns", "partition_by", "keep"}
COLUMN_MAP_KEYS = {"mapping", "key"}  # mappings keyed by an existing column
SCALARS = {"string", "integer", "number", "boolean", "null"}
NO_VALUE_OPERATORS = {"is_null", "is_not_null"}
LIST_OPERATORS = {"in", "not_in"}
COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
Path = tuple[str | int, ...]
Json = dict[str, Any]


@dataclass
class Node:
    """One control. `kind`: column, columns, text, code, choice, boolean, integer, number, value, list,
    mapping, objects, object, operand, variant, source, fixed."""

    key: str
    kind: str
    title: str
    required: bool = False
    description: str = ""
    default: Any = None
    options: list[Any] = field(default_factory=list)
    nullable: bool = False
    many: bool = False  # a value that may also be a list (the "is one of" operators)
    minimum: float | None = None
    maximum: float | None = None
    min_items: int = 0
    suggestions: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)  # object fields; mapping: [key node, value node]
    item: Node | None = None  # the row of objects / list
    variants: dict[str, Node] = field(default_factory=dict)  # variant tag → object node

    def child(self, key: str) -> Node | None:
        return next((c for c in self.children if c.key == key), None)

    @property
    def compact(self) -> bool:
        """An object whose fields fit on one line (no lists or groups inside)."""
        return all(c.kind not in ("objects", "object", "mapping", "list", "columns", "code") for c in self.children)


class _Defs:
    """Resolves `$ref` against the schema's `$defs`."""

    def __init__(self, schema: Json) -> None:
        self.defs = schema.get("$defs", {})

    def __call__(self, prop: Json) -> Json:
        ref = prop.get("$ref")
        return {**self.defs[ref.rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}} if ref else prop


def _is_scalar(prop: Json) -> bool:
    return prop.get("type") in SCALARS and "enum" not in prop and "$ref" not in prop


def _operand(options: list[Json]) -> bool:
    keys = [set(o.get("properties", {})) for o in options]
    return bool(keys) and all(k in ({"column"}, {"value"}) for k in keys) and {"column"} in keys


def form_of(schema: Json) -> Node:
    """The whole config as an object node (its children are the dialog's rows)."""
    return _object("", schema, _Defs(schema), True)


def _object(key: str, schema: Json, defs: _Defs, required: bool) -> Node:
    wanted = set(schema.get("required", []))
    node = Node(key, "object", title_of(key, schema), required, str(schema.get("description") or ""))
    props = schema.get("properties", {})
    other_table = any(_is_source(defs(p)) for p in props.values())
    for name, raw in props.items():
        child = _node(name, raw, defs, name in wanted)
        if other_table and child.kind == "columns":  # join: columns of the other table, which the form cannot list
            child.kind = "list"
        node.children.append(child)
    return node


def _is_source(prop: Json) -> bool:
    mapping = (prop.get("discriminator") or {}).get("mapping", {})
    return set(mapping) == {"table", "model"}


def _node(key: str, raw: Json, defs: _Defs, required: bool) -> Node:
    prop = defs(raw)
    node = Node(key, "text", title_of(key, raw), required, str(raw.get("description") or ""), raw.get("default"))
    options = prop.get("anyOf") or prop.get("oneOf")
    made = _union(node, prop, [defs(o) for o in options], defs) if options is not None else _typed(node, prop, defs)
    made.title = title_of(key, raw, made.kind)
    if made.item is not None and made.item.child("conditions") and made.item.child("then"):
        made.title = "Rules"  # case when: each row is a rule with its own conditions
    return made


def _union(node: Node, prop: Json, options: list[Json], defs: _Defs) -> Node:
    real = [o for o in options if o.get("type") != "null"]
    node.nullable = len(real) < len(options)
    if _is_source(prop):
        node.kind = "source"
    elif "discriminator" in prop:
        node.kind = "variant"
        tag = prop["discriminator"]["propertyName"]
        for option in real:
            node.variants[option["properties"][tag]["const"]] = _object(tag, option, defs, True)
    elif _operand(real):
        node.kind = "operand"
    elif len(real) == 1:
        return _typed(node, {**prop, **real[0]}, defs)
    elif all(_is_scalar(o) for o in real):
        node.kind = "value"
    elif all(_is_scalar(o) or o.get("type") == "array" for o in real):
        node.kind, node.many = "value", True
    else:
        node.kind = "unsupported"
    return node


def _typed(node: Node, prop: Json, defs: _Defs) -> Node:
    kind, key = prop.get("type"), node.key
    node.minimum, node.maximum = prop.get("minimum"), prop.get("maximum")
    if "const" in prop:
        node.kind, node.default = "fixed", prop["const"]
    elif "enum" in prop:
        node.kind, node.options = "choice", list(prop["enum"])
    elif kind == "string":
        node.kind = _string_kind(key, node.default)
        node.suggestions = [str(e) for e in prop.get("examples", [])] or (
            TYPE_SUGGESTIONS if key in ("type", "cast_to") else []
        )
    elif kind in ("boolean", "integer", "number"):
        node.kind = str(kind)
    elif kind == "array":
        _array(node, defs(prop.get("items", {})), defs)
        node.min_items = int(prop.get("minItems", 0))
    elif kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        _mapping(node, defs(prop["additionalProperties"]))
    elif kind == "object":
        return _merge(_object(key, prop, defs, node.required), node)
    else:
        node.kind = "unsupported"
    return node


def _string_kind(key: str, default: Any) -> str:
    if key == "sql":
        return "code"
    # A column key with a text default is a name for a new column (unpivot's "value"), not a pick.
    return "column" if key in COLUMN_KEYS and not isinstance(default, str) else "text"


def _array(node: Node, items: Json, defs: _Defs) -> None:
    if items.get("type") == "string" and "enum" not in items:
        node.kind = "columns" if node.key in COLUMNS_KEYS else "list"
    elif items.get("anyOf") and all(_is_scalar(defs(o)) for o in items["anyOf"]):
        node.kind, node.many = "list", True  # values typed to the column (numbers stay numbers)
    else:
        node.kind, node.item = "objects", _node(node.key, items, defs, True)


def depth(node: Node) -> int:
    """How many row boxes nest inside each other (a rule's conditions: 2); wider dialogs for deeper forms."""
    inner = [*node.children, *([node.item] if node.item else []), *node.variants.values()]
    return (node.kind == "objects") + max((depth(c) for c in inner), default=0)


def _mapping(node: Node, values: Json) -> None:
    node.kind = "mapping"
    key_kind = "column" if node.key in COLUMN_MAP_KEYS else "text"
    value_kind = "value" if values.get("anyOf") else "text"
    node.children = [Node("name", key_kind, "Column" if key_kind == "column" else "Name", True),
                     Node("value", value_kind, "Value", node.key != "key")]  # fmt: skip


def _merge(obj: Node, outer: Node) -> Node:
    obj.key, obj.title, obj.required = outer.key, outer.title, outer.required
    obj.description = outer.description or obj.description
    return obj


def walk(node: Node) -> list[Node]:
    """Every node below `node` (variants and rows included), for checks that no control is missing."""
    out = [node]
    for child in [*node.children, *([node.item] if node.item else []), *node.variants.values()]:
        out.extend(walk(child))
    return out


# --- which fields show ------------------------------------------------------------------------------
# Fields that mean something in one mode only: fill "with the value above" sorts, split "into columns" names.
MODE_ONLY = {"order_by": "previous", "partition_by": "previous", "value": "constant", "count": "columns",
             "names": "columns"}  # fmt: skip


def shown(node: Node, values: Json) -> list[Node]:
    """The fields of an object that apply to what is chosen now (no value box for "is empty")."""
    mode = node.child("mode")
    if mode is not None and mode.kind == "choice":
        chosen = values.get("mode") or mode.default
        return [c for c in node.children if c.kind != "fixed" and MODE_ONLY.get(c.key, chosen) == chosen]
    operator = values.get("operator")
    if node.child("operator") is None or not isinstance(operator, str) or node.child("value") is None:
        return [c for c in node.children if c.kind != "fixed"]
    hide = {"value2"} if operator != "between" else set()
    if operator not in COMPARISONS:  # comparing with another column makes sense for =, <, ... only
        hide.add("value_column")
    if operator in NO_VALUE_OPERATORS:
        hide |= {"value", "value2"}
    return [c for c in node.children if c.kind != "fixed" and c.key not in hide]


def value_is_list(node: Node, values: Json) -> bool:
    """Whether an object's "value" takes several values now (operator "is one of")."""
    return values.get("operator") in LIST_OPERATORS


# --- collecting the config ------------------------------------------------------------------------
EMPTY: tuple[Any, ...] = (None, "", [], {})


def collect(node: Node, value: Any, path: Path = ()) -> tuple[Any, dict[Path, str]]:
    """The config from the raw values of the controls, and plain-word errors keyed by field path."""
    errors: dict[Path, str] = {}
    result = _collect(node, value, path, errors)
    return result, errors


def _collect(node: Node, value: Any, path: Path, errors: dict[Path, str]) -> Any:
    if node.kind == "fixed":
        return node.default
    if node.kind == "object":
        return _collect_object(node, value or {}, path, errors)
    if node.kind == "variant":
        tag = (value or {}).get("kind") or next(iter(node.variants))
        return {**_collect_object(node.variants[tag], value or {}, path, errors), "kind": tag}
    if node.kind == "objects":
        assert node.item is not None
        rows = [_collect(node.item, v, (*path, i), errors) for i, v in enumerate(value or []) if v not in EMPTY]
        return [r for r in rows if r not in EMPTY]
    if node.kind == "mapping":
        return {str(k).strip(): v for k, v in (value or []) if str(k).strip()}
    if node.kind in ("list", "columns"):
        return [v.strip() if isinstance(v, str) else v for v in (value or []) if v not in EMPTY] if value else value
    if isinstance(value, str) and node.kind not in ("code", "value"):
        return value.strip()
    return value


def _collect_object(node: Node, values: Json, path: Path, errors: dict[Path, str]) -> Json:
    config: Json = {}
    for child in shown(node, values):
        got = _collect(child, values.get(child.key), (*path, child.key), errors)
        if got in EMPTY and not (child.kind == "value" and child.nullable and got is None and child.required):
            if child.required and (*path, child.key) not in errors:
                errors[(*path, child.key)] = missing(child)
            continue
        if isinstance(got, list) and len(got) < child.min_items:
            errors[(*path, child.key)] = missing(child)
        config[child.key] = got
    for child in node.children:
        if child.kind == "fixed":
            config[child.key] = child.default
    _needs_value(node, config, path, errors)
    return config


def _needs_value(node: Node, config: Json, path: Path, errors: dict[Path, str]) -> None:
    """A comparison needs something to compare with ("is empty" does not)."""
    operator = config.get("operator")
    if node.child("value") is None or not isinstance(operator, str) or operator in NO_VALUE_OPERATORS:
        return
    if config.get("value") in EMPTY and not config.get("value_column"):
        errors.setdefault((*path, "value"), "Type a value to compare with.")
    if operator == "between" and config.get("value2") in EMPTY:
        errors.setdefault((*path, "value2"), "Type the upper end of the range.")


def missing(node: Node) -> str:
    """What to do about an empty required field, in plain words."""
    if node.kind == "columns":
        return "Tick at least one column."
    if node.kind == "column":
        return "Choose a column."
    if node.kind in ("choice", "source", "variant"):
        return f"Choose {node.title.lower()}."
    if node.kind in ("objects", "mapping"):
        return f"Add at least one row to {node.title.lower()}."
    if node.kind == "list":
        return f"Type at least one entry in {node.title.lower()} (one per line)."
    return f"Fill in {node.title.lower()}."


def title_at(node: Node, path: Path) -> str:
    """'Conditions, row 2, Operator' for ("clauses", 1, "operator")."""
    parts, current = [], node
    for step in path:
        if isinstance(step, int):
            parts.append(f"row {step + 1}")
            current = current.item or current
            continue
        nxt = current.child(step) or next((v.child(step) for v in current.variants.values() if v.child(step)), None)
        if nxt is None:
            break
        parts.append(nxt.title)
        current = nxt
    return ", ".join(parts)


def choice_words(node: Node) -> list[tuple[str, Any]]:
    """(label, value) of each option of a choice."""
    return [(choice_label(node.key, o), o) for o in node.options]
