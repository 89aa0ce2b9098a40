"""The sweep: apply every due escalation step exactly once, each in its own transaction.

Each unit of work claims the next due `pending` step by index (`status, due_at`, in due
order) with `FOR UPDATE SKIP LOCKED`, so concurrent sweepers each take a different step,
then locks its proposal, again skipping it if someone holds it (a user acting on it, or
another sweeper): neither lock ever waits, so a sweep cannot deadlock with the service,
which locks the proposal before the steps. On SQLite, write transactions already run one
at a time. The step is marked `done` in the same transaction as its audit event and
notifications, so several sweepers, a killed process or a rerun never apply it twice. A
step that fails is rolled back, logged and passed over until the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from models import AuditEvent, Deadline, DeadlineStep, Proposal, StepStatus, User
from models.db import Database
from rules.calendar import TZ
from workflow import machine
from workflow.actors import SYSTEM
from workflow.audit import record_proposal_event
from workflow.deadlines import KIND_VI
from workflow.notifications import notify, routed, unit_clerks, users_with_role
from workflow.service import act
from workflow.substitutes import Recipient

log = logging.getLogger(__name__)
Hook = Callable[[Session, DeadlineStep], None]


@dataclass(frozen=True)
class StepOutcome:
    step_id: int
    proposal_id: int
    result: str  # applied | cancelled | skipped | busy | failed
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


# Due by the bound `now`, in due order.
_DUE = (select(DeadlineStep, Deadline).join(Deadline)
        .where(DeadlineStep.status == StepStatus.PENDING, DeadlineStep.due_at <= bindparam("now"))
        .order_by(DeadlineStep.due_at, DeadlineStep.id))


def _claim(passed_over: set[int]) -> Select[tuple[DeadlineStep, Deadline]]:
    """The next due step not passed over, locked unless another sweeper holds it."""
    stmt = _DUE.where(DeadlineStep.id.not_in(passed_over)) if passed_over else _DUE
    return (stmt.limit(1).with_for_update(of=DeadlineStep, skip_locked=True)
            .execution_options(populate_existing=True))


# The usual case (nothing passed over) built once: building a statement costs about as
# much as running it.
_CLAIM_NEXT = _claim(set())


def count_due(database: Database, now: datetime) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(DeadlineStep).where(
            DeadlineStep.status == StepStatus.PENDING, DeadlineStep.due_at <= now)) or 0


def sweep(database: Database, now: datetime, *,
          progress: Callable[[StepOutcome], None] | None = None,
          before_commit: Hook | None = None) -> SweepReport:
    """Apply every step due by `now`. `before_commit` runs inside each step's transaction
    (tests use it to stop a process mid-step)."""
    report, passed_over = SweepReport(), set[int]()
    while (outcome := run_next(database, now, passed_over, before_commit)) is not None:
        if outcome.result in ("busy", "failed"):
            passed_over.add(outcome.step_id)  # next sweep
        report.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return report


def run_next(database: Database, now: datetime, passed_over: set[int],
             before_commit: Hook | None = None) -> StepOutcome | None:
    """Claim and apply the next due step in a unit of work; None when none is left."""
    claimed: list[tuple[int, int]] = []  # plain ids: the rows expire with a rollback
    try:
        with database.unit_of_work() as session:
            return apply_next(session, now, passed_over, claimed, before_commit)
    except Exception as exc:
        if not claimed:
            raise  # the database itself failed: the scheduler retries the whole sweep
        step_id, proposal_id = claimed[0]
        log.exception("escalation step %s (proposal %s) failed", step_id, proposal_id)
        note_failure(database, step_id, exc)
        return StepOutcome(step_id, proposal_id, "failed", error=str(exc) or repr(exc))


def note_failure(database: Database, step_id: int, exc: Exception) -> None:
    with database.unit_of_work() as session:
        session.execute(update(DeadlineStep).where(
            DeadlineStep.id == step_id, DeadlineStep.status == StepStatus.PENDING).values(
            attempts=DeadlineStep.attempts + 1, last_error=(str(exc) or repr(exc))[:2000]))


def apply_next(session: Session, now: datetime, passed_over: set[int],
               claimed: list[tuple[int, int]], before_commit: Hook | None = None
               ) -> StepOutcome | None:
    claim = _claim(passed_over) if passed_over else _CLAIM_NEXT
    row = session.execute(claim, {"now": now}).first()
    if row is None:
        return None
    step, deadline = row
    claimed.append((step.id, step.proposal_id))
    proposal = lock_proposal(session, step.proposal_id)
    if proposal is None:
        return StepOutcome(step.id, step.proposal_id, "busy")
    # The deadline read above is current: closing it cancels this step, which we hold.
    if deadline.closed_at is not None:
        step.status = StepStatus.CANCELLED.value
        return StepOutcome(step.id, step.proposal_id, "cancelled", step.action)
    # Done before acting, so that closing the deadline (auto_withdraw) cancels only the
    # other rungs: the cancelling UPDATE autoflushes this first.
    step.status, step.applied_at, step.attempts = StepStatus.DONE.value, now, step.attempts + 1
    outcome = ACTIONS[step.action](session, proposal, step, deadline, now)
    if before_commit is not None:
        before_commit(session, step)
    return outcome


# Built once; the assignee (whom most rungs notify) comes in the same query, their roles
# only when a rung reassigns.
_LOCK_PROPOSAL = (select(Proposal).where(Proposal.id == bindparam("proposal_id"))
                  .options(joinedload(Proposal.assignee).lazyload(User.role_rows))
                  .with_for_update(skip_locked=True, of=Proposal)
                  .execution_options(populate_existing=True))


def lock_proposal(session: Session, proposal_id: int) -> Proposal | None:
    """The proposal, locked, unless another transaction holds it (skip it this time)."""
    return session.scalar(_LOCK_PROPOSAL, {"proposal_id": proposal_id})


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


def _recipients(session: Session, proposal: Proposal, step: DeadlineStep,
                deadline: Deadline, now: datetime) -> list[Recipient]:
    # Nothing these lookups read is pending: without flushing, the step is written once,
    # with its audit event, instead of twice.
    with session.no_autoflush:
        return routed(session, targets(session, proposal, deadline.kind, step.recipient), now)


def _remind(session: Session, proposal: Proposal, step: DeadlineStep, deadline: Deadline,
            now: datetime) -> StepOutcome:
    recipients = _recipients(session, proposal, step, deadline, now)
    event = record_step_event(session, proposal, step, deadline, now, recipients)
    for to in recipients:
        notify(session, to, "remind", proposal, event, now, due_at=deadline.due_at,
               deadline_kind=deadline.kind)
    return _outcome(step, proposal, recipients)


def _escalate(session: Session, proposal: Proposal, step: DeadlineStep,
              deadline: Deadline, now: datetime) -> StepOutcome:
    recipients = _recipients(session, proposal, step, deadline, now)
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


def _auto_withdraw(session: Session, proposal: Proposal, step: DeadlineStep,
                   deadline: Deadline, now: datetime) -> StepOutcome:
    if proposal.state not in machine.SPECS["withdraw"].sources:
        step.status = StepStatus.SKIPPED.value
        step.last_error = f"cannot withdraw from {proposal.state}"
        return StepOutcome(step.id, proposal.id, "skipped", step.action)
    reason = (f"Quá hạn {KIND_VI[deadline.kind]} "
              f"({deadline.due_at.astimezone(TZ):%d/%m/%Y}): hệ thống tự động rút hồ sơ")
    step.audit_event = act(session, proposal.id, "withdraw", SYSTEM, now=now, reason=reason)
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
    step.audit_event = event
    return event


def _outcome(step: DeadlineStep, proposal: Proposal, recipients: list[Recipient]) -> StepOutcome:
    names = tuple(r.user.full_name + (f" (thay {r.for_user.full_name})" if r.for_user else "")
                  for r in recipients)
    return StepOutcome(step.id, proposal.id, "applied", step.action,
                       proposal.reference or f"#{proposal.id}", step.due_at, names)


Action = Callable[[Session, Proposal, DeadlineStep, Deadline, datetime], StepOutcome]
ACTIONS: dict[str, Action] = {
    "remind": _remind, "escalate": _escalate, "auto_withdraw": _auto_withdraw,
}
