"""The sweep: apply every due escalation step exactly once, up to `BATCH` steps a
transaction.

Each unit of work claims the next due `pending` steps by index (`status, due_at`, in due
order), each locked together with its proposal by `FOR UPDATE SKIP LOCKED`: concurrent
sweepers each take different steps, and a step whose proposal someone holds (a user
acting on it, another sweeper) is left for later, so a claim never waits and a sweep cannot
deadlock with the service, which locks the proposal before the steps. On SQLite, write
transactions already run one at a time. A batch is a prefix of the due order holding at
most one step per proposal and none whose proposal still has an earlier rung pending, so
its steps never see each other's changes and a proposal's rungs apply in order. A step is
marked `done` in the same transaction as its audit event and notifications, so several
sweepers, a killed process or a rerun never apply it twice. When a batch fails, its steps
are retried one transaction each: the step at fault is rolled back, logged and passed over
until the next sweep, and the others are applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Exists,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, lazyload

from models import (
    AuditEvent,
    Deadline,
    DeadlineStep,
    Notification,
    OutboxMail,
    Proposal,
    StepStatus,
    User,
)
from models.db import Database
from models.fast_writes import inserted_ids
from rules.calendar import TZ
from workflow import machine
from workflow.accounts.substitutes import Recipient, routes
from workflow.actors import SYSTEM
from workflow.audit.chain import proposal_event_values, proposal_head_mac
from workflow.labels import term
from workflow.notifications.inbox import (
    delivery_values,
    message,
    routed,
    unit_clerks,
    users_with_role,
)
from workflow.proposals import service
from workflow.proposals.service import act

log = logging.getLogger(__name__)
Hook = Callable[[Session, "StepRow"], None]


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


@dataclass(frozen=True, slots=True)
class StepRow:
    """A claimed step as plain values: read as ORM objects with its deadline and proposal,
    the claim was a quarter of a step's cost."""
    id: int
    proposal_id: int
    action: str
    recipient: str
    reassign: bool
    step_index: int
    offset_days: int
    due_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    id: int
    kind: str
    due_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: int
    state: str
    version: int
    audit_seq: int
    audit_head: str | None
    assignee_id: int | None
    unit_id: int
    reference: str | None
    title: str
    assignee: User | None  # whom most rungs notify


Claimed = tuple[StepRow, DeadlineRow, ProposalRow]
_STEP: Table = DeadlineStep.__table__
_DEADLINE: Table = Deadline.__table__
_PROPOSAL: Table = Proposal.__table__
_STEP_COLUMNS = [f.name for f in fields(StepRow)]
_DEADLINE_COLUMNS = [f.name for f in fields(DeadlineRow)]
_PROPOSAL_COLUMNS = [f.name for f in fields(ProposalRow) if f.name != "assignee"]
_EARLIER = _STEP.alias("earlier")


def _after_pending(passed_over: set[int]) -> Exists:
    """An earlier rung of the same proposal is pending (but those passed over)."""
    earlier = exists().where(
        _EARLIER.c.proposal_id == _STEP.c.proposal_id,
        _EARLIER.c.status == StepStatus.PENDING.value,
        or_(_EARLIER.c.due_at < _STEP.c.due_at,
            and_(_EARLIER.c.due_at == _STEP.c.due_at, _EARLIER.c.id < _STEP.c.id)))
    return earlier.where(_EARLIER.c.id.not_in(passed_over)) if passed_over else earlier


