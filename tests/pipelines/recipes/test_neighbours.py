"""Nearest-neighbour clustering on the misspelt villages of the field test: typos and sound-alikes are
proposed, different villages are not merged, and blocking finds the same pairs as comparing every pair."""

from __future__ import annotations

import random

import duckdb
import pytest

from pipelines.recipes import RecipeError, cluster_column
from pipelines.recipes.neighbours import brute_force_pairs, near_pairs, phonetic_key

# Rows per spelling, as in the report's household survey (scaled down).
VILLAGES = {
    "Rampur": 120, "Raampur": 17, "Ramapur": 17, "RAMPUR": 3, " Rampur": 2, "Kibera": 87, "Kiberra": 17,
    "Mathare": 51, "Mathari": 17, "Lakshmipur": 53, "Laxmipur": 18, "Sitapur": 51, "Seetapur": 17, "Sitapur.": 16,
}  # fmt: skip
TYPOS = [{"Rampur", "Raampur", "Ramapur"}, {"Kibera", "Kiberra"}, {"Mathare", "Mathari"}]


def _table(values: dict[str, int]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE survey (village VARCHAR)")
    con.executemany("INSERT INTO survey VALUES (?)", [(v,) for v, n in values.items() for _ in range(n)])
    return con


@pytest.fixture
def raw() -> duckdb.DuckDBPyConnection:
    """The values as typed, with ' Rampur' and 'RAMPUR'."""
    return _table(VILLAGES)


@pytest.fixture
def tidy() -> duckdb.DuckDBPyConnection:
    """The values after trim + title-case, as the tester had them."""
    tidied: dict[str, int] = {}
    for value, n in VILLAGES.items():
        tidied[value.strip().title()] = tidied.get(value.strip().title(), 0) + n
    return _table(tidied)


def groups(con: duckdb.DuckDBPyConnection, method: str, radius: int | None = None) -> list[set[str]]:
    found = cluster_column(con, "survey", "village", method=method, radius=radius)  # type: ignore[arg-type]
    return [{v for v, _ in c.values} for c in found]


def _contains(found: list[set[str]], wanted: set[str]) -> bool:
    return any(wanted <= g for g in found)


def _never_together(found: list[set[str]], *names: str) -> bool:
    return all(len(g & set(names)) <= 1 for g in found)


@pytest.mark.parametrize("fixture", ["raw", "tidy"])
def test_sounds_alike_proposes_every_misspelling_of_the_report(fixture: str, request: pytest.FixtureRequest) -> None:
    found = groups(request.getfixturevalue(fixture), "phonetic")
    for wanted in [*TYPOS, {"Lakshmipur", "Laxmipur"}, {"Sitapur", "Seetapur"}]:
        assert _contains(found, wanted), (wanted, found)
    assert _never_together(found, "Rampur", "Sitapur", "Kibera", "Mathare", "Lakshmipur")


def test_sounds_alike_on_raw_values_puts_case_and_spaces_with_the_common_spelling(
    raw: duckdb.DuckDBPyConnection,
) -> None:
    rampur = cluster_column(raw, "survey", "village", method="phonetic")[0]
    assert rampur.suggested == "Rampur"
    assert {v for v, _ in rampur.values} == {"Rampur", "Raampur", "Ramapur", "RAMPUR", " Rampur"}
    assert rampur.rows == 159


@pytest.mark.parametrize("fixture", ["raw", "tidy"])
def test_small_typos_within_one_letter(fixture: str, request: pytest.FixtureRequest) -> None:
    found = groups(request.getfixturevalue(fixture), "levenshtein", 1)
    for wanted in TYPOS:
        assert _contains(found, wanted), (wanted, found)
    assert not _contains(found, {"Sitapur", "Seetapur"})  # two letters apart: needs radius 2
    assert _never_together(found, "Rampur", "Sitapur", "Kibera", "Mathare", "Lakshmipur")


def test_a_wider_radius_finds_more_but_never_merges_different_villages(tidy: duckdb.DuckDBPyConnection) -> None:
    assert _contains(groups(tidy, "levenshtein", 2), {"Sitapur", "Seetapur"})
    wide = groups(tidy, "levenshtein", 3)
    assert _contains(wide, {"Lakshmipur", "Laxmipur"})
    assert _never_together(wide, "Rampur", "Sitapur", "Kibera", "Mathare", "Lakshmipur")


def test_short_names_need_to_be_closer() -> None:
    con = _table({"Pune": 5, "Puri": 3, "Goa": 2, "Gaya": 2})
    assert groups(con, "levenshtein", 3) == []  # 2 edits in 4 letters is another place, not a typo


def test_radius_is_checked_and_phonetic_key_folds_transliterations(tidy: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RecipeError, match="between 1 and 3"):
        cluster_column(tidy, "survey", "village", method="levenshtein", radius=0)
    with pytest.raises(RecipeError, match="between 0 and 2"):
        cluster_column(tidy, "survey", "village", method="phonetic", radius=5)
    assert phonetic_key("Lakshmipur") == phonetic_key("Laxmipur") and phonetic_key("Mathare") == phonetic_key("Matare")
    assert phonetic_key("123 !") == ""


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_blocking_finds_exactly_the_pairs_of_a_brute_force_comparison(radius: int) -> None:
    rng = random.Random(radius)
    words = {"".join(rng.choice("aeimnprst") for _ in range(rng.randint(2, 9))) for _ in range(300)}
    keys = sorted(words | {"rampur", "raampur", "ramapur", "sitapur", "seetapur", "lakshmipur", "laxmipur"})
    blocked = sorted(near_pairs(duckdb.connect(), keys, radius))
    assert blocked == sorted(brute_force_pairs(keys, radius))
    assert len(blocked) > 10  # the random words are close enough for the comparison to mean something
