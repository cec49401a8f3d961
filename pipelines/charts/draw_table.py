"""Table and pivot charts drawn as a table (one page of rows per image)."""

from __future__ import annotations

from typing import Any

from pipelines.charts.numbers import format_number, format_value
from pipelines.charts.run import ChartResult
from pipelines.charts.spec import ChartSpec
from pipelines.charts.style import GRID, MUTED, PALETTE, TEXT

ROW_PX = 22
MAX_COLUMNS = 9
CELL_CHARS = 24


def rows_per_image(height: int) -> int:
    """How many table rows fit one image of this height."""
    return max(3, (height - 90) // ROW_PX)


def _cell(value: Any, fmt: str) -> str:
    text = (
        format_number(value, fmt)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (format_value(value))
    )
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _all_numbers(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)


def draw_grid(fig: Any, header: list[str], body: list[list[str]], footer: str, numeric: list[bool]) -> None:
    """A plain table: bold header, light rules, numbers right-aligned, a footer saying which rows these are."""
    ax = fig.add_subplot()
    ax.set_axis_off()
    if not body:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", fontsize=16, color=TEXT, transform=ax.transAxes)
        ax.text(0.5, 0.4, footer, ha="center", va="center", fontsize=9, color=MUTED, transform=ax.transAxes)
        return
    shown = [h if len(h) <= CELL_CHARS else h[: CELL_CHARS - 1] + "…" for h in header[:MAX_COLUMNS]]
    cells = [row[:MAX_COLUMNS] for row in body]
    tbl = ax.table(cellText=cells, colLabels=shown, loc="upper center", cellLoc="left", colLoc="left")
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(8.5)
    tbl.auto_set_column_width(list(range(len(shown))))
    for (r, c), cell in tbl.get_celld().items():
        cell.set_edgecolor(GRID)
        cell.set_height(1.0 / (len(cells) + 2))
        if numeric[c] if c < len(numeric) else False:
            cell.get_text().set_horizontalalignment("right")
        if r == 0:
            cell.set_text_props(fontweight="bold", color="white")
            cell.set_facecolor(PALETTE[0])
        elif r % 2 == 0:
            cell.set_facecolor("#F6F6F6")
    ax.text(1.0, -0.01, footer, ha="right", va="top", fontsize=8, color=MUTED, transform=ax.transAxes)


def table(fig: Any, spec: ChartSpec, result: ChartResult, *, height: int, **_: Any) -> None:
    limit = rows_per_image(height)
    offset = result.page[1] if result.page else 0
    rows = result.rows[:limit]
    body = [[_cell(v, spec.number_format) for v in row] for row in rows]
    width = len(rows[0]) if rows else len(result.columns)
    numeric = [_all_numbers([r[i] for r in rows]) for i in range(width)]
    total = result.total if result.total is not None else len(result.rows)
    footer = f"Rows {offset + 1:,} to {offset + len(rows):,} of {total:,}" if rows else "No rows"
    draw_grid(fig, [c.name for c in result.columns][:width], body, footer, numeric)


def pivot_matrix(spec: ChartSpec, rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """Rows (dimensions…, pivot columns…, value) → header and matrix with row and column totals."""
    n_dims = len(spec.dimensions)
    n_piv = len(spec.pivot_columns)
    keys = list(dict.fromkeys(tuple(r[:n_dims]) for r in rows))
    cols = sorted({" / ".join(format_value(v) for v in r[n_dims : n_dims + n_piv]) for r in rows})
    cols = cols[: MAX_COLUMNS - n_dims - 1]
    cells: dict[tuple[Any, ...], dict[str, Any]] = {k: {} for k in keys}
    for r in rows:
        col = " / ".join(format_value(v) for v in r[n_dims : n_dims + n_piv])
        if col in cols:
            cells[tuple(r[:n_dims])][col] = r[n_dims + n_piv]
    additive = all(m.agg in ("count", "sum") and not m.expression for m in spec.metrics)
    header = [*spec.dimensions, *cols] + (["Total"] if additive else [])
    matrix = []
    for k in keys:
        values = [cells[k].get(c, "") for c in cols]  # no rows for this pair: an empty cell, not "(blank)"
        total = [sum(float(v or 0) for v in values)] if additive else []
        matrix.append([*k, *values, *total])
    if additive and matrix:
        sums = [sum(float(row[n_dims + i] or 0) for row in matrix) for i in range(len(cols) + 1)]
        matrix.append(["Total", *[""] * (n_dims - 1), *sums])
    return header, matrix


def pivot(fig: Any, spec: ChartSpec, result: ChartResult, *, height: int, **_: Any) -> None:
    header, matrix = pivot_matrix(spec, result.rows)
    limit = rows_per_image(height)
    shown = matrix[: limit - 1] + ([matrix[-1]] if len(matrix) > limit else [])
    body = [[_cell(v, spec.number_format) for v in row] for row in shown]
    numeric = [i >= len(spec.dimensions) for i in range(len(header))]
    footer = f"{len(shown):,} of {len(matrix):,} rows" + (" (the total row is last)" if len(matrix) > limit else "")
    draw_grid(fig, header, body, footer, numeric)
