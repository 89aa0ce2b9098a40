"""Deadlines as rows: one per stay in a timed state, and the escalation steps each one
owes, swept by the scheduler. A step row is the once-only key of its step."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.audit import AuditEvent
from models.base import Base, UTCDateTime


class Deadline(Base):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_open_due", "closed_at", "due_at"),
        # A proposal's open deadline and its due time, read from the index alone: the
        # Board queue sorts thousands of proposals by it.
        Index("ix_deadlines_proposal_open_due", "proposal_id", "closed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    ruleset_version_id: Mapped[int] = mapped_column(ForeignKey("ruleset_versions.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[DeadlineStep]] = relationship(
        back_populates="deadline", order_by="DeadlineStep.step_index"
    )


class StepStatus(enum.StrEnum):
    PENDING = "pending"      # not applied yet; the sweep applies it once due
    DONE = "done"            # applied, with its audit event
    CANCELLED = "cancelled"  # its deadline closed (or a recompute dropped it) first
    SKIPPED = "skipped"      # could never apply (e.g. auto_withdraw from a state it can't)


class DeadlineStep(Base):
    """One rung of a deadline's escalation ladder (`step_index` in the rule set's list)."""

    __tablename__ = "escalation_steps"
    __table_args__ = (
        UniqueConstraint("deadline_id", "step_index"),
        Index("ix_escalation_steps_status_due", "status", "due_at"),
        # The sweep asks, for each due step, whether an earlier rung of its proposal is
        # still pending: one probe of this index instead of a walk over the proposal's rungs.
        Index("ix_escalation_steps_proposal_status_due", "proposal_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"))
    # Kept beside deadline_id so the sweep can lock the proposal before the step.
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    step_index: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(30))
    reassign: Mapped[bool] = mapped_column(default=False)
    offset_days: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=StepStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # SET NULL: a deleted (tampered) event must be caught by `audit verify`, not refused here.
    audit_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_events.id", ondelete="SET NULL"))

    deadline: Mapped[Deadline] = relationship(back_populates="steps")
    audit_event: Mapped[AuditEvent | None] = relationship()
