"""A chart's data as a CSV or Excel download."""

from __future__ import annotations

import csv
import io
import re

from fastapi import Response

from server.charts.schemas import XLSX, ChartData


def table_file(data: ChartData, fmt: str, name: str) -> Response:
    """The page of rows as CSV or XLSX, named after the chart."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "chart"
    header = [c.name for c in data.columns]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(data.rows)
        body, media = buf.getvalue().encode("utf-8-sig"), "text/csv"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(header)
        for row in data.rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        body, media = out.getvalue(), XLSX
    disposition = f'attachment; filename="{safe}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
