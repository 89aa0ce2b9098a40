"""Deadlines as rows: opened and closed on transitions, due in working days.

A proposal's stays in timed states each get one `Deadline` row and one `DeadlineStep` row
per rung of the pinned rule set's escalation ladder. The kinds:

- `review`: opens on `submitted` (submit, resubmit, or a Council's send back to
  `under_review`) and stays open through `claim` and `reassign`: the Board's clock starts
  when the unit files, not when a reviewer picks the file up. It closes when the Board
  returns or forwards the proposal (or the unit withdraws it).
- `council`: open while `at_council`.
- `resubmission`: open while `returned`. Since `resubmit` is refused once the submission
  window has closed, this deadline never runs past the window's close (midnight after
  its last day) when the window was still open on return: the window closing is when an
  `auto_withdraw` step then fires.

Due times are the close of the N-th working day (`rules.calendar`), stored in UTC. A
step `at` N working days from the due time falls at the close of that working day.
Deadlines never move when a campaign's rules change, unless an admin recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from models import Deadline, DeadlineStep, Proposal, StepStatus, fast_writes
from models.membership import among
from rules.calendar import TZ, WorkingCalendar, load_calendar
from rules.loader import CompiledRuleSet
from rules.schema import RuleSet
from workflow.campaigns.rulesets import compiled_by_id
from workflow.errors import Text
from workflow.labels import term, text

KIND_OF_STATE = {"submitted": "review", "under_review": "review", "at_council": "council",
                 "returned": "resubmission"}

_calendar: WorkingCalendar | None = None


def use_calendar(calendar: WorkingCalendar) -> None:
    """Set this process's working-day calendar (from TDKT_CALENDAR_FILE, at start-up)."""
    global _calendar
    _calendar = calendar


def working_calendar() -> WorkingCalendar:
    """The configured calendar; the shipped province calendar until one is set."""
    global _calendar
    if _calendar is None:
        _calendar = load_calendar()
    return _calendar


@dataclass(frozen=True)
class PlannedStep:
    index: int
    action: str
    recipient: str
    reassign: bool
    offset_days: int
    due_at: datetime


# --- computing ----------------------------------------------------------------------------

def sla_days(rules: RuleSet, kind: str) -> int:
    return {"review": rules.review_sla_working_days,
            "council": rules.council_sla_working_days,
            "resubmission": rules.resubmission_working_days}[kind]


def window_end(rules: RuleSet) -> datetime:
    """The moment submissions stop: midnight after the window's last day (as the submit
    check counts it)."""
    day_after = rules.submission.closes + timedelta(days=1)
    return datetime.combine(day_after, time(0), TZ).astimezone(UTC)


def compute_due(rules: RuleSet, kind: str, start: datetime, cal: WorkingCalendar) -> datetime:
    due = cal.add_working_days(start, sla_days(rules, kind))
    if kind == "resubmission" and start < window_end(rules):
        due = min(due, window_end(rules))
    return due


def shift_working_days(due: datetime, days: int, cal: WorkingCalendar) -> datetime:
    """The close of the working day `days` working days after (or before) `due`'s day."""
    if days >= 0:
        return due if days == 0 else cal.add_working_days(due, days)
    day, counted = due.astimezone(TZ).date(), 0
    while counted < -days:
        day -= timedelta(days=1)
        counted += cal.is_working_day(day)
    return datetime.combine(day, cal.end_of_day, TZ).astimezone(UTC)


def plan_steps(rules: RuleSet, kind: str, started_at: datetime, due: datetime,
               cal: WorkingCalendar) -> list[PlannedStep]:
    """The ladder's rungs for this kind; a rung that would fall before the deadline
    started (a reminder longer than the time limit) is left out."""
    plan = []
    for index, step in enumerate(rules.escalation):
        if kind not in step.applies_to:
            continue
        at = shift_working_days(due, step.at, cal)
        if at > started_at:
            plan.append(PlannedStep(index, step.action, step.to, step.reassign, step.at, at))
    return plan


# --- opening and closing on transitions ----------------------------------------------------

@dataclass(frozen=True)
class DeadlineChange:
    """What a transition does to a proposal's clock, the new deadline not yet written."""

    deadline: Deadline | None  # the open deadline kept, if the transition keeps one
    opening: dict[str, Any] | None = None  # a new deadline's column values
    steps: tuple[PlannedStep, ...] = ()  # and its steps


# Built once, bound per call: building a statement and its cache key costs more than
# running it, and these run in most actions.
_INSERT_STEPS = insert(DeadlineStep.__table__)
_CLOSE = (update(Deadline.__table__)
          .where(Deadline.__table__.c.id == bindparam("_deadline"))
          .values(closed_at=bindparam("_at")))