def _claim(passed_over: set[int]) -> Select[Any]:
    """The next `size` (a bound parameter) steps due by `now` (another) not passed over,
    in due order, each locked together with its proposal, and whether an earlier rung of
    the proposal is still pending. A step whose proposal or step row another transaction
    holds (another sweeper, a user acting) is left out, so a claim never waits. The
    proposal is named first so that it is the one tried first: a proposal held elsewhere
    leaves its step unlocked for others."""
    stmt = (select(*(_STEP.c[c] for c in _STEP_COLUMNS),
                   *(_DEADLINE.c[c].label(f"d_{c}") for c in _DEADLINE_COLUMNS),
                   *(_PROPOSAL.c[c].label(f"p_{c}") for c in _PROPOSAL_COLUMNS),
                   _after_pending(passed_over).label("after_pending"))
            .select_from(_STEP.join(_DEADLINE, _DEADLINE.c.id == _STEP.c.deadline_id)
                         .join(_PROPOSAL, _PROPOSAL.c.id == _STEP.c.proposal_id))
            .where(_STEP.c.status == StepStatus.PENDING.value,
                   _STEP.c.due_at <= bindparam("now"))
            .order_by(_STEP.c.due_at, _STEP.c.id))
    if passed_over:
        stmt = stmt.where(_STEP.c.id.not_in(passed_over))
    return (stmt.limit(bindparam("size"))
            .with_for_update(of=[_PROPOSAL, _STEP], skip_locked=True))


def _rows(row: Any, assignees: dict[int, User]) -> Claimed:
    values = row._mapping
    return (StepRow(**{c: values[c] for c in _STEP_COLUMNS}),
            DeadlineRow(**{c: values[f"d_{c}"] for c in _DEADLINE_COLUMNS}),
            ProposalRow(**{c: values[f"p_{c}"] for c in _PROPOSAL_COLUMNS},
                        assignee=assignees.get(values["p_assignee_id"])))


# The usual case (nothing passed over) built once: building a statement costs about as
# much as running it.
_CLAIM_NEXT = _claim(set())
# Steps a transaction: enough that the ORM's flush and the commit are paid once for many
# steps, few enough that a user acting on one of the batch's proposals waits only briefly
# for its lock.
BATCH = 50


def count_due(database: Database, now: datetime) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(DeadlineStep).where(
            DeadlineStep.status == StepStatus.PENDING, DeadlineStep.due_at <= now)) or 0


def sweep(database: Database, now: datetime, *,
          progress: Callable[[StepOutcome], None] | None = None,
          before_commit: Hook | None = None, batch: int = BATCH) -> SweepReport:
    """Apply every step due by `now`, up to `batch` steps a transaction. `before_commit`
    runs after each step, inside its transaction (tests use it to stop a process there)."""
    report, passed_over = SweepReport(), set[int]()
    one_by_one = 0  # after a batch failed: its steps again, each in a transaction of its own
    while True:
        ran = run_batch(database, now, passed_over, 1 if one_by_one else batch, before_commit)
        if isinstance(ran, _Failed):
            one_by_one = ran.steps
            continue
        if not ran:
            for outcome in left_locked(database, now, passed_over):
                report.outcomes.append(outcome)
                if progress is not None:
                    progress(outcome)
            return report
        one_by_one = max(0, one_by_one - len(ran))
        for outcome in ran:
            if outcome.result == "failed":
                passed_over.add(outcome.step_id)  # next sweep
            report.outcomes.append(outcome)
            if progress is not None:
                progress(outcome)


@dataclass(frozen=True)
class _Failed:
    """A batch of several steps was rolled back: so many are to be retried one by one, so
    that the step at fault is found and the others still applied."""
    steps: int


def run_batch(database: Database, now: datetime, passed_over: set[int], size: int,
              before_commit: Hook | None = None) -> list[StepOutcome] | _Failed:
    """Claim and apply the next due steps (at most `size`) in one unit of work; an empty
    list when none is left."""
    claimed: list[tuple[int, int]] = []  # plain ids: the rows expire with a rollback
    try:
        with database.unit_of_work() as session:
            return apply_batch(session, now, passed_over, size, claimed, before_commit)
    except Exception as exc:
        if not claimed:
            raise  # the database itself failed: the scheduler retries the whole sweep
        if len(claimed) > 1:
            log.warning("a batch of %s escalation steps failed (%s); retrying one by one",
                        len(claimed), exc)
            return _Failed(len(claimed))
        step_id, proposal_id = claimed[0]
        log.exception("escalation step %s (proposal %s) failed", step_id, proposal_id)
        note_failure(database, step_id, exc)
        return [StepOutcome(step_id, proposal_id, "failed", error=str(exc) or repr(exc))]


