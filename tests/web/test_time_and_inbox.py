"""What people see of time limits and notifications in the web UI."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from models import Deadline
from tests.conftest import VN
from tests.support.calendar import now_vn, working_days_after
from tests.support.language import switch
from tests.web.conftest import post_form
from workflow.proposals.service import act


def due_day_of(world, proposal_id: int) -> date:
    with world.db.unit_of_work() as session:
        deadline = session.scalars(select(Deadline).where(
            Deadline.proposal_id == proposal_id, Deadline.closed_at.is_(None))).one()
        return deadline.due_at.astimezone(VN).date()


def days_left(world, proposal_id: int) -> tuple[date, int]:
    """The open deadline's day and the working days a reader sees left to it today."""
    due = due_day_of(world, proposal_id)
    return due, working_days_after(now_vn().date(), due)


def test_the_review_queue_shows_due_dates_soonest_first_and_filters_overdue(
        make_proposal, client_for, world):
    late = make_proposal("submitted", now=now_vn() - timedelta(days=40))
    fresh = make_proposal("submitted", now=now_vn())
    due, left = days_left(world, fresh)
    page = client_for("reviewer").get("/review/").get_data(as_text=True)
    order = [int(m) for m in re.findall(r'href="/proposals/(\d+)"', page)]
    assert order.index(late) < order.index(fresh)
    assert "quá hạn" in page and f"{due:%d/%m/%Y} · còn {left} ngày" in page
    overdue_only = client_for("reviewer").get("/review/?overdue=1").get_data(as_text=True)
    assert f'href="/proposals/{late}"' in overdue_only
    assert f'href="/proposals/{fresh}"' not in overdue_only


def test_the_proposal_page_shows_its_due_date_and_working_days_left(make_proposal, client_for,
                                                                    world):
    pid = make_proposal("submitted", now=now_vn())
    due, left = days_left(world, pid)
    page = client_for("unit1").get(f"/proposals/{pid}").get_data(as_text=True)
    shown = re.search(r'id="due".*?data-due="(\d{4}-\d{2}-\d{2})"', page, re.S)
    assert shown, "no due date on the page"
    assert shown.group(1) == due.isoformat()
    assert f"Hạn thẩm định {due:%d/%m/%Y} — còn {left} ngày làm việc" in page


def test_a_return_reaches_the_clerks_inbox_and_can_be_marked_read(make_proposal, world,
                                                                  client_for):
    pid = make_proposal("under_review", now=now_vn())
    with world.db.unit_of_work() as session:
        act(session, pid, "return", world.user(session, "reviewer"),
            reason="Thiếu bản sao quyết định công nhận sáng kiến")
    clerk = client_for("unit1")
    dashboard = clerk.get("/unit/").get_data(as_text=True)
    count = re.search(r'id="unread-count">(\d+)<', dashboard)
    assert count and int(count.group(1)) >= 1
    inbox = clerk.get("/notifications/").get_data(as_text=True)
    assert "Thiếu bản sao quyết định công nhận sáng kiến" in inbox
    assert f'href="/proposals/{pid}"' in inbox
    post_form(clerk, "/notifications/read", {}, page="/notifications/")
    assert 'id="unread-count"' not in clerk.get("/unit/").get_data(as_text=True)
    # Another user's inbox is their own: the reviewer sees nothing of it.
    assert "Thiếu bản sao" not in client_for("unit2").get("/notifications/").get_data(
        as_text=True)


def test_due_dates_in_the_queue_follow_the_language_of_each_reader(
        make_proposal, client_for, world):
    make_proposal("submitted", now=now_vn() - timedelta(days=40))
    fresh = make_proposal("submitted", now=now_vn())
    _, left = days_left(world, fresh)
    english = client_for("reviewer")
    switch(english, "en", from_page="/review/")
    page = english.get("/review/").get_data(as_text=True)
    assert re.search(r"overdue by \d+ working day\(s\)", page)
    assert f"{left} working day(s) left" in page
    assert "quá hạn" not in page and f"còn {left} ngày" not in page
    # The English reader's words are not kept for the next reader in Vietnamese.
    vietnamese = client_for("boardhead").get("/review/").get_data(as_text=True)
    assert f"còn {left} ngày" in vietnamese and "working day(s) left" not in vietnamese
