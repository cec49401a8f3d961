"""Hand-built .xlsx files that are small on disk but would be huge in memory (zipfile, no Excel library)."""

from __future__ import annotations

import zipfile
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="Survey" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{_PKG}">
<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet(rows: list[str]) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def _shared(strings: list[str]) -> str:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'


def write_xlsx(
    path: Path, sheet_xml: str, shared: list[str], extra: dict[str, str] | None = None, shared_xml: str | None = None
) -> Path:
    """A minimal workbook of one sheet named 'Survey'; `extra` adds more zip members."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        archive.writestr("xl/sharedStrings.xml", shared_xml if shared_xml is not None else _shared(shared))
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


def shared_string_bomb(path: Path, chars: int, rows: int, columns: int = 1) -> Path:
    """Header 'notes' over `rows` x `columns` cells that all show one shared string of `chars` characters."""
    header = "".join(f'<c r="{_letters(c + 1)}1" t="s"><v>0</v></c>' for c in range(columns))
    body = [
        f'<row r="{r}">' + "".join(f'<c r="{_letters(c + 1)}{r}" t="s"><v>1</v></c>' for c in range(columns)) + "</row>"
        for r in range(2, rows + 2)
    ]
    return write_xlsx(path, _sheet([f'<row r="1">{header}</row>', *body]), ["notes", "x" * chars])


def plain_workbook(path: Path, extra: dict[str, str] | None = None) -> Path:
    """A normal little workbook (name, age) with two data rows."""
    rows = [
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>31</v></c></row>',
        '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>45</v></c></row>',
    ]
    return write_xlsx(path, _sheet(rows), ["name", "age", "Amina", "Baraka"], extra)


def inline_cell_workbook(path: Path, chars: int) -> Path:
    """One inline-string cell (`<is>`, not shared) of `chars` characters under a header."""
    rows = [
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"y" * chars}</t></is></c></row>',
    ]
    return write_xlsx(path, _sheet(rows), ["notes"])
