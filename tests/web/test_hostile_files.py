"""Hostile files: disguised types, zip bombs, XML entity tricks and formulas in Excel.
Each is refused with a Vietnamese message before anything is parsed or stored, or (for
formulas) kept as plain text and neutralised whenever it is written back to Excel."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document as WordDocument
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from models import Nominee
from tests.support.forms import PDF, Clerk, text_of
from tests.support.sheets import sheet
from tests.support.snapshots import changed, snapshot
from workflow.documents.excel_cells import safe_row
from workflow.documents.uploads import ArchiveLimits, check_archive

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.fixture
def unit1(client_for) -> Clerk:
    return Clerk(client_for("unit1"), "/unit/")


@pytest.fixture
def draft(make_proposal) -> int:
    return make_proposal("draft")


def stored_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def rezip(content: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None
          ) -> bytes:
    """The same Office file with some members replaced and others added."""
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, data in (add or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def word() -> bytes:
    out = io.BytesIO()
    WordDocument().save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", b"not a Word file")
    return out.getvalue()


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                            for i in range(8))
                  + f']><worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr">'
                  '<is><t>&i;</t></is></c></row></sheetData></worksheet>').encode()
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&x;'
                   '</t></is></c></row></sheetData></worksheet>').encode()
# 8 MB of one repeated byte packs into a few KB: far past any real spreadsheet's ratio.
BOMB = {"xl/media/bomb.bin": b"\0" * (8 * 1024 * 1024)}
MANY = {f"xl/media/m{i}.bin": b"x" for i in range(1001)}


# -- documents attached to a dossier

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03" + b"\x00" * 59 + b"PE\x00\x00" + b"\x00" * 200
DISGUISED = {
    "exe-named-pdf": ("bao-cao.pdf", EXE, "không phải là tệp .pdf"),
    "html-named-pdf": ("bao-cao.pdf", HTML, "không phải là tệp .pdf"),
    "pdf-named-docx": ("to-trinh.docx", PDF, "không phải là tệp .docx"),
    "plain-zip-named-docx": ("to-trinh.docx", plain_zip(), "không phải là tệp .docx"),
    "docx-named-xlsx": ("bang.xlsx", word(), "không phải là tệp .xlsx"),
    "html-named-png": ("anh.png", HTML, "không phải là tệp .png"),
    "word-bomb": ("to-trinh.docx", rezip(word(), {}, BOMB), "zip bomb"),
    "word-too-many-parts": ("to-trinh.docx", rezip(word(), {}, MANY), "quá nhiều thành phần"),
}


@pytest.mark.parametrize("case", DISGUISED, ids=str)
def test_a_disguised_or_hostile_document_is_refused_and_not_stored(unit1, world, draft, case):
    name, content, message = DISGUISED[case]
    before, files = snapshot(world), stored_files(world.storage)
    response = unit1.post(f"/unit/proposals/{draft}/documents",
                          {"doc_type": "bao_cao_thanh_tich", "file": (io.BytesIO(content), name)})
    assert message in text_of(response)
    assert not changed(before, snapshot(world))
    assert stored_files(world.storage) == files, "a refused file was written to storage"


def test_a_real_word_file_is_accepted(unit1, world, draft):
    response = unit1.post(f"/unit/proposals/{draft}/documents",
                          {"doc_type": "bao_cao_thanh_tich",
                           "file": (io.BytesIO(word()), "bao-cao.docx")})
    assert "Đã tải lên tài liệu" in text_of(response)


def test_the_archive_check_reads_only_the_directory():
    limits = ArchiveLimits(max_members=3, max_total_bytes=10_000, max_ratio=5, ratio_floor=100)
    small = rezip(word(), {})
    with pytest.raises(Exception, match="quá nhiều thành phần"):
        check_archive(small, limits)
    one = io.BytesIO()
    with zipfile.ZipFile(one, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.txt", b"x" * 20_000)
    with pytest.raises(Exception, match="giải nén ra quá lớn"):
        check_archive(one.getvalue(), limits)
    with pytest.raises(Exception, match="bị hỏng"):
        check_archive(b"PK\x03\x04 not really a zip", limits)


# -- importing nominees from Excel

ROWS = [["Cá nhân", "Trần Văn Đúng", "Chuyên viên", "Phòng A", "BK_CT_UBND", 5, "Không"]]
HOSTILE_WORKBOOKS = {
    "billion-laughs": (lambda: rezip(sheet(ROWS), {SHEET: BILLION_LAUGHS}),
                       "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ"),
    "external-entity": (lambda: rezip(sheet(ROWS), {SHEET: EXTERNAL_ENTITY}),
                        "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ"),
    "broken-sheet-xml": (lambda: rezip(sheet(ROWS), {SHEET: b"<worksheet><sheetData><row>"}),
                         "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ"),
    "zip-bomb": (lambda: rezip(sheet(ROWS), {}, BOMB), "zip bomb"),
    "too-many-parts": (lambda: rezip(sheet(ROWS), {}, dict(list(MANY.items())[:201])),
                       "quá nhiều thành phần"),
    "truncated": (lambda: sheet(ROWS)[:-200], "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ"),
}


@pytest.mark.parametrize("case", HOSTILE_WORKBOOKS, ids=str)
def test_a_hostile_workbook_is_refused_before_it_is_read(unit1, world, draft, case):
    make, message = HOSTILE_WORKBOOKS[case]
    before = snapshot(world)
    response = unit1.post(f"/unit/proposals/{draft}/import",
                          {"file": (io.BytesIO(make()), "danh-sach.xlsx")})
    page = text_of(response)
    assert response.status_code == 200 and message in page, page[:500]
    assert "root:" not in page
    assert not changed(before, snapshot(world))


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"Bấm vào\")", "+1+2", "-3+4", "@SUM(A1)",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def test_formula_text_is_imported_as_text_and_neutralised_on_export(unit1, world, draft):
    wb = load_workbook(io.BytesIO(sheet([])))
    for text in FORMULAS:
        wb.active.append(["Cá nhân", text, "", "", "BK_CT_UBND", 5, "Không", "", text])
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:   # text cells, as a user typing '=… in Excel makes them
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
    out = io.BytesIO()
    wb.save(out)
    response = unit1.post(f"/unit/proposals/{draft}/import",
                          {"file": (io.BytesIO(out.getvalue()), "danh-sach.xlsx")})
    assert f"Đã nhập {len(FORMULAS)} người được đề nghị" in text_of(response)
    with world.db.session() as s:
        names = set(s.scalars(select(Nominee.full_name).where(Nominee.proposal_id == draft)))
    # stored exactly as typed (stripped of surrounding blanks by the import), never evaluated
    assert {f.strip() for f in FORMULAS} <= names
    # written back to Excel through the shared helper, every one is text, shown as typed
    wb = Workbook()
    for name in sorted(names):
        wb.active.append(safe_row([name, 5, -3]))
    out = io.BytesIO()
    wb.save(out)
    cells = [row for row in load_workbook(io.BytesIO(out.getvalue())).active.iter_rows()]
    assert all(c.data_type != "f" for row in cells for c in row)
    assert {row[0].value for row in cells} >= {"'" + f.strip() for f in FORMULAS}
    assert all(row[1].value == 5 and row[2].value == -3 for row in cells)


def test_a_formula_cell_is_not_evaluated_on_import(unit1, world, draft):
    """A real formula (not text) has no value until Excel computes it: the row is refused
    rather than imported with the formula's source."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Loại", "Họ tên", "Chức vụ", "Đơn vị", "Hình thức", "Số năm", "Kỷ luật"])
    ws.append(["Cá nhân", "=1+1", "", "", "BK_CT_UBND", 5, "Không"])
    out = io.BytesIO()
    wb.save(out)
    before = snapshot(world)
    response = unit1.post(f"/unit/proposals/{draft}/import",
                          {"file": (io.BytesIO(out.getvalue()), "danh-sach.xlsx")})
    assert "không được để trống" in text_of(response)
    assert not changed(before, snapshot(world))


def test_the_template_neutralises_formula_like_text(unit1):
    data = unit1.client.get("/unit/campaigns/TEST-OPEN/template.xlsx").data
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)



# -- rule sets posted by the admin

@pytest.mark.parametrize("document,shown", [
    ("campaign: CDS-2022\nawards: " + "[" * 5000 + "]" * 5000 + "\n",
     "dòng 2 · yaml: lồng quá sâu"),
    ("campaign: CDS-2022\n" + "".join(f"x{i}: &x{i} [" + ", ".join(
        [f"*x{i - 1}" if i else "a"] * 10) + "]\n" for i in range(9)),
     "yaml: quá nhiều phần tử"),
], ids=["deep", "billion-laughs"])
def test_a_hostile_rule_set_upload_is_refused_and_changes_nothing(client_for, world,
                                                                 document, shown):
    admin = Clerk(client_for("admin"), "/admin/campaigns/CDS-2022")
    before = snapshot(world)
    response = admin.post("/admin/campaigns/CDS-2022/rules",
                          {"yaml": "", "file": (io.BytesIO(document.encode()), "hostile.yaml")})
    assert response.status_code == 400
    assert shown in text_of(response)
    assert not changed(before, snapshot(world))
