"""The statistics pages: the tables show the campaign's numbers, each downloads as an
Excel file with the same rows, a clerk sees their own unit only, a council member none."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

UNIT1, UNIT2 = "Sở Thông tin và Truyền thông", "UBND huyện Cao Lộc"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def campaign(make_proposal) -> str:
    """TEST-OPEN: unit1 approved and rejected (one nominee each), unit2 submitted and
    returned, and a draft of unit1 that nobody counts."""
    make_proposal("approved")
    make_proposal("rejected")
    make_proposal("submitted", clerk="unit2")
    make_proposal("returned", clerk="unit2")
    make_proposal("draft")
    return "TEST-OPEN"


def table(html: str, name: str) -> list[list[str]]:
    """The cells of a statistics table on the page, row by row (header row left out)."""
    section = re.search(rf'<section[^>]*id="table-{name}">(.*?)</section>', html, re.S)
    assert section, f"no table {name}"
    body = re.search(r"<tbody>(.*?)</tbody>", section.group(1), re.S)
    assert body, f"table {name} has no rows"
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]


def sheet(response) -> list[list[object]]:
    assert response.status_code == 200 and response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_the_page_shows_the_campaigns_numbers_with_charts(client_for, campaign):
    html = client_for("reviewer").get(f"/stats/{campaign}").get_data(as_text=True)
    assert re.search(r"<strong>4</strong> hồ sơ · <strong>4</strong> người được đề nghị", html)
    assert table(html, "by_state") == [["Đã nộp", "1", "1"], ["Trả lại bổ sung", "1", "1"],
                                       ["Được chấp thuận", "1", "1"],
                                       ["Không được chấp thuận", "1", "1"]]
    assert table(html, "by_unit") == [[UNIT1, "2", "2"], [UNIT2, "2", "2"]]
    assert table(html, "pass_by_unit") == [[UNIT1, "2", "2", "1", "1", "50,0%"],
                                           [UNIT2, "2", "0", "0", "0", "—"]]
    assert [r[0] for r in table(html, "deadlines")] == ["Thẩm định", "Hội đồng xét",
                                                       "Nộp lại"]
    assert html.count('class="stats-chart"') == 7
    assert "<script>" not in html and " style=" not in html  # the CSP allows neither


def test_each_table_downloads_as_excel_with_the_same_rows(client_for, campaign):
    reviewer = client_for("reviewer")
    assert sheet(reviewer.get(f"/stats/{campaign}/by_state.xlsx")) == [
        ["Trạng thái", "Số hồ sơ", "Số người được đề nghị"],
        ["Đã nộp", 1, 1], ["Trả lại bổ sung", 1, 1], ["Được chấp thuận", 1, 1],
        ["Không được chấp thuận", 1, 1]]
    rates = sheet(reviewer.get(f"/stats/{campaign}/pass_by_unit.xlsx"))
    assert rates[1:] == [[UNIT1, 2, 2, 1, 1, 0.5], [UNIT2, 2, 0, 0, 0, None]]
    html = reviewer.get(f"/stats/{campaign}").get_data(as_text=True)
    for name in ("by_unit", "by_award", "time_in_state", "deadlines"):
        rows = sheet(reviewer.get(f"/stats/{campaign}/{name}.xlsx"))
        assert [r[0] for r in rows[1:]] == [r[0] for r in table(html, name)], name
        assert [str(v) for v in rows[1][1:3]] == table(html, name)[0][1:3], name
    assert reviewer.get(f"/stats/{campaign}/no_such_table.xlsx").status_code == 404


def test_a_clerk_sees_only_their_own_unit(client_for, campaign, world):
    clerk = client_for("unit2")
    html = clerk.get(f"/stats/{campaign}").get_data(as_text=True)
    assert table(html, "by_unit") == [[UNIT2, "2", "2"]]
    assert table(html, "by_state") == [["Đã nộp", "1", "1"], ["Trả lại bổ sung", "1", "1"]]
    assert UNIT1 not in html
    assert sheet(clerk.get(f"/stats/{campaign}/by_unit.xlsx"))[1:] == [[UNIT2, 2, 2]]
    with world.db.session() as session:
        unit1 = world.user(session, "unit1").unit_id
    assert clerk.get(f"/stats/{campaign}?unit={unit1}").status_code == 403
    assert clerk.get(f"/stats/{campaign}/by_unit.xlsx?unit={unit1}").status_code == 403
    listing = clerk.get("/stats/").get_data(as_text=True)
    assert re.search(rf">{campaign}</a></td><td>[^<]*</td><td[^>]*>2</td>", listing)


def test_the_board_may_narrow_to_one_unit(client_for, campaign, world):
    with world.db.session() as session:
        unit1 = world.user(session, "unit1").unit_id
    html = client_for("secretary").get(f"/stats/{campaign}?unit={unit1}").get_data(
        as_text=True)
    assert table(html, "by_unit") == [[UNIT1, "2", "2"]]


def test_a_council_member_is_refused_and_has_no_link(client_for, campaign):
    member = client_for("member1")
    for path in ("/stats/", f"/stats/{campaign}", f"/stats/{campaign}/by_state.xlsx"):
        assert member.get(path).status_code == 403, path
    assert 'href="/stats/"' not in member.get("/proposals/").get_data(as_text=True)
    assert 'href="/stats/"' in client_for("admin").get("/proposals/").get_data(as_text=True)
