"""safe_cell: text a spreadsheet would run as a formula gets an apostrophe; values that are
not text pass unchanged, so numbers stay numbers and dates stay dates."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workflow.documents.excel_cells import FORMULA_STARTS, safe_cell, safe_row


@pytest.mark.parametrize("text", ["=1+1", "+84 912", "-x", "@SUM(A1)", "\t=1", "\r=1",
                                  "=cmd|' /C calc'!A0"])
def test_formula_like_text_is_prefixed(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [None, 0, -5, 3.5, -2.25, Decimal("-1.5"), True,
                                   date(2022, 11, 1), datetime(2022, 11, 1, 9, 0),
                                   "Nguyễn Văn A", "", "a=b", " =1"])
def test_other_values_are_left_alone(value):
    assert safe_cell(value) == value


@given(st.text())
def test_no_text_written_through_safe_cell_becomes_a_formula(text):
    wb = Workbook()
    wb.active.append(safe_row([text]))
    cell = wb.active["A1"]
    assert cell.data_type != "f"
    kept = ILLEGAL_CHARACTERS_RE.sub("", text)
    assert safe_cell(text) in (kept, "'" + kept)
    assert (safe_cell(text) != kept) == kept.startswith(FORMULA_STARTS)


def test_control_characters_openpyxl_refuses_are_dropped():
    assert safe_cell("Nguyễn\x00\x07 Văn A") == "Nguyễn Văn A"


def test_a_saved_workbook_keeps_the_text_as_text():
    wb = Workbook()
    wb.active.append(safe_row(["=HYPERLINK(\"http://x\")", -3, date(2022, 1, 2)]))
    out = io.BytesIO()
    wb.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.data_type for c in row] == ["s", "n", "d"]
    assert row[0].value == "'=HYPERLINK(\"http://x\")"
