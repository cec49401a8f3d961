"""CSV/TSV through DuckDB's own `read_csv`: sniff once, then one native scan; problems found by the scan
(ragged rows, a text value in a number column, bad bytes) come back from DuckDB's reject tables and the
scan is re-run with the fix, so Python never touches a data row.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from pipelines.connectors.base import ScanReview, SqlScan
from pipelines.connectors.filetypes import encoding as enc
from pipelines.connectors.filetypes.common import check_not_empty_or_foreign, cursor_filter
from pipelines.connectors.filetypes.limits import FileLimits, reading
from pipelines.errors import BadInputError
from pipelines.loading.stage import safe_column_names

REJECTS_LIMIT = 100_000
# Values over 2 MB (a pasted document, a base64 photo) need a bigger line limit; the buffer must hold a line.
_LONG_LINES = {"max_line_size": "33554432", "buffer_size": "67108864"}
_DELIMITERS = ",;\t|"
_HEADER = {"auto": None, "yes": True, "no": False}


@dataclass
class _Sniffed:
    delimiter: str
    quote: str
    escape: str
    header: bool
    skip: int
    columns: list[dict[str, str]]
    dateformat: str | None
    timestampformat: str | None
    tolerant: bool = False  # found only when padding ragged rows: the header, not the widest row, sets the width
    long_lines: bool = False  # found only with lines over DuckDB's default 2 MB limit


@dataclass
class CsvPlan:
    """Everything needed to read one CSV file with `read_csv`, settled before any row is loaded."""

    source: Path
    read_path: Path  # the file itself, or its UTF-8 copy
    encoding: enc.Encoding
    auto_encoding: bool
    delimiter: str
    quote: str
    escape: str
    header: bool
    skip: int
    names: list[str]
    originals: dict[str, str]
    types: dict[str, str]  # as sniffed
    dateformat: str | None = None
    timestampformat: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # columns forced to VARCHAR after a failed cast
    null_padding: bool = False
    strict: bool = True
    long_lines: bool = False
    scratch_dir: Path | None = None  # where a UTF-8 copy may be written (the upload's folder)
    notes: list[str] = field(default_factory=list)  # said once, with the first scan's warnings


def plan_csv(
    path: Path, options: dict[str, Any], scratch_dir: Path | None, limits: FileLimits | None = None
) -> CsvPlan:
    """Detect encoding and dialect, read the raw header; raises BadInputError for files that are not CSV."""
    limits = limits or FileLimits()
    with path.open("rb") as handle:
        head = handle.read(enc.SAMPLE_BYTES)
    check_not_empty_or_foreign(path, head, "CSV")
    requested = str(options.get("encoding") or "auto").lower()
    encoding = enc.detect(path, head, requested)
    enc.check_text(path, head, encoding)
    read_path = enc.converted_copy(path, encoding, scratch_dir) if encoding.needs_conversion else path
    try:
        plan = _plan_for(path, read_path, encoding, requested == "auto", options, limits)
    except BadInputError:
        if requested != "auto" or encoding.needs_conversion:
            raise
        # the sniffer read past the 64 KB sample into bytes that are not UTF-8: try Windows-1252 once
        latin = enc.converted_copy(path, enc.CP1252, scratch_dir)
        plan = _plan_for(path, latin, enc.CP1252, True, options, limits)
        plan.notes.append(f"File '{path.name}' is not {encoding.label} throughout; it was read as Windows-1252")
    plan.scratch_dir = scratch_dir
    return plan


def _plan_for(
    path: Path, read_path: Path, encoding: enc.Encoding, auto: bool, options: dict[str, Any], limits: FileLimits
) -> CsvPlan:
    with reading(path, limits) as con:
        sniffed = _sniff(con, path, read_path, encoding, options)
        raw_header = _raw_header(con, read_path, encoding, sniffed) if sniffed.header else []
    width = len(sniffed.columns)
    if sniffed.tolerant and raw_header:
        while width > 1 and raw_header[width - 1] is None:
            width -= 1  # rows longer than the header come back as extra columns when the scan pads them
    raw = [str(raw_header[i] or "") if i < len(raw_header) else "" for i in range(width)]
    if not sniffed.header:
        raw = [f"column_{i + 1}" for i in range(width)]
    names = safe_column_names(raw)
    return CsvPlan(
        source=path,
        read_path=read_path,
        encoding=encoding,
        auto_encoding=auto,
        delimiter=sniffed.delimiter,
        quote=sniffed.quote,
        escape=sniffed.escape,
        header=sniffed.header,
        skip=sniffed.skip,
        names=names,
        originals=dict(zip(names, raw, strict=True)),
        types={name: column["type"] for name, column in zip(names, sniffed.columns[:width], strict=True)},
        dateformat=sniffed.dateformat,
        timestampformat=sniffed.timestampformat,
        long_lines=sniffed.long_lines,
    )


def _sniff(
    con: duckdb.DuckDBPyConnection, path: Path, read_path: Path, encoding: enc.Encoding, options: dict[str, Any]
) -> _Sniffed:
    args = _user_args(path, encoding, options)
    found, error = _try_sniff(con, read_path, args)
    if found is None and "Maximum line size" in error:
        args.update(_LONG_LINES)
        found, error = _try_sniff(con, read_path, args)
    # A few ragged rows near the top can make the sniffer settle on "one column"; retry tolerant of them.
    if found is None or (len(found.columns) == 1 and _looks_delimited(read_path, encoding)):
        tolerant, _ = _try_sniff(con, read_path, {**args, "null_padding": "true"})
        if tolerant is not None and (found is None or len(tolerant.columns) > 1):
            found = tolerant
            found.tolerant = True
    if found is None:
        raise BadInputError(
            f"File '{path.name}' could not be read as CSV: no consistent delimiter or quoting was found",
            hint="check it opens as a table in a spreadsheet, or set the delimiter and quote character explicitly",
        )
    found.long_lines = "max_line_size" in args
    if not found.quote and "quote" not in args:
        found.quote, found.escape = '"', found.escape or '"'  # none in the sample: standard CSV quoting for the rest
    return found


def _user_args(path: Path, encoding: enc.Encoding, options: dict[str, Any]) -> dict[str, str]:
    args = {"encoding": _lit(encoding.duckdb or "utf-8"), "sample_size": "20480"}
    delimiter = str(options.get("delimiter") or "auto")
    if delimiter == "auto" and path.suffix.lower() in (".tsv", ".tab"):
        delimiter = "\t"
    if delimiter != "auto":
        args["delim"] = _lit("\t" if delimiter in ("\\t", "tab") else delimiter)
    quote = options.get("quote")
    if quote not in (None, "auto"):
        args["quote"] = _lit(str(quote) if quote != "none" else "")
    header = _HEADER.get(str(options.get("header") or "auto"))
    if header is not None:
        args["header"] = "true" if header else "false"
    if int(options.get("skip_rows") or 0) > 0:
        args["skip"] = str(int(options["skip_rows"]))
    return args


def _try_sniff(con: duckdb.DuckDBPyConnection, read_path: Path, args: dict[str, str]) -> tuple[_Sniffed | None, str]:
    """The sniffer's findings, or None and DuckDB's reason."""
    named = "".join(f", {key}={value}" for key, value in args.items())
    try:
        row = con.execute(
            "SELECT Delimiter, Quote, Escape, HasHeader, SkipRows, Columns, DateFormat, TimestampFormat "
            f"FROM sniff_csv(?{named})",
            [str(read_path)],
        ).fetchone()
    except duckdb.OutOfMemoryException:
        raise  # not a dialect problem: `reading` turns it into a refusal naming the memory limit
    except duckdb.Error as err:
        return None, str(err)
    if row is None:
        return None, "no result"
    delimiter, quote, escape, header, skip, columns, dateformat, timestampformat = row
    sniffed = _Sniffed(
        delimiter,
        _none_if_empty(quote),
        _none_if_empty(escape),
        bool(header),
        int(skip),
        columns,
        dateformat,
        timestampformat,
    )
    return sniffed, ""


def _none_if_empty(value: str) -> str:
    return "" if value == "(empty)" else value


def _looks_delimited(read_path: Path, encoding: enc.Encoding) -> bool:
    with read_path.open(
        "r", encoding="utf-8" if encoding.needs_conversion else encoding.codec, errors="replace"
    ) as handle:
        first_line = handle.readline()
    return any(delimiter in first_line for delimiter in _DELIMITERS)


def _raw_header(
    con: duckdb.DuckDBPyConnection, read_path: Path, encoding: enc.Encoding, sniffed: _Sniffed
) -> list[str | None]:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(sniffed.columns)))
    dialect = _dialect_args(encoding, sniffed.delimiter, sniffed.quote, sniffed.escape)
    dialect += _long_line_args(sniffed.long_lines)
    row = con.execute(
        f"SELECT * FROM read_csv(?, header=false, auto_detect=false, columns={{{columns}}}, null_padding=true, "
        f"strict_mode=false, parallel=false, skip={sniffed.skip}{dialect}) LIMIT 1",
        [str(read_path)],
    ).fetchone()
    return list(row) if row else []


def _long_line_args(enabled: bool) -> str:
    return "".join(f", {key}={value}" for key, value in _LONG_LINES.items()) if enabled else ""


def _dialect_args(encoding: enc.Encoding, delim: str, quote: str, escape: str) -> str:
    return f", delim={_lit(delim)}, quote={_lit(quote)}, escape={_lit(escape)}, encoding={_lit(encoding.duckdb or 'utf-8')}"


def read_csv_sql(plan: CsvPlan, rejects: tuple[str, str] | None = None, *, tolerant: bool = False) -> str:
    """`SELECT * FROM read_csv(?, ...)` for the plan; `rejects` names DuckDB's reject tables for this scan."""
    types = {**plan.types, **plan.overrides}
    columns = ", ".join(f"{_lit(name)}: {_lit(types[name])}" for name in plan.names)
    args = _dialect_args(plan.encoding, plan.delimiter, plan.quote, plan.escape) + _long_line_args(plan.long_lines)
    # the dialect and types were sniffed once by plan_csv: no second sniff of a 2 GB file
    args += f", header={str(plan.header).lower()}, skip={plan.skip}, auto_detect=false, columns={{{columns}}}"
    if plan.dateformat:
        args += f", dateformat={_lit(plan.dateformat)}"
    if plan.timestampformat:
        args += f", timestampformat={_lit(plan.timestampformat)}"
    args += f", null_padding={str(plan.null_padding or tolerant).lower()}"
    if plan.null_padding or tolerant:
        args += ", parallel=false"  # DuckDB pads ragged rows next to quoted newlines only when scanning serially
    if not plan.strict:
        args += ", strict_mode=false"
    if tolerant:
        args += ", ignore_errors=true"
    elif rejects:
        args += f", store_rejects=true, rejects_table={_lit(rejects[0])}, rejects_scan={_lit(rejects[1])}"
        args += f", rejects_limit={REJECTS_LIMIT}"
    return f"SELECT * FROM read_csv(?{args})"


