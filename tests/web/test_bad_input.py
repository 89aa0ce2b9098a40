"""Bad input on the clerk's and the secretary's forms: each is refused with a clear
Vietnamese message, and the database is left exactly as it was."""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Document, Nominee
from tests.support.forms import PDF, Clerk, text_of
from tests.support.sheets import sheet
from tests.support.snapshots import changed, snapshot

ENGLISH = re.compile(r"String should|Input should|Field required|should have|value is not|"
                     r"Value error|validation error|Traceback", re.I)


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture
def unit1(client_for) -> Clerk:
    return Clerk(client_for("unit1"), "/unit/")


@pytest.fixture
def refused(world):
    """Post, then check the message is shown and nothing changed."""

    def check(who: Clerk, path: str, data: dict[str, Any], message: str,
              status: int = 200) -> str:
        before = snapshot(world)
        response = who.post(path, data)
        page = text_of(response)
        assert response.status_code == status, (response.status_code, page[:300])
        assert message in page, f"{message!r} not shown"
        assert not ENGLISH.search(page), ENGLISH.search(page)
        assert not changed(before, snapshot(world)), "a refused form changed the database"
        return page

    return check


# -- titles

@pytest.mark.parametrize("title", ["", "   ", "ab", "x" * 501], ids=["empty", "blank", "short",
                                                                  "too-long"])
def test_a_bad_title_is_refused(unit1, refused, make_proposal, title):
    message = "Tiêu đề hồ sơ cần từ 3 đến 500 ký tự"
    refused(unit1, "/unit/proposals", {"campaign": "TEST-OPEN", "title": title}, message)
    pid = make_proposal("draft")
    refused(unit1, f"/unit/proposals/{pid}/title", {"title": title}, message)


# -- nominees

NOMINEE = {"kind": "individual", "full_name": "Hà Thị Thu", "award_form": "BK_CT_UBND",
           "years_in_service": "4"}
BAD_NOMINEES = {
    "empty-name": ({"full_name": ""}, "Họ tên / Tên tập thể: không được để trống"),
    "blank-name": ({"full_name": "   "}, "Họ tên / Tên tập thể: không được để trống"),
    "too-long-name": ({"full_name": "Nguyễn " * 40}, "Họ tên / Tên tập thể: tối đa 255 ký tự"),
    "years-abc": ({"years_in_service": "abc"}, "Số năm công tác: phải là số nguyên"),
    "years-negative": ({"years_in_service": "-3"}, "Số năm công tác: không được nhỏ hơn 0"),
    "years-huge": ({"years_in_service": "99"}, "Số năm công tác: không được lớn hơn 60"),
    "unknown-award": ({"award_form": "HUAN_CHUONG_VANG"},
                      "Phong trào không xét hình thức HUAN_CHUONG_VANG"),
    "unknown-kind": ({"kind": "robot"}, "Loại: phải là “Cá nhân”, “Tập thể” hoặc “Hộ gia đình”"),
    "bad-prior-title": ({"prior_titles": "năm ngoái:CSTD_CS"},
                        "Danh hiệu đã đạt (năm): phải là số nguyên"),
}


@pytest.mark.parametrize("case", BAD_NOMINEES, ids=str)
def test_a_bad_nominee_is_refused(unit1, refused, make_proposal, world, case):
    change, message = BAD_NOMINEES[case]
    pid = make_proposal("draft")
    refused(unit1, f"/unit/proposals/{pid}/nominees", {**NOMINEE, **change}, message)
    with world.db.session() as s:
        nid = s.scalar(select(Nominee.id).where(Nominee.proposal_id == pid))
    refused(unit1, f"/unit/proposals/{pid}/nominees/{nid}", {**NOMINEE, **change}, message)


def test_an_award_not_given_to_this_kind_of_nominee_is_refused(unit1, refused, make_proposal):
    # GPMB-2022-2025 gives its emulation flag (Cờ thi đua) to collectives only.
    pid = make_proposal("draft", campaign="GPMB-2022-2025", nominees=[], documents=[])
    refused(unit1, f"/unit/proposals/{pid}/nominees",
            {**NOMINEE, "award_form": "CO_THI_DUA_TINH"},
            "Hình thức CO_THI_DUA_TINH không xét cho loại đối tượng này")


