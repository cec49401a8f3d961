"""Nearest-neighbour clustering, as OpenRefine's: spellings a few letters apart (Levenshtein) or that sound
alike (a Metaphone key), within a radius the user chooses.

Comparing every pair of 100k distinct values is 5·10⁹ distances, so candidate pairs are *blocked*: each
key is listed with every string obtained by deleting up to `radius` letters from it, and only keys sharing
such a string are compared (two strings within `radius` edits always share one; SymSpell's observation).
DuckDB does the join and the `levenshtein` check; Python only links each value to its most common
neighbour, so a cluster is a frequent spelling and its variants rather than a chain of look-alikes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Literal

import duckdb
import jellyfish
import pyarrow as pa

from pipelines.recipes.core import RecipeError

NeighbourMethod = Literal["levenshtein", "phonetic"]
RADIUS = {"levenshtein": (1, 3, 1), "phonetic": (0, 2, 0)}  # min, max, default (fast on 100k values)

# Lower-case, accents folded, punctuation dropped, spaces collapsed: " RAMPUR." and "Rampur" are one key.
_CLEAN = (
    "trim(regexp_replace(regexp_replace(lower(strip_accents(CAST(value AS VARCHAR))),"
    " '[[:punct:][:cntrl:]]', '', 'g'), '\\s+', ' ', 'g'))"
)
# Transliterated Hindi and Swahili names swap sh/s/x (Lakshmi/Laxmi) and th/t (Mathare/Matare): Metaphone
# spells these sounds X and 0, so they are folded into S and T.
_FOLD = str.maketrans({"X": "S", "0": "T", " ": None})


def phonetic_key(text: str) -> str:
    """A sounds-alike key: Metaphone with sh/s/x and th/t folded together ('' for text with no letters)."""
    return str(jellyfish.metaphone(text)).translate(_FOLD)


def _deletions(expr: str) -> str:
    """SQL list: `expr` with each one of its letters deleted."""
    return f"list_transform(range(1, length({expr}) + 1), i -> substring({expr}, 1, i - 1) || substring({expr}, i + 1))"


def _variants(depth: int) -> str:
    """SQL list: the key and every string made by deleting up to `depth` of its letters."""
    variants = "[k]"
    for _ in range(depth):
        variants = f"list_distinct(flatten(list_transform({variants}, w -> list_concat([w], {_deletions('w')}))))"
    return variants


def near_pairs(con: duckdb.DuckDBPyConnection, keys: list[str], radius: int) -> list[tuple[str, str]]:
    """Pairs of keys at most `radius` edits apart (and at most one edit per three letters of the longer)."""
    if not keys or radius < 1:
        return []
    name = f"_dalgo_keys_{uuid.uuid4().hex}"
    con.register(name, pa.table({"k": pa.array(keys, pa.string())}))
    # The per-length cap keeps short names apart: 'Pune' and 'Puri' are two edits but different places.
    sql = f"""
        WITH v AS (SELECT k, unnest({_variants(radius)}) AS v FROM {name} WHERE k <> ''),
        candidates AS (SELECT DISTINCT a.k AS a, b.k AS b FROM v AS a JOIN v AS b ON a.v = b.v AND a.k < b.k)
        SELECT a, b FROM candidates
        WHERE levenshtein(a, b) <= LEAST({int(radius)}, GREATEST(1, GREATEST(length(a), length(b)) // 3))
    """
    try:
        return [(str(a), str(b)) for a, b in con.execute(sql).fetchall()]
    finally:
        con.unregister(name)


def brute_force_pairs(keys: list[str], radius: int) -> list[tuple[str, str]]:
    """The same pairs by comparing every pair (for tests on small sets)."""
    found = []
    for a in keys:
        for b in keys:
            cap = min(radius, max(1, max(len(a), len(b)) // 3))
            if a and b and a < b and jellyfish.levenshtein_distance(a, b) <= cap:
                found.append((a, b))
    return found


def _parents(pairs: list[tuple[str, str]], weight: dict[str, int]) -> dict[str, str]:
    """Each key's most common neighbour, when that neighbour is more common than the key itself."""
    rank = lambda k: (weight[k], k)  # noqa: E731 — ties broken by the key, so results are stable
    best: dict[str, str] = {}
    for a, b in pairs:
        low, high = (a, b) if rank(a) < rank(b) else (b, a)
        if low not in best or rank(high) > rank(best[low]):
            best[low] = high
    return best


def _root(key: str, parents: dict[str, str]) -> str:
    seen = {key}
    while key in parents and parents[key] not in seen:
        key = parents[key]
        seen.add(key)
    return key


def _counted(con: duckdb.DuckDBPyConnection, relation_sql: str, quoted: str) -> list[tuple[Any, int, str]]:
    """(value, rows, cleaned text) for each distinct non-empty value."""
    # The cleaned text is computed in the outer SELECT with no filter on it: a filter mentioning it would be
    # pushed below the GROUP BY and computed for every row (see cluster.py).
    sql = f"""
        SELECT value, n, {_CLEAN} AS s FROM (
            SELECT {quoted} AS value, COUNT(*) AS n FROM {relation_sql} AS _r WHERE {quoted} IS NOT NULL GROUP BY 1
        )
    """
    return [(value, int(n), str(s or "")) for value, n, s in con.execute(sql).fetchall()]


def check_radius(method: str, radius: int | None) -> int:
    """The radius to use for `method` (its default when None); a RecipeError names the allowed range."""
    low, high, default = RADIUS[method]
    chosen = default if radius is None else int(radius)
    if not low <= chosen <= high:
        raise RecipeError(f"the distance for this method must be between {low} and {high}")
    return chosen


def neighbour_groups(
    con: duckdb.DuckDBPyConnection, relation_sql: str, quoted: str, method: NeighbourMethod, radius: int
) -> dict[str, list[tuple[Any, int]]]:
    """Distinct values grouped under the key of their cluster's most common spelling."""
    rows = _counted(con, relation_sql, quoted)
    key_of = (lambda s: phonetic_key(s)) if method == "phonetic" else (lambda s: s)
    members: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    weight: dict[str, int] = defaultdict(int)
    for value, n, cleaned in rows:
        key = key_of(cleaned or "")
        if key:  # text with no letters (digits only, punctuation, a script Metaphone does not read) is left alone
            members[key].append((value, int(n)))
            weight[key] += int(n)
    parents = _parents(near_pairs(con, sorted(weight), radius), weight)
    groups: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for key, found in members.items():
        groups[_root(key, parents)].extend(found)
    return groups
