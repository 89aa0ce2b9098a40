"""The Council's sittings in the browser-less web UI: the secretary prepares, votes,
finalizes and closes; members read; the proposal page points to the sitting."""

from __future__ import annotations

import re
from typing import Any

from models import CouncilSession, SessionStatus
from models.base import utcnow
from tests.support.council import open_sitting
from tests.web.conftest import post_form
from workflow.actors import Actor
from workflow.council import proceedings as council


def page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def nominee_of(world: Any, pid: int) -> int:
    with world.db.session() as session:
        return world.proposal(session, pid).nominees[0].id


def test_the_secretary_holds_a_sitting_from_the_web(client_for, make_proposal, world):
    pid = make_proposal("at_council")
    other = make_proposal("at_council", campaign="CDS-2022", nominees=[
        {"kind": "collective", "full_name": "Xã Hợp Thành", "award_form": "GIAY_KHEN"}],
        documents=["to_trinh", "bao_cao_thanh_tich", "bien_ban_hop_xet"])
    secretary = client_for("secretary")
    form = page(secretary, "/council/sessions/new")
    members = re.findall(r'name="present" value="(\d+)"', form)
    assert len(members) == 7
    created = post_form(secretary, "/council/sessions", {
        "title": "Phiên họp tháng 11", "sitting_date": "20/11/2022", "place": "Hội trường",
        "present": members[:5]})
    assert created.status_code == 302
    sid = int(created.headers["Location"].rsplit("/", 1)[1])

    with world.db.session() as session:
        test_open_id = world.proposal(session, pid).campaign_id
    filtered = page(secretary, f"/council/sessions/{sid}?campaign={test_open_id}")
    assert f'data-candidate="{pid}"' in filtered and f'data-candidate="{other}"' not in filtered
    by_form = page(secretary, f"/council/sessions/{sid}?award_form=GIAY_KHEN")
    assert f'data-candidate="{other}"' in by_form and f'data-candidate="{pid}"' not in by_form

    post_form(secretary, f"/council/sessions/{sid}/agenda", {"proposal_id": [pid]})
    post_form(secretary, f"/council/sessions/{sid}/open", {})
    nid = nominee_of(world, pid)
    refused = post_form(secretary, f"/council/sessions/{sid}/tallies/{nid}",
                        {"yes": "5", "no": "1"}, follow_redirects=True)
    assert "nhiều hơn số thành viên dự họp (5)" in refused.get_data(as_text=True)
    post_form(secretary, f"/council/sessions/{sid}/tallies/{nid}", {"yes": "5", "no": "0"})
    sitting = page(secretary, f"/council/sessions/{sid}")
    assert 'data-passed="yes"' in sitting
    assert "5/7 = 71,4% ≥ 70% tổng số thành viên Hội đồng" in sitting
    assert "≥ 70% tổng số thành viên Hội đồng; tối thiểu 50% thành viên tham gia" in sitting

    version = re.search(r'name="expected_version" value="(\d+)"', sitting).group(1)
    post_form(secretary, f"/council/sessions/{sid}/agenda/{pid}/finalize",
              {"expected_version": version})
    closed = post_form(secretary, f"/council/sessions/{sid}/close", {}, follow_redirects=True)
    assert "Phiên họp đã kết thúc." in closed.get_data(as_text=True)
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "approved"
        assert session.get(CouncilSession, sid).status == SessionStatus.CLOSED
    assert 'data-sitting-status="closed"' in page(secretary, "/council/sessions")


def test_members_read_the_sittings_they_sit_on_and_change_nothing(client_for, make_proposal,
                                                                   world):
    pid = make_proposal("at_council")
    draft = open_sitting(world, [pid], opened=False)
    member = client_for("member1")
    assert member.get(f"/council/sessions/{draft}").status_code == 404
    assert member.get(f"/proposals/{pid}").status_code == 404
    with world.db.unit_of_work() as session:
        council.open_sitting(session, draft, Actor.of(world.user(session, "secretary")),
                             utcnow())
    sitting = page(member, f"/council/sessions/{draft}")
    assert f'data-agenda="{pid}"' in sitting
    assert "tally-form" not in sitting and "agenda-form" not in sitting
    assert page(member, f"/proposals/{pid}")  # the dossier is theirs to read now
    denied = post_form(member, f"/council/sessions/{draft}/tallies/{nominee_of(world, pid)}",
                       {"yes": "7"})
    assert denied.status_code == 403
    assert member.get("/council/sessions/new").status_code == 403


