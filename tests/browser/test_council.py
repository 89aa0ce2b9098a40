"""The Council secretary's sitting in headless Chromium: create it from the proposal page,
seat 5 of the 7 members, build the agenda, open it, enter the paper ballots (seeing the
verdict and why, and a tally that does not add up refused), finalize and close; the
proposal is approved with the short nominee's reason; a member reads the sitting."""

from __future__ import annotations

import pytest

from tests.support.browser import Camera, Visitor
from tests.support.council_browser import (
    SITTING_TITLE,
    build_agenda_and_open,
    create_sitting_from_proposal,
    enter_tally,
    finalize_and_close,
    verdict,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

PASSES, SHORT = "Nguyễn Văn Đạt", "Trần Thị Thiếu"
NOMINEES = [{"kind": "individual", "full_name": name, "award_form": "BK_CT_UBND",
             "years_in_service": 5} for name in (PASSES, SHORT)]
ALL = "tổng số thành viên Hội đồng"


def test_the_secretary_holds_a_sitting(browser, live_server, world, make_proposal,
                                       screenshots):
    camera = Camera(screenshots)
    pid = make_proposal("at_council", nominees=NOMINEES)
    with world.db.session() as session:
        title = world.proposal(session, pid).title
    secretary = Visitor(browser, live_server, camera, "secretary")
    secretary.goto(f"/proposals/{pid}", "at-council")
    create_sitting_from_proposal(secretary, present=5)
    build_agenda_and_open(secretary, "TEST-OPEN", title)

    refused = enter_tally(secretary, SHORT, "tally-refused", yes=6)
    assert "Tổng số phiếu" in refused and "nhiều hơn số thành viên dự họp (5)" in refused
    assert "Đã ghi kết quả bỏ phiếu" in enter_tally(secretary, PASSES, "tally-passed", yes=5)
    assert verdict(secretary, PASSES) == ("Đạt", f"5/7 = 71,4% ≥ 70% {ALL}")
    assert secretary.page.locator("form.finalize-form button").is_disabled()
    enter_tally(secretary, SHORT, "tally-short", yes=4, no=1)
    assert verdict(secretary, SHORT) == ("Không đạt", f"4/7 = 57,1% < 70% {ALL}")
    # A written opinion arrives from an absent member: the tally is corrected.
    enter_tally(secretary, SHORT, "tally-corrected", yes=4, no=1, written_yes=1)
    assert verdict(secretary, SHORT) == (
        "Đạt", f"5/7 = 71,4% ≥ 70% {ALL} (gồm 1 ý kiến bằng văn bản của thành viên vắng mặt)")
    enter_tally(secretary, SHORT, "tally-final", yes=4, no=1)
    finalize_and_close(secretary)

    secretary.click(f"a:has-text('{title}')", "proposal-approved")
    assert secretary.state() == "Được chấp thuận"
    short_row = secretary.page.locator(f"#nominees tr:has-text('{SHORT}')").inner_text()
    assert f"Không đạt — 4/7 = 57,1% < 70% {ALL}" in short_row
    assert secretary.page.locator("#timeline tr[data-event=decide]").count() == 1

    member = Visitor(browser, live_server, camera, "member1")
    member.goto("/council/sessions", "member-sittings")
    member.click(f"a:has-text('{SITTING_TITLE}')", "member-sitting")
    assert member.page.locator("form.tally-form").count() == 0
    assert verdict(member, PASSES)[0] == "Đạt"
    for visitor in (secretary, member):
        visitor.close()
