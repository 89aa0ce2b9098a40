"""The due date and the working days left that the pages show agree with the calendar for
every day a proposal could be submitted on, 2025 to 2027 (holidays, Tết, weekends and the
days after them included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from flask import Flask, session
from jinja2 import Template

from models import Deadline
from rules.calendar import load_calendar
from tests.conftest import VN
from tests.support.calendar import working_days_after
from web.app import create_app
from workflow.deadlines.tracking import describe

REVIEW_DAYS = 10  # the shipped campaigns' review time limit
BADGE = re.compile(r'data-due="([\d-]+)"[^>]*>(\d{2}/\d{2}/\d{4}) · (.+?)</span>')
TEMPLATE = ("{% from '_macros.html' import due_badge %}{{ due_badge(due) }}"
            "|{{ text_of(due.label) }}")


def every_day(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@pytest.fixture
def page_app(tmp_path) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite'}",
                      "STORAGE_DIR": str(tmp_path), "SECRET_KEY": "t", "TESTING": True})
    yield app
    app.extensions["tdkt_db"].dispose()


def shown(template: Template, due_at: datetime, today: datetime) -> tuple[str, str, str, str]:
    """What a Vietnamese reader's queue badge and proposal page say about the deadline."""
    info = describe(Deadline(kind="review", due_at=due_at), today)
    html = template.render(due=info)
    badge = BADGE.search(html)
    assert badge, html
    return badge.group(1), badge.group(2), badge.group(3), html.rsplit("|", 1)[1]


def test_every_submission_day_of_2025_to_2027_shows_the_calendars_due_date(page_app):
    calendar = load_calendar()
    checked = 0
    template = page_app.jinja_env.from_string(TEMPLATE)
    with page_app.test_request_context("/"):
        for day in every_day(date(2025, 1, 1), date(2027, 12, 31)):
            submitted = datetime.combine(day, time(9, 0), VN)
            due_at = calendar.add_working_days(submitted, REVIEW_DAYS)
            due_day = due_at.astimezone(VN).date()
            # The calendar's own answer, counted again straight from `holidays`.
            assert working_days_after(day, due_day) == REVIEW_DAYS, day
            for later in (0, 1, 6, 15, 30):
                today = submitted + timedelta(days=later)
                iso, text_date, badge, label = shown(template, due_at, today)
                assert (iso, text_date) == (due_day.isoformat(), f"{due_day:%d/%m/%Y}"), day
                if today.date() < due_day:
                    left = working_days_after(today.date(), due_day)
                    assert badge == f"còn {left} ngày", (day, later)
                    assert label.endswith(f"còn {left} ngày làm việc"), (day, later)
                elif today.date() == due_day:
                    assert badge == "còn 0 ngày" and label.endswith("hết hạn hôm nay"), day
                else:
                    late = working_days_after(due_day, today.date())
                    assert badge == f"quá hạn {late} ngày", (day, later)
                checked += 1
    assert checked == 1095 * 5


def test_a_due_date_in_a_year_without_an_official_schedule_says_it_is_estimated(page_app):
    template = page_app.jinja_env.from_string("{% from '_macros.html' import due_badge %}"
                                              "{{ due_badge(due) }}")
    today = datetime(2026, 12, 7, 9, 0, tzinfo=VN)
    firm = describe(Deadline(kind="review", due_at=datetime(2026, 12, 21, 17, tzinfo=VN)), today)
    guessed = describe(Deadline(kind="review", due_at=datetime(2027, 1, 8, 17, tzinfo=VN)), today)
    assert (firm.estimated, guessed.estimated) == (False, True)
    with page_app.test_request_context("/"):
        assert "dự kiến" not in template.render(due=firm)
        shown = template.render(due=guessed)
        assert ">dự kiến</span>" in shown and "chưa có lịch nghỉ chính thức" in shown
    with page_app.test_request_context("/"):
        session["lang"] = "en"  # as the EN switch in the top bar sets it
        assert ">estimated</span>" in template.render(due=guessed)