# -- the decision's date

@pytest.mark.parametrize("when", ["31/02/2026", "hôm qua", "2026-13-01", "1/1"])
def test_a_bad_decision_date_is_refused(client_for, refused, make_proposal, world, when):
    pid = make_proposal("approved")
    with world.db.session() as s:
        campaign_id = world.proposal(s, pid).campaign_id
    secretary = Clerk(client_for("secretary"),
                      f"/council/decisions/new?campaign={campaign_id}&award_form=")
    page = refused(secretary, "/council/decisions/new",
                   {"campaign_id": campaign_id, "proposal_ids": pid, "signed_on": when,
                    "signer_name": "Hoàng Văn Thắng"},
                   f"Ngày ký: ngày không hợp lệ “{when}” (nhập theo dạng dd/mm/yyyy)", 400)
    assert "Hồ sơ thử" in page  # the form again, the proposal still waiting


# -- uploads

@pytest.fixture
def draft(make_proposal) -> int:
    return make_proposal("draft")


def upload(who: Clerk, pid: int, name: str, content: bytes) -> Any:
    return who.post(f"/unit/proposals/{pid}/documents", {
        "doc_type": "bao_cao_thanh_tich", "file": (io.BytesIO(content), name)})


BAD_UPLOADS = {
    "zero-bytes": ("bao-cao.pdf", b"", "Tệp rỗng"),
    "png-named-pdf": ("bao-cao.pdf", png(),
                      "Nội dung tệp không phải là tệp .pdf như tên tệp cho biết"),
    "exe": ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00",
            "Chỉ nhận tệp PDF, ảnh (PNG, JPG), Word (DOC, DOCX), Excel (XLS, XLSX) hoặc ODT"),
    "no-extension": ("bao-cao", PDF, "Chỉ nhận tệp PDF"),
    "too-large": ("bao-cao.pdf", PDF + b"0" * 5000, "Tệp vượt quá giới hạn 4 KB"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=str)
def test_a_bad_upload_is_refused(app, unit1, refused, draft, case):
    app.config["MAX_UPLOAD_BYTES"] = 4 * 1024
    name, content, message = BAD_UPLOADS[case]
    refused(unit1, f"/unit/proposals/{draft}/documents",
            {"doc_type": "bao_cao_thanh_tich", "file": (io.BytesIO(content), name)}, message)


def test_an_unknown_document_type_is_refused(unit1, refused, draft):
    refused(unit1, f"/unit/proposals/{draft}/documents",
            {"doc_type": "thu_tay", "file": (io.BytesIO(PDF), "thu.pdf")},
            "Loại tài liệu không hợp lệ: thu_tay")


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(app, unit1, world, draft):
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024
    before = snapshot(world)
    response = upload(unit1, draft, "lon.pdf", PDF + b"0" * 20_000)
    assert response.status_code == 413
    assert "Tệp tải lên quá lớn" in text_of(response)
    assert not changed(before, snapshot(world))


# Werkzeug reads a backslash in the multipart file name as an escape, so the server gets
# "....windowspasswd.pdf" for the Windows path; the leading dots go all the same.
@pytest.mark.parametrize("name,stored", [("../../etc/passwd.pdf", "passwd.pdf"),
                                         ("/etc/passwd.pdf", "passwd.pdf"),
                                         ("..\\..\\windows\\passwd.pdf", "windowspasswd.pdf"),
                                         ("..", "tai-lieu")],
                         ids=["relative", "absolute", "windows", "dots"])
