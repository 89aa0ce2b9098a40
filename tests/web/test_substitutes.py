"""A reviewer going on leave names a substitute, who then acts in their place."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import AuditEvent
from models.base import utcnow
from tests.conftest import VN
from tests.web.conftest import post_form


def _dates(days: int = 3) -> dict[str, str]:
    today = utcnow().astimezone(VN).date()
    return {"starts_on": today.strftime("%d/%m/%Y"),
            "ends_on": (today + timedelta(days=days)).strftime("%d/%m/%Y")}


def test_the_substitute_acts_for_the_absent_reviewer_and_the_log_names_both(
        make_proposal, world, client_for):
    pid = make_proposal("under_review", now=utcnow().astimezone(VN))  # claimed by `reviewer`
    reviewer = client_for("reviewer")
    post_form(reviewer, "/account/substitutes",
              {"substitute_id": world.user_ids["reviewer2"], **_dates()},
              page="/account/substitutes")
    page = reviewer.get("/account/substitutes").get_data(as_text=True)
    assert "Vi Văn Tùng" in page and "Nông Thị Mai" in page

    substitute = client_for("reviewer2")
    detail = substitute.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'data-action="forward"' in detail  # offered to the substitute during the leave
    post_form(substitute, f"/proposals/{pid}/actions/forward", {"expected_version": _v(world, pid)},
              page=f"/proposals/{pid}")
    with world.db.session() as session:
        assert world.proposal(session, pid).state == "at_council"
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == pid, AuditEvent.action == "forward")).one()
        assert event.actor_id == world.user_ids["reviewer2"]
        assert event.on_behalf_of_id == world.user_ids["reviewer"]
        assert event.actor_name.startswith("Vi Văn Tùng") and "thay" in event.actor_name
    timeline = substitute.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "thay" in timeline and "Nông Thị Mai" in timeline


def test_only_the_absent_user_a_board_head_or_an_admin_may_name_a_substitute(world, client_for):
    other = client_for("reviewer2")
    response = post_form(other, "/account/substitutes",
                         {"user_id": world.user_ids["reviewer"],
                          "substitute_id": world.user_ids["reviewer2"], **_dates()},
                         page="/account/substitutes", follow_redirects=True)
    assert "Chỉ người vắng mặt, Trưởng ban hoặc quản trị" in response.get_data(as_text=True)
    head = client_for("boardhead")
    post_form(head, "/account/substitutes",
              {"user_id": world.user_ids["reviewer"],
               "substitute_id": world.user_ids["reviewer2"], **_dates()},
              page="/account/substitutes")
    assert "Vi Văn Tùng" in head.get("/account/substitutes").get_data(as_text=True)


def test_bad_dates_are_refused_with_a_clear_message(world, client_for):
    reviewer = client_for("reviewer")
    for dates in ({"starts_on": "31/02/2026", "ends_on": "01/03/2026"},
                  {**_dates(), "ends_on": "01/01/2020"}):
        response = post_form(reviewer, "/account/substitutes",
                             {"substitute_id": world.user_ids["reviewer2"], **dates},
                             page="/account/substitutes", follow_redirects=True)
        text = response.get_data(as_text=True)
        assert "không hợp lệ" in text or "phải sau" in text
        assert "Vi Văn Tùng" not in text.split('id="substitutions"')[1]


def _v(world, pid: int) -> int:
    with world.db.session() as session:
        return world.proposal(session, pid).version
