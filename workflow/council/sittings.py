"""The read side of Council sittings: who sees which, and the agenda with each nominee's
vote rule, tally and verdict. The secretary sees every sitting; a council member the
sittings they sit on (on the roster when it opened), once opened."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session, selectinload

from models import (
    AgendaItem,
    CouncilSession,
    Nominee,
    Proposal,
    SessionMember,
    SessionStatus,
    Tally,
)
from rules.council import Count, TallyRefused, Verdict, judge
from rules.schema import CouncilVote
from workflow.actors import Actor
from workflow.council.tallies import SECRETARY, present_count, vote_rule
from workflow.errors import N_, NotFound

MEMBER_STATUSES = (SessionStatus.OPEN, SessionStatus.CLOSED)



def visible_sittings(actor: Actor) -> Select[CouncilSession]:
    """The secretary sees every sitting; a member those they sit on, once opened."""
    query = select(CouncilSession)
    if not actor.active:
        return query.where(false())
    if SECRETARY in actor.roles:
        return query
    if "council_member" in actor.roles:
        return query.where(CouncilSession.status.in_(MEMBER_STATUSES), exists().where(
            SessionMember.session_id == CouncilSession.id, SessionMember.user_id == actor.id))
    return query.where(false())


def list_sittings(session: Session, actor: Actor) -> list[CouncilSession]:
    return list(session.scalars(visible_sittings(actor).options(
        selectinload(CouncilSession.items), selectinload(CouncilSession.members))
        .order_by(CouncilSession.sitting_date.desc(), CouncilSession.id.desc())))


def get(session: Session, session_id: int, actor: Actor) -> CouncilSession:
    """The sitting, or NotFound — also when this actor may not see it."""
    sitting = session.scalar(visible_sittings(actor).where(CouncilSession.id == session_id)
                             .options(selectinload(CouncilSession.items)
                                      .selectinload(AgendaItem.proposal)
                                      .selectinload(Proposal.nominees),
                                      selectinload(CouncilSession.members)
                                      .selectinload(SessionMember.user),
                                      selectinload(CouncilSession.tallies)))
    if sitting is None:
        raise NotFound(N_("Không tìm thấy phiên họp số %(id)s"), params={"id": session_id})
    return sitting


@dataclass(frozen=True)
class NomineeLine:
    nominee: Nominee
    rule: CouncilVote
    tally: Tally | None
    verdict: Verdict | None  # judged again from the tally, for its English explanation


@dataclass(frozen=True)
class AgendaLine:
    item: AgendaItem
    nominees: list[NomineeLine]

    @property
    def votable(self) -> bool:
        return not self.item.decided and self.item.proposal.state == "at_council"

    @property
    def ready(self) -> bool:
        """Every nominee tallied: the secretary may finalize."""
        return self.votable and all(n.tally is not None for n in self.nominees)


def agenda(sitting: CouncilSession) -> list[AgendaLine]:
    """The agenda with each nominee's vote rule, tally and verdict."""
    tallies = {t.nominee_id: t for t in sitting.tallies}
    present = present_count(sitting)
    lines = []
    for item in sitting.items:
        rows = []
        for n in item.proposal.nominees:
            rule, tally = vote_rule(item.proposal, n), tallies.get(n.id)
            rows.append(NomineeLine(n, rule, tally, _rejudge(rule, sitting.roster_size,
                                                             present, tally)))
        lines.append(AgendaLine(item, rows))
    return lines


def _rejudge(rule: CouncilVote, roster_size: int, present: int, tally: Tally | None
             ) -> Verdict | None:
    if tally is None:
        return None
    try:
        return judge(rule, roster_size, present, Count(
            tally.yes, tally.no, tally.invalid, tally.written_yes, tally.written_no))
    except TallyRefused:
        return None


def sitting_of(session: Session, proposal_id: int) -> CouncilSession | None:
    """The sitting a proposal is (or was last) on: a live one first, else the latest."""
    return session.scalar(
        select(CouncilSession).join(AgendaItem).where(AgendaItem.proposal_id == proposal_id)
        .order_by(AgendaItem.decided, CouncilSession.status == SessionStatus.CLOSED,
                  CouncilSession.id.desc())
        .limit(1))
