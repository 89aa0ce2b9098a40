"""Read-side questions the UI and API ask: who may see what, lists, counts, timelines.

Visibility is decided here, once: a clerk sees their own unit's proposals; the Board,
the Council secretary and admins see every filed proposal (drafts stay with their unit);
council members see the proposals on the agendas of the sittings they sit on, once
those sittings are open (and after they close).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, and_, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import (
    AgendaItem,
    AuditEvent,
    Campaign,
    CouncilSession,
    Deadline,
    Proposal,
    Role,
    RuleSetVersion,
    SessionMember,
    SessionStatus,
    Unit,
    User,
    UserRole,
)
from models.membership import among
from rules.calendar import TZ
from rules.checks import Finding, run_checks
from workflow import machine
from workflow.actors import Actor, as_actor
from workflow.campaigns.rulesets import compiled
from workflow.deadlines.tracking import DueInfo, due_infos
from workflow.errors import N_, NotFound
from workflow.proposals.facts import proposal_facts
from workflow.proposals.search import fold
from workflow.proposals.service import check_proposal

STAFF = frozenset({"board_reviewer", "board_head", "council_secretary", "admin"})
COUNCIL_STATES = ("at_council", "approved", "rejected", "decided")
PAGE_SIZE = 50
# What a list shows of each proposal, in the list's own query: its unit, campaign and
# assignee (whose roles a list never reads).
LISTED = (joinedload(Proposal.unit), joinedload(Proposal.campaign),
          joinedload(Proposal.assignee).lazyload(User.role_rows))
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1) and whether more follow."""
    rows: list[T]
    number: int
    size: int
    has_next: bool

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1


def _one_page(session: Session, query: Select[Proposal], number: int,
              size: int) -> tuple[list[Proposal], int, bool]:
    """A page of the query's proposals, loaded with what a list shows (`LISTED`), and
    whether another page follows (one row past the page says so, without counting them
    all). The page's ids are sorted out first, on their own, then only its rows loaded:
    a queue of thousands sorted as whole rows with their unit, campaign and assignee
    took most of the page's time at a province's size."""
    number = max(1, number)
    ids = list(session.scalars(
        query.with_only_columns(Proposal.id, maintain_column_froms=True)
        .offset((number - 1) * size).limit(size + 1)))
    shown = ids[:size]
    if not shown:
        return [], number, False
    loaded = {p.id: p for p in session.scalars(
        select(Proposal).where(Proposal.id.in_(shown)).options(*LISTED))}
    return [loaded[i] for i in shown], number, len(ids) > size


@dataclass(frozen=True)
class ProposalFilter:
    campaign_id: int | None = None
    state: str | None = None
    unit_id: int | None = None
    assignee_id: int | None = None
    search: str | None = None
    unit_search: str | None = None  # part of a unit's name or code; review_queue only


def visible(actor: Actor) -> Select[Proposal]:
    """Every proposal this actor may see, as a query to refine."""
    query = select(Proposal)
    if actor.roles & STAFF:
        return query.where(Proposal.state != "draft")
    if "unit_clerk" in actor.roles and actor.unit_id is not None:
        return query.where(Proposal.unit_id == actor.unit_id)
    if "council_member" in actor.roles:
        return query.where(Proposal.id.in_(on_my_sittings(actor)))
    return query.where(false())


def on_my_sittings(actor: Actor) -> Select[int]:
    """Ids of the proposals on open or closed sittings this member sits on."""
    return (select(AgendaItem.proposal_id)
            .join(CouncilSession, CouncilSession.id == AgendaItem.session_id)
            .join(SessionMember, SessionMember.session_id == CouncilSession.id)
            .where(SessionMember.user_id == actor.id,
                   CouncilSession.status.in_((SessionStatus.OPEN, SessionStatus.CLOSED))))


