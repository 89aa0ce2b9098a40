"""Workbooks for tests of the Excel import: a sheet of nominee rows under the template's
header (or another one), as the bytes of an .xlsx file."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook


def sheet(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header or ["Loại", "Họ tên", "Chức vụ", "Đơn vị", "Hình thức", "Số năm",
                         "Kỷ luật", "Danh hiệu", "Tóm tắt"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
