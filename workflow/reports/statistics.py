"""A campaign's figures: proposals and nominees by unit, state and award form, the
Council's pass rates, time spent in each state, and deadlines met or missed.

Who sees what is decided here, once: the Board, the Council secretary and admins see
every unit (or one they pick); a unit clerk sees their own unit only; council members see
none (they read the dossiers of their sittings, not the province's figures). Drafts are
counted for nobody: a draft has not been filed, so it is no part of a campaign's figures.

Counts are GROUP BY queries. Time in state reads one row per stay (a window over the
proposals' state-changing audit events) and takes the median here, as SQLite has no
percentile function; the tables themselves are plain data for any view to render.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from models import AuditEvent, Campaign, Deadline, Nominee, Outcome, Proposal, Unit, User
from models.base import UTCDateTime
from workflow import machine
from workflow.actors import Actor, as_actor
from workflow.deadlines.tracking import KIND_OF_STATE
from workflow.errors import N_, NotFound, PermissionDenied

STAFF = frozenset({"board_reviewer", "board_head", "council_secretary", "admin"})
VIEWERS = STAFF | {"unit_clerk"}
TABLES = ("by_unit", "by_state", "by_award", "pass_by_award", "pass_by_unit",
          "time_in_state", "deadlines")
# A stay in a final state never ends, and a draft is not counted: neither has a duration.
TIMED_STATES = tuple(s for s in machine.STATES
                     if s != machine.INITIAL and s not in machine.FINAL_STATES)
DEADLINE_KINDS = tuple(dict.fromkeys(KIND_OF_STATE.values()))
DAY = 86400.0

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One table: `columns` are codes (the first names what the rows are about: unit,
    state, award_form or kind); rates are fractions (0–1), durations days."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class CampaignStatistics:
    campaign_code: str
    campaign_title: str
    unit_id: int | None     # the figures are of this unit only; None: every unit
    unit_name: str | None
    now: datetime
    proposals: int
    nominees: int
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        found = next((t for t in self.tables if t.name == name), None)
        if found is None:
            raise NotFound(N_("Không có bảng thống kê “%(name)s”"), params={"name": name})
        return found


@dataclass(frozen=True)
class CampaignCount:
    code: str
    title: str
    proposals: int


@dataclass(frozen=True)
class _Scope:
    campaign_id: int | None
    unit_id: int | None

    def where(self) -> list[ColumnElement[bool]]:
        conditions = [Proposal.state != machine.INITIAL]
        if self.campaign_id is not None:
            conditions.append(Proposal.campaign_id == self.campaign_id)
        if self.unit_id is not None:
            conditions.append(Proposal.unit_id == self.unit_id)
        return conditions


def unit_in_view(who: User | Actor, unit_id: int | None = None) -> int | None:
    """The unit whose figures this actor may see (None: all units); PermissionDenied for
    someone who may see none, or a clerk asking for another unit."""
    actor = as_actor(who)
    if not actor.active:
        raise PermissionDenied(N_("Tài khoản đã bị khoá"))
    if actor.roles & STAFF:
        return unit_id
    if "unit_clerk" in actor.roles and actor.unit_id is not None:
        if unit_id is not None and unit_id != actor.unit_id:
            raise PermissionDenied(N_("Bạn chỉ được xem thống kê của đơn vị mình"))
        return actor.unit_id
    raise PermissionDenied(N_("Vai trò của bạn không được xem thống kê"))


def campaign_counts(session: Session, who: User | Actor) -> list[CampaignCount]:
    """Every campaign, with the number of filed proposals this actor's figures count."""
    scope = _Scope(None, unit_in_view(who))
    counted = (select(Proposal.campaign_id, func.count().label("n"))
               .where(*scope.where()).group_by(Proposal.campaign_id).subquery())
    rows = session.execute(select(Campaign.code, Campaign.title, func.coalesce(counted.c.n, 0))
                           .outerjoin(counted, counted.c.campaign_id == Campaign.id)
                           .order_by(Campaign.code))
    return [CampaignCount(code, title, n) for code, title, n in rows]


def campaign_statistics(session: Session, who: User | Actor, campaign_code: str,
                        now: datetime, unit_id: int | None = None) -> CampaignStatistics:
    """Every table of one campaign, as this actor may see it, at `now`."""
    unit = unit_in_view(who, unit_id)
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    if campaign is None:
        raise NotFound(N_("Không tìm thấy phong trào %(code)s"), params={"code": campaign_code})
    unit_name = session.scalar(select(Unit.name).where(Unit.id == unit)) if unit else None
    if unit is not None and unit_name is None:
        raise NotFound(N_("Không tìm thấy đơn vị số %(id)s"), params={"id": unit})
    scope = _Scope(campaign.id, unit)
    by_state = _by_state(session, scope)
    tables = (_by_unit(session, scope), by_state, _by_award(session, scope),
              _pass_rates(session, scope, "award_form"), _pass_rates(session, scope, "unit"),
              _time_in_state(session, scope, now), _deadlines(session, scope, now))
    return CampaignStatistics(
        campaign.code, campaign.title, unit, unit_name, now,
        proposals=sum(int(r[1] or 0) for r in by_state.rows),
        nominees=sum(int(r[2] or 0) for r in by_state.rows), tables=tables)


# --- counts -------------------------------------------------------------------------------

def _counts(session: Session, scope: _Scope, key: Any, *group: Any) -> list[Any]:
    stmt = (select(key, func.count(distinct(Proposal.id)), func.count(Nominee.id))
            .select_from(Proposal).join(Unit, Unit.id == Proposal.unit_id)
            .outerjoin(Nominee, Nominee.proposal_id == Proposal.id)
            .where(*scope.where()).group_by(*group))
    return list(session.execute(stmt))