def get_visible(session: Session, proposal_id: int, who: User | Actor) -> Proposal:
    """The proposal, or NotFound — also when it exists but is not this actor's to see."""
    actor = as_actor(who)
    proposal = session.scalar(
        visible(actor).where(Proposal.id == proposal_id)
        .options(selectinload(Proposal.nominees), selectinload(Proposal.documents),
                 joinedload(Proposal.unit), joinedload(Proposal.campaign),
                 # The version's key and number, not its stored YAML and JSON: the
                 # compiled rule set is cached per process (workflow.rulesets).
                 joinedload(Proposal.ruleset_version).load_only(
                     RuleSetVersion.id, RuleSetVersion.campaign_id, RuleSetVersion.version,
                     RuleSetVersion.source_sha256))
    )
    if proposal is None or not actor.active:
        raise NotFound(N_("Không tìm thấy hồ sơ số %(id)s"), params={"id": proposal_id})
    return proposal


def list_proposals(session: Session, who: User | Actor, filters: ProposalFilter | None = None,
                   limit: int = 200) -> list[Proposal]:
    query = _filtered(as_actor(who), filters or ProposalFilter())
    query = query.options(*LISTED)
    return list(session.scalars(query.order_by(Proposal.updated_at.desc()).limit(limit)))


def proposals_page(session: Session, who: User | Actor, filters: ProposalFilter, page: int,
                   size: int = PAGE_SIZE) -> Page[Proposal]:
    """`list_proposals` a page at a time, most recently changed first."""
    query = (_filtered(as_actor(who), filters)
             .order_by(Proposal.updated_at.desc(), Proposal.id.desc()))
    rows, number, more = _one_page(session, query, page, size)
    return Page(rows, number, size, more)


@dataclass(frozen=True)
class ListedProposal:
    proposal: Proposal
    due: DueInfo | None


def review_queue(session: Session, who: User | Actor, filters: ProposalFilter, now: datetime,
                 states: tuple[str, ...], overdue_only: bool = False, page: int = 1,
                 size: int = PAGE_SIZE) -> Page[ListedProposal]:
    """The Board's queue, a page at a time: soonest due first, proposals with no running
    clock last."""
    query = _filtered(as_actor(who), filters)
    matching = units_matching(session, filters.unit_search) if filters.unit_search else None
    if matching is not None:
        # "huyen" matches most of a province's units: one array, not an IN list.
        query = query.where(among(session, Proposal.unit_id, matching))
    if not filters.state:
        query = query.where(Proposal.state.in_(states))
    query = query.outerjoin(Deadline, and_(Deadline.proposal_id == Proposal.id,
                                           Deadline.closed_at.is_(None)))
    if overdue_only:
        query = query.where(Deadline.due_at <= now)
    query = query.order_by(Deadline.due_at.is_(None), Deadline.due_at, Proposal.id)
    rows, number, more = _one_page(session, query, page, size)
    return Page(with_due(session, rows, now), number, size, more)


def due_map(session: Session, rows: list[Proposal], now: datetime) -> dict[int, DueInfo]:
    return due_infos(session, [p.id for p in rows], now)


def with_due(session: Session, rows: list[Proposal], now: datetime) -> list[ListedProposal]:
    dues = due_infos(session, [p.id for p in rows], now)
    return [ListedProposal(p, dues.get(p.id)) for p in rows]


def _filtered(actor: Actor, f: ProposalFilter) -> Select[Proposal]:
    query = visible(actor)
    if f.campaign_id:
        query = query.where(Proposal.campaign_id == f.campaign_id)
    if f.state:
        query = query.where(Proposal.state == f.state)
    if f.unit_id:
        query = query.where(Proposal.unit_id == f.unit_id)
    if f.assignee_id:
        query = query.where(Proposal.assignee_id == f.assignee_id)
    if f.search:
        pattern = f"%{f.search.strip()}%"
        query = query.where(Proposal.title.ilike(pattern) | Proposal.reference.ilike(pattern))
    return query


def state_counts(session: Session, who: User | Actor) -> dict[str, int]:
    actor = as_actor(who)
    sub = visible(actor).subquery()
    rows = session.execute(select(sub.c.state, func.count()).group_by(sub.c.state))
    return dict(Counter({state: count for state, count in rows}))


