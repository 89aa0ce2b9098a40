"""Shared by the public-notice tests: the TEST-NOTICE campaign and the secretary's steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Campaign, Notice, Objection
from models.base import utcnow
from rules.calendar import TZ
from tests.conftest import VN, World
from workflow.campaigns.rulesets import load_ruleset_file
from workflow.notices import publication as notices

NOTICE_CAMPAIGN = Path(__file__).parents[1] / "data" / "test-notice.yaml"
# make_proposal walks from CDS_NOW (Tue 15/11/2022) one day per step: at the Council on
# Fri 18/11, approved on Sat 19/11. The notices are published the Monday after.
MONDAY = datetime(2022, 11, 21, 9, 0, tzinfo=VN)


@pytest.fixture
def notice_world(world: World) -> World:
    """The world plus TEST-NOTICE: BK_CT_UBND published 3 working days before the vote,
    GIAY_KHEN 5 working days before the decision, LDTT never."""
    with world.db.unit_of_work() as session:
        load_ruleset_file(session, NOTICE_CAMPAIGN)
    return world


def person(name: str, form: str = "BK_CT_UBND") -> dict[str, Any]:
    return {"kind": "individual", "full_name": name, "award_form": form,
            "years_in_service": 5, "position": "Chuyên viên"}


def publish(world: World, form: str, now: datetime = MONDAY,
            campaign: str = "TEST-NOTICE") -> tuple[int, datetime]:
    """The secretary publishes the form's list; returns the notice's id and end."""
    with world.db.unit_of_work() as session:
        notice = notices.publish(session, world.user(session, "secretary"),
                                 campaign_id(session, campaign), form, now)
        return notice.id, notice.ends_at


def campaign_id(session: Any, code: str) -> int:
    found = session.scalar(select(Campaign.id).where(Campaign.code == code))
    assert found is not None
    return found


def after(notice_end: datetime) -> datetime:
    """The next morning after a notice's end."""
    return notice_end + timedelta(hours=16)


def entries(world: World, notice_id: int) -> list[str]:
    with world.db.session() as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None
        return [e.full_name for e in notice.entries]


def now_local():
    return utcnow().astimezone(TZ)


def at_council(make_proposal, *names, days_ago=5):
    return make_proposal("at_council", campaign="TEST-NOTICE",
                         nominees=[person(n) for n in names], now=now_local() - timedelta(days_ago))


def objections(world):
    with world.db.session() as session:
        return list(session.scalars(select(Objection).order_by(Objection.id)))
