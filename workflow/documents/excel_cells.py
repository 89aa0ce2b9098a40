"""Values written to Excel: text that a spreadsheet would run as a formula is neutralised.

OWASP (CSV/formula injection): a cell whose text begins with `=`, `+`, `-`, `@`, a tab or a
carriage return may be read as a formula (`=HYPERLINK(...)`, DDE `=cmd|...`), so such text
gets a leading apostrophe and is shown as typed. Numbers, dates and booleans are left
alone (a negative number is a number, not text). Control characters that openpyxl refuses
to write (it would raise IllegalCharacterError mid-export) are dropped."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a cell: text that a spreadsheet would run is prefixed with
    an apostrophe; every other value (None, numbers, dates, booleans) is returned as is."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime | time):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value if isinstance(value, str) else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    """`safe_cell` over a row, for `worksheet.append`."""
    return [safe_cell(v) for v in values]
