"""Setting up a Council sitting through the service, for web and API tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from models.base import utcnow
from workflow.actors import Actor
from workflow.council import proceedings as council


def open_sitting(world: Any, pids: list[int], present: int = 7, opened: bool = True) -> int:
    """A sitting with `present` of the 7 members present and `pids` on its agenda; opened
    (at the real time, as the web acts) unless `opened` is False."""
    now = utcnow()
    with world.db.unit_of_work() as session:
        secretary = Actor.of(world.user(session, "secretary"))
        roster = council.roster(session)
        sitting = council.create(session, council.SittingInput(
            "Phiên họp thử", date(2022, 11, 20), "Hội trường UBND tỉnh",
            frozenset(m.id for m in roster[:present])), secretary, now)
        if pids:
            council.add_to_agenda(session, sitting.id, pids, secretary, now)
        if opened:
            council.open_sitting(session, sitting.id, secretary, now)
        return sitting.id