def _by_unit(session: Session, scope: _Scope) -> Table:
    rows = _counts(session, scope, Unit.name, Unit.id, Unit.name)
    return Table("by_unit", ("unit", "proposals", "nominees"),
                 tuple((name, p, n) for name, p, n in sorted(rows, key=lambda r: r[0])))


def _by_state(session: Session, scope: _Scope) -> Table:
    found = {state: (p, n) for state, p, n in _counts(session, scope, Proposal.state,
                                                       Proposal.state)}
    return Table("by_state", ("state", "proposals", "nominees"),
                 tuple((s, *found[s]) for s in machine.STATES if s in found))


def _by_award(session: Session, scope: _Scope) -> Table:
    stmt = (select(Nominee.award_form_code, func.count(distinct(Proposal.id)),
                   func.count(Nominee.id))
            .join(Proposal, Proposal.id == Nominee.proposal_id)
            .where(*scope.where()).group_by(Nominee.award_form_code)
            .order_by(Nominee.award_form_code))
    return Table("by_award", ("award_form", "proposals", "nominees"),
                 tuple((code, p, n) for code, p, n in session.execute(stmt)))


def _pass_rates(session: Session, scope: _Scope, by: str) -> Table:
    """Nominees the Council passed out of those it decided (a nominee sent back to the
    Board is pending again, so it counts as undecided)."""
    passed = func.sum(case((Nominee.outcome == Outcome.PASSED, 1), else_=0))
    rejected = func.sum(case((Nominee.outcome == Outcome.REJECTED, 1), else_=0))
    key, group = ((Nominee.award_form_code, (Nominee.award_form_code,)) if by == "award_form"
                  else (Unit.name, (Unit.id, Unit.name)))
    stmt = (select(key, func.count(Nominee.id), passed, rejected)
            .select_from(Nominee).join(Proposal, Proposal.id == Nominee.proposal_id)
            .join(Unit, Unit.id == Proposal.unit_id)
            .where(*scope.where()).group_by(*group))
    rows = []
    for name, nominees, yes, no in sorted(session.execute(stmt), key=lambda r: r[0]):
        yes, no = int(yes or 0), int(no or 0)
        rows.append((name, nominees, yes + no, yes, no, _rate(yes, yes + no)))
    return Table(f"pass_by_{'award' if by == 'award_form' else 'unit'}",
                 (by, "nominees", "decided", "passed", "rejected", "pass_rate"), tuple(rows))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- time in state ------------------------------------------------------------------------

def _time_in_state(session: Session, scope: _Scope, now: datetime) -> Table:
    """Each stay runs from the event that entered the state to the next state change
    (or to `now` while the proposal is still there); edits and reassignments, which keep
    the state, neither start nor end one."""
    changes = (select(AuditEvent.to_state, AuditEvent.occurred_at,
                      func.lead(AuditEvent.occurred_at, type_=UTCDateTime()).over(
                          partition_by=AuditEvent.proposal_id, order_by=AuditEvent.seq
                      ).label("left_at"))
               .join(Proposal, Proposal.id == AuditEvent.proposal_id)
               .where(*scope.where(), AuditEvent.to_state.is_not(None),
                      or_(AuditEvent.from_state.is_(None),
                          AuditEvent.from_state != AuditEvent.to_state))
               .subquery())
    stays: dict[str, list[float]] = {s: [] for s in TIMED_STATES}
    ongoing: dict[str, int] = dict.fromkeys(TIMED_STATES, 0)
    for state, entered, left in session.execute(
            select(changes.c.to_state, changes.c.occurred_at, changes.c.left_at)
            .where(changes.c.to_state.in_(TIMED_STATES))):
        ongoing[state] += left is None
        stays[state].append(max(0.0, ((left or now) - entered).total_seconds() / DAY))
    rows = tuple((s, len(days), ongoing[s], _days(statistics.fmean(days)),
                  _days(statistics.median(days))) for s, days in stays.items() if days)
    return Table("time_in_state",
                 ("state", "stays", "ongoing", "mean_days", "median_days"), rows)


def _days(value: float) -> float:
    return round(value, 1)


# --- deadlines ----------------------------------------------------------------------------

def _deadlines(session: Session, scope: _Scope, now: datetime) -> Table:
    """Met: closed by its due time. Missed: closed after it, or still open past it.
    Running: open and not yet due."""
    closed, open_ = Deadline.closed_at.is_not(None), Deadline.closed_at.is_(None)
    met = _count_if(closed & (Deadline.closed_at <= Deadline.due_at))
    late = _count_if(closed & (Deadline.closed_at > Deadline.due_at))
    overdue = _count_if(open_ & (Deadline.due_at <= now))
    running = _count_if(open_ & (Deadline.due_at > now))
    stmt = (select(Deadline.kind, met, late, overdue, running)
            .join(Proposal, Proposal.id == Deadline.proposal_id)
            .where(*scope.where()).group_by(Deadline.kind))
    found = {kind: tuple(int(v or 0) for v in rest) for kind, *rest in session.execute(stmt)}
    rows = []
    for kind in [*DEADLINE_KINDS, *sorted(set(found) - set(DEADLINE_KINDS))]:
        if kind in found:
            m, la, o, r = found[kind]
            rows.append((kind, m + la + o + r, m, la + o, la, o, r, _rate(m, m + la + o)))
    return Table("deadlines", ("kind", "total", "met", "missed", "closed_late",
                               "open_overdue", "running", "met_rate"), tuple(rows))


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def column(table: Table, name: str) -> Sequence[Cell]:
    """One column's values, in row order (for charts)."""
    index = table.columns.index(name)
    return [row[index] for row in table.rows]