def note_failure(database: Database, step_id: int, exc: Exception) -> None:
    with database.unit_of_work() as session:
        session.execute(update(DeadlineStep).where(
            DeadlineStep.id == step_id, DeadlineStep.status == StepStatus.PENDING).values(
            attempts=DeadlineStep.attempts + 1, last_error=(str(exc) or repr(exc))[:2000]))


def apply_batch(session: Session, now: datetime, passed_over: set[int], size: int,
                claimed: list[tuple[int, int]], before_commit: Hook | None = None
                ) -> list[StepOutcome]:
    """The next due steps, a prefix of the due order with one step per proposal: the batch
    ends before a second step of a proposal (whose deadline the first may close) and
    before a step whose proposal has an earlier rung pending that the claim could not
    take (another transaction holds it: applying the later one first would break the
    proposal's order). So the steps of one batch never see each other's changes."""
    claim = _claim(passed_over) if passed_over else _CLAIM_NEXT
    rows, seen = [], set()
    for row in session.connection().execute(claim, {"now": now, "size": size}):
        if row.after_pending or row.proposal_id in seen:
            break
        rows.append(row)
        seen.add(row.proposal_id)
    # The assignees (a handful of reviewers) in one query; their roles only when a rung
    # reassigns.
    ids = {row.p_assignee_id for row in rows if row.p_assignee_id is not None}
    assignees = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_(ids)).options(lazyload(User.role_rows)))} if ids else {}
    taken = [_rows(row, assignees) for row in rows]
    claimed.extend((step.id, step.proposal_id) for step, _, _ in taken)
    batch = Batch(now, routes(session, [p.assignee for _, _, p in taken if p.assignee], now))
    outcomes = []
    for step, deadline, proposal in taken:
        outcomes.append(apply_step(session, proposal, step, deadline, now, batch))
        if before_commit is not None:
            before_commit(session, step)
    batch.write(session)
    return outcomes


class Batch:
    """What a batch's reminders and escalations write, kept until the batch ends and then
    written with one statement per table: their audit events, inbox rows and mails, the
    steps done and their proposals' chain heads. As ORM objects and changes these were most
    of a step's cost (the unit of work's bookkeeping per row and column), so the objects
    read by the claim are left unchanged. Also each recipient's route, looked up once per
    batch."""

    def __init__(self, now: datetime, known: dict[int, Recipient]) -> None:
        self.now = now
        self.known = known
        self.events: list[dict[str, Any]] = []
        self.steps: list[StepRow] = []  # the step each event is for
        # (index of the event, the inbox row, its mail if any)
        self.notes: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
        self.proposals: list[dict[str, Any]] = []  # each event's proposal, moved on

    def event(self, step: StepRow, proposal: ProposalRow, values: dict[str, Any],
              assignee_id: int | None) -> int:
        """Keep the step's event (`values`), and its proposal's new chain head and
        assignee."""
        self.events.append(values)
        self.steps.append(step)
        self.proposals.append({
            "_id": proposal.id, "_version": proposal.version, "_next": proposal.version + 1,
            "audit_seq": values["seq"], "audit_head": values["hash"],
            "audit_mac": proposal_head_mac(proposal.id, values["seq"], values["hash"]),
            "updated_at": self.now,
            "assignee_id": assignee_id})
        return len(self.events) - 1

    def notify(self, event: int, to: Recipient, kind: str, proposal: ProposalRow,
               **extra: Any) -> None:
        note, mail = delivery_values(to, kind, message(to, kind, proposal, **extra),
                                     proposal.id, self.now)
        self.notes.append((event, note, mail))

    def write(self, session: Session) -> None:
        """Insert what is kept (in the order it was kept), and link each step to its
        event."""
        if not self.events:
            return
        conn = session.connection()
        service.move_heads(conn, self.proposals)
        event_ids = inserted_ids(conn, AuditEvent, self.events)
        _mark_done(conn, self.steps, event_ids, self.now)
        if self.notes:
            note_ids = inserted_ids(conn, Notification, [
                {**note, "audit_event_id": event_ids[event]} for event, note, _ in self.notes])
            mails = [{**mail, "notification_id": note_id}
                     for (_, _, mail), note_id in zip(self.notes, note_ids, strict=True) if mail]
            if mails:
                conn.execute(insert(OutboxMail), mails)
        self.events, self.steps, self.notes, self.proposals = [], [], [], []