def test_the_proposal_page_points_to_the_sitting_instead_of_a_decide_form(
        client_for, make_proposal, world):
    pid = make_proposal("at_council")
    secretary = client_for("secretary")
    detail = page(secretary, f"/proposals/{pid}")
    assert 'id="decide-in-sitting"' in detail and 'name="outcome-' not in detail
    assert 'href="/council/sessions"' in detail  # not on a sitting yet: pick one
    sid = open_sitting(world, [pid])
    assert f'href="/council/sessions/{sid}#agenda"' in page(secretary, f"/proposals/{pid}")
    manual = post_form(secretary, f"/proposals/{pid}/actions/decide",
                       {f"outcome-{nominee_of(world, pid)}": "passed"}, follow_redirects=True)
    assert "phiên họp" in manual.get_data(as_text=True)
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "at_council"


def test_a_refused_new_sitting_shows_the_form_again_as_typed(client_for, world):
    secretary = client_for("secretary")
    members = re.findall(r'name="present" value="(\d+)"', page(secretary, "/council/sessions/new"))
    refused = post_form(secretary, "/council/sessions", {
        "title": "Phiên họp tháng 12", "sitting_date": "2026-11-27", "place": "Phòng họp số 2",
        "present": members[:3]}, page="/council/sessions/new")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "ngày không hợp lệ “2026-11-27” (nhập theo dạng dd/mm/yyyy)" in html
    assert 'value="Phiên họp tháng 12"' in html and 'value="Phòng họp số 2"' in html
    assert 'value="2026-11-27"' in html
    ticked = re.findall(r'name="present" value="(\d+)" id="present-\d+" checked', html)
    assert ticked == members[:3]
    with world.db.session() as session:
        assert session.query(CouncilSession).count() == 0
    # d/m/yyyy is a date too.
    created = post_form(secretary, "/council/sessions", {
        "title": "Phiên họp tháng 12", "sitting_date": "7/12/2026", "place": "Phòng họp số 2",
        "present": members[:5]}, page="/council/sessions/new")
    assert created.status_code == 302


def row_of(html: str, nid: int) -> str:
    start = html.index(f'id="nominee-{nid}"')
    return html[start:html.index("</tr>", start)]


def test_a_refused_tally_shows_the_numbers_typed_not_the_saved_ones(client_for, make_proposal,
                                                                     world):
    pid = make_proposal("at_council")
    sid = open_sitting(world, [pid], present=5)
    nid = nominee_of(world, pid)
    secretary = client_for("secretary")
    path = f"/council/sessions/{sid}/tallies/{nid}"
    saved = post_form(secretary, path, {"yes": "5", "no": "0"}, page=f"/council/sessions/{sid}")
    assert saved.status_code == 302
    refused = post_form(secretary, path, {"yes": "4", "no": "3", "invalid": "",
                                          "written_yes": "", "written_no": ""},
                        page=f"/council/sessions/{sid}")
    assert refused.status_code == 400
    row = row_of(refused.get_data(as_text=True), nid)
    assert 'name="yes" value="4"' in row and 'name="no" value="3"' in row
    assert "nhiều hơn số thành viên dự họp (5)" in row and "chưa được ghi" in row
    assert "data-passed" not in row  # the saved verdict is not shown as if it stood
    assert 'data-passed="yes"' in row_of(page(secretary, f"/council/sessions/{sid}"), nid)


def test_a_blank_yes_or_no_is_refused_and_blank_other_counts_are_none(client_for,
                                                                       make_proposal, world):
    pid = make_proposal("at_council")
    sid = open_sitting(world, [pid], present=5)
    nid = nominee_of(world, pid)
    secretary = client_for("secretary")
    path = f"/council/sessions/{sid}/tallies/{nid}"
    sitting = page(secretary, f"/council/sessions/{sid}")
    assert "để trống phiếu không hợp lệ hoặc ý kiến bằng văn bản nghĩa là 0" in sitting
    blank = post_form(secretary, path, {"yes": "5", "no": " "}, page=f"/council/sessions/{sid}")
    assert blank.status_code == 400
    assert "Không đồng ý: cần nhập số phiếu" in row_of(blank.get_data(as_text=True), nid)
    assert "data-passed" not in row_of(page(secretary, f"/council/sessions/{sid}"), nid)
    saved = post_form(secretary, path, {"yes": "5", "no": "0", "invalid": ""},
                      page=f"/council/sessions/{sid}")
    assert saved.status_code == 302
    assert 'data-passed="yes"' in row_of(page(secretary, f"/council/sessions/{sid}"), nid)
