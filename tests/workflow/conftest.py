"""Fixtures for deadlines, the sweep, notifications and the scheduler: a campaign with an
escalation ladder, a settable working-day calendar, and helpers that drive a proposal to a
state at an exact time. The real SMTP server on loopback is tests/support/smtp.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEvent, DeadlineStep, Notification, OutboxMail, User
from rules.calendar import WorkingCalendar
from tests.conftest import VN, World
from web.config import TRANSLATIONS
from workflow.campaigns.rulesets import load_ruleset_text
from workflow.deadlines.tracking import use_calendar, working_calendar
from workflow.labels import use_catalogue
from workflow.proposals.service import act

# The sweep's and the scheduler's mail names states and deadlines in each recipient's
# language, from the compiled catalogue, as `tdkt` and the web app load it.
use_catalogue(TRANSLATIONS)

LADDER_RULES = """
campaign: TEST-LADDER
title: Phong trào thử thời hạn và nhắc việc (chỉ dùng cho kiểm thử)
legal_basis: [Không — dữ liệu kiểm thử]
kind: regular
period: {starts: 2020-01-01, ends: 2030-12-31}
award_year: 2024
submission: {opens: 2020-01-01, closes: 2030-12-31}
review_sla_working_days: 10
council_sla_working_days: 15
resubmission_working_days: 5
escalation:
  - {at: -2, action: remind, to: assignee, applies_to: [review, council]}
  - {at: 0, action: escalate, to: board_head, reassign: true, applies_to: [review]}
  - {at: 5, action: escalate, to: council_secretary, applies_to: [review]}
  - {at: 0, action: auto_withdraw, to: unit_clerk, applies_to: [resubmission]}
awards:
  - form: BK_CT_UBND
    nominee: [individual, collective]
    required_documents: [to_trinh]
    council: {threshold: 0.7}
"""


def vn(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=VN)


def close_of(y: int, m: int, d: int) -> datetime:
    """17:00 in Vietnam (UTC+7) is 10:00 UTC."""
    return datetime(y, m, d, 10, 0, tzinfo=UTC)


@pytest.fixture
def calendar() -> Iterator[Callable[..., WorkingCalendar]]:
    """Set the process's calendar for one test (plain national holidays by default)."""
    before = working_calendar()

    def use(**kw: Any) -> WorkingCalendar:
        cal = WorkingCalendar(**kw)
        use_calendar(cal)
        return cal

    use()
    yield use
    use_calendar(before)


@pytest.fixture
def ladder(world: World, calendar: Callable[..., WorkingCalendar]) -> World:
    """The world plus TEST-LADDER: remind at T-2, escalate to the board head at T
    (reassigning), to the secretary at T+5, auto-withdraw a late resubmission."""
    with world.db.unit_of_work() as session:
        load_ruleset_text(session, LADDER_RULES, "test-ladder.yaml")
    return world


@pytest.fixture
def drive(world: World, make_proposal: Callable[..., int]) -> Callable[..., int]:
    """A TEST-LADDER proposal taken through `steps` [(who, trigger, payload)] at `at`."""

    def run(steps: list[tuple[str, str, dict[str, Any]]], at: datetime,
            campaign: str = "TEST-LADDER", created: datetime | None = None) -> int:
        pid = make_proposal("draft", campaign=campaign, now=created or at - timedelta(days=1))
        for who, trigger, payload in steps:
            fire(world, pid, who, trigger, at, **payload)
        return pid

    return run


def fire(world: World, pid: int, who: str, trigger: str, at: datetime, **payload: Any) -> None:
    with world.db.unit_of_work() as session:
        act(session, pid, trigger, world.user(session, who), now=at, **payload)


SUBMIT = [("unit1", "submit", {})]
CLAIM = [*SUBMIT, ("reviewer", "claim", {})]
RETURN = [*CLAIM, ("reviewer", "return", {"reason": "Thiếu biên bản họp xét"})]


def count(session: Any, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def totals(session: Any) -> tuple[int, int, int, int]:
    """Events, notifications, mails and applied steps: what a sweep may add."""
    return (count(session, AuditEvent), count(session, Notification),
            count(session, OutboxMail), count(session, DeadlineStep,
                                               DeadlineStep.status == "done"))


def inbox(session: Any, world: World, name: str, kind: str | None = None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == world.user_ids[name])
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(session.scalars(stmt.order_by(Notification.id)))


def set_language(world: World, name: str, language: str) -> None:
    with world.db.unit_of_work() as session:
        user = session.get(User, world.user_ids[name])
        assert user is not None
        user.language = language