def timeline(session: Session, proposal_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == proposal_id)
                                .order_by(AuditEvent.seq)))


# Events the proposal page lists unless asked for all of them: a proposal reminded and
# escalated for months has hundreds, which made its page slow to render and to read.
TIMELINE_SHOWN = 50


def timeline_lines(session: Session, proposal_id: int, last: int | None = None
                   ) -> list[Row[*tuple[Any, ...]]]:
    """The timeline as the proposal page shows it, oldest first: plain rows without the
    payload or the hash chain; only the `last` ones when given. Each row also carries
    `total`, the number of events in all."""
    e = AuditEvent
    stmt = select(e.occurred_at, e.actor_name, e.on_behalf_of_id, e.action, e.from_state,
                  e.to_state, e.reason, func.count().over().label("total")
                  ).where(e.proposal_id == proposal_id)
    if last is None:
        return list(session.execute(stmt.order_by(e.seq)))
    return list(reversed(session.execute(stmt.order_by(e.seq.desc()).limit(last)).all()))


def open_campaigns(session: Session, with_rules: bool = False) -> list[Campaign]:
    query = select(Campaign).where(Campaign.active_ruleset_id.is_not(None))
    if with_rules:  # one query for every active rule set, not one per campaign
        query = query.options(selectinload(Campaign.active_ruleset))
    return list(session.scalars(query.order_by(Campaign.code)))


def accepting_campaigns(session: Session, now: datetime) -> list[Campaign]:
    """Campaigns whose submission window has not closed (in Vietnam's calendar)."""
    today = now.astimezone(TZ).date()
    return [c for c in open_campaigns(session, with_rules=True)
            if c.active_ruleset and today <= compiled(c.active_ruleset).rules.submission.closes]


def units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.name)))


def units_matching(session: Session, text: str) -> list[int] | None:
    """Ids of the units whose name or code holds `text`, blind to case and diacritics
    (`workflow.search.fold`), which SQL `LIKE` is not on SQLite; only the unit whose code
    it is, when it is one unit's whole code (so "SNV" is that unit even if another's name
    held it). None when `text` holds nothing to match (only marks or spaces). A province
    has hundreds of units, not millions: they are matched here, not in the database."""
    needle = fold(text)
    if not needle:
        return None
    rows = [(uid, fold(code), fold(name))
            for uid, code, name in session.execute(select(Unit.id, Unit.code, Unit.name))]
    exact = [uid for uid, code, _ in rows if code == needle]
    return exact or [uid for uid, code, name in rows if needle in name or needle in code]


def reviewers(session: Session) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole).where(
            UserRole.role.in_([Role.BOARD_REVIEWER, Role.BOARD_HEAD]), User.active)
        .distinct().order_by(User.full_name)))


def substitutable_users(session: Session) -> list[User]:
    """Active users who handle proposals and so may be away or stand in: reviewers, board
    heads and Council secretaries."""
    roles = [Role.BOARD_REVIEWER, Role.BOARD_HEAD, Role.COUNCIL_SECRETARY]
    return list(session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(roles), User.active)
        .distinct().order_by(User.full_name)))


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def summary(p: Proposal) -> dict[str, Any]:
    return {"id": p.id, "reference": p.reference, "title": p.title, "state": p.state,
            "version": p.version, "unit_id": p.unit_id, "campaign_id": p.campaign_id}


def findings_for(session: Session, proposal: Proposal, now: datetime) -> list[Finding]:
    """What the campaign's rules say about the proposal now.

    A draft or returned proposal is checked against the campaign's active rule set (that is
    what a submit would use); a filed one against the version it was submitted under, and
    without the submission window, which no longer concerns it.
    """
    if proposal.state in machine.EDITABLE_STATES:
        return check_proposal(session, proposal, now)
    rules = compiled(proposal.ruleset_version)
    findings = run_checks(rules, proposal_facts(session, proposal, rules), now)
    return [f for f in findings if f.code not in ("window_closed", "quota_exceeded")]
