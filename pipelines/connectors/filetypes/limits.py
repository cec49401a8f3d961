"""Limits that keep reading a user's file within bounded memory, checked before the file is parsed.

A small file can declare a huge content: an .xlsx is a zip whose parts may inflate 1000x, and one shared
string is copied into every cell that references it (a 109 KB workbook grew a server to 22.8 GB). JSON
nested thousands of levels deep overflows recursive parsers. So the declared sizes, the compression ratio,
the longest cell and the nesting depth are checked first, and refused with the limit named in plain words.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from xml.parsers import expat

from pipelines.errors import BadInputError

MB = 1024 * 1024
EXCEL_CELL_CHARS = 32_767  # Excel's own limit for the text of one cell
# A cell's text in the XML may take up to ~6 bytes a character (UTF-8, `&amp;`-style entities).
_BYTES_PER_CHAR = 6
_WHOLE_PARTS = re.compile(
    r"^(\[Content_Types\]\.xml|.*\.rels|xl/workbook\.xml|xl/styles\.xml|xl/theme/.*|docProps/.*)$"
)
SHARED_STRINGS = "xl/sharedStrings.xml"

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class FileLimits:
    """What one user file may need to be read; every figure is named in the error that refuses a file."""

    max_cell_chars: int = EXCEL_CELL_CHARS
    max_zip_members: int = 10_000
    max_uncompressed_mb: int = 8192  # all parts of a workbook together, as declared in the zip
    max_compression_ratio: int = 200  # real workbooks compress 5-20x; deflate tops out near 1000x
    ratio_checked_over_mb: int = 10  # tiny parts may compress very well; only big ones can be bombs
    max_shared_strings_mb: int = 256  # held whole in memory by the Excel readers
    max_shared_strings: int = 5_000_000
    max_part_mb: int = 64  # other parts read whole (workbook, styles, themes, relationships)
    max_json_depth: int = 64
    sample_text_chars: int = 64_000_000  # text held in Python while discovering a sheet's columns
    # DuckDB's memory limit when it reads a file for discover/check; it counts buffers it reserves but never
    # touches, so a 10,000-column CSV needs more than 1 GB of it while using ~300 MB
    reader_memory_mb: int = 2048


def human_count(number: int) -> str:
    return f"{number:,}"


def reader_connection(limits: FileLimits) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for reading a user's file: memory-capped, and never spilling into the cwd."""
    import duckdb

    return duckdb.connect(config={"memory_limit": f"{limits.reader_memory_mb}MB", "temp_directory": ""})


@contextmanager
def reading(path: Path, limits: FileLimits) -> Iterator[duckdb.DuckDBPyConnection]:
    """A `reader_connection`, closed after use; running out of its memory becomes a plain refusal."""
    import duckdb

    con = reader_connection(limits)
    try:
        yield con
    except duckdb.OutOfMemoryException as err:
        raise out_of_memory(path, limits) from err
    finally:
        con.close()


def out_of_memory(path: Path, limits: FileLimits) -> BadInputError:
    """The plain-language refusal for a file DuckDB could not read within its memory limit."""
    return BadInputError(
        f"'{path.name}' needs more memory to read than this server allows ({human_count(limits.reader_memory_mb)} MB)",
        hint="split the file into smaller files, or save it as CSV, and upload it again",
    )


# --- xlsx ------------------------------------------------------------------------------------------


