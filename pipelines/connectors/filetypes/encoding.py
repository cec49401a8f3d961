"""Text encoding of an uploaded CSV: detect it from the first 64 KB, convert to UTF-8 only when DuckDB cannot read it.

DuckDB reads UTF-8 (with or without BOM), UTF-16 little-endian with BOM and strict ISO-8859-1 natively.
Windows-1252 (Excel's "CSV" on Windows: curly quotes, €), UTF-16 big-endian and BOM-less UTF-16 are
converted once, chunk by chunk (never the whole file in memory), into a hidden file next to the upload.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.connectors.filetypes.common import HIDDEN_PREFIX
from pipelines.errors import BadInputError

SAMPLE_BYTES = 1 << 16
ENCODINGS = ["auto", "utf-8", "utf-16", "latin-1", "windows-1252"]
_CHUNK = 1 << 20
_C1 = bytes(range(0x80, 0xA0))
_C1_RE = re.compile(rb"[\x80-\x9f]")


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # The five bytes Windows-1252 leaves undefined (0x81, 0x8D, ...) are kept as their Latin-1 characters.
    assert isinstance(err, UnicodeDecodeError)
    return bytes(err.object[err.start : err.end]).decode("latin-1"), err.end


codecs.register_error("dalgo_latin1", _latin1_fallback)


@dataclass(frozen=True)
class Encoding:
    """How to read a file: DuckDB's own `encoding` name, or a Python codec to convert with first."""

    label: str  # for people: "UTF-8", "Windows-1252"
    duckdb: str | None  # utf-8 | utf-16 | latin-1 when DuckDB reads the file as is
    codec: str  # Python codec, used for the sample and for converting

    @property
    def needs_conversion(self) -> bool:
        return self.duckdb is None


UTF8 = Encoding("UTF-8", "utf-8", "utf-8-sig")
UTF16_LE = Encoding("UTF-16", "utf-16", "utf-16")
UTF16_CONVERT = Encoding("UTF-16", None, "utf-16")
LATIN1 = Encoding("Latin-1", "latin-1", "latin-1")
LATIN1_CONVERT = Encoding("Latin-1", None, "latin-1")
CP1252 = Encoding("Windows-1252", None, "cp1252")


def detect(path: Path, head: bytes, requested: str) -> Encoding:
    """The encoding to read `path` with; a clear BadInputError when the requested one cannot be right."""
    if requested == "auto":
        guess = _guess(head)
        # DuckDB's Latin-1 refuses bytes 0x80-0x9F; one later in the file (a Windows curly quote) would fail
        # the whole load, so look for them (C-speed regex over 1 MB chunks) before trusting Latin-1
        return CP1252 if guess == LATIN1 and _has_c1(path) else guess
    if requested == "utf-8":
        _require_utf8(path, head)
        return UTF8
    if requested == "utf-16":
        return _utf16(head) or UTF16_CONVERT
    if requested == "latin-1":
        return LATIN1_CONVERT if any(byte in _C1 for byte in head) else LATIN1
    if requested == "windows-1252":
        return CP1252
    raise BadInputError(f"Unknown encoding '{requested}'", hint=f"use one of: {', '.join(ENCODINGS)}")


def _has_c1(path: Path) -> bool:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if _C1_RE.search(chunk):
                return True
    return False


def _guess(head: bytes) -> Encoding:
    utf16 = _utf16(head)
    if utf16 is not None:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return UTF8
    except UnicodeDecodeError:
        return CP1252 if any(byte in _C1 for byte in head) else LATIN1


def _utf16(head: bytes) -> Encoding | None:
    if head.startswith(b"\xff\xfe"):
        return UTF16_LE
    if head.startswith(b"\xfe\xff"):
        return UTF16_CONVERT
    sample = head[:4096]
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    if len(sample) >= 8 and max(even_nuls, odd_nuls) > len(sample) // 4 and min(even_nuls, odd_nuls) == 0:
        return Encoding("UTF-16", None, "utf-16-be" if even_nuls else "utf-16-le")
    return None


def _require_utf8(path: Path, head: bytes) -> None:
    if _utf16(head) is not None:
        raise BadInputError(
            f"File '{path.name}' is UTF-16 text, not UTF-8", hint="set Encoding to Auto-detect or UTF-16"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as err:
        line = head[: err.start].count(b"\n") + 1
        raise BadInputError(
            f"File '{path.name}' is not UTF-8: line {line} has bytes that are not valid UTF-8",
            hint="set Encoding to Auto-detect, or to Windows-1252 / Latin-1 (common for CSVs saved by Excel)",
        ) from err


def check_text(path: Path, head: bytes, encoding: Encoding) -> None:
    """Refuse binary junk named .csv: NUL bytes or many control characters in the decoded sample."""
    text = codecs.getincrementaldecoder(encoding.codec)(errors="replace").decode(head, final=False)
    if not text:
        return
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    replaced = text.count("\ufffd")
    if "\x00" in text or (controls + replaced) > max(8, len(text) // 20):
        raise BadInputError(
            f"File '{path.name}' does not look like a CSV text file (it holds binary data)",
            hint="export the data as CSV (comma or tab separated text) and upload that file",
        )


def converted_copy(path: Path, encoding: Encoding, scratch_dir: Path | None) -> Path:
    """A UTF-8 copy of `path` (made once per file version); uploads keep it next to the file."""
    stat = path.stat()
    folder = scratch_dir or Path(tempfile.gettempdir())
    target = folder / f"{HIDDEN_PREFIX}utf8-{encoding.codec}-{stat.st_size}-{int(stat.st_mtime)}-{path.stem[:40]}.csv"
    if target.exists():
        return target
    for stale in folder.glob(f"{HIDDEN_PREFIX}utf8-*-{path.stem[:40]}.csv"):
        stale.unlink(missing_ok=True)
    partial = target.with_suffix(".part")
    errors = "dalgo_latin1" if encoding.codec == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(encoding.codec)(errors=errors)
    try:
        with path.open("rb") as source, partial.open("w", encoding="utf-8", newline="") as out:
            while chunk := source.read(_CHUNK):
                out.write(decoder.decode(chunk))
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as err:
        partial.unlink(missing_ok=True)
        raise BadInputError(
            f"File '{path.name}' is not valid {encoding.label} text", hint="set Encoding to the file's real encoding"
        ) from err
    partial.replace(target)
    return target
