"""Requests already answered: a key the client sends with a create request (the form's
one-time key, the API's Idempotency-Key header), so a double click or a retry returns the
first result instead of creating a second record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class IdempotencyKey(Base):
    """One answered request: who sent it, under which key, a hash of what it asked, and
    what it produced (the proposal created and the HTTP status first returned)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100))
    request_sha256: Mapped[str] = mapped_column(String(64))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"))
    status: Mapped[int] = mapped_column(default=201)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
