"""The Board queue's filters: a unit found by typing part of its name or code, with or
without Vietnamese accents, and a proposal by its number or title."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from sqlalchemy import select

from models import Unit
from workflow.proposals.queries import PAGE_SIZE

LINK = re.compile(r'href="/proposals/(\d+)"')


def listed(client, **args: str) -> list[int]:
    response = client.get(f"/review/?{urlencode(args)}")
    assert response.status_code == 200
    return sorted(int(i) for i in LINK.findall(response.get_data(as_text=True)))


def test_a_reviewer_finds_a_units_proposals_by_part_of_its_name_or_code(
        make_proposal, client_for):
    ours = make_proposal("submitted", clerk="unit1")  # Sở Thông tin và Truyền thông (STTTT)
    theirs = make_proposal("submitted", clerk="unit2")  # UBND huyện Cao Lộc (UBND-CL)
    reviewer = client_for("reviewer")
    assert listed(reviewer) == sorted([ours, theirs])
    assert listed(reviewer, unit_q="Thông tin") == [ours]
    assert listed(reviewer, unit_q="  thong   TIN ") == [ours]  # no accents, any case
    assert listed(reviewer, unit_q="sttt") == [ours]  # part of the code
    assert listed(reviewer, unit_q="cao loc") == [theirs]
    assert listed(reviewer, unit_q="Đà Nẵng") == []
    assert listed(reviewer, unit_q="\u0301") == sorted([ours, theirs])  # marks alone: no filter
    assert listed(reviewer, unit_q="") == sorted([ours, theirs])  # an empty box: no filter


def test_the_unit_box_keeps_what_was_typed_and_the_page_lists_no_units(
        make_proposal, client_for):
    make_proposal("submitted", clerk="unit2")
    page = client_for("reviewer").get("/review/?unit_q=cao+l%E1%BB%99c").get_data(as_text=True)
    assert 'name="unit_q" value="cao lộc"' in page
    assert "Trường THCS thị trấn Cao Lộc" not in page  # no list of every unit
    assert "UBND huyện Cao Lộc" in page  # the unit of the proposal it found


def test_the_unit_filter_goes_with_the_other_filters(make_proposal, client_for):
    submitted = make_proposal("submitted", clerk="unit1")
    reviewing = make_proposal("under_review", clerk="unit1")
    make_proposal("under_review", clerk="unit2")
    reviewer = client_for("reviewer")
    assert listed(reviewer, unit_q="thong tin", state="under_review") == [reviewing]
    assert listed(reviewer, unit_q="thong tin", state="submitted") == [submitted]


def test_the_pager_keeps_the_unit_box(make_proposal, client_for):
    for _ in range(PAGE_SIZE + 1):
        make_proposal("submitted", clerk="unit1")
    make_proposal("submitted", clerk="unit2")
    reviewer = client_for("reviewer")
    first = reviewer.get("/review/?unit_q=thong+tin").get_data(as_text=True)
    found = re.search(r'<a [^>]*rel="next" href="([^"]+)"', first)
    assert found is not None and "unit_q=thong+tin" in found.group(1)
    second = reviewer.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(LINK.findall(first)) == PAGE_SIZE and len(LINK.findall(second)) == 1


def test_a_link_to_one_unit_by_id_still_filters(make_proposal, client_for, world):
    ours = make_proposal("submitted", clerk="unit1")
    make_proposal("submitted", clerk="unit2")
    with world.db.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "STTTT"))
    assert listed(client_for("reviewer"), unit=str(unit_id)) == [ours]
