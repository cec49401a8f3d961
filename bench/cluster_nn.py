"""Nearest-neighbour clustering benchmark: Levenshtein and sounds-alike clustering of a 10M-row column of
village names with 100k distinct values (40% real-looking names, 60% typos of them), on DuckDB through
`pipelines.recipes.cluster_column`. Goal: nearest-neighbour clustering < 5 s on 2 cores.

In the same run: the plain `GROUP BY column` (the work no method can avoid) and key-collision
(fingerprint) clustering, the figure of `bench/cluster.py`.

    uv run python bench/cluster_nn.py [--rows 10000000] [--distinct 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from pipelines.duckdb_conn import connect  # noqa: E402
from pipelines.recipes import cluster_column  # noqa: E402

GOAL_S = 5.0
# Syllables of Hindi and Swahili place names, and common endings (…pur, …nagar, …ganj).
SYLLABLES = [
    "ra",
    "ram",
    "raj",
    "si",
    "sita",
    "lak",
    "shmi",
    "ki",
    "be",
    "ma",
    "tha",
    "re",
    "na",
    "ga",
    "ba",
    "ko",
    "li",
    "ha",
    "ri",
    "de",
    "vi",
    "mu",
    "ka",
    "la",
    "sa",
    "wa",
    "ni",
    "ja",
    "go",
    "pa",
    "lu",
    "ru",
    "ne",
    "to",
    "mbo",
    "ngo",
    "shi",
    "za",
    "ya",
    "bu",
    "di",
    "chi",
    "so",
    "me",
    "nyi",
    "ke",
    "an",
    "in",
    "or",
    "da",
    "dha",
    "ku",
    "ti",
    "vo",
    "se",
    "kha",
    "gha",
    "pu",
    "bha",
    "jo",
    "te",
    "sur",
    "chand",
    "bhar",
    "har",
    "gan",
    "kis",
    "nai",
    "kak",
    "mom",
    "bas",
    "gar",
    "dev",
    "kal",
    "mal",
    "nan",
    "pra",
    "sun",
    "tan",
    "vik",
    "yam",
    "zan",
    "bor",
    "cho",
    "dar",
    "fir",
    "hil",
]
ENDINGS = [
    "pur",
    "nagar",
    "ganj",
    "abad",
    "garh",
    "wadi",
    "pura",
    "ini",
    "ni",
    "wa",
    "ko",
    "ra",
    "gaon",
    "pet",
    "halli",
    "kheda",
] + [""] * 6


def village_names(count: int, rng: random.Random) -> list[str]:
    """`count` distinct names of 2 to 3 syllables and an ending, title-cased."""
    out: set[str] = set()
    while len(out) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(ENDINGS)
        out.add(word.capitalize())
    return sorted(out)


def typo(word: str, rng: random.Random) -> str:
    """One typing slip: a doubled, dropped, swapped or wrong vowel."""
    i, kind = rng.randrange(1, len(word)), rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i - 1] + word[i:]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + rng.choice("aeiou") + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def values(distinct: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """(correct names, typos), together `distinct` different values."""
    rng = random.Random(seed)
    names = village_names(int(distinct * 0.4), rng)
    seen, typos = set(names), []
    while len(seen) < distinct:
        slip = typo(rng.choice(names), rng)
        if slip not in seen:
            seen.add(slip)
            typos.append(slip)
    return names, typos


def build(con: Any, rows: int, distinct: int) -> float:
    """bench.households(village): 80% of rows carry a correct name, 20% a typo."""
    started = time.perf_counter()
    names, typos = values(distinct)
    con.register("_names", pa.table({"i": range(len(names) + len(typos)), "v": names + typos}))
    con.execute("CREATE SCHEMA bench")
    con.execute(
        f"""CREATE TABLE bench.households AS
        WITH r AS (SELECT CASE WHEN range % 10 < 8 THEN hash(range) % {len(names)}
                          ELSE {len(names)} + hash(range) % {len(typos)} END AS i FROM range({rows}))
        SELECT v AS village FROM r JOIN _names USING (i)"""
    )
    con.unregister("_names")
    return time.perf_counter() - started


def timed(fn: Any, runs: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--distinct", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "nn.duckdb", extension_dir=Path(tmp) / "ext", memory_limit="4GB")
        print(f"build {args.rows:,} rows: {build(con, args.rows, args.distinct):.1f} s")
        distinct = con.execute("SELECT COUNT(DISTINCT village) FROM bench.households").fetchone()[0]
        print(f"distinct values: {distinct:,}")
        rel, col = "bench.households", "village"
        base, _ = timed(lambda: con.execute(f"SELECT {col}, COUNT(*) FROM {rel} GROUP BY 1").fetchall(), args.runs)
        finger, fp = timed(lambda: cluster_column(con, rel, col, limit=100_000), args.runs)
        runs = [("levenshtein", 1), ("levenshtein", 2), ("phonetic", 0), ("phonetic", 1)]
        measured = [
            (m, r, *timed(lambda m=m, r=r: cluster_column(con, rel, col, method=m, radius=r, limit=100_000), args.runs))
            for m, r in runs
        ]
        print("\n| measurement | p50 | clusters | values in clusters |\n|---|---|---|---|")
        print(f"| GROUP BY village (baseline) | {base:.2f} s | — | — |")
        print(f"| fingerprint (key collision) | {finger:.2f} s | {len(fp):,} | {sum(len(c.values) for c in fp):,} |")
        for method, radius, seconds, found in measured:
            members = sum(len(c.values) for c in found)
            print(f"| {method}, radius {radius} | {seconds:.2f} s | {len(found):,} | {members:,} |")
        for method, radius, seconds, _ in measured:
            verdict = "met" if seconds < GOAL_S else "NOT met"
            print(
                f"{method} r={radius}: {seconds / finger:.1f}x fingerprint, {seconds / base:.1f}x GROUP BY; goal < {GOAL_S:.0f} s {verdict}"
            )
        con.close()


if __name__ == "__main__":
    main()