def csv_scan(plan: CsvPlan, *, cursor: str | None, state: dict[str, Any] | None) -> SqlScan:
    """The loader's scan for this plan; its review re-plans and retries on what DuckDB rejected."""
    tag = uuid.uuid4().hex[:12]
    rejects = (f"_dalgo_rejects_{tag}", f"_dalgo_rejects_scan_{tag}")
    sql, filter_params = cursor_filter(read_csv_sql(plan, rejects), plan.types, cursor, state)

    def review(con: duckdb.DuckDBPyConnection) -> ScanReview:
        better, warnings = _review(con, plan, rejects)
        retry = csv_scan(replace(better, notes=[]), cursor=cursor, state=state) if better is not None else None
        return ScanReview(warnings=plan.notes + warnings, retry=retry)

    size = plan.source.stat().st_size
    return SqlScan(sql, [str(plan.read_path), *filter_params], dict(plan.originals), size, review=review)


def _review(
    con: duckdb.DuckDBPyConnection, plan: CsvPlan, rejects: tuple[str, str]
) -> tuple[CsvPlan | None, list[str]]:
    summary = con.execute(
        "SELECT CAST(error_type AS VARCHAR), count(DISTINCT line), list_sort(list_distinct(list(line)))[1:5], "
        "list_distinct(list(column_name)), first(csv_line) "
        f"FROM {rejects[0]} GROUP BY 1"
    ).fetchall()
    long_lines = [
        r[0] for r in con.execute(f"SELECT csv_line FROM {rejects[0]} WHERE error_type = 'TOO MANY COLUMNS'").fetchall()
    ]
    con.execute(f"DROP TABLE IF EXISTS {rejects[0]}")
    con.execute(f"DROP TABLE IF EXISTS {rejects[1]}")
    found = {row[0]: row for row in summary}
    if not found:
        return None, []
    _fail_on_fatal(plan, found)
    if "INVALID ENCODING" in found:
        return _reencode(plan, found["INVALID ENCODING"])
    return _adjust(plan, found, long_lines)