_DONE = (update(_STEP).where(_STEP.c.id == bindparam("_id"))
         .values(status=bindparam("status"), applied_at=bindparam("applied_at"),
                 attempts=bindparam("attempts"), audit_event_id=bindparam("audit_event_id")))


def _mark_done(conn: Connection, steps: list[StepRow], event_ids: list[int],
               now: datetime) -> None:
    """Write the steps as done with their events in one executemany. Their objects are
    left as read: changed, each would cost the commit's flush a check of every column."""
    conn.execute(_DONE, [{"_id": step.id, "status": StepStatus.DONE.value, "applied_at": now,
                          "attempts": step.attempts + 1, "audit_event_id": event_id}
                         for step, event_id in zip(steps, event_ids, strict=True)])


def left_locked(database: Database, now: datetime, passed_over: set[int]
                ) -> list[StepOutcome]:
    """The due steps no claim could take because another transaction holds them or their
    proposal (another sweeper applying them, a user acting): the next sweep's."""
    stmt = (select(DeadlineStep.id, DeadlineStep.proposal_id)
            .where(DeadlineStep.status == StepStatus.PENDING, DeadlineStep.due_at <= now)
            .order_by(DeadlineStep.due_at, DeadlineStep.id))
    if passed_over:
        stmt = stmt.where(DeadlineStep.id.not_in(passed_over))
    with database.session() as session:
        return [StepOutcome(step_id, proposal_id, "busy")
                for step_id, proposal_id in session.execute(stmt)]


def apply_step(session: Session, proposal: ProposalRow, step: StepRow, deadline: DeadlineRow,
               now: datetime, batch: Batch) -> StepOutcome:
    # The deadline read by the claim is current: closing it cancels this step, which we hold.
    if deadline.closed_at is not None:
        session.execute(update(DeadlineStep).where(DeadlineStep.id == step.id)
                        .values(status=StepStatus.CANCELLED.value))
        return StepOutcome(step.id, step.proposal_id, "cancelled", step.action)
    return ACTIONS[step.action](session, proposal, step, deadline, now, batch)


# --- the actions ---------------------------------------------------------------------------

def targets(session: Session, proposal: ProposalRow, kind: str, to: str) -> list[User]:
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


def _recipients(session: Session, proposal: ProposalRow, step: StepRow,
                deadline: DeadlineRow, now: datetime, batch: Batch) -> list[Recipient]:
    # Nothing these lookups read is pending: without flushing, the batch is written once,
    # at its commit, instead of a step at a time.
    with session.no_autoflush:
        return routed(session, targets(session, proposal, deadline.kind, step.recipient), now,
                      known=batch.known)


def _remind(session: Session, proposal: ProposalRow, step: StepRow, deadline: DeadlineRow,
            now: datetime, batch: Batch) -> StepOutcome:
    recipients = _recipients(session, proposal, step, deadline, now, batch)
    event = batch.event(step, proposal, step_event(proposal, step, deadline, now, recipients),
                        proposal.assignee_id)
    for to in recipients:
        batch.notify(event, to, "remind", proposal, due_at=deadline.due_at,
                     deadline_kind=deadline.kind)
    return _outcome(step, proposal, recipients)


