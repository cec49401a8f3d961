"""Plain words for the step forms: field titles, choices, column types, the Add-step groups, server errors."""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]

TITLES = {
    "columns": "Columns",
    "collapse": "Also turn double spaces inside into one",
    "case": "Change to",
    "find": "Find",
    "replace": "Replace with",
    "regex": "Find is a pattern (regular expression)",
    "case_sensitive": "Match upper and lower case exactly",
    "whole_value": "Only when the whole value matches",
    "edits": "Changes",
    "from": "Values to change",
    "to": "Change them to",
    "key": "Row to change (ID column and its value)",
    "separator": "Separator",
    "count": "Number of new columns",
    "names": "New column names",
    "trim": "Trim spaces around each part",
    "keep_original": "Keep the original column",
    "mapping": "New names",
    "operands": "Numbers to combine",
    "output_column": "New column name",
    "nulls_as_zero": "Count empty cells as 0",
    "default": "If all are empty, use",
    "parts": "Parts to join",
    "replacements": "Replacements",
    "pattern": "Pattern",
    "group": "Part of the match",
    "how": "Keep",
    "on": "Match rows on",
    "prefix": "Prefix for names already taken",
    "cast_keys": "Compare the matching columns as text",
    "others": "Tables to append",
    "clauses": "Conditions",
    "conditions": "Conditions",
    "match": "Rows must match",
    "then": "Then use",
    "else": "Otherwise use",
    "function": "Function",
    "args": "Inputs",
    "type": "New type",
    "formats": "Date formats",
    "output": "Result",
    "order_by": "Sort by",
    "descending": "Largest first",
    "partition_by": "Start again for each",
    "paths": "Fields to take out",
    "group_by": "Group by",
    "aggregates": "Summaries",
    "values": "Values",
    "value2": "and",
    "name_column": "Column for the old column names",
    "cast_to": "Type of the new value column",
    "facets": "Facet selections",
    "min": "From",
    "max": "To",
    "include_null": "Also keep empty cells",
    "invert": "Keep every row except these",
    "keys": "Columns that make a row a duplicate",
    "keep": "Keep",
    "sql": "SQL",
    "dialect": "SQL written for",
    "left": "Column here",
}
KIND_TITLES = {
    ("right", "text"): "Column in the other table",
    ("right", "source"): "Other table",
    ("value_column", "column"): "Or compare with column",
    ("value_column", "text"): "Column for the values",
    ("value", "value"): "Value",
    ("mode", "choice"): "How",
    ("operator", "choice"): "Operator",
}
CHOICES: dict[str, dict[Any, str]] = {
    "case": {"upper": "UPPER CASE", "lower": "lower case", "title": "Title Case"},
    "operator": {
        "=": "is", "!=": "is not", "<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least",
        "in": "is one of", "not_in": "is none of", "is_null": "is empty", "is_not_null": "is not empty",
        "contains": "contains", "not_contains": "does not contain", "starts_with": "starts with",
        "ends_with": "ends with", "between": "is between",
        "add": "add (+)", "sub": "subtract (-)", "mul": "multiply (*)", "div": "divide (/)",
    },
    "match": {"all": "all conditions (AND)", "any": "any condition (OR)"},
    "how": {"inner": "only rows found in both tables", "left": "every row of this table",
            "full": "every row of both tables"},
    "keep": {"latest": "the latest", "earliest": "the earliest"},
    "function": {"sum": "total (sum)", "avg": "average", "count": "count", "count_distinct": "count of different values",
                 "min": "smallest", "max": "largest"},
    "output": {"date": "a date", "timestamp": "a date and time"},
    "dialect": {"duckdb": "DuckDB (this computer)", "postgres": "PostgreSQL", "bigquery": "BigQuery"},
    "mode": {"columns": "into new columns", "rows": "into new rows", "constant": "with a fixed value",
             "previous": "with the value above", "strict": "stop when a value does not convert",
             "try": "leave values that do not convert empty"},
    "kind": {"values": "chosen values", "range": "a range", "table": "a table", "model": "a cleaned table"},
}  # fmt: skip
TYPE_WORDS = {
    "VARCHAR": "text",
    "BIGINT": "whole number",
    "INTEGER": "whole number",
    "DOUBLE": "decimal number",
    "BOOLEAN": "yes/no",
    "DATE": "date",
    "TIMESTAMP": "date and time",
}
TYPE_SUGGESTIONS = list(TYPE_WORDS)


def title_of(key: str, schema: Json, kind: str = "") -> str:
    """The schema's own title when it wrote one, else our plain words for the key."""
    given = str(schema.get("title") or "")
    if given and given != key.replace("_", " ").title():
        return given
    return KIND_TITLES.get((key, kind)) or TITLES.get(key) or key.replace("_", " ").capitalize()


def choice_label(key: str, value: Any) -> str:
    return CHOICES.get(key, {}).get(value) or next(
        (words[value] for words in CHOICES.values() if value in words), str(value).replace("_", " ")
    )


def value_kind(sql_type: str) -> str:
    """integer, number, date, timestamp, boolean or text: which control a value of this column needs."""
    name = sql_type.upper()
    if name in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "integer"
    if name in ("DOUBLE", "FLOAT", "REAL") or name.startswith(("DECIMAL", "NUMERIC")):
        return "number"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    if name in ("BOOLEAN", "BOOL"):
        return "boolean"
    return "text"


def type_word(sql_type: str) -> str:
    """'whole number' for BIGINT; the technical name stays for tooltips."""
    kind = value_kind(sql_type)
    return TYPE_WORDS.get(sql_type.upper()) or {"number": "decimal number", "timestamp": "date and time"}.get(
        kind, kind
    )


