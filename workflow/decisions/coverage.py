"""Which passed nominees still await a decision, and the dates a decision may carry.

Shared by `workflow.decisions` (before a decision is written) and the service's
`issue_decision` step (before a proposal is marked decided), so the rules live once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DecisionEntry, Nominee, Outcome, Proposal
from models.membership import among
from rules.calendar import TZ
from workflow.errors import N_, InvalidInput

CHUNK = 5_000


def check_signing_date(signed: date, decided_at: datetime | None, now: datetime) -> None:
    """Not in the future, not before the Council decided."""
    if signed > now.astimezone(TZ).date():
        raise InvalidInput(N_("Ngày quyết định %(signed)s không được sau ngày hôm nay"),
                           params={"signed": f"{signed:%d/%m/%Y}"})
    if decided_at is not None and signed < decided_at.astimezone(TZ).date():
        raise InvalidInput(N_("Ngày quyết định %(signed)s không được trước ngày Hội đồng xét "
                              "(%(decided)s)"),
                           params={"signed": f"{signed:%d/%m/%Y}",
                                   "decided": f"{decided_at.astimezone(TZ):%d/%m/%Y}"})


def in_a_decision(session: Session, nominee_ids: Iterable[int]) -> set[int]:
    """The nominees already listed in an issued decision."""
    ids = list(nominee_ids)
    done: set[int] = set()
    for start in range(0, len(ids), CHUNK):  # within every driver's limit on parameters
        done.update(session.scalars(select(DecisionEntry.nominee_id).where(
            among(session, DecisionEntry.nominee_id, ids[start:start + CHUNK]))))
    return done


def awaiting(session: Session, nominees: Iterable[Nominee]) -> list[Nominee]:
    """The passed nominees not yet in any decision."""
    passed = [n for n in nominees if n.outcome == Outcome.PASSED]
    done = in_a_decision(session, [n.id for n in passed])
    return [n for n in passed if n.id not in done]


def awaiting_each(session: Session, proposals: Iterable[Proposal]) -> dict[int, list[Nominee]]:
    """`awaiting` for each proposal (by id): one query per 5,000 passed nominees, not one
    per proposal."""
    passed = {p.id: [n for n in p.nominees if n.outcome == Outcome.PASSED] for p in proposals}
    done = in_a_decision(session, [n.id for ns in passed.values() for n in ns])
    return {pid: [n for n in ns if n.id not in done] for pid, ns in passed.items()}
