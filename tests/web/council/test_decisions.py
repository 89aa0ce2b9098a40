"""Decisions in the web UI and the API, as the secretary, a unit clerk and the Board
see them: issuing from the proposal page, the decision page, its exports, the
nominee's history, corrections, and who may see what."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook

from models import Decision
from tests.support.api_client import Caller, conforms, error
from tests.support.notices import campaign_id, notice_world, person
from tests.web.conftest import post_form
from web.api.decisions import DecisionDetail, DecisionList
from workflow.accounts import tokens

__all__ = ["notice_world"]  # the fixture, used by name
SIGNER = "Hoàng Văn Thắng"


@pytest.fixture
def api_as(app: Any, world: Any) -> Any:
    """A cookie-less API client for the named user, by bearer token."""
    def make(username: str) -> Caller:
        with world.db.unit_of_work() as session:
            _token, secret = tokens.create_token(session, world.user_ids[username], "test")
        return Caller(app.test_client(), {"Authorization": f"Bearer {secret}"})
    return make
NOMINEE = "Nguyễn Văn A"


def issue_through_the_form(secretary: Any, pid: int, signed_on: str = "20/11/2022") -> Any:
    page = secretary.get(f"/proposals/{pid}").get_data(as_text=True)
    link = re.search(r'id="issue-decision-link" href="([^"]+)"', page)
    assert link, "the proposal page offers no way to issue its decision"
    url = link.group(1).replace("&amp;", "&")
    form = secretary.get(url).get_data(as_text=True)
    assert f'name="proposal_ids" value="{pid}" id="pick-{pid}" checked' in form
    campaign_id = re.search(r'name="campaign_id" value="(\d+)"', form).group(1)
    return post_form(secretary, "/council/decisions/new", {
        "campaign_id": campaign_id, "award_form": "", "proposal_ids": str(pid),
        "signed_on": signed_on, "signer_name": SIGNER}, page=url, follow_redirects=True)


def test_the_secretary_issues_a_decision_from_the_proposal_page(client_for, make_proposal):
    pid = make_proposal("approved")
    secretary = client_for("secretary")
    page = issue_through_the_form(secretary, pid).get_data(as_text=True)
    assert "Đã ban hành quyết định số 1/QĐ-UBND." in page
    assert "Quyết định số 1/QĐ-UBND" in page and "20/11/2022" in page
    assert NOMINEE in page and "Không — dữ liệu kiểm thử" in page  # the list, the bases
    proposal = secretary.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'data-state="decided"' in proposal and "1/QĐ-UBND" in proposal


def test_a_refused_issue_says_why_and_keeps_the_proposal_waiting(client_for, make_proposal):
    pid = make_proposal("approved")  # decided by the Council on 19/11/2022
    secretary = client_for("secretary")
    refused = issue_through_the_form(secretary, pid, "18/11/2022")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "không được trước ngày Hội đồng xét (19/11/2022)" in page
    # The form again, as typed: the date, the signer, the ticked proposal.
    assert 'value="18/11/2022"' in page and f'value="{SIGNER}"' in page
    assert f'name="proposal_ids" value="{pid}" id="pick-{pid}" checked' in page
    assert 'data-state="approved"' in secretary.get(f"/proposals/{pid}").get_data(as_text=True)


def test_an_iso_date_is_refused_in_the_forms(client_for, make_proposal):
    pid = make_proposal("approved")
    refused = issue_through_the_form(client_for("secretary"), pid, "2022-11-20")
    assert refused.status_code == 400
    assert "Ngày ký: ngày không hợp lệ “2022-11-20” (nhập theo dạng dd/mm/yyyy)" in \
        refused.get_data(as_text=True)


def test_a_proposal_still_under_notice_is_not_ticked_and_says_why(notice_world, client_for,
                                                                   make_proposal):
    waiting = make_proposal("approved", campaign="TEST-NOTICE",
                            nominees=[person("Trần Thị Công Khai", "GIAY_KHEN")])
    free = make_proposal("approved", campaign="TEST-NOTICE",
                         nominees=[person("Lê Văn Không", "LDTT")])
    secretary = client_for("secretary")
    with notice_world.db.session() as session:
        campaign = campaign_id(session, "TEST-NOTICE")
    page = secretary.get(f"/council/decisions/new?campaign={campaign}").get_data(as_text=True)
    blocked = re.search(rf'<tr data-candidate="{waiting}" data-blocked="yes">(.*?)</tr>',
                        page, re.S)
    assert blocked, "the blocked proposal is not marked"
    assert "checked" not in blocked.group(1)
    assert "chưa công khai danh sách" in blocked.group(1)
    assert f'name="proposal_ids" value="{free}" id="pick-{free}" checked' in page


def test_the_exports_download_and_open(client_for, make_proposal):
    make_proposal("decided")
    clerk = client_for("unit1")
    xlsx = clerk.get("/council/decisions/1/danh-sach.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[-1][:2] == (1, NOMINEE)
    docx = clerk.get("/council/decisions/1/quyet-dinh.docx")
    assert docx.status_code == 200 and "QD-1-QD-UBND" in docx.headers["Content-Disposition"]
    text = "\n".join(p.text for p in WordDocument(io.BytesIO(docx.data)).paragraphs)
    assert "Căn cứ Không — dữ liệu kiểm thử;" in text and "QUYẾT ĐỊNH:" in text


def test_the_nominee_page_shows_the_recorded_title(client_for, make_proposal, world):
    pid = make_proposal("decided")
    with world.db.session() as s:
        nid = world.proposal(s, pid).nominees[0].id
    clerk = client_for("unit1")
    proposal = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    assert f'href="/proposals/{pid}/nominees/{nid}"' in proposal
    page = clerk.get(f"/proposals/{pid}/nominees/{nid}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert 'data-year="2022" data-award="BK_CT_UBND"' in history
    assert "1/QĐ-UBND" in history
    assert client_for("unit2").get(f"/proposals/{pid}/nominees/{nid}").status_code == 404


def test_a_correction_from_the_decision_page(client_for, make_proposal, world):
    pid = make_proposal("decided")
    with world.db.session() as s:
        entry = s.get(Decision, 1).entries[0].id
    secretary = client_for("secretary")
    page = post_form(secretary, "/council/decisions/1/correct", {
        f"full_name-{entry}": "Nguyễn Văn Á", f"position_title-{entry}": "Chuyên viên",
        f"work_unit-{entry}": "", "reason": "Sai dấu trong họ tên",
        "signed_on": "25/11/2022", "signer_name": SIGNER},
        page="/council/decisions/1/correct", follow_redirects=True).get_data(as_text=True)
    assert "Đã ban hành quyết định đính chính số 2/QĐ-UBND." in page
    assert "Về việc đính chính Quyết định số 1/QĐ-UBND ngày 20/11/2022" in page
    assert "Nguyễn Văn Á" in page and "Sai dấu trong họ tên" in page
    old = secretary.get("/council/decisions/1").get_data(as_text=True)
    assert 'id="corrected-by"' in old and NOMINEE in old and "Nguyễn Văn Á" not in old
    assert 'id="correct-link"' not in old
    # The proposal's page links both: the decision and its correction.
    proposal = secretary.get(f"/proposals/{pid}").get_data(as_text=True)
    listed = re.search(r'<dd class="col-sm-10" id="decisions">(.*?)</dd>', proposal, re.S)
    assert listed, "the proposal page does not list its decisions"
    assert re.findall(r'href="/council/decisions/(\d+)">([^<]+)</a>', listed.group(1)) == [
        ("1", "1/QĐ-UBND"), ("2", "2/QĐ-UBND")]
    assert "(đính chính)" in listed.group(1)
    # The list marks the first as corrected, linking to its correction.
    listing = secretary.get("/council/decisions/").get_data(as_text=True)
    row = re.search(r'<tr data-decision="1">(.*?)</tr>', listing, re.S).group(1)
    assert 'href="/council/decisions/2">đã đính chính bởi 2/QĐ-UBND</a>' in row
    assert "đã đính chính" not in re.search(r'<tr data-decision="2">(.*?)</tr>', listing,
                                            re.S).group(1)


def test_a_refused_correction_shows_every_edit_as_typed(client_for, make_proposal, world):
    make_proposal("decided")
    with world.db.session() as s:
        entry = s.get(Decision, 1).entries[0].id
    secretary = client_for("secretary")
    refused = post_form(secretary, "/council/decisions/1/correct", {
        f"full_name-{entry}": "Nguyễn Văn Á", f"position_title-{entry}": "Chuyên viên chính",
        f"work_unit-{entry}": "Sở Nội vụ", f"drop-{entry}": "on",
        "reason": "Sai dấu trong họ tên", "signed_on": "2022-11-25", "signer_name": "Người Ký"},
        page="/council/decisions/1/correct")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "nhập theo dạng dd/mm/yyyy" in page
    for typed in ("Nguyễn Văn Á", "Chuyên viên chính", "Sở Nội vụ", "Sai dấu trong họ tên",
                  "2022-11-25", "Người Ký"):
        assert f'value="{typed}"' in page, typed
    assert f'name="drop-{entry}" checked' in page
    with world.db.session() as s:
        assert s.get(Decision, 2) is None


def test_who_sees_a_decision(client_for, make_proposal):
    make_proposal("decided")  # unit1's nominee
    for user in ("unit1", "reviewer", "boardhead", "secretary", "member1", "admin"):
        client = client_for(user)
        assert client.get("/council/decisions/1").status_code == 200, user
        assert "/council/decisions/1" in client.get("/council/decisions/").get_data(
            as_text=True), user
    unit2 = client_for("unit2")
    assert unit2.get("/council/decisions/1").status_code == 404
    assert unit2.get("/council/decisions/1/danh-sach.xlsx").status_code == 404
    assert NOMINEE not in unit2.get("/council/decisions/").get_data(as_text=True)
    assert client_for("reviewer").get("/council/decisions/new").status_code == 403


# --- the API ------------------------------------------------------------------------------

def test_the_api_lists_decisions_with_nominees_and_export_links(api_as, make_proposal):
    make_proposal("decided")
    clerk = api_as("unit1")
    listed = conforms(DecisionList, clerk.get("/decisions").get_json())
    [one] = listed["decisions"]
    assert (one["number"], one["signed_on"], one["nominee_count"]) == (
        "1/QĐ-UBND", "2022-11-20", 1)
    assert one["nominees"][0]["full_name"] == NOMINEE
    assert one["links"]["excel"] == "/api/v1/decisions/1/list.xlsx"
    excel = clerk.get(one["links"]["excel"].removeprefix("/api/v1"))
    assert excel.status_code == 200
    assert load_workbook(io.BytesIO(excel.data)).active.max_row == 6
    word = clerk.get(one["links"]["word"].removeprefix("/api/v1"))
    assert word.status_code == 200 and word.mimetype.endswith("wordprocessingml.document")
    detail = conforms(DecisionDetail, clerk.get("/decisions/1").get_json())
    assert detail["legal_bases"] == ["Không — dữ liệu kiểm thử"]
    assert api_as("unit2").get("/decisions").get_json()["decisions"] == []
    error(api_as("unit2").get("/decisions/1"), 404, "not_found")


def test_only_the_secretary_issues_and_corrects_through_the_api(api_as, make_proposal):
    pid = make_proposal("approved")
    body = {"campaign": "TEST-OPEN", "proposal_ids": [pid], "signed_on": "2022-11-20",
            "signer_name": SIGNER}
    error(api_as("reviewer").post("/decisions", json=body), 403, "permission_denied")
    issued = api_as("secretary").post("/decisions", json=body)
    assert issued.status_code == 201, issued.get_data(as_text=True)
    did = issued.get_json()["id"]
    assert issued.headers["Location"].endswith(f"/api/v1/decisions/{did}")
    error(api_as("secretary").post("/decisions", json=body), 409, "invalid_transition")
    fix = {"reason": "Sai chức vụ", "signed_on": "2022-11-21", "signer_name": SIGNER,
           "entries": [{"entry_id": issued.get_json()["nominees"][0]["id"],
                        "position_title": "Phó Trưởng phòng"}]}
    error(api_as("unit1").post(f"/decisions/{did}/corrections", json=fix), 403,
          "permission_denied")
    fixed = api_as("secretary").post(f"/decisions/{did}/corrections", json=fix)
    assert fixed.status_code == 201, fixed.get_data(as_text=True)
    assert (fixed.get_json()["number"], fixed.get_json()["corrects_id"]) == ("2/QĐ-UBND", did)
    assert fixed.get_json()["nominees"][0]["position_title"] == "Phó Trưởng phòng"
    again = api_as("secretary").get(f"/decisions/{did}").get_json()
    assert again["corrected_by_id"] == fixed.get_json()["id"]


def test_the_clerk_gives_a_personal_code(client_for, make_proposal, world):
    pid = make_proposal("draft")
    clerk = client_for("unit1")
    response = post_form(clerk, f"/unit/proposals/{pid}/nominees", {
        "kind": "individual", "full_name": "Lò Thị Mã", "award_form": "BK_CT_UBND",
        "years_in_service": "4", "person_code": " 020195000111 "}, page=f"/proposals/{pid}")
    assert response.status_code == 302
    with world.db.session() as s:
        added = [n for n in world.proposal(s, pid).nominees if n.full_name == "Lò Thị Mã"]
        assert [n.person_code for n in added] == ["020195000111"]
