"""Who may see which decision, and the lists the decision pages show.

Decisions are published documents, but tdkt shows them to the people who work with
them: the Board, the Council (secretary and members) and admins see every decision; a
unit clerk sees the decisions that list at least one nominee of their own unit (the
whole decision, as it is published); nobody else sees any.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, exists, false, func, select
from sqlalchemy.orm import Session, selectinload

from models import Decision, DecisionEntry, Nominee, NoticeStage, Proposal, User
from workflow.actors import Actor, as_actor
from workflow.decisions import coverage
from workflow.errors import N_, NotFound
from workflow.notices import publication as notices
from workflow.proposals import queries
from workflow.proposals.queries import STAFF

READERS = STAFF | {"council_member"}


def visible(actor: Actor) -> Select[Decision]:
    query = select(Decision)
    if not actor.active:
        return query.where(false())
    if actor.roles & READERS:
        return query
    if "unit_clerk" in actor.roles and actor.unit_id is not None:
        return query.where(exists().where(
            DecisionEntry.decision_id == Decision.id,
            DecisionEntry.proposal_id == Proposal.id, Proposal.unit_id == actor.unit_id))
    return query.where(false())


def get_visible(session: Session, decision_id: int, who: User | Actor) -> Decision:
    decision = session.scalar(visible(as_actor(who)).where(Decision.id == decision_id)
                              .options(selectinload(Decision.campaign)))
    if decision is None:
        raise NotFound(N_("Không tìm thấy quyết định số hiệu %(id)s"), params={"id": decision_id})
    return decision


def list_visible(session: Session, who: User | Actor, campaign_id: int | None = None,
                 limit: int = 200, offset: int = 0) -> list[Decision]:
    query = visible(as_actor(who)).options(selectinload(Decision.campaign))
    if campaign_id is not None:
        query = query.where(Decision.campaign_id == campaign_id)
    return list(session.scalars(query.order_by(Decision.signed_on.desc(), Decision.id.desc())
                                .limit(limit).offset(offset)))


def entry_counts(session: Session, ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(DecisionEntry.decision_id, func.count())
                           .where(DecisionEntry.decision_id.in_(ids))
                           .group_by(DecisionEntry.decision_id))
    return {decision_id: count for decision_id, count in rows}


def entries_page(session: Session, decision_id: int, limit: int = 500,
                 offset: int = 0) -> list[DecisionEntry]:
    return list(session.scalars(select(DecisionEntry)
                                .where(DecisionEntry.decision_id == decision_id)
                                .order_by(DecisionEntry.position).limit(limit).offset(offset)))


def proposals_of(session: Session, decision_id: int, who: User | Actor) -> list[Proposal]:
    """The proposals the decision lists, those of them this actor may see."""
    listed = select(DecisionEntry.proposal_id).where(DecisionEntry.decision_id == decision_id)
    return list(session.scalars(queries.visible(as_actor(who))
                                .where(Proposal.id.in_(listed)).order_by(Proposal.id)))


def of_proposal(session: Session, proposal_id: int, who: User | Actor) -> list[Decision]:
    """The decisions listing a nominee of the proposal that this actor may see, oldest
    first (a correction after the decision it corrects)."""
    listed = select(DecisionEntry.decision_id).where(DecisionEntry.proposal_id == proposal_id)
    return list(session.scalars(visible(as_actor(who)).where(Decision.id.in_(listed))
                                .order_by(Decision.signed_on, Decision.id)))


def corrections(session: Session, decision: Decision) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.corrects_id == decision.id))


def corrected_by(session: Session, ids: list[int]) -> dict[int, Decision]:
    """For each of these decisions that was corrected, the decision correcting it."""
    rows = session.scalars(select(Decision).where(Decision.corrects_id.in_(ids))
                           .order_by(Decision.id))
    return {d.corrects_id: d for d in rows if d.corrects_id is not None}


@dataclass(frozen=True)
class Candidate:
    """An approved proposal and its passed nominees still awaiting a decision."""

    proposal: Proposal
    nominees: list[Nominee]
    blocked: list[str] = field(default_factory=list)  # why a decision may not list it yet


def candidates(session: Session, campaign_id: int, award_form: str | None,
               now: datetime) -> list[Candidate]:
    proposals = session.scalars(
        select(Proposal).where(Proposal.campaign_id == campaign_id,
                               Proposal.state == "approved")
        .options(selectinload(Proposal.nominees), selectinload(Proposal.unit))
        .order_by(Proposal.id)).all()
    awaiting = coverage.awaiting_each(session, proposals)
    found = []
    for p in proposals:
        waiting = [n for n in awaiting[p.id] if award_form in (None, "", n.award_form_code)]
        if waiting:
            found.append(Candidate(p, waiting, notices.gate_problems(
                session, p, NoticeStage.BEFORE_DECISION, now)))
    return found