def _escalate(session: Session, proposal: ProposalRow, step: StepRow,
              deadline: DeadlineRow, now: datetime, batch: Batch) -> StepOutcome:
    recipients = _recipients(session, proposal, step, deadline, now, batch)
    new = _reassign_to(proposal, step, recipients)
    extra = {}
    if new is not None:
        extra = {"previous_assignee_id": proposal.assignee_id, "assignee_id": new.id}
    event = batch.event(step, proposal,
                        step_event(proposal, step, deadline, now, recipients, **extra),
                        new.id if new is not None else proposal.assignee_id)
    for to in recipients:
        batch.notify(event, to, "escalate", proposal, due_at=deadline.due_at,
                     deadline_kind=deadline.kind,
                     reassigned_to_name=new.full_name if new else None)
    return _outcome(step, proposal, recipients)


def _reassign_to(proposal: ProposalRow, step: StepRow,
                 recipients: list[Recipient]) -> User | None:
    """The first recipient who may review, when the rung reassigns a proposal in review."""
    if not step.reassign or proposal.state != "under_review":
        return None
    for to in recipients:
        if {r.value for r in to.user.roles} & machine.REVIEWERS:
            return None if to.user.id == proposal.assignee_id else to.user
    return None


def _auto_withdraw(session: Session, proposal: ProposalRow, step: StepRow,
                   deadline: DeadlineRow, now: datetime, batch: Batch) -> StepOutcome:
    row = session.get_one(DeadlineStep, step.id)
    # Done before acting, so that closing the deadline cancels only the other rungs: the
    # action's locking SELECT autoflushes this first.
    row.status, row.applied_at, row.attempts = StepStatus.DONE.value, now, step.attempts + 1
    if proposal.state not in machine.SPECS["withdraw"].sources:
        row.status = StepStatus.SKIPPED.value
        row.last_error = f"cannot withdraw from {proposal.state}"
        return StepOutcome(step.id, proposal.id, "skipped", step.action)
    reason = (f"Quá hạn {term('deadline', deadline.kind)} "
              f"({deadline.due_at.astimezone(TZ):%d/%m/%Y}): hệ thống tự động rút hồ sơ")
    batch.write(session)  # the events before this one get the lower ids, as in due order
    row.audit_event = act(session, proposal.id, "withdraw", SYSTEM, now=now, reason=reason)
    return _outcome(step, proposal, [])


def step_event(proposal: ProposalRow, step: StepRow, deadline: DeadlineRow, now: datetime,
               recipients: list[Recipient], **extra: object) -> dict[str, Any]:
    """The step's one audit event on the proposal's chain (its state unchanged), as column
    values."""
    payload = {
        "step_id": step.id, "step_index": step.step_index, "deadline_id": deadline.id,
        "kind": deadline.kind, "at": step.offset_days, "to": step.recipient,
        "due_at": deadline.due_at.isoformat(), "step_due_at": step.due_at.isoformat(),
        "recipients": [{"user_id": r.user.id, "name": r.user.full_name,
                        "for_user_id": r.for_user.id if r.for_user else None}
                       for r in recipients],
        **extra,
    }
    return proposal_event_values(proposal, step.action, proposal.state, SYSTEM, now,
                                 payload=payload)


def _outcome(step: StepRow, proposal: ProposalRow, recipients: list[Recipient]) -> StepOutcome:
    names = tuple(r.user.full_name + (f" (thay {r.for_user.full_name})" if r.for_user else "")
                  for r in recipients)
    return StepOutcome(step.id, proposal.id, "applied", step.action,
                       proposal.reference or f"#{proposal.id}", step.due_at, names)


Action = Callable[[Session, ProposalRow, StepRow, DeadlineRow, datetime, Batch], StepOutcome]
ACTIONS: dict[str, Action] = {
    "remind": _remind, "escalate": _escalate, "auto_withdraw": _auto_withdraw,
}
