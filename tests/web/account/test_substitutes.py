"""A reviewer going on leave names a substitute, who then acts in their place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import AuditEvent
from models.base import utcnow
from tests.conftest import VN
from tests.web.conftest import post_form
from workflow.accounts import tokens
from workflow.accounts.substitutes import name_substitute
from workflow.actors import Actor
from workflow.proposals.service import act


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


def _heads_proposals(world: Any, make_proposal: Any) -> tuple[list[int], int]:
    """Two proposals the board head claimed, and reviewer2 named to stand in for the head
    from today (in Vietnam) for three days; the substitution's id."""
    now = utcnow()
    pids = [make_proposal("submitted", now=now.astimezone(VN) - timedelta(days=1))
            for _ in range(2)]
    today = now.astimezone(VN).date()
    with world.db.unit_of_work() as session:
        head = Actor.of(world.user(session, "boardhead"))
        for pid in pids:
            act(session, pid, "claim", head, now=now)
        row = name_substitute(session, head.id, world.user_ids["reviewer2"], today,
                              today + timedelta(days=3), head, now)
        return pids, row.id


def _api(world: Any, username: str) -> dict[str, str]:
    with world.db.unit_of_work() as session:
        secret = tokens.create_token(session, world.user_ids[username], "thay")[1]
    return {"Authorization": f"Bearer {secret}"}


def _assignee(world: Any, pid: int) -> tuple[str, int | None]:
    with world.db.session() as session:
        proposal = world.proposal(session, pid)
        return proposal.state, proposal.assignee_id


def test_a_reviewer_standing_in_for_the_board_head_acts_as_a_reviewer_only(
        app, make_proposal, world, client_for):
    """boardhead (board head and reviewer) names reviewer2 (reviewer): while it lasts,
    reviewer2 may work the head's claimed proposals as a reviewer and may not reassign
    them, on the page or through the API; once it has ended, reviewer2 gets nothing."""
    (pid, other), substitution = _heads_proposals(world, make_proposal)
    head_id, reviewer = world.user_ids["boardhead"], world.user_ids["reviewer"]
    stand_in = client_for("reviewer2")
    page = stand_in.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'data-action="return"' in page and 'data-action="forward"' in page
    assert 'data-action="reassign"' not in page
    refused = post_form(stand_in, f"/proposals/{pid}/actions/reassign",
                        {"assignee_id": reviewer, "expected_version": _v(world, pid)},
                        page=f"/proposals/{pid}", follow_redirects=True)
    assert "không được phép" in refused.get_data(as_text=True)
    assert _assignee(world, pid) == ("under_review", head_id)

    api, client = _api(world, "reviewer2"), app.test_client()
    detail = client.get(f"/api/v1/proposals/{pid}", headers=api).get_json()
    assert "reassign" not in detail["allowed_actions"]
    assert "forward" in detail["allowed_actions"]
    answer = client.post(f"/api/v1/proposals/{pid}/actions/reassign", headers=api,
                         json={"expected_version": detail["version"], "assignee_id": reviewer})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == \
        "permission_denied"
    assert _assignee(world, pid) == ("under_review", head_id)
    done = client.post(f"/api/v1/proposals/{pid}/actions/forward", headers=api,
                       json={"expected_version": detail["version"]})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["event"]["on_behalf_of"]["id"] == head_id
    assert _assignee(world, pid)[0] == "at_council"

    # The head is back and ends the substitution: reviewer2 gets nothing on the other one.
    head = client_for("boardhead")
    post_form(head, f"/account/substitutes/{substitution}/cancel", {},
              page="/account/substitutes")
    assert "data-action=" not in stand_in.get(f"/proposals/{other}").get_data(as_text=True)
    assert client.get(f"/api/v1/proposals/{other}", headers=api).get_json()[
        "allowed_actions"] == []
    for trigger, body in [("forward", {}), ("reassign", {"assignee_id": reviewer})]:
        answer = client.post(f"/api/v1/proposals/{other}/actions/{trigger}", headers=api,
                             json={"expected_version": _v(world, other), **body})
        assert answer.status_code == 403, trigger
    assert _assignee(world, other) == ("under_review", head_id)
