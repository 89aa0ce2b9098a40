"""The sweep: apply every due escalation step exactly once, each in its own transaction.

Due steps are read by index (`status, due_at`) in due order. For each, a unit of work
locks the proposal first — skipping it if another process holds it (`FOR UPDATE SKIP
LOCKED` on PostgreSQL; SQLite's write transactions already run one at a time) — then
re-reads the step under lock: only a `pending` step of an open deadline is applied, and it
is marked `done` in the same transaction as its audit event and notifications, so
several sweepers, a killed process or a rerun never apply a step twice. The lock order
(proposal, then step) is the service's, so a sweep never deadlocks with a user's action.
A step that fails is rolled back, counted and logged, and retried on the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from models import AuditEvent, Deadline, DeadlineStep, Proposal, StepStatus, User
from models.db import Database
from rules.calendar import TZ
from workflow import machine
from workflow.actors import SYSTEM
from workflow.audit import record_proposal_event
from workflow.deadlines import KIND_VI
from workflow.notifications import notify, routed, unit_clerks, users_with_role
from workflow.service import act, load_for_update
from workflow.substitutes import Recipient

log = logging.getLogger(__name__)
BATCH = 200
Hook = Callable[[Session, DeadlineStep], None]


@dataclass(frozen=True)
class StepOutcome:
    step_id: int
    proposal_id: int
    result: str  # applied | cancelled | skipped | busy | already | failed
    action: str = ""
    reference: str = ""
    due_at: datetime | None = None
    recipients: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class SweepReport:
    outcomes: list[StepOutcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def applied(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.result == "applied"]


def due_steps(database: Database, now: datetime) -> Iterator[tuple[int, int]]:
    """(step id, proposal id) of each pending step due by `now`, in due order."""
    after: tuple[datetime, int] | None = None
    while True:
        stmt = select(DeadlineStep.id, DeadlineStep.proposal_id, DeadlineStep.due_at).where(
            DeadlineStep.status == StepStatus.PENDING, DeadlineStep.due_at <= now)
        if after is not None:  # keyset paging: steps applied meanwhile don't shift pages
            stmt = stmt.where(or_(DeadlineStep.due_at > after[0], and_(
                DeadlineStep.due_at == after[0], DeadlineStep.id > after[1])))
        with database.session() as session:
            rows = session.execute(stmt.order_by(DeadlineStep.due_at, DeadlineStep.id)
                                   .limit(BATCH)).all()
        if not rows:
            return
        yield from ((r.id, r.proposal_id) for r in rows)
        after = (rows[-1].due_at, rows[-1].id)


def count_due(database: Database, now: datetime) -> int:
    return sum(1 for _ in due_steps(database, now))


def sweep(database: Database, now: datetime, *,
          progress: Callable[[StepOutcome], None] | None = None,
          before_commit: Hook | None = None) -> SweepReport:
    """Apply every step due by `now`. `before_commit` runs inside each step's transaction
    (tests use it to stop a process mid-step)."""
    report = SweepReport()
    for step_id, proposal_id in due_steps(database, now):
        outcome = run_step(database, step_id, proposal_id, now, before_commit)
        report.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return report


def run_step(database: Database, step_id: int, proposal_id: int, now: datetime,
             before_commit: Hook | None = None) -> StepOutcome:
    try:
        with database.unit_of_work() as session:
            return apply_step(session, step_id, proposal_id, now, before_commit)
    except Exception as exc:  # one step's failure must not stop the others
        log.exception("escalation step %s (proposal %s) failed", step_id, proposal_id)
        note_failure(database, step_id, exc)
        return StepOutcome(step_id, proposal_id, "failed", error=str(exc) or repr(exc))


def note_failure(database: Database, step_id: int, exc: Exception) -> None:
    with database.unit_of_work() as session:
        session.execute(update(DeadlineStep).where(
            DeadlineStep.id == step_id, DeadlineStep.status == StepStatus.PENDING).values(
            attempts=DeadlineStep.attempts + 1, last_error=(str(exc) or repr(exc))[:2000]))


def apply_step(session: Session, step_id: int, proposal_id: int, now: datetime,
               before_commit: Hook | None = None) -> StepOutcome:
    if not lock_proposal(session, proposal_id):
        return StepOutcome(step_id, proposal_id, "busy")
    step = session.scalar(select(DeadlineStep).where(DeadlineStep.id == step_id)
                          .with_for_update().execution_options(populate_existing=True))
    if step is None or step.status != StepStatus.PENDING or step.due_at > now:
        return StepOutcome(step_id, proposal_id, "already")
    deadline = session.get(Deadline, step.deadline_id, populate_existing=True)
    assert deadline is not None
    if deadline.closed_at is not None:
        step.status = StepStatus.CANCELLED.value
        return StepOutcome(step_id, proposal_id, "cancelled", step.action)
    step.status, step.applied_at, step.attempts = StepStatus.DONE.value, now, step.attempts + 1
    session.flush()  # done before acting: closing the deadline cancels only the others
    outcome = ACTIONS[step.action](session, step, deadline, now)
    if before_commit is not None:
        before_commit(session, step)
    return outcome


def lock_proposal(session: Session, proposal_id: int) -> bool:
    """Lock the proposal unless another transaction holds it (then skip it this time)."""
    found = session.scalar(select(Proposal.id).where(Proposal.id == proposal_id)
                           .with_for_update(skip_locked=True))
    return found is not None


# --- the actions ---------------------------------------------------------------------------

def targets(session: Session, proposal: Proposal, kind: str, to: str) -> list[User]:
    """Whom a rung names. `assignee` is whoever must act on this deadline: the reviewer
    (the board heads while nobody has claimed it), the Council secretaries, or the unit's
    clerks for a resubmission."""
    if to == "assignee":
        if kind == "review":
            return [proposal.assignee] if proposal.assignee else users_with_role(
                session, "board_head")
        to = {"council": "council_secretary", "resubmission": "unit_clerk"}[kind]
    if to == "unit_clerk":
        return unit_clerks(session, proposal.unit_id)
    return users_with_role(session, to)


def _remind(session: Session, step: DeadlineStep, deadline: Deadline,
            now: datetime) -> StepOutcome:
    proposal = load_for_update(session, step.proposal_id)
    recipients = routed(session, targets(session, proposal, deadline.kind, step.recipient), now)
    event = record_step_event(session, proposal, step, deadline, now, recipients)
    for to in recipients:
        notify(session, to, "remind", proposal, event, now, due_at=deadline.due_at,
               deadline_kind=deadline.kind)
    return _outcome(step, proposal, recipients)


def _escalate(session: Session, step: DeadlineStep, deadline: Deadline,
              now: datetime) -> StepOutcome:
    proposal = load_for_update(session, step.proposal_id)
    recipients = routed(session, targets(session, proposal, deadline.kind, step.recipient), now)
    new = _reassign_to(proposal, step, recipients)
    extra = {}
    if new is not None:
        extra = {"previous_assignee_id": proposal.assignee_id, "assignee_id": new.id}
        proposal.assignee_id = new.id
    event = record_step_event(session, proposal, step, deadline, now, recipients, **extra)
    for to in recipients:
        notify(session, to, "escalate", proposal, event, now, due_at=deadline.due_at,
               deadline_kind=deadline.kind, reassigned_to_name=new.full_name if new else None)
    return _outcome(step, proposal, recipients)


def _reassign_to(proposal: Proposal, step: DeadlineStep,
                 recipients: list[Recipient]) -> User | None:
    """The first recipient who may review, when the rung reassigns a proposal in review."""
    if not step.reassign or proposal.state != "under_review":
        return None
    for to in recipients:
        if {r.value for r in to.user.roles} & machine.REVIEWERS:
            return None if to.user.id == proposal.assignee_id else to.user
    return None


def _auto_withdraw(session: Session, step: DeadlineStep, deadline: Deadline,
                   now: datetime) -> StepOutcome:
    proposal = load_for_update(session, step.proposal_id)
    if proposal.state not in machine.SPECS["withdraw"].sources:
        step.status = StepStatus.SKIPPED.value
        step.last_error = f"cannot withdraw from {proposal.state}"
        return StepOutcome(step.id, proposal.id, "skipped", step.action)
    reason = (f"Quá hạn {KIND_VI[deadline.kind]} "
              f"({deadline.due_at.astimezone(TZ):%d/%m/%Y}): hệ thống tự động rút hồ sơ")
    event = act(session, proposal.id, "withdraw", SYSTEM, now=now, reason=reason)
    step.audit_event_id = event.id
    return _outcome(step, proposal, [])


def record_step_event(session: Session, proposal: Proposal, step: DeadlineStep,
                      deadline: Deadline, now: datetime, recipients: list[Recipient],
                      **extra: object) -> AuditEvent:
    """The step's one audit event on the proposal's chain (its state unchanged)."""
    payload = {
        "step_id": step.id, "step_index": step.step_index, "deadline_id": deadline.id,
        "kind": deadline.kind, "at": step.offset_days, "to": step.recipient,
        "due_at": deadline.due_at.isoformat(), "step_due_at": step.due_at.isoformat(),
        "recipients": [{"user_id": r.user.id, "name": r.user.full_name,
                        "for_user_id": r.for_user.id if r.for_user else None}
                       for r in recipients],
        **extra,
    }
    event = record_proposal_event(session, proposal, step.action, proposal.state, SYSTEM, now,
                                  payload=payload)
    session.flush()
    step.audit_event_id = event.id
    return event


def _outcome(step: DeadlineStep, proposal: Proposal, recipients: list[Recipient]) -> StepOutcome:
    names = tuple(r.user.full_name + (f" (thay {r.for_user.full_name})" if r.for_user else "")
                  for r in recipients)
    return StepOutcome(step.id, proposal.id, "applied", step.action,
                       proposal.reference or f"#{proposal.id}", step.due_at, names)


ACTIONS: dict[str, Callable[[Session, DeadlineStep, Deadline, datetime], StepOutcome]] = {
    "remind": _remind, "escalate": _escalate, "auto_withdraw": _auto_withdraw,
}
