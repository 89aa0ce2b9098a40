"""The exported attached list (Excel) and decision (Word) open with openpyxl and
python-docx and hold the decision's rows, number, date and legal bases."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document as WordDocument
from openpyxl import load_workbook

from models import Decision
from tests.conftest import CDS_NOW
from tests.support.decisions import issue_for
from workflow.decisions import exports

DOCS = ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"]


def issued(world, make_proposal):
    pid = make_proposal("approved", campaign="CDS-2022", documents=DOCS, nominees=[
        {"kind": "individual", "full_name": "Nguyễn Văn An", "award_form": "BK_CT_UBND",
         "position": "Trưởng phòng", "work_unit": "Phòng Chuyển đổi số",
         "years_in_service": 8, "achievement_summary": "Số hoá 100% thủ tục",
         "attributes": {"digital_outcome": True}},
        {"kind": "collective", "full_name": "Phòng Bưu chính", "award_form": "BK_CT_UBND",
         "attributes": {"digital_outcome": True}}])
    with world.db.unit_of_work() as s:
        d = issue_for(s, world.proposal(s, pid), world.user(s, "secretary"),
                      now=CDS_NOW + timedelta(days=20))
        return d.id


def test_the_attached_list_opens_in_excel_with_every_row(world, make_proposal):
    did = issued(world, make_proposal)
    with world.db.session() as s:
        decision = s.get(Decision, did)
        with exports.list_file(s, decision) as f:
            wb = load_workbook(io.BytesIO(f.read()))
    rows = [tuple(c for c in row) for row in wb.active.iter_rows(values_only=True)]
    assert rows[0][0] == "DANH SÁCH"
    assert rows[1][0] == "Kèm theo Quyết định số 1/QĐ-UBND ngày 19/11/2022"
    header = rows.index(("STT", "Họ và tên / Tập thể", "Chức vụ và đơn vị",
                         "Hình thức khen thưởng", "Tóm tắt thành tích"))
    assert rows[header + 1:] == [
        (1, "Nguyễn Văn An", "Trưởng phòng, Phòng Chuyển đổi số",
         "Bằng khen của Chủ tịch UBND tỉnh", "Số hoá 100% thủ tục"),
        (2, "Phòng Bưu chính", "Sở Thông tin và Truyền thông",
         "Bằng khen của Chủ tịch UBND tỉnh", None)]


def word_text(document) -> str:
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for cell in table._cells:
            lines += [p.text for p in cell.paragraphs]
    return "\n".join(lines)


def test_the_decision_opens_in_word_in_administrative_format(world, make_proposal):
    did = issued(world, make_proposal)
    with world.db.session() as s:
        decision = s.get(Decision, did)
        bases = list(decision.legal_bases)
        with exports.word_file(s, decision) as f:
            document = WordDocument(io.BytesIO(f.read()))
    text = word_text(document)
    for expected in ("ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Số: 1/QĐ-UBND",
                     "Lạng Sơn, ngày 19 tháng 11 năm 2022", "QUYẾT ĐỊNH\n",
                     "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh",
                     "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH", "QUYẾT ĐỊNH:",
                     "Điều 1. Tặng Bằng khen của Chủ tịch UBND tỉnh cho 2 tập thể, cá nhân",
                     "Điều 2.", "Điều 3.", "Nơi nhận:", "Hoàng Văn Thắng"):
        assert expected in text, expected
    assert len(bases) == 3
    for basis in bases:
        assert f"Căn cứ {basis};" in text


def test_text_a_spreadsheet_would_run_is_exported_as_text(world, make_proposal):
    """A summary typed as a formula by a unit reaches Excel as the text it was, not as a
    formula that would run on the reader's machine."""
    pid = make_proposal("approved", campaign="CDS-2022", documents=DOCS, nominees=[
        {"kind": "individual", "full_name": "Lò Văn Công", "award_form": "BK_CT_UBND",
         "years_in_service": 8, "achievement_summary": '=HYPERLINK("http://x.example","Xem")',
         "attributes": {"digital_outcome": True}}])
    with world.db.unit_of_work() as s:
        did = issue_for(s, world.proposal(s, pid), world.user(s, "secretary"),
                        now=CDS_NOW + timedelta(days=20)).id
    with world.db.session() as s, exports.list_file(s, s.get(Decision, did)) as f:
        sheet = load_workbook(io.BytesIO(f.read())).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.data_type, c.value) for c in cells] == [
        ("s", '\'=HYPERLINK("http://x.example","Xem")')]