def check_xlsx(path: Path, limits: FileLimits) -> None:
    """Refuse a workbook whose zip parts, shared strings or cells exceed `limits`, before any reader sees it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(path, members, limits)
            if SHARED_STRINGS in archive.NameToInfo:
                with archive.open(SHARED_STRINGS) as xml:
                    _check_shared_strings(path, xml, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise BadInputError(
            f"File '{path.name}' is a damaged or unsupported Excel file ({err})",
            hint="open and re-save it in Excel, or export it as CSV",
        ) from err


def _check_members(path: Path, members: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    if len(members) > limits.max_zip_members:
        raise BadInputError(
            f"'{path.name}' holds {human_count(len(members))} parts; this server reads workbooks of at most "
            f"{human_count(limits.max_zip_members)}",
            hint="open it in Excel, save a copy with only the sheets you need, or export them as CSV",
        )
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_mb * MB:
        raise BadInputError(
            f"'{path.name}' unpacks to {_mb(total)}; this server reads workbooks of at most "
            f"{human_count(limits.max_uncompressed_mb)} MB unpacked",
            hint="split the workbook, or export the sheets as CSV",
        )
    for member in members:
        _check_member(path, member, limits)


def _check_member(path: Path, member: zipfile.ZipInfo, limits: FileLimits) -> None:
    size = member.file_size
    ratio = size / max(member.compress_size, 1)
    if size > limits.ratio_checked_over_mb * MB and ratio > limits.max_compression_ratio:
        raise BadInputError(
            f"'{path.name}' has a part ({member.filename}) that unpacks {ratio:,.0f} times larger than it is stored "
            f"({_mb(size)}); this server refuses more than {limits.max_compression_ratio}x, as such files are "
            "built to exhaust memory",
            hint="open it in Excel and save it again, or export the data as CSV",
        )
    whole_limit = limits.max_shared_strings_mb if member.filename == SHARED_STRINGS else limits.max_part_mb
    if (member.filename == SHARED_STRINGS or _WHOLE_PARTS.match(member.filename)) and size > whole_limit * MB:
        raise BadInputError(
            f"'{path.name}' has a part ({member.filename}) of {_mb(size)}; this server reads at most "
            f"{human_count(whole_limit)} MB of it",
            hint="save a copy with fewer distinct texts or styles, or export the data as CSV",
        )


class _SharedStringScan:
    """Counts the characters of each shared string (`<si>`, rich-text runs included) without keeping them."""

    def __init__(self, path: Path, limits: FileLimits) -> None:
        self.path, self.limits = path, limits
        self.count = self.chars = 0
        self.in_text = False

    def start(self, name: str, _attrs: Any) -> None:
        local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
        if local == "si":
            self.count, self.chars = self.count + 1, 0
            if self.count > self.limits.max_shared_strings:
                raise BadInputError(
                    f"'{self.path.name}' holds more than {human_count(self.limits.max_shared_strings)} distinct "
                    "texts; this server reads at most that many",
                    hint="split the workbook, or export the sheets as CSV",
                )
        self.in_text = local == "t"

    def end(self, _name: str) -> None:
        self.in_text = False

    def text(self, data: str) -> None:
        if self.in_text:
            self.chars += len(data)
            if self.chars > self.limits.max_cell_chars:
                raise too_long_cell(self.path, f"shared text number {self.count}", self.limits)


def _check_shared_strings(path: Path, xml: IO[bytes], limits: FileLimits) -> None:
    scan = _SharedStringScan(path, limits)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    try:
        while chunk := xml.read(MB):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise BadInputError(
            f"'{path.name}' has a damaged list of texts ({SHARED_STRINGS}: {err})",
            hint="open and re-save it in Excel, or export it as CSV",
        ) from err


def too_long_cell(path: Path, where: str, limits: FileLimits) -> BadInputError:
    return BadInputError(
        f"'{path.name}' has a cell ({where}) longer than {human_count(limits.max_cell_chars)} characters, "
        f"the most Excel itself allows",
        hint="shorten that cell in Excel, or export the data as CSV",
    )


class GuardedXml:
    """A sheet's XML stream that stops at a text run too long to be one Excel cell (inline strings)."""

    def __init__(self, raw: IO[bytes], path: Path, sheet: str, limits: FileLimits) -> None:
        self.raw, self.path, self.sheet, self.limits = raw, path, sheet, limits
        self.max_run = limits.max_cell_chars * _BYTES_PER_CHAR
        self.run = 0  # bytes since the last '<' at the end of the previous read

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        first = data.find(b"<")
        last = data.rfind(b"<")
        if first == -1:
            self.run += len(data)
        else:
            self.run += first
            self._check(self.run)
            self.run = len(data) - last - 1
        self._check(self.run)
        if last > first:
            self._check(max(map(len, data[first + 1 : last].split(b"<"))))
        return data

    def _check(self, run: int) -> None:
        if run > self.max_run:
            raise too_long_cell(self.path, f"sheet '{self.sheet}'", self.limits)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> GuardedXml:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= MB else f"{size:,} bytes"


# --- JSON ------------------------------------------------------------------------------------------


def check_json_depth(value: Any, limits: FileLimits) -> int | None:
    """The depth of `value` if it nests deeper than `limits.max_json_depth`, else None (an iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limits.max_json_depth:
                    return depth + 1
                stack.append((child, depth + 1))
    return None


def too_deep(path: Path, where: str, limits: FileLimits) -> BadInputError:
    return BadInputError(
        f"File '{path.name}': {where} nests more than {limits.max_json_depth} levels deep; this server reads "
        f"records of at most {limits.max_json_depth} levels",
        hint="flatten the records (or export them from the source system again) and upload the file again",
    )