def test_a_path_in_the_file_name_is_dropped(unit1, world, draft, name, stored):
    response = upload(unit1, draft, name, PDF)
    if stored == "tai-lieu":   # nothing left of the name: no extension, so refused
        assert "Chỉ nhận tệp PDF" in text_of(response)
        return
    assert "Đã tải lên tài liệu" in text_of(response)
    with world.db.session() as s:
        doc = s.scalar(select(Document).where(Document.proposal_id == draft,
                                              Document.doc_type == "bao_cao_thanh_tich"))
        assert doc is not None and doc.file_name == stored
        kept = (world.storage / doc.storage_path).resolve()
    assert kept.is_relative_to(world.storage.resolve()) and kept.read_bytes() == PDF
    assert not (world.storage / "../../etc/passwd.pdf").exists()
    download = unit1.client.get(f"/proposals/{draft}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF
    assert f"filename={stored}" in download.headers["Content-Disposition"]


# -- importing nominees from Excel


def import_file(who: Clerk, pid: int, name: str, content: bytes) -> Any:
    return who.post(f"/unit/proposals/{pid}/import", {"file": (io.BytesIO(content), name)})


@pytest.mark.parametrize("name,content", [("danh-sach.xlsx", PDF),
                                          ("danh-sach.csv", b"kind,full_name\nx,y\n"),
                                          ("danh-sach.xlsx", b"")],
                         ids=["pdf-named-xlsx", "csv", "empty"])
def test_a_file_that_is_not_a_workbook_is_refused(unit1, refused, draft, name, content):
    refused(unit1, f"/unit/proposals/{draft}/import", {"file": (io.BytesIO(content), name)},
            "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ")


def test_a_workbook_with_bad_rows_imports_nothing_and_names_each_row(unit1, world, draft):
    rows = [
        ["Cá nhân", "Trần Văn Đúng", "Chuyên viên", "Phòng A", "BK_CT_UBND", 5, "Không"],
        ["Người máy", "Sai Loại", "", "", "BK_CT_UBND", 5, "Không"],
        ["Cá nhân", "Sai Số Năm", "", "", "BK_CT_UBND", "nhiều", "Không"],
        [],
        ["Cá nhân", "Sai Hình Thức", "", "", "HUAN_CHUONG", 5, "Không"],
        ["Cá nhân", "", "", "", "BK_CT_UBND", 5, "Không"],
        ["Cá nhân", "Sai Danh Hiệu", "", "", "BK_CT_UBND", 5, "Không", "năm ngoái"],
    ]
    before = snapshot(world)
    response = import_file(unit1, draft, "danh-sach.xlsx", sheet(rows))
    page = text_of(response)
    assert response.status_code == 400
    assert "Chưa có dòng nào được nhập" in page
    table = page[page.index('id="import-errors"'):]
    found = dict(re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", table))
    assert found == {
        "3": "Cột Loại phải là “Cá nhân”, “Tập thể” hoặc “Hộ gia đình”",
        "4": "Số năm công tác: phải là số",
        "6": "Phong trào không xét hình thức HUAN_CHUONG",
        "7": "Thông tin người được đề nghị không hợp lệ — Họ tên / Tên tập thể: không được "
             "để trống",
        "8": "Danh hiệu đã đạt: “năm ngoái” phải có dạng năm:mã",
    }, found
    assert not ENGLISH.search(page)
    assert not changed(before, snapshot(world))


def test_an_empty_workbook_is_refused(unit1, refused, draft):
    refused(unit1, f"/unit/proposals/{draft}/import",
            {"file": (io.BytesIO(sheet([])), "trong.xlsx")},
            "Bảng tính không có dòng dữ liệu nào")


def test_the_template_round_trip_imports_two_nominees(unit1, world, draft):
    download = unit1.client.get("/unit/campaigns/TEST-OPEN/template.xlsx")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(download.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Loại (Cá nhân/Tập thể/Hộ gia đình)", "Họ và tên / Tên tập thể"]
    ws.delete_rows(2, ws.max_row)   # the sample row
    ws.append(["Cá nhân", "Lương Văn Một", "Chuyên viên", "Phòng CNTT", "BK_CT_UBND", 6,
               "Không", "2021:CSTD_CS; 2022:CSTD_CS", "Chuyển đổi số", "Có"])
    ws.append(["Tập thể", "Trung tâm Công nghệ thông tin", "", "Sở TT&TT", "BK_CT_UBND", None,
               "Không", "", "Hoàn thành xuất sắc", "Không"])
    out = io.BytesIO()
    wb.save(out)

    response = import_file(unit1, draft, "mau-da-dien.xlsx", out.getvalue())
    page = text_of(response)
    assert "Đã nhập 2 người được đề nghị từ bảng tính" in page
    with world.db.session() as s:
        added = {n.full_name: n for n in s.scalars(select(Nominee).where(
            Nominee.proposal_id == draft, Nominee.full_name != "Nguyễn Văn A"))}
        assert set(added) == {"Lương Văn Một", "Trung tâm Công nghệ thông tin"}
        one = added["Lương Văn Một"]
        assert (one.kind.value, one.years_in_service, one.work_unit) == (
            "individual", 6, "Phòng CNTT")
        assert one.prior_titles == {"2021": ["CSTD_CS"], "2022": ["CSTD_CS"]}
        assert one.attributes == {"digital_outcome": True}
        assert added["Trung tâm Công nghệ thông tin"].kind.value == "collective"
    assert "Lương Văn Một" in page and "Trung tâm Công nghệ thông tin" in page


def test_the_template_alone_imports_nothing(unit1, world, draft):
    """The downloaded template has headers only: its example lives on another sheet, so
    uploading it unchanged adds no made-up nominee."""
    def nominees() -> int:
        with world.db.session() as s:
            return len(s.scalars(select(Nominee).where(Nominee.proposal_id == draft)).all())

    before = nominees()
    download = unit1.client.get("/unit/campaigns/TEST-OPEN/template.xlsx")
    response = import_file(unit1, draft, "mau.xlsx", download.data)
    assert "Bảng tính không có dòng dữ liệu nào" in text_of(response)
    assert nominees() == before


# -- ids past the database's integer range (found by schemathesis: a 500 on PostgreSQL)

@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_not_found(client_for, unit1, world, number):
    before = snapshot(world)
    page = unit1.client.get(f"/proposals/{number}")
    assert page.status_code == 404 and "Không tìm thấy" in text_of(page)
    assert unit1.post(f"/unit/proposals/{number}/title", {"title": "Tên mới"}).status_code == 404
    api = unit1.client.get(f"/api/v1/proposals/{number}/events")
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"
    assert not changed(before, snapshot(world))


# -- NUL characters and ids past the integer range in form fields (found by fuzzing the
#    forms on PostgreSQL: both were 500s there)

def test_a_nul_character_is_refused_everywhere(unit1, world, make_proposal):
    pid = make_proposal("draft")
    before = snapshot(world)
    for path, data in [("/account/tokens", {"name": "khoá\x00"}),
                       (f"/unit/proposals/{pid}/title", {"title": "Tên\x00mới"}),
                       ("/unit/proposals", {"campaign": "TEST-OPEN", "title": "a\x00bc"})]:
        response = unit1.post(path, data)
        assert response.status_code == 400, path
        assert "chứa ký tự NUL không hợp lệ" in text_of(response)
    api = unit1.client.post("/api/v1/proposals", data='{"campaign": "TEST-OPEN", '
                            '"title": "a\\u0000bc"}', content_type="application/json",
                            headers={"X-CSRFToken": unit1.token})
    assert api.status_code == 400 and api.json["error"]["code"] == "invalid_input"
    assert not changed(before, snapshot(world))


def test_ids_past_the_integer_range_are_refused(client_for, world, make_proposal):
    reviewer = Clerk(client_for("reviewer"), "/review/")
    before = snapshot(world)
    for path in ("/review/bulk", "/notifications/read"):   # (tests/web/test_ids.py: all)
        response = reviewer.post(path, {"trigger": "claim", "ids": ["99999999999999999999"]})
        assert response.status_code == 400, path
        assert "mã số không hợp lệ “99999999999999999999”" in text_of(response)
    assert not changed(before, snapshot(world))
    pid = make_proposal("under_review", clerk="unit1")
    before = snapshot(world)
    page = text_of(reviewer.post(f"/proposals/{pid}/actions/return",
                                 {"reason": "Thiếu", "expected_version": "99999999999"}))
    assert "Phiên bản hồ sơ: số quá lớn" in page
    assert not changed(before, snapshot(world))