def _fail_on_fatal(plan: CsvPlan, found: dict[str, tuple[Any, ...]]) -> None:
    name = plan.source.name
    if "INVALID ENCODING" in found and (not plan.auto_encoding or plan.encoding.needs_conversion):
        _, count, lines, _, _ = found["INVALID ENCODING"]
        raise BadInputError(
            f"File '{name}' has {count} line(s) that are not valid {plan.encoding.label} (line {_lines(lines)})",
            hint="set Encoding to Auto-detect, or to the file's real encoding (often Windows-1252 for Excel exports)",
        )
    if "LINE SIZE OVER MAXIMUM" in found and plan.long_lines:
        _, count, lines, _, _ = found["LINE SIZE OVER MAXIMUM"]
        raise BadInputError(
            f"File '{name}' has {count} line(s) longer than 32 MB (line {_lines(lines)})",
            hint="check the quote character (an unclosed quote makes one huge line), or split the file",
        )
    for kind in ("INVALID STATE",) + (() if plan.strict else ("UNQUOTED VALUE",)):
        if kind in found:
            _, count, lines, _, _ = found[kind]
            raise BadInputError(
                f"File '{name}' is not well-formed CSV: {count} line(s) could not be parsed (line {_lines(lines)}: {kind.lower()})",
                hint="check the quote character and delimiter settings, or re-export the file as CSV",
            )


