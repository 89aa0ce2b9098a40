"""A statistics table as an Excel workbook (openpyxl, write-only: rows stream out)."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from web.stats import present
from workflow.documents.excel_cells import safe_cell
from workflow.reports.statistics import Table

SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def workbook(table: Table) -> bytes:
    """Header row, then one row per table row: the first cell named as on the page, the
    numbers as numbers (rates formatted as percentages, empty when undefined)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME_FORBIDDEN.sub(" ", present.title(table))[:31])
    bold = Font(bold=True)
    header = []
    for text in present.headers(table):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        # A unit's name is typed by an admin: neutralised like every text tdkt exports.
        out: list[object] = [safe_cell(present.row_label(table.columns[0], row[0]))]
        for name, value in zip(table.columns[1:], row[1:], strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if name in present.RATES:
                cell.number_format = "0.0%"
            elif name in present.DAYS:
                cell.number_format = "0.0"
            out.append(cell)
        sheet.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