_CANCEL_STEPS = (update(DeadlineStep)
                 .where(DeadlineStep.deadline_id == bindparam("_deadline"),
                        DeadlineStep.status == StepStatus.PENDING)
                 .values(status=StepStatus.CANCELLED.value))


def write_changes(session: Session, changes: list[DeadlineChange]) -> list[Deadline | None]:
    """Write the new deadlines and their steps (one executemany); each change's open
    deadline after it. The steps are read back through `Deadline.steps` when needed."""
    new = fast_writes.add_rows(session, Deadline,
                               [c.opening for c in changes if c.opening is not None])
    if any(d.id is None for d in new):
        session.flush()  # the steps need their deadline's id
    opened = iter(new)
    after = [next(opened) if c.opening is not None else c.deadline for c in changes]
    steps = [step_values(d, planned) for c, d in zip(changes, after, strict=True)
             if d is not None for planned in c.steps]
    if steps:
        session.connection().execute(_INSERT_STEPS, steps)
    return after


def on_transition(session: Session, proposal: Proposal, from_state: str | None,
                  now: datetime, *, pinned: tuple[int, CompiledRuleSet] | None = None
                  ) -> Deadline | None:
    """Close the open deadline when the proposal leaves its kind; open the next one.
    `pinned`: a rule-set version (id, compiled) the caller already holds."""
    change = change_on_transition(session, proposal, from_state,
                                  open_deadline(session, proposal.id), now, pinned)
    return write_changes(session, [change])[0]


def change_on_transition(session: Session, proposal: Proposal, from_state: str | None,
                         current: Deadline | None, now: datetime,
                         pinned: tuple[int, CompiledRuleSet] | None = None, *,
                         fast: bool = False) -> DeadlineChange:
    """`on_transition` given the open deadline (`open_deadline`, looked up before the
    change), the old one closed and the new one left to `write_changes`. `fast`: the
    caller writes a batch past the unit of work (`models.fast_writes`)."""
    old_kind, new_kind = KIND_OF_STATE.get(from_state or ""), KIND_OF_STATE.get(proposal.state)
    if current is not None and old_kind == new_kind:
        return DeadlineChange(current)  # e.g. claim: submitted → under_review keeps the clock
    if current is not None:
        close(session, current, now, fast=fast)
    if not new_kind:
        return DeadlineChange(None)
    return _opening(session, proposal, new_kind, now, pinned)


_OPEN_DEADLINE = (select(Deadline).where(Deadline.proposal_id == bindparam("proposal_id"),
                                          Deadline.closed_at.is_(None))
                  .order_by(Deadline.id.desc()).limit(1))


def open_deadline(session: Session, proposal_id: int) -> Deadline | None:
    return session.scalars(_OPEN_DEADLINE, {"proposal_id": proposal_id}).first()


def open_deadlines(session: Session, proposal_ids: list[int]) -> dict[int, Deadline]:
    """`open_deadline` of each proposal that has one, in one query for many."""
    if len(proposal_ids) == 1:
        found = open_deadline(session, proposal_ids[0])
        return {found.proposal_id: found} if found else {}
    rows = session.scalars(select(Deadline).where(
        among(session, Deadline.proposal_id, proposal_ids), Deadline.closed_at.is_(None))
        .order_by(Deadline.id))
    return {d.proposal_id: d for d in rows}  # the latest wins, as in open_deadline


def _opening(session: Session, proposal: Proposal, kind: str, now: datetime,
             pinned: tuple[int, CompiledRuleSet] | None = None) -> DeadlineChange:
    version_id = proposal.ruleset_version_id
    assert version_id is not None
    if pinned is not None and pinned[0] == version_id:
        compiled_rules = pinned[1]
    else:
        compiled_rules = compiled_by_id(session, version_id)
    rules, cal = compiled_rules.rules, working_calendar()
    due = compute_due(rules, kind, now, cal)
    opening = {"proposal_id": proposal.id, "kind": kind, "state": proposal.state,
               "ruleset_version_id": version_id, "started_at": now, "due_at": due,
               "closed_at": None}
    return DeadlineChange(None, opening, tuple(plan_steps(rules, kind, now, due, cal)))


def close(session: Session, deadline: Deadline, now: datetime, *, fast: bool = False
          ) -> None:
    """Close the deadline and cancel its pending steps, through the ORM, so that step
    objects the session holds show the cancellation too. `fast`: the deadline's own row
    is written at once, not left to the flush (one of a batch)."""
    if fast:
        session.connection().execute(_CLOSE, {"_deadline": deadline.id, "_at": now})
        fast_writes.written(deadline, closed_at=now)
    else:
        deadline.closed_at = now
    session.execute(_CANCEL_STEPS, {"_deadline": deadline.id})


