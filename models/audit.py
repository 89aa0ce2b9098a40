"""The append-only, hash-chained audit log: one chain (stream) per proposal, campaign, user,
notice, council sitting, decision…, and the head of each chain.

A proposal's head is on its own row (`Proposal.audit_seq`, `audit_head`, `audit_mac`),
moved by the same UPDATE that changes the proposal; every other stream's head is its
`AuditHead` row, written in the same transaction as the event. A head lets verify see
that a chain's last events (or all of them) were deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(60))
    seq: Mapped[int]
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(255))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of `hash` under the operator's key (TDKT_AUDIT_KEY), None when written
    # without one. Not part of the hash: it seals the hash, so it cannot be inside it.
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The last event of a stream that is not a proposal's: its seq and hash, and (with the
    key) a MAC over stream, seq and hash."""

    __tablename__ = "audit_heads"

    stream: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise ValueError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEvent) -> None:
    raise ValueError("audit events are append-only")