def typed(text: str, kind: str) -> Any:
    """A value typed as text → a number for number columns; other kinds stay text."""
    text = text.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text.lower() in ("true", "false", "yes", "no"):
        return text.lower() in ("true", "yes")
    return text


# --- the Add-step list ---------------------------------------------------------------------------
GROUPS = ["Clean text", "Fix values", "Rows", "Columns", "Combine tables", "Reshape", "Advanced"]
GROUP_OF = {
    "trim": "Clean text", "change_case": "Clean text", "find_replace": "Clean text", "replace": "Clean text",
    "split_column": "Clean text", "regex_extract": "Clean text",
    "mass_edit": "Fix values", "edit_cell": "Fix values", "fill_nulls": "Fix values", "fill_down": "Fix values",
    "parse_dates": "Fix values", "cast": "Fix values", "coalesce": "Fix values", "clusters": "Fix values",
    "where": "Rows", "facet_filter": "Rows", "deduplicate": "Rows",
    "drop_columns": "Columns", "rename_columns": "Columns", "arithmetic": "Columns", "concat": "Columns",
    "case_when": "Columns", "date_part": "Columns",
    "join": "Combine tables", "union": "Combine tables",
    "group_by": "Reshape", "aggregate": "Reshape", "pivot": "Reshape", "unpivot": "Reshape",
    "raw_sql": "Advanced", "generic": "Advanced", "flatten_json": "Advanced",
}  # fmt: skip
FAMILY_GROUP = {"cleaning": "Fix values", "rows": "Rows", "columns": "Columns", "combine": "Combine tables",
                "reshape": "Reshape"}  # fmt: skip
CLUSTER_ENTRY = {"op": "clusters", "name": "Cluster and merge", "family": "cleaning"}


def grouped(operations: list[Json], query: str = "") -> list[tuple[str, list[Json]]]:
    """The operations (and "Cluster and merge") by purpose in a fixed order, filtered by a search text."""
    words = query.strip().lower()
    out = []
    for group in GROUPS:
        ops = [o for o in [*operations, CLUSTER_ENTRY] if group_of(o) == group]
        ops = [o for o in ops if not words or words in f"{o['name']} {o['op']} {group}".lower()]
        if ops:
            out.append((group, sorted(ops, key=lambda o: str(o["name"]))))
    return out


def group_of(operation: Json) -> str:
    return GROUP_OF.get(operation["op"]) or FAMILY_GROUP.get(operation.get("family", ""), "Advanced")


# --- server errors -------------------------------------------------------------------------------
_PLACE = re.compile(r"(?:^|; )((?:config\.)?[A-Za-z_]\w*(?:\.\w+)*): ")
MESSAGES = [
    (re.compile(r"^unsupported type '(.*?)'"), "“{0}” is not a type this step knows; choose one from the list."),
    (re.compile(r"^Field required"), "Fill this in."),
    (re.compile(r"^Extra inputs are not permitted"), "This is not a setting of this step."),
    (re.compile(r"^List should have at least (\d+) items?"), "Add at least {0}."),
    (re.compile(r"^String should have at least \d+ characters?"), "This cannot be empty."),
    (re.compile(r"^Dictionary should have at least \d+ items?"), "Add at least one row."),
    (re.compile(r"^Input should be a valid (integer|number)"), "Type a number."),
    (re.compile(r"^Input should be (?:greater than or equal to|>=) (\S+)"), "Use {0} or more."),
    (re.compile(r"^Input should be (?:less than or equal to|<=) (\S+)"), "Use {0} or less."),
    (re.compile(r"^Input should be ('.*)"), "Choose one of {0}."),
    (re.compile(r"^Input should be a valid string"), "Type some text."),
]


def plain(message: str) -> str:
    """A validation message in a programme officer's words."""
    message = message.removeprefix("Value error, ").strip()
    for pattern, words in MESSAGES:
        found = pattern.match(message)
        if found:
            return words.format(*found.groups())
    return message[:1].upper() + message[1:]


def server_errors(detail: str) -> tuple[list[tuple[tuple[str | int, ...], str]], str]:
    """The server's "The X step is not valid: a.0.b: msg; c: msg" → ([(path, plain message)], text for the rest)."""
    body = detail.split(" is not valid: ", 1)[1] if " is not valid: " in detail else detail
    marks = list(_PLACE.finditer(body))
    if not marks:
        return [], plain(body)
    found: list[tuple[tuple[str | int, ...], str]] = []
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(body)
        parts = mark.group(1).removeprefix("config.").split(".")
        path = tuple(int(p) if p.isdigit() else p for p in parts)
        found.append((path, plain(body[mark.end() : end])))
    return found, ""


# --- Keep facet selection ------------------------------------------------------------------------
def facet_filter_config(filters: dict[str, Json]) -> Json:
    """The preview's facet selections (column → {"values": [...]} or {"range": [low, high]}) as a step config."""
    facets = []
    for column, chosen in filters.items():
        if "range" in chosen:
            low, high = chosen["range"]
            facets.append({"kind": "range", "column": column, "min": low, "max": high})
        else:
            values = list(chosen.get("values", []))
            present = [v for v in values if v is not None]
            facets.append({"kind": "values", "column": column, "values": present, "include_null": None in values})
    return {"facets": facets}


def refusal(err: BaseException) -> tuple[list[tuple[tuple[str | int, ...], str]], str]:
    """A refused step as (field path, plain message) pairs and a message for the whole form."""
    detail, status = getattr(err, "detail", None), getattr(err, "status", 0)
    if isinstance(detail, str) and status in (400, 422):
        return server_errors(detail)
    return [], str(err) or type(err).__name__