def step_values(deadline: Deadline, planned: PlannedStep) -> dict[str, Any]:
    """A written deadline's step, as the column values of its new row."""
    return {"deadline_id": deadline.id, "proposal_id": deadline.proposal_id,
            "step_index": planned.index, "action": planned.action,
            "recipient": planned.recipient, "reassign": planned.reassign,
            "offset_days": planned.offset_days, "due_at": planned.due_at,
            "status": StepStatus.PENDING.value, "attempts": 0}


def step_row(deadline: Deadline, planned: PlannedStep) -> DeadlineStep:
    return DeadlineStep(**step_values(deadline, planned))


# --- showing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueInfo:
    """A proposal's open time limit as a person reads it."""

    kind: str
    due_at: datetime
    due_date: date
    overdue: bool
    working_days_left: int  # working days after today up to the due day (0: due today)
    overdue_by: int         # working days past the due day (0 when not, or due today)
    # The due day's year has no official schedule in the calendar file: the count of
    # working days is the calendar's estimate (rules.calendar.WorkingCalendar.is_estimated).
    estimated: bool = False

    @property
    def label(self) -> Text:
        """The sentence beside the badge (Hạn thẩm định 16/02/2024 — còn 2 ngày làm việc),
        in the reader's language when shown (web.i18n.text_of, workflow.labels.text_in)."""
        if not self.overdue:
            rest = (text("due", "today") if self.working_days_left == 0
                    else text("due", "days_left", n=self.working_days_left))
        else:
            rest = (text("due", "days_late", n=self.overdue_by) if self.overdue_by
                    else text("due", "late"))
        return text("due", "deadline", kind=term("deadline", self.kind),
                    date=f"{self.due_date:%d/%m/%Y}", rest=rest)


def describe(deadline: Deadline, now: datetime, cal: WorkingCalendar | None = None) -> DueInfo:
    cal = cal or working_calendar()
    today, due_day = now.astimezone(TZ).date(), deadline.due_at.astimezone(TZ).date()
    overdue = now >= deadline.due_at
    left = 0 if overdue else max(0, cal.working_days_between(today, due_day))
    late = max(0, cal.working_days_between(due_day, today)) if overdue else 0
    return DueInfo(deadline.kind, deadline.due_at, due_day, overdue, left, late,
                   cal.is_estimated(due_day))


def due_info(session: Session, proposal: Proposal | int, now: datetime) -> DueInfo | None:
    """The proposal's open time limit, or None when no clock runs on it."""
    proposal_id = proposal if isinstance(proposal, int) else proposal.id
    deadline = open_deadline(session, proposal_id)
    return describe(deadline, now) if deadline else None


def due_infos(session: Session, proposal_ids: list[int], now: datetime) -> dict[int, DueInfo]:
    """`due_info` for many proposals in one query (lists and queues)."""
    rows = session.scalars(select(Deadline).where(
        Deadline.proposal_id.in_(proposal_ids), Deadline.closed_at.is_(None)))
    cal = working_calendar()
    return {d.proposal_id: describe(d, now, cal) for d in rows}


def upcoming_steps(session: Session, proposal_id: int) -> list[DeadlineStep]:
    """The reminders and escalations still to come on the proposal's open deadline."""
    return list(session.scalars(select(DeadlineStep).join(Deadline).where(
        DeadlineStep.proposal_id == proposal_id, Deadline.closed_at.is_(None),
        DeadlineStep.status == StepStatus.PENDING).order_by(DeadlineStep.due_at)))


@dataclass(frozen=True)
class QueueRow:
    proposal: Proposal
    due: DueInfo | None


def board_queue(session: Session, now: datetime, *,
                states: tuple[str, ...] = ("submitted", "under_review"),
                assignee_id: int | None = None, campaign_id: int | None = None,
                overdue_only: bool = False, due_within_days: int | None = None
                ) -> list[QueueRow]:
    """Proposals waiting for the Board, soonest due first (those with no clock last).
    `due_within_days` keeps those due by the close of that many working days from now
    (the overdue ones included)."""
    stmt = (select(Proposal, Deadline)
            .outerjoin(Deadline, and_(Deadline.proposal_id == Proposal.id,
                                      Deadline.closed_at.is_(None)))
            .where(Proposal.state.in_(states)))
    if assignee_id is not None:
        stmt = stmt.where(Proposal.assignee_id == assignee_id)
    if campaign_id is not None:
        stmt = stmt.where(Proposal.campaign_id == campaign_id)
    if overdue_only:
        stmt = stmt.where(Deadline.due_at <= now)
    if due_within_days is not None:
        limit = working_calendar().add_working_days(now, due_within_days)
        stmt = stmt.where(Deadline.due_at <= limit)
    stmt = stmt.order_by(Deadline.due_at.is_(None), Deadline.due_at, Proposal.id)
    cal = working_calendar()
    return [QueueRow(p, describe(d, now, cal) if d else None) for p, d in session.execute(stmt)]
