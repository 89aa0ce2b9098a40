"""Move a campaign's open deadlines to its active rule set, on an admin's request only.

`recompute(..., apply=False)` is the preview: what would move, nothing written. With
`apply=True` each moved deadline takes the new due time and ladder (a rung that already
ran is never run again; rungs still pending are moved, added or dropped) and its proposal
gets one `recompute_deadline` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Campaign, Deadline, DeadlineStep, Proposal, RuleSetVersion, StepStatus
from rules.calendar import WorkingCalendar
from rules.schema import RuleSet
from workflow.actors import SYSTEM, Actor
from workflow.campaigns.rulesets import compiled
from workflow.deadlines.tracking import (
    PlannedStep,
    compute_due,
    plan_steps,
    step_row,
    working_calendar,
)
from workflow.errors import N_, NotFound
from workflow.proposals import service
from workflow.proposals.service import load_for_update


@dataclass(frozen=True)
class Move:
    deadline_id: int
    proposal_id: int
    reference: str
    kind: str
    old_due: datetime
    new_due: datetime
    old_version: int
    new_version: int
    steps_changed: int

    @property
    def due_moves(self) -> bool:
        return self.old_due != self.new_due


def recompute(session: Session, campaign_code: str, now: datetime, *, apply: bool = False,
              actor: Actor = SYSTEM) -> list[Move]:
    """Every open deadline of the campaign whose due time or pending rungs would change."""
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    if campaign is None or campaign.active_ruleset is None:
        raise NotFound(N_("Không có phong trào đang áp dụng quy tắc với mã %(code)s"),
                       params={"code": campaign_code})
    version = campaign.active_ruleset
    rules, cal = compiled(version).rules, working_calendar()
    moves = []
    for deadline in _open_deadlines(session, campaign.id):
        move = _preview(session, deadline, rules, version.version, cal)
        if move is None:
            continue
        if apply and not _apply(session, deadline, rules, version.id, move, now, actor, cal):
            continue
        moves.append(move)
    return moves


def _open_deadlines(session: Session, campaign_id: int) -> list[Deadline]:
    return list(session.scalars(
        select(Deadline).join(Proposal, Proposal.id == Deadline.proposal_id)
        .where(Proposal.campaign_id == campaign_id, Deadline.closed_at.is_(None))
        .order_by(Deadline.proposal_id, Deadline.id)))


def _preview(session: Session, deadline: Deadline, rules: RuleSet, new_version: int,
             cal: WorkingCalendar) -> Move | None:
    new_due = compute_due(rules, deadline.kind, deadline.started_at, cal)
    plan = plan_steps(rules, deadline.kind, deadline.started_at, new_due, cal)
    changed = _step_changes(deadline, plan)
    if new_due == deadline.due_at and changed == 0:
        return None
    proposal = session.get(Proposal, deadline.proposal_id)
    old = session.get(RuleSetVersion, deadline.ruleset_version_id)
    assert proposal is not None and old is not None
    old_version = old.version
    return Move(deadline.id, proposal.id, proposal.reference or f"#{proposal.id}",
                deadline.kind, deadline.due_at, new_due, old_version, new_version, changed)


def _step_changes(deadline: Deadline, plan: list[PlannedStep]) -> int:
    """How many pending rungs would be moved, added or dropped."""
    existing = {s.step_index: s for s in deadline.steps}
    planned = {p.index: p for p in plan}
    changed = 0
    for index, p in planned.items():
        row = existing.get(index)
        if row is None or (row.status == StepStatus.PENDING and _differs(row, p)):
            changed += 1
    changed += sum(1 for i, s in existing.items()
                   if i not in planned and s.status == StepStatus.PENDING)
    return changed


def _differs(row: DeadlineStep, p: PlannedStep) -> bool:
    return (row.due_at, row.action, row.recipient, row.reassign, row.offset_days) != (
        p.due_at, p.action, p.recipient, p.reassign, p.offset_days)


def _apply(session: Session, deadline: Deadline, rules: RuleSet, version_id: int, move: Move,
           now: datetime, actor: Actor, cal: WorkingCalendar) -> bool:
    """Move the deadline; False if it closed before its proposal could be locked."""
    proposal = load_for_update(session, deadline.proposal_id)
    # Read again under the lock: since the preview read them, a sweep may have applied a
    # rung (it holds the proposal while it does) or an action closed the deadline.
    session.refresh(deadline, ["closed_at", "steps"])
    if deadline.closed_at is not None:
        return False
    deadline.due_at, deadline.ruleset_version_id = move.new_due, version_id
    plan = {p.index: p for p in plan_steps(rules, deadline.kind, deadline.started_at,
                                           move.new_due, cal)}
    for index, row in {s.step_index: s for s in deadline.steps}.items():
        if row.status != StepStatus.PENDING:
            plan.pop(index, None)  # ran (or was dropped) already: never again
        elif index in plan:
            p = plan.pop(index)
            row.due_at, row.action, row.recipient = p.due_at, p.action, p.recipient
            row.reassign, row.offset_days = p.reassign, p.offset_days
        else:
            row.status = StepStatus.CANCELLED.value
    for p in plan.values():
        session.add(step_row(deadline, p))
    service.record(session, proposal, "recompute_deadline", actor, now,
                   payload={"deadline_id": deadline.id, "kind": deadline.kind,
                            "old_due": move.old_due.isoformat(),
                            "new_due": move.new_due.isoformat(),
                            "ruleset_version": move.new_version})
    return True