def _reencode(plan: CsvPlan, row: tuple[Any, ...]) -> tuple[CsvPlan, list[str]]:
    # The 64 KB sample looked like UTF-8/Latin-1 but a later line is not: Windows-1252 reads every byte.
    copy = enc.converted_copy(plan.source, enc.CP1252, plan.scratch_dir)
    warning = f"File '{plan.source.name}' is not {plan.encoding.label} throughout (line {_lines(row[2])}); it was read as Windows-1252"
    return replace(plan, read_path=copy, encoding=enc.CP1252), [warning]


def _adjust(plan: CsvPlan, found: dict[str, tuple[Any, ...]], long_lines: list[str]) -> tuple[CsvPlan, list[str]]:
    warnings: list[str] = []
    better = plan
    ragged = [found[k] for k in ("MISSING COLUMNS", "TOO MANY COLUMNS") if k in found]
    if ragged:
        better, message = _pad(better, ragged, long_lines)
        warnings.append(message)
    if "CAST" in found:
        columns = [c for c in found["CAST"][3] if c]
        better = replace(better, overrides={**better.overrides, **dict.fromkeys(columns, "VARCHAR")})
        example = found["CAST"][4]
        warnings.append(
            f"File '{plan.source.name}': column(s) {', '.join(columns)} hold values that are not numbers/dates "
            f"(line {_lines(found['CAST'][2])}: {example!r}); they were loaded as text"
        )
    if "LINE SIZE OVER MAXIMUM" in found:
        better = replace(better, long_lines=True)
    if "UNQUOTED VALUE" in found:
        better = replace(better, strict=False)
        warnings.append(
            f"File '{plan.source.name}': stray quote characters on line {_lines(found['UNQUOTED VALUE'][2])}; read leniently"
        )
    return better, warnings


def _pad(plan: CsvPlan, ragged: list[tuple[Any, ...]], long_lines: list[str]) -> tuple[CsvPlan, str]:
    count = sum(row[1] for row in ragged)
    lines = sorted({line for row in ragged for line in row[2]})[:5]
    widest = max(
        (
            len(next(csv.reader([line], delimiter=plan.delimiter, quotechar=plan.quote or '"'), []))
            for line in long_lines
        ),
        default=0,
    )
    extra = [f"column_{i + 1}" for i in range(len(plan.names), widest)]
    message = f"File '{plan.source.name}' has {count} ragged row(s) (line {_lines(lines)}): short rows were padded with empty values"
    if extra:
        message += f", extra values were kept in new column(s) {', '.join(extra)}"
    names = plan.names + extra
    originals = {**plan.originals, **{name: "" for name in extra}}
    types = {**plan.types, **dict.fromkeys(extra, "VARCHAR")}
    overrides = {**plan.overrides, **dict.fromkeys(extra, "VARCHAR")}
    return replace(plan, names=names, originals=originals, types=types, overrides=overrides, null_padding=True), message


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in list(lines)[:5])
    return shown + (", ..." if len(lines) > 5 else "")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
